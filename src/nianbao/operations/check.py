"""Check returned workbooks: identity, template integrity, every figure, every rule → problems."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from math import isnan, nan
from operator import itemgetter
from pathlib import Path
from typing import Any

from nianbao.form.review import figure_text, problem_at
from nianbao.form.rules import evaluate, with_totals
from nianbao.form.spec import COVER_INFO_ROW, DEFAULT_FORM, IDENTITY_SHEET, Cell, FieldType, Form, Label, a1, load_form
from nianbao.io.files import resolved, sha256, shown
from nianbao.io.identity import ANNOTATED_PROPERTY, SUMMARY, Identity, read_identity
from nianbao.io.pdf import is_pdf
from nianbao.io.reading import OpenedFile, is_return_name, opened_from, read_return
from nianbao.io.roster import Unit
from nianbao.io.values import MAX_COUNT, formula_reading, read_figure, read_text, says_nothing
from nianbao.io.word import is_word
from nianbao.io.writer import written_positions
from nianbao.operations.generate import MANIFEST_NAME
from nianbao.operations.importing import DocumentReport, match_unit, read_document_report
from nianbao.operations.parallel import Progress, no_progress, ordered_map
from nianbao.operations.published import printed_problems
from nianbao.problems import ERROR, MESSAGES, WARNING, Location, NianbaoError, Problem, ReadError

MAX_LAYOUT_EXAMPLES = 3
PROBLEM_SHEET = "问题清单"  # the sheet an annotated copy opens with; a unit may send the copy back corrected
EXPLANATION_LEAD = "单位的情况说明："  # before the unit's explanation of its warnings, in the terminal and 问题清单


@dataclass
class CheckOptions:
    form_name: str = DEFAULT_FORM
    roster: Mapping[str, Unit] | None = None
    year: int | None = None
    previous: Mapping[str, Mapping[str, float | None]] | None = None  # unit_id -> last year's figures
    keep_raw: bool = True  # keep what each cell held (for annotated copies); off saves work on big runs
    pack: bool = False  # figures as a compact array (merge holds thousands of them)
    unit_id: str = ""  # the unit of a Word or PDF return, instead of the unit its title names (--unit-id)
    previous_year: int | None = None  # the year of ``previous``: a file of another year than the next is not compared


class PackedFigures(Mapping[str, "float | None"]):
    """A unit's figures as one array of doubles (NaN for blank) in the form's cell order: 1.6 KB instead of
    a dict's ~10 KB, and cheap to send back from a worker process."""

    __slots__ = ("_form", "_values")

    def __init__(self, form_ref: str, figures: Mapping[str, float | None]) -> None:
        self._form = form_ref
        self._values = array("d", (_or_nan(figures.get(code)) for code in _order(form_ref)))

    def __getitem__(self, code: str) -> float | None:
        value = self._values[_order(self._form)[code]]
        return None if isnan(value) else value

    def __iter__(self) -> Iterator[str]:
        return iter(_order(self._form))

    def __len__(self) -> int:
        return len(self._values)

    def __reduce__(self) -> tuple[object, ...]:
        return _unpack, (self._form, self._values)

    @property
    def form_ref(self) -> str:
        return self._form

    @property
    def packed(self) -> array[float]:
        """The figures in the form's cell order, NaN for blank."""
        return self._values


@cache
def _order(form_ref: str) -> dict[str, int]:
    return {code: i for i, code in enumerate(load_form(form_ref).cells)}


def _or_nan(value: float | None) -> float:
    return nan if value is None else value


def _unpack(form_ref: str, values: array[float]) -> PackedFigures:
    packed = PackedFigures.__new__(PackedFigures)
    packed._form, packed._values = form_ref, values
    return packed


@dataclass(slots=True)  # thousands are kept by a merge: no __dict__ each
class CheckedFile:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    identity: dict[str, str] = field(default_factory=dict)
    figures: Mapping[str, float | None] = field(default_factory=dict)  # inputs and recomputed totals
    texts: dict[str, str] = field(default_factory=dict)
    explanation: str = ""  # what the unit wrote in the form's 情况说明 (explanation of warnings), if any
    raw: dict[str, object] = field(default_factory=dict)  # what each input cell held, as read
    sha256: str = ""
    form_ref: str = ""  # what load_form takes to get this file's form: a template name or a spec's path
    ignored: str = ""  # why this file is not a return of its own (a copy of another, our annotated copy)

    @property
    def name(self) -> str:
        """The file's path as text (printable even when the name is not UTF-8)."""
        return shown(self.path)

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

    @property
    def explained(self) -> bool:
        """The file has warnings and the unit explained them (more than “无” or “/”)."""
        return bool(self.warnings) and not says_nothing(self.explanation)

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.name,
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "year": self.year,
            "ok": self.ok,
            "ignored": self.ignored,
            "sha256": self.sha256,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "explanation": self.explanation,
            "explained": self.explained,
            "problems": [p.to_json() for p in self.problems],
        }


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and inside folders named (recursively, in a stable order) every file that may be a
    return: workbooks, and kinds refused with advice (.et, .csv, …). Links are listed even when they lead
    nowhere (each gets its own error); a file named twice is listed once."""
    found: list[tuple[Path, Path]] = []  # each file and where it really is (links followed)
    for path in map(Path, paths):
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                folder = Path(root)  # its parts shared by the paths of its files (thousands of them)
                real = resolved(folder)  # once a folder: a file in it that is no link is where its name says
                for name in sorted(files):
                    candidate = folder / name
                    ours = name == MANIFEST_NAME  # generate's list of the blank workbooks
                    if is_return_name(candidate) and not ours and not name.startswith((".", "~$", ".~lock")):
                        found.append((candidate, resolved(candidate) if candidate.is_symlink() else real / name))
        elif path.exists() or path.is_symlink():
            found.append((path, resolved(path)))
        else:
            raise NianbaoError(f"找不到 {shown(path)}")
    unique: dict[Path, Path] = {}
    for path, really in found:
        unique.setdefault(really, path)
    return list(unique.values())


class CheckRun:
    """A check of many files, streamed: iterating gives each file's result as it is ready, in the files'
    order, so that memory stays flat. What needs every file (a unit sending two different files) is known
    when the iteration ends: ``duplicates``, ``later`` problems, the counts and ``to_json``."""

    def __init__(
        self, files: list[Path], options: CheckOptions, progress: Progress = no_progress, keep_json: bool = True
    ) -> None:
        self.files, self.options, self.progress, self.keep_json = files, options, progress, keep_json
        self.entries: list[dict[str, Any]] = []  # each file's JSON document, if kept
        self.checked = 0
        self.later: dict[int, list[Problem]] = {}  # problems found across files, by the file's position
        self.duplicates: list[list[Path]] = []
        self.failed = self.warned = self.ignored = 0

    def __iter__(self) -> Iterator[CheckedFile]:
        keys: list[tuple[str, int | None]] = []
        first_with: dict[bytes, int] = {}  # sha256 -> the position of the first file with these bytes
        for index, report in enumerate(iter_checks(self.files, self.options, self.progress)):
            first = first_with.setdefault(bytes.fromhex(report.sha256), index) if report.sha256 else index
            if first != index and not report.ignored:
                report.ignored = MESSAGES["SAME_BYTES"].format(other=shown(self.files[first]))
            keys.append(("", None) if report.ignored else (self._kept_id(report.unit_id), report.year))
            self.checked += 1
            if self.keep_json:
                self.entries.append(report.to_json())
            self.ignored += bool(report.ignored)
            self.failed += not report.ignored and not report.ok
            self.warned += bool(not report.ignored and report.ok and report.warnings)
            yield report
        for group in duplicate_groups(keys):
            names = [shown(Path(self.files[i].name)) for i in group]
            self.duplicates.append([self.files[i] for i in group])
            for j, i in enumerate(group):
                others = "、".join(n for k, n in enumerate(names) if k != j)
                problem = Problem.of(WARNING, "DUPLICATE_UNIT", others=others, unit_id=keys[i][0])
                self.later.setdefault(i, []).append(problem)
                if not self.keep_json:
                    continue
                self.entries[i]["problems"].append(problem.to_json())
                self.entries[i]["warnings"] += 1
                self.entries[i]["explained"] = not says_nothing(self.entries[i]["explanation"])

    def to_json(self) -> dict[str, object]:
        return {"files": self.entries, "checked": self.checked, "failed": self.failed, "ignored": self.ignored}

    def _kept_id(self, unit_id: str) -> str:
        """A unit's code as the roster holds it (one string for every file of the unit), else as the file says."""
        unit = self.options.roster.get(unit_id) if self.options.roster is not None else None
        return unit.unit_id if unit is not None else unit_id


def check_files(
    paths: Iterable[str | Path],
    options: CheckOptions | None = None,
    progress: Progress = no_progress,
    keep_json: bool = True,
) -> CheckRun:
    """Check every file under ``paths`` (in parallel when there are many): iterate the run for the results.
    Without ``keep_json`` the run keeps no JSON document (memory flat for a merge of thousands)."""
    return CheckRun(find_files(paths), options or CheckOptions(), progress, keep_json)


def check_all(paths: Iterable[str | Path], options: CheckOptions | None = None) -> list[CheckedFile]:
    """Every file's result at once, the problems found across files included."""
    run = check_files(paths, options)
    reports = list(run)
    for i, problems in run.later.items():
        reports[i].problems.extend(problems)
    return reports


def iter_checks(files: list[Path], options: CheckOptions, progress: Progress = no_progress) -> Iterator[CheckedFile]:
    """Reports one by one, in the files' order, so that a caller need not hold them all."""
    if files:
        prepare_checks(options)
    return ordered_map(_check_with, options, files, progress)


def prepare_checks(options: CheckOptions) -> None:
    """What every check of the form reads, worked out once, before worker processes start (they inherit it)."""
    _plan(options.form_name)
    _expected_positions(options.form_name)


def _check_with(options: CheckOptions, path: Path) -> CheckedFile:
    return check_file(path, options)


def check_file(path: Path, options: CheckOptions, data: bytes | None = None) -> CheckedFile:
    """Everything wrong with one file. Never raises for a bad file: the problem is in the report. ``data``: the
    file's bytes when the caller has read them already (``path`` then only names the file)."""
    report = CheckedFile(path)
    try:
        data = read_return(path, data)
        reader = _check_word if is_word(data) or is_pdf(data) else _check_workbook
        form = reader(path, data, report, options)
        if form is None:
            return report
        _apply_rules(form, report, options)
        if not options.keep_raw:
            report.raw = {}
        if options.pack:  # what a merge of thousands keeps: figures packed, no cover fields (the explanation stays)
            report.figures = PackedFigures(report.form_ref, report.figures)
            report.texts = {s.code: report.texts[s.code] for s in form.narrative}
    except ReadError as exc:
        report.problems.append(Problem(ERROR, exc.code, str(exc), params=exc.params))
    except Exception as exc:  # a file must never stop the run: report what broke, keep going
        report.problems.append(Problem.of(ERROR, "INTERNAL", detail=f"{type(exc).__name__}: {exc}"))
    return report


def _check_workbook(path: Path, data: bytes, report: CheckedFile, options: CheckOptions) -> Form | None:
    """Identity, layout, every figure and what lies around the tables; the form if the rules may run."""
    opened = opened_from(path, data)
    report.sha256 = opened.sha256
    form = _identify(opened, report, options)
    if form is None or not _layout_intact(opened, form, report):
        return None
    _read_figures(opened, form, report)
    report.problems.extend(printed_problems(form, report.identity.get("printed", ""), report.figures))
    annotated = opened.properties.get(ANNOTATED_PROPERTY)  # the digest is worked out only for our annotated copies
    if annotated is not None and annotated == content_digest(report.raw):
        report.ignored = MESSAGES["ANNOTATED_COPY"]
    _look_around(opened, form, report)
    return form


def _check_word(path: Path, data: bytes, report: CheckedFile, options: CheckOptions) -> Form | None:
    """A return sent as an annual report in Word or PDF: the unit given (--unit-id) or named in the title and
    matched to the roster, the year of the title, the figures of its tables read as ``import`` reads them.
    Every figure is then checked like a workbook's, and a warning says where the figures came from."""
    form = load_form(options.form_name)
    report.sha256, report.form_ref = sha256(data), options.form_name
    word = read_document_report(data, form)
    if word.imported is None:
        report.problems.append(Problem.of(ERROR, "WORD_NOT_REPORT", reason=word.failure, kind=word.kind))
    how = _word_unit(form, word, report, options)
    if word.imported is None:
        return None
    report.problems.append(Problem.of(WARNING, "WORD_SOURCE", how=f"（{how}）" if how else "", kind=word.kind))
    inputs: dict[str, float | None] = {}
    for cell in form.inputs:
        if cell.code not in word.imported.figures:  # not placed: the import problem says why
            inputs[cell.code] = None
            continue
        report.raw[cell.code] = raw = word.imported.figures[cell.code]
        reading = read_figure(raw, cell.type)
        inputs[cell.code] = reading.value
        if reading.severity:
            report.problems.append(
                Problem.of(reading.severity, reading.code, where=_where(cell), **(reading.fields or {}))
            )
    report.problems.extend(word.imported.problems)
    report.figures = with_totals(form.totals, inputs)
    for text in form.text_cells:
        report.raw[text.code] = report.texts[text.code] = word.imported.texts.get(text.code, "")
    return form


def _word_unit(form: Form, word: DocumentReport, report: CheckedFile, options: CheckOptions) -> str:
    """Set a Word return's identity: the unit and the year. Returns how the unit was known (for the
    WORD_SOURCE warning), "" if it is not. A document that is no report and has no title (a letter, a
    notice) gets no more errors than that."""
    quiet = word.imported is None and word.title is None
    named = word.title.unit if word.title else ""
    year = word.title.year if word.title and word.title.year else options.year
    unit: Unit | None = None
    how = reason = ""
    roster = options.roster
    if options.unit_id:
        unit = roster.get(options.unit_id) if roster is not None else Unit(options.unit_id, named)
        if unit is None:
            report.problems.append(Problem.of(ERROR, "NOT_ON_ROSTER", unit_id=options.unit_id, unit_name=named))
        elif named and unit.unit_name and not match_unit(named, [unit]):
            report.problems.append(
                Problem.of(WARNING, "WORD_NAME_DIFFERS", found=named, unit_id=unit.unit_id, expected=unit.unit_name)
            )
        how = MESSAGES["WORD_BY_OPTION"].format(unit_id=options.unit_id, unit_name=unit.unit_name if unit else named)
    elif word.title is None:
        example = form.report.title.format(unit="<单位名称>", year="<年度>")
        reason = MESSAGES["WORD_NO_TITLE"].format(title=example)
    elif roster is None:
        reason = MESSAGES["WORD_NO_ROSTER"].format(found=named)
    else:
        matches = match_unit(named, roster.values())
        if len(matches) == 1:
            unit = matches[0]
            how = MESSAGES["WORD_BY_TITLE"].format(found=named, unit_id=unit.unit_id, unit_name=unit.unit_name)
        elif matches:
            names = "、".join(f"{u.unit_id} {u.unit_name}" for u in matches)
            reason = MESSAGES["WORD_AMBIGUOUS"].format(found=named, names=names)
        else:
            reason = MESSAGES["WORD_UNKNOWN_NAME"].format(found=named)
    if reason and not quiet:
        report.problems.append(Problem.of(ERROR, "WORD_NO_UNIT", reason=reason, kind=word.kind))
    unit_id = unit.unit_id if unit else options.unit_id
    identity = dict(Identity.for_unit(form, unit_id, unit.unit_name if unit else named, year or 0).items())
    report.identity = {**identity, "year": str(year) if year else ""}
    if year is None and not quiet:
        report.problems.append(Problem.of(ERROR, "WORD_NO_YEAR"))
    elif options.year is not None and year != options.year:
        report.problems.append(Problem.of(ERROR, "YEAR", found=year, expected=options.year))
    return how


def _identify(opened: OpenedFile, report: CheckedFile, options: CheckOptions) -> Form | None:
    found = read_identity(opened)
    identity = report.identity = found.fields
    if not found.complete:
        report.problems.append(Problem.of(ERROR, "NO_IDENTITY", sheet=IDENTITY_SHEET))
        return None
    if found.differing:
        detail = "、".join(f"{key}: {in_sheet} / {in_props}" for key, in_sheet, in_props in found.differing)
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

    if identity["kind"] == SUMMARY and identity["missing"] not in ("", "0"):
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
    for name in opened.sheets if report.identity.get("kind") != SUMMARY else ():
        if name not in form.sheets and name != PROBLEM_SHEET:
            report.problems.append(Problem.of(WARNING, "EXTRA_SHEET", where=Location(sheet=name), sheet=name))
    if not intact:
        return False
    changed = []
    for label, row, col, text, exact in _plan(report.form_ref).labels:
        rows = opened.sheets[label.sheet].rows
        raw = rows[row][col] if row < len(rows) and col < len(rows[row]) else ""
        if exact and raw == text:  # as written: nothing to read
            continue
        found = read_text(raw)
        if found != text:
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


def content_digest(raw: Mapping[str, object]) -> str:
    """A fingerprint of what was typed (figures and texts), to tell an untouched copy from an edited one."""
    return sha256(repr(sorted((code, repr(value)) for code, value in raw.items())).encode("utf-8"))


@cache
def _expected_positions(form_ref: str) -> frozenset[tuple[str, int, int]]:
    """Where a returned workbook may hold something: what the tool wrote, and every input."""
    form = load_form(form_ref)
    typed = {(t.sheet, t.row, t.col) for t in form.text_cells}
    typed |= {(c.sheet, c.row, c.col) for c in form.cells.values()}
    return written_positions(form_ref) | typed


@dataclass(frozen=True)
class _Plan:
    """Where checking a workbook of one form reads, worked out once per process (issue 25): each input, total,
    text and label with its place, and the sheets scanned for what lies outside the tables."""

    inputs: tuple[tuple[Cell, str, str, int, int, FieldType, bool], ...]  # … its code, place, type, whole number
    totals: tuple[tuple[Cell, str, int, int], ...]
    texts: tuple[tuple[str, str, int, int], ...]
    labels: tuple[tuple[Label, int, int, str, bool], ...]  # the label, its place, its text, text == text.strip()
    around: tuple[str, ...]  # the sheets looked at outside the tables


@cache
def _plan(form_ref: str) -> _Plan:
    form = load_form(form_ref)
    inputs = tuple((c, c.code, c.sheet, c.row, c.col, c.type, c.type.decimals == 0) for c in form.inputs)
    totals = tuple(
        (form.cells[code], form.cells[code].sheet, form.cells[code].row, form.cells[code].col) for code in form.totals
    )
    texts = tuple((t.code, t.sheet, t.row, t.col) for t in form.text_cells)
    labels = tuple((lab, lab.row, lab.col, lab.text, lab.text == lab.text.strip()) for lab in form.labels)
    return _Plan(inputs, totals, texts, labels, tuple(s for s in form.sheets if s != IDENTITY_SHEET))


_AllEmpty = Callable[[Sequence[object]], bool]


@cache
def _outside(form_ref: str, sheet: str, width: int) -> dict[int, _AllEmpty]:
    """For each row of a sheet ``width`` cells wide with places where something may be written: whether the
    row's other cells are all empty, at C speed. A row without such places must be empty whole."""
    allowed: dict[int, set[int]] = {}
    for name, r, c in _expected_positions(form_ref):
        if name == sheet:
            allowed.setdefault(r, set()).add(c)
    return {r: _all_empty([c for c in range(width) if c not in columns]) for r, columns in allowed.items()}


def _all_empty(columns: list[int]) -> _AllEmpty:
    if not columns:
        return lambda row: True
    get = itemgetter(*columns, columns[0])  # a tuple even for one column
    return lambda row: get(row).count("") == len(columns) + 1


def _look_around(opened: OpenedFile, form: Form, report: CheckedFile) -> None:
    """What a unit wrote where the tool does not read (nothing it wrote may be lost unseen), and a cover
    that names another unit than the identity (a copied workbook with only the cover changed). Each row is
    first looked at whole at C speed (are the cells outside the tables all empty?); only a row where something
    is written outside them is looked at cell by cell."""
    if report.identity.get("kind") == SUMMARY:
        return
    for name in _plan(report.form_ref).around:
        rows = opened.sheets[name].rows if name in opened.sheets else ()
        width = len(rows[0]) if rows else 0
        empty = _outside(report.form_ref, name, width)
        for r, row in enumerate(rows):
            test = empty.get(r)
            if len(row) == width and (row.count("") == width if test is None else test(row)):
                continue
            _written_outside(name, r, row, form, report)
    cover = opened.sheets[form.cover_sheet]
    for line, key, label in ((COVER_INFO_ROW, "unit_name", "单位名称"), (COVER_INFO_ROW + 1, "unit_id", "单位编码")):
        found, expected = read_text(cover.get(line, 1)), report.identity[key]
        if found != expected:
            where = Location(sheet=form.cover_sheet, cell=a1(line, 1))
            report.problems.append(
                Problem.of(WARNING, "COVER_DIFFERS", where=where, field=label, found=found, expected=expected)
            )


def _written_outside(sheet: str, r: int, row: Sequence[object], form: Form, report: CheckedFile) -> None:
    """A warning for each cell of a row with something written where the tool does not read."""
    allowed = _expected_positions(report.form_ref)
    for c in [c for c, value in enumerate(row) if value != "" and value is not None]:
        if (sheet, r, c) not in allowed:
            where = Location(sheet=sheet, cell=a1(r, c))
            text = read_text(row[c])
            report.problems.append(
                Problem.of(WARNING, "OUTSIDE_TABLE", where=where, text=text, sheet=form.narrative_sheet)
            )


def _where(cell: Cell) -> Location:
    return Location(cell.sheet, cell.a1, cell.row_label, cell.col_label)


def _read_figures(opened: OpenedFile, form: Form, report: CheckedFile) -> None:
    plan, sheets = _plan(report.form_ref), opened.sheets
    inputs: dict[str, float | None] = {}
    raw_of, links = report.raw, opened.links_other_files
    for cell, code, sheet, r, c, kind, whole in plan.inputs:
        try:
            raw = sheets[sheet].rows[r][c]
        except IndexError:  # beyond the sheet's last row or column: blank
            raw = ""
        raw_of[code] = raw
        if whole and type(raw) is float and not links and 0 <= raw < MAX_COUNT and raw.is_integer():
            inputs[code] = raw or 0.0  # a whole count, as read_figure reads it (-0 as 0)
            continue
        reading = read_figure(raw, kind)
        if reading.code == "BLANK" or links:  # a formula seen only in the file's XML
            reading = formula_reading(reading, opened.formula(sheet, r, c))
        inputs[code] = reading.value
        if reading.severity:
            report.problems.append(
                Problem.of(reading.severity, reading.code, where=_where(cell), **(reading.fields or {}))
            )
    report.figures = with_totals(form.totals, inputs)
    for cell, sheet, r, c in plan.totals:
        rows = opened.sheets[sheet].rows
        shown = rows[r][c] if r < len(rows) and c < len(rows[r]) else ""
        value = report.figures[cell.code]
        # Cached totals are 0 or missing in files nobody recalculated: only a real, different figure counts.
        if isinstance(shown, (int, float)) and shown and value is not None and abs(shown - value) > 1e-6:
            report.problems.append(
                Problem.of(
                    WARNING, "TOTAL_DIFFERS", where=_where(cell), shown=figure_text(shown), value=figure_text(value)
                )
            )
    for code, sheet, r, c in plan.texts:
        rows = opened.sheets[sheet].rows
        raw_of[code] = raw = rows[r][c] if r < len(rows) and c < len(rows[r]) else ""
        report.texts[code] = read_text(raw)
    if form.explanation:
        report.explanation = report.texts[form.explanation.code]


def find_previous(
    previous: Mapping[str, Mapping[str, float | None]], unit_id: str, unit_name: str
) -> Mapping[str, float | None] | None:
    """Last year's figures of a unit: by its code, else (a published report read without a roster) by a
    name that is the unit's, with or without the county before it (彰武县彰武镇 for 彰武镇)."""
    if unit_id in previous:
        return previous[unit_id]
    found = [figures for key, figures in previous.items() if key.startswith(NAME_KEY) and same_unit(key, unit_name)]
    return found[0] if len(found) == 1 else None


NAME_KEY = "名称:"  # last year's figures known by a unit's name only (a published report read without a roster)


def same_unit(name: str, other: str) -> bool:
    """Two names of one unit: the same, or one is the other with a place before it (彰武县彰武镇, 彰武镇)."""
    return bool(match_unit(name.removeprefix(NAME_KEY), [Unit("", other)]))


def _apply_rules(form: Form, report: CheckedFile, options: CheckOptions) -> None:
    previous = None
    other_year = options.previous_year is not None and report.year != options.previous_year + 1
    if options.previous is not None and other_year:
        report.problems.append(
            Problem.of(WARNING, "PREVIOUS_OTHER_YEAR", year=report.year, previous=options.previous_year)
        )
    elif options.previous is not None:
        previous = find_previous(options.previous, report.unit_id, report.unit_name)
        if previous is None:
            report.problems.append(Problem.of(WARNING, "NO_PREVIOUS"))
    level = unit_level(form, report, options)
    for rule in form.rules:
        if (rule.needs == "previous" and previous is None) or not rule.applies(level):
            continue
        for check in rule.checks:
            outcome = evaluate(check, report.figures, previous)
            if outcome is None or outcome.ok:
                continue
            sign = "≠" if check.op == "==" else "<"
            message = f"{rule.message}（{figure_text(outcome.left)} {sign} {figure_text(outcome.right)}）"
            cell = form.cells[check.anchor]
            report.problems.append(problem_at(cell, rule.severity, rule.id, message, (outcome.left, outcome.right)))
    if previous is not None:
        report.problems.extend(year_review(form, report.figures, previous))


def unit_level(form: Form, report: CheckedFile, options: CheckOptions) -> str:
    """The unit's level of government: by its 类型 in the roster, else by its name (an import's, a title's)."""
    unit = options.roster.get(report.unit_id) if options.roster is not None else None
    return form.levels.of(unit.kind if unit else "", report.unit_name)


def year_review(form: Form, figures: Mapping[str, float | None], previous: Mapping[str, float | None]) -> list[Problem]:
    """请核实 warnings where a figure moved implausibly against last year (the spec's [review]); each names
    both years' figures, which are also its params (an acceptance holds while neither changes)."""
    problems = []
    for rule in form.review.year:
        for code in rule.cells:
            now, before = figures.get(code), previous.get(code)
            if now is None or before is None or not rule.flags(now, before):
                continue
            cell = form.cells[code]
            message = rule.message.format(now=figure_text(now), previous=figure_text(before), unit=cell.type.unit)
            params = {"now": now, "previous": before}
            problems.append(problem_at(cell, WARNING, rule.id, message, (now, before), params))
    return problems


def duplicate_groups(keys: list[tuple[str, int | None]]) -> list[list[int]]:
    """Positions of files that are the same unit and year (unit_id, year), in groups of two or more."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for i, key in enumerate(keys):
        if key[0]:
            groups.setdefault(key, []).append(i)
    return [g for g in groups.values() if len(g) > 1]
