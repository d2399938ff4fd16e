"""`nianbao report`: the published report in HTML, Word and Markdown, and text-against-table warnings."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from nianbao.cli import main
from nianbao.collection.workspace import Workspace
from nianbao.form import data_dir
from nianbao.form.drafts import draft
from nianbao.form.review import figure_text
from nianbao.form.spec import Form
from nianbao.operations.merge import merge
from nianbao.operations.report import (
    AnnualReport,
    ReportInputs,
    from_file,
    read_own_text,
    render_report,
    text_warnings,
    to_html,
    to_markdown,
)
from nianbao.problems import NianbaoError

FILLED = sorted((data_dir("samples") / "filled").glob("*.xlsx"))[0]


@pytest.fixture(scope="module")
def sample() -> AnnualReport:
    return from_file(FILLED)[0]


def test_html_has_title_opening_sections_labels_and_figures(sample: AnnualReport, form: Form) -> None:
    page = to_html(sample)
    assert f"<h1>{sample.unit_name}2025年政府信息公开工作年度报告</h1>" in page
    assert "自2025年1月1日起至2025年12月31日止" in page and form.basis in page
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    assert titles == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    for label in form.labels:
        assert f">{label.text}</t" in page.replace("&quot;", '"'), label.text
    shown = dict(re.findall(r'data-code="([^"]+)">([^<]*)<', page))
    assert set(shown) == set(form.cells)
    for code, text in shown.items():
        value = sample.figures[code]
        assert float(text) == pytest.approx(value), code
    assert 'rowspan="22"' in page and 'colspan="7"' in page


def test_docx_reread_by_python_docx(tmp_path: Path, sample: AnnualReport, form: Form) -> None:
    out = tmp_path / "r.docx"
    render_report(FILLED, out)
    doc = Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == sample.title and texts[1] == sample.opening
    assert "一、总体情况" in texts and "六、其他需要报告的事项" in texts
    assert len(doc.tables) == 3
    t3 = doc.tables[1]
    assert len(t3.rows) == 28 and len(t3.columns) == 10
    note = form.labels[[lab.sheet for lab in form.labels].index(form.table("T3").sheet)].text
    assert t3.cell(0, 0).text == note and t3.cell(2, 2).text == note, "the note cell is merged 3 × 3"
    cell = form.cells["T3.R01.C7"]
    assert t3.cell(cell.row - 2, cell.col).text == sample.shown("T3.R01.C7")
    assert doc.sections[0].page_width.mm == pytest.approx(210, abs=0.5)


def test_markdown_for_quick_review(sample: AnnualReport) -> None:
    text = to_markdown(sample)
    assert text.startswith(f"# {sample.title}") and "## 三、收到和处理政府信息公开申请情况" in text
    assert f"| 一、本年新收政府信息公开申请数量 | {sample.shown('T3.R01.C1')} |" in text
    assert "| 项目 | 行政复议·结果维持 |" in text


def test_text_that_contradicts_the_tables_is_warned(sample: AnnualReport) -> None:
    received = sample.figures["T3.R01.C7"]
    texts = {"N1": f"全年共收到政府信息公开申请{int(received) + 3}件。", "N5": "无", "N6": "无其他事项。"}
    report = AnnualReport(sample.form, sample.unit_name, 2025, {**sample.figures, "T3.R01.C7": received}, texts)
    messages = [p.message for p in text_warnings(report)]
    assert any(f"表三新收申请总计为 {received:g} 件" in m for m in messages)
    assert any("五、存在的主要问题及改进情况" in m for m in messages)
    assert any("信息处理费" in m for m in messages)
    assert text_warnings(sample) == []


def test_cli_report_refuses_overwrite_and_other_formats(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert CliRunner().invoke(main, ["report", str(FILLED), "--out", str(out)]).exit_code == 0
    again = CliRunner().invoke(main, ["report", str(FILLED), "--out", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    pdf = CliRunner().invoke(main, ["report", str(FILLED), "--out", str(tmp_path / "r.pdf")])
    assert pdf.exit_code == 1 and ".html" in pdf.output


# -- issue #22: the county's own text, drafts, the signature and the look of a government document ----------------

ROSTER = data_dir("samples") / "zhangwu-county-roster.csv"
OWN_TEXT = data_dir("samples") / "zhangwu-county-own-text.txt"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample county's summary of its 24 townships (a text of its own nobody has written yet)."""
    out = tmp_path_factory.mktemp("county") / "彰武县.xlsx"
    assert merge([data_dir("samples") / "filled"], ROSTER, 2025, out, unit_id="210922", unit_name="彰武县").complete
    return out


def test_what_nobody_wrote_is_drafted_from_the_figures_and_marked(tmp_path: Path, county: Path) -> None:
    page = tmp_path / "r.html"
    rendered = render_report(county, page)
    report = rendered.report
    assert report.drafted == ("N1", "N5", "N6")
    first = report.texts["N1"]
    assert first.startswith("【草稿】") and "所属24个单位" in first
    assert f"本年新收政府信息公开申请{report.shown('T3.R01.C7')}件，" in first  # no year to compare with
    assert f"行政事业性收费{report.shown('T2.R06.C1')}万元" in first and "比上年" not in first
    assert all(report.texts[code].startswith("【草稿】") and "\n【请" in report.texts[code] for code in ("N5", "N6"))
    codes = [p.code for p in rendered.warnings]  # the warnings read what the clerk wrote: nothing
    assert codes.count("TEXT_EMPTY") == 3 and "TEXT_FEE" in codes
    assert '<p class="signature office">彰武县</p>' in page.read_text(encoding="utf-8")


def test_a_draft_compares_with_last_year_and_leaves_out_what_is_blank(form: Form, county: Path) -> None:
    report, _ = from_file(county)
    units = {c.code: c.type.unit for c in form.cells.values()}
    now = report.figures["T3.R01.C7"]
    assert isinstance(now, float)
    last = {"T3.R01.C7": now - 5, "T2.R02.C3": report.figures["T2.R02.C3"], "T4.R01.C5": None}
    text = draft(form.report.draft, "N1", report.figures, units, last, 24)
    assert f"申请{figure_text(now)}件，比上年增加5件" in text and "，与上年持平" in text
    blank = {**report.figures, "T4.R01.C1": None}
    without = draft(form.report.draft, "N1", blank, units, last, None)
    assert "行政复议" not in without and "所属" not in without  # a blank figure, no summary: no sentence


def test_the_countys_own_text_comes_from_a_text_or_word_file(tmp_path: Path, form: Form, county: Path) -> None:
    gbk = tmp_path / "县本级文字.txt"
    gbk.write_bytes(OWN_TEXT.read_text(encoding="utf-8").encode("gbk"))  # Notepad on a Chinese Windows
    texts = read_own_text(gbk, form)
    assert texts["N1"].startswith("2025年，彰武县") and "（一）主动公开" in texts["N1"].splitlines()
    assert texts["N6"] == "本年度未收取信息处理费。无其他需要报告的事项。"
    document = Document()
    for line in ["县本级文字", "总体情况", "全年主动公开政府信息。", "五、存在的主要问题及改进情况", "解读形式单一。"]:
        document.add_paragraph(line)
    word = tmp_path / "县本级文字.docx"
    document.save(str(word))
    assert read_own_text(word, form) == {"N1": "全年主动公开政府信息。", "N5": "解读形式单一。"}
    untitled = tmp_path / "随便写的.txt"
    untitled.write_text("今年工作很好。\n", encoding="utf-8")
    with pytest.raises(NianbaoError) as raised:
        read_own_text(untitled, form)
    assert raised.value.code == "OWN_TEXT_UNTITLED" and "一、总体情况" in str(raised.value)
    done = CliRunner().invoke(
        main, ["report", str(county), "--text", str(word), "--out", str(tmp_path / "r.md"), "--date", "2026-01-15"]
    )
    assert done.exit_code == 0 and "正文取自" in done.output and "六、其他需要报告的事项" in done.output
    written = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "全年主动公开政府信息。" in written and "【草稿】" in written and written.rstrip().endswith("2026年1月15日")


def test_in_a_workspace_the_report_takes_its_text_and_its_office(tmp_path: Path, county: Path) -> None:
    workspace, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, unit_id="210922", unit_name="彰武县")
    workspace.change_settings(office="彰武县人民政府办公室")
    shutil.copyfile(OWN_TEXT, workspace.root / "县本级文字.txt")
    workspace.close()
    out = tmp_path / "r.docx"
    done = CliRunner().invoke(main, ["report", str(county), "-w", str(tmp_path / "ws"), "--out", str(out)])
    assert done.exit_code == 0 and "县本级文字.txt" in done.output and "【草稿】" not in done.output, done.output
    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    assert "（五）监督保障" in paragraphs and not [p for p in paragraphs if "【草稿】" in p]
    assert paragraphs[-2] == "彰武县人民政府办公室" and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", paragraphs[-1])


def test_the_word_document_has_the_look_of_a_government_document(tmp_path: Path, county: Path) -> None:
    out = tmp_path / "r.docx"
    render_report(county, out, inputs=ReportInputs(office="彰武县人民政府", dated=date(2026, 1, 15)))
    doc = Document(str(out))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    looks = {
        "Normal": ("仿宋", 16, False),
        "Title": ("宋体", 22, True),
        "Heading 1": ("黑体", 16, False),
        "Heading 2": ("楷体", 16, False),
        "表格文字": ("宋体", 10.5, False),
    }
    for name, (font, size, bold) in looks.items():
        style = doc.styles[name]
        fonts = style.element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font and fonts.get(qn("w:eastAsiaTheme")) is None, name
        assert style.font.size.pt == size and bool(style.font.bold) == bold, name
    assert doc.styles["Normal"].paragraph_format.first_line_indent.pt == 32
    assert [p.style.name for p in doc.paragraphs[:3]] == ["Title", "Normal", "Heading 1"]
    subheading = next(p for p in doc.paragraphs if p.text.startswith("（二）依申请公开。"))
    assert subheading.runs[0].text == "（二）依申请公开。" and subheading.runs[0].font.name == "楷体"
    assert [p.text for p in doc.paragraphs[-2:]] == ["彰武县人民政府", "2026年1月15日"]
    assert doc.paragraphs[-1].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]._p.xml
    assert "— " in footer and 'w:instr=" PAGE "' in footer
    t2, t3, t4 = doc.tables
    for table in (t2, t3, t4):
        assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    heads = [[row._tr.trPr.find(qn("w:tblHeader")) is not None for row in t.rows] for t in (t2, t3, t4)]
    assert heads[0] == [False] * len(t2.rows)  # a block's header is not the next block's: none repeated
    assert heads[1] == [True] * 3 + [False] * 25 and heads[2] == [True, True, True, False]
