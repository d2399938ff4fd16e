"""`nianbao merge`: sums equal independent sums, every blocking case is named, summaries sum upward."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.form.rules import with_totals
from nianbao.form.spec import Form
from nianbao.io.breakdown import SHEET as BREAKDOWN_SHEET
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.merge import CHART_SHEET, STATUS_SHEET, TEXTS_SHEET, merge
from nianbao.problems import NianbaoError
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import filled_workbook, write_roster

UNITS = [Unit(f"21092210{i}", name) for i, name in enumerate(["彰武镇", "哈尔套镇", "五峰镇", "冯家镇", "后新秋镇"])]


@pytest.fixture(scope="module")
def unit_inputs(form: Form) -> dict[str, dict[str, float]]:
    return {u.unit_id: consistent_inputs(form, random.Random(100 + i)) for i, u in enumerate(UNITS)}


@pytest.fixture
def returned(tmp_path: Path, form: Form, unit_inputs: dict) -> Path:
    folder = tmp_path / "returned"
    folder.mkdir()
    for unit in UNITS:
        data = filled_workbook(form, unit_inputs[unit.unit_id], unit=unit, texts={"N1": f"{unit.unit_name}的总体情况"})
        (folder / f"{unit.unit_name}.xlsx").write_bytes(data)
    return folder


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    return write_roster(tmp_path / "roster.csv", UNITS)


def independent_sums(form: Form, inputs: list[dict[str, float]]) -> dict[str, float]:
    complete = [with_totals(form.totals, i) for i in inputs]
    return {code: round(sum(c[code] for c in complete), 4) for code in form.cells}


def summary_figures(path: Path, form: Form) -> tuple[dict, dict]:
    """What openpyxl (cached values) and python-calamine read from a summary, by cell code."""
    wb = openpyxl.load_workbook(path, data_only=True)
    by_openpyxl = {code: wb[c.sheet].cell(c.row + 1, c.col + 1).value for code, c in form.cells.items()}
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = {t.sheet: book.get_sheet_by_name(t.sheet).to_python(skip_empty_area=False) for t in form.tables}
    by_calamine = {code: sheets[c.sheet][c.row][c.col] for code, c in form.cells.items()}
    return by_openpyxl, by_calamine


def test_summary_holds_the_independent_sums_readable_by_any_reader(
    tmp_path: Path, form: Form, returned: Path, roster: Path, unit_inputs: dict
) -> None:
    out = tmp_path / "彰武县.xlsx"
    result = merge([returned], roster, 2025, out, unit_id="210922", unit_name="彰武县")
    assert result.complete and result.written == out and len(result.merged) == len(UNITS)
    expected = independent_sums(form, list(unit_inputs.values()))
    by_openpyxl, by_calamine = summary_figures(out, form)
    assert by_openpyxl == pytest.approx(expected) and by_calamine == pytest.approx(expected)
    report = check_file(out, CheckOptions(year=2025))
    assert report.problems == [] and report.identity["kind"] == "summary" and report.identity["units"] == "5"
    assert report.figures == pytest.approx(expected) and report.unit_name == "彰武县"

    wb = openpyxl.load_workbook(out, data_only=True)
    for name in (BREAKDOWN_SHEET, STATUS_SHEET, TEXTS_SHEET, CHART_SHEET):
        assert name in wb.sheetnames
    breakdown = list(wb[BREAKDOWN_SHEET].iter_rows(values_only=True))
    codes = list(breakdown[0][3:])
    assert codes == list(form.cells)
    for row, unit in zip(breakdown[3:-1], UNITS, strict=True):
        assert row[:2] == (unit.unit_id, unit.unit_name)
        assert dict(zip(codes, row[3:], strict=True)) == with_totals(form.totals, unit_inputs[unit.unit_id])
    assert dict(zip(codes, breakdown[-1][3:], strict=True)) == pytest.approx(expected)
    status = list(wb[STATUS_SHEET].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3]) for r in status] == [(u.unit_id, "已汇总") for u in UNITS]
    assert all(len(r[-1]) == 64 for r in status) and [r[4] for r in status] == [f"{u.unit_name}.xlsx" for u in UNITS]
    texts = list(wb[TEXTS_SHEET].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in texts] == [f"{u.unit_name}的总体情况" for u in UNITS]
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())


def test_the_summary_prints_as_a_summary_with_no_path_and_no_check_cells(
    tmp_path: Path, form: Form, returned: Path, roster: Path
) -> None:
    """Issue #22, as the file says it (the pages themselves: tests/roundtrip/test_printed.py): a summary's cover
    with no fill-in instructions, the tables printed without their check cells, the breakdown in landscape with
    the unit names and header rows on every page, the status sheet without the sha256 and no folder anywhere."""
    out = tmp_path / "彰武县.xlsx"
    merge([returned], roster, 2025, out, unit_id="210922", unit_name="彰武县")
    wb = openpyxl.load_workbook(out)
    cover = [str(c) for row in wb[form.cover_sheet].iter_rows(values_only=True) for c in row if c]
    assert cover[0] == "彰武县2025年政府信息公开工作年度报告汇总表" and "汇总范围" in cover and "汇总日期" in cover
    assert not [line for line in form.instructions if line in cover] and "填报人" not in cover
    for table in form.tables:
        last = openpyxl.utils.get_column_letter(table.width)
        assert wb[table.sheet].print_area == f"'{table.sheet}'!$A$1:${last}${table.last_row + 1}"
    breakdown = wb[BREAKDOWN_SHEET]
    assert breakdown.page_setup.orientation == "landscape" and breakdown.page_setup.scale < 100
    assert breakdown.print_title_cols == "$A:$B" and breakdown.print_title_rows == "$1:$3"
    assert breakdown.column_dimensions["C"].hidden and len(breakdown.col_breaks.brk) >= 6
    status = wb[STATUS_SHEET]
    header = [c.value for c in status[1]]
    assert header[-1] == "sha256" and status.print_area == f"'{STATUS_SHEET}'!$A$1:${chr(64 + len(header) - 1)}$6"
    assert wb[TEXTS_SHEET].page_setup.orientation == "landscape" and wb[TEXTS_SHEET].row_dimensions[2].customHeight
    texts = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert not [t for t in texts if str(tmp_path) in t or str(returned) in t]


def test_missing_unit_blocks_unless_allowed_and_then_says_partial(
    tmp_path: Path, form: Form, returned: Path, roster: Path, unit_inputs: dict
) -> None:
    (returned / "五峰镇.xlsx").unlink()
    out = tmp_path / "s.xlsx"
    result = merge([returned], roster, 2025, out)
    assert not result.complete and result.written is None and not out.exists()
    assert [(s.unit_name, s.status) for s in result.blocking] == [("五峰镇", "缺报")]
    result = merge([returned], roster, 2025, out, allow_missing=True)
    assert result.written == out
    wb = openpyxl.load_workbook(out)
    cover = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "不完整（4/5）· 部分汇总：缺 1 个单位（见“报送情况”工作表）" in cover
    report = check_file(out, CheckOptions())
    assert report.identity["missing"] == "1" and report.identity["units"] == "4"
    assert [p.code for p in report.errors] == ["PARTIAL_SUMMARY"], "a partial summary is never summed upward"
    counted = [unit_inputs[u.unit_id] for u in UNITS if u.unit_name != "五峰镇"]
    assert report.figures == pytest.approx(independent_sums(form, counted))


def test_duplicates_are_never_both_counted(
    tmp_path: Path, form: Form, returned: Path, roster: Path, unit_inputs: dict
) -> None:
    newer = {**unit_inputs[UNITS[0].unit_id], "T4.R01.C1": 9.0}
    (returned / "彰武镇-改.xlsx").write_bytes(filled_workbook(form, newer, unit=UNITS[0]))
    out = tmp_path / "s.xlsx"
    result = merge([returned], roster, 2025, out)
    (dup,) = result.blocking
    assert dup.status == "重复" and {r.path.name for r in dup.reports} == {"彰武镇.xlsx", "彰武镇-改.xlsx"}
    assert "请指定采用哪一份" in dup.note and not out.exists()  # the command line adds --prefer (test_cli_says …)
    result = merge([returned], roster, 2025, out, prefer=[returned / "彰武镇-改.xlsx"])
    assert result.complete
    replaced = [s for s in result.statuses if s.status == "已被替换"]
    assert [r.path.name for s in replaced for r in s.reports] == ["彰武镇.xlsx"]
    inputs = [newer] + [unit_inputs[u.unit_id] for u in UNITS[1:]]
    assert check_file(out, CheckOptions()).figures == pytest.approx(independent_sums(form, inputs))


def test_invalid_and_stray_files_block_with_reasons(
    tmp_path: Path, form: Form, returned: Path, roster: Path, unit_inputs: dict
) -> None:
    broken = {**unit_inputs[UNITS[1].unit_id], "T3.R05.C2": "5件"}
    (returned / "哈尔套镇.xlsx").write_bytes(filled_workbook(form, broken, unit=UNITS[1]))
    (returned / "邻县某镇.xlsx").write_bytes(
        filled_workbook(form, unit_inputs[UNITS[2].unit_id], unit=Unit("210921100", "邻县某镇"))
    )
    (returned / "坏文件.xlsx").write_bytes(b"")
    before = {p.name: p.read_bytes() for p in returned.iterdir()}
    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(
        main, ["merge", str(returned), "--roster", str(roster), "--year", "2025", "--out", str(out)]
    )
    assert result.exit_code == 1 and not out.exists() and "Traceback" not in result.output
    assert "[有错误] 210922101 哈尔套镇" in result.output and "5件" in result.output
    assert "[不在名单] 210921100 邻县某镇" in result.output and "空的" in result.output
    assert "未生成汇总表" in result.output
    assert {p.name: p.read_bytes() for p in returned.iterdir()} == before


def test_two_level_merge_equals_merging_all_townships(
    tmp_path: Path, form: Form, returned: Path, unit_inputs: dict
) -> None:
    counties = {"C1": UNITS[:2], "C2": UNITS[2:]}
    summaries = tmp_path / "counties"
    summaries.mkdir()
    for county_id, units in counties.items():
        roster = write_roster(tmp_path / f"{county_id}.csv", units)
        files = [returned / f"{u.unit_name}.xlsx" for u in units]
        assert merge(
            files, roster, 2025, summaries / f"{county_id}.xlsx", unit_id=county_id, unit_name=f"{county_id}县"
        ).complete
    city_roster = write_roster(tmp_path / "city.csv", [Unit("C1", "C1县"), Unit("C2", "C2县")])
    city = merge([summaries], city_roster, 2025, tmp_path / "city.xlsx", unit_id="2109", unit_name="阜新市")
    direct = merge([returned], write_roster(tmp_path / "all.csv", UNITS), 2025, tmp_path / "all.xlsx")
    assert city.complete and direct.complete
    assert city.sums == direct.sums == pytest.approx(independent_sums(form, list(unit_inputs.values())))
    assert summary_figures(tmp_path / "city.xlsx", form) == summary_figures(tmp_path / "all.xlsx", form)


def test_same_inputs_give_a_byte_identical_summary_and_no_silent_overwrite(
    tmp_path: Path, returned: Path, roster: Path
) -> None:
    merge([returned], roster, 2025, tmp_path / "a.xlsx", unit_id="210922", unit_name="彰武县")
    merge([returned], roster, 2025, tmp_path / "b.xlsx", unit_id="210922", unit_name="彰武县")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with pytest.raises(NianbaoError, match="已存在，未覆盖"):
        merge([returned], roster, 2025, tmp_path / "a.xlsx")
    merge([returned], roster, 2025, tmp_path / "a.xlsx", force=True)
    with pytest.raises(NianbaoError, match="不能同时是输入文件"):
        merge([returned, tmp_path / "a.xlsx"], roster, 2025, tmp_path / "a.xlsx", force=True)


def test_cli_writes_json_and_exit_zero(tmp_path: Path, returned: Path, roster: Path) -> None:
    out, report = tmp_path / "s.xlsx", tmp_path / "s.json"
    result = CliRunner().invoke(
        main,
        [
            "merge",
            str(returned),
            "--roster",
            str(roster),
            "--year",
            "2025",
            "--out",
            str(out),
            "--unit-id",
            "210922",
            "--unit-name",
            "彰武县",
            "--json",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "汇总表已生成" in result.output
    import json

    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["complete"] and [u["status"] for u in data["units"]] == ["已汇总"] * len(UNITS)
    assert io.BytesIO(out.read_bytes()).read(2) == b"PK"


def test_last_years_summary_serves_the_cross_year_checks_of_each_unit(
    tmp_path: Path, form: Form, roster: Path, unit_inputs: dict
) -> None:
    from nianbao.operations.previous import previous_figures

    last_year = tmp_path / "2024"
    last_year.mkdir()
    for unit in UNITS:
        (last_year / f"{unit.unit_name}.xlsx").write_bytes(
            filled_workbook(form, unit_inputs[unit.unit_id], unit=unit, year=2024)
        )
    assert merge([last_year], roster, 2024, tmp_path / "2024.xlsx", unit_id="210922", unit_name="彰武县").complete
    previous, unusable = previous_figures([tmp_path / "2024.xlsx"])
    assert unusable == [] and set(previous) == {u.unit_id for u in UNITS} | {"210922"}
    for unit in UNITS:
        assert previous[unit.unit_id] == pytest.approx(with_totals(form.totals, unit_inputs[unit.unit_id]))
    unit = UNITS[0]
    carried = dict(consistent_inputs(form, random.Random(99)))
    for i in range(1, 7):
        carried[f"T3.R02.C{i}"] = unit_inputs[unit.unit_id][f"T3.R25.C{i}"]
    carried["T3.R02.C1"] += 1  # one carried-over application too many
    path = tmp_path / "now.xlsx"
    path.write_bytes(filled_workbook(form, carried, unit=unit))
    report = check_file(path, CheckOptions(previous=previous))
    assert {p.cell for p in report.problems if p.code == "X1"} == {form.cells[c].a1 for c in ("T3.R02.C1", "T3.R02.C7")}
