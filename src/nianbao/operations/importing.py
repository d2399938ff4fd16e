"""Read a published annual report (the plain text copied from its web page, the HTML page, a Word document or
a PDF) back into a workbook of this tool's format: figures placed by following the official tables label by
label (``published``), the narrative sections by their titles. What cannot be placed is reported, never
guessed; totals printed in the report that do not add up are reported and kept in the workbook, so that a
later check still finds them. ``read_document_report`` gives ``check`` (and so ``merge`` and ``receive``) a
return sent as a Word or PDF report: its figures as printed and the unit and year its title names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

from nianbao.form.spec import DEFAULT_FORM, Form, Table, load_form
from nianbao.io.files import decode_chinese_text, refuse_overwrite, shown, write_atomic
from nianbao.io.identity import Identity
from nianbao.io.pdf import is_pdf, pdf_lines
from nianbao.io.reading import PDF_SUFFIXES, WORD_SUFFIXES
from nianbao.io.roster import Unit
from nianbao.io.word import is_word, word_lines
from nianbao.io.writer import Content, build_workbook
from nianbao.operations.published import (
    BLANK,
    Imported,
    compare_totals,
    label_kind,
    normalize,
    place_table,
    printed_text,
)
from nianbao.problems import NianbaoError

_WEB_TAIL = {"打印", "分享", "返回列表", "关闭", "关闭窗口", "返回顶部", "收藏", "【打印】", "【关闭】", "【返回顶部】"}


def lines_of_html(html: str) -> list[str]:
    """The page as lines, as a browser's copy would give: one per paragraph and per table cell; an empty
    cell becomes a line holding only a no-break space, like the copied text of a real page."""
    parser = _Lines()
    parser.feed(html)
    parser.close()
    return parser.lines


_BLOCKS = frozenset({"p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article"})


class _Lines(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.text: list[str] = []
        self.cell: list[str] | None = None
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("td", "th"):
            self._flush()
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")
        elif tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th") and self.cell is not None:
            text = "".join(self.cell).strip()
            self.lines.extend(["", text if text else "\xa0"])
            self.cell = None
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        (self.cell if self.cell is not None else self.text).append(data)

    def _flush(self) -> None:
        text = "".join(self.text).strip()
        if text:
            self.lines.extend(["", text])
        self.text = []

    def close(self) -> None:
        super().close()
        self._flush()


def parse_report(text_lines: list[str], form: Form) -> Imported:
    result = Imported()
    full = normalize("".join(text_lines))
    markers = [m for m in form.import_hints.superseded_markers if normalize(m) in full]
    if markers:
        raise NianbaoError(f"{form.import_hints.superseded_message}（发现“{markers[0]}”）")
    tokens = _tokens(text_lines)
    order = form.report.order
    titles = {code: form.section(code).title for code in order}
    starts = {}
    position = 0
    for code in order:
        found = next((i for i in range(position, len(tokens)) if normalize(tokens[i]) == normalize(titles[code])), None)
        if found is None:
            raise NianbaoError(f"找不到“{titles[code]}”这一部分（或顺序不对），无法导入")
        starts[code] = position = found
    for n, code in enumerate(order):
        end = starts[order[n + 1]] if n + 1 < len(order) else len(tokens)
        body = tokens[starts[code] + 1 : end]
        part = form.section(code)
        if isinstance(part, Table):
            place_table(form, part, body, result)
        else:
            while body and (body[-1] in _WEB_TAIL or body[-1] == BLANK):
                body.pop()
            if n + 1 == len(order):
                _drop_signature(body)
            result.texts[code] = "\n".join(t for t in body if t != BLANK)
    compare_totals(form, result)
    return result


def _drop_signature(body: list[str]) -> None:
    """A report's signature (落款: the office, the date under it) ends its last section's lines: it is no text."""
    if body and _DATE_LINE.fullmatch(normalize(body[-1])):
        body.pop()
        if body and len(body[-1]) <= 40 and not re.search(r"[。；;，,：:]", body[-1]):
            body.pop()


_DATE_LINE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def _tokens(lines: list[str]) -> list[str]:
    """Non-empty lines; a line of only spaces (often a no-break space) is an empty table cell."""
    tokens = []
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            continue
        tokens.append(line.strip() if line.strip() else BLANK)
    return tokens


def import_report(
    source: Path,
    out: Path,
    unit_id: str,
    unit_name: str,
    year: int,
    *,
    force: bool = False,
    password: str = "",
    form_name: str = DEFAULT_FORM,
) -> Imported:
    form = load_form(form_name)
    form.check_year(year)
    refuse_overwrite(out, force)
    result = parse_report(report_lines(source, form), form)
    if not any(v is not None for v in result.figures.values()):
        reason = result.problems[0].message if result.problems else "表格中一个数字也没有"
        raise NianbaoError.of("IMPORT_NOTHING", source=shown(source), reason=reason)
    identity = replace(Identity.for_unit(form, unit_id, unit_name, year), printed=printed_text(result.printed))
    figures = {c.code: result.figures.get(c.code) for c in form.inputs}  # what could not be placed stays blank
    content = Content(figures, texts=result.texts, locked=False)
    write_atomic(out, build_workbook(form, identity, password, content), overwrite=force)
    return result


def report_lines(source: Path, form: Form | None = None) -> list[str]:
    """A published report as lines: a Word document's or a PDF's paragraphs and table cells, a web page (.html,
    or text that is HTML) as a browser's copy would give it, a page's text (UTF-8 or GBK) as it is."""
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise NianbaoError(f"无法读取 {source}：{exc.strerror or exc}") from None
    suffix = source.suffix.lower()
    if suffix in WORD_SUFFIXES or suffix in PDF_SUFFIXES or is_word(raw) or is_pdf(raw):
        try:
            return document_lines(raw, form or load_form(DEFAULT_FORM))
        except NianbaoError as exc:
            raise NianbaoError(f"{shown(source)}：{exc}") from None
    text = _decode(raw, source)
    is_html = suffix in (".html", ".htm") or text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
    return lines_of_html(text) if is_html else text.splitlines()


def document_lines(data: bytes, form: Form) -> list[str]:
    """A Word document's or a PDF's lines (by their content, whatever the name); ReadError when it is neither
    or cannot be read."""
    return pdf_lines(data, label_kind(form)) if is_pdf(data) else word_lines(data)


def _decode(data: bytes, source: Path) -> str:
    text = decode_chinese_text(data)
    if text is None:
        raise NianbaoError(f"{source} 的文字编码无法识别（应为 UTF-8 或 GBK）")
    return text


# -- Returns sent as a report in Word or PDF ----------------------------------------------------------------


@dataclass(frozen=True)
class Title:
    """What a report's title says: the unit as written there, and the year (None if the title has none)."""

    unit: str
    year: int | None


@dataclass
class DocumentReport:
    """A Word document or a PDF read as an annual report: what it is (“Word 文档”, “PDF 文件”), its title, and
    its figures and texts (None, with the reason, when it cannot be read as a report of the form)."""

    title: Title | None
    imported: Imported | None
    failure: str = ""
    kind: str = "Word 文档"


def read_document_report(data: bytes, form: Form) -> DocumentReport:
    """A .docx's or a PDF's title, figures and texts; ReadError when it is neither, or cannot be read."""
    lines = document_lines(data, form)
    title = report_title(lines, form)
    kind = "PDF 文件" if is_pdf(data) else "Word 文档"
    try:
        return DocumentReport(title, parse_report(lines, form), kind=kind)
    except NianbaoError as exc:
        return DocumentReport(title, None, str(exc), kind)


def report_title(lines: list[str], form: Form) -> Title | None:
    """The title before the first section (``[report] title`` of the spec, e.g. “<单位><年度>年政府信息公开工作
    年度报告”), also when it is broken over two lines."""
    pattern = _title_pattern(form.report.title)
    first = normalize(form.section(form.report.order[0]).title)
    heads: list[str] = []
    for line in lines:
        text = normalize(line)
        if text == first:
            break
        if text:
            heads.append(text)
    for text in [*heads, *(a + b for a, b in pairwise(heads))]:  # whole lines first
        found = pattern.fullmatch(text)
        if found and found.groupdict().get("unit"):
            year = found.groupdict().get("year")
            return Title(found["unit"], int(year) if year else None)
    return None


def _title_pattern(title: str) -> re.Pattern[str]:
    parts = re.split(r"(\{unit\}|\{year\})", normalize(title))
    groups = {"{unit}": "(?P<unit>.+?)", "{year}": r"(?P<year>\d{4})"}
    pattern = "".join(groups.get(part, re.escape(part)) for part in parts)
    return re.compile(pattern.replace(r"(?P<year>\d{4})年", r"(?P<year>\d{4})年度?"))  # “2025年度…” too


def match_unit(named: str, units: Iterable[Unit]) -> list[Unit]:
    """The roster units a report's unit name means: the one of that very name (“人民政府” after it aside); else
    the roster name it is with a place before it (“彰武县彰武镇” is the roster's 彰武镇; the longest if several);
    else the roster names that are it with a place before them. More than one is ambiguous: the caller does not
    choose."""
    key = _bare(named)
    units = [u for u in units if _bare(u.unit_name)]
    same = [u for u in units if _bare(u.unit_name) == key]
    if same or len(key) < 2:
        return same
    within = [u for u in units if _placed(key, _bare(u.unit_name))]
    if within:
        longest = max(len(_bare(u.unit_name)) for u in within)
        return [u for u in within if len(_bare(u.unit_name)) == longest]
    return [u for u in units if _placed(_bare(u.unit_name), key)]


def _bare(name: str) -> str:
    name = normalize(name)
    for suffix in ("人民政府", "政府"):
        name = name.removesuffix(suffix)
    return name


def _placed(long: str, short: str) -> bool:
    """``long`` is ``short`` with a place before it: 彰武县彰武镇, 阜新市彰武县."""
    return len(short) >= 2 and len(long) > len(short) and long.endswith(short) and long[-len(short) - 1] in "县市区旗"
