"""Last year's figures for a round (read by `last_year` in workspace.py from last year's workbooks, summary,
published reports or workspace): kept in the record, and every version received so far checked again when they
change (X1, X2, the year-over-year review)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nianbao.io.files import shown
from nianbao.operations.parallel import Progress, no_progress
from nianbao.problems import NianbaoError

if TYPE_CHECKING:
    from nianbao.collection.workspace import Workspace

Figures = dict[str, Mapping[str, float | None]]
NOTHING_FROM_LAST_YEAR = "没有从这些文件中读到任何单位的上年数字："


def nothing_found(notes: Sequence[str], more: str = "") -> NianbaoError:
    return NianbaoError(NOTHING_FROM_LAST_YEAR + ("；".join(notes) or "没有可用的文件") + more)


def source_of(paths: Iterable[str | Path]) -> str:
    """The files last year's figures came from, as the record keeps them."""
    return "、".join(shown(Path(p)) for p in paths)


def keep_previous(
    ws: Workspace, figures: Figures, paths: Sequence[str | Path], progress: Progress = no_progress
) -> None:
    """Keep last year's figures read from ``paths``, replacing any given before, and check every version received
    so far again against them."""
    if not figures:
        raise NianbaoError(NOTHING_FROM_LAST_YEAR + "没有可用的文件")
    with ws.record.transaction() as record:
        record.set_previous(figures, source_of(paths))
        record.log("previous", {"units": len(figures), "files": [shown(Path(p)) for p in paths]}, ws.user)
    ws.forget_previous()
    check_again(ws, progress)


def check_again(ws: Workspace, progress: Progress = no_progress) -> None:
    """Check every roster unit's stored versions again (after last year's figures changed)."""
    from nianbao.collection.intake import Checked
    from nianbao.operations.check import check_file, iter_checks

    rows = ws.record.stored_returns()
    books = [r for r in rows if not r[1].lower().endswith((".docx", ".pdf"))]
    reports = list(iter_checks([ws.root / stored for _, stored, _ in books], ws.check_options(), progress))
    # A Word or PDF return keeps the unit it was recorded under (its title may not name it).
    words = [r for r in rows if r[1].lower().endswith((".docx", ".pdf"))]
    reports += [check_file(ws.root / stored, ws.check_options(unit_id)) for _, stored, unit_id in words]
    updates = []
    for (file_id, _, _), report in zip(books + words, reports, strict=True):
        checked = Checked.of(report)
        updates.append((checked.errors, checked.warnings, checked.problems, file_id))
    with ws.record.transaction() as record:
        record.set_problems(updates)
