"""A unit's state, judged from what the record holds about it: a pure function, no record, no files.

The version that counts decides: 未收到 without one; 有错误 with errors or sent back by the clerk; 待核实 with
warnings neither explained in the workbook's 情况说明 nor accepted; else 已通过.

Timeliness is judged as statistics offices count it, on the unit's first return (its 报送时间), whatever its
errors: 迟交 when that came after the unit's own deadline (the later of its extension and the round's);
corrections, and answers to a 退回, never make a unit late. A unit with nothing received past its deadline is
逾期未报, so many days overdue.

An acceptance holds for a later version while its basis is the same: the warning's words and every figure it
reads (`basis`); a warning from the comparison with the other units, while the unit's own figure is the same."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from nianbao.collection.model import (
    HAS_ERRORS,
    NOT_RECEIVED,
    PASSED,
    TO_VERIFY,
    UnitFacts,
    UnitState,
    Version,
    cell_of,
    warnings_of,
)
from nianbao.io.roster import Unit
from nianbao.problems import Problem

Basis = Callable[[Problem, Version], str]


@dataclass(frozen=True)
class Judged:
    """What judging a unit needs besides its facts."""

    deadline: date | None  # the round's
    review: Sequence[Problem] = ()  # the across-units review of its counted version
    sender_warning: str = ""
    today: date | None = None  # for 逾期未报 (None: no unit is overdue)
    damaged: str = ""  # what became of the counted version's stored file ('' when it is as received)
    flags: Sequence[Problem] = ()  # warnings no 情况说明 settles, only the clerk (a sender that is another unit's)


def judge(unit: Unit, facts: UnitFacts | None, judged: Judged, basis: Basis) -> UnitState:
    """The state of ``unit``. ``basis`` gives what an acceptance of a warning relies on (it reads the form spec:
    asked only when the unit has acceptances)."""
    extension = facts.extension.until if facts and facts.extension else None
    deadline = due(judged.deadline, extension)
    if facts is None or facts.counted is None:
        overdue = (judged.today - deadline).days if deadline and judged.today and judged.today > deadline else 0
        return UnitState(unit.unit_id, unit.unit_name, NOT_RECEIVED, 0, None, extended=extension, overdue=overdue)
    counted = facts.counted
    first = facts.first_at or counted.received_at
    late = deadline is not None and date.fromisoformat(first[:10]) > deadline
    open_warnings: list[Problem] = []
    if (counted.warnings or judged.review) and not counted.explained:
        warnings = [*warnings_of(counted), *judged.review]
        open_warnings = [w for w in warnings if not accepted(w, counted, facts, basis)]
    open_warnings += [w for w in judged.flags if not accepted(w, counted, facts, basis)]
    if counted.errors or facts.rejections or judged.damaged:
        state = HAS_ERRORS
    elif open_warnings:
        state = TO_VERIFY
    else:
        state = PASSED
    return UnitState(
        unit.unit_id,
        unit.unit_name,
        state,
        facts.versions,
        counted,
        facts.pinned,
        late,
        open_warnings,
        judged.sender_warning,
        list(judged.review),
        list(facts.rejections),
        extension,
        first,
        damaged=judged.damaged,
    )


def due(deadline: date | None, extension: date | None) -> date | None:
    """A unit's own deadline: the later of the round's and its extension (an extension never shortens it)."""
    if deadline is None or extension is None:
        return extension or deadline
    return max(deadline, extension)


def accepted(warning: Problem, version: Version, facts: UnitFacts, basis: Basis) -> bool:
    """Whether the clerk accepted this warning on a basis that still holds."""
    if not facts.acceptances:
        return False  # no acceptance to compare with: the spec is not read
    said = basis(warning, version)
    cell = cell_of(warning)
    return any(a.code == warning.code and a.cell == cell and a.basis == said for a in facts.acceptances)


def basis(warning: Problem, figures: dict[str, object], read: Sequence[str], across: bool) -> str:
    """What an acceptance relies on: for a warning against the other units, the unit's own figure (whatever the
    median does); else the warning's words and the figures ``read`` (the cells its rule reads)."""
    if across:
        value = warning.params.get("value")
        kept = value if value is None or isinstance(value, (int, float)) else str(value)  # as the record keeps it
        return json.dumps([warning.code, kept], ensure_ascii=False)
    return json.dumps([warning.message, {c: figures.get(c) for c in read}], ensure_ascii=False)
