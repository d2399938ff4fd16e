"""Last year's figures for the cross-year rules (X1, X2), from last year's workbooks or summaries.

A summary carries every unit's figures in its breakdown sheet, so last year's county summary is enough
to check each township's 上年结转 this year."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nianbao.form.spec import DEFAULT_FORM
from nianbao.io.reading import open_spreadsheet
from nianbao.io.values import read_text
from nianbao.operations.check import CheckOptions, check_paths
from nianbao.operations.merge import BREAKDOWN_SHEET, TOTAL_LABEL

Figures = dict[str, float | None]


def previous_figures(
    paths: Iterable[str | Path], form_name: str = DEFAULT_FORM
) -> tuple[dict[str, Figures], list[str]]:
    """Figures by unit_id, and why any file could not be used."""
    figures: dict[str, Figures] = {}
    unusable: list[str] = []
    for report in check_paths(paths, CheckOptions(form_name=form_name)):
        if not report.figures:
            reason = report.errors[0].message if report.errors else "没有数字"
            unusable.append(f"{report.path}：{reason}")
            continue
        figures[report.unit_id] = report.figures
        if report.identity.get("kind") == "summary":
            figures.update(breakdown(report.path))
    return figures, unusable


def breakdown(path: Path) -> dict[str, Figures]:
    """Each unit's figures from a summary's breakdown sheet (codes in the first row, a unit per row)."""
    grid = open_spreadsheet(path).sheets.get(BREAKDOWN_SHEET)
    if grid is None or not grid.rows:
        return {}
    codes = [read_text(c) for c in grid.rows[0][3:]]
    units: dict[str, Figures] = {}
    for row in grid.rows[2:]:
        unit_id = read_text(row[0]) if row else ""
        if not unit_id or unit_id == TOTAL_LABEL:
            continue
        units[unit_id] = {
            code: v if isinstance(v, (int, float)) else None for code, v in zip(codes, row[3:], strict=False)
        }
    return units
