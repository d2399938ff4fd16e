"""Rows streamed into an XlsxWriter workbook read back the same in openpyxl and python-calamine."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import python_calamine
import xlsxwriter

from nianbao.io.xlsxpatch import Formula, SheetRows, append_rows


def test_streamed_rows_strings_numbers_and_formulas(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    first = wb.add_worksheet("一")
    first.write(0, 0, "彰武镇")  # already in the shared strings: reused, not repeated
    first.write(0, 1, "A&B <公司> 控制\x01字符")  # how XlsxWriter itself stores these characters
    big = wb.add_worksheet("明细")
    big.write_row(0, 0, ["编码", "名称", "数"])
    wb.close()
    rows = [
        ["1", "彰武镇", 3.0],
        ["2", " 前后有空格 ", 0.25],
        ["3", "A&B <公司> 控制\x01字符", None],
        ["合计", "", Formula("SUM(C2:C4)", 3.25)],
    ]
    path = tmp_path / "s.xlsx"
    with path.open("wb") as out:
        append_rows(buffer.getvalue(), {2: SheetRows(1, len(rows), 3, iter(rows))}, out)

    book = openpyxl.load_workbook(path, data_only=True)
    same_as_xlsxwriter = book["一"]["B1"].value
    expected = [
        ("编码", "名称", "数"),
        ("1", "彰武镇", 3),
        ("2", " 前后有空格 ", 0.25),
        ("3", same_as_xlsxwriter, None),
    ]
    assert list(book["明细"].iter_rows(values_only=True)) == [*expected, ("合计", None, 3.25)]
    assert openpyxl.load_workbook(path)["明细"]["C5"].value == "=SUM(C2:C4)"

    calamine = python_calamine.CalamineWorkbook.from_path(str(path))
    rows_read = calamine.get_sheet_by_name("明细").to_python()
    assert rows_read[3][1] == calamine.get_sheet_by_name("一").to_python()[0][1]
    assert [rows_read[i][2] for i in range(1, 5)] == [3, 0.25, "", 3.25]
    with zipfile.ZipFile(path) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
        assert sst.count("<t>彰武镇</t>") == 1 and 'xml:space="preserve"' in sst
        assert sst.count("控制_x0001_字符") == 1, "the same string as XlsxWriter's, stored once"
        assert '<dimension ref="A1:C5"/>' in z.read("xl/worksheets/sheet2.xml").decode()
