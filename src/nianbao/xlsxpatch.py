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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name


@dataclass(frozen=True)
class Formula:
    text: str  # without the leading "="
    cached: float
    style: int = 0  # an XF index of the workbook's styles, 0 for the default


Value = str | float | int | Formula | None


def append_rows(
    xlsx: bytes, sheet_number: int, first_row: int, row_count: int, width: int, rows: Iterable[Sequence[Value]]
) -> bytes:
    """``xlsx`` with ``rows`` (``row_count`` of them, ``width`` cells at most) appended to sheet number
    ``sheet_number`` (1-based, XlsxWriter's order) from zero-based row ``first_row`` on."""
    sheet_name = f"xl/worksheets/sheet{sheet_number}.xml"
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    strings = _SharedStrings(source.read("xl/sharedStrings.xml"))
    letters = [xl_col_to_name(c) for c in range(width)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type, copy.external_attr, copy.create_system = (
                info.compress_type,
                info.external_attr,
                info.create_system,
            )
            if info.filename == sheet_name:
                head, tail = source.read(info).decode("utf-8").split("</sheetData>")
                last = f"{letters[-1]}{first_row + row_count}"
                head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
                with target.open(copy, "w") as stream:
                    stream.write(head.encode("utf-8"))
                    for n, row in enumerate(rows):
                        stream.write(_row(first_row + n + 1, row, letters, strings).encode("utf-8"))
                    stream.write(("</sheetData>" + tail).encode("utf-8"))
            elif info.filename == "xl/sharedStrings.xml":
                target.writestr(copy, strings.xml())
            else:
                target.writestr(copy, source.read(info))
    return out.getvalue()


def _row(number: int, values: Sequence[Value], letters: list[str], strings: _SharedStrings) -> str:
    cells = []
    for col, value in enumerate(values):
        ref = f"{letters[col]}{number}"
        if value is None or value == "":
            continue
        if isinstance(value, str):
            cells.append(f'<c r="{ref}" t="s"><v>{strings.index(value)}</v></c>')
        elif isinstance(value, Formula):
            style = f' s="{value.style}"' if value.style else ""
            cells.append(f'<c r="{ref}"{style}><f>{_escape(value.text)}</f><v>{value.cached:.16G}</v></c>')
        else:
            cells.append(f'<c r="{ref}"><v>{value:.16G}</v></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


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

    def xml(self) -> bytes:
        items = "".join(
            f'<si><t xml:space="preserve">{_escape(s)}</t></si>' if s != s.strip() else f"<si><t>{_escape(s)}</t></si>"
            for s in self.added
        )
        text = re.sub(
            r'count="\d+" uniqueCount="\d+"',
            f'count="{self.count}" uniqueCount="{self.unique + len(self.added)}"',
            self.text,
            count=1,
        )
        return text.replace("</sst>", items + "</sst>").encode("utf-8")


def _escape(text: str) -> str:
    """XML text as Excel writes it: control characters as _xHHHH_ (XML cannot hold them)."""
    text = escape(text)
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: f"_x{ord(m[0]):04X}_", text)


def _unescape(text: str) -> str:
    text = re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
