"""Scale and speed of generate, check and merge against the bare cost of reading the same files.

    python benchmarks/run.py                 # 1,000 units
    python benchmarks/run.py --units 1000 --units 5000

For each N it builds N filled workbooks of distinct units, then times each step as a user runs it (the
`nianbao` command in a fresh process) and the baseline: python-calamine reading every cell of every sheet
of the same files in one process. It prints times, files/s, ratios to the baseline and peak memory (the
largest RSS among the step's processes). Targets (issue 6): check ≤ 3× and merge ≤ 5× the baseline,
generate ≥ 100 workbooks/s, peak memory at 5,000 files ≤ 1.5× that at 1,000; (issue 11) receive into a
workspace ≤ 1.5× check of the same files, status of the workspace < 0.5 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nianbao.collection.workspace import Workspace
from nianbao.form.spec import data_dir, load_form
from nianbao.io.identity import Identity
from nianbao.io.roster import Unit
from nianbao.io.writer import Content, build_workbook
from nianbao.operations.check import check_all
from nianbao.operations.parallel import ordered_map
from nianbao.web.app import Settings, create_app

YEAR = 2025
BASELINE = """
import sys, python_calamine
from pathlib import Path
cells = 0
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
print(cells)
"""


def unit(i: int) -> Unit:
    return Unit(f"U{i:05d}", f"测试县第{i}乡镇")


Figures = dict[str, float | str | None]


def sample_figures() -> list[Figures]:
    """What the 24 sample townships typed (samples/filled/, saved by LibreOffice): real figures to cycle through."""
    form = load_form()
    return [{c.code: r.figures[c.code] for c in form.inputs} for r in check_all([data_dir("samples") / "filled"])]


def filled(samples: list[Figures], i: int) -> tuple[int, bytes]:
    """Unit i's workbook: one sample township's figures, and a narrative of its own."""
    form = load_form()
    content = Content(samples[i % len(samples)], texts={"N1": f"第{i}乡镇总体情况。" * 20})
    return i, build_workbook(form, Identity.for_unit(form, unit(i).unit_id, unit(i).unit_name, YEAR), "bench", content)


def timed(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB of the largest process, exit status of a command."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def run(n: int, work: Path) -> dict[str, float]:
    roster = work / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["单位编码", "单位名称"], *[[unit(i).unit_id, unit(i).unit_name] for i in range(n)]])
    returned = work / "returned"
    returned.mkdir()
    start = time.perf_counter()
    for i, data in ordered_map(filled, sample_figures(), list(range(n))):
        (returned / f"{unit(i).unit_id}.xlsx").write_bytes(data)
    print(f"  built {n} filled workbooks in {time.perf_counter() - start:.1f} s (setup, not measured)")

    nianbao = [sys.executable, "-m", "nianbao.cli"]
    results = {}
    steps = {
        "baseline": [sys.executable, "-c", BASELINE, str(returned)],
        "generate": [
            *nianbao,
            "generate",
            "--roster",
            str(roster),
            "--year",
            str(YEAR),
            "--out",
            str(work / "blank"),
            "--password",
            "bench",
        ],
        "check": [*nianbao, "check", str(returned), "--roster", str(roster), "--year", str(YEAR)],
        "merge": [
            *nianbao,
            "merge",
            str(returned),
            "--roster",
            str(roster),
            "--year",
            str(YEAR),
            "--out",
            str(work / "summary.xlsx"),
        ],
    }
    # The workspace: init is setup (it generates like `generate`); receive is timed against check, status alone.
    workspace = work / "workspace"
    steps["receive"] = [*nianbao, "receive", str(returned), "-w", str(workspace)]
    steps["status"] = [*nianbao, "status", "-w", str(workspace)]
    init = [*nianbao, "init", str(workspace), "--roster", str(roster), "--year", str(YEAR), "--password", "bench"]
    for name, args in steps.items():
        if name == "receive" and timed(init)[2] != 0:
            sys.exit(f"init failed: {' '.join(init)}")
        seconds, rss, code = timed(args)
        if code != 0:
            sys.exit(f"{name} failed with exit status {code}: {' '.join(args)}")
        results[name], results[f"{name}_rss"] = seconds, rss
    results["status_in_process"] = status_in_process(workspace)
    results["board"] = board(workspace)
    base = results["baseline"]
    print(f"  {'step':<10}{'seconds':>9}{'files/s':>10}{'× baseline':>12}{'peak RSS MB':>13}")
    for name in steps:
        ratio = "" if name in ("baseline", "generate", "status") else f"{results[name] / base:.2f}"
        print(f"  {name:<10}{results[name]:>9.2f}{n / results[name]:>10.0f}{ratio:>12}{results[name + '_rss']:>13.0f}")
    print(f"  status without starting Python and importing nianbao: {results['status_in_process']:.3f} s")
    print(f"  the web page's board (总览) served by the running app: {results['board']:.3f} s")
    return results


def board(workspace: Path) -> float:
    """The time to serve the board page of `nianbao serve` (the app already running, as a clerk meets it)."""
    client = create_app(Settings(workspace)).test_client()
    host = {"Host": "127.0.0.1:8765"}
    client.get("/", headers=host)  # the first request loads the templates
    start = time.perf_counter()
    answer = client.get("/", headers=host)
    if answer.status_code != 200:
        sys.exit(f"the board answered {answer.status_code}")
    return time.perf_counter() - start


def status_in_process(workspace: Path) -> float:
    """The time of `Workspace.status()` itself: opening the record and working out every unit's state."""
    start = time.perf_counter()
    opened = Workspace.open(workspace)
    opened.status()
    opened.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, action="append", help="number of units (repeatable); default 1000")
    args = parser.parse_args()
    sizes = args.units or [1000]
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    runs = {}
    for n in sizes:
        print(f"\n{n} units")
        with tempfile.TemporaryDirectory(prefix=f"nianbao-bench-{n}-") as tmp:
            runs[n] = run(n, Path(tmp))
    print("\ntargets")
    for n, r in runs.items():
        check, merge = r["check"] / r["baseline"], r["merge"] / r["baseline"]
        rate = n / r["generate"]
        print(f"  {n} units: check {check:.2f}× (≤ 3), merge {merge:.2f}× (≤ 5), generate {rate:.0f}/s (≥ 100)")
        receive = r["receive"] / r["check"]
        print(f"  {n} units: receive {receive:.2f}× check (≤ 1.5), status {r['status']:.2f} s as a command (< 0.5)")
        print(f"  {n} units: board page {r['board']:.2f} s (< 0.5)")
    if len(runs) > 1:
        small, large = min(runs), max(runs)
        for step in ("check", "merge"):
            growth = runs[large][f"{step}_rss"] / runs[small][f"{step}_rss"]
            print(f"  peak memory of {step}, {large} vs {small} units: {growth:.2f}× (≤ 1.5)")


if __name__ == "__main__":
    main()
