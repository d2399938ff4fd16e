"""Scale and speed of generate, check and merge against the bare cost of reading the same files.

    python benchmarks/run.py                 # 1,000 units
    python benchmarks/run.py --units 1000 --units 5000 --repeat 3

For each N it builds N filled workbooks of distinct units, then times each step as a user runs it (the
`nianbao` command in a fresh process, its bytecode compiled as in an installed package) and the baseline:
python-calamine reading the form's three table sheets of the same files in one process. For each step it prints
wall seconds and CPU seconds of the whole process tree (the command and its workers), files/s, both ratios to the
baseline, and peak memory (the largest RSS among the step's processes); with --repeat K each step runs K times
and the median is shown. CPU is the honest comparison on a shared machine and between steps with different
numbers of workers. Targets (issue 25, at 5,000 units): check ≤ 3× and merge ≤ 3.5× the baseline in CPU,
receive ≤ 1.15× check in CPU, peak memory at 5,000 files ≤ 1.2× that at 1,000; (issue 6) generate ≥ 100
workbooks/s; (issue 11) status of the workspace < 0.5 s; (issue 19) a unit's page at 5,000 units ≤ 3× at 100;
(issue 12) an mbox of min(N, 2,000) messages, one workbook each, received (`receive --mail`) in ≤ 2× the time
of receiving the same workbooks from a folder.
"""

from __future__ import annotations

import argparse
import csv
import mailbox
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import nianbao
from nianbao.collection.workspace import Workspace
from nianbao.form import data_dir
from nianbao.form.spec import load_form
from nianbao.io.identity import Identity
from nianbao.io.roster import Unit
from nianbao.io.writer import Content, build_workbook
from nianbao.operations.check import check_all
from nianbao.operations.parallel import ordered_map
from nianbao.web.app import Settings, create_app

YEAR = 2025
MAIL_MESSAGES = 2000  # issue 12: an mbox of 2,000 messages carrying 2,000 workbooks
BASELINE = """
import sys, python_calamine
from pathlib import Path
cells = 0
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in sys.argv[2:]:  # the form's table sheets: what check must read of a return, at the least
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


# The timed command runs under this small process, which reports what its child tree used. Measured from the
# benchmark itself, the peak RSS of a child includes the benchmark's own RSS: Linux carries a process's high-water
# mark across fork and exec (``ru_maxrss`` of every command read ~70 MB, a benchmark process's size, not its own).
MEASURE = """
import os, resource, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
status = os.waitpid(pid, 0)[1]
wall = time.perf_counter() - start
used = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write(f"{wall} {used.ru_utime + used.ru_stime} {used.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds of the whole process tree (the command and the workers it waited for: user and
    system), peak RSS in MB of the largest process, exit status of a command. CPU is what a shared machine
    disturbs least: it compares steps that use different numbers of workers fairly. The command is started by a
    small process of its own (MEASURE), which forks it and reports its tree's usage: the benchmark's own memory
    counts neither in the command's peak nor its time."""
    with tempfile.TemporaryDirectory(prefix="nianbao-timed-") as tmp:
        report = Path(tmp) / "usage"
        measure = [sys.executable, "-S", "-c", MEASURE, str(report)]
        subprocess.run([*measure, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        wall, cpu, rss, code = report.read_text().split()
    return float(wall), float(cpu), int(rss) / 1024, int(code)


def compiled_env(work: Path) -> dict[str, str]:
    """The environment of the timed commands: bytecode compiled once (into work/, not the source tree), as pip
    does when it installs nianbao; PYTHONDONTWRITEBYTECODE would otherwise make every command compile the
    whole package again."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import compileall, sys; sys.exit(not compileall.compile_dir({str(PACKAGE)!r}, quiet=1))",
        ],
        env=env,
    )
    if done.returncode != 0:
        sys.exit("could not compile the package")
    return env


PACKAGE = Path(nianbao.__file__).parent


def write_mbox(files: list[Path], path: Path) -> None:
    """One message per workbook, as a township sends it: a short body and the workbook attached."""
    box = mailbox.mbox(path)
    start = datetime(2026, 1, 10, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    for i, file in enumerate(files):
        message = EmailMessage()
        message["From"] = f"乡镇{i} <town{i}@example.cn>"
        message["To"] = "county@example.cn"
        message["Subject"] = f"报送{file.stem}年报统计表"
        message["Date"] = format_datetime(start + timedelta(minutes=i))
        message["Message-ID"] = make_msgid(f"r{i}", "example.cn")
        message.set_content("请查收。")
        sheet = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        message.add_attachment(file.read_bytes(), "application", sheet, filename=f"{file.stem}年报.xlsx")
        box.add(message)
    box.close()


STEPS = ("baseline", "generate", "check", "merge", "receive", "status", "letters", "mail")


def prepare(n: int, work: Path, chosen: set[str]) -> tuple[Path, Path, Path, int]:
    """The roster, n filled workbooks, m of them in a folder of their own (and an mbox): setup, not measured."""
    roster = work / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["单位编码", "单位名称"], *[[unit(i).unit_id, unit(i).unit_name] for i in range(n)]])
    returned = work / "returned"
    returned.mkdir()
    start = time.perf_counter()
    for i, data in ordered_map(filled, sample_figures(), list(range(n))):
        (returned / f"{unit(i).unit_id}.xlsx").write_bytes(data)
    print(f"  built {n} filled workbooks in {time.perf_counter() - start:.1f} s (setup, not measured)")
    m = min(n, MAIL_MESSAGES)
    start = time.perf_counter()
    letters = work / "letters"  # the same m workbooks in a folder and as an mbox of m messages
    letters.mkdir()
    for file in sorted(returned.iterdir())[:m]:
        os.link(file, letters / file.name)
    if "mail" in chosen:
        write_mbox(sorted(letters.iterdir()), work / "inbox.mbox")
        print(f"  built an mbox of {m} messages in {time.perf_counter() - start:.1f} s (setup, not measured)")
    return roster, returned, letters, m


def run(n: int, work: Path, repeat: int, chosen: set[str]) -> dict[str, float]:
    roster, returned, letters, m = prepare(n, work, chosen)
    env = compiled_env(work)

    nianbao = [sys.executable, "-m", "nianbao.cli"]
    results: dict[str, float] = {}
    steps = {
        "baseline": [sys.executable, "-c", BASELINE, str(returned), *sorted({t.sheet for t in load_form().tables})],
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
    # The workspace: init is setup (it generates like `generate`), each receive starts from a copy of the new
    # workspace; receive is timed against check, status alone, receive --mail against receive of the same files.
    workspace, empty, received = work / "workspace", work / "empty-workspace", work / "received"
    steps["receive"] = [*nianbao, "receive", str(returned), "-w", str(workspace)]
    steps["status"] = [*nianbao, "status", "-w", str(received)]
    steps["letters"] = [*nianbao, "receive", str(letters), "-w", str(workspace)]
    steps["mail"] = [*nianbao, "receive", "--mail", str(work / "inbox.mbox"), "-w", str(workspace)]
    init = [*nianbao, "init", str(empty), "--roster", str(roster), "--year", str(YEAR), "--password", "bench"]
    if timed(init, env)[-1] != 0:
        sys.exit(f"init failed: {' '.join(init)}")
    for name, args in steps.items():
        if name not in chosen:
            continue
        if name == "status" and not received.exists():  # a workspace that received every file: setup
            shutil.copytree(empty, received)
            if timed([*steps["receive"][:-1], str(received)], env)[-1] != 0:
                sys.exit("receive failed")
        runs = []
        for _ in range(repeat):
            if name in ("receive", "letters", "mail"):
                shutil.rmtree(workspace, ignore_errors=True)
                shutil.copytree(empty, workspace)
            shutil.rmtree(work / "blank", ignore_errors=True)  # what generate and merge write, made anew
            (work / "summary.xlsx").unlink(missing_ok=True)
            seconds, cpu, rss, code = timed(args, env)
            if code != 0:
                sys.exit(f"{name} failed with exit status {code}: {' '.join(args)}")
            runs.append((seconds, cpu, rss))
        results[name] = statistics.median(s for s, _, _ in runs)
        results[f"{name}_cpu"] = statistics.median(c for _, c, _ in runs)
        results[f"{name}_rss"] = max(r for _, _, r in runs)
        if name == "receive":
            shutil.rmtree(received, ignore_errors=True)
            shutil.copytree(workspace, received)
    if received.exists():
        results["status_in_process"], results["status_review_again"] = status_in_process(received)
        results["board"], results["unit_page"] = pages(received)
    say(results, [s for s in steps if s in chosen], n, m)
    return results


def say(results: dict[str, float], names: list[str], n: int, m: int) -> None:
    """One size's table."""
    base, base_cpu = results.get("baseline"), results.get("baseline_cpu")
    print(f"  {'step':<10}{'wall s':>8}{'CPU s':>8}{'files/s':>9}{'× base wall':>12}{'× base CPU':>11}{'peak MB':>9}")
    for name in names:
        compared = base and base_cpu and name in ("check", "merge", "receive")
        wall = f"{results[name] / base:.2f}" if compared and base else ""
        cpu = f"{results[name + '_cpu'] / base_cpu:.2f}" if compared and base_cpu else ""
        files = m if name in ("letters", "mail") else n
        line = f"{results[name]:>8.2f}{results[name + '_cpu']:>8.2f}{files / results[name]:>9.0f}{wall:>12}{cpu:>11}"
        print(f"  {name:<10}{line}{results[name + '_rss']:>9.0f}")
    if {"letters", "mail"} & set(names):
        print(f"  (letters: receive of the {m} workbooks from a folder; mail: receive --mail of an mbox carrying them)")
    if "board" in results:
        print(f"  status without starting Python and importing nianbao: {results['status_in_process']:.3f} s")
        print(f"  the same, working the across-units review out again: {results['status_review_again']:.3f} s")
        print(f"  the web page's board (总览) served by the running app: {results['board']:.3f} s")
        print(f"  a unit's page (单位) served by the running app: {results['unit_page']:.3f} s")


def pages(workspace: Path) -> tuple[float, float]:
    """The time to serve the board and a unit's page of `nianbao serve` (the app already running, as a clerk
    meets it: each page asked for once before, which loads its template), median of 5."""
    client = create_app(Settings(workspace)).test_client()
    host = {"Host": "127.0.0.1:8765"}
    times = []
    for address in ("/", f"/unit/{unit(0).unit_id}"):
        client.get(address, headers=host)
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            answer = client.get(address, headers=host)
            runs.append(time.perf_counter() - start)
            if answer.status_code != 200:
                sys.exit(f"{address} answered {answer.status_code}")
        times.append(statistics.median(runs))
    return times[0], times[1]


def status_in_process(workspace: Path) -> tuple[float, float]:
    """The time of `Workspace.status()` itself (opening the record and working out every unit's state): as
    after a receive (the across-units review kept in the record), and when the review must be worked out
    again (the first status after the roster or the spec changed)."""
    times = []
    for forget in (False, True):
        opened = Workspace.open(workspace)
        if forget:
            opened.db.execute("DELETE FROM cache")
        start = time.perf_counter()
        opened.status()
        times.append(time.perf_counter() - start)
        opened.close()
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, action="append", help="number of units (repeatable); default 1000")
    parser.add_argument("--repeat", type=int, default=1, help="run each step this many times, show the median")
    parser.add_argument(
        "--only", action="append", choices=STEPS, help="time only these steps (repeatable); default all"
    )
    args = parser.parse_args()
    sizes = args.units or [1000]
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    runs = {}
    for n in sizes:
        print(f"\n{n} units")
        with tempfile.TemporaryDirectory(prefix=f"nianbao-bench-{n}-") as tmp:
            runs[n] = run(n, Path(tmp), args.repeat, set(args.only or STEPS))
    print("\ntargets")
    for n, r in runs.items():
        if {"check", "baseline"} <= r.keys():
            print(f"  {n} units: check {r['check_cpu'] / r['baseline_cpu']:.2f}× the baseline in CPU (≤ 3)")
        if {"merge", "baseline"} <= r.keys():
            print(f"  {n} units: merge {r['merge_cpu'] / r['baseline_cpu']:.2f}× the baseline in CPU (≤ 3.5)")
        if "generate" in r:
            print(f"  {n} units: generate {n / r['generate']:.0f} workbooks/s (≥ 100)")
        if {"receive", "check"} <= r.keys():
            print(f"  {n} units: receive {r['receive_cpu'] / r['check_cpu']:.2f}× check in CPU (≤ 1.15)")
        if "status" in r:
            print(f"  {n} units: status {r['status']:.2f} s as a command (< 0.5)")
        if "board" in r:
            print(f"  {n} units: board page {r['board']:.2f} s (< 0.5)")
        if {"mail", "letters"} <= r.keys():
            m = min(n, MAIL_MESSAGES)
            print(f"  {m} messages: receive --mail {r['mail'] / r['letters']:.2f}× receive from a folder (≤ 2)")
    if len(runs) > 1:
        small, large = min(runs), max(runs)
        if "unit_page" in runs[large] and "unit_page" in runs[small]:
            growth = runs[large]["unit_page"] / runs[small]["unit_page"]
            print(f"  a unit's page, {large} vs {small} units: {growth:.2f}× (≤ 3)")
        for step in ("check", "merge", "receive"):
            if f"{step}_rss" in runs[large] and f"{step}_rss" in runs[small]:
                growth = runs[large][f"{step}_rss"] / runs[small][f"{step}_rss"]
                print(f"  peak memory of {step}, {large} vs {small} units: {growth:.2f}× (≤ 1.2)")


if __name__ == "__main__":
    main()
