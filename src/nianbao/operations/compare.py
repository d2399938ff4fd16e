"""Published against approved: each unit's published annual report (web text, HTML, Word or PDF; its unit known
by the title, matched to the roster) read as ``import`` reads it, and every figure compared with the figures
the county approved for that unit (the counted version of a round, or an approved workbook). What differs is
listed cell by cell (table, row, column, published, approved), with the published report's own problems: what
could not be read, totals that do not add up, rules it breaks. Provincial assessments score published reports
for wrong or inconsistent figures; this is the list a clerk hands on."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.form.review import figure_text
from nianbao.form.rules import evaluate, with_totals
from nianbao.form.spec import DEFAULT_FORM, Cell, Form, load_form
from nianbao.io.files import shown
from nianbao.io.roster import Unit
from nianbao.io.values import read_figure
from nianbao.operations.importing import match_unit, parse_report, report_lines, report_title
from nianbao.operations.published import Imported
from nianbao.problems import ERROR, MESSAGES, Location, NianbaoError, Problem

REPORT_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".txt")
BLANK_SHOWN = "（空白）"
Figures = Mapping[str, object]  # a unit's approved figures: numbers, the text typed where none, None for blank


@dataclass(frozen=True)
class Approved:
    """What a unit had approved: its figures and what they are (“计入的第 2 版（已通过）”, a workbook's name)."""

    figures: Figures
    what: str


@dataclass(frozen=True)
class Difference:
    """One figure the published report prints otherwise than approved (``code``: a cell, or the cells of a
    group printed as one figure, joined by “+”)."""

    table: str
    row: str
    column: str
    code: str
    published: str
    approved: str

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class Comparison:
    """One published report against its unit's approved figures."""

    source: Path
    named: str = ""  # the unit as the report's title names it
    unit_id: str = ""
    unit_name: str = ""
    year: int | None = None
    approved: str = ""  # what it was compared with
    compared: int = 0  # figures compared
    differences: list[Difference] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the published report's own
    failure: str = ""  # why it could not be compared at all

    @property
    def name(self) -> str:
        return shown(self.source)

    @property
    def same(self) -> bool:
        return not self.failure and not self.differences

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.name,
            "named": self.named,
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "year": self.year,
            "approved": self.approved,
            "compared": self.compared,
            "same": self.same,
            "failure": self.failure,
            "differences": [d.to_json() for d in self.differences],
            "problems": [p.to_json() for p in self.problems],
        }


def published_files(paths: Iterable[str | Path]) -> list[Path]:
    """The published reports under ``paths`` (files given, and reports in folders given)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            if not path.is_file():
                raise NianbaoError(f"找不到 {shown(path)}")
            found.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [Path(root) / n for n in sorted(names) if n.lower().endswith(REPORT_SUFFIXES) and n[0] not in ".~"]
    return found


def compare_published(
    paths: Iterable[str | Path],
    approved: Mapping[str, Approved],
    units: Sequence[Unit],
    year: int | None = None,
    form_name: str = DEFAULT_FORM,
) -> list[Comparison]:
    """Each published report under ``paths`` against the approved figures of the unit its title names."""
    form = load_form(form_name)
    return [_compare(path, form, approved, units, year) for path in published_files(paths)]


def _compare(
    path: Path, form: Form, approved: Mapping[str, Approved], units: Sequence[Unit], year: int | None
) -> Comparison:
    result = Comparison(path)
    try:
        lines = report_lines(path, form)
        title = report_title(lines, form)
        imported = parse_report(lines, form)
    except NianbaoError as exc:
        result.failure = str(exc)
        return result
    if title is None:
        result.failure = MESSAGES["WORD_NO_TITLE"].format(
            title=form.report.title.format(unit="<单位名称>", year="<年度>")
        )
        return result
    result.named, result.year = title.unit, title.year
    if year is not None and title.year is not None and title.year != year:
        result.failure = f"标题中的年度是 {title.year} 年，不是 {year} 年"
        return result
    matches = match_unit(title.unit, units)
    if len(matches) != 1:
        names = "、".join(f"{u.unit_id} {u.unit_name}" for u in matches)
        key = "WORD_AMBIGUOUS" if matches else "WORD_UNKNOWN_NAME"
        result.failure = MESSAGES[key].format(found=title.unit, names=names)
        return result
    unit = matches[0]
    result.unit_id, result.unit_name = unit.unit_id, unit.unit_name
    given = approved.get(unit.unit_id)
    if given is None:
        result.failure = "没有这个单位认可的数字（未收到，或没有给出它的表格）"
        return result
    result.approved = given.what
    figures = _published_figures(form, imported, result)
    _differences(form, imported, figures, given.figures, result)
    result.problems = [*imported.problems, *result.problems, *_broken_rules(form, figures)]
    return result


def _published_figures(form: Form, imported: Imported, result: Comparison) -> dict[str, float | None]:
    """The report's figures as numbers (what is not a number is a problem of the report), its totals as printed
    where it prints them."""
    inputs: dict[str, float | None] = {}
    for cell in form.inputs:
        raw = imported.figures.get(cell.code)
        reading = read_figure(raw, cell.type)
        inputs[cell.code] = reading.value
        if cell.code in imported.figures and reading.severity == ERROR and raw is not None:
            result.problems.append(Problem.of(ERROR, reading.code, where=_where(cell), **(reading.fields or {})))
    figures = with_totals(form.totals, inputs)
    for code in form.totals:
        printed = imported.published.get(code)
        if isinstance(printed, float):
            figures[code] = printed
    return figures


def _differences(
    form: Form, imported: Imported, figures: Mapping[str, float | None], approved: Figures, result: Comparison
) -> None:
    for code, cell in form.cells.items():
        if code not in imported.published:
            continue  # not read (the report's problems say why)
        printed, wanted = imported.published[code], approved.get(code)
        result.compared += 1
        number = figures.get(code) if code in form.totals else read_figure(printed, cell.type).value
        if _same(printed, number, wanted):
            continue
        table = cell.sheet.split()[0]
        result.differences.append(
            Difference(table, cell.row_label, cell.col_label, code, _shown(printed), _shown(wanted))
        )
    for group in imported.sums:
        wanted_parts = [approved.get(c) for c in group.codes]
        result.compared += 1
        numbers = [w for w in wanted_parts if isinstance(w, (int, float))]
        total = float(sum(numbers)) if len(numbers) == len(wanted_parts) else None
        number = group.value if isinstance(group.value, float) else None
        if _same(group.value, number, total):
            continue
        first = form.cells[group.codes[0]]
        table = first.sheet.split()[0]
        column = first.col_label
        result.differences.append(
            Difference(table, group.label, column, "+".join(group.codes), _shown(group.value), _shown(total))
        )


def _same(printed: object, number: float | None, wanted: object) -> bool:
    if isinstance(wanted, (int, float)) and number is not None:
        return abs(float(wanted) - number) <= 1e-9
    if wanted is None or wanted == "":
        return printed is None or printed == ""
    return isinstance(printed, str) and printed.strip() == str(wanted).strip()


def _shown(value: object) -> str:
    if value is None or value == "":
        return BLANK_SHOWN
    if isinstance(value, (int, float)):
        return figure_text(float(value))
    return str(value)


def _broken_rules(form: Form, figures: Mapping[str, float | None]) -> list[Problem]:
    """The form's rules the published figures break (totals against their items are the import's problems)."""
    problems = []
    for rule in form.rules:
        if rule.total or rule.needs == "previous":
            continue
        for check in rule.checks:
            outcome = evaluate(check, figures)
            if outcome is None or outcome.ok:
                continue
            sign = "≠" if check.op == "==" else "<"
            message = f"{rule.message}（{figure_text(outcome.left)} {sign} {figure_text(outcome.right)}）"
            cell = form.cells[check.anchor]
            problems.append(
                Problem(rule.severity, rule.id, message, cell.sheet, cell.a1, cell.row_label, cell.col_label)
            )
    return problems


def _where(cell: Cell) -> Location:
    return Location(cell.sheet, cell.a1, cell.row_label, cell.col_label)
