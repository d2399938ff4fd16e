"""Stream rows into one sheet of a finished XlsxWriter workbook, with shared strings.

XlsxWriter keeps every cell in memory until it closes, so a summary's breakdown of thousands of units grows
memory with the number of units; its streaming mode writes inline strings, which some WPS versions cannot
open. This writes the big sheet's rows straight into the zip, strings going to the shared string table as
XlsxWriter itself would put them, so memory stays flat and the file stays a standard one.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, BinaryIO
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name


@dataclass(frozen=True)
class Formula:
    text: str  # without the leading "="
    cached: float
    style: int = 0  # an XF index of the workbook's styles, 0 for the default


Value = str | float | int | Formula | None


@dataclass(frozen=True)
class SheetRows:
    """Rows to append to a sheet: from zero-based ``first_row``, ``count`` rows of at most ``width`` cells."""

    first_row: int
    count: int
    width: int
    rows: Iterable[Sequence[Value]]
    style: int = 0  # the XF index for every cell (a formula keeps its own)
    height: Callable[[Sequence[Value]], float] | None = None  # a row's height in points (0: the default)


def append_rows(xlsx: bytes, sheets: Mapping[int, SheetRows], out: BinaryIO) -> None:
    """Write ``xlsx`` to ``out`` with rows appended to the sheets numbered as keys (1-based, XlsxWriter's
    order); the result goes straight to ``out``, never whole into memory."""
    by_member = {f"xl/worksheets/sheet{number}.xml": rows for number, rows in sheets.items()}
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    # XlsxWriter writes the sheets before the shared strings, so new strings are known when the table comes.
    strings = _SharedStrings(source.read("xl/sharedStrings.xml"))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type, copy.external_attr, copy.create_system = (
                info.compress_type,
                info.external_attr,
                info.create_system,
            )
            if info.filename in by_member:
                _write_sheet(source.read(info).decode("utf-8"), by_member[info.filename], target, copy, strings)
            elif info.filename == "xl/sharedStrings.xml":
                with target.open(copy, "w") as stream:
                    strings.write(stream)
            else:
                target.writestr(copy, source.read(info))


def _write_sheet(
    xml: str, rows: SheetRows, target: zipfile.ZipFile, info: zipfile.ZipInfo, strings: _SharedStrings
) -> None:
    head, tail = xml.split("</sheetData>")
    letters = [xl_col_to_name(c) for c in range(rows.width)]
    last = f"{letters[-1]}{rows.first_row + rows.count}"
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
    style = f' s="{rows.style}"' if rows.style else ""
    with target.open(info, "w") as stream:
        stream.write(head.encode("utf-8"))
        for n, row in enumerate(rows.rows):
            tall = rows.height(row) if rows.height else 0
            stream.write(_row(rows.first_row + n + 1, row, letters, strings, style, tall).encode("utf-8"))
        stream.write(("</sheetData>" + tail).encode("utf-8"))


def _row(
    number: int, values: Sequence[Value], letters: list[str], strings: _SharedStrings, style: str, height: float = 0
) -> str:
    cells = []
    for col, value in enumerate(values):
        ref = f"{letters[col]}{number}"
        if value is None or value == "":
            if style:
                cells.append(f'<c r="{ref}"{style}/>')  # an empty cell still gets its borders
            continue
        if isinstance(value, str):
            cells.append(f'<c r="{ref}"{style} t="s"><v>{strings.index(value)}</v></c>')
        elif isinstance(value, Formula):
            own = f' s="{value.style}"' if value.style else ""
            cells.append(f'<c r="{ref}"{own}><f>{_escape(value.text)}</f><v>{value.cached:.16G}</v></c>')
        else:
            cells.append(f'<c r="{ref}"{style}><v>{value:.16G}</v></c>')
    tall = f' ht="{height:g}" customHeight="1"' if height else ""  # LibreOffice does not fit rows to wrapped text
    return f'<row r="{number}"{tall}>{"".join(cells)}</row>'


class _SharedStrings:
    """XlsxWriter's shared string table, extended with the new rows' strings (each string once)."""

    def __init__(self, xml: bytes) -> None:
        self.text = xml.decode("utf-8")
        head = re.search(r'count="(\d+)" uniqueCount="(\d+)"', self.text)
        if head is None:
            raise ValueError("unexpected sharedStrings.xml")
        self.count, self.unique = int(head[1]), int(head[2])
        self.known = {
            _unescape(m[1]): i for i, m in enumerate(re.finditer(r"<si><t(?: [^>]*)?>(.*?)</t></si>", self.text, re.S))
        }
        self.added: list[str] = []

    def index(self, value: str) -> int:
        self.count += 1
        if value not in self.known:
            self.known[value] = self.unique + len(self.added)
            self.added.append(value)
        return self.known[value]

    def write(self, stream: IO[bytes]) -> None:
        """The table with the new strings, written piece by piece (it can hold every unit's texts)."""
        head = re.sub(
            r'count="\d+" uniqueCount="\d+"',
            f'count="{self.count}" uniqueCount="{self.unique + len(self.added)}"',
            self.text,
            count=1,
        )
        before, closing, _ = head.rpartition("</sst>")
        if not closing:
            raise ValueError("unexpected sharedStrings.xml")
        stream.write(before.encode("utf-8"))
        for s in self.added:
            space = ' xml:space="preserve"' if s != s.strip() else ""
            stream.write(f"<si><t{space}>{_escape(s)}</t></si>".encode())
        stream.write(b"</sst>")


def _escape(text: str) -> str:
    """XML text as Excel (and XlsxWriter) writes it: control characters as _xHHHH_ (XML cannot hold them,
    and a carriage return would be read back as a line feed), and a literal "_xHHHH_" in the text as
    "_x005F_xHHHH_" so that it is read back as typed, not as the character it would stand for."""
    text = re.sub(r"_x[0-9a-fA-F]{4}_", lambda m: "_x005F" + m[0], escape(text))
    return re.sub(r"[\x00-\x08\x0b-\x1f]", lambda m: f"_x{ord(m[0]):04X}_", text)


def _unescape(text: str) -> str:
    text = re.sub(r"_x([0-9a-fA-F]{4})_", lambda m: chr(int(m[1], 16)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
