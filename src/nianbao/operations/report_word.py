"""The annual report as a Word document that looks like a government document (GB/T 9704 as a Word user sees it):
A4 with the standard margins, the title 二号 宋体 bold and centred, the body 三号 仿宋 on a fixed 28 pt line with
its first line indented two characters, headings 黑体 (一、) and 楷体 (（一）), the tables in 五号 宋体 across the
text width with their header rows repeated on each page, kept with their first row, and no row split across pages;
page numbers “— 1 —” at the foot, and the signature (落款) at the end, the date four characters from the right.

The look lives in the document's styles (正文 Normal, 标题 Title, 标题 1/2, 表格文字), each with its East-Asian font
named (w:eastAsia): Word and WPS take Chinese text's font from there, not from the Latin name."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

if TYPE_CHECKING:
    from docx.document import Document as DocumentType
    from docx.table import Table as WordTable

    from nianbao.form.spec import Table
    from nianbao.operations.report import AnnualReport

TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TABLE_FONT = "宋体", "仿宋", "黑体", "楷体", "宋体"
TITLE_SIZE, BODY_SIZE, TABLE_SIZE, PAGE_NUMBER_SIZE = 22, 16, 10.5, 14  # 二号, 三号, 五号, 四号
LINE = 28  # pt: a fixed line, 22 lines on a page
PAGE = (210, 297)  # mm, A4
MARGINS = (37, 26, 35, 28)  # mm: top, right, bottom, left (binding)
TABLE_STYLE = "表格文字"
ROW_HEIGHT = 6  # mm at least: a row of figures easy to read and to point at
CELL_MARGIN = 28  # twentieths of a point (0.5 mm) left and right in a table cell: two characters in a narrow column
_SUBHEADING = re.compile(r"^（[一二三四五六七八九十]+）[^。；，;,]{1,28}?(?:[。：:]|$)")  # “（一）主动公开。”


def word_document(report: AnnualReport) -> bytes:
    doc = Document()
    _page(doc)
    _styles(doc)
    doc.core_properties.title = report.title
    doc.core_properties.author = report.office or report.unit_name
    doc.add_paragraph(report.title, style="Title")
    doc.add_paragraph(report.opening)
    for title, table, text in report.sections():
        heading = doc.add_paragraph(title, style="Heading 1")
        heading.paragraph_format.keep_with_next = True
        if table is None:
            for line in _lines(text):
                _body(doc, line)
        else:
            _table(doc, report, table)
    if report.signature:
        _signature(doc, *report.signature)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _page(doc: DocumentType) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE[0]), Mm(PAGE[1])
    top, right, bottom, left = MARGINS
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = (
        Mm(top),
        Mm(right),
        Mm(bottom),
        Mm(left),
    )
    section.footer_distance = Mm(bottom - 11)  # the page number about 7 mm under the text
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    for text in ("— ", None, " —"):
        run = footer.add_run(text or "1")
        _font(run.font, run._element.get_or_add_rPr(), TITLE_FONT, PAGE_NUMBER_SIZE)
        if text is None:  # the page number: a field Word, WPS and LibreOffice fill in, around its run
            field = OxmlElement("w:fldSimple")
            field.set(qn("w:instr"), " PAGE ")
            run._element.addprevious(field)
            field.append(run._element)


def _styles(doc: DocumentType) -> None:
    """Every style the report uses, with its fonts (East-Asian names too), sizes and spacing; the theme fonts of
    the template are dropped so that nothing overrides them."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for fonts in defaults.iter(qn("w:rFonts")):
            _names(fonts, BODY_FONT)
    normal = doc.styles["Normal"]
    _font(normal.font, normal.element.get_or_add_rPr(), BODY_FONT, BODY_SIZE)
    _spacing(normal.paragraph_format, indent=2 * BODY_SIZE)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    title = _reset(doc.styles["Title"])
    _font(title.font, title.element.get_or_add_rPr(), TITLE_FONT, TITLE_SIZE, bold=True)
    _spacing(title.paragraph_format, line=None, after=LINE)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name, face in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT)):
        heading = _reset(doc.styles[name])
        _font(heading.font, heading.element.get_or_add_rPr(), face, BODY_SIZE)
        _spacing(heading.paragraph_format, indent=2 * BODY_SIZE)
    cells = doc.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cells.base_style = normal
    _font(cells.font, cells.element.get_or_add_rPr(), TABLE_FONT, TABLE_SIZE)
    _spacing(cells.paragraph_format, line=None)
    cells.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _reset(style: Any) -> Any:
    """A built-in style of the template without its own look (theme fonts, colour, borders, spacing): only what
    it is (a title, a heading of its level) remains."""
    for tag in ("w:rPr", "w:pPr"):
        old = style.element.find(qn(tag))
        if old is not None:
            keep = [child for child in old if child.tag in (qn("w:outlineLvl"), qn("w:keepNext"))]
            style.element.remove(old)
            if keep:
                fresh = style.element.get_or_add_pPr() if tag == "w:pPr" else style.element.get_or_add_rPr()
                fresh.extend(keep)
    return style


def _font(font: Any, rpr: Any, name: str, size: float, bold: bool = False) -> None:
    font.name = name
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    _names(rpr.get_or_add_rFonts(), name)


def _names(fonts: Any, name: str) -> None:
    """One font for every script of a run, East Asian included; no theme font that would take precedence."""
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(script), name)


def _spacing(paragraph: Any, indent: float = 0, line: float | None = LINE, after: float = 0) -> None:
    paragraph.first_line_indent = Pt(indent)
    paragraph.space_before, paragraph.space_after = Pt(0), Pt(after)
    if line is None:
        paragraph.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        paragraph.line_spacing_rule, paragraph.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()] or [""]


def _body(doc: DocumentType, line: str) -> None:
    """A paragraph of a text section: a line “（一）…” short enough to be a heading is one (楷体); a paragraph
    opening with “（一）主动公开。” has that opening in 楷体 and the rest in the body's font."""
    opening = _SUBHEADING.match(line)
    if opening and opening.end() == len(line):
        doc.add_paragraph(line, style="Heading 2")
        return
    paragraph = doc.add_paragraph()
    if opening:
        run = paragraph.add_run(opening[0])
        _font(run.font, run._element.get_or_add_rPr(), SUBHEADING_FONT, BODY_SIZE)
    paragraph.add_run(line[opening.end() :] if opening else line)


def _table(doc: DocumentType, report: AnnualReport, table: Table) -> None:
    grid = report.form.document_rows(table)
    word = doc.add_table(rows=len(grid), cols=table.width)
    word.style = "Table Grid"
    word.alignment = WD_TABLE_ALIGNMENT.CENTER
    word.autofit = False
    _cell_margins(word)
    usable = PAGE[0] - MARGINS[1] - MARGINS[3]  # mm between the margins
    widths = table.column_widths or [1.0] * table.width
    cells = [list(row.cells) for row in word.rows]  # once: python-docx finds a cell by walking the whole table
    for j, column in enumerate(word.columns):
        column.width = Mm(usable * widths[j] / sum(widths))  # the grid, which LibreOffice follows
        for row_cells in cells:
            row_cells[j].width = column.width  # the cells, which Word follows
    style = doc.styles[TABLE_STYLE].style_id
    first = table.header_rows[0][0]
    heads = [last - first for _, last in table.header_rows]  # each block's last header row, in the grid
    starts = [start - first for start, _ in table.header_rows]
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(grid):
        in_header = any(s <= r <= h for s, h in zip(starts, heads, strict=True))
        _row_properties(word, r, repeat=r <= heads[0] and len(heads) == 1)  # a block's header means its block only
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            target = cells[r][c]
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(cells[r + cell.rowspan - 1][c + cell.colspan - 1])
            taken.update((r + i, c + j) for i in range(cell.rowspan) for j in range(cell.colspan))
            if cell.rowspan == 1:  # a label over several rows stays at their top: read (and copied) before them
                target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = target.paragraphs[0]
            paragraph._p.style = style  # by its id: python-docx looks a style up by name slowly
            if not cell.code and not cell.header:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            paragraph.paragraph_format.keep_with_next = in_header  # a header never alone at a page's foot
            paragraph.add_run(report.shown(cell.code) if cell.code else cell.text)
            c += cell.colspan


def _row_properties(word: WordTable, r: int, repeat: bool) -> None:
    """A row is never split across pages; the header rows of a table of one block repeat on every page it takes."""
    row = word.rows[r]
    row.height_rule, row.height = WD_ROW_HEIGHT_RULE.AT_LEAST, Mm(ROW_HEIGHT)
    properties = row._tr.get_or_add_trPr()
    properties.insert(0, OxmlElement("w:cantSplit"))  # the schema's order: before the height
    if repeat:
        properties.append(OxmlElement("w:tblHeader"))


def _cell_margins(word: WordTable) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_MARGIN))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties = word._tbl.tblPr
    look = properties.find(qn("w:tblLook"))  # the schema's order: the margins come before it
    if look is not None:
        look.addprevious(margins)
    else:
        properties.append(margins)


def _signature(doc: DocumentType, office: str, dated: str) -> None:
    """The office over the date, both to the right: the date four characters from the right edge, the office
    centred over it (GB/T 9704 落款)."""
    doc.add_paragraph().paragraph_format.keep_with_next = True
    date_width = sum(0.5 if ch.isascii() else 1 for ch in dated)  # in characters: a digit is half of one
    office_width = sum(0.5 if ch.isascii() else 1 for ch in office)
    for text, right in ((office, max(0.0, 4 + (date_width - office_width) / 2)), (dated, 4.0)):
        paragraph = doc.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.paragraph_format.right_indent = Pt(right * BODY_SIZE)
        paragraph.paragraph_format.keep_with_next = text == office
