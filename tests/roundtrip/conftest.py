"""The LibreOffice fixture: runs uno_driver.py under Debian's Python, or skips with the reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("uno_driver.py")
SYSTEM_PYTHON = "/usr/bin/python3"
XLSX, XLS, ODS = "Calc MS Excel 2007 XML", "MS Excel 97", "calc8"


def _unavailable() -> str | None:
    if not shutil.which("soffice"):
        return "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui python3-uno"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    if probe.returncode:
        return f"{SYSTEM_PYTHON} cannot import uno: apt-get install python3-uno"
    return None


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Callable[[list[dict]], list[dict]]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the LibreOffice tests: {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("uno")

    def run(jobs: list[dict]) -> list[dict]:
        job_file = work / f"jobs-{len(list(work.iterdir()))}.json"
        job_file.write_text(json.dumps(jobs, ensure_ascii=False), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        done = subprocess.run(
            [SYSTEM_PYTHON, str(DRIVER), str(job_file)], capture_output=True, text=True, timeout=600, env=env
        )
        assert done.returncode == 0, f"uno_driver failed:\n{done.stderr[-3000:]}"
        return json.loads(done.stdout)

    return run
