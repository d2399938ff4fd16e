"""`nianbao report`: the published report in HTML, Word and Markdown, and text-against-table warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from nianbao.cli import main
from nianbao.form import data_dir
from nianbao.form.spec import Form
from nianbao.operations.report import AnnualReport, from_file, render_report, text_warnings, to_html, to_markdown

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
