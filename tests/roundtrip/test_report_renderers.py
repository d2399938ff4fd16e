"""The rendered report opened by real applications: HTML printed by headless Chromium, DOCX converted to
PDF by LibreOffice Writer; the text of both PDFs carries the title, labels and figures (issue 5)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nianbao.form import data_dir
from nianbao.form.spec import Form
from nianbao.operations.report import from_file, render_report
from tests.roundtrip.office import CHROMIUM

FILLED = sorted((data_dir("samples") / "filled").glob("*.xlsx"))[0]


def need(*programs: str) -> None:
    missing = [p for p in programs if not shutil.which(p)]
    if missing:
        reason = (
            f"not installed: {', '.join(missing)} (apt-get install chromium poppler-utils libreoffice-writer-nogui)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def assert_report_text(text: str, form: Form) -> None:
    report = from_file(FILLED)[0]
    flat = "".join(text.split())
    assert report.title in flat
    for title in ("一、总体情况", "三、收到和处理政府信息公开申请情况", "六、其他需要报告的事项"):
        assert title in flat
    for label in ("一、本年新收政府信息公开申请数量", "四、结转下年度继续办理", "行政事业性收费"):
        assert label in flat
    assert report.shown("T2.R06.C1") in flat


def test_html_printed_by_headless_chromium(tmp_path: Path, form: Form) -> None:
    need("chromium", "pdftotext", "pdfinfo")
    page, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    render_report(FILLED, page)
    done = subprocess.run(
        [
            *CHROMIUM,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            "--no-pdf-header-footer",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pdf.is_file(), done.stderr[-2000:]
    assert 2 <= pages(pdf) <= 8
    assert_report_text(pdf_text(pdf), form)


def test_docx_converted_to_pdf_by_libreoffice(tmp_path: Path, form: Form) -> None:
    need("soffice", "pdftotext", "pdfinfo")
    document = tmp_path / "report.docx"
    render_report(FILLED, document)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'lo'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(document),
        ],
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "report.pdf"
    if not pdf.is_file():
        pytest.fail("LibreOffice did not convert the .docx (is libreoffice-writer-nogui installed?)")
    assert 2 <= pages(pdf) <= 10
    assert_report_text(pdf_text(pdf), form)
