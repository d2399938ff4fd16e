"""Returns in Word (issue 14, part 1): an annual report written in the official Word template is imported, and
checked, merged and received like a workbook once its unit is known (--unit-id, or the title's unit name matched
to the roster), with a warning that its figures came from a Word document. Documents are made by python-docx
(the tool's own Word report, and hand-made variants) and by LibreOffice Writer (a real application)."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.cli import main
from nianbao.collection.mail import RawMail
from nianbao.collection.reply import draft_replies
from nianbao.collection.workspace import NEW, PASSED, REFUSED, TO_VERIFY, Workspace
from nianbao.form import data_dir
from nianbao.form.spec import Form, load_form
from nianbao.io.roster import Unit, read_roster
from nianbao.io.word import word_lines
from nianbao.operations.check import CheckedFile, CheckOptions, check_all, check_file
from nianbao.operations.importing import import_report, match_unit, parse_report
from nianbao.operations.merge import merge
from nianbao.operations.report import AnnualReport, render_report, to_docx, to_html
from nianbao.problems import ERROR, WARNING, NianbaoError
from tests.helpers.figures import consistent_inputs
from tests.helpers.mailbuild import message
from tests.helpers.workbooks import filled_workbook, write_roster

SAMPLES = data_dir("samples")
ROSTER = SAMPLES / "zhangwu-county-roster.csv"
UNIT = Unit("210922101", "哈尔套镇")
TEXTS = {
    "N1": "一是主动公开情况。哈尔套镇及时公开政策文件。\n二是依申请公开情况。全年依法办理申请。",
    "N5": "存在问题：解读形式单一。改进措施：加强培训。",
    "N6": "哈尔套镇2025年未收取信息处理费。",
}


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def roster() -> dict[str, Unit]:
    return {u.unit_id: u for u in read_roster(ROSTER)}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, form: Form) -> Path:
    """The unit's workbook: every figure different from its neighbours, so that a misplaced one shows."""
    values = consistent_inputs(form, random.Random(14))
    path = tmp_path_factory.mktemp("source") / "哈尔套镇.xlsx"
    path.write_bytes(filled_workbook(form, values, UNIT, texts=TEXTS))
    return path


@pytest.fixture(scope="module")
def workbook(source: Path) -> CheckedFile:
    checked = check_file(source, CheckOptions())
    assert checked.problems == [] and sum(1 for v in checked.figures.values() if v) > 100
    return checked


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory, source: Path) -> Path:
    """The official template's form: the tool's own Word report of the workbook (python-docx, merged headers)."""
    path = tmp_path_factory.mktemp("docx") / "哈尔套镇2025年报告.docx"
    render_report(source, path)
    return path


def inputs_of(checked: CheckedFile, form: Form) -> dict[str, float | None]:
    return {c.code: checked.figures[c.code] for c in form.inputs}


def docx_of(form: Form, figures: dict[str, float | str | None], unit: str = "哈尔套镇", year: int = 2025) -> bytes:
    return to_docx(AnnualReport(form, unit, year, figures, TEXTS))


def edited_docx(data: bytes, edit: Callable[[object], None]) -> bytes:
    document = Document(io.BytesIO(data))
    edit(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def replace_text(document: object, old: str, new: str) -> None:
    """Replace ``old`` in every paragraph of the body and of the tables' cells (merged cells repeat: harmless)."""
    paragraphs = list(document.paragraphs)  # type: ignore[attr-defined]
    for table in document.tables:  # type: ignore[attr-defined]
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for paragraph in paragraphs:
        for run_ in paragraph.runs:
            run_.text = run_.text.replace(old, new)


# -- the document read as lines ------------------------------------------------------------------------

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_with_body(body: str, types: str = "<Types/>") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("word/document.xml", f"<w:document {W}><w:body>{body}</w:body></w:document>")
    return out.getvalue()


def cell(text: str, props: str = "") -> str:
    paragraphs = "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in text.split("|")) if text else "<w:p/>"
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{paragraphs}</w:tc>"


def test_merged_cells_come_once_where_they_start_and_empty_cells_stay_empty() -> None:
    restart, going_on = '<w:vMerge w:val="restart"/>', "<w:vMerge/>"
    span, old_start, old_going_on = '<w:gridSpan w:val="2"/>', '<w:hMerge w:val="restart"/>', "<w:hMerge/>"
    body = (
        "<w:p><w:r><w:t>标题</w:t></w:r><w:r><w:br/></w:r><w:r><w:t>第二行</w:t></w:r></w:p>"
        "<w:p/>"  # an empty paragraph is no line
        "<w:tbl>"
        f"<w:tr>{cell('纵向合并', restart)}{cell('横向合并', span)}</w:tr>"
        f"<w:tr>{cell('', going_on)}{cell('1')}{cell('')}</w:tr>"
        f"<w:tr>{cell('旧式|合并', old_start)}{cell('', old_going_on)}{cell('2')}</w:tr>"
        "<w:sdt><w:sdtContent><w:tr>"  # a row inside a content control
        f"{cell('3')}<w:sdt><w:sdtContent>{cell('4')}</w:sdtContent></w:sdt>{cell('5')}"
        "</w:tr></w:sdtContent></w:sdt>"
        "</w:tbl>"
        "<w:p><w:del><w:r><w:delText>删掉的</w:delText></w:r></w:del><w:ins><w:r><w:t>加上的</w:t></w:r></w:ins></w:p>"
    )
    lines = [line for line in word_lines(docx_with_body(body)) if line]
    assert lines == ["标题\n第二行", "纵向合并", "横向合并", "1", "\xa0", "旧式\n合并", "2", "3", "4", "5", "加上的"]


def test_a_hostile_or_damaged_word_file_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = docx_with_body("", types='<!DOCTYPE x [<!ENTITY a "aaaa">]><Types>&a;</Types>')
    truncated = docx_with_body("<w:p/>" * 500)[:-40]
    for data, says in ((bomb, "XML 炸弹"), (truncated, "损坏")):
        path = tmp_path / "r.docx"
        path.write_bytes(data)
        checked = check_file(path, CheckOptions())
        assert [p.severity for p in checked.problems] == [ERROR] and says in checked.problems[0].message
        with pytest.raises(NianbaoError, match=says):
            import_report(path, tmp_path / "out.xlsx", "1", "甲", 2025)


# -- python-docx documents: the tool's own Word report and hand-made variants ----------------------------


def test_the_official_template_form_imports_to_the_workbook_figures(
    tmp_path: Path, form: Form, official: Path, workbook: CheckedFile
) -> None:
    out = tmp_path / "imported.xlsx"
    result = import_report(official, out, UNIT.unit_id, UNIT.unit_name, 2025)
    assert result.problems == []
    assert result.figures == inputs_of(workbook, form)
    assert result.texts == TEXTS
    again = check_file(out, CheckOptions(year=2025))
    assert again.problems == [] and again.figures == workbook.figures


def test_check_reads_a_word_return_of_a_roster_unit_and_says_where_its_figures_came_from(
    form: Form, official: Path, workbook: CheckedFile, roster: dict[str, Unit]
) -> None:
    checked = check_file(official, CheckOptions(roster=roster, year=2025))
    assert (checked.unit_id, checked.unit_name, checked.year) == (UNIT.unit_id, UNIT.unit_name, 2025)
    (warning,) = checked.problems
    assert (warning.severity, warning.code) == (WARNING, "WORD_SOURCE")
    assert "数字取自 Word 文档" in warning.message and "按标题中的“哈尔套镇”" in warning.message
    assert dict(checked.figures) == dict(workbook.figures)
    assert {code: checked.texts[code] for code in TEXTS} == TEXTS


def test_without_a_roster_the_unit_must_be_given(form: Form, official: Path, workbook: CheckedFile) -> None:
    unknown = check_file(official, CheckOptions(year=2025))
    assert [p.code for p in unknown.errors] == ["WORD_NO_UNIT"] and "指定单位编码" in unknown.errors[0].message
    given = check_file(official, CheckOptions(year=2025, unit_id=UNIT.unit_id))
    assert given.errors == [] and given.unit_id == UNIT.unit_id and given.figures == workbook.figures
    assert "按指定的单位编码" in given.warnings[0].message


FORM = load_form()


def typed(decimals: int) -> st.SearchStrategy[float | str | None]:
    """What a unit may leave in a cell of a Word table: nothing, a number, or text that is not one."""
    number = st.integers(0, 10**8).map(lambda n: n / 10**decimals) if decimals else st.integers(0, 10**6).map(float)
    return st.one_of(st.none(), number, st.sampled_from(["/", "—", "无", "5件", "1,5", "0.5万元"]))


@cache
def placeholders() -> bytes:
    """The Word report with a mark in every figure's cell (rendering a document per example is slow)."""
    return docx_of(FORM, {c.code: f"§{c.code}§" for c in FORM.inputs})


def filled_in(figures: dict[str, float | str | None]) -> bytes:
    shown = AnnualReport(FORM, "哈尔套镇", 2025, figures, TEXTS).shown
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(placeholders())) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                for code in figures:
                    text = text.replace(f"§{code}§", shown(code))
                data = text.encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({c.code: typed(c.type.decimals) for c in FORM.inputs}))
def test_every_cell_of_a_word_table_comes_back_as_typed(figures: dict[str, float | str | None]) -> None:
    result = parse_report(word_lines(filled_in(figures)), FORM)
    assert result.problems == [] and result.figures == figures


def test_blank_cells_stay_blank_and_text_is_never_read_as_a_number(
    tmp_path: Path, form: Form, workbook: CheckedFile
) -> None:
    figures: dict[str, float | str | None] = {**inputs_of(workbook, form)}
    figures.update({"T3.R02.C3": None, "T4.R01.C1": None, "T2.R04.C1": "5件", "T3.R13.C1": "1,5", "T3.R14.C1": "1,234"})
    path = tmp_path / "r.docx"
    path.write_bytes(docx_of(form, figures))
    imported = import_report(path, tmp_path / "r.xlsx", UNIT.unit_id, UNIT.unit_name, 2025)
    assert imported.figures["T3.R02.C3"] is None and imported.figures["T4.R01.C1"] is None
    assert imported.figures["T3.R13.C1"] == "1,5", "a comma that may be a decimal point is not 15"
    assert imported.figures["T3.R14.C1"] == 1234.0
    checked = check_file(path, CheckOptions(unit_id=UNIT.unit_id, year=2025))
    found = {(p.code, p.cell) for p in checked.errors}
    cells = {code: form.cells[code].a1 for code in figures}
    assert {("BLANK", cells["T3.R02.C3"]), ("BLANK", cells["T4.R01.C1"])} <= found
    assert ("TEXT", cells["T2.R04.C1"]) in found and ("COMMA", cells["T3.R13.C1"]) in found
    assert checked.figures["T3.R02.C3"] is None  # blank is not zero


def test_label_variants_and_broken_titles_in_word(
    tmp_path: Path, form: Form, workbook: CheckedFile, roster: dict[str, Unit]
) -> None:
    def vary(document: object) -> None:
        replace_text(document, "1.属于国家秘密", "1、属于国家秘密")
        replace_text(document, "（一）予以公开", "(一)予以公开")
        replace_text(document, "现行有效件数", "现行有效件")
        replace_text(document, "本年收费金额（单位：万元）", "本年收费金额（万元）")
        title = document.paragraphs[0]  # type: ignore[attr-defined]
        title.runs[0].text = "彰武县哈尔套镇"  # the county's name before the township's, and the title broken
        title.insert_paragraph_before("附件 2")
        title.add_run().add_break()
        title.add_run("2025年政府信息公开工作年度报告")

    data = edited_docx(docx_of(form, {**inputs_of(workbook, form)}), vary)
    path = tmp_path / "varied.docx"
    path.write_bytes(data)
    checked = check_file(path, CheckOptions(roster=roster, year=2025))
    assert [p.code for p in checked.problems] == ["WORD_SOURCE"] and checked.unit_id == UNIT.unit_id
    assert "“彰武县哈尔套镇”" in checked.problems[0].message
    assert checked.figures == workbook.figures


def test_what_cannot_be_placed_is_an_error_not_a_guess(
    tmp_path: Path, form: Form, workbook: CheckedFile, roster: dict[str, Unit]
) -> None:
    data = edited_docx(docx_of(form, {**inputs_of(workbook, form)}), lambda d: replace_text(d, "2.重复申请", "2.重复"))
    path = tmp_path / "r.docx"
    path.write_bytes(data)
    checked = check_file(path, CheckOptions(roster=roster, year=2025))
    assert [p.code for p in checked.errors] == ["IMPORT_UNEXPECTED"] and "2.重复申请" in checked.errors[0].message
    assert checked.figures["T3.R17.C1"] is None and checked.figures["T4.R01.C1"] == workbook.figures["T4.R01.C1"]


def test_a_2019_format_document_is_refused_but_filed_under_its_unit(
    tmp_path: Path, form: Form, workbook: CheckedFile, roster: dict[str, Unit]
) -> None:
    data = edited_docx(
        docx_of(form, {**inputs_of(workbook, form)}), lambda d: replace_text(d, "本年制发件数", "本年新制作数量")
    )
    path = tmp_path / "2019.docx"
    path.write_bytes(data)
    with pytest.raises(NianbaoError, match="旧格式"):
        import_report(path, tmp_path / "x.xlsx", UNIT.unit_id, UNIT.unit_name, 2025)
    assert not (tmp_path / "x.xlsx").exists()
    checked = check_file(path, CheckOptions(roster=roster, year=2025))
    assert [p.code for p in checked.problems] == ["WORD_NOT_REPORT"] and "旧格式" in checked.problems[0].message
    assert checked.unit_id == UNIT.unit_id and not checked.figures


def test_the_year_and_the_roster_are_checked_as_for_a_workbook(
    tmp_path: Path, form: Form, workbook: CheckedFile, roster: dict[str, Unit]
) -> None:
    path = tmp_path / "r.docx"
    path.write_bytes(docx_of(form, {**inputs_of(workbook, form)}, unit="哈尔套", year=2024))
    checked = check_file(path, CheckOptions(roster=roster, year=2025))
    assert {p.code for p in checked.errors} == {"WORD_NO_UNIT", "YEAR"}
    assert "“哈尔套”与名单上的单位名称都对不上" in checked.errors[0].message
    wrong = check_file(path, CheckOptions(roster=roster, unit_id="210922999", year=2024))
    assert [p.code for p in wrong.errors] == ["NOT_ON_ROSTER"]
    other = check_file(path, CheckOptions(roster=roster, unit_id="210922100", year=2024))
    assert other.errors == [] and "WORD_NAME_DIFFERS" in {p.code for p in other.warnings}


def test_title_names_are_matched_to_the_roster_without_choosing_between_candidates() -> None:
    units = [Unit("1", "彰武镇"), Unit("2", "彰武县彰武镇街道"), Unit("3", "大德乡"), Unit("4", "大德乡")]
    assert [u.unit_id for u in match_unit("彰武县彰武镇", units)] == ["1"]
    assert [u.unit_id for u in match_unit("彰武镇街道", units)] == ["2"]
    assert [u.unit_id for u in match_unit("大德乡", units)] == ["3", "4"], "two units: ambiguous, not chosen"
    assert match_unit("镇", units) == [] and match_unit("哈尔套镇", units) == []


def test_merge_takes_a_word_return_like_the_workbook_it_came_from(
    tmp_path: Path, form: Form, source: Path, official: Path
) -> None:
    roster = write_roster(tmp_path / "roster.csv", [UNIT, Unit("210922100", "彰武镇")])
    other = next(p for p in (SAMPLES / "filled").iterdir() if "210922100" in p.name)
    with_workbook, with_word = tmp_path / "a", tmp_path / "b"
    for folder, mine in ((with_workbook, source), (with_word, official)):
        folder.mkdir()
        shutil.copy(other, folder)
        shutil.copy(mine, folder)
    a = merge([with_workbook], roster, 2025, tmp_path / "a.xlsx", unit_id="210922", unit_name="彰武县")
    b = merge([with_word], roster, 2025, tmp_path / "b.xlsx", unit_id="210922", unit_name="彰武县")
    assert a.written and b.written and a.sums == b.sums


def test_cli_check_and_import_of_a_word_return(tmp_path: Path, official: Path, source: Path) -> None:
    result = run("check", official, "--roster", ROSTER, "--year", 2025)
    assert result.exit_code == 0 and "数字取自 Word 文档" in result.output and "哈尔套镇" in result.output
    result = run("check", official, "--unit-id", UNIT.unit_id, "--year", 2025)
    assert result.exit_code == 0 and "按指定的单位编码" in result.output
    result = run("check", official, source, "--unit-id", UNIT.unit_id)
    assert result.exit_code == 2 and "--unit-id 只能用于检查一个 Word 文档" in result.output
    out = tmp_path / "imported.xlsx"
    result = run(
        "import", official, "--unit-id", UNIT.unit_id, "--unit-name", UNIT.unit_name, "--year", 2025, "--out", out
    )
    assert result.exit_code == 0 and out.is_file()


# -- the workspace -------------------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, deadline="2026-01-20", unit_id="210922", unit_name="彰武县")
    return ws


def test_receive_files_a_word_return_under_the_unit_its_title_names(
    workspace: Workspace, official: Path, workbook: CheckedFile
) -> None:
    (received,) = workspace.receive([official])
    assert received.outcome == NEW and received.version and received.version.unit_id == UNIT.unit_id
    assert received.version.version == 1 and received.state and received.state.state == TO_VERIFY
    assert {c: v for c, v in received.version.figures.items()} == dict(workbook.figures)
    workspace.accept(UNIT.unit_id, "已与单位电话核对 Word 文档中的数字", rule="WORD_SOURCE")
    assert workspace.state_of(UNIT.unit_id).state == PASSED


def test_a_word_return_the_title_does_not_identify_is_kept_and_can_be_given_its_unit(
    tmp_path: Path, form: Form, workspace: Workspace, workbook: CheckedFile
) -> None:
    path = tmp_path / "报告.docx"
    path.write_bytes(docx_of(form, {**inputs_of(workbook, form)}, unit="本镇"))
    (first,) = workspace.receive([path])
    assert first.version and first.version.version is None and len(workspace.status().unidentified) == 1
    result = run("receive", path, "--unit-id", UNIT.unit_id, "-w", workspace.root)
    assert result.exit_code == 0, result.output
    state = workspace.state_of(UNIT.unit_id)
    assert state.counted and state.counted.version == 1 and state.counted.id == first.version.id
    assert state.counted.received_at == first.version.received_at and workspace.status().unidentified == []
    assert dict(state.counted.figures) == dict(workbook.figures)


def test_a_word_report_mailed_without_a_workbook_is_the_return(
    workspace: Workspace, official: Path, source: Path, workbook: CheckedFile
) -> None:
    report = ("年度报告.docx", official.read_bytes())
    notice = ("会议通知.docx", docx_with_body("<w:p><w:r><w:t>关于召开会议的通知</w:t></w:r></w:p>"))
    alone = message("<het@town.example>", "年度报告", [report, notice]).as_bytes()
    both = message("<het@town.example>", "统计表和报告", [("统计表.xlsx", source.read_bytes()), report]).as_bytes()
    (first,) = workspace.receive_mail([RawMail("alone.eml", alone)])
    taken = {f.path.name: f for f in first.files}
    assert taken["年度报告.docx"].outcome == NEW and taken["年度报告.docx"].version
    assert taken["年度报告.docx"].version.unit_id == UNIT.unit_id  # by the title, matched to the roster
    assert taken["会议通知.docx"].outcome == REFUSED and "不是名单上单位的年度报告" in taken["会议通知.docx"].reason
    assert workspace.status().without_workbook == []
    # With the workbook in the same message the Word copy is only an attachment: one version, the workbook's.
    (second,) = workspace.receive_mail([RawMail("both.eml", both)])
    assert [f.path.name for f in second.files] == ["统计表.xlsx"] and "年度报告.docx" in second.mail.others
    state = workspace.state_of(UNIT.unit_id)
    assert state.versions == 2 and state.counted and state.counted.name == "统计表.xlsx"


# -- LibreOffice Writer ------------------------------------------------------------------------------


def soffice_to_docx(source: Path, tmp_path: Path) -> Path:
    """``source`` (HTML, or a .docx) opened in LibreOffice Writer and saved as Word 2007 .docx."""
    if not shutil.which("soffice"):
        reason = "LibreOffice Writer is not installed (apt-get install libreoffice-writer-nogui)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)
    out_dir = tmp_path / "writer"
    command = [
        "soffice",
        f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
        "--headless",
        "--convert-to",
        "docx:MS Word 2007 XML",
        "--outdir",
        str(out_dir),
        str(source),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    target = out_dir / (source.stem + ".docx")
    if not target.is_file():
        pytest.fail(f"LibreOffice did not write {target.name}: {done.stdout[-1000:]} {done.stderr[-1000:]}")
    return target


def test_a_report_written_by_libreoffice_writer_imports_to_the_workbook_figures(
    tmp_path: Path, form: Form, source: Path, workbook: CheckedFile, roster: dict[str, Unit]
) -> None:
    page = tmp_path / "哈尔套镇2025年报告.html"
    result = run("report", source, "--out", page)
    assert result.exit_code == 0, result.output
    written = soffice_to_docx(page, tmp_path)
    with zipfile.ZipFile(written) as z:
        xml = z.read("word/document.xml")
    assert b"LibreOffice" in zipfile.ZipFile(written).read("docProps/app.xml")
    assert b'w:vMerge w:val="restart"' in xml and b"w:gridSpan" in xml, "merged cells as Writer writes them"
    imported = import_report(written, tmp_path / "imported.xlsx", UNIT.unit_id, UNIT.unit_name, 2025)
    assert imported.problems == [] and imported.figures == inputs_of(workbook, form) and imported.texts == TEXTS
    checked = check_file(written, CheckOptions(roster=roster, year=2025))
    assert [p.code for p in checked.problems] == ["WORD_SOURCE"] and checked.figures == workbook.figures


def test_blank_cells_in_a_writer_document_stay_blank(tmp_path: Path, form: Form, workbook: CheckedFile) -> None:
    figures: dict[str, float | str | None] = {**inputs_of(workbook, form), "T3.R02.C3": None, "T2.R05.C1": None}
    page = tmp_path / "blank.html"
    page.write_text(to_html(AnnualReport(form, "哈尔套镇", 2025, figures, TEXTS)), encoding="utf-8")
    written = soffice_to_docx(page, tmp_path)
    result = parse_report(word_lines(written.read_bytes()), form)
    assert result.problems == [] and result.figures == figures


def test_the_tools_word_report_resaved_by_writer_passes_receive_into_its_unit(
    tmp_path: Path, official: Path, workbook: CheckedFile, workspace: Workspace
) -> None:
    copy = tmp_path / "resaved.docx"
    shutil.copy(official, copy)
    resaved = soffice_to_docx(copy, tmp_path)
    assert resaved.read_bytes() != official.read_bytes()
    (received,) = workspace.receive([resaved])
    assert received.version and received.version.unit_id == UNIT.unit_id and received.version.version == 1
    assert dict(received.version.figures) == dict(workbook.figures)
    problems = check_all([resaved], CheckOptions(roster={UNIT.unit_id: UNIT}, year=2025))[0].problems
    assert [p.code for p in problems] == ["WORD_SOURCE"]


def test_a_word_return_whose_only_warning_is_for_the_clerk_needs_no_reply(workspace: Workspace, official: Path) -> None:
    workspace.receive([official])
    state = workspace.state_of(UNIT.unit_id)
    assert state.state == TO_VERIFY and {w.code for w in state.open_warnings} == {"WORD_SOURCE"}
    assert UNIT.unit_id not in {r.unit_id for r in draft_replies(workspace).replies}


def test_a_mistyped_unit_id_receives_nothing(tmp_path: Path, workspace: Workspace, official: Path) -> None:
    result = run("receive", official, "--unit-id", "999", "-w", workspace.root)
    assert result.exit_code == 1 and "名单上没有编码为“999”的单位" in result.output
    assert workspace.db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0


def test_a_word_return_given_its_unit_keeps_it_when_last_years_figures_arrive(
    tmp_path: Path, form: Form, workspace: Workspace, workbook: CheckedFile
) -> None:
    path = tmp_path / "报告.docx"
    path.write_bytes(docx_of(form, {**inputs_of(workbook, form)}, unit="本镇"))
    workspace.receive([path], unit_id=UNIT.unit_id)
    last = tmp_path / "去年.xlsx"
    last.write_bytes(filled_workbook(form, inputs_of(workbook, form), UNIT, year=2024))
    workspace.set_previous([last])
    counted = workspace.state_of(UNIT.unit_id).counted
    assert counted is not None and counted.unit_id == UNIT.unit_id
    errors = {p.code for p in counted.problems if p.severity == ERROR}
    assert errors and not any(code.startswith("WORD_") for code in errors), errors  # X1 and the like: checked
