"""Open any returned file safely and hand back its sheets as grids of values.

Before a parser sees a byte: size limits, the file's real type from its first bytes (not its name),
a streamed decompression of every zip member under a fixed budget (zip bombs, damaged or truncated
zips), and no DTD in any XML part (XML bombs). Values come from python-calamine, which reads .xlsx, .xlsm
(values only, nothing executed), .xls and .ods, hidden sheets included.

A plain .xlsx (io/unzip.py) is read in one pass: each member inflated once, the guards run on those bytes,
and calamine given the same bytes. Anything unusual, and any file a guard would refuse, is read the careful way
(``zipfile``), which says what is wrong.
"""

from __future__ import annotations

import contextlib
import errno
import html
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import python_calamine
from defusedxml import ElementTree

from nianbao.form.spec import EXCEL_COLUMNS, a1
from nianbao.io.files import os_reason, sha256
from nianbao.io.unzip import inflate_plain, stored_zip
from nianbao.problems import FILE_KINDS, UNSUPPORTED_SUFFIXES, ReadError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
# A sheet is read whole, from A1 to its farthest cell with content: a stray value at XFD1 and another at
# A1048576 would ask for 17 billion cells (the reader aborts the process). One in the last row of a form's
# sheet (16 columns at most) is still read, and quoted as a note outside the table.
MAX_SHEET_CELLS = 20 * 1_048_576
CHUNK = 256 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
WORD_SUFFIXES = (".docx",)  # an annual report written in the official Word template (read by nianbao.io.word)
PDF_SUFFIXES = (".pdf",)  # an annual report published as a PDF (read by nianbao.io.pdf)
WORD_MAIN_PART = "word/document.xml"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


@dataclass
class SheetValues:
    """One sheet's values by zero-based (row, col): floats, strings, '' for blank."""

    rows: Sequence[Sequence[object]]

    def get(self, row: int, col: int) -> object:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return ""


@dataclass(frozen=True)
class CellFormula:
    """A formula in a cell of an .xlsx/.xlsm, and whether the file holds its last result."""

    text: str  # as stored, without the leading "="
    cached: bool
    error: str = ""  # the error value it gave (#DIV/0!, #REF!, …), which calamine reads as blank

    @property
    def external(self) -> bool:
        """It takes a value from another file: ``[1]Sheet1!A1`` (OOXML) or ``'[other.xlsx]Sheet1'!A1``."""
        return bool(_EXTERNAL_REF.search(self.text))


_EXTERNAL_REF = re.compile(r"\[[^\]]+\][^!]*!|'[a-z]+:[^']*'#")  # OOXML [1]Sheet!A1; OpenFormula 'file:…'#


@dataclass
class OpenedFile:
    path: Path
    sha256: str
    sheets: dict[str, SheetValues]
    properties: dict[str, str] = field(default_factory=dict)  # custom document properties
    links_other_files: bool = False  # an .xlsx with external links (formulas that read other files)
    data: bytes = field(default=b"", repr=False)
    _formulas: dict[str, dict[tuple[int, int], CellFormula]] = field(default_factory=dict, repr=False)
    _parts: dict[str, str] | None = field(default=None, repr=False)
    _members: dict[str, bytes] | None = field(default=None, repr=False)  # an .xlsx's parts, inflated once

    def formula(self, sheet: str, row: int, col: int) -> CellFormula | None:
        """The formula in a cell (zero-based), None if none. calamine gives only values (and a formula's error
        as a blank), so the file is read again for formulas, only when asked: an .xlsx sheet by sheet, an .ods
        or .xls whole (one part or stream holds every sheet)."""
        if sheet not in self._formulas:
            with contextlib.suppress(Exception):  # calamine read the file: a failure here means no formulas known
                self._formulas.update(self._read_formulas(sheet))
            self._formulas.setdefault(sheet, {})
        return self._formulas[sheet].get((row, col))

    def _read_formulas(self, sheet: str) -> dict[str, dict[tuple[int, int], CellFormula]]:
        if self.data.startswith(OLE_MAGIC):
            return _xls_formulas(self.data)
        if not self.data.startswith(ZIP_MAGIC):
            return {}
        read: Callable[[str], bytes]
        if self._members is not None:
            names, read = set(self._members), self._members.__getitem__
        else:
            archive = zipfile.ZipFile(io.BytesIO(self.data))  # it passed _inspect_zip's checks (bombs, DTDs)
            names, read = set(archive.namelist()), archive.read
        if "xl/workbook.xml" not in names:
            return _ods_formulas(read("content.xml")) if "content.xml" in names else {}
        if self._parts is None:
            self._parts = _sheet_parts(read)
        part = self._parts.get(sheet)
        return {sheet: _formulas_in(read(part)) if part and part in names else {}}


def open_spreadsheet(path: Path, data: bytes | None = None) -> OpenedFile:
    """Read a workbook or raise ReadError with a Chinese reason; never modifies the file. ``data``: the file's
    bytes, already read (``path`` then only names it)."""
    return opened_from(path, read_return(path, data))


def read_return(path: Path, data: bytes | None = None) -> bytes:
    """The bytes of a file a unit sent (``data`` if already read), or ReadError: a kind refused by its name,
    empty, too big, unreadable."""
    if path.suffix.lower() in UNSUPPORTED_SUFFIXES:
        raise _unsupported(path.suffix.lower())
    try:
        size = path.stat().st_size if data is None else len(data)
        if size == 0:
            raise ReadError("EMPTY")
        if size > MAX_FILE_BYTES:
            raise ReadError("TOO_BIG", mb=size // 1024 // 1024)
        return path.read_bytes() if data is None else data
    except OSError as exc:
        raise read_failure(exc) from None


def opened_from(path: Path, data: bytes) -> OpenedFile:
    """A workbook's bytes (from ``read_return``) read, or ReadError when they are no readable workbook."""
    if data.startswith(ZIP_MAGIC):
        opened = _opened_plain(path, data)
        if opened is not None:
            return opened
    properties, links = _sniff(data)
    return OpenedFile(path, sha256(data), read_sheets(data), properties, links, data)


def _opened_plain(path: Path, data: bytes) -> OpenedFile | None:
    """A plain .xlsx read in one pass (io/unzip.py): every member inflated once under the budget, the guards of
    ``_inspect_zip`` run on those bytes (no DTD in any part, no sheet reaching too far: here every part is held to
    the quick bound, sheet or not), and calamine given the same bytes stored. None when the careful way must
    decide: an unusual archive, another kind of file, or a guard that is not sure (it then names the part)."""
    members = inflate_plain(data, MAX_ZIP_MEMBERS, MAX_UNPACKED_BYTES)
    if members is None:
        return None
    parts = {m.name: m.data for m in members}
    if "xl/workbook.xml" not in parts or "xl/_rels/workbook.xml.rels" not in parts or "xl/workbook.bin" in parts:
        return None
    for name, content in parts.items():
        if name.endswith((".xml", ".rels")) and _has_dtd(content[:4096]):
            return None
        if not _surely_near(content):
            return None
    custom = parts.get("docProps/custom.xml")
    properties = _custom_properties(custom) if custom is not None else {}
    links = any(name.startswith("xl/externalLinks/") for name in parts)
    sheets = read_sheets(stored_zip(members))
    return OpenedFile(path, sha256(data), sheets, properties, links, data, _members=parts)


def read_sheets(data: bytes) -> dict[str, SheetValues]:
    """Every sheet's values, hidden sheets included, of a workbook's bytes (vetted first by the caller)."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return {
            meta.name: SheetValues(workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False))
            for meta in workbook.sheets_metadata
        }
    except python_calamine.PasswordError:
        raise ReadError("ENCRYPTED") from None
    except Exception as exc:  # calamine raises several types for damaged content
        raise ReadError("DAMAGED_CONTENT", detail=type(exc).__name__) from None


def _sniff(data: bytes) -> tuple[dict[str, str], bool]:
    """Refuse what is not a readable workbook, judged by content; the custom properties of a zip-based one
    and whether it links to other files."""
    if data.startswith(ZIP_MAGIC):
        return _inspect_zip(data)
    if data.startswith(OLE_MAGIC):
        if _utf16("EncryptedPackage") in data:
            raise ReadError("ENCRYPTED")
        if _utf16("WordDocument") in data:
            raise _not_spreadsheet("doc")
        if _utf16("Workbook") in data or _utf16("Book") in data:
            if _xls_encrypted(data):
                raise ReadError("ENCRYPTED")
            return {}, False
        raise _not_spreadsheet("ole")
    if data.startswith(b"%PDF"):
        raise _not_spreadsheet("pdf")
    if data.lstrip()[:5].lower() in (b"<html", b"<!doc"):
        raise _not_spreadsheet("html")
    raise _not_spreadsheet("unknown")


def _inspect_zip(data: bytes) -> tuple[dict[str, str], bool]:
    archive, kind = open_zip(data)
    if kind not in ("xlsx", "ods"):
        raise _not_spreadsheet(kind)
    try:
        names = set(archive.namelist())
        manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
        if kind == "ods" and b"encryption-data" in manifest:
            raise ReadError("ENCRYPTED")
        if kind == "xlsx":
            _refuse_far_cells(archive)
        properties: dict[str, str] = {}
        if "docProps/custom.xml" in names:
            properties = _custom_properties(archive.read("docProps/custom.xml"))
        return properties, any(name.startswith("xl/externalLinks/") for name in names)
    except ReadError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, OSError):
        raise ReadError("DAMAGED") from None


# A cell's or a row's start tag under any namespace prefix, its attributes and whether it is empty (``/>``).
_CELL_TAG = re.compile(rb"<(?:[^\s<>/:]+:)?(c|row)(?=[\s/>])([^>]*?)(/?)>")
_PLACE_ATTRIBUTE = re.compile(rb"""(?:^|\s)(?:[^\s=:]+:)?r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PLACE = re.compile(rb"\s*([A-Za-z]{0,3})([0-9]{1,7})\s*")
# What a cell's start tag must be followed by for the quick bound: its place, within column ZZ and row 9999.
_NOT_SURELY_NEAR = (re.compile(rb'<c[\s/>](?!r="[A-Z]{1,2}[0-9]{1,4}")'), re.compile(rb":c[\s/>]"))


def _surely_near(xml: bytes) -> bool:
    """True when a sheet's cells cannot reach MAX_SHEET_CELLS, found at C speed: every cell's start tag has its
    place first, within column ZZ and row 9,999 (702 × 9,999 cells at most). A cell is placed where its own
    reference says (whatever row it is written in), so the rows' numbers do not count. Every form's sheet passes
    (Excel, WPS, LibreOffice and XlsxWriter write each cell with its place first); any other is counted exactly,
    and so is any other part of a workbook that has cells."""
    return not any(pattern.search(xml) for pattern in _NOT_SURELY_NEAR)


def _refuse_far_cells(archive: zipfile.ZipFile) -> None:
    """ReadError when a sheet's cells with content reach so far (from A1) that reading it whole would take
    more than ``MAX_SHEET_CELLS`` cells; the message names the farthest ones, for the unit to clear them."""
    for sheet, member in _sheet_parts(archive.read).items():
        if member not in archive.NameToInfo:
            continue
        xml = archive.read(member)
        if _surely_near(xml):
            continue
        rows, cols, far_row, far_col = _reach(xml)
        if rows * cols > MAX_SHEET_CELLS:
            cells = "、".join(dict.fromkeys(c for c in (far_col, far_row) if c))
            raise ReadError("FAR_CELLS", sheet=sheet, cells=cells)


def _reach(xml: bytes) -> tuple[int, int, str, str]:
    """How many rows and columns a sheet's cells with content reach from A1, and the cells that reach farthest
    down and right. A cell or row may leave its place implied (the next one); a place that cannot be read counts
    as the farthest there is."""
    rows, cols, far_row, far_col = 0, 0, "", ""
    row = col = 0  # where the last row and cell were
    for tag, attributes, empty in _CELL_TAG.findall(xml):
        places = [_place(a or b) for a, b in _PLACE_ATTRIBUTE.findall(attributes)]
        if tag == b"row":
            row, col = max((r for r, _ in places), default=row + 1), 0
            continue
        if places:
            row, col = max(r for r, _ in places), max(c if c else col + 1 for _, c in places)
        else:
            col += 1
        if empty:  # a cell with a style and nothing in it is not read
            continue
        name = a1(min(row, _EXCEL_ROWS) - 1, min(col, EXCEL_COLUMNS) - 1)
        if row > rows:
            rows, far_row = row, name
        if col > cols:
            cols, far_col = col, name
    return rows, cols, far_row, far_col


_EXCEL_ROWS = 1_048_576


def _place(text: bytes) -> tuple[int, int]:
    """A place (``B12``; a row's ``12``) as row and column numbers from 1, the column 0 when it names none; one
    that cannot be read is beyond Excel's last row and column."""
    found = _PLACE.fullmatch(text)
    if found is None:
        return _EXCEL_ROWS + 1, EXCEL_COLUMNS + 1
    letters = found[1].upper().decode()
    return int(found[2]), sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(letters)))


def open_zip(data: bytes) -> tuple[zipfile.ZipFile, str]:
    """A zip-based file (a workbook, a Word document …) that passed the checks against zip bombs, damage
    and XML bombs, and its kind: "xlsx", "ods", "docx", "pptx" or "zip"."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ReadError("BOMB")
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ReadError("BOMB")
        kind = _zip_kind(archive, {m.filename for m in members})
        budget = MAX_UNPACKED_BYTES
        for member in members:
            # Stream every member under one budget: a header may lie about sizes; this also checks CRCs.
            budget, head = _drain(archive, member, budget)
            if member.filename.endswith((".xml", ".rels")) and _has_dtd(head):
                raise ReadError("XML_BOMB", part=member.filename)
        return archive, kind
    except ReadError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, OSError):
        raise ReadError("DAMAGED") from None


def _xls_encrypted(data: bytes) -> bool:
    """True if the BIFF8 workbook globals carry a FILEPASS record (it follows the BOF record)."""
    pos = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")  # BOF, BIFF8, workbook globals
    for _ in range(4 if pos >= 0 else 0):
        record, length = (
            int.from_bytes(data[pos : pos + 2], "little"),
            int.from_bytes(data[pos + 2 : pos + 4], "little"),
        )
        if record == 0x002F:
            return True
        pos += 4 + length
    return False


def _zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise _unsupported(".xlsb")
        return "xlsx"
    if "mimetype" in names and archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.spreadsheet":
        return "ods"
    if WORD_MAIN_PART in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return "zip"


def _drain(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: int) -> tuple[int, bytes]:
    head = b""
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            if not head:
                head = chunk[:4096]
            budget -= len(chunk)
            if budget < 0:
                raise ReadError("BOMB")
    return budget, head


def _has_dtd(head: bytes) -> bool:
    """True if an XML part declares a DTD (never in a genuine workbook part), is not UTF-8 (UTF-16 or UTF-32, with
    a byte order mark or without: the guards read ASCII), or has a prologue longer than its first 4 KB."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        return True
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    while text.startswith((b"<?", b"<!--")):
        close = b"?>" if text.startswith(b"<?") else b"-->"
        end = text.find(close)
        if end < 0:
            return True
        text = text[end + len(close) :].lstrip()
    return text[:9].upper() == b"<!DOCTYPE"


def _custom_properties(xml: bytes) -> dict[str, str]:
    """The custom document properties: each property's name and the text of its value, as ElementTree reads
    them (``property[0].text``), from expat's events (no tree is built). Like defusedxml, the parser refuses a
    DTD and any entity declaration or reference to another file; a damaged part just has no properties."""
    parser = expat.ParserCreate(None, "}")
    for handler in (
        "StartDoctypeDeclHandler",
        "EntityDeclHandler",
        "UnparsedEntityDeclHandler",
        "ExternalEntityRefHandler",
    ):
        setattr(parser, handler, _refuse)
    props: dict[str, str] = {}
    depth, name, first = 0, "", False
    current: str | None = None  # the property whose value's text is being read (until the next tag)
    text: list[str] = []

    def done() -> None:
        nonlocal current
        if current is not None:
            props[current], current = "".join(text), None

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth, name, first, current, text
        done()
        depth += 1
        if depth == 2:  # a property
            name, first = attributes.get("name", ""), True
        elif depth == 3 and first:  # its value: the first element in it
            first = False
            if name:
                props[name], current, text = "", name, []

    def end(tag: str) -> None:
        nonlocal depth
        done()
        depth -= 1

    def data(chunk: str) -> None:
        if current is not None:
            text.append(chunk)

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    try:
        parser.Parse(xml, True)
    except Exception:  # an entity trick (refused) or damaged XML: no properties
        return {}
    return props


def _refuse(*args: object) -> None:
    raise ValueError("DTD or entity in a workbook part")


def is_spreadsheet_name(path: Path) -> bool:
    return path.suffix.lower() in SPREADSHEET_SUFFIXES


def is_return_name(path: Path) -> bool:
    """A file a unit may have sent as its return: a workbook, a Word or PDF report, or a kind we refuse with advice."""
    suffix = path.suffix.lower()
    return is_spreadsheet_name(path) or suffix in (*WORD_SUFFIXES, *PDF_SUFFIXES) or suffix in UNSUPPORTED_SUFFIXES


def _unsupported(suffix: str) -> ReadError:
    what, advice = UNSUPPORTED_SUFFIXES[suffix]
    return ReadError("UNSUPPORTED", kind=what, advice=advice)


def _not_spreadsheet(kind: str) -> ReadError:
    what, advice = FILE_KINDS[kind]
    return ReadError("NOT_SPREADSHEET", kind=what, advice=advice)


def read_failure(exc: OSError) -> ReadError:
    """An operating-system failure to read, in words a clerk understands."""
    if exc.errno == errno.ELOOP:
        return ReadError("LINK_LOOP")
    if exc.errno == errno.ENOENT:
        return ReadError("LINK_BROKEN")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ReadError("NO_PERMISSION")
    return ReadError("UNREADABLE", reason=os_reason(exc))


# A cell holding a formula (its first child, by the schema) and the rest of its content, in a sheet's XML
# with any namespace prefix. Regular expressions, not a parser: many times faster, and only formulas are
# looked for here.
_FORMULA_CELL = re.compile(rb"<(?:[\w.-]+:)?c\s([^>]*)>\s*(<(?:[\w.-]+:)?f\b.*?)</(?:[\w.-]+:)?c>", re.S)
_ATTR = re.compile(rb'\b(r|t)="([^"]*)"')
_PART = {
    name: re.compile(rf"<(?:[\w.-]+:)?{name}(?:\s[^>]*?)?(?:/>|>(.*?)</(?:[\w.-]+:)?{name}>)".encode(), re.S)
    for name in "fv"
}
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _formulas_in(xml: bytes) -> dict[tuple[int, int], CellFormula]:
    """Every formula of a sheet's XML, by zero-based (row, col)."""
    formulas = {}
    for cell in _FORMULA_CELL.finditer(xml):
        formula = _PART["f"].search(cell[2])
        attributes = dict(_ATTR.findall(cell[1]))
        ref = _CELL_REF.fullmatch(attributes.get(b"r", b"").decode("ascii", "replace"))
        if formula is None or ref is None:
            continue
        value = _PART["v"].search(cell[2])
        # A formula whose result is "" is calculated too: Excel marks it t="str" with an empty value.
        cached = bool(value and value[1]) or attributes.get(b"t") == b"str"
        column = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(ref[1]))) - 1
        text = html.unescape((formula[1] or b"").decode("utf-8"))  # &amp; &quot; and &#20214; alike
        error = value[1].decode("utf-8", "replace") if value and attributes.get(b"t") == b"e" else ""
        formulas[(int(ref[2]) - 1, column)] = CellFormula(text, cached, error)
    return formulas


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_ODF_REFERENCE = re.compile(r"\[([^\]]*)\]")
_MAX_REPEAT = 1024  # a formula copied along a row is written once with a repeat count


def _ods_formulas(xml: bytes) -> dict[str, dict[tuple[int, int], CellFormula]]:
    """Every formula of an .ods (its content.xml), by sheet and zero-based (row, col), with its error value
    (LibreOffice marks an error result calcext:value-type="error" and writes it as the cell's text)."""
    found: dict[str, dict[tuple[int, int], CellFormula]] = {}
    sheet: dict[tuple[int, int], CellFormula] = {}
    row = col = 0
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _TABLE + "table":
                sheet, row = found.setdefault(element.get(_TABLE + "name", ""), {}), 0
            elif tag == _TABLE + "table-row":
                col = 0
            continue
        if tag in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
            repeat = int(element.get(_TABLE + "number-columns-repeated", "1"))
            formula = element.get(_TABLE + "formula")
            if formula:
                error = "".join(element.itertext()).strip() if element.get(_CALCEXT + "value-type") == "error" else ""
                cached = element.get(_OFFICE + "value-type") is not None
                for c in range(col, col + min(repeat, _MAX_REPEAT)):
                    sheet[(row, c)] = CellFormula(_excel_style(formula), cached, error)
            col += repeat
            element.clear()
        elif tag == _TABLE + "table-row":
            row += int(element.get(_TABLE + "number-rows-repeated", "1"))
            element.clear()
    return found


def _excel_style(formula: str) -> str:
    """An OpenFormula as a clerk would type it: ``of:=[.B9]+[Sheet2.A1:.A3]`` → ``B9+Sheet2!A1:A3``."""

    def reference(m: re.Match[str]) -> str:
        return ":".join(_excel_end(end) for end in re.findall(r"(?:'(?:[^']|'')*'|[^:'])+", m[1]))

    body = formula.split(":", 1)[1] if re.match(r"^[a-z]+:", formula) else formula
    return _ODF_REFERENCE.sub(reference, body.removeprefix("="))


_ODF_END = re.compile(r"\$?('(?:[^']|'')*'|[^'.]*)\.(.+)")  # [$]sheet.cell, the sheet quoted if need be


def _excel_end(end: str) -> str:
    """One end of an OpenFormula reference as Excel writes it: ``$Sheet2.$A$1`` → ``Sheet2!$A$1``, ``.B9`` →
    ``B9``, ``'附.表'.A1`` → ``'附.表'!A1``; another file's (``'file:…'#…``) as it is."""
    found = None if "'#" in end else _ODF_END.fullmatch(end)
    if found is None:
        return end
    return f"{found[1]}!{found[2]}" if found[1] else found[2]


_XLS_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
}


def _xls_formulas(data: bytes) -> dict[str, dict[tuple[int, int], CellFormula]]:
    """The formulas of an .xls (BIFF8) that gave an error, by sheet and zero-based (row, col): the FORMULA
    records of each sheet's substream, found from the BOUNDSHEET records of the workbook globals. The formula
    itself is stored as parsed tokens and is not shown (its text is '')."""
    import olefile

    with olefile.OleFileIO(data) as ole:
        if not ole.exists("Workbook"):  # "Book": BIFF5 (Excel 95), sheet names in an unknown code page
            return {}
        stream = ole.openstream("Workbook").read()

    def records(pos: int) -> Iterator[tuple[int, bytes]]:
        while pos + 4 <= len(stream):
            kind, length = (
                int.from_bytes(stream[pos : pos + 2], "little"),
                int.from_bytes(stream[pos + 2 : pos + 4], "little"),
            )
            yield kind, stream[pos + 4 : pos + 4 + length]
            if kind == 0x000A:  # EOF of a substream
                return
            pos += 4 + length

    found: dict[str, dict[tuple[int, int], CellFormula]] = {}
    for kind, body in records(0):
        if kind != 0x0085 or len(body) < 8:  # BOUNDSHEET: where a sheet starts, its type and name
            continue
        start, sheet_type, length, wide = int.from_bytes(body[:4], "little"), body[5], body[6], body[7] & 1
        if sheet_type != 0:  # 0 a worksheet; charts and macro sheets hold no figures
            continue
        name = body[8 : 8 + length * 2].decode("utf-16-le") if wide else body[8 : 8 + length].decode("latin-1")
        cells = found.setdefault(name, {})
        for record, cell in records(start):
            if record == 0x0006 and len(cell) >= 14 and cell[12:14] == b"\xff\xff" and cell[6] == 2:  # FORMULA, error
                row, col = int.from_bytes(cell[:2], "little"), int.from_bytes(cell[2:4], "little")
                cells[(row, col)] = CellFormula("", True, _XLS_ERRORS.get(cell[8], "#错误"))
    return found


def _sheet_parts(read: Callable[[str], bytes]) -> dict[str, str]:
    """Sheet name -> the zip member holding it, from the workbook and its relationships (``read``: a member's
    bytes by name)."""

    def local(tag: str) -> str:
        return tag.rpartition("}")[2]

    targets = {}
    for element in ElementTree.fromstring(read("xl/_rels/workbook.xml.rels")).iter():
        if local(element.tag) == "Relationship":
            target = element.get("Target", "")
            targets[element.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts = {}
    for element in ElementTree.fromstring(read("xl/workbook.xml")).iter():
        rel_id = next((v for k, v in element.attrib.items() if local(k) == "id"), None)
        if local(element.tag) == "sheet" and rel_id in targets:
            parts[element.get("name", "")] = posixpath.normpath(targets[rel_id])
    return parts
