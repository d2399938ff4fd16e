"""What county inboxes really hold, thrown at `check` and `merge` (issue #9): odd names, links, stray files,
copies, the tool's own annotated copies, notes outside the tables. Nothing crashes, every line names its file."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from nianbao.cli import main
from nianbao.form import data_dir
from nianbao.form.spec import IDENTITY_SHEET, Form, a1
from nianbao.io.files import shown
from nianbao.io.reading import MAX_SHEET_CELLS, _surely_near
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckOptions, check_all, check_file
from nianbao.problems import MESSAGES, UNSUPPORTED_SUFFIXES
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import edited, filled_workbook, write_roster

UNITS = [Unit("210922100", "彰武镇"), Unit("210922101", "哈尔套镇")]


@pytest.fixture
def returned(tmp_path: Path, form: Form) -> Path:
    folder = tmp_path / "returned"
    folder.mkdir()
    for i, unit in enumerate(UNITS):
        figures = consistent_inputs(form, random.Random(i))
        (folder / f"{unit.unit_name}.xlsx").write_bytes(filled_workbook(form, figures, unit=unit))
    return folder


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    return write_roster(tmp_path / "roster.csv", UNITS)


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.output
    return result


def merge_args(returned: Path, roster: Path, out: Path, *more: object) -> list[object]:
    return ["merge", returned, "--roster", roster, "--year", 2025, "--out", out, *more]


def test_a_file_name_that_is_not_utf8_is_read_and_every_output_written(
    tmp_path: Path, returned: Path, roster: Path
) -> None:
    (returned / "收件箱").mkdir()  # a UTF-8 folder holding a GBK name: each read as what it is
    gbk = os.fsencode(returned) + "/收件箱/".encode() + "彰武镇".encode("gbk") + b".xlsx"
    os.rename(returned / "彰武镇.xlsx", gbk)
    odd = os.fsencode(returned) + b"/" + b"\xff\xfe.xlsx"  # neither UTF-8 nor GBK
    shutil.copy(returned / "哈尔套镇.xlsx", odd)
    checked = run("check", returned, "--json", tmp_path / "check.json")
    assert checked.exit_code == 0 and "收件箱/彰武镇.xlsx" in checked.output and "\ufffd" in checked.output
    names = [f["path"] for f in json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))["files"]]
    assert any(name.endswith("/彰武镇.xlsx") for name in names) and any("\ufffd" in name for name in names)
    summary = tmp_path / "sum.xlsx"
    os.unlink(odd)
    merged = run(*merge_args(returned, roster, summary, "--json", tmp_path / "merge.json"))
    assert merged.exit_code == 0, merged.output
    status = openpyxl.load_workbook(summary)["报送情况"]
    assert any(str(row[4]).endswith("彰武镇.xlsx") for row in status.iter_rows(min_row=2, values_only=True))
    assert (tmp_path / "merge.json").is_file()


def test_link_loops_and_dangling_links_are_errors_of_their_own(tmp_path: Path, returned: Path, roster: Path) -> None:
    os.symlink("loop.xlsx", returned / "loop.xlsx")
    os.symlink("gone.xlsx", returned / "dangling.xlsx")
    checked = run("check", returned, "--annotate", tmp_path / "annotated")
    assert checked.exit_code == 1
    assert "loop.xlsx" in checked.output and "循环的链接" in checked.output
    assert "dangling.xlsx" in checked.output and "失效的链接" in checked.output
    assert checked.output.count("：通过\n") == len(UNITS)  # the run went on
    merged = run(*merge_args(returned, roster, tmp_path / "sum.xlsx"))
    assert merged.exit_code == 1 and "loop.xlsx" in merged.output and "dangling.xlsx" in merged.output


def test_stray_files_are_named_block_the_summary_and_never_count_as_roster_units(
    tmp_path: Path, returned: Path, roster: Path
) -> None:
    other = openpyxl.Workbook()
    other.active["A1"] = "补充说明：本镇今年没有收到申请"
    other.save(returned / "补充说明.xlsx")
    (returned / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not really")
    summary = tmp_path / "sum.xlsx"
    merged = run(*merge_args(returned, roster, summary))
    assert merged.exit_code == 1 and not summary.exists()
    assert f"名单 {len(UNITS)} 个单位：已汇总 {len(UNITS)} 个，未能汇总 0 个" in merged.output
    lines = [line for line in merged.output.splitlines() if "[未能识别]" in line]
    assert len(lines) == 2 and any("补充说明.xlsx" in x for x in lines) and any("坏文件.xlsx" in x for x in lines)

    anyway = run(*merge_args(returned, roster, summary, "--allow-missing"))
    assert anyway.exit_code == 1 and "汇总表已生成" in anyway.output and "部分汇总" not in anyway.output
    status = [row[3] for row in openpyxl.load_workbook(summary)["报送情况"].iter_rows(min_row=2, values_only=True)]
    assert status.count("未能识别") == 2 and status.count("已汇总") == len(UNITS)
    again = check_file(summary, CheckOptions())
    assert again.ok, [p.describe() for p in again.errors]  # every roster unit is in it: not partial


def test_copies_with_identical_bytes_are_one_return(tmp_path: Path, returned: Path, roster: Path) -> None:
    shutil.copy(returned / "彰武镇.xlsx", returned / "彰武镇 - 副本 (1).xlsx")
    summary = tmp_path / "sum.xlsx"
    merged = run(*merge_args(returned, roster, summary, "--json", tmp_path / "m.json"))
    assert merged.exit_code == 0, merged.output
    units = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["units"]
    assert [u["status"] for u in units].count("副本") == 1
    twice = run(*merge_args(returned / "彰武镇.xlsx", roster, tmp_path / "s2.xlsx", "--allow-missing"))
    assert "[重复]" not in twice.output  # a file named twice is read once
    checked = run("check", returned, returned / "哈尔套镇.xlsx")
    assert checked.exit_code == 0 and "内容完全相同" in checked.output and "同一单位同一年度" not in checked.output


def test_copies_that_differ_still_block(tmp_path: Path, form: Form, returned: Path, roster: Path) -> None:
    changed = consistent_inputs(form, random.Random(99))
    (returned / "彰武镇-改.xlsx").write_bytes(filled_workbook(form, changed, unit=UNITS[0]))
    merged = run(*merge_args(returned, roster, tmp_path / "sum.xlsx"))
    assert merged.exit_code == 1 and "[重复]" in merged.output and "彰武镇-改.xlsx" in merged.output


def test_prefer_must_name_an_input(tmp_path: Path, returned: Path, roster: Path) -> None:
    stray = tmp_path / "elsewhere.xlsx"
    stray.write_bytes((returned / "彰武镇.xlsx").read_bytes())
    merged = run(*merge_args(returned, roster, tmp_path / "sum.xlsx", "--prefer", stray))
    assert merged.exit_code == 1 and "--prefer" in merged.output and "elsewhere.xlsx" in merged.output
    assert not (tmp_path / "sum.xlsx").exists()


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("彰武镇.et", "WPS"),
        ("彰武镇.xlsb", "另存为 .xlsx"),
        ("彰武镇.numbers", "Numbers"),
        ("彰武镇.csv", "县里下发的 .xlsx"),
    ],
)
def test_unsupported_files_are_named_with_what_to_do(
    tmp_path: Path, returned: Path, roster: Path, name: str, advice: str
) -> None:
    (returned / "彰武镇.xlsx").rename(returned / name)
    checked = run("check", returned)
    assert checked.exit_code == 1
    (line,) = [x for x in checked.output.splitlines() if name in x]
    detail = checked.output.split(line, 1)[1].splitlines()[1]
    assert "不支持" in detail and advice in detail
    merged = run(*merge_args(returned, roster, tmp_path / "sum.xlsx"))
    assert "[未能识别]" in merged.output and name in merged.output and "[缺报] 210922100" in merged.output


def test_annotating_into_the_input_folder_never_reads_the_copies_as_returns(
    form: Form, tmp_path: Path, returned: Path
) -> None:
    good = consistent_inputs(form, random.Random(5))
    bad = {**good, "T3.R05.C2": f"{good['T3.R05.C2']:g}件"}
    (returned / "五峰镇.xls.xlsx").write_bytes(filled_workbook(form, bad, unit=Unit("210922102", "五峰镇")))
    first = run("check", returned, "--annotate", returned)
    assert first.exit_code == 1 and "已生成 1 份标注副本" in first.output
    copy = returned / "五峰镇.xls_问题标注.xlsx"
    assert copy.is_file()
    second = run("check", returned, "--annotate", returned)
    assert "本工具生成的标注副本" in second.output and "同一单位同一年度" not in second.output
    assert not list(returned.glob("*问题标注_问题标注*")) and not list(returned.glob("*.xlsx_问题标注.xlsx"))
    assert "是被检查的文件之一" in second.stderr  # the first copy is never overwritten while it is an input

    # The unit corrects the annotated copy and sends it back: that is a return, newer than the original.
    wb = openpyxl.load_workbook(copy)
    cell = form.cells["T3.R05.C2"]
    wb[cell.sheet].cell(cell.row + 1, cell.col + 1).value = good["T3.R05.C2"]
    wb.save(returned / "五峰镇-已改.xlsx")
    reports = {r.path.name: r for r in check_all([returned])}
    fixed = reports["五峰镇-已改.xlsx"]
    assert (
        fixed.ignored == "" and fixed.ok and [p.code for p in fixed.problems] == ["DUPLICATE_UNIT"]
    )  # of the original
    assert reports["五峰镇.xls_问题标注.xlsx"].ignored


def test_a_note_typed_outside_the_table_is_a_warning_quoting_it(tmp_path: Path, form: Form) -> None:
    t3 = form.table("T3")
    note = "另有 7 件申请未统计"

    def write_note(wb: openpyxl.Workbook) -> None:
        wb[t3.sheet].cell(t3.last_row + 12, 2).value = note

    path = tmp_path / "note.xlsx"
    path.write_bytes(edited(filled_workbook(form, consistent_inputs(form, random.Random(1))), write_note))
    report = check_file(path, CheckOptions())
    (problem,) = [p for p in report.problems if p.code == "OUTSIDE_TABLE"]
    assert problem.severity == "warning" and problem.sheet == t3.sheet and note in problem.message
    assert problem.cell == f"B{t3.last_row + 12}"
    samples = check_all([data_dir("samples") / "filled"])  # filled in LibreOffice, with a deadline on the cover
    assert len(samples) == 24 and not [p for r in samples for p in r.problems if p.code == "OUTSIDE_TABLE"]
    clean = tmp_path / "clean.xlsx"
    clean.write_bytes(
        filled_workbook(form, consistent_inputs(form, random.Random(1)), texts={"N1": "总体", "F1": "张三"})
    )
    assert check_file(clean, CheckOptions()).problems == []


def test_a_deadline_in_the_hidden_identity_is_not_a_note_outside_the_table(tmp_path: Path, form: Form) -> None:
    from nianbao.io.identity import Identity
    from nianbao.io.writer import build_workbook
    from tests.helpers.workbooks import put

    unit = UNITS[0]
    blank = build_workbook(form, Identity.for_unit(form, unit.unit_id, unit.unit_name, 2025, "2026年1月20日"), "pw")
    path = tmp_path / "with-deadline.xlsx"
    path.write_bytes(edited(blank, lambda wb: put(wb, form, consistent_inputs(form, random.Random(4)))))
    assert check_file(path, CheckOptions()).problems == []


def test_a_cover_that_names_another_unit_is_warned(tmp_path: Path, form: Form) -> None:
    from nianbao.form.spec import COVER_INFO_ROW

    def other_cover(wb: openpyxl.Workbook) -> None:
        wb[form.cover_sheet].cell(COVER_INFO_ROW + 1, 2).value = "哈尔套镇"

    path = tmp_path / "copied.xlsx"
    path.write_bytes(edited(filled_workbook(form, consistent_inputs(form, random.Random(2))), other_cover))
    report = check_file(path, CheckOptions())
    (problem,) = [p for p in report.problems if p.code == "COVER_DIFFERS"]
    assert "哈尔套镇" in problem.message and "彰武镇" in problem.message and report.unit_name == "彰武镇"


def test_an_identity_sheet_unhidden_and_edited_is_caught(tmp_path: Path, form: Form) -> None:
    def edit(field: str, value: str) -> Path:
        def change(wb: openpyxl.Workbook) -> None:
            ws = wb[IDENTITY_SHEET]
            ws.sheet_state = "visible"
            for row in ws.iter_rows():
                if row[0].value == field:
                    row[1].value = value

        path = tmp_path / f"{field}.xlsx"
        path.write_bytes(edited(filled_workbook(form, consistent_inputs(form, random.Random(3))), change))
        return path

    report = check_file(edit("unit_id", "210922101"), CheckOptions())
    assert [p.code for p in report.errors] == ["IDENTITY_MISMATCH"] and report.figures == {}
    renamed = check_file(edit("unit_name", "哈尔套镇"), CheckOptions(roster={u.unit_id: u for u in UNITS}))
    assert {p.code for p in renamed.warnings} == {"COVER_DIFFERS", "NAME_DIFFERS"} and renamed.ok


def test_usage_errors_are_in_chinese(tmp_path: Path) -> None:
    wrong = run("check", "--year", "abc", tmp_path)
    assert wrong.exit_code == 2 and "不是有效的数字" in wrong.output and "错误：" in wrong.output
    typo = run("chek", tmp_path)
    assert typo.exit_code == 2 and "没有 'chek' 这个命令" in typo.output and "是不是 'check'" in typo.output
    for english in ("Usage:", "Error:", "Invalid value", "No such command"):
        assert english not in wrong.output + typo.output


def test_check_with_a_roster_names_the_units_without_a_file(returned: Path, roster: Path, tmp_path: Path) -> None:
    (returned / "哈尔套镇.xlsx").unlink()
    checked = run("check", returned, "--roster", roster)
    assert checked.exit_code == 0 and "名单上还有 1 个单位没有表格：哈尔套镇" in checked.output


def test_an_empty_folder_gives_no_summary_of_zeros(tmp_path: Path, roster: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "x.xlsx").write_bytes(b"")
    merged = run(*merge_args(empty, roster, tmp_path / "sum.xlsx", "--allow-missing"))
    assert merged.exit_code == 1 and not (tmp_path / "sum.xlsx").exists() and "未生成汇总表" in merged.output


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` where nothing can be written: a read-only bind mount for root (who ignores permissions, as on
    a CD or a read-only share), the permissions taken away for anyone else."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            yield folder
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    mounted = folder.with_name(folder.name + "-只读")
    mounted.mkdir()
    if subprocess.run(["mount", "--bind", folder, mounted], capture_output=True).returncode != 0:
        pytest.skip("root cannot mount here, so a read-only folder cannot be made")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", mounted], check=True, capture_output=True)
        yield mounted
    finally:
        subprocess.run(["umount", "--lazy", mounted], check=True)


def test_a_read_only_workspace_is_said_to_be_read_only_not_damaged(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "名单.csv", UNITS)

    def nianbao(*args: object) -> subprocess.CompletedProcess[bytes]:  # in a process of its own: none left open
        return subprocess.run([sys.executable, "-m", "nianbao.cli", *map(str, args)], capture_output=True)

    assert nianbao("init", tmp_path / "ws", "--roster", roster, "--year", 2025).returncode == 0
    with read_only(tmp_path / "ws") as folder:
        for command in ("status", "log"):
            done = nianbao(command, "-w", folder)
            output = done.stdout.decode() + done.stderr.decode()
            assert done.returncode == 1 and "已损坏" not in output and "Traceback" not in output, output
            assert MESSAGES["WORKSPACE_READ_ONLY"].format(folder=shown(folder)) in output, output


def test_check_refuses_an_existing_json_before_checking_not_after(tmp_path: Path, returned: Path) -> None:
    kept = tmp_path / "结果.json"
    kept.write_text("上次的结果", encoding="utf-8")
    done = run("check", returned, "--json", kept)
    assert done.exit_code == 1 and "已存在" in done.output and "--force" in done.output, done.output
    assert "共检查" not in done.output and kept.read_text(encoding="utf-8") == "上次的结果"
    assert run("check", returned, "--json", kept, "--force").exit_code == 0 and json.loads(kept.read_text())


@pytest.mark.parametrize("suffix", sorted(UNSUPPORTED_SUFFIXES))
def test_what_to_do_with_an_unsupported_file_reads_as_one_sentence(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"年报{suffix}"
    path.write_bytes(b"not a workbook")
    (problem,) = check_file(path, CheckOptions()).problems
    assert problem.message.count("发送") == 1 and "后后" not in problem.message, problem.message  # not 发送…后重新发送
    assert UNSUPPORTED_SUFFIXES[suffix][0] in problem.message


def test_a_value_typed_in_the_farthest_cells_is_refused_not_a_crash(tmp_path: Path, form: Form, returned: Path) -> None:
    def far(wb: openpyxl.Workbook) -> None:  # Ctrl+End, Ctrl+↓ … and a stray keystroke: 20 KB on disk
        wb["文字部分"]["A1048576"], wb["文字部分"]["XFD1"] = "x", "y"

    path = tmp_path / "远处有字.xlsx"
    path.write_bytes(edited(filled_workbook(form, consistent_inputs(form, random.Random(1))), far))
    # In a process of its own: reading it whole asked for 512 GB and aborted the interpreter (and the run).
    done = subprocess.run(
        [sys.executable, "-m", "nianbao.cli", "check", path, returned / "哈尔套镇.xlsx"], capture_output=True
    )
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 1 and "哈尔套镇.xlsx（哈尔套镇）：通过" in output, output[-2000:]
    assert "文字部分" in output and "XFD1" in output and "A1048576" in output, output
    last_row = tmp_path / "末行有字.xlsx"  # in the last row only: read as before, the stray text quoted
    last_row.write_bytes(edited(path.read_bytes(), lambda wb: wb["文字部分"].__setitem__("XFD1", None)))
    (warning,) = check_file(last_row, CheckOptions()).warnings
    assert warning.cell == "A1048576" and "“x”" in warning.message


@given(st.lists(st.tuples(st.integers(1, 1_048_576), st.integers(1, 16_384)), min_size=1, max_size=20))
def test_a_sheet_passed_at_c_speed_is_surely_near(cells: list[tuple[int, int]]) -> None:
    """The quick bound never lets through a sheet whose cells reach too far (the exact count decides the rest)."""
    rows = "".join(f'<row r="{r}"><c r="{a1(r - 1, c - 1)}"><v>1</v></c></row>' for r, c in sorted(cells))
    xml = f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()
    if _surely_near(xml):
        assert max(r for r, _ in cells) * max(c for _, c in cells) <= MAX_SHEET_CELLS


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[Path]:
    """``path`` marked read-only in a folder that can be written (a record copied from a CD keeps the mark):
    immutable for root, who ignores permissions; without write permission for anyone else."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield path
        finally:
            path.chmod(mode)
        return
    if subprocess.run(["chattr", "+i", path], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not possible here, so a read-only file cannot be made for root")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", path], check=True)


def test_a_read_only_record_in_a_folder_that_can_be_written_is_said_to_be_read_only(tmp_path: Path, form: Form) -> None:
    roster = write_roster(tmp_path / "名单.csv", UNITS)
    assert run("init", tmp_path / "ws", "--roster", roster, "--year", 2025).exit_code == 0
    file = tmp_path / "彰武镇.xlsx"
    file.write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(2)), UNITS[0]))
    with read_only_file(tmp_path / "ws" / "nianbao.sqlite"):
        assert run("status", "-w", tmp_path / "ws").exit_code == 0  # reading needs no writing
        done = run("receive", file, "-w", tmp_path / "ws")
        assert done.exit_code == 1 and "只读" in done.output, done.output
