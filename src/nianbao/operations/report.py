"""The published annual report from a filled workbook or a summary: HTML, Word (.docx) or Markdown,
with the official tables; and warnings where the text contradicts the tables."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nianbao.form.review import figure_text
from nianbao.form.spec import Form, Table, load_form
from nianbao.io.files import refuse_overwrite, shown, write_atomic
from nianbao.operations.check import CheckedFile, CheckOptions, check_file
from nianbao.problems import WARNING, NianbaoError, Problem

FORMATS = (".html", ".docx", ".md")


@dataclass
class AnnualReport:
    form: Form
    unit_name: str
    year: int
    figures: Mapping[str, float | str | None]  # a figure, or the text typed where no number could be read
    texts: Mapping[str, str]

    @property
    def title(self) -> str:
        return self.form.report.title.format(unit=self.unit_name, year=self.year)

    @property
    def opening(self) -> str:
        return self.form.report.opening.format(unit=self.unit_name, year=self.year, basis=self.form.basis)

    def sections(self) -> list[tuple[str, Table | None, str]]:
        """(title, table or None, text) in the report's order."""
        out: list[tuple[str, Table | None, str]] = []
        for code in self.form.report.order:
            part = self.form.section(code)
            if isinstance(part, Table):
                out.append((part.title, part, ""))
            else:
                out.append((part.title, None, self.texts.get(code, "")))
        return out

    def shown(self, code: str) -> str:
        """A figure as printed: whole numbers without decimals, amounts without trailing zeros, blank as blank."""
        value = self.figures.get(code)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        decimals = self.form.cells[code].type.decimals
        return str(int(value)) if float(value).is_integer() else f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def from_file(path: Path) -> tuple[AnnualReport, CheckedFile]:
    checked = check_file(path, CheckOptions())
    if not checked.form_ref or not checked.figures:
        reason = checked.errors[0].message if checked.errors else "没有可用的数字"
        raise NianbaoError(f"{shown(path)} 无法生成报告：{reason}")
    partial = next((p for p in checked.errors if p.code == "PARTIAL_SUMMARY"), None)
    if partial:
        raise NianbaoError(f"{shown(path)} 不能生成正式的年度报告：{partial.message}")
    figures: dict[str, float | str | None] = dict(checked.figures)
    for code, raw in checked.raw.items():  # what cannot be read as a number is printed as it was typed
        if figures.get(code) is None and isinstance(raw, str) and raw.strip():
            figures[code] = _printable(raw.strip())
    form = load_form(checked.form_ref)
    texts = {code: _printable(text) for code, text in checked.texts.items()}
    return AnnualReport(form, _printable(checked.unit_name), checked.year or 0, figures, texts), checked


def _printable(text: str) -> str:
    """Text without the control characters that a page or a Word file cannot hold (a bell pasted from a
    Word table, a form feed); line breaks and tabs stay."""
    return _CONTROL.sub("", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class RenderedReport:
    report: AnnualReport
    checked: CheckedFile  # the workbook it came from, as `check` saw it
    warnings: list[Problem]  # where the text contradicts the tables or misses what evaluators look for
    path: Path


def render_report(source: str | Path, out: str | Path, force: bool = False) -> RenderedReport:
    """Write the annual report of a filled workbook or summary to ``out`` (.html, .docx or .md)."""
    source, out = Path(source), Path(out)
    refuse_overwrite(out, force)
    if out.suffix.lower() not in FORMATS:
        raise NianbaoError(f"报告格式只能是 {'、'.join(FORMATS)}：{out}")
    report, checked = from_file(source)
    suffix = out.suffix.lower()
    data = to_docx(report) if suffix == ".docx" else (to_html if suffix == ".html" else to_markdown)(report).encode()
    write_atomic(out, data, overwrite=force)
    return RenderedReport(report, checked, text_warnings(report), out)


# -- text against tables ------------------------------------------------------------------------------

_RECEIVED = re.compile(r"(?:新收|收到|受理)[^，。；;,]{0,12}?申请(?:共|合计)?\s*(\d+)\s*(?:件|条|个)")
_NONE_RECEIVED = re.compile(r"未(?:收到|受理)[^，。；]{0,8}?申请")
_NOTHING = {"", "无", "无。", "暂无", "没有"}


def text_warnings(report: AnnualReport) -> list[Problem]:
    """Figures quoted in the text that contradict the tables, and sections evaluators criticise."""
    form, problems = report.form, []
    received = report.figures.get(form.report.received) if form.report.received else None
    texts = " ".join(report.texts.get(s.code, "") for s in form.narrative)  # the published text, not the cover
    if isinstance(received, (int, float)):
        for m in _RECEIVED.finditer(texts):
            if float(m[1]) != received:
                problems.append(Problem.of(WARNING, "TEXT_FIGURE", quoted=m[0], received=figure_text(received)))
        if _NONE_RECEIVED.search(texts) and received > 0:
            problems.append(Problem.of(WARNING, "TEXT_FIGURE", quoted="未收到申请", received=figure_text(received)))
    for section in form.narrative:
        if report.texts.get(section.code, "").strip() in _NOTHING:
            problems.append(Problem.of(WARNING, "TEXT_EMPTY", section=section.title))
    fee = form.text_cell(form.report.fee_section)
    if "处理费" not in report.texts.get(fee.code, ""):
        problems.append(Problem.of(WARNING, "TEXT_FEE", section=fee.title))
    return problems


# -- HTML ---------------------------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 25mm 20mm; }
body { font-family: "FangSong", "仿宋", "仿宋_GB2312", "Noto Serif CJK SC", serif; font-size: 16pt; line-height: 1.7;
       max-width: 170mm; margin: 0 auto; color: #000; }
h1 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 22pt; text-align: center;
     font-weight: normal; margin: 0.5em 0 1em; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal;
     margin: 1em 0 0.4em; }
p { text-indent: 2em; margin: 0.2em 0; white-space: pre-wrap; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em;
        font-family: "SimSun", "宋体", "Noto Serif CJK SC", serif; font-size: 10.5pt; line-height: 1.3;
        page-break-inside: auto; }
th, td { border: 1px solid #000; padding: 2px 4px; text-align: center; vertical-align: middle; }
th { font-weight: normal; background: #f2f2f2; }
td.label { text-align: left; }
tr { page-break-inside: avoid; }
"""


def to_html(report: AnnualReport) -> str:
    parts = [
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(report.title)}</title>',
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f"<p>{_e(report.opening)}</p>",
    ]
    for title, table, text in report.sections():
        parts.append(f"<h2>{_e(title)}</h2>")
        if table is None:
            parts.extend(f"<p>{_e(line)}</p>" for line in _paragraphs(text))
            continue
        parts.append(f'<table data-table="{table.id}">')
        widths = table.column_widths or [1.0] * table.width
        parts.append(
            "<colgroup>" + "".join(f'<col style="width:{100 * w / sum(widths):.1f}%">' for w in widths) + "</colgroup>"
        )
        for row in report.form.document_rows(table):
            cells = []
            for cell in row:
                span = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
                    f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
                )
                if cell.code:
                    cells.append(f'<td{span} data-code="{cell.code}">{_e(report.shown(cell.code))}</td>')
                elif cell.header:
                    cells.append(f"<th{span}>{_e(cell.text)}</th>")
                else:
                    cells.append(f'<td{span} class="label">{_e(cell.text)}</td>')
            parts.append(f"<tr>{''.join(cells)}</tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()] or [""]


# -- Markdown -----------------------------------------------------------------------------------------


def to_markdown(report: AnnualReport) -> str:
    """Markdown has no merged cells: each block of a table (rows sharing the same columns) becomes a pipe
    table whose column titles carry the full header path."""
    lines = [f"# {report.title}", "", report.opening, ""]
    for title, table, text in report.sections():
        lines += [f"## {title}", ""]
        if table is None:
            lines += [*_paragraphs(text), ""]
            continue
        blocks: dict[tuple[str, ...], list[list[str]]] = {}
        rows: dict[str, list[str]] = {}
        for code, cell in report.form.cells.items():
            if cell.table == table.id:
                rows.setdefault(cell.row_code, []).append(code)
        for codes in rows.values():
            first = report.form.cells[codes[0]]
            header = tuple(report.form.cells[c].col_label for c in codes)
            label = first.row_label.replace("·", " ") or "数量"
            blocks.setdefault(header, []).append([label, *(report.shown(c) for c in codes)])
        for header, body in blocks.items():
            lines.append(_md_row(["项目", *header]))
            lines.append("|" + "---|" * (len(header) + 1))
            lines += [_md_row(row) for row in body]
            lines.append("")
    return "\n".join(lines)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


# -- Word ---------------------------------------------------------------------------------------------


def to_docx(report: AnnualReport) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    doc.core_properties.title = report.title
    doc.core_properties.author = report.unit_name

    def font(run: Any, name: str, size: float) -> None:
        run.font.name = name
        run.font.size = Pt(size)
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)

    def paragraph(
        text: str, name: str = "仿宋_GB2312", size: float = 16, indent: bool = True, align: Any = None
    ) -> None:
        p = doc.add_paragraph()
        p.paragraph_format.line_spacing = Pt(28)
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        font(p.add_run(text), name, size)

    paragraph(report.title, "方正小标宋简体", 22, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(report.opening)
    for title, table, text in report.sections():
        paragraph(title, "黑体", 16)
        if table is None:
            for line in _paragraphs(text):
                paragraph(line)
            continue
        grid = report.form.document_rows(table)
        word = doc.add_table(rows=len(grid), cols=table.width)
        word.style = "Table Grid"
        word.alignment = WD_TABLE_ALIGNMENT.CENTER
        word.autofit = False
        usable = 210 - 28 - 26  # mm between the margins
        widths = table.column_widths or [1.0] * table.width
        for j, column in enumerate(word.columns):
            column.width = Mm(usable * widths[j] / sum(widths))  # the grid, which LibreOffice follows
            for cell_ in column.cells:
                cell_.width = column.width  # the cells, which Word follows
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(grid):
            c = 0
            for cell in row:
                while (r, c) in taken:
                    c += 1
                target = word.cell(r, c)
                if cell.rowspan > 1 or cell.colspan > 1:
                    target = target.merge(word.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
                taken.update((r + i, c + j) for i in range(cell.rowspan) for j in range(cell.colspan))
                text = report.shown(cell.code) if cell.code else cell.text
                p = target.paragraphs[0]
                p.alignment = (
                    WD_ALIGN_PARAGRAPH.LEFT if (not cell.code and not cell.header) else WD_ALIGN_PARAGRAPH.CENTER
                )
                font(p.add_run(text), "宋体", 9 if table.width > 10 else 10.5)
                c += cell.colspan
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
