"""Consistency rules (勾稽关系): parse the spec's expressions, evaluate them, translate them to Excel.

An expression is ``<sum> == <sum>`` or ``<sum> >= <sum>``; a sum is terms joined by + and -; a term is a
number, a cell code (``T3.R01.C1``), a range of cells in the table's order (``T3.R03~R23.C1``) or last
year's figure (``prev:T3.R25.C1``). ``{X}`` placeholders are filled from the rule's ``each``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, cast

from nianbao.form.raw import Raw

Figures = Mapping[str, float | None]

_REF = re.compile(r"^(?P<prev>prev:)?(?P<table>\w+)\.(?P<row>\w+(?:~\w+)?)\.(?P<col>\w+(?:~\w+)?)$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_OPS = ("==", ">=")


@dataclass(frozen=True)
class Term:
    sign: int
    code: str | None = None  # None for a constant
    constant: float = 0.0
    prev: bool = False


@dataclass(frozen=True)
class Relation:
    """One instance of a rule: a rule with its placeholders filled in."""

    rule_id: str
    left: tuple[Term, ...]
    op: str
    right: tuple[Term, ...]

    @property
    def terms(self) -> tuple[Term, ...]:
        return self.left + self.right

    def codes(self, prev: bool = False) -> list[str]:
        return [t.code for t in self.terms if t.code is not None and t.prev == prev]

    @property
    def anchor(self) -> str:
        """The cell a problem with this check is reported at: the first cell of the left side."""
        return next(t.code for t in self.terms if t.code is not None and not t.prev)

    @cached_property
    def flat(self) -> tuple[_Side, _Side]:
        """Both sides as plain tuples ``(sign, code, constant, prev)``: what `evaluate` runs on."""
        return _flat(self.left), _flat(self.right)


_Side = tuple[tuple[int, "str | None", float, bool], ...]


def _flat(terms: Sequence[Term]) -> _Side:
    return tuple((t.sign, t.code, t.constant, t.prev) for t in terms)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # "error" or "warning"
    message: str
    short: str
    total: bool  # the left side is a computed total (a locked formula in the workbook)
    needs: str | None  # "previous": needs last year's figures
    checks: tuple[Relation, ...]
    levels: tuple[str, ...] = ()  # the levels of government it applies to (none named: every level)

    def applies(self, level: str) -> bool:
        """Whether the rule holds for a unit at ``level`` ('' when the spec defines no levels)."""
        return not self.levels or not level or level in self.levels


class Outcome(NamedTuple):  # made for every check of every file: a tuple is made fastest
    check: Relation
    left: float
    right: float
    ok: bool


class TableOrder:
    """Row and column codes of each table in order, to expand ranges; and the set of known cells."""

    def __init__(self, rows: dict[str, list[str]], cols: dict[str, list[str]], cells: set[str]) -> None:
        self.rows, self.cols, self.cells = rows, cols, cells

    def span(self, table: str, part: str, axis: Mapping[str, list[str]]) -> list[str]:
        if "~" not in part:
            return [part]
        first, _, last = part.partition("~")
        if table not in axis:
            raise ValueError(f"没有编号为 {table} 的表格")
        order = axis[table]
        if first not in order or last not in order or order.index(first) > order.index(last):
            raise ValueError(f"范围 {table}.{part} 不存在")
        return order[order.index(first) : order.index(last) + 1]


def compile_rule(raw: Raw, order: TableOrder, levels: Collection[str] = ()) -> Rule:
    """A rule of the spec (``[[rules]]``) with its placeholders filled, checked against the form's cells and the
    ``levels`` of government the spec defines."""
    raw = raw.table(keys=("id", "severity", "total", "needs", "each", "expr", "message", "short", "levels"))
    rule_id, expr = raw["id"].text(), raw["expr"].text()
    try:
        bindings = _bindings(raw["each"], order)
    except ValueError as exc:
        raise raw["each"].error(str(exc)) from None
    try:
        checks = tuple(_compile_check(rule_id, _fill(expr, binding), order) for binding in bindings)
    except ValueError as exc:
        raise raw["expr"].error(str(exc)) from None
    short = raw["short"].text()
    if '"' in short:
        raise raw["short"].error('不能含半角双引号 "（它写进表格的检查公式）')
    rule = Rule(
        id=rule_id,
        severity=raw["severity"].choice(("error", "warning")),
        message=raw["message"].text(),
        short=short,
        total=raw["total"].flag(False),
        needs=raw["needs"].choice(("previous",)) if raw["needs"].present else None,
        checks=checks,
        levels=tuple(_levels(raw["levels"], levels)),
    )
    if rule.total and any(len(c.left) != 1 or c.left[0].code is None or c.op != "==" for c in checks):
        raise raw["expr"].error("定义合计的规则（total = true）应写成“单元格 == 各项之和”")
    if rule.total and rule.levels:
        raise raw["levels"].error("定义合计的规则（total = true）对每个单位都成立，不能限定层级")
    if any(t.prev for c in checks for t in c.terms) and rule.needs != "previous":
        raise raw["expr"].error('用了 prev: 却没有写 needs = "previous"')
    if any(not c.codes() for c in checks):
        raise raw["expr"].error("每个关系都至少要有一个本年的单元格")
    return rule


def _levels(raw: Raw, known: Collection[str]) -> list[str]:
    named = raw.texts(optional=True)
    for item, level in zip(raw.items(optional=True), named, strict=True):
        if level not in known:
            defined = "、".join(sorted(known)) or "（规格中没有 [[levels]]）"
            raise item.error(f"没有定义层级 {level}（已定义的：{defined}）")
    return named


def _bindings(each: Raw, order: TableOrder) -> list[dict[str, str]]:
    if not each.present:
        return [{}]
    if isinstance(each.value, list):
        return [{name: value.text() for name, value in binding.entries()} for binding in each.items()]
    if isinstance(each.value, dict) and len(each.value) == 1:
        ((name, spec),) = each.entries()
        table, _, part = spec.text().partition(".")
        first = part.split("~")[0]
        axis = order.rows if first in order.rows.get(table, []) else order.cols
        return [{name: code} for code in order.span(table, part, axis)]
    raise ValueError('each 应是一个 {名称 = "表.起~止"} 或替换表的列表')


def _fill(expr: str, binding: Mapping[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in binding:
            raise ValueError(f"占位符 {{{m.group(1)}}} 没有取值")
        return binding[m.group(1)]

    return _PLACEHOLDER.sub(sub, expr)


def _compile_check(rule_id: str, expr: str, order: TableOrder) -> Relation:
    ops = [op for op in _OPS if op in expr]
    if len(ops) != 1 or expr.count(ops[0]) != 1:
        raise ValueError(f"表达式 {expr!r} 应含一个 == 或 >=")
    left, right = expr.split(ops[0])
    return Relation(rule_id, _parse_sum(left, order), ops[0], _parse_sum(right, order))


def _parse_sum(text: str, order: TableOrder) -> tuple[Term, ...]:
    tokens = re.findall(r"[+-]|[^\s+-]+", text)
    terms: list[Term] = []
    sign = 1
    expect_term = True
    for token in tokens:
        if token in "+-":
            if expect_term:
                raise ValueError(f"表达式 {text.strip()!r} 的运算符位置不对")
            sign, expect_term = (1 if token == "+" else -1), True
            continue
        if not expect_term:
            raise ValueError(f"表达式 {text.strip()!r} 缺少运算符")
        terms.extend(_parse_term(token, sign, order))
        expect_term = False
    if expect_term:
        raise ValueError(f"表达式 {text.strip()!r} 不完整")
    return tuple(terms)


def _parse_term(token: str, sign: int, order: TableOrder) -> list[Term]:
    if _NUMBER.match(token):
        return [Term(sign, constant=float(token))]
    m = _REF.match(token)
    if not m:
        raise ValueError(f"无法识别 {token!r}")
    table = m["table"]
    rows = order.span(table, m["row"], order.rows)
    cols = order.span(table, m["col"], order.cols)
    codes = [f"{table}.{r}.{c}" for r in rows for c in cols]
    unknown = [c for c in codes if c not in order.cells]
    if unknown and not (len(rows) > 1 or len(cols) > 1):
        raise ValueError(f"单元格 {unknown[0]} 不存在")
    # A range keeps only the cells that exist (Table 2's blocks have different columns).
    return [Term(sign, code=c, prev=bool(m["prev"])) for c in codes if c in order.cells]


def evaluate(check: Relation, figures: Figures, previous: Figures | None = None) -> Outcome | None:
    """Both sides of a check, or None when a figure it needs is blank or missing (reported elsewhere)."""
    left_terms, right_terms = check.flat
    left = _side(left_terms, figures, previous)
    if left is None:
        return None
    right = _side(right_terms, figures, previous)
    if right is None:
        return None
    ok = abs(left - right) < 1e-9 if check.op == "==" else left >= right - 1e-9
    return Outcome(check, left, right, ok)


def _side(terms: _Side, figures: Figures, previous: Figures | None) -> float | None:
    total = 0.0
    for sign, code, constant, prev in terms:
        if code is None:
            total += sign * constant
            continue
        source = previous if prev else figures
        value = None if source is None else source.get(code)
        if value is None:
            return None
        total += sign * value
    return total


def excel_condition(check: Relation, address: Callable[[str], str]) -> str:
    """The check as an Excel condition, e.g. ``D5+D6=D28+D29``; ``address`` maps a code to a reference."""

    def side(terms: Sequence[Term]) -> str:
        parts = []
        for t in terms:
            text = address(t.code) if t.code is not None else _number(t.constant)
            parts.append(("-" if t.sign < 0 else "+") + text)
        return "".join(parts).lstrip("+") or "0"

    op = "=" if check.op == "==" else ">="
    return f"ROUND({side(check.left)},4){op}ROUND({side(check.right)},4)"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def with_totals(totals: Mapping[str, Relation], inputs: Figures) -> dict[str, float | None]:
    """``inputs`` plus every total cell computed from them (None where an input it needs is blank), in the order
    a total's parts come before it. The totals are worked out once per process into a flat plan (`_plan`)."""
    figures: dict[str, float | None] = dict(inputs)
    for code, codes, terms in _plan(totals):
        if code in figures:  # given with the inputs: kept
            continue
        if terms is None:  # cells added up: the common case, at C speed
            values = list(map(figures.get, codes))
            figures[code] = None if None in values else sum(cast("list[float]", values))
            continue
        parts = [(s, figures.get(c) if c is not None else k) for s, c, k in terms]
        known = [(s, v) for s, v in parts if v is not None]
        figures[code] = sum(s * v for s, v in known) if len(known) == len(parts) else None
    return figures


_Step = tuple[str, tuple[str, ...], "tuple[tuple[int, str | None, float], ...] | None"]
_plans: dict[int, tuple[Mapping[str, Relation], list[_Step]]] = {}


def _plan(totals: Mapping[str, Relation]) -> list[_Step]:
    """Each total with its parts, every total after the totals it adds up (their first use, depth first, as a
    recursive evaluation meets them): ``(code, cells, None)`` for a plain sum of cells, else ``(code, (), terms)``.
    Kept by the mapping's identity (the form's, for the life of the process; the mapping is held, so its id is
    not reused)."""
    kept = _plans.get(id(totals))
    if kept is not None and kept[0] is totals:
        return kept[1]
    steps: list[_Step] = []
    state: dict[str, int] = {}  # 1 being worked out, 2 done

    def visit(code: str) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            raise ValueError(f"合计 {code} 依赖它自己")
        state[code] = 1
        terms = totals[code].right
        for term in terms:
            if term.code is not None and term.code in totals:
                visit(term.code)
        if all(t.sign == 1 and t.code is not None for t in terms):
            steps.append((code, tuple(t.code for t in terms if t.code is not None), None))
        else:
            steps.append((code, (), tuple((t.sign, t.code, t.constant) for t in terms)))
        state[code] = 2

    for code in totals:
        visit(code)
    if len(_plans) > 64:  # only forms' totals are kept for good; anything else is worked out again
        _plans.clear()
    _plans[id(totals)] = (totals, steps)
    return steps
