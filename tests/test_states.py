"""A unit's state as a pure function (collection/states.py): records built in memory, no workbooks, no files."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from nianbao.collection.model import (
    HAS_ERRORS,
    NOT_RECEIVED,
    PASSED,
    TO_VERIFY,
    Acceptance,
    Extension,
    Rejection,
    UnitFacts,
    Version,
    cell_of,
)
from nianbao.collection.states import Judged, basis, judge
from nianbao.io.roster import Unit
from nianbao.problems import ERROR, WARNING, Problem

UNIT = Unit("210922100", "彰武镇")
DEADLINE = date(2026, 1, 20)


def problem(severity: str, code: str, cell: str = "B5", value: object = 1) -> Problem:
    return Problem(severity, code, f"{code} 的说明", "表二", cell, params={"value": value})


def version(problems: list[Problem], received: date = DEADLINE, explanation: str = "", file_id: int = 7) -> Version:
    return Version(
        id=file_id,
        unit_id=UNIT.unit_id,
        unit_name=UNIT.unit_name,
        version=1,
        name="彰武镇.xlsx",
        stored="收到的文件/x.xlsx",
        source="",
        sender="",
        received_at=f"{received.isoformat()}T09:30:00+08:00",
        sha256="0" * 64,
        size=1,
        errors=sum(p.severity == ERROR for p in problems),
        warnings=sum(p.severity == WARNING for p in problems),
        explanation=explanation,
        problems_json=json.dumps([p.to_json() for p in problems], ensure_ascii=False),
        figures_json=json.dumps({"T2.R01.C1": 5}),
        texts_json="{}",
    )


def by_words(warning: Problem, counted: Version) -> str:
    return basis(warning, dict(counted.figures), ["T2.R01.C1"], across=False)


def accepted(warning: Problem, counted: Version, said: str | None = None) -> Acceptance:
    said = by_words(warning, counted) if said is None else said
    return Acceptance(UNIT.unit_id, counted.id, warning.code, cell_of(warning), said, "已核实", "张三", "2026-01-21")


def test_nothing_received_is_not_received_and_keeps_its_extension() -> None:
    later = Extension(UNIT.unit_id, DEADLINE + timedelta(days=5), "出差", "张三", "2026-01-18")
    state = judge(UNIT, UnitFacts(None, extension=later), Judged(DEADLINE), by_words)
    assert (state.state, state.counted, state.extended, state.late) == (NOT_RECEIVED, None, later.until, False)
    assert judge(UNIT, None, Judged(DEADLINE), by_words).state == NOT_RECEIVED


def test_errors_or_a_rejection_make_it_has_errors() -> None:
    assert judge(UNIT, UnitFacts(version([problem(ERROR, "S1")]), 1), Judged(DEADLINE), by_words).state == HAS_ERRORS
    clean = version([])
    sent_back = UnitFacts(clean, 1, rejections=(Rejection(1, clean.id, "与台账不符", "张三", "2026-01-19"),))
    state = judge(UNIT, sent_back, Judged(DEADLINE), by_words)
    assert state.state == HAS_ERRORS and [r.problem.code for r in state.rejections] == ["REJECTED"]
    assert judge(UNIT, UnitFacts(clean, 1), Judged(DEADLINE), by_words).state == PASSED


def test_a_warning_is_to_verify_until_explained_or_accepted_on_the_same_basis() -> None:
    warning = problem(WARNING, "P1")
    counted = version([warning])
    assert judge(UNIT, UnitFacts(counted, 1), Judged(DEADLINE), by_words).state == TO_VERIFY
    explained = version([warning], explanation="本镇无规章制定权")
    assert judge(UNIT, UnitFacts(explained, 1), Judged(DEADLINE), by_words).state == PASSED
    kept = UnitFacts(counted, 1, acceptances=(accepted(warning, counted),))
    assert judge(UNIT, kept, Judged(DEADLINE), by_words).state == PASSED
    stale = UnitFacts(counted, 1, acceptances=(accepted(warning, counted, said="另一个数字"),))
    assert judge(UNIT, stale, Judged(DEADLINE), by_words).open_warnings == [warning]


def test_the_comparison_with_other_units_is_to_verify_and_accepted_while_the_own_figure_holds() -> None:
    review = problem(WARNING, "U1", value=600)
    counted = version([])
    judged = Judged(DEADLINE, [review])
    assert judge(UNIT, UnitFacts(counted, 1), judged, by_words).open_warnings == [review]

    def across(warning: Problem, _: Version) -> str:
        return basis(warning, {}, (), across=True)

    kept = UnitFacts(counted, 1, acceptances=(accepted(review, counted, across(review, counted)),))
    assert judge(UNIT, kept, judged, across).state == PASSED
    other = Judged(DEADLINE, [problem(WARNING, "U1", value=601)])  # the unit's own figure changed
    assert judge(UNIT, kept, other, across).state == TO_VERIFY


@given(
    st.lists(st.sampled_from([ERROR, WARNING]), max_size=4),
    st.integers(-10, 10),
    st.integers(-10, 10),
    st.one_of(st.none(), st.integers(-5, 15)),
    st.booleans(),
    st.booleans(),
)
def test_a_state_follows_its_rules(
    severities: list[str], first: int, days: int, extended: int | None, rejected: bool, explained: bool
) -> None:
    problems = [problem(s, f"R{i}", cell=f"B{i}") for i, s in enumerate(severities)]
    counted = version(problems, DEADLINE + timedelta(days=days), "已说明" if explained else "")
    first_at = f"{(DEADLINE + timedelta(days=first)).isoformat()}T23:59:59+08:00"
    extension = Extension(UNIT.unit_id, DEADLINE + timedelta(days=extended), "x", "张三", "") if extended else None
    rejections = (Rejection(1, counted.id, "退回", "张三", ""),) if rejected else ()
    facts = UnitFacts(counted, 2, first_at, rejections=rejections, extension=extension)
    state = judge(UNIT, facts, Judged(DEADLINE, today=DEADLINE + timedelta(days=30)), by_words)
    due = max(DEADLINE, extension.until) if extension else DEADLINE  # an extension never shortens a deadline
    assert state.late == (DEADLINE + timedelta(days=first) > due)  # the first return decides, not the counted one
    assert state.first_at == first_at and state.overdue == 0
    assert (state.state == HAS_ERRORS) == (ERROR in severities or rejected)
    assert state.open_warnings == ([] if explained else [p for p in problems if p.severity == WARNING])
    if state.state == PASSED:
        assert not state.open_warnings and ERROR not in severities
    assert state.versions == 2 and state.counted is counted


@given(st.integers(-20, 20), st.one_of(st.none(), st.integers(1, 10)))
def test_a_unit_with_nothing_past_its_deadline_is_overdue_by_so_many_days(today: int, extended: int | None) -> None:
    until = DEADLINE + timedelta(days=extended) if extended else None
    facts = UnitFacts(None, extension=Extension(UNIT.unit_id, until, "x", "", "")) if until else None
    state = judge(UNIT, facts, Judged(DEADLINE, today=DEADLINE + timedelta(days=today)), by_words)
    assert state.state == NOT_RECEIVED and not state.late
    assert state.overdue == max(0, today - (extended or 0))
    assert judge(UNIT, facts, Judged(None, today=DEADLINE + timedelta(days=today)), by_words).overdue == (
        max(0, today - (extended or 0)) if until else 0
    )
