"""Published reports as PDF (issue 26): a real city's report as published, the tool's own report converted by
LibreOffice Writer with the page breaking at every kind of place in the tables (a merged label cut in two, a row
cut in two, a header repeated on the new page), a scan refused with the reason; a PDF return checked, received
and used as last year's figures like a Word one; and published reports compared with what was approved."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from nianbao.cli import main
from nianbao.collection.mail import parse_mail
from nianbao.collection.workspace import Workspace
from nianbao.form import data_dir
from nianbao.form.spec import Form
from nianbao.io.roster import Unit, read_roster
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.importing import import_report, parse_report, report_lines
from nianbao.operations.merge import merge
from nianbao.operations.previous import previous_figures
from nianbao.operations.report import AnnualReport, to_docx, to_html
from nianbao.problems import NianbaoError
from tests.conftest import REPO
from tests.helpers.figures import consistent_inputs
from tests.helpers.mailbuild import message
from tests.helpers.workbooks import filled_workbook, write_roster

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HUAIAN = REPO / "tests" / "data" / "huaian-city-2024-published-report.pdf"
TRANSCRIBED = REPO / "tests" / "data" / "huaian-city-2024-figures.toml"
ROSTER = data_dir("samples") / "zhangwu-county-roster.csv"
UNIT = Unit("210922101", "哈尔套镇")
TEXTS = {
    "N1": "一是主动公开情况。哈尔套镇及时公开政策文件。\n二是依申请公开情况。全年依法办理申请。",
    "N5": "存在问题：解读形式单一。改进措施：加强培训。",
    "N6": "哈尔套镇2025年未收取信息处理费。",
}
# Blank lines put before table 2: the pages then break in table 3 at a merged label (13: “（四）无法|提供”), in a
# row (4, 6, 16, 18), in the header (23, 24: “自然|人”, “结果|维持”), and after the last row (0).
SHIFTS = (0, 4, 6, 13, 16, 18, 23, 24)


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def transcribed(form: Form) -> dict[str, float]:
    """The hand transcription of the Huaian report's figures, by cell code."""
    data = tomllib.loads(TRANSCRIBED.read_text(encoding="utf-8"))
    figures = {}
    for table, rows in data.items():
        for row, values in rows.items():
            figures.update({f"{table}.{row}.C{i}": float(v) for i, v in enumerate(values, start=1)})
    assert set(figures) == set(form.cells)
    return figures


@pytest.fixture(scope="module")
def values(form: Form) -> dict[str, float]:
    return consistent_inputs(form, random.Random(26))


def writer_pdfs(documents: dict[str, bytes], folder: Path) -> dict[str, Path]:
    """The documents converted to PDF by LibreOffice Writer, in one run."""
    if not shutil.which("soffice"):
        reason = "LibreOffice Writer is not installed (apt-get install libreoffice-writer-nogui)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)
    for name, data in documents.items():
        (folder / f"{name}.docx").write_bytes(data)
    command = ["soffice", f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless", "--convert-to"]
    command += ["pdf", "--outdir", str(folder), *(str(folder / f"{n}.docx") for n in documents)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    pdfs = {name: folder / f"{name}.pdf" for name in documents}
    missing = [p.name for p in pdfs.values() if not p.is_file()]
    assert not missing, f"LibreOffice did not write {missing}: {done.stdout[-500:]} {done.stderr[-500:]}"
    return pdfs


def shifted(data: bytes, blank_lines: int, repeat_headers: bool = False, typo: tuple[str, str] = ("", "")) -> bytes:
    document = Document(io.BytesIO(data))
    for table in document.tables:
        for cell in (c for row in table.rows for c in row.cells):
            for run in (r for p in cell.paragraphs for r in p.runs):
                run.text = run.text.replace(*typo) if typo[0] else run.text
    title = next(p for p in document.paragraphs if p.text.startswith("二、"))
    for _ in range(blank_lines):
        title.insert_paragraph_before("\u3000")
    if repeat_headers:  # Word's “repeat as header row” on the first three rows of tables 3 and 4 (once: the report
        for table in document.tables[1:]:  # marks them itself now, and a second mark makes LibreOffice garble them)
            for row in table.rows[:3]:
                if row._tr.get_or_add_trPr().find(qn("w:tblHeader")) is None:
                    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory, form: Form, values: dict[str, float]) -> dict[str, Path]:
    report = to_docx(AnnualReport(form, UNIT.unit_name, 2025, dict(values), TEXTS))
    documents = {f"shift{n:02d}": shifted(report, n) for n in SHIFTS}
    documents["headers"] = shifted(report, 10, repeat_headers=True)
    documents["typo"] = shifted(report, 0, typo=("2.其他法律行政法规禁止公开", "2.其他法律行政止公开"))
    last_year = {**values, "T3.R25.C1": 7.0}
    documents["last-year"] = to_docx(AnnualReport(form, UNIT.unit_name, 2024, dict(last_year), TEXTS))
    return writer_pdfs(documents, tmp_path_factory.mktemp("writer"))


def test_writer_pdfs_import_to_the_figures_wherever_the_pages_break(
    form: Form, values: dict[str, float], pdfs: dict[str, Path]
) -> None:
    for name, pdf in pdfs.items():
        if name in ("last-year", "typo"):
            continue
        result = parse_report(report_lines(pdf, form), form)
        assert result.problems == [], (name, result.problems)
        assert result.figures == values, name
        assert result.texts == TEXTS, name
    typo = parse_report(report_lines(pdfs["typo"], form), form)
    assert [p.code for p in typo.problems] == ["IMPORT_NEAR"] and typo.figures == values


def test_the_huaian_city_report_imports_to_its_hand_transcription(tmp_path: Path, form: Form) -> None:
    out = tmp_path / "huaian.xlsx"
    result = import_report(HUAIAN, out, "320800", "淮安市", 2024)
    assert result.problems == []
    expected = transcribed(form)
    assert result.figures == {c.code: expected[c.code] for c in form.inputs}
    assert {c: v for c, v in result.published.items() if c in form.totals} == {c: expected[c] for c in form.totals}
    assert result.texts["N1"].startswith("2024年，我市坚持以习近平新时代中国特色社会主义思想为指导")
    assert result.texts["N1"].count("\n") == 5 and "\n（五）政府信息公开监督保障情况。" in result.texts["N1"]
    assert (
        result.texts["N6"]
        == "2024年，市政府严格落实《政府信息公开信息处理费管理办法》，全年收取政府信息公开信息处理费3940元。"
    )
    assert not any(line in result.texts["N5"] for line in ("-5-", "-6-")), "page numbers are not text"
    # A 设区的市 makes 规章: P1 (meant for townships, counties and departments) does not hold for it (issue #22).
    assert {p.code for p in check_file(out, CheckOptions(year=2024)).problems} == set()
    checked = check_file(HUAIAN, CheckOptions(roster={"320800": Unit("320800", "淮安市")}, year=2024))
    assert {p.code for p in checked.problems} == {"WORD_SOURCE"} and checked.unit_id == "320800"
    assert "PDF 文件" in checked.problems[0].message and checked.figures == expected


def test_a_scanned_pdf_is_refused_with_the_reason(tmp_path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(HUAIAN) as pdf:
        pages = [page.to_image(resolution=40).original.convert("RGB") for page in pdf.pages[:3]]
    scan = tmp_path / "扫描件.pdf"
    pages[0].save(scan, save_all=True, append_images=pages[1:])
    with pdfplumber.open(scan) as pdf:
        assert not any(page.chars for page in pdf.pages) and all(page.images for page in pdf.pages)
    with pytest.raises(NianbaoError, match="只有图片"):
        import_report(scan, tmp_path / "x.xlsx", "1", "淮安市", 2024)
    result = run(
        "import", scan, "--unit-id", "1", "--unit-name", "淮安市", "--year", "2024", "--out", tmp_path / "y.xlsx"
    )
    assert result.exit_code == 1 and "扫描件" in result.output and not (tmp_path / "y.xlsx").exists()
    assert [p.code for p in check_file(scan, CheckOptions()).problems] == ["PDF_SCANNED"]
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(HUAIAN.read_bytes()[:5000])
    assert [p.code for p in check_file(damaged, CheckOptions()).problems] == ["PDF_DAMAGED"]


def test_a_pdf_return_is_checked_received_and_mailed_like_a_word_one(
    tmp_path: Path, form: Form, values: dict[str, float], pdfs: dict[str, Path]
) -> None:
    roster = {u.unit_id: u for u in read_roster(ROSTER)}
    checked = check_file(pdfs["shift00"], CheckOptions(roster=roster, year=2025))
    assert [p.code for p in checked.problems] == ["WORD_SOURCE"] and checked.unit_id == UNIT.unit_id
    result = run("check", pdfs["shift04"], "--roster", ROSTER, "--year", "2025")
    assert result.exit_code == 0 and "数字取自 PDF 文件" in result.output
    workspace, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025)
    (received,) = workspace.receive([pdfs["shift13"]])
    assert received.version and received.version.unit_id == UNIT.unit_id
    assert {c: v for c, v in received.version.figures.items() if c in values} == values
    mail = parse_mail(message("hr@town.example", "年报", [("年度报告.pdf", pdfs["shift16"].read_bytes())]).as_bytes())
    assert [d.name for d in mail.documents] == ["年度报告.pdf"]
    # merged like the workbook the report came from
    roster_file = write_roster(tmp_path / "roster.csv", [UNIT, Unit("210922100", "彰武镇")])
    other = next(p for p in (data_dir("samples") / "filled").iterdir() if "210922100" in p.name)
    sums = []
    for name, mine in (
        ("a.xlsx", filled_workbook(form, values, UNIT, texts=TEXTS)),
        ("b.pdf", pdfs["shift18"].read_bytes()),
    ):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(other, folder)
        (folder / name).write_bytes(mine)
        summary = merge([folder], roster_file, 2025, tmp_path / f"{name}.xlsx", unit_id="210922", unit_name="彰武县")
        assert summary.written
        sums.append(summary.sums)
    assert sums[0] == sums[1]


def test_last_years_published_pdf_gives_last_years_figures(form: Form, pdfs: dict[str, Path]) -> None:
    roster = read_roster(ROSTER)
    figures, unusable = previous_figures([pdfs["last-year"]], year=2025, units=roster)
    assert unusable == [] and figures[UNIT.unit_id]["T3.R25.C1"] == 7.0
    same_year, unusable = previous_figures([pdfs["shift00"]], year=2025, units=roster)
    assert same_year == {} and "是 2025 年度的，不是上年（2024 年度）的" in unusable[0]


def test_compare_published_finds_what_changed_between_approval_and_publication(
    tmp_path: Path, form: Form, values: dict[str, float], pdfs: dict[str, Path]
) -> None:
    workspace, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025)
    other = Unit("210922102", "五峰镇")
    approved = tmp_path / "approved"
    approved.mkdir()
    (approved / "哈尔套镇.xlsx").write_bytes(filled_workbook(form, values, UNIT, texts=TEXTS))
    (approved / "五峰镇.xlsx").write_bytes(filled_workbook(form, values, other, texts=TEXTS))
    workspace.receive(sorted(approved.iterdir()))
    published = tmp_path / "published"
    published.mkdir()
    shutil.copy(pdfs["shift00"], published / "哈尔套镇2025年报告.pdf")
    changed = {**values, "T3.R01.C2": values["T3.R01.C2"] + 2}
    page = to_html(AnnualReport(form, "彰武县五峰镇", 2025, dict(changed), TEXTS))
    (published / "五峰镇年报.html").write_text(page, encoding="utf-8")
    out, as_json = tmp_path / "对照.xlsx", tmp_path / "对照.json"
    result = run("compare", published, "-w", workspace.root, "--out", out, "--json", as_json)
    assert result.exit_code == 1, result.output
    assert "✓ 哈尔套镇（210922101）" in result.output and "与计入的第 1 版（已通过）一致" in result.output
    assert "✗ 五峰镇（210922102）" in result.output and "有 2 处不同" in result.output  # the figure and its total
    new = int(changed["T3.R01.C2"])
    assert f"（T3.R01.C2）：报告中 {new}，认可的 {new - 2}" in result.output
    reports = {r["unit_id"]: r for r in json.loads(as_json.read_text(encoding="utf-8"))["reports"]}
    assert reports[UNIT.unit_id]["same"] and reports[UNIT.unit_id]["differences"] == []
    assert reports[UNIT.unit_id]["compared"] == len(form.cells)
    figure, total = reports[other.unit_id]["differences"]
    assert (figure["code"], figure["published"], total["code"]) == ("T3.R01.C2", str(new), "T3.R01.C7")
    assert any(p["code"] == "S1" for p in reports[other.unit_id]["problems"]), "the report's own rules, broken"
    from openpyxl import load_workbook

    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("单位编码", "单位名称", "已发布的报告")
    assert any(r[0] == other.unit_id and r[6] == str(new) for r in rows)
    same = run("compare", published / "哈尔套镇2025年报告.pdf", "-w", workspace.root)
    assert same.exit_code == 0 and "一致 1 份" in same.output
    # Against approved workbooks given instead of a workspace: the units are theirs.
    given = run("compare", published, "--approved", approved)
    assert given.exit_code == 1 and "✓ 哈尔套镇（210922101）：" in given.output and "有 2 处不同" in given.output


def test_a_page_printed_to_pdf_by_chromium_imports(tmp_path: Path, form: Form, values: dict[str, float]) -> None:
    """Chromium's PDF of the web page: other fonts (“⼀” Kangxi radicals for “一”), tables drawn by CSS."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run this test: chromium is not installed")
        pytest.skip("chromium is not installed")
    page = tmp_path / "report.html"
    page.write_text(to_html(AnnualReport(form, UNIT.unit_name, 2025, dict(values), TEXTS)), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    command.append(f"--print-to-pdf={pdf}")
    done = subprocess.run([*command, "--no-pdf-header-footer", page.as_uri()], capture_output=True, timeout=120)
    assert pdf.is_file(), done.stderr[-2000:]
    result = parse_report(report_lines(pdf, form), form)
    assert result.problems == [] and result.figures == values and result.texts == TEXTS
