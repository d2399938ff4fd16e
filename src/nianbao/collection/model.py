"""The collection round's data, as the record gives it and the rules judge it: frozen values, no behaviour that
reads or writes anything. The words a clerk reads (未收到, 迟交 …) are the values themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nianbao.io.values import says_nothing
from nianbao.problems import ERROR, MESSAGES, WARNING, Problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from nianbao.collection.mail import Mail


class State(str, Enum):
    """A roster unit's state in the round, from the version that counts."""

    NOT_RECEIVED = "未收到"
    HAS_ERRORS = "有错误"
    TO_VERIFY = "待核实"  # warnings neither explained in the workbook nor accepted
    PASSED = "已通过"

    def __str__(self) -> str:  # the label, wherever it is written (f-strings, pages, JSON)
        return self.value


NOT_RECEIVED, HAS_ERRORS, TO_VERIFY, PASSED = State.NOT_RECEIVED, State.HAS_ERRORS, State.TO_VERIFY, State.PASSED
LATE = "迟交"
OVERDUE = "逾期未报"
UNIDENTIFIED, OFF_ROSTER = "未识别", "不在名单"
NO_WORKBOOK = "来信无统计表"
NEW, KNOWN, REFUSED = "new", "known", "refused"  # what receiving a file did


@dataclass(frozen=True)
class Version:
    """A file received: a version of a roster unit, or a file that is not one (``version`` None)."""

    id: int
    unit_id: str
    unit_name: str
    version: int | None
    name: str
    stored: str
    source: str
    sender: str
    received_at: str
    sha256: str
    size: int
    errors: int
    warnings: int
    explanation: str
    problems_json: str = field(repr=False)  # parsed only when asked: status reads thousands of rows
    # Figures and narrative (JSON), the bulk of a version: None when a status did not read them; ``bulk`` reads
    # them from the record when first asked.
    figures_json: str | None = field(repr=False)
    texts_json: str | None = field(repr=False)
    bulk: Callable[[int, str], str] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def problems(self) -> list[Problem]:
        return [Problem.from_json(p) for p in json.loads(self.problems_json)]

    @cached_property
    def figures(self) -> dict[str, float | str | None]:
        """Every figure, or the text typed where no number could be read."""
        return dict(json.loads(self._read("figures", self.figures_json)))

    @cached_property
    def texts(self) -> dict[str, str]:
        return dict(json.loads(self._read("texts", self.texts_json)))

    def _read(self, column: str, kept: str | None) -> str:
        if kept is not None:
            return kept
        assert self.bulk is not None, "a version read without its figures keeps the means to read them"
        return self.bulk(self.id, column)

    @property
    def explained(self) -> bool:
        """The unit explained its warnings in the workbook's 情况说明."""
        return not says_nothing(self.explanation)

    def summary(self) -> dict[str, object]:
        return {
            "version": self.version,
            "name": self.name,
            "received_at": self.received_at,
            "source": self.source,
            "sender": self.sender,
            "sha256": self.sha256,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class Rejection:
    """The clerk sent a version back to its unit, with the reason (a problem no rule finds)."""

    id: int
    file_id: int
    note: str
    user: str
    at: str

    @property
    def problem(self) -> Problem:
        """The rejection as an error of the whole file, as the reply lists it."""
        return Problem(ERROR, "REJECTED", MESSAGES["REJECTED"].format(note=self.note), params={"note": self.note})


@dataclass(frozen=True)
class Acceptance:
    """A warning the clerk accepted, and what it relied on (a later version keeps it when that is the same)."""

    unit_id: str
    file_id: int
    code: str
    cell: str  # sheet!cell, '' for a warning about the whole file
    basis: str
    note: str
    user: str
    at: str


@dataclass(frozen=True)
class Extension:
    """A later deadline the clerk granted a unit."""

    unit_id: str
    until: date
    note: str
    user: str
    at: str


@dataclass(frozen=True)
class UnitFacts:
    """What the record holds about one roster unit, from which its state is judged (collection/states.py)."""

    counted: Version | None  # the version that counts: the pinned one, else the latest to come
    versions: int = 0
    first_at: str = ""  # when its first return came (received_at of the earliest version): its 报送时间
    pinned: bool = False
    acceptances: tuple[Acceptance, ...] = ()
    rejections: tuple[Rejection, ...] = ()  # of the counted version
    extension: Extension | None = None


@dataclass(frozen=True)
class UnitState:
    unit_id: str
    unit_name: str
    state: State
    versions: int
    counted: Version | None
    pinned: bool = False
    late: bool = False
    open_warnings: list[Problem] = field(default_factory=list)  # neither explained nor accepted
    sender_warning: str = ""  # the counted version came from an address that is not the unit's
    review: list[Problem] = field(default_factory=list)  # figures far above the others of its kind
    rejections: list[Rejection] = field(default_factory=list)  # the clerk sent the counted version back
    extended: date | None = None  # a later deadline granted to this unit
    first_at: str = ""  # 报送时间: when its first return came; corrections never make a unit late
    overdue: int = 0  # 逾期未报: days past its deadline with nothing received
    damaged: str = ""  # the counted version's stored file was changed or deleted since it was reviewed

    @property
    def problems(self) -> list[Problem]:
        """What is wrong with the counted version now: its stored file changed, the clerk's rejections, its
        errors, its open warnings."""
        if self.counted is None:
            return []
        errors = [p for p in self.counted.problems if p.severity == ERROR]
        stored = [Problem(ERROR, "STORED", f"{self.damaged}：{self.counted.name}")] if self.damaged else []
        return stored + [r.problem for r in self.rejections] + errors + self.open_warnings

    def to_json(self) -> dict[str, object]:
        return {
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "state": self.state.value,
            "late": self.late,
            "versions": self.versions,
            "pinned": self.pinned,
            "counted": self.counted.summary() if self.counted else None,
            "open_warnings": [w.message for w in self.open_warnings],
            "sender_warning": self.sender_warning,
            "review": [w.message for w in self.review],
            "rejections": [r.note for r in self.rejections],
            "extended": self.extended.isoformat() if self.extended else None,
            "first_at": self.first_at or None,
            "overdue_days": self.overdue,
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True)
class Letter:
    """A message received (its workbooks are versions; this is the message itself)."""

    message_id: str
    source: str
    sender: str
    sent_at: str
    subject: str
    workbooks: int
    notes: list[str]
    others: list[str]
    id: int = 0  # its number in the record (to set its notice aside)


@dataclass(frozen=True)
class RoundStatus:
    year: int
    deadline: date | None
    units: list[UnitState]  # in roster order
    unidentified: list[Version]  # files that are no roster unit's return
    without_workbook: list[Letter] = field(default_factory=list)  # messages that brought no workbook
    set_aside: int = 0  # files and notices the clerk dismissed

    @property
    def received(self) -> int:
        return sum(u.state != NOT_RECEIVED for u in self.units)

    @property
    def on_time(self) -> int:
        """Units whose first return came by their own deadline: the 按时率's numerator (the roster its denominator)."""
        return sum(u.state != NOT_RECEIVED and not u.late for u in self.units)

    @property
    def overdue(self) -> int:
        return sum(u.overdue > 0 for u in self.units)

    def count(self, state: State) -> int:
        return sum(u.state == state for u in self.units)

    def to_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "units": len(self.units),
            "received": self.received,
            "on_time": self.on_time,
            "overdue": self.overdue,
            "states": {s.value: self.count(s) for s in State},
            "roster": [u.to_json() for u in self.units],
            "unidentified": [
                {**v.summary(), "unit_id": v.unit_id, "problems": [p.to_json() for p in v.problems]}
                for v in self.unidentified
            ],
            "without_workbook": [vars(letter) for letter in self.without_workbook],
            "set_aside": self.set_aside,
        }


@dataclass(frozen=True)
class Received:
    """What receiving one file did."""

    path: Path
    outcome: str  # NEW, KNOWN (the same bytes came before) or REFUSED (not stored)
    version: Version | None = None
    state: UnitState | None = None
    reason: str = ""
    blank: bool = False  # a workbook with nothing typed (a quoted blank): stored, not a return


@dataclass
class MailReceived:
    """What receiving one message did: NEW, or KNOWN when the same message was received before."""

    source: str
    mail: Mail
    outcome: str
    files: list[Received]


@dataclass(frozen=True)
class Difference:
    code: str
    place: str  # sheet!cell (labels)
    before: object
    after: object


@dataclass(frozen=True)
class LogEntry:
    at: str
    user: str
    action: str
    detail: dict[str, Any]


def warnings_of(version: Version) -> list[Problem]:
    return [p for p in version.problems if p.severity == WARNING]


def cell_of(problem: Problem) -> str:
    """Where a problem is, as an acceptance records it: sheet!cell, the sheet, or '' for the whole file."""
    return f"{problem.sheet}!{problem.cell}" if problem.cell else problem.sheet
