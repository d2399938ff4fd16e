"""A figure cell holding a formula: never calculated (an error that says so, not “blank”), or reading
another file (the saved result, with a warning)."""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from nianbao.form.spec import Cell, Form
from nianbao.io import reading
from nianbao.io.reading import CellFormula, _excel_style
from nianbao.operations.check import CheckedFile, CheckOptions, check_file
from nianbao.problems import ERROR, WARNING
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import blank_workbook, filled_workbook

CODE = "T3.R05.C2"
EXTERNAL_LINK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<externalBook><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>'
)


def problem_at(report: CheckedFile, form: Form, code: str) -> list[tuple[str, str, str]]:
    cell = form.cells[code]
    return [(p.severity, p.code, p.message) for p in report.problems if (p.sheet, p.cell) == (cell.sheet, cell.a1)]


def with_formula(form: Form, data: bytes, code: str, formula: str, cached: str | None, link: bool) -> bytes:
    """``data`` with the cell ``code`` turned into ``formula`` (cached result or none), as Excel saves a
    formula, and an external link part if ``link``."""
    cell = form.cells[code]
    sheet_number = openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames.index(cell.sheet) + 1
    member = f"xl/worksheets/sheet{sheet_number}.xml"
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == member:
                value = f"<v>{cached}</v>" if cached is not None else "<v></v>"
                content, n = re.subn(
                    rf'<c r="{cell.a1}"( s="\d+")?[^>]*?(/>|>.*?</c>)'.encode(),
                    rf'<c r="{cell.a1}"\1><f>{formula}</f>{value}</c>'.encode(),
                    content,
                    count=1,
                )
                assert n == 1
            target.writestr(info, content)
        if link:
            target.writestr("xl/externalLinks/externalLink1.xml", EXTERNAL_LINK)
    return out.getvalue()


def test_a_formula_never_calculated_is_reported_as_such_not_as_blank(tmp_path: Path, form: Form) -> None:
    path = tmp_path / "openpyxl.xlsx"
    path.write_bytes(
        filled_workbook(form, {**consistent_inputs(form, random.Random(1)), CODE: "=1+2"})
    )  # openpyxl saves no result
    report = check_file(path, CheckOptions())
    ((severity, code, message),) = problem_at(report, form, CODE)
    assert (severity, code) == (ERROR, "NO_RESULT") and "BLANK" not in [p.code for p in report.problems]
    assert "“=1+2”" in message and "WPS、Excel 或 LibreOffice" in message and "直接填入数字" in message
    assert report.figures[CODE] is None and not report.ok


def test_a_formula_with_chinese_text_is_shown_as_typed(tmp_path: Path, form: Form) -> None:
    path = tmp_path / "openpyxl.xlsx"  # openpyxl writes 附 as &#38468; in the sheet's XML
    path.write_bytes(filled_workbook(form, {**consistent_inputs(form, random.Random(1)), CODE: "='附.表'!A1&\"五\""}))
    ((_, _, message),) = problem_at(check_file(path, CheckOptions()), form, CODE)
    assert "“='附.表'!A1&\"五\"”" in message, message


def test_a_blank_cell_without_formula_stays_blank(tmp_path: Path, form: Form) -> None:
    path = tmp_path / "blank.xlsx"
    path.write_bytes(blank_workbook(form))
    report = check_file(path, CheckOptions())
    assert {p.code for p in report.problems} == {"BLANK"}


def test_a_calculated_formula_is_read_as_its_result(tmp_path: Path, form: Form) -> None:
    inputs = consistent_inputs(form, random.Random(1))
    path = tmp_path / "calculated.xlsx"
    path.write_bytes(with_formula(form, filled_workbook(form, inputs), CODE, "3+4", "7", link=False))
    report = check_file(path, CheckOptions())
    assert report.figures[CODE] == 7 and not [p for p in problem_at(report, form, CODE) if p[1] != "S1"]


def test_a_figure_from_another_file_keeps_its_saved_result_with_a_warning(tmp_path: Path, form: Form) -> None:
    inputs = consistent_inputs(form, random.Random(1))
    path = tmp_path / "linked.xlsx"
    value = inputs[CODE]
    data = with_formula(form, filled_workbook(form, inputs), CODE, "[1]Sheet1!A1", f"{value:g}", link=True)
    path.write_bytes(data)
    report = check_file(path, CheckOptions())
    ((severity, code, message),) = problem_at(report, form, CODE)
    assert (severity, code) == (WARNING, "EXTERNAL") and report.ok
    assert "引用其他文件" in message and "[1]Sheet1!A1" in message and f"{value:g}" in message
    assert report.figures[CODE] == value


def test_a_figure_from_another_file_without_a_result_is_the_formula_error(tmp_path: Path, form: Form) -> None:
    path = tmp_path / "linked.xlsx"
    data = filled_workbook(form, {**consistent_inputs(form, random.Random(1)), CODE: "='[other.xlsx]Sheet1'!A1"})
    path.write_bytes(data)
    report = check_file(path, CheckOptions())
    ((severity, code, message),) = problem_at(report, form, CODE)
    assert (severity, code) == (ERROR, "NO_RESULT") and "[other.xlsx]Sheet1" in message


def test_looking_for_formulas_reads_each_sheet_once(
    tmp_path: Path, form: Form, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blank workbook has a blank in every input: its sheets' XML is read once each, not once per cell."""
    path = tmp_path / "blank.xlsx"
    path.write_bytes(blank_workbook(form))
    read: list[int] = []
    formulas_in = reading._formulas_in

    def counted(xml: bytes) -> dict:
        read.append(1)
        return formulas_in(xml)

    monkeypatch.setattr(reading, "_formulas_in", counted)
    report = check_file(path, CheckOptions())
    assert report.errors and 0 < len(read) <= len(form.tables)


def test_a_formula_that_gives_an_error_value_is_named_not_called_blank(tmp_path: Path, form: Form) -> None:
    """LibreOffice calculates =1/0 and saves #DIV/0!, which calamine reads as an empty cell."""
    cell = form.cells["T3.R01.C1"]
    sheet_xml = _error_formula_workbook(form, cell)
    path = tmp_path / "div0.xlsx"
    path.write_bytes(sheet_xml)
    report = check_file(path, CheckOptions())
    (problem,) = [p for p in report.errors if p.cell == cell.a1 and p.sheet == cell.sheet]
    assert problem.code == "FORMULA_ERROR" and "#DIV/0!" in problem.message and "=1/0" in problem.message


def _error_formula_workbook(form: Form, cell: Cell) -> bytes:
    """A filled workbook whose cell holds =1/0 with the cached error value, as Excel and LibreOffice save it."""
    data = filled_workbook(form, {code: 0.0 for code in (c.code for c in form.inputs)})
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = f"xl/worksheets/sheet{[t.sheet for t in form.tables].index(cell.sheet) + 2}.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == sheet:
                text = content.decode("utf-8")
                found = re.search(rf'<c r="{cell.a1}"([^>]*?)(/>|>.*?</c>)', text)
                assert found, cell.a1
                style = re.sub(r'\s*t="[^"]*"', "", found[1]).rstrip("/")
                text = text.replace(found[0], f'<c r="{cell.a1}"{style} t="e"><f>1/0</f><v>#DIV/0!</v></c>')
                content = text.encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("openformula", "shown"),
    [
        ("of:=[.B9]+1", "B9+1"),
        ("of:=SUM([.A1:.A3])", "SUM(A1:A3)"),
        ("of:=[Sheet2.A1]*2", "Sheet2!A1*2"),
        ("of:=[$表三.$C$7]-[.D7]", "表三!$C$7-D7"),
        ("of:=[$'附.表'.A1]", "'附.表'!A1"),  # a sheet named with a dot
        ("of:=['It''s.1'.B2:.B3]", "'It''s.1'!B2:B3"),
        ("=1/0", "1/0"),
    ],
)
def test_an_ods_formula_is_shown_as_a_clerk_types_it(openformula: str, shown: str) -> None:
    assert _excel_style(openformula) == shown


def test_an_ods_formula_reading_another_file_is_external() -> None:
    assert CellFormula(_excel_style("of:=['file:///D:/年报/上年.ods'#$Sheet1.A1]"), True).external
    assert not CellFormula(_excel_style("of:=[.A1]+[Sheet2.A1]"), True).external


def test_a_formula_with_character_references_is_quoted_as_typed(tmp_path: Path, form: Form) -> None:
    path = tmp_path / "openpyxl.xlsx"  # openpyxl writes 件 in a formula as &#20214;, other writers may too
    path.write_bytes(filled_workbook(form, {**consistent_inputs(form, random.Random(1)), CODE: '=IF(1,"5件","")'}))
    ((_, code, message),) = problem_at(check_file(path, CheckOptions()), form, CODE)
    assert code == "NO_RESULT" and '“=IF(1,"5件","")”' in message, message
