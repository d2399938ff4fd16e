"""A plain table (a header and rows) as a file a clerk opens in Excel or WPS: .xlsx, or .csv in UTF-8 with a
BOM (which Excel needs to show Chinese). Text stays text: never a formula or a link (the OWASP CSV rule)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from nianbao.io.files import csv_safe
from nianbao.problems import NianbaoError

Cell = str | int | float
TABLE_SUFFIXES = (".xlsx", ".csv")


def table_bytes(suffix: str, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """The table as the bytes of a ``suffix`` file (.xlsx: one sheet named ``title``, header frozen, filters)."""
    suffix = suffix.lower()
    if suffix == ".csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([csv_safe(h) for h in header])
        writer.writerows([csv_safe(v) for v in row] for row in rows)
        return text.getvalue().encode("utf-8-sig")
    if suffix != ".xlsx":
        raise NianbaoError(f"只能导出为 {'、'.join(TABLE_SUFFIXES)} 文件，不是“{suffix or '无扩展名'}”")
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(title[:31])
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    ws.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, value)
    for c, name in enumerate(header):
        longest = max([len(str(name)), *(len(str(row[c])) for row in rows[:500] if c < len(row))])
        ws.set_column(c, c, min(60, 2 + 2 * longest))  # Chinese characters are two columns wide
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(rows), max(0, len(header) - 1))
    wb.close()
    return buffer.getvalue()
