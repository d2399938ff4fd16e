"""A Word document (.docx) as the lines of text a reader sees: one per paragraph and one per table cell, as a
browser's copy of a web page would give them, so that the importer that reads published reports reads Word
reports too.

Merged cells come once, where they start: a cell continuing a vertical merge (``w:vMerge`` without
``restart``, or the old ``w:hMerge``) is skipped, and a cell spanning columns (``w:gridSpan``) is one cell in
the XML already. python-docx's ``row.cells`` would repeat them. An empty cell is a line holding only a no-break
space, as on a copied page; deleted text of tracked changes and the fallback copy of drawings are not read.
The file is vetted like a workbook (size, zip bombs, XML bombs) before its XML is parsed with defusedxml.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from nianbao.io.reading import WORD_MAIN_PART, ZIP_MAGIC, open_zip
from nianbao.problems import ReadError

EMPTY_CELL = "\xa0"
# Containers whose children are read as if they stood in their place (content controls, custom XML,
# inserted text of tracked changes, and the like).
_THROUGH = frozenset({"sdt", "sdtContent", "customXml", "smartTag", "ins", "moveTo", "hyperlink", "fldSimple", "r"})
_SKIPPED = frozenset({"del", "moveFrom", "Fallback", "sdtPr", "tcPr", "trPr", "tblPr", "pPr", "rPr"})


def is_word(data: bytes) -> bool:
    """Whether a file's bytes are a Word document (.docx), whatever its name says."""
    if not data.startswith(ZIP_MAGIC) or WORD_MAIN_PART.encode() not in data:  # names are stored uncompressed
        return False
    try:
        return WORD_MAIN_PART in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        return False  # left to the workbook reader, which says how the file is damaged


def word_lines(data: bytes) -> list[str]:
    """The document's body as lines (see the module's description); ReadError if it is no readable .docx."""
    archive, kind = open_zip(data)
    if kind != "docx":
        raise ReadError("NOT_WORD")
    try:
        root = ElementTree.fromstring(archive.read(WORD_MAIN_PART))
    except Exception as exc:  # defusedxml and expat raise several types for damaged or hostile XML
        raise ReadError("DAMAGED_CONTENT", detail=type(exc).__name__) from None
    body = next((e for e in root if _local(e.tag) == "body"), None)
    lines: list[str] = []
    if body is not None:
        _blocks(body, lines)
    return lines


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _blocks(element: Element, lines: list[str]) -> None:
    for child in element:
        tag = _local(child.tag)
        if tag == "p":
            text = _text(child).strip()
            if text:
                lines.extend(["", text])
        elif tag == "tbl":
            _table(child, lines)
        elif tag in _THROUGH:
            _blocks(child, lines)


def _table(table: Element, lines: list[str]) -> None:
    for row in _children(table, "tr"):
        for cell in _children(row, "tc"):
            if _continues_merge(cell):
                continue
            paragraphs: list[str] = []
            _cell_text(cell, paragraphs)
            text = "\n".join(paragraphs).strip()
            lines.extend(["", text or EMPTY_CELL])


def _children(element: Element, name: str) -> list[Element]:
    """The ``name`` children of ``element``, looking through content controls and custom XML around them."""
    found = []
    for child in element:
        tag = _local(child.tag)
        if tag == name:
            found.append(child)
        elif tag in _THROUGH:
            found.extend(_children(child, name))
    return found


def _continues_merge(cell: Element) -> bool:
    properties = next((e for e in cell if _local(e.tag) == "tcPr"), None)
    for merge in properties if properties is not None else ():
        if _local(merge.tag) in ("vMerge", "hMerge"):
            value = next((v for k, v in merge.attrib.items() if _local(k) == "val"), "continue")
            if value != "restart":
                return True
    return False


def _cell_text(element: Element, paragraphs: list[str]) -> None:
    """A cell's paragraphs (those of a table nested in it too), one text each."""
    for child in element:
        tag = _local(child.tag)
        if tag == "p":
            paragraphs.append(_text(child))
        elif tag in ("tbl", "tr", "tc", *_THROUGH):
            _cell_text(child, paragraphs)


def _text(element: Element) -> str:
    parts: list[str] = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag in ("br", "cr"):
            parts.append("\n")
        elif tag == "tab":
            parts.append(" ")
        elif tag == "noBreakHyphen":
            parts.append("-")
        elif tag not in _SKIPPED:
            parts.append(_text(child))
    return "".join(parts)
