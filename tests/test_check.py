"""`nianbao check` on good files and on a corpus of bad ones: every problem named, the run goes on."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.cli import main
from nianbao.form.rules import with_totals
from nianbao.form.spec import IDENTITY_SHEET, Form, load_form
from nianbao.io.reading import MAX_UNPACKED_BYTES
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckedFile, CheckOptions, check_all, check_file
from tests.conftest import ZHANGWU_2022
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import (
    UNIT,
    blank_workbook,
    edited,
    filled_workbook,
    published_sample_figures,
    workbook_bytes,
    write,
)

FORM_2021 = load_form()


@pytest.fixture(scope="module")
def good(form: Form) -> dict[str, float]:
    return consistent_inputs(form, random.Random(7))


def codes(report: CheckedFile) -> list[str]:
    return [p.code for p in report.problems]


def test_a_consistent_workbook_passes_with_its_figures(tmp_path: Path, form: Form, good: dict) -> None:
    path = write(tmp_path, "ok.xlsx", filled_workbook(form, good, texts={"N1": "总体情况", "F1": "张三"}))
    report = check_file(path, CheckOptions(year=2025, roster={UNIT.unit_id: UNIT}))
    assert report.problems == [] and report.ok
    assert report.figures == with_totals(form.totals, good)
    assert (report.unit_id, report.unit_name, report.year) == (UNIT.unit_id, UNIT.unit_name, 2025)
    assert report.texts["N1"] == "总体情况" and report.texts["F1"] == "张三"


def test_values_typed_wrongly_are_errors_at_their_cells(tmp_path: Path, form: Form, good: dict) -> None:
    typed = {
        **good,
        "T3.R05.C2": "5件",
        "T3.R06.C1": "/",
        "T2.R06.C1": "251000元",
        "T4.R01.C1": None,
        "T3.R01.C1": -2,
        "T3.R03.C3": 1.5,
        "T3.R25.C4": "１２",
    }
    report = check_file(write(tmp_path, "bad.xlsx", filled_workbook(form, typed)), CheckOptions())
    found = {(p.code, p.sheet, p.cell) for p in report.problems}
    where = {code: (form.cells[code].sheet, form.cells[code].a1) for code in typed}
    assert ("TEXT", *where["T3.R05.C2"]) in found and ("TEXT", *where["T3.R06.C1"]) in found
    assert ("TEXT", *where["T2.R06.C1"]) in found and ("BLANK", *where["T4.R01.C1"]) in found
    assert ("NEGATIVE", *where["T3.R01.C1"]) in found and ("FRACTION", *where["T3.R03.C3"]) in found
    assert ("AS_TEXT", *where["T3.R25.C4"]) in found
    problem = next(p for p in report.problems if p.code == "TEXT" and p.cell == form.cells["T3.R05.C2"].a1)
    assert "5件" in problem.message and problem.row_label.endswith("1.属于国家秘密") and "商业企业" in problem.col_label
    assert not report.ok


def test_a_broken_rule_names_the_cell_labels_and_both_figures(tmp_path: Path, form: Form, good: dict) -> None:
    typed = {**good, "T3.R25.C2": good["T3.R25.C2"] + 3}
    report = check_file(write(tmp_path, "s1.xlsx", filled_workbook(form, typed)), CheckOptions())
    s1 = [p for p in report.problems if p.code == "S1"]
    assert {p.cell for p in s1} == {form.cells["T3.R01.C2"].a1, form.cells["T3.R01.C7"].a1}
    p = next(p for p in s1 if p.cell == form.cells["T3.R01.C2"].a1)
    left = good["T3.R01.C2"] + good["T3.R02.C2"]
    assert p.figures == (left, left + 3) and p.severity == "error" and "第一项加第二项之和" in p.message
    assert p.to_json()["left"] == left


def test_p1_is_a_warning_and_does_not_fail_the_file(tmp_path: Path, form: Form, good: dict) -> None:
    report = check_file(write(tmp_path, "p1.xlsx", filled_workbook(form, {**good, "T2.R01.C1": 1})), CheckOptions())
    assert codes(report) == ["P1"] and report.ok


def test_roster_year_and_form_version(tmp_path: Path, form: Form, good: dict) -> None:
    other = Unit("210922999", "邻镇")
    path = write(tmp_path, "x.xlsx", filled_workbook(form, good, unit=other, year=2024))
    report = check_file(path, CheckOptions(year=2025, roster={UNIT.unit_id: UNIT}))
    assert codes(report) == ["YEAR", "NOT_ON_ROSTER"]
    renamed = Unit(UNIT.unit_id, "彰武镇人民政府")
    report = check_file(
        write(tmp_path, "y.xlsx", filled_workbook(form, good, unit=renamed)), CheckOptions(roster={UNIT.unit_id: UNIT})
    )
    assert codes(report) == ["NAME_DIFFERS"] and report.ok


def test_cross_year_checks_with_last_years_workbook(tmp_path: Path, form: Form, good: dict) -> None:
    last = consistent_inputs(form, random.Random(8))
    last_path = write(tmp_path, "last.xlsx", filled_workbook(form, last, year=2024))
    from nianbao.operations.previous import previous_figures

    previous, unusable = previous_figures([last_path])
    assert unusable == [] and set(previous) == {UNIT.unit_id}
    report = check_file(write(tmp_path, "now.xlsx", filled_workbook(form, good)), CheckOptions(previous=previous))
    x1 = {p.cell for p in report.problems if p.code == "X1"}
    last_totals = with_totals(form.totals, last)
    now_totals = with_totals(form.totals, good)
    expected = {
        form.cells[f"T3.R02.C{i}"].a1 for i in range(1, 8) if now_totals[f"T3.R02.C{i}"] != last_totals[f"T3.R25.C{i}"]
    }
    assert x1 == expected and x1
    assert any(p.code == "X2" and p.severity == "warning" for p in report.problems)
    # This year's file given as last year's is refused, not compared with itself.
    same_year, unusable = previous_figures([tmp_path / "now.xlsx"], year=2025)
    assert same_year == {} and "不是上年（2024 年度）" in unusable[0]


# -- the corpus of bad files ---------------------------------------------------------------------------


def _zip_with(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _replace_member(data: bytes, name: str, content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    members[name] = content
    return _zip_with(members)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>"""


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/workbook.xml", b"<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 8):
                member.write(chunk)
    return out.getvalue()


def _other_template() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "表二"
    wb.active.append(["第二十条第（一）项"])
    wb.active.append(["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"])
    return workbook_bytes(wb)


def _inserted_row(form: Form, good: dict) -> bytes:
    return edited(filled_workbook(form, good), lambda wb: wb[form.table("T3").sheet].insert_rows(8))


def _identity_edited(form: Form, good: dict) -> bytes:
    def edit(wb: openpyxl.Workbook) -> None:
        wb[IDENTITY_SHEET]["B4"] = "210922999"  # unit_id in the hidden sheet, not in the properties

    return edited(filled_workbook(form, good), edit)


def _sheet_deleted(form: Form, good: dict) -> bytes:
    return edited(filled_workbook(form, good), lambda wb: wb.remove(wb[form.table("T4").sheet]))


BAD_FILES = {
    "empty.xlsx": (lambda form, good: b"", "EMPTY", "空的"),
    "truncated.xlsx": (lambda form, good: filled_workbook(form, good)[:15000], "DAMAGED", "损坏或不完整"),
    "report.docx.xlsx": (
        lambda form, good: _zip_with({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<T/>"}),
        "WORD_NOT_REPORT",  # read as a Word return (by content, not name): it holds no report
        "Word 文档无法作为年度报告读取",
    ),
    "scan.pdf.xlsx": (lambda form, good: b"%PDF-1.4\n%...", "PDF_DAMAGED", "PDF"),  # read as a report (by content)
    "encrypted.xlsx": (
        lambda form, good: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le"),
        "ENCRYPTED",
        "密码",
    ),
    "bomb.xlsx": (lambda form, good: _bomb(), "BOMB", "压缩炸弹"),
    "xmlbomb.xlsx": (
        lambda form, good: _replace_member(filled_workbook(form, good), "xl/sharedStrings.xml", BILLION_LAUGHS),
        "XML_BOMB",
        "XML 炸弹",
    ),
    "other-template.xlsx": (lambda form, good: _other_template(), "NO_IDENTITY", "不是本工具生成"),
    "inserted-row.xlsx": (_inserted_row, "LAYOUT", "版式被改动"),
    "identity-edited.xlsx": (_identity_edited, "IDENTITY_MISMATCH", "不一致"),
    "sheet-deleted.xlsx": (_sheet_deleted, "MISSING_SHEET", "表四 复议诉讼"),
    "random.xlsx": (
        lambda form, good: bytes(random.Random(1).randrange(256) for _ in range(5000)),
        "NOT_SPREADSHEET",
        "无法识别",
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, form: Form, good: dict) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name, (make, _, _) in BAD_FILES.items():
        (folder / name).write_bytes(make(form, good))
    (folder / "good.xlsx").write_bytes(filled_workbook(form, good, unit=Unit("210922101", "哈尔套镇")))
    return folder


def test_every_bad_file_gets_its_own_clear_error_and_the_run_goes_on(corpus: Path) -> None:
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    reports = {r.path.name: r for r in check_all([corpus])}
    assert set(reports) == set(before)
    for name, (_, code, says) in BAD_FILES.items():
        report = reports[name]
        assert not report.ok, name
        first = report.errors[0]
        assert first.code == code and says in first.message, (name, first)
    assert reports["good.xlsx"].ok and reports["good.xlsx"].problems == []
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before, "inputs must never change"


def test_layout_error_says_what_changed(corpus: Path, form: Form) -> None:
    report = check_file(corpus / "inserted-row.xlsx", CheckOptions())
    (problem,) = report.problems
    assert problem.sheet == form.table("T3").sheet and "应为“" in problem.message and report.figures == {}


def test_cli_summary_json_and_exit_status(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["check", str(corpus), "--json", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"共检查 {len(BAD_FILES) + 1} 个文件" in result.output and "有错误 12 个" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    files = {Path(f["path"]).name: f for f in data["files"]}
    assert files["good.xlsx"]["ok"] and files["good.xlsx"]["unit_id"] == "210922101"
    bad = files["inserted-row.xlsx"]
    assert not bad["ok"] and bad["unit_name"] == UNIT.unit_name and bad["year"] == 2025
    assert {"severity", "code", "sheet", "cell", "message"} <= set(bad["problems"][0])
    good_only = CliRunner().invoke(main, ["check", str(corpus / "good.xlsx")])
    assert good_only.exit_code == 0 and "通过" in good_only.output
    usage = CliRunner().invoke(main, ["check", str(tmp_path / "nothing-here")])
    assert usage.exit_code == 1 and "找不到" in usage.output
    (tmp_path / "empty-dir").mkdir()
    usage = CliRunner().invoke(main, ["check", str(tmp_path / "empty-dir")])
    assert usage.exit_code == 2


def test_published_zhangwu_report_gives_exactly_one_error_for_its_blank_cell(tmp_path: Path, form: Form) -> None:
    figures = published_sample_figures(form, ZHANGWU_2022)
    inputs = {code: v for code, v in figures.items() if code not in form.totals}
    report = check_file(write(tmp_path, "zw.xlsx", filled_workbook(form, inputs, year=2022)), CheckOptions(year=2022))
    (problem,) = report.problems
    assert (problem.code, problem.sheet, problem.cell) == ("BLANK", form.table("T3").sheet, form.cells["T3.R02.C3"].a1)
    assert problem.row_label == "二、上年结转政府信息公开申请数量" and problem.col_label.endswith("科研机构")


def test_blank_workbook_lists_every_blank_cell(tmp_path: Path, form: Form) -> None:
    report = check_file(write(tmp_path, "blank.xlsx", blank_workbook(form)), CheckOptions())
    assert codes(report) == ["BLANK"] * len(form.inputs)


def test_annotated_copies_mark_the_faulty_cells_and_leave_originals_alone(
    tmp_path: Path, form: Form, good: dict
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    typed = {**good, "T3.R05.C2": "5件", "T4.R01.C1": None}
    write(src, "乙镇.xlsx", filled_workbook(form, typed))
    write(src, "good.xlsx", filled_workbook(form, good, unit=Unit("2", "丙镇")))
    write(src, "broken.xlsx", b"PK\x03\x04garbage")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", str(src), "--annotate", str(out)])
    assert (
        result.exit_code == 1 and "已生成 1 份标注副本" in result.output and "broken.xlsx 的标注副本" in result.output
    )
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before
    (copy,) = out.iterdir()
    assert copy.name == "乙镇_问题标注.xlsx"
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == "问题清单" and wb.active.title == "问题清单"
    rows = list(wb["问题清单"].iter_rows(min_row=4, values_only=True))
    assert [(r[1], r[2]) for r in rows] == [
        ("错误", f"{form.table('T3').sheet}!{form.cells['T3.R05.C2'].a1}"),
        ("错误", f"{form.table('T4').sheet}!{form.cells['T4.R01.C1'].a1}"),
    ]
    faulty = wb[form.table("T3").sheet][form.cells["T3.R05.C2"].a1]
    assert faulty.fill.fgColor.rgb.endswith("FFC7CE") and "5件" in faulty.comment.text
    assert wb[form.table("T3").sheet].protection.sheet, "the copy stays protected"
    # The unit fixes the two cells in the copy and sends it back: it passes (the extra sheet is a warning).
    wb[form.table("T3").sheet][form.cells["T3.R05.C2"].a1] = good["T3.R05.C2"]
    wb[form.table("T4").sheet][form.cells["T4.R01.C1"].a1] = good["T4.R01.C1"]
    wb.save(tmp_path / "fixed.xlsx")
    report = check_file(tmp_path / "fixed.xlsx", CheckOptions())
    assert codes(report) == [] and report.ok  # the 问题清单 sheet of a corrected copy is not an extra sheet


def test_wps_style_wrong_dimension_and_a_misleading_file_name(tmp_path: Path, form: Form, good: dict) -> None:
    data = filled_workbook(form, good)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    for name in [n for n in members if n.startswith("xl/worksheets/sheet")]:
        members[name] = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', members[name])
    members["docProps/custom.xml"] = members["docProps/custom.xml"].replace(
        b"</Properties>",
        b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="99" name="KSOProductBuildVer">'
        b'<vt:lpwstr xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">2052-12.1.0'
        b"</vt:lpwstr></property></Properties>",
    )
    path = write(tmp_path, "哈尔套镇2025年报.xlsm", _zip_with(members))
    report = check_file(path, CheckOptions())
    assert report.problems == [] and report.unit_name == UNIT.unit_name
    assert report.figures == with_totals(form.totals, good)


@given(
    st.randoms(use_true_random=False),
    st.sampled_from([c for c in FORM_2021.inputs if c.table == "T3"]),
    st.integers(1, 9),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_single_changed_application_figure_in_a_workbook_is_caught(tmp_path: Path, rng, cell, delta: int) -> None:
    figures = consistent_inputs(FORM_2021, rng)
    path = write(tmp_path, "p.xlsx", filled_workbook(FORM_2021, figures))
    assert check_file(path, CheckOptions()).problems == []
    changed = write(tmp_path, "q.xlsx", filled_workbook(FORM_2021, {**figures, cell.code: figures[cell.code] + delta}))
    caught = {p.code for p in check_file(changed, CheckOptions()).errors}
    assert caught == {"S1"}, cell.code


def test_figures_of_a_million_and_more_are_quoted_whole_never_rounded_to_e_notation(tmp_path: Path, form: Form) -> None:
    figures = {**consistent_inputs(form, random.Random(1)), "T3.R01.C1": 1234567, "T2.R01.C1": 2345678}
    path = tmp_path / "市级.xlsx"  # a city's 行政许可 or new applications run into millions
    path.write_bytes(filled_workbook(form, figures))
    messages = " ".join(p.message for p in check_file(path, CheckOptions()).problems)
    assert "e+0" not in messages and "2345678 ≠ 0" in messages and "1234" in messages, messages
    tiny = tmp_path / "小数.xlsx"
    tiny.write_bytes(filled_workbook(form, {**consistent_inputs(form, random.Random(1)), "T2.R01.C2": "0.00001"}))
    messages = " ".join(p.message for p in check_file(tiny, CheckOptions()).problems)
    assert "0.00001" in messages and "e-05" not in messages, messages
