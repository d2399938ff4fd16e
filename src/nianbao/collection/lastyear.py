"""Last year's figures for a round: read from last year's workbooks, summary, published reports or workspace;
kept in the record; every version received so far checked again when they change (X1, X2, the year-over-year
review)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nianbao.collection.layout import DATABASE
from nianbao.io.files import shown
from nianbao.io.roster import Unit
from nianbao.operations.parallel import Progress, no_progress
from nianbao.problems import NianbaoError

if TYPE_CHECKING:
    from nianbao.collection.workspace import Workspace

Figures = dict[str, Mapping[str, float | None]]
NOTHING_FROM_LAST_YEAR = "没有从这些文件中读到任何单位的上年数字："


def last_year(
    paths: Iterable[str | Path], form_name: str, year: int | None, units: Iterable[Unit] | None = None
) -> tuple[Figures, list[str]]:
    """Last year's figures by unit (``previous_figures``), where a workspace folder gives each unit's counted
    version (one with errors is not used); and what could not be used."""
    from nianbao.collection.workspace import Workspace
    from nianbao.operations.previous import previous_figures

    figures: Figures = {}
    notes: list[str] = []
    files = []
    for path in map(Path, paths):
        if not (path / DATABASE).is_file():
            files.append(path)
            continue
        workspace = Workspace.open(path)
        workspace.record.read_only()  # last year's record is only read (nothing kept in it)
        try:
            if year is not None and workspace.year != year - 1:
                notes.append(f"{shown(path)}：是 {workspace.year} 年度的工作区，不是上年（{year - 1} 年度）的")
                continue
            for state in workspace.status().units:
                if state.counted is None:
                    continue
                if state.counted.errors:
                    notes.append(f"{shown(path)}：{state.unit_name} 计入的版本有错误，未使用")
                    continue
                known = state.counted.figures.items()
                figures[state.unit_id] = {c: v if isinstance(v, (int, float)) else None for c, v in known}
        finally:
            workspace.close()
    if files:
        found, more = previous_figures(files, form_name, year, units)
        figures.update(found)
        notes += more
    return figures, notes


def nothing_found(notes: Sequence[str], more: str = "") -> NianbaoError:
    return NianbaoError(NOTHING_FROM_LAST_YEAR + ("；".join(notes) or "没有可用的文件") + more)


def source_of(paths: Iterable[str | Path]) -> str:
    """The files last year's figures came from, as the record keeps them."""
    return "、".join(shown(Path(p)) for p in paths)


def set_previous(ws: Workspace, paths: Sequence[str | Path], progress: Progress = no_progress) -> tuple[int, list[str]]:
    """Take last year's figures from ``paths``, replacing any given before, and check every version received so
    far again against them. Returns how many units' figures were found, and what could not be used."""
    figures, notes = last_year(paths, ws.form_name, ws.year, ws.units)
    if not figures:
        raise nothing_found(notes)
    with ws.record.transaction() as record:
        record.set_previous(figures, source_of(paths))
        record.log("previous", {"units": len(figures), "files": [shown(Path(p)) for p in paths]}, ws.user)
    ws.forget_previous()
    check_again(ws, progress)
    return len(figures), notes


def check_again(ws: Workspace, progress: Progress = no_progress) -> None:
    """Check every roster unit's stored versions again (after last year's figures changed)."""
    from nianbao.collection.intake import Checked
    from nianbao.operations.check import check_file, iter_checks

    rows = ws.record.stored_returns()
    books = [r for r in rows if not r[1].lower().endswith(".docx")]
    reports = list(iter_checks([ws.root / stored for _, stored, _ in books], ws.check_options(), progress))
    # A Word return keeps the unit it was recorded under (its title may not name it).
    words = [r for r in rows if r[1].lower().endswith(".docx")]
    reports += [check_file(ws.root / stored, ws.check_options(unit_id)) for _, stored, unit_id in words]
    updates = []
    for (file_id, _, _), report in zip(books + words, reports, strict=True):
        checked = Checked.of(report)
        updates.append((checked.errors, checked.warnings, checked.problems, file_id))
    with ws.record.transaction() as record:
        record.set_problems(updates)
