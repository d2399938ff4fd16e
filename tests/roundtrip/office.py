"""Run uno_driver.py jobs in a real LibreOffice, from any Python (the driver needs Debian's /usr/bin/python3)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DRIVER = Path(__file__).with_name("uno_driver.py")
SYSTEM_PYTHON = "/usr/bin/python3"
XLSX, XLS, ODS = "Calc MS Excel 2007 XML", "MS Excel 97", "calc8"
FILTERS = {"xlsx": XLSX, "xls": XLS, "ods": ODS}
# Headless Chromium as root on a machine without network: no sandbox, no background connections.
CHROMIUM = [
    "chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable() -> str | None:
    """Why LibreOffice cannot be driven here, or None."""
    if not shutil.which("soffice"):
        return "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui python3-uno"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found (Debian's python3 with python3-uno is needed)"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    if probe.returncode:
        return f"{SYSTEM_PYTHON} cannot import uno: apt-get install python3-uno"
    return None


def run_jobs(jobs: list[dict]) -> list[dict]:
    """Open, type into, inspect and save workbooks in one LibreOffice session; one result per job."""
    with tempfile.TemporaryDirectory(prefix="nianbao-jobs-") as tmp:
        job_file = Path(tmp) / "jobs.json"
        job_file.write_text(json.dumps(jobs, ensure_ascii=False), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        done = subprocess.run(
            [SYSTEM_PYTHON, str(DRIVER), str(job_file)], capture_output=True, text=True, timeout=900, env=env
        )
    if done.returncode:
        raise RuntimeError(f"uno_driver failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)
