"""The board's rows and pictures, worked out from the round's status without the web framework: each unit with
whom to call and what it was written, the filters, the search, the sorting; the completeness bars and the
returns per day against the deadline (drawn by the template as SVG: no script, no network)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from nianbao.collection.contacts import Contact
from nianbao.collection.model import (
    HAS_ERRORS,
    LATE,
    NOT_RECEIVED,
    OVERDUE,
    PASSED,
    TO_VERIFY,
    RoundStatus,
    UnitState,
)
from nianbao.collection.reply import UnitLetters
from nianbao.phrases import letters_words

STATES = (NOT_RECEIVED, HAS_ERRORS, TO_VERIFY, PASSED)
REJECTED, EXTENDED, WAITING = "已退回", "已延期", "草稿待发"
NEEDS_CALL = (HAS_ERRORS, TO_VERIFY)  # 有问题: a reply (审核意见) is what they need


@dataclass(frozen=True)
class Row:
    """A unit on the board."""

    number: int  # its place in the roster
    state: UnitState
    contact: Contact
    sent: str  # the last letter that went out, in words ('' for none)
    waiting: str  # a draft waiting to be sent, in words
    sent_at: str  # when the last letter went out (for sorting)
    guessed: int  # files that are no unit's return but whose names name this unit

    @property
    def problems(self) -> int:
        counted = self.state.counted
        errors = (counted.errors if counted else 0) + len(self.state.rejections)
        return errors * 1000 + len(self.state.open_warnings)


def rows_of(
    status: RoundStatus,
    people: Mapping[str, Contact],
    letters: Mapping[str, UnitLetters],
    guessed: Mapping[str, int],
) -> list[Row]:
    rows = []
    for i, state in enumerate(status.units, 1):
        written = letters.get(state.unit_id)
        sent, waiting = letters_words(written)
        at = written.sent.sent_at if written and written.sent else ""
        rows.append(
            Row(i, state, people.get(state.unit_id, Contact()), sent, waiting, at, guessed.get(state.unit_id, 0))
        )
    return rows


# -- filters, search, sorting --------------------------------------------------------------------------------

FILTERS: dict[str, Callable[[Row], bool]] = {
    **{str(s): (lambda r, s=s: r.state.state == s) for s in STATES},  # type: ignore[misc]
    LATE: lambda r: r.state.late,
    OVERDUE: lambda r: r.state.overdue > 0,
    REJECTED: lambda r: bool(r.state.rejections),
    EXTENDED: lambda r: r.state.extended is not None,
    WAITING: lambda r: bool(r.waiting),
}


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """How many units each filter shows."""
    return {name: sum(1 for r in rows if test(r)) for name, test in FILTERS.items()}


def matches(row: Row, query: str) -> bool:
    """Whether a unit answers a search: its name, code, contact person or phone contains what was typed."""
    words = query.casefold().split()
    text = " ".join((row.state.unit_name, row.state.unit_id, row.contact.person, row.contact.phone)).casefold()
    return all(w in text for w in words)


_STATE_ORDER = {s: i for i, s in enumerate((HAS_ERRORS, TO_VERIFY, NOT_RECEIVED, PASSED))}
SORTS: dict[str, tuple[str, Callable[[Row], tuple[object, ...]]]] = {
    "order": ("序号", lambda r: (r.number,)),
    "code": ("单位编码", lambda r: (r.state.unit_id,)),
    "name": ("单位名称", lambda r: (r.state.unit_name,)),
    "state": ("状态", lambda r: (_STATE_ORDER[r.state.state], -r.state.overdue, not r.state.late, r.number)),
    "version": ("计入版本", lambda r: (r.state.versions, r.number)),
    "received": ("收到时间", lambda r: (r.state.counted.received_at if r.state.counted else "~", r.number)),
    "problems": ("问题", lambda r: (-r.problems, r.number)),
    "letters": ("联系情况", lambda r: (r.sent_at or "~", r.number)),
    "contact": ("联系人", lambda r: (r.contact.person or "~", r.number)),
}


def chosen_rows(rows: Sequence[Row], shown: str, query: str, sort: str, descending: bool) -> list[Row]:
    """The rows a filter, a search and a sorting leave, in their order (an unknown filter or sorting: none)."""
    test = FILTERS.get(shown)
    found = [r for r in rows if (test is None or test(r)) and (not query or matches(r, query))]
    key = SORTS.get(sort, SORTS["order"])[1]
    return sorted(found, key=key, reverse=descending)


# -- pictures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    done: int
    total: int
    kind: str  # the CSS class of its colour

    @property
    def percent(self) -> float:
        return 100 * self.done / self.total if self.total else 0.0


def bars(status: RoundStatus) -> list[Bar]:
    """已收/应收, 已通过, 按时 (first returns by each unit's own deadline), each of the roster."""
    total = len(status.units)
    return [
        Bar("已收", status.received, total, "received"),
        Bar("已通过", status.count(PASSED), total, "passed"),
        Bar("按时报送", status.on_time, total, "on-time"),
    ]


@dataclass(frozen=True)
class Day:
    label: str  # 1-20, or 之前/之后 for the days outside the chart
    on_time: int
    late: int
    x: float  # its place in the chart, 0 … 100
    height_on_time: float  # 0 … 100 of the chart's height
    height_late: float


@dataclass(frozen=True)
class Chart:
    days: list[Day]
    width: float  # of a day's bar, in the chart's units
    deadline_x: float | None  # where the deadline's line goes (None: outside the days shown)
    most: int  # the largest day's returns (the scale)
    first: str
    last: str


MOST_DAYS = 31


def returns_chart(status: RoundStatus, today: date) -> Chart | None:
    """First returns per day, on time and late, around the deadline (None before anything came): at most a
    month of days, those before and after it gathered in a bar each."""
    firsts = [(date.fromisoformat(u.first_at[:10]), u.late) for u in status.units if u.first_at]
    if not firsts:
        return None
    start, end = _window([d for d, _ in firsts], status.deadline, today)
    on_time, late = Counter[date](), Counter[date]()
    for day, was_late in firsts:
        day = min(max(day, start - timedelta(days=1)), end + timedelta(days=1))
        (late if was_late else on_time)[day] += 1
    days_shown = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    before = [start - timedelta(days=1)] if any(d < start for d, _ in firsts) else []
    after = [end + timedelta(days=1)] if any(d > end for d, _ in firsts) else []
    every = before + days_shown + after
    most = max(on_time[d] + late[d] for d in every) or 1
    width = 100 / len(every)
    days = []
    for i, day in enumerate(every):
        label = "之前" if day in before else "之后" if day in after else f"{day.month}-{day.day}"
        days.append(Day(label, on_time[day], late[day], i * width, 100 * on_time[day] / most, 100 * late[day] / most))
    deadline_x = None
    if status.deadline and status.deadline in every:
        deadline_x = (every.index(status.deadline) + 1) * width  # after the deadline's own day
    return Chart(days, width, deadline_x, most, days[0].label, days[-1].label)


def _window(firsts: list[date], deadline: date | None, today: date) -> tuple[date, date]:
    """The days the chart shows: from the first return to the last (and the deadline), at most a month, kept
    around the deadline when the returns spread wider."""
    start, end = min(firsts), max(firsts)
    if deadline is not None:
        start, end = min(start, deadline), max(end, deadline)
    if (end - start).days < MOST_DAYS:
        return start, end
    centre = deadline or min(end, today)
    start = max(start, centre - timedelta(days=MOST_DAYS - 8))
    return start, start + timedelta(days=MOST_DAYS - 1)
