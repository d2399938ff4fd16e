"""The summary's breakdown sheet (分单位明细): every unit's every figure, a row per unit. Merge writes it;
last year's summary is read back through it, so that each unit's previous figures are at hand."""

from __future__ import annotations

from collections.abc import Mapping

from nianbao.io.reading import SheetValues
from nianbao.io.values import read_text

SHEET = "分单位明细"
UNIT_COLUMNS = ("单位编码", "单位名称", "文件")
FIRST_FIGURE = len(UNIT_COLUMNS)  # column of the first figure; the first row holds the cell codes
HEADER_ROWS = 3  # the cell codes, each group of figures (a row of a table), each figure's caption
TOTAL_LABEL = "合计"  # the first cell of the last row, which sums the units

Figures = dict[str, float | None]


def read_breakdown(sheets: Mapping[str, SheetValues]) -> dict[str, Figures]:
    """Each unit's figures by unit_id, from a summary's sheets (none if it has no breakdown)."""
    sheet = sheets.get(SHEET)
    if sheet is None or not sheet.rows:
        return {}
    codes = [read_text(c) for c in sheet.rows[0][FIRST_FIGURE:]]
    units: dict[str, Figures] = {}
    for row in sheet.rows[1:]:  # the captions below the codes (two rows, or one in a summary of before) have no unit
        unit_id = read_text(row[0]) if row else ""
        if not unit_id or unit_id in (TOTAL_LABEL, UNIT_COLUMNS[0]):  # the total, the header of the units' column
            continue
        figures = row[FIRST_FIGURE:]
        units[unit_id] = {
            code: v if isinstance(v, (int, float)) else None for code, v in zip(codes, figures, strict=False)
        }
    return units
