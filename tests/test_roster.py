"""Rosters as county offices have them: CSV in UTF-8/GBK, Chinese or English headers, XLSX."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from nianbao.io.roster import read_roster
from nianbao.problems import NianbaoError, RosterError

ROWS = "单位编码,单位名称,类型\n210922100,彰武镇,镇\n210922101,哈尔套镇,镇\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_the_encodings_chinese_excel_writes(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(ROWS.encode(encoding))
    units = read_roster(path)
    assert [(u.unit_id, u.unit_name) for u in units] == [("210922100", "彰武镇"), ("210922101", "哈尔套镇")]
    assert units[0].extra == {"类型": "镇"} and units[1].line == 3 and units[0].kind == "镇"


def test_english_headers_blank_lines_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("\n unit_name , unit_id \n\n 彰武镇 , 001 \n", encoding="utf-8")
    (unit,) = read_roster(path)
    assert (unit.unit_id, unit.unit_name, unit.line) == ("001", "彰武镇", 4)


def test_xlsx_roster_with_numeric_ids(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "单位编码", "联系人"])
    ws.append(["彰武镇", 210922100, "张三"])
    ws.append(["县教育局", "A-01", None])
    wb.save(tmp_path / "r.xlsx")
    units = read_roster(tmp_path / "r.xlsx")
    assert [(u.unit_id, u.unit_name) for u in units] == [("210922100", "彰武镇"), ("A-01", "县教育局")]
    assert units[0].extra == {"联系人": "张三"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("单位编码,单位名称\n1,甲\n2,乙\n1,丙\n", ["第 4 行：单位编码 1 与第 2 行重复"]),
        ("单位编码,单位名称\n1,\n,乙\n", ["第 2 行：单位名称为空", "第 3 行：单位编码为空"]),
        ("编号,名字\n1,甲\n", ["第 1 行（表头）缺少列：unit_id/单位编码、unit_name/单位名称"]),
        ("单位编码,单位名称\n", ["名单里没有任何单位"]),
        ("", ["文件是空的"]),
    ],
)
def test_roster_problems_name_the_line(tmp_path: Path, content: str, expected: list[str]) -> None:
    path = tmp_path / "r.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RosterError) as info:
        read_roster(path)
    assert info.value.problems == expected
    assert "r.csv" in str(info.value)


def test_unknown_encoding_and_formats(tmp_path: Path) -> None:
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes("单位编码,单位名称\n1,甲\n".encode("utf-16"))
    with pytest.raises(RosterError, match="编码"):
        read_roster(utf16)
    doc = tmp_path / "r.docx"
    doc.write_bytes(b"PK\x03\x04")
    with pytest.raises(RosterError, match=r"\.docx"):
        read_roster(doc)
    broken = tmp_path / "r.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(RosterError, match="无法作为 Excel 文件打开"):
        read_roster(broken)
    with pytest.raises(NianbaoError, match="找不到"):
        read_roster(tmp_path / "missing.csv")


TITLE = "彰武县2025年政府信息公开年报报送单位名单"


def test_xlsx_roster_with_a_title_above_the_header(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = TITLE
    ws.merge_cells("A1:C1")
    ws.append([])  # row 2 stays blank
    ws["A3"], ws["B3"], ws["C3"] = "序号", "单位编码", "单位名称"
    ws.append([1, 210922100, "彰武镇"])
    ws.append([2, 210922101, None])
    wb.save(tmp_path / "r.xlsx")
    with pytest.raises(RosterError) as caught:
        read_roster(tmp_path / "r.xlsx")
    assert caught.value.problems == ["第 5 行：单位名称为空"]  # line numbers are the sheet's rows
    ws["C5"] = "哈尔套镇"
    wb.save(tmp_path / "r.xlsx")
    units = read_roster(tmp_path / "r.xlsx")
    assert [(u.unit_id, u.unit_name, u.line) for u in units] == [
        ("210922100", "彰武镇", 4),
        ("210922101", "哈尔套镇", 5),
    ]
    assert units[0].extra == {"序号": "1"}


def test_csv_roster_with_a_title_and_a_date_above_the_header(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        f"{TITLE},,\n制表日期：2026年1月5日,,\n\n单位编码,单位名称,类型\n210922100,彰武镇,镇\n", encoding="utf-8"
    )
    (unit,) = read_roster(path)
    assert (unit.unit_id, unit.unit_name, unit.line) == ("210922100", "彰武镇", 5)


def test_a_header_missing_a_column_below_a_title_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"{TITLE}\n\n单位编码,名字\n1,甲\n", encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert caught.value.problems == ["第 3 行（表头）缺少列：unit_name/单位名称"]


@pytest.mark.parametrize(
    ("code", "says"), [("2.10922E+11", "科学计数法"), ("210922103.5", "带小数"), ("2.1e11", "科学计数法")]
)
def test_codes_excel_has_mangled_are_refused(tmp_path: Path, code: str, says: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"单位编码,单位名称\n{code},彰武镇\n210922101,哈尔套镇\n", encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"第 2 行：单位编码“{code}”") and says in problem


def test_a_date_or_truth_value_where_a_code_should_be_is_refused(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["单位编码", "单位名称"])
    wb.active.append([datetime(2025, 1, 2), "彰武镇"])
    wb.active.append([True, "哈尔套镇"])
    wb.save(tmp_path / "r.xlsx")
    with pytest.raises(RosterError) as caught:
        read_roster(tmp_path / "r.xlsx")
    assert len(caught.value.problems) == 2 and all("日期或逻辑值" in p for p in caught.value.problems)


@pytest.mark.parametrize("separator", ["\t", ";"])
def test_a_roster_copied_out_of_excel_with_tabs_or_semicolons_is_read(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "r.txt"
    path.write_text(f"单位编码{separator}单位名称\n210922100{separator}彰武镇\n", encoding="utf-8")
    assert [(u.unit_id, u.unit_name) for u in read_roster(path)] == [("210922100", "彰武镇")]


def test_an_xlsx_roster_whose_list_is_not_on_the_first_sheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本名单由县政务公开办整理，2025 年 12 月"
    listed = wb.create_sheet("名单")
    listed.append(["单位编码", "单位名称"])
    listed.append(["210922100", "彰武镇"])
    wb.save(tmp_path / "名单.xlsx")
    assert [u.unit_name for u in read_roster(tmp_path / "名单.xlsx")] == ["彰武镇"]
    del wb["名单"]
    wb.create_sheet("Sheet2")["A1"] = "单位名称"
    wb.save(tmp_path / "无表头.xlsx")
    with pytest.raises(RosterError) as refused:
        read_roster(tmp_path / "无表头.xlsx")
    assert "工作表“说明”" in str(refused.value) and "缺少列" in str(refused.value)


def test_codes_that_differ_only_in_full_width_digits_or_spaces_are_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    lines = ["单位编码,单位名称", "２１０９２２１００,彰武镇", "210922100,彰武镇", "2109 22101,甲", "210922101,乙"]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(RosterError) as refused:
        read_roster(path)
    problems = str(refused.value)
    assert "第 3 行：单位编码 210922100 与第 2 行" in problems and "第 5 行：单位编码 210922101 与第 4 行" in problems


def test_columns_with_the_same_header_or_none_keep_their_values(tmp_path: Path) -> None:
    """A roster with two 邮箱 columns (the office's and a person's) or a phone number under no header: each
    value is kept (the first column keeps its name), so no address or contact is lost."""
    path = tmp_path / "名单.csv"
    path.write_text("单位编码,单位名称,邮箱,邮箱,,联系人,\n1,甲镇,a@a.cn,b@a.cn,13800000001,张三,\n", encoding="utf-8")
    (unit,) = read_roster(path)
    assert unit.extra == {"邮箱": "a@a.cn", "邮箱（2）": "b@a.cn", "第5列": "13800000001", "联系人": "张三"}
