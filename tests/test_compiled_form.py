"""Issue 25: the form worked out once per process (totals as a flat plan, rules run a rule at a time, the places
outside the tables looked at row by row) gives what the straightforward way gave, for any figures."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.form.rules import Outcome, Relation, Term, evaluate, with_totals
from nianbao.form.spec import DEFAULT_FORM, IDENTITY_SHEET, Form, a1, load_form
from nianbao.io.reading import SheetValues, opened_from
from nianbao.io.values import read_figure, read_text
from nianbao.operations.check import CheckedFile, PackedFigures, _expected_positions, _look_around, _read_figures
from nianbao.problems import WARNING, Location, Problem
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import filled_workbook

FORM = load_form()
Figures = Mapping[str, "float | None"]


def recursive_totals(totals: Mapping[str, Relation], inputs: Figures) -> dict[str, float | None]:
    """Totals as nianbao worked them out before issue 25: each one recursively, from its parts."""
    figures: dict[str, float | None] = dict(inputs)

    def value(code: str) -> float | None:
        if code not in totals:
            return figures.get(code)
        if code not in figures:
            parts = [value(t.code) if t.code else t.constant for t in totals[code].right]
            known = [(t.sign, v) for t, v in zip(totals[code].right, parts, strict=True) if v is not None]
            figures[code] = sum(s * v for s, v in known) if len(known) == len(parts) else None
        return figures[code]

    for code in totals:
        value(code)
    return figures


def random_inputs(rng: random.Random, blanks: float) -> dict[str, float | None]:
    inputs: dict[str, float | None] = dict(consistent_inputs(FORM, rng))
    for code in inputs:
        if rng.random() < blanks:
            inputs[code] = None
        elif rng.random() < 0.1:
            inputs[code] = rng.choice([0.0, -0.0, 0.1, 0.2, 1e-9, 12345.678, 2.0**52, rng.uniform(0, 1e6)])
    return inputs


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([0.0, 0.01, 0.2, 1.0]))
def test_the_planned_totals_are_the_recursive_ones_in_the_same_order(seed: int, blanks: float) -> None:
    rng = random.Random(seed)
    inputs = random_inputs(rng, blanks)
    planned, recursive = with_totals(FORM.totals, inputs), recursive_totals(FORM.totals, inputs)
    assert list(planned.items()) == list(recursive.items())  # the same floats to the last bit, the same order


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([0.0, 0.01, 0.2]), st.booleans())
def test_evaluate_over_flat_terms_gives_what_the_terms_give(seed: int, blanks: float, with_previous: bool) -> None:
    rng = random.Random(seed)
    figures = with_totals(FORM.totals, random_inputs(rng, blanks))
    for code in rng.sample(sorted(figures), 5):  # a few figures that break rules
        if figures[code] is not None:
            figures[code] = figures[code] + rng.choice([1, -1, 0.5])  # type: ignore[operator]
    previous = with_totals(FORM.totals, random_inputs(rng, blanks)) if with_previous else None
    for rule in FORM.rules:
        for check in rule.checks:
            assert evaluate(check, figures, previous) == term_by_term(check, figures, previous)


def term_by_term(check: Relation, figures: Figures, previous: Figures | None) -> Outcome | None:
    """A check's outcome as nianbao worked it out before issue 25, from its Term objects."""

    def side(terms: tuple[Term, ...]) -> float | None:
        total = 0.0
        for t in terms:
            if t.code is None:
                total += t.sign * t.constant
                continue
            source = previous if t.prev else figures
            value = None if source is None else source.get(t.code)
            if value is None:
                return None
            total += t.sign * value
        return total

    left, right = side(check.left), side(check.right)
    if left is None or right is None:
        return None
    return Outcome(check, left, right, abs(left - right) < 1e-9 if check.op == "==" else left >= right - 1e-9)


def _old_outside(opened_sheets: Mapping[str, SheetValues], form: Form, report: CheckedFile) -> list[Problem]:
    """The cells written outside the tables, as nianbao found them before issue 25: every cell looked at."""
    problems = []
    allowed = _expected_positions(report.form_ref)
    for name in form.sheets:
        if name == IDENTITY_SHEET:
            continue
        rows = opened_sheets[name].rows if name in opened_sheets else ()
        for r, row in enumerate(rows):
            for c in [c for c, value in enumerate(row) if value != "" and value is not None]:
                if (name, r, c) not in allowed:
                    where = Location(sheet=name, cell=a1(r, c))
                    text = read_text(row[c])
                    problems.append(
                        Problem.of(WARNING, "OUTSIDE_TABLE", where=where, text=text, sheet=form.narrative_sheet)
                    )
    return problems


FILLED = filled_workbook(FORM, consistent_inputs(FORM, random.Random(1)))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 70),
            st.integers(0, 20),
            st.sampled_from(["", "备注", " ", 0.0, 7.0, None, "=SUM()"]),
        ),
        max_size=12,
    )
)
def test_the_look_around_finds_what_looking_at_every_cell_found(writes: list[tuple[int, int, int, object]]) -> None:
    """Notes typed anywhere, beyond the sheet's last row or column too; blanks typed over the form's own text."""
    opened = opened_from(Path("x.xlsx"), FILLED)
    identity = {"kind": "", "unit_name": "", "unit_id": ""}
    report = CheckedFile(Path("x.xlsx"), identity=identity, form_ref=DEFAULT_FORM)
    sheets = {name: SheetValues([list(row) for row in sheet.rows]) for name, sheet in opened.sheets.items()}
    names = [s for s in FORM.sheets if s != IDENTITY_SHEET]
    for sheet, r, c, value in writes:
        rows = sheets[names[sheet % len(names)]].rows
        assert isinstance(rows, list)
        width = max(len(rows[0]), c + 1)
        while len(rows) <= r:
            rows.append([""] * width)
        for row in rows:  # calamine's sheets are rectangles
            assert isinstance(row, list)
            row.extend([""] * (width - len(row)))
        rows[r][c] = value
    opened.sheets = sheets
    _look_around(opened, FORM, report)
    found = [p for p in report.problems if p.code == "OUTSIDE_TABLE"]
    assert found == _old_outside(sheets, FORM, report)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(FORM.inputs) - 1),
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True),
                st.integers(-5, 10**10),
                st.sampled_from(["", " 12 ", "12件", "1,234", "１２", "无", True, None]),
            ),
        ),
        max_size=20,
    )
)
def test_figures_read_as_every_cell_read_by_read_figure(typed: list[tuple[int, object]]) -> None:
    opened = opened_from(Path("x.xlsx"), FILLED)
    sheets = {name: SheetValues([list(row) for row in sheet.rows]) for name, sheet in opened.sheets.items()}
    for index, value in typed:
        cell = FORM.inputs[index]
        row = sheets[cell.sheet].rows[cell.row]
        assert isinstance(row, list)
        row[cell.col] = value
    opened.sheets = sheets
    report = CheckedFile(Path("x.xlsx"), form_ref=DEFAULT_FORM)
    _read_figures(opened, FORM, report)
    expected: dict[str, float | None] = {}
    for cell in FORM.inputs:
        reading = read_figure(sheets[cell.sheet].get(cell.row, cell.col), cell.type)
        expected[cell.code] = reading.value
    assert report.figures == with_totals(FORM.totals, expected)
    problems = [p.code for p in report.problems]
    assert problems == [
        r.code for c in FORM.inputs if (r := read_figure(sheets[c.sheet].get(c.row, c.col), c.type)).severity
    ] + [p for p in problems if p == "TOTAL_DIFFERS"]


def summed_cell_by_cell(figure_sets: list[Figures], form: Form) -> dict[str, float | None]:
    """A merge's sums as nianbao worked them out before issue 25: each cell added up over the sets."""
    sums: dict[str, float | None] = {}
    for cell in form.inputs:
        total = sum(figures[cell.code] or 0.0 for figures in figure_sets)
        sums[cell.code] = round(total, cell.type.decimals) if cell.type.decimals else float(round(total))
    return with_totals(form.totals, sums)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 12), st.sampled_from([0.0, 0.01, 0.3]))
def test_running_sums_are_the_cell_by_cell_sums(seed: int, count: int, blanks: float) -> None:
    """Packed, spooled (read back from the merge's temporary file) or plain: the same sums."""
    from nianbao.operations.merge import _Spool
    from nianbao.operations.merge import summed as _sum

    rng = random.Random(seed)
    sets = [with_totals(FORM.totals, random_inputs(rng, blanks)) for _ in range(count)]
    spool = _Spool(FORM, DEFAULT_FORM, [])
    kept = []
    for i, figures in enumerate(sets):
        report = CheckedFile(Path(f"{i}.xlsx"), figures=PackedFigures(DEFAULT_FORM, figures), texts={"N1": f"第{i}"})
        kept.append(spool.keep(report, report.path))
    expected = summed_cell_by_cell(sets, FORM)
    assert _sum(sets, FORM) == expected
    assert _sum([PackedFigures(DEFAULT_FORM, f) for f in sets], FORM) == expected
    assert _sum([r.figures for r in kept], FORM) == expected
    for report, figures in zip(kept, sets, strict=True):
        assert dict(report.figures) == {code: figures.get(code) for code in FORM.cells}
        assert report.figures.texts() == {"N1": f"第{kept.index(report)}"}  # type: ignore[attr-defined]
