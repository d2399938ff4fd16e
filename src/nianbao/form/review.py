"""The review (``[review]`` of the spec): figures every rule allows but a statistics reviewer would ask about
(请核实). Against last year: a headline figure that jumps or collapses, falls to 0 or appears from 0. Across
units: a headline figure far above the median of the other units of the same kind.

Thresholds are data in the spec; this module reads them and holds the tests, with no cell named in code.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import TYPE_CHECKING

from nianbao.form.raw import Raw, template
from nianbao.problems import MESSAGES, WARNING, Problem

if TYPE_CHECKING:
    from nianbao.form.spec import Cell, Form

RISE, FALL, TO_ZERO, FROM_ZERO = "rise", "fall", "to_zero", "from_zero"
CHANGES = (RISE, FALL, TO_ZERO, FROM_ZERO)
YEAR_PLACEHOLDERS = ("now", "previous", "unit")
UNITS_PLACEHOLDERS = ("value", "median", "units", "group", "unit")
MIN_UNITS = 5  # a median of fewer other units says little


@dataclass(frozen=True)
class YearRule:
    """A figure against last year's: ``rise`` (now > last × times and now > last + more), ``fall``
    (now × times < last and now < last − more), ``to_zero`` (last > more and now 0) or ``from_zero``
    (last 0 and now > more)."""

    id: str
    cells: tuple[str, ...]
    change: str
    times: float
    more: float
    message: str  # with {now}, {previous} and {unit}

    def flags(self, now: float, previous: float) -> bool:
        if self.change == RISE:
            return now > previous * self.times and now - previous > self.more
        if self.change == FALL:
            return now * self.times < previous and previous - now > self.more
        if self.change == TO_ZERO:
            return now == 0 and previous > self.more
        return previous == 0 and now > self.more


@dataclass(frozen=True)
class UnitsRule:
    """A unit's figure against the median of the other units of its kind: flagged when it is more than
    ``times`` × the median and more than the median + ``more`` (so with a median of 0, above ``more``), among
    at least ``min_units`` other units."""

    id: str
    cells: tuple[str, ...]
    times: float
    more: float
    min_units: int
    message: str  # with {value}, {median}, {units}, {group} and {unit}

    def outlier(self, value: float, others: Sequence[float]) -> float | None:
        """The median of ``others`` when ``value`` stands far above it, else None."""
        if len(others) < self.min_units:
            return None
        middle = float(median(others))
        return middle if self.above(value, middle) else None

    def above(self, value: float, middle: float) -> bool:
        return value > middle * self.times and value - middle > self.more


@dataclass(frozen=True)
class Review:
    year: tuple[YearRule, ...] = ()
    units: tuple[UnitsRule, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        return frozenset([r.id for r in self.year] + [r.id for r in self.units])


def parse_review(raw: Raw, cells: Mapping[str, object], taken: set[str]) -> Review:
    """The ``[review]`` section (absent: no review). ``taken`` are the rule ids already used."""
    raw = raw.table(optional=True, keys=("year_over_year", "across_units"))
    year = [_year_rule(node, cells) for node in raw["year_over_year"].items(optional=True)]
    units = [_units_rule(node, cells) for node in raw["across_units"].items(optional=True)]
    nodes = raw["year_over_year"].items(optional=True) + raw["across_units"].items(optional=True)
    seen = set(taken)
    rules: list[YearRule | UnitsRule] = [*year, *units]
    for node, rule in zip(nodes, rules, strict=True):
        if rule.id in seen:
            raise node["id"].error(f"规则编号 {rule.id} 重复（与勾稽关系或其他核实规则相同）")
        seen.add(rule.id)
    return Review(tuple(year), tuple(units))


def _year_rule(raw: Raw, cells: Mapping[str, object]) -> YearRule:
    raw = raw.table(keys=("id", "cells", "change", "times", "more", "message"))
    change = raw["change"].choice(CHANGES)
    if change in (RISE, FALL):
        times = _number(raw["times"], above=1)
    elif raw["times"].present:
        raise raw["times"].error(f'只有 change = "{RISE}" 或 "{FALL}" 的规则才写倍数')
    else:
        times = 1.0
    return YearRule(
        id=raw["id"].text(),
        cells=_cells(raw["cells"], cells),
        change=change,
        times=times,
        more=_number(raw["more"], default=0.0),
        message=template(raw["message"], YEAR_PLACEHOLDERS),
    )


def _units_rule(raw: Raw, cells: Mapping[str, object]) -> UnitsRule:
    raw = raw.table(keys=("id", "cells", "times", "more", "min_units", "message"))
    return UnitsRule(
        id=raw["id"].text(),
        cells=_cells(raw["cells"], cells),
        times=_number(raw["times"], above=1),
        more=_number(raw["more"], default=0.0),
        min_units=raw["min_units"].integer(MIN_UNITS, minimum=1),
        message=template(raw["message"], UNITS_PLACEHOLDERS),
    )


def _cells(raw: Raw, cells: Mapping[str, object]) -> tuple[str, ...]:
    codes = []
    for item in raw.items(non_empty=True):
        code = item.text()
        if code not in cells:
            raise item.error(f"单元格 {code} 不存在")
        if code in codes:
            raise item.error(f"单元格 {code} 重复")
        codes.append(code)
    return tuple(codes)


def _number(raw: Raw, default: float | None = None, above: float | None = None) -> float:
    if not raw.present and default is not None:
        return default
    value = raw.number()
    if above is not None and value <= above:
        raise raw.error(f"应大于 {above:g}，实为 {value:g}")
    if value < 0:
        raise raw.error(f"不能是负数，实为 {value:g}")
    return value


def figure_text(value: float) -> str:
    """A figure as a message shows it: 34290, 25.1 (never 3.429e+04), to the 4 decimals the rules compare."""
    return str(int(value)) if value == int(value) else f"{value:.4f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Outlier:
    """A unit's figure far above the median of the other units of its kind."""

    unit_id: str
    rule: UnitsRule
    code: str
    value: float
    median: float
    others: int  # how many other units of the kind have this figure
    kind: str


def outliers(
    rules: Sequence[UnitsRule], figures: Mapping[str, Mapping[str, float | None]], kinds: Mapping[str, str]
) -> list[Outlier]:
    """Every unit's figures (by unit_id) against the other units of the same kind (``kinds``: a unit's kind,
    '' or absent for none; units of one kind are compared among themselves)."""
    found: list[Outlier] = []
    for rule in rules:
        for code in rule.cells:
            groups: dict[str, list[tuple[float, str]]] = {}
            for unit_id, unit_figures in figures.items():
                value = unit_figures.get(code)
                if value is not None:
                    groups.setdefault(kinds.get(unit_id, ""), []).append((value, unit_id))
            for kind, members in groups.items():
                if len(members) - 1 < rule.min_units:
                    continue
                ordered = sorted(v for v, _ in members)
                lowest = median_without(ordered, len(ordered) - 1)  # no unit's others have a lower median
                for value, unit_id in sorted(members, reverse=True):
                    if not rule.above(value, lowest):
                        break  # nor any unit with a smaller figure
                    middle = median_without(ordered, bisect_left(ordered, value))
                    if rule.above(value, middle):
                        found.append(Outlier(unit_id, rule, code, value, middle, len(members) - 1, kind))
    return found


def median_without(ordered: Sequence[float], i: int) -> float:
    """The median of a sorted list without its element ``i`` (at least two elements), in constant time."""
    rest = len(ordered) - 1

    def at(k: int) -> float:  # the k-th element of the list without element i
        return ordered[k if k < i else k + 1]

    half = rest // 2
    return at(half) if rest % 2 else (at(half - 1) + at(half)) / 2


def units_review(
    form: Form, figures: Mapping[str, Mapping[str, float | None]], kinds: Mapping[str, str]
) -> dict[str, list[Problem]]:
    """请核实 warnings, by unit_id, where a unit's headline figure stands far above the median of the other
    units of its kind (the spec's [review] across_units). The params hold the unit's figure and the median."""
    found: dict[str, list[Problem]] = {}
    for outlier in outliers(form.review.units, figures, kinds):
        cell = form.cells[outlier.code]
        message = outlier.rule.message.format(
            value=figure_text(outlier.value),
            median=figure_text(outlier.median),
            units=outlier.others,
            group=outlier.kind or MESSAGES["REVIEW_UNITS"],
            unit=cell.type.unit,
        )
        params = {"value": outlier.value, "median": outlier.median, "units": outlier.others, "kind": outlier.kind}
        problem = problem_at(cell, WARNING, outlier.rule.id, message, (outlier.value, outlier.median), params)
        found.setdefault(outlier.unit_id, []).append(problem)
    return found


def problem_at(
    cell: Cell,
    severity: str,
    code: str,
    message: str,
    figures: tuple[float, float] | None = None,
    params: Mapping[str, object] | None = None,
) -> Problem:
    """A problem of a figure, placed at its cell with its labels."""
    return Problem(severity, code, message, cell.sheet, cell.a1, cell.row_label, cell.col_label, figures, params or {})
