"""A plain table (a header and rows) as a file a clerk opens in Excel or WPS: .xlsx, or .csv in UTF-8 with a
BOM (which Excel needs to show Chinese). Text stays text: never a formula or a link (the OWASP CSV rule).

An .xlsx is ready to print: title lines above the header (``heading``), A4 landscape as wide as the page, the
header row on every page, long texts wrapped in rows as tall as they need. A .csv is the data alone."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from nianbao.io.files import csv_safe
from nianbao.problems import NianbaoError

Cell = str | int | float
TABLE_SUFFIXES = (".xlsx", ".csv")
WIDEST = 30  # characters: a column of longer texts wraps them


def table_bytes(
    suffix: str, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], heading: Sequence[str] = ()
) -> bytes:
    """The table as the bytes of a ``suffix`` file (.xlsx: one sheet named ``title``, the ``heading`` lines above
    the header, header frozen, filters)."""
    suffix = suffix.lower()
    if suffix == ".csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([csv_safe(h) for h in header])
        writer.writerows([csv_safe(v) for v in row] for row in rows)
        return text.getvalue().encode("utf-8-sig")
    if suffix != ".xlsx":
        raise NianbaoError(f"只能导出为 {'、'.join(TABLE_SUFFIXES)} 文件，不是“{suffix or '无扩展名'}”")
    return _workbook(title, header, rows, heading)


def _workbook(title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], heading: Sequence[str]) -> bytes:
    import xlsxwriter

    from nianbao.io.writer import display_width, text_height

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(title[:31])
    base = {"font_size": 10, "valign": "top", "text_wrap": True}
    bold = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "vcenter"})
    plain = wb.add_format({**base, "border": 1})
    big = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    note = wb.add_format({"font_size": 10, "align": "left"})
    last = max(0, len(header) - 1)
    for r, line in enumerate(heading):
        style = big if r == 0 else note
        if last:
            ws.merge_range(r, 0, r, last, line, style)
        else:
            ws.write_string(r, 0, line, style)
        ws.set_row(r, 28 if r == 0 else 18)
    top = len(heading)
    widths = []
    for c, name in enumerate(header):
        longest = max([display_width(str(name)), *(display_width(str(row[c])) for row in rows[:500] if c < len(row))])
        widths.append(min(WIDEST, 2 + longest))
    ws.write_row(top, 0, header, bold)
    ws.set_row(top, max([20.0, *(text_height(str(name), w, 10) for name, w in zip(header, widths, strict=True))]))
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(r, c, value, plain)
            else:
                ws.write_number(r, c, value, plain)
        texts = [text_height(v, widths[c], 10) for c, v in enumerate(row) if isinstance(v, str) and c < len(widths)]
        ws.set_row(r, min(409, max(texts, default=18)))
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.freeze_panes(top + 1, 0)
    ws.autofilter(top, 0, top + len(rows), last)
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top)
    wb.close()
    return buffer.getvalue()
