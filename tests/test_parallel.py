"""Many files go through worker processes: same results, same order; Ctrl-C leaves nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from nianbao.form.spec import Form
from nianbao.operations.check import CheckOptions, check_all, check_file
from nianbao.operations.parallel import MIN_PARALLEL, ordered_map
from tests.helpers.workbooks import UNIT, blank_workbook, filled_workbook


def power(exponent: int, x: int) -> int:
    return x**exponent


def test_ordered_map_keeps_order_and_reports_progress() -> None:
    seen = []

    def progress(results, total):  # type: ignore[no-untyped-def]
        for r in results:
            seen.append(total)
            yield r

    items = list(range(MIN_PARALLEL * 3))
    assert list(ordered_map(power, 2, items, progress, workers=2)) == [x * x for x in items]
    assert seen == [len(items)] * len(items)


def test_parallel_check_equals_one_by_one(tmp_path: Path, form: Form) -> None:
    for i in range(MIN_PARALLEL + 4):
        data = filled_workbook(form, {"T3.R05.C2": "5件"}) if i % 3 else blank_workbook(form)
        (tmp_path / f"{i:02d}.xlsx").write_bytes(data)
    parallel = check_all([tmp_path])
    serial = [check_file(p, CheckOptions()) for p in sorted(tmp_path.iterdir())]
    assert [r.path for r in parallel] == [r.path for r in serial]
    strip = [p for p in parallel[0].problems if p.code != "DUPLICATE_UNIT"]
    assert strip == serial[0].problems and parallel[0].figures == serial[0].figures
    assert all(r.unit_id == UNIT.unit_id for r in parallel)


def test_ctrl_c_during_generate_leaves_only_complete_files(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("单位编码,单位名称\n" + "".join(f"U{i},单位{i}\n" for i in range(3000)), encoding="utf-8")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nianbao.cli",
            "generate",
            "--roster",
            str(roster),
            "--year",
            "2025",
            "--out",
            str(out),
            "--password",
            "p",
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("*.xlsx"))) < 20:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends to the whole command on Ctrl-C
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "已中断" in stderr and "Traceback" not in stderr
    written = list(out.glob("*.xlsx"))
    assert 20 <= len(written) < 3000
    assert [p.name for p in out.iterdir() if p.suffix != ".xlsx"] == [], "no temporary or partial files"
    for path in written:
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
