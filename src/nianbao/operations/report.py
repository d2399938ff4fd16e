"""The published annual report from a filled workbook or a summary: HTML, Word (.docx, operations/report_word.py)
or Markdown, with the official tables; the text sections written by the clerk (a file of their own: the county's
text of a summary), else the workbook's, else drafted from the figures and marked as drafts; signed by the office
with the date (落款); and warnings where the text contradicts the tables."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from nianbao.form.drafts import draft
from nianbao.form.review import figure_text
from nianbao.form.spec import Form, Table, load_form
from nianbao.io.files import refuse_overwrite, shown, write_atomic
from nianbao.io.identity import SUMMARY
from nianbao.operations.check import CheckedFile, CheckOptions, check_file, find_previous
from nianbao.operations.generate import chinese_date
from nianbao.operations.importing import normalize, report_lines
from nianbao.problems import WARNING, NianbaoError, Problem

FORMATS = (".html", ".docx", ".md")
Figures = Mapping[str, float | None]


@dataclass
class AnnualReport:
    form: Form
    unit_name: str
    year: int
    figures: Mapping[str, float | str | None]  # a figure, or the text typed where no number could be read
    texts: Mapping[str, str]
    drafted: tuple[str, ...] = ()  # the text sections drafted from the figures (nobody wrote them)
    office: str = ""  # who signs the report (落款); '' for a report without a signature
    dated: date | None = None  # the date under the signature (None: today)

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

    @property
    def signature(self) -> tuple[str, str] | None:
        """The office that signs and the date written under it (2026年1月15日), or None for no signature."""
        return (self.office, chinese_date(self.dated or date.today())) if self.office else None


@dataclass(frozen=True)
class ReportInputs:
    """What a report is made of besides its workbook: the text sections written by the clerk (a .txt or .docx with
    the sections' titles), who signs it and when, and last year's figures (the draft's comparisons)."""

    own_text: Path | None = None
    office: str = ""  # '' the workbook's unit
    dated: date | None = None  # None: today
    previous: Mapping[str, Figures] | None = field(default=None, repr=False)  # last year's, by unit


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


def completed(
    report: AnnualReport, own: Mapping[str, str], previous: Figures | None = None, units: int | None = None
) -> AnnualReport:
    """The report with every text section written: the clerk's ``own`` text, else the workbook's, else a draft made
    from the figures (with last year's, if ``previous``; ``units``: how many units a summary sums)."""
    form = report.form
    cell_units = {c.code: c.type.unit for c in form.cells.values()}
    texts = dict(report.texts)
    drafted = []
    for section in form.narrative:
        said = own.get(section.code, "").strip() or texts.get(section.code, "").strip()
        if not said:
            made = draft(form.report.draft, section.code, report.figures, cell_units, previous, units)
            if made:
                said = made
                drafted.append(section.code)
        texts[section.code] = said
    return replace(report, texts=texts, drafted=tuple(drafted))


def read_own_text(path: Path, form: Form) -> dict[str, str]:
    """The text sections the clerk wrote in a file of their own (.txt in UTF-8 or GBK, .docx): each under its
    title as the report prints it (一、总体情况; the title without its number, 总体情况, will do), a paragraph a
    line. What stands before the first title (a heading) is not read; a table's title ends the section before it."""
    parts = {normalize(form.section(code).title).rstrip("：:"): code for code in form.report.order}
    parts.update({key.split("、", 1)[-1]: code for key, code in list(parts.items())})
    found: dict[str, list[str]] = {}
    current = None
    for line in report_lines(path):
        code = parts.get(normalize(line).rstrip("：:"))
        if code is not None:
            current = code
            found.setdefault(code, [])
        elif current is not None and line.strip():
            found[current].append(_printable(line.strip()))
    narrative = [s for s in form.narrative if s.code in found]
    if not narrative:
        titles = "、".join(s.title for s in form.narrative)
        raise NianbaoError.of("OWN_TEXT_UNTITLED", file=shown(path), titles=titles)
    return {s.code: "\n".join(found[s.code]) for s in narrative}


@dataclass(frozen=True)
class RenderedReport:
    report: AnnualReport
    checked: CheckedFile  # the workbook it came from, as `check` saw it
    warnings: list[Problem]  # where the text contradicts the tables or misses what evaluators look for
    path: Path


def render_report(
    source: str | Path, out: str | Path, force: bool = False, inputs: ReportInputs | None = None
) -> RenderedReport:
    """Write the annual report of a filled workbook or summary to ``out`` (.html, .docx or .md): its text sections
    from ``inputs.own_text`` if given, else the workbook's, else drafted; signed by ``inputs.office`` (else the
    workbook's unit) with ``inputs.dated`` (else today). The warnings read what the clerk wrote, not the drafts."""
    source, out = Path(source), Path(out)
    inputs = inputs or ReportInputs()
    refuse_overwrite(out, force)
    if out.suffix.lower() not in FORMATS:
        raise NianbaoError(f"报告格式只能是 {'、'.join(FORMATS)}：{out}")
    report, checked = from_file(source)
    own = read_own_text(inputs.own_text, report.form) if inputs.own_text else {}
    warnings = text_warnings(replace(report, texts={**report.texts, **{k: v for k, v in own.items() if v}}))
    units = checked.identity.get("units", "")
    count = int(units) if checked.identity.get("kind") == SUMMARY and units.isdigit() else None
    last = find_previous(inputs.previous, checked.unit_id, checked.unit_name) if inputs.previous else None
    report = completed(report, own, last, count)
    report = replace(report, office=inputs.office or report.unit_name, dated=inputs.dated)
    write_atomic(out, rendered(report, out.suffix), overwrite=force)
    return RenderedReport(report, checked, warnings, out)


def rendered(report: AnnualReport, suffix: str) -> bytes:
    """The report as the bytes of a .docx, .html or .md file."""
    suffix = suffix.lower()
    if suffix == ".docx":
        return to_docx(report)
    return (to_html if suffix == ".html" else to_markdown)(report).encode()


def to_docx(report: AnnualReport) -> bytes:
    """The report as a Word document in the look of a government document (operations/report_word.py)."""
    from nianbao.operations.report_word import word_document  # python-docx: only for Word

    return word_document(report)


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
.signature { text-align: right; text-indent: 0; margin: 0; padding-right: 4em; }
.signature.office { margin-top: 2em; }
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
    if report.signature:
        office, dated = report.signature
        parts.append(f'<p class="signature office">{_e(office)}</p><p class="signature">{_e(dated)}</p>')
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
    if report.signature:
        lines += [f"{report.signature[0]}  ", report.signature[1], ""]
    return "\n".join(lines)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
