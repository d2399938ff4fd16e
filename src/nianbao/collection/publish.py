"""Each unit's annual report to publish (发布稿): made from the version the county counted, once the unit has
passed, so that what a township publishes is what the county approved and summed. Its figures are the counted
version's, its text sections its own (a section it left empty is drafted from its figures and marked, as the
county's own report is); signed by the unit with the date. Written as Word and as a web page into 发布稿/ under
the report's title, replacing the draft of an earlier run; a unit that has not passed gets none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from nianbao.collection.layout import PUBLISH_DIR
from nianbao.collection.model import PASSED, UnitState
from nianbao.io.files import safe_name, write_atomic
from nianbao.operations.report import AnnualReport, completed, rendered

if TYPE_CHECKING:
    from nianbao.collection.workspace import Workspace

SUFFIXES = (".docx", ".html")


@dataclass(frozen=True)
class Publication:
    """A unit's report to publish: its files, or none (``state`` says why: the unit has not passed)."""

    state: UnitState
    files: tuple[Path, ...] = ()
    drafted: tuple[str, ...] = ()  # the text sections the unit left empty, drafted from its figures

    @property
    def published(self) -> bool:
        return bool(self.files)


def publish(ws: Workspace, units: Sequence[str] = (), dated: date | None = None) -> list[Publication]:
    """The reports to publish of the units named (codes or names; none: every roster unit), in roster order,
    dated ``dated`` (None: today). Logged when any was written."""
    named = list({u.unit_id: u for u in (ws.unit_named(unit) for unit in units)}.values())
    states = ws.standing.states(named) if named else ws.standing.states(ws.units, every=True)
    order = {u.unit_id: i for i, u in enumerate(ws.units)}
    states.sort(key=lambda s: order.get(s.unit_id, 0))
    previous = ws.record.previous()
    names = [s.unit_name for s in states]
    done = []
    for state in states:
        if state.state != PASSED or state.counted is None:
            done.append(Publication(state))
            continue
        version = state.counted
        report = AnnualReport(ws.form, state.unit_name, ws.year, dict(version.figures), dict(version.texts))
        report = replace(completed(report, {}, previous.get(state.unit_id)), office=state.unit_name, dated=dated)
        stem = safe_name(report.title, 80) + (f"_{state.unit_id}" if names.count(state.unit_name) > 1 else "")
        files = []
        for suffix in SUFFIXES:
            target = ws.root / PUBLISH_DIR / f"{stem}{suffix}"
            write_atomic(target, rendered(report, suffix), overwrite=True)
            files.append(target)
        done.append(Publication(state, tuple(files), report.drafted))
    written = [p.state.unit_id for p in done if p.published]
    if written:
        with ws.record.transaction() as record:
            record.log("publish", {"units": len(written), "unit_ids": written[:20]}, ws.user)
    return done
