"""A PDF report (as government sites publish them: exported by Word or WPS, text in it) as the lines of text a
reader sees, in the form ``nianbao.io.word`` gives a Word document: one per paragraph and one per table cell, a
merged cell once where it starts, an empty cell a line holding only a no-break space.

Tables are found by their ruling lines (pdfplumber). A table that runs on over a page is one table: a header
repeated on the new page is dropped, and a merged cell the page break cut in two is put back together ("（四）无"
at the foot of a page, "法提供" at the head of the next), as is a row cut in two. Whether two pieces of text
are one label is asked of ``kind`` (the importer knows the labels; this module knows none). Text outside tables
is joined back into paragraphs (a line that reaches the right margin runs on, unless the next is indented or a
heading); page numbers are dropped. Where a page has no ruled table, a line with wide gaps is read as a row of
cells, one line each.

A PDF with no text (a scan, a photo) is refused with the reason, as is one whose fonts carry no character
codes (its text would be garbage), an encrypted or damaged one, and one too long to be a report."""

from __future__ import annotations

import io
import logging
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nianbao.io.reading import OLE_MAGIC, ZIP_MAGIC
from nianbao.problems import ReadError

EMPTY_CELL = "\xa0"
MAX_PAGES = 200
WHOLE, PART, OTHER = "whole", "part", "other"  # what ``kind`` says of a text: a label, the start of one, neither
Kind = Callable[[str], str]

_NUMBER = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?$")
_PAGE_NUMBER = re.compile(
    r"^([-—–－]\s*)?\d{1,4}(\s*[-—–－])?$|^第\s*\d+\s*页(\s*[,，、/]?\s*共\s*\d+\s*页)?$|^\d+\s*/\s*\d+$"
)
_MARGIN = 0.1  # page numbers are looked for in the top and bottom tenth of a page
_GAP = 1.2  # a gap between characters this many character widths wide parts the cells of an unruled row
_SAME = 1.5  # points: two x positions this close are one
_RADICALS = re.compile("[\u2e80-\u2fdf\uf900-\ufaff]")


def is_pdf(data: bytes) -> bool:
    """Whether a file's bytes are a PDF, whatever its name says (the header may follow some junk, as readers
    allow; never inside a zip or an Office file)."""
    return not data.startswith((ZIP_MAGIC, OLE_MAGIC)) and b"%PDF-" in data[:1024]


def pdf_lines(data: bytes, kind: Kind) -> list[str]:
    """The document as lines (see the module's description); ReadError when there is no text to read."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # its notes on odd fonts are no business of a clerk

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise ReadError("PDF_TOO_LONG", pages=len(pdf.pages), most=MAX_PAGES)
            chars = [str(c.get("text", "")) for page in pdf.pages for c in page.chars]
            if not any(c.strip() for c in chars):
                raise ReadError("PDF_SCANNED" if any(page.images for page in pdf.pages) else "PDF_NO_TEXT")
            if sum(c.startswith("(cid:") for c in chars) * 5 > len(chars):
                raise ReadError("PDF_NO_UNICODE")
            pages = [_page_items(page, number) for number, page in enumerate(pdf.pages)]
    except ReadError:
        raise
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise ReadError("ENCRYPTED") from None
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise ReadError("PDF_DAMAGED", detail=type(exc).__name__) from None
    return _lines([item for page in pages for item in page], kind)


# -- what a page holds ------------------------------------------------------------------------------------


@dataclass
class _Line:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    size: float  # of its characters (median)
    pieces: list[str]  # one, or the cells of an unruled table row


@dataclass
class _Cell:
    text: str
    x0: float
    x1: float
    row0: int  # the table rows it covers: row0 <= r < row1
    row1: int


@dataclass
class _Table:
    page: int
    top: float
    rows: int
    cells: list[_Cell] = field(default_factory=list)

    def row(self, r: int) -> list[_Cell]:
        return sorted((c for c in self.cells if c.row0 == r), key=lambda c: c.x0)


_Item = _Line | _Table


def _page_items(page: Any, number: int) -> list[_Item]:
    if not any(str(c.get("text", "")).strip() for c in page.chars):
        return []  # a scanned page among pages of text
    tables = [t for t in page.find_tables() if _columns(t) >= 2]  # one column: a frame around text
    boxes = [t.bbox for t in tables]
    outside = page.filter(lambda o: o.get("object_type") != "char" or not any(_inside(o, b) for b in boxes))
    items: list[_Item] = [_table(t, number) for t in tables]
    height = float(page.height)
    for found in outside.extract_text_lines(strip=True, return_chars=True):
        line = _line(found, number, split=not tables)
        if line is None:
            continue
        furniture = line.top < height * _MARGIN or line.bottom > height * (1 - _MARGIN)
        if furniture and len(line.pieces) == 1 and _PAGE_NUMBER.match(line.pieces[0]):
            continue
        items.append(line)
    return sorted(items, key=lambda item: item.top)


def _columns(table: Any) -> int:
    edges = sorted({round(x, 0) for cell in table.cells for x in (cell[0], cell[2])})
    return max(0, len(_clustered(edges)) - 1)


def _clustered(values: Sequence[float]) -> list[float]:
    out: list[float] = []
    for v in values:
        if not out or v - out[-1] > _SAME:
            out.append(v)
    return out


def _inside(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _table(found: Any, page: int) -> _Table:
    texts = found.extract()
    tops = [row.bbox[1] for row in found.rows]
    table = _Table(page, float(found.bbox[1]), len(found.rows))
    for r, row in enumerate(found.rows):
        for j, box in enumerate(row.cells):
            if box is None:
                continue
            below = sum(1 for t in tops if t < box[3] - _SAME)
            table.cells.append(_Cell(_cell_text(texts[r][j]), float(box[0]), float(box[2]), r, max(r + 1, below)))
    return table


def _plain(text: str) -> str:
    """Kangxi radicals and compatibility ideographs (“⼀” for “一”: Chrome's and some fonts' PDFs) as the
    characters they stand for."""
    return _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)


def _cell_text(text: str | None) -> str:
    text = _plain(text or "").strip()
    joined = re.sub(r"\s+", "", text)
    return joined if _NUMBER.match(joined) else text  # a number broken over lines in a narrow cell


def _line(found: dict[str, Any], page: int, split: bool) -> _Line | None:
    """A line of text from its characters: only the spaces the PDF holds (not gaps a layout leaves, such as the
    space LibreOffice and Word leave between Chinese and digits); parted into cells at wide gaps if ``split``."""
    chars = sorted(found["chars"], key=lambda c: c["x0"])
    visible = [c for c in chars if str(c["text"]).strip()]
    if not visible:
        return None
    size = statistics.median(float(c["size"]) for c in visible)
    pieces: list[str] = [""]
    previous = None
    for c in chars:
        text = str(c["text"])
        if not text.strip():
            pieces[-1] += " "
            continue
        if split and previous is not None and c["x0"] - previous["x1"] > _GAP * size:
            pieces.append("")
        pieces[-1] += text
        previous = c
    texts = [_plain(re.sub(" +", " ", p)).strip() for p in pieces]
    x0, x1 = float(visible[0]["x0"]), float(visible[-1]["x1"])
    return _Line(page, float(found["top"]), float(found["bottom"]), x0, x1, size, [t for t in texts if t])


# -- the lines, in reading order ----------------------------------------------------------------------------


def _lines(items: list[_Item], kind: Kind) -> list[str]:
    _stitch_tables(items, kind)
    lines: list[str] = []
    for block in _blocks(items, kind):
        lines.extend(["", block])
    return lines


def _blocks(items: list[_Item], kind: Kind) -> Iterator[str]:
    text = [i for i in items if isinstance(i, _Line) and len(i.pieces) == 1]
    left = _mode(i.x0 for i in text)
    right = _mode(i.x1 for i in text)
    paragraph: list[str] = []
    previous: _Line | None = None
    for item in items:
        if isinstance(item, _Table):
            yield from _flush(paragraph)
            previous = None
            for r in range(item.rows):
                yield from (c.text or EMPTY_CELL for c in item.row(r))
            continue
        if len(item.pieces) > 1:
            yield from _flush(paragraph)
            previous = None
            yield from item.pieces
            continue
        piece = item.pieces[0]
        if previous is None or not _runs_on(previous, item, left, right, kind, "".join(paragraph), piece):
            yield from _flush(paragraph)
        paragraph.append(piece)
        previous = item
    yield from _flush(paragraph)


def _flush(paragraph: list[str]) -> Iterator[str]:
    if paragraph:
        text = paragraph[0]
        for piece in paragraph[1:]:
            space = (
                " "
                if text[-1:].isascii() and text[-1:].isalnum() and piece[:1].isascii() and piece[:1].isalnum()
                else ""
            )
            text += space + piece
        yield text
    paragraph.clear()


def _runs_on(before: _Line, line: _Line, left: float, right: float, kind: Kind, so_far: str, text: str) -> bool:
    """Whether ``line`` continues the paragraph that ``before`` ends: ``before`` reaches the right margin,
    ``line`` is not indented and follows closely (or heads the next page), and neither is a heading."""
    size = max(before.size, line.size)
    if abs(before.size - line.size) > 0.1 * size:
        return False  # a title over the text, a note under it
    full = before.x1 >= right - 3 * size  # ragged lines end early when a number does not fit
    indented = line.x0 > left + 1.2 * size
    close = line.page != before.page or line.top - before.bottom < 1.2 * size
    return full and not indented and close and kind(so_far) != WHOLE and kind(text) != WHOLE


def _mode(values: Iterator[float]) -> float:
    counts = Counter(round(v) for v in values)
    return float(counts.most_common(1)[0][0]) if counts else 0.0


# -- tables over pages ---------------------------------------------------------------------------------------


def _stitch_tables(items: list[_Item], kind: Kind) -> None:
    """A table heading a page right after a table ending the page before (nothing between but page numbers)
    continues it."""
    head: _Table | None = None  # the first part of the table being continued
    before: _Item | None = None
    for item in items:
        if isinstance(item, _Table) and isinstance(before, _Table) and item.page == before.page + 1:
            head = head or before
            _drop_repeated_header(head, item)
            _join(before, item, kind)
        elif isinstance(item, _Table):
            head = None
        before = item


def _drop_repeated_header(head: _Table, part: _Table) -> None:
    """Rows a new page repeats from the table's first rows (Word's “repeat as header row”)."""
    k = 0
    while k < min(head.rows, part.rows - 1) and _texts(head.row(k)) == _texts(part.row(k)) and _texts(head.row(k)):
        k += 1
    if not k:
        return
    part.cells = [c for c in part.cells if c.row0 >= k]
    for c in part.cells:
        c.row0, c.row1 = c.row0 - k, c.row1 - k
    part.rows -= k


def _texts(cells: list[_Cell]) -> list[str]:
    return [re.sub(r"\s+", "", c.text) for c in cells]


def _join(before: _Table, part: _Table, kind: Kind) -> None:
    """Put back what the page break cut: a merged label's rest (or its empty rest) into the cell above, and a
    row cut in two (its label runs on, its figures on one side only) into one row."""
    open_cells = [c for c in before.cells if c.row1 == before.rows]
    pairs = [(c, above) for c in part.row(0) if (above := _above(c, open_cells)) is not None]
    last = before.rows - 1
    # A row cut in two: a label of the last row runs on, and every cell of the new page's first row is the
    # rest of the cell above it (a label's rest, nothing, or a figure where the part above has none).
    split = any(above.row0 == last and _completes(above, c, kind) for c, above in pairs) and all(
        not c.text or _completes(above, c, kind) or (not _is_label(c.text) and not above.text) for c, above in pairs
    )
    for c, above in pairs:
        merged = c.row1 - c.row0 > 1  # the new page's part of a label over several rows
        moved = merged and not above.text and kind(c.text) == WHOLE  # its text all printed on the new page
        if _completes(above, c, kind) or (not c.text and _is_label(above.text) and merged) or moved:
            above.text += c.text
        elif split:
            above.text = above.text + c.text if _is_label(above.text) else above.text or c.text
        else:
            continue
        part.cells.remove(c)


def _above(cell: _Cell, candidates: list[_Cell]) -> _Cell | None:
    """The cell over ``cell`` across the page break: the one it mostly shares its width with."""
    for other in candidates:
        overlap = min(cell.x1, other.x1) - max(cell.x0, other.x0)
        if overlap > 0.6 * min(cell.x1 - cell.x0, other.x1 - other.x0):
            return other
    return None


def _completes(above: _Cell, cell: _Cell, kind: Kind) -> bool:
    """Whether ``cell`` is the rest of the label above it: the start of a label and its rest make a label
    (or a longer start of one); a whole label (“其他”) and its rest make another (“其他结果”)."""
    if not cell.text:
        return False
    first, both = kind(above.text), kind(above.text + cell.text)
    return (first == PART and both in (WHOLE, PART)) or (first == WHOLE and both == WHOLE)


def _is_label(text: str) -> bool:
    return bool(text) and not _NUMBER.match(re.sub(r"\s+", "", text))
