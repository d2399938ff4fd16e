"""Rules on figures: consistent sets pass, any single changed figure a rule covers is caught."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.form.rules import evaluate, with_totals
from nianbao.form.spec import Form, load_form
from tests.helpers.figures import consistent_inputs

FORM = load_form()
CURRENT_YEAR_RULES = [r for r in FORM.rules if not r.needs]


def failures(form: Form, figures: dict, previous: dict | None = None) -> list[str]:
    out = []
    for rule in form.rules:
        for check in rule.checks:
            outcome = evaluate(check, figures, previous)
            if outcome is not None and not outcome.ok:
                out.append(f"{rule.id}:{check.anchor}")
    return out


@given(st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_any_consistent_set_passes_every_rule(rng: random.Random) -> None:
    figures = with_totals(FORM.totals, consistent_inputs(FORM, rng))
    assert failures(FORM, figures) == []


COVERED = sorted({code for r in CURRENT_YEAR_RULES if r.severity == "error" for c in r.checks for code in c.codes()})


@given(st.randoms(use_true_random=False), st.sampled_from(COVERED), st.integers(1, 50), st.sampled_from([1, -1]))
@settings(max_examples=300, deadline=None)
def test_changing_any_single_covered_figure_breaks_an_error_rule(rng, code: str, delta: int, sign: int) -> None:
    figures = with_totals(FORM.totals, consistent_inputs(FORM, rng))
    figures[code] = figures[code] + sign * delta
    broken = [f for f in failures(FORM, figures) if f.split(":")[0] in {"S1", "I1", "I2", "I3"}]
    assert broken, code


def test_covered_figures_are_all_of_table_3_and_4() -> None:
    t3_t4 = {code for code, cell in FORM.cells.items() if cell.table in ("T3", "T4")}
    assert set(COVERED) == t3_t4


def test_a_blank_figure_skips_the_checks_that_need_it() -> None:
    figures = with_totals(FORM.totals, consistent_inputs(FORM, random.Random(1)))
    figures["T3.R02.C3"] = None
    figures["T3.R01.C3"] += 5  # would break S1 for C3, but C3's S1 cannot be judged with a blank
    skipped = [c for r in FORM.rules for c in r.checks if evaluate(c, figures) is None]
    assert {c.rule_id for c in skipped} == {"S1", "I2", "X1", "X2"}
    assert "S1:T3.R01.C3" not in failures(FORM, figures)


def test_totals_are_none_when_an_input_is_blank() -> None:
    inputs = consistent_inputs(FORM, random.Random(2))
    inputs["T3.R05.C2"] = None  # type: ignore[assignment]
    totals = with_totals(FORM.totals, inputs)
    assert totals["T3.R24.C2"] is None and totals["T3.R05.C7"] is None and totals["T3.R24.C7"] is None
    assert totals["T3.R24.C1"] == sum(inputs[f"T3.R{r:02d}.C1"] for r in range(3, 24))


def test_cross_year_rules_compare_with_last_year() -> None:
    last = with_totals(FORM.totals, consistent_inputs(FORM, random.Random(3)))
    this = with_totals(FORM.totals, consistent_inputs(FORM, random.Random(4)))
    x1 = {f.split(":")[1] for f in failures(FORM, this, last) if f.startswith("X1:")}
    differ = {f"T3.R02.C{i}" for i in range(1, 8) if this[f"T3.R02.C{i}"] != last[f"T3.R25.C{i}"]}
    assert x1 == differ and differ
    for i in range(1, 7):
        this[f"T3.R02.C{i}"] = last[f"T3.R25.C{i}"]
    this = with_totals(FORM.totals, {k: v for k, v in this.items() if k not in FORM.totals})
    for row in ("R01", "R02"):
        this[f"T2.{row}.C3"] = last[f"T2.{row}.C3"] + this[f"T2.{row}.C1"] - this[f"T2.{row}.C2"]
    assert [f for f in failures(FORM, this, last) if f[0] == "X"] == []
    this["T2.R02.C3"] += 1
    assert [f for f in failures(FORM, this, last) if f[0] == "X"] == ["X2:T2.R02.C3"]


def test_p1_warns_about_regulations_filed_by_a_township() -> None:
    figures = with_totals(FORM.totals, consistent_inputs(FORM, random.Random(5)))
    figures["T2.R01.C1"] = 2.0
    assert failures(FORM, figures) == ["P1:T2.R01.C1"]
    assert next(r for r in FORM.rules if r.id == "P1").severity == "warning"
