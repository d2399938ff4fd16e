"""What the county hands in, printed (issue #22): the demo round's county report (Word), its summary workbook and
its 报送情况表, converted to PDF by LibreOffice once for the module, then read back with pdftotext and pdfinfo."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.operations.demo import COUNTY_NAME, ROUND, YEAR, run_demo
from tests.roundtrip.test_report_renderers import need, pages

UNIT_NAMES = ("彰武镇", "西六家子蒙古族满族乡", "大德乡")  # the first, the longest and the last of the roster


@dataclass
class Printed:
    folder: Path
    pdfs: dict[str, Path]

    def pages(self, name: str) -> list[str]:
        """Each page's text (pdftotext -layout)."""
        done = subprocess.run(["pdftotext", "-layout", str(self.pdfs[name]), "-"], capture_output=True, text=True)
        return done.stdout.split("\f")[:-1]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    need("soffice", "pdftotext", "pdfinfo")
    folder = tmp_path_factory.mktemp("printed")
    run_demo(folder)
    summary, workspace = folder / f"{COUNTY_NAME}{YEAR}年汇总.xlsx", folder / ROUND
    outputs = {
        "report": ["report", summary, "-w", workspace, "--out", folder / "report.docx"],  # the county's own text
        "drafted": ["report", summary, "--out", folder / "drafted.docx"],  # nobody wrote: the marked drafts
        "status": ["status", "-w", workspace, "--out", folder / "status.xlsx"],
    }
    for args in outputs.values():
        done = CliRunner().invoke(main, [str(a) for a in args])
        assert done.exit_code == 0, done.output
    sources = [folder / "report.docx", folder / "drafted.docx", folder / "status.xlsx", summary]
    profile = f"-env:UserInstallation=file://{folder / 'lo'}"
    subprocess.run(
        ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder / "pdf"), *map(str, sources)],
        capture_output=True,
        timeout=300,
    )
    pdfs = {"report": "report", "drafted": "drafted", "status": "status", "summary": summary.stem}
    found = {name: folder / "pdf" / f"{stem}.pdf" for name, stem in pdfs.items()}
    missing = [name for name, pdf in found.items() if not pdf.is_file()]
    if missing:
        pytest.fail(f"LibreOffice did not convert {missing} (libreoffice-writer-nogui, libreoffice-calc-nogui?)")
    return Printed(folder, found)


def sections(text: str) -> dict[str, str]:
    """The text under each of the sections 一 to 六 (the title of the next one ends it)."""
    flat = "".join(text.split())
    heads = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理", "四、政府信息公开行政复议"]
    heads += ["五、存在的主要问题", "六、其他需要报告"]
    starts = [flat.index(h) for h in heads]
    return {h: flat[a + len(h) : b] for h, a, b in zip(heads, starts, [*starts[1:], len(flat)], strict=True)}


@pytest.mark.parametrize("name", ["report", "drafted"])
def test_the_county_report_is_complete_signed_and_short(printed: Printed, name: str) -> None:
    texts = printed.pages(name)
    assert len(texts) == pages(printed.pdfs[name]) <= 6
    said = sections("".join(texts))
    for head in ("一、总体情况", "五、存在的主要问题", "六、其他需要报告"):
        assert len(said[head]) > 20, head  # the county's own words, or the marked draft
    if name == "drafted":
        assert said["一、总体情况"].startswith("【草稿】") and "本年新收政府信息公开申请" in said["一、总体情况"]
    else:
        assert "【草稿】" not in "".join(texts) and "未收取信息处理费" in said["六、其他需要报告"]
    assert re.search(rf"{COUNTY_NAME}\d{{4}}年\d{{1,2}}月\d{{1,2}}日—\d+—$", said["六、其他需要报告"])  # 落款, page
    assert re.search(r"—\s*1\s*—", texts[0]) and re.search(rf"—\s*{len(texts)}\s*—", texts[-1])


@pytest.mark.parametrize("name", ["report", "drafted"])
def test_no_table_header_stands_alone_at_the_foot_of_a_page(printed: Printed, name: str) -> None:
    """A header (of Table 3, of each block of Table 2, of Table 4) is on the page of its first row."""
    follows = {
        "申请人情况": "一、本年新收",
        "第二十条第（一）项": "规章",
        "第二十条第（五）项": "行政许可",
        "第二十条第（六）项": "行政处罚",
        "第二十条第（八）项": "行政事业性收费",
    }
    for number, text in enumerate(printed.pages(name), start=1):
        flat = "".join(text.split())
        for header, row in follows.items():
            if header in flat and (header != "申请人情况" or "三、收到" in flat):
                assert row in flat.split(header, 1)[1], f"page {number}: {header}"
        lines = [line for line in text.splitlines() if line.strip()]
        heads = [i for i, line in enumerate(lines) if re.search(r"行政复议\s+行政诉讼", line)]
        if heads:  # Table 4's figures: one line of fifteen numbers under its header
            assert [line for line in lines[heads[-1] :] if len(re.findall(r"\b\d+\b", line)) >= 15], number


def test_the_summary_prints_on_twenty_pages_with_the_unit_names_and_no_path(printed: Printed) -> None:
    texts = printed.pages("summary")
    assert len(texts) == pages(printed.pdfs["summary"]) <= 20
    breakdown = [text for text in texts if "T3.R" in text or "T4.R" in text]  # the codes over its columns
    assert len(breakdown) >= 6
    for text in breakdown:
        assert all(name in text for name in UNIT_NAMES) and "合计" in text
    whole = "\n".join(texts)
    assert str(printed.folder) not in whole and "/tmp" not in whole and "收到的文件" not in whole
    assert not {"✓", "⚠", "✗"} & set(whole)  # the check cells are for the screen
    assert "填表说明" not in whole and "汇总范围" in whole  # a summary's cover


def test_the_status_table_prints_on_two_landscape_pages_with_its_title(printed: Printed) -> None:
    texts = printed.pages("status")
    assert len(texts) == pages(printed.pdfs["status"]) <= 2
    info = subprocess.run(["pdfinfo", str(printed.pdfs["status"])], capture_output=True, text=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())  # type: ignore[union-attr]
    assert width > height
    flat = "".join(texts[0].split())
    assert f"{COUNTY_NAME}{YEAR}年度政府信息公开工作年度报告报送情况表" in flat and "截至" in flat and "按时率" in flat
    assert all(name in "".join(texts) for name in UNIT_NAMES)
