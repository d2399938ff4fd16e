"""Check returned workbooks: identity, template integrity, every figure, every rule → problems."""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import astuple, dataclass, field
from functools import cache
from math import isnan, nan
from pathlib import Path

from nianbao.form.rules import evaluate, with_totals
from nianbao.form.spec import DEFAULT_FORM, IDENTITY_SHEET, Cell, Form, a1, load_form
from nianbao.io.reading import OpenedFile, is_spreadsheet_name, open_spreadsheet
from nianbao.io.roster import Unit
from nianbao.io.values import formula_reading, read_figure, read_text
from nianbao.io.writer import PROPERTY_PREFIX, Identity
from nianbao.operations.parallel import Progress, no_progress, ordered_map
from nianbao.problems import ERROR, WARNING, Location, NianbaoError, Problem, ReadError

IDENTITY_KEYS = tuple(Identity.__dataclass_fields__)
MAX_LAYOUT_EXAMPLES = 3


@dataclass
class CheckOptions:
    form_name: str = DEFAULT_FORM
    roster: Mapping[str, Unit] | None = None
    year: int | None = None
    previous: Mapping[str, Mapping[str, float | None]] | None = None  # unit_id -> last year's figures
    keep_raw: bool = True  # keep what each cell held (for annotated copies); off saves work on big runs
    pack: bool = False  # figures as a compact array (merge holds thousands of them)


class PackedFigures(Mapping[str, "float | None"]):
    """A unit's figures as one array of doubles (NaN for blank) in the form's cell order: 1.6 KB instead of
    a dict's ~10 KB, and cheap to send back from a worker process."""

    __slots__ = ("_form", "_values")

    def __init__(self, form_ref: str, figures: Mapping[str, float | None]) -> None:
        self._form = form_ref
        self._values = array("d", (nan if figures.get(code) is None else figures[code] for code in _order(form_ref)))

    def __getitem__(self, code: str) -> float | None:
        value = self._values[_order(self._form)[code]]
        return None if isnan(value) else value

    def __iter__(self) -> Iterator[str]:
        return iter(_order(self._form))

    def __len__(self) -> int:
        return len(self._values)

    def __reduce__(self) -> tuple:  # type: ignore[type-arg]
        return _unpack, (self._form, self._values)


@cache
def _order(form_ref: str) -> dict[str, int]:
    return {code: i for i, code in enumerate(load_form(form_ref).cells)}


def _unpack(form_ref: str, values: array) -> PackedFigures:  # type: ignore[type-arg]
    packed = PackedFigures.__new__(PackedFigures)
    packed._form, packed._values = form_ref, values
    return packed


@dataclass
class CheckedFile:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    identity: dict[str, str] = field(default_factory=dict)
    figures: Mapping[str, float | None] = field(default_factory=dict)  # inputs and recomputed totals
    texts: dict[str, str] = field(default_factory=dict)
    raw: dict[str, object] = field(default_factory=dict)  # what each input cell held, as read
    sha256: str = ""
    form_ref: str = ""  # what load_form takes to get this file's form: a template name or a spec's path

    @property
    def unit_id(self) -> str:
        return self.identity.get("unit_id", "")

    @property
    def unit_name(self) -> str:
        return self.identity.get("unit_name", "")

    @property
    def year(self) -> int | None:
        year = self.identity.get("year", "")
        return int(year) if year.isdigit() else None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "year": self.year,
            "ok": self.ok,
            "sha256": self.sha256,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_json() for p in self.problems],
        }


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and spreadsheets inside folders named (recursively, in a stable order)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if is_spreadsheet_name(candidate) and not name.startswith((".", "~$", ".~lock")):
                        found.append(candidate)
        elif path.exists():
            found.append(path)
        else:
            raise NianbaoError(f"找不到 {path}")
    return list(dict.fromkeys(found))


def check_paths(
    paths: Iterable[str | Path],
    options: CheckOptions | None = None,
    progress: Progress = no_progress,
) -> list[CheckedFile]:
    """Check every file (in parallel when there are many); duplicates of a unit are flagged on each."""
    reports = list(iter_checks(find_files(paths), options or CheckOptions(), progress))
    flag_duplicates(reports)
    return reports


def iter_checks(files: list[Path], options: CheckOptions, progress: Progress = no_progress) -> Iterator[CheckedFile]:
    """Reports one by one, in the files' order, so that a caller need not hold them all."""
    return ordered_map(_check_with, options, files, progress)


def _check_with(options: CheckOptions, path: Path) -> CheckedFile:
    return check_file(path, options)


def check_file(path: Path, options: CheckOptions) -> CheckedFile:
    """Everything wrong with one file. Never raises for a bad file: the problem is in the report."""
    report = CheckedFile(path)
    try:
        opened = open_spreadsheet(path)
        report.sha256 = opened.sha256
        form = _identify(opened, report, options)
        if form is None or not _layout_intact(opened, form, report):
            return report
        _read_figures(opened, form, report)
        _apply_rules(form, report, options)
        if not options.keep_raw:
            report.raw = {}
        if options.pack:  # what a merge of thousands keeps of each file: the figures packed, no cover fields
            report.figures = PackedFigures(report.form_ref, report.figures)
            report.texts = {s.code: report.texts[s.code] for s in form.narrative}
    except ReadError as exc:
        report.problems.append(Problem(ERROR, exc.code, str(exc)))
    except Exception as exc:  # a file must never stop the run: report what broke, keep going
        report.problems.append(
            Problem(ERROR, "INTERNAL", f"检查时出现意外错误（{type(exc).__name__}: {exc}），请联系技术人员")
        )
    return report


def _identify(opened: OpenedFile, report: CheckedFile, options: CheckOptions) -> Form | None:
    sheet = opened.sheets.get(IDENTITY_SHEET)
    from_sheet = {}
    if sheet is not None:
        from_sheet = {read_text(row[0]): read_text(row[1]) for row in sheet.rows if len(row) >= 2 and row[0]}
    from_props = {k[len(PROPERTY_PREFIX) :]: v for k, v in opened.properties.items() if k.startswith(PROPERTY_PREFIX)}
    identity = {k: from_sheet.get(k) or from_props.get(k, "") for k in IDENTITY_KEYS}
    report.identity = identity
    if not identity["unit_id"] or not identity["form_id"]:
        report.problems.append(Problem.of(ERROR, "NO_IDENTITY", sheet=IDENTITY_SHEET))
        return None
    differing = [
        k
        for k in ("unit_id", "year", "form_id", "fingerprint")
        if from_sheet and from_props and k in from_props and from_sheet.get(k) != from_props[k]
    ]
    if differing:
        detail = "、".join(f"{k}: {from_sheet.get(k)} / {from_props[k]}" for k in differing)
        report.problems.append(Problem.of(ERROR, "IDENTITY_MISMATCH", detail=detail))
        return None

    expected = load_form(options.form_name)
    key = f"{identity['form_id']}-{identity['form_version']}"
    try:
        form = expected if key == expected.key else load_form(key)
    except NianbaoError:
        report.problems.append(Problem.of(ERROR, "UNKNOWN_FORM", form=key))
        return None
    report.form_ref = options.form_name if form is expected else form.key
    if form.key != expected.key:
        report.problems.append(Problem.of(ERROR, "FORM_VERSION", found=form.key, expected=expected.key))
    if identity["fingerprint"] != form.fingerprint:
        report.problems.append(
            Problem.of(ERROR, "FINGERPRINT", form=form.key, found=identity["fingerprint"], expected=form.fingerprint)
        )
        return None

    if identity["kind"] == "summary" and identity["missing"] not in ("", "0"):
        report.problems.append(Problem.of(ERROR, "PARTIAL_SUMMARY", missing=identity["missing"]))
    if options.year is not None and report.year != options.year:
        report.problems.append(Problem.of(ERROR, "YEAR", found=identity["year"], expected=options.year))
    if options.roster is not None:
        unit = options.roster.get(report.unit_id)
        if unit is None:
            report.problems.append(
                Problem.of(ERROR, "NOT_ON_ROSTER", unit_id=report.unit_id, unit_name=report.unit_name)
            )
        elif unit.unit_name != report.unit_name:
            report.problems.append(Problem.of(WARNING, "NAME_DIFFERS", found=report.unit_name, expected=unit.unit_name))
    return form


def _layout_intact(opened: OpenedFile, form: Form, report: CheckedFile) -> bool:
    intact = True
    for name in form.sheets:
        if name not in opened.sheets and name != IDENTITY_SHEET:
            report.problems.append(Problem.of(ERROR, "MISSING_SHEET", where=Location(sheet=name), sheet=name))
            intact = False
    for name in opened.sheets if report.identity.get("kind") != "summary" else ():
        if name not in form.sheets:
            report.problems.append(Problem.of(WARNING, "EXTRA_SHEET", where=Location(sheet=name), sheet=name))
    if not intact:
        return False
    changed = []
    for label in form.labels:
        found = read_text(opened.sheets[label.sheet].get(label.row, label.col))
        if found != label.text:
            changed.append((label, found))
    if changed:
        examples = "；".join(
            f"{lab.sheet}!{a1(lab.row, lab.col)} 应为“{lab.text}”，现为“{found}”"
            for lab, found in changed[:MAX_LAYOUT_EXAMPLES]
        )
        first = changed[0][0]
        where = Location(sheet=first.sheet, cell=a1(first.row, first.col))
        report.problems.append(Problem.of(ERROR, "LAYOUT", where=where, count=len(changed), examples=examples))
        return False
    return True


def _where(cell: Cell) -> Location:
    return Location(cell.sheet, cell.a1, cell.row_label, cell.col_label)


def _read_figures(opened: OpenedFile, form: Form, report: CheckedFile) -> None:
    inputs: dict[str, float | None] = {}
    for cell in form.inputs:
        report.raw[cell.code] = raw = opened.sheets[cell.sheet].get(cell.row, cell.col)
        reading = read_figure(raw, cell.type)
        if reading.code == "BLANK" or opened.links_other_files:  # a formula seen only in the file's XML
            reading = formula_reading(reading, opened.formula(cell.sheet, cell.row, cell.col))
        inputs[cell.code] = reading.value
        if reading.severity:
            report.problems.append(
                Problem.of(reading.severity, reading.code, where=_where(cell), **(reading.fields or {}))
            )
    report.figures = with_totals(form.totals, inputs)
    for code in form.totals:
        cell = form.cells[code]
        shown, value = opened.sheets[cell.sheet].get(cell.row, cell.col), report.figures[code]
        # Cached totals are 0 or missing in files nobody recalculated: only a real, different figure counts.
        if isinstance(shown, (int, float)) and shown and value is not None and abs(shown - value) > 1e-6:
            report.problems.append(
                Problem.of(WARNING, "TOTAL_DIFFERS", where=_where(cell), shown=f"{shown:g}", value=f"{value:g}")
            )
    for text in form.narrative + form.cover_fields:
        report.raw[text.code] = raw = opened.sheets[text.sheet].get(text.row, text.col)
        report.texts[text.code] = read_text(raw)


def _apply_rules(form: Form, report: CheckedFile, options: CheckOptions) -> None:
    previous = None
    if options.previous is not None:
        previous = options.previous.get(report.unit_id)
        if previous is None:
            report.problems.append(Problem.of(WARNING, "NO_PREVIOUS"))
    for rule in form.rules:
        if rule.needs == "previous" and previous is None:
            continue
        for check in rule.checks:
            outcome = evaluate(check, report.figures, previous)
            if outcome is None or outcome.ok:
                continue
            sign = "≠" if check.op == "==" else "<"
            message = f"{rule.message}（{outcome.left:g} {sign} {outcome.right:g}）"
            where = astuple(_where(form.cells[check.anchor]))
            report.problems.append(Problem(rule.severity, rule.id, message, *where, (outcome.left, outcome.right)))


def duplicate_groups(keys: list[tuple[str, int | None]]) -> list[list[int]]:
    """Positions of files that are the same unit and year (unit_id, year), in groups of two or more."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for i, key in enumerate(keys):
        if key[0]:
            groups.setdefault(key, []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def duplicate_problem(names: list[str], index: int, unit_id: str) -> Problem:
    others = "、".join(n for i, n in enumerate(names) if i != index)
    return Problem.of(WARNING, "DUPLICATE_UNIT", others=others, unit_id=unit_id)


def flag_duplicates(reports: list[CheckedFile]) -> None:
    for group in duplicate_groups([(r.unit_id, r.year) for r in reports]):
        names = [reports[i].path.name for i in group]
        for j, i in enumerate(group):
            reports[i].problems.append(duplicate_problem(names, j, reports[i].unit_id))


def iter_lines(report: CheckedFile, limit: int = 30) -> Iterator[str]:
    """The report of one file for a terminal: a headline, then a line per problem (at most ``limit``)."""
    who = f"（{report.unit_name}）" if report.unit_name else ""
    if report.ok and not report.warnings:
        yield f"✓ {report.path}{who}：通过"
        return
    mark = "✓" if report.ok else "✗"
    counts = f"{len(report.errors)} 个错误，{len(report.warnings)} 个警告"
    yield f"{mark} {report.path}{who}：{counts}"
    for problem in report.problems[:limit]:
        yield f"    {problem.describe()}"
    if len(report.problems) > limit:
        yield f"    …… 另有 {len(report.problems) - limit} 个问题未列出（完整列表请用 --json 或 --annotate）"
