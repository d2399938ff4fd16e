"""Last year's figures for the cross-year rules (X1, X2), from last year's workbooks or summaries.

A summary carries every unit's figures in its breakdown sheet, so last year's county summary is enough
to check each township's 上年结转 this year."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from nianbao.form.spec import DEFAULT_FORM
from nianbao.io.breakdown import read_breakdown
from nianbao.io.identity import SUMMARY
from nianbao.io.reading import open_spreadsheet
from nianbao.operations.check import CheckOptions, check_all


def previous_figures(
    paths: Iterable[str | Path], form_name: str = DEFAULT_FORM, year: int | None = None
) -> tuple[dict[str, Mapping[str, float | None]], list[str]]:
    """Figures by unit_id, and why any file could not be used; with ``year`` (this year), only files of the
    year before are used."""
    figures: dict[str, Mapping[str, float | None]] = {}
    unusable: list[str] = []
    for report in check_all(paths, CheckOptions(form_name=form_name)):
        if not report.figures:
            reason = report.errors[0].message if report.errors else "没有数字"
            unusable.append(f"{report.name}：{reason}")
            continue
        if year is not None and report.year != year - 1:
            unusable.append(f"{report.name}：是 {report.year} 年度的表格，不是上年（{year - 1} 年度）的")
            continue
        figures[report.unit_id] = report.figures
        if report.identity.get("kind") == SUMMARY:
            figures.update(read_breakdown(open_spreadsheet(report.path).sheets))
    return figures, unusable
