"""One official table of a published report read back, token by token (a token: a table cell or a line of
text, as ``importing`` gives them), following the form's document layout label by label. Tolerant, never
guessing, and the same for every kind of file (web text, HTML, Word, PDF):

- a label broken over several lines or cells is read whole; an empty cell where a label belongs holds nothing;
- a label printed a little differently (within a quarter of its length in edits: “2.其他法律行政止公开”) is taken
  when it is near the label expected there and near no other label of the table, with a warning quoting both;
- a group of rows printed as one row (the old layout's single “（六）其他处理” row): its figures are kept as
  printed sums of the group's cells, which stay blank and are named;
- anything else that does not fit stops the table with the reason, and none of its figures is placed.

Printed totals are compared with the sums of their items (a printed sum of a group counts for its cells)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from nianbao.form.review import figure_text
from nianbao.form.rules import with_totals
from nianbao.form.spec import DocCell, Form, Table
from nianbao.problems import ERROR, WARNING, Location, Problem

BLANK = "\x00blank"  # a table cell that was empty on the page
WHOLE, PART, OTHER = "whole", "part", "other"  # a text is a label (or heading), the start of one, or neither
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # “1,234”; a comma that may be a decimal point stays text
_COUNTED = re.compile(r"^\d+(\.\d+)?(件|个|条|项|次|份|起|元|万元)$")
_NOTHING = frozenset({"/", "\\", "-", "--", "—", "——", "－", "无"})
_LONGEST = 8  # tokens a label printed differently may be broken into


@dataclass(frozen=True)
class PrintedSum:
    """One figure a report prints for several cells (a group of rows printed as one row): the group's label,
    the cells it stands for (one column of the group), and the figure as printed."""

    label: str
    codes: tuple[str, ...]
    value: float | str | None


@dataclass
class Imported:
    figures: dict[str, float | str | None] = field(default_factory=dict)  # inputs: number, typed text, blank
    published: dict[str, float | str | None] = field(default_factory=dict)  # every cell as printed
    texts: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # what could not be placed or does not add up
    sums: list[PrintedSum] = field(default_factory=list)  # figures printed for groups of cells
    printed: dict[str, float] = field(default_factory=dict)  # printed totals that differ from their items' sum


def normalize(text: str) -> str:
    """Compare labels as printed in the wild: half/full-width forms, “1、” for “1.”, quotes, line breaks."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"(\d)、", r"\1.", text)
    return re.sub(r"[“”\"‘’'「」]", "", text)


def label_kind(form: Form) -> Callable[[str], str]:
    """Whether a text is one of the form's labels or section titles (WHOLE), the start of one (PART), or
    neither: what the PDF reader asks to put back labels a page break or a line break cut."""
    known = {normalize(lab.text) for lab in form.labels}
    known |= {normalize(a) for variants in form.import_hints.aliases.values() for a in variants}
    known |= {normalize(form.section(code).title) for code in form.report.order}
    starts = {k[:n] for k in known for n in range(1, len(k))}

    def kind(text: str) -> str:
        key = normalize(text)
        return WHOLE if key in known else PART if key in starts else OTHER

    return kind


def value_of(token: str) -> float | str | None:
    """A cell as printed: a number, None for an empty cell, else the text itself (for check to explain)."""
    if token == BLANK:
        return None
    plain = unicodedata.normalize("NFKC", token).strip()
    if _THOUSANDS.match(plain):
        plain = plain.replace(",", "")
    return float(plain) if _NUMBER.match(plain) else token


def describe(form: Form, code: str) -> str:
    cell = form.cells[code]
    return f"“{cell.row_label or cell.col_label}”的“{cell.col_label.split('·')[-1]}”（{code}）"


def place_table(form: Form, table: Table, tokens: list[str], result: Imported) -> None:
    """The table's figures from its tokens into ``result``; or, when it cannot be read, the reason, and none."""
    reader = _TableReader(form, table, tokens)
    error = reader.read()
    result.problems.extend(reader.notes)
    if error is not None:
        result.problems.append(error)
        return
    while reader.i < len(tokens) and tokens[reader.i] == BLANK:
        reader.i += 1
    if reader.i < len(tokens):
        found, count = tokens[reader.i], len(tokens) - reader.i
        result.problems.append(Problem.of(ERROR, "IMPORT_TRAILING", table=table.title, found=found, count=count))
    result.published.update(reader.published)
    result.sums.extend(reader.sums)
    for code, value in reader.published.items():
        if code not in form.totals:
            result.figures[code] = value


class _TableReader:
    def __init__(self, form: Form, table: Table, tokens: list[str]) -> None:
        self.form, self.table, self.tokens = form, table, tokens
        self.rows = form.document_rows(table)
        self.i = 0
        self.published: dict[str, float | str | None] = {}
        self.sums: list[PrintedSum] = []
        self.notes: list[Problem] = []
        aliases = form.import_hints.aliases
        self.spellings: dict[str, str] = {}  # every accepted spelling, normalized -> the official label
        for lab in form.labels:
            if lab.sheet == table.sheet:
                for spelling in (lab.text, *aliases.get(lab.text, ())):
                    self.spellings.setdefault(normalize(spelling), lab.text)

    def read(self) -> Problem | None:
        """The error that stopped the reading, or None."""
        r = 0
        while r < len(self.rows):
            r, error = self._row(r)
            if error is not None:
                return error
        return None

    def _row(self, r: int) -> tuple[int, Problem | None]:
        row = self.rows[r]
        for n, cell in enumerate(row):
            if cell.code:
                error = self._figure(cell.code)
            else:
                error = self._label(cell.text)
                if error is None and self._printed_as_one_row(row, n):
                    return r + cell.rowspan, self._group(cell, self.rows[r : r + cell.rowspan])
            if error is not None:
                return r, error
        return r + 1, None

    def _figure(self, code: str) -> Problem | None:
        if self.i >= len(self.tokens):
            return Problem.of(ERROR, "IMPORT_SHORT", table=self.table.title, first=code)
        token = self.tokens[self.i]
        if token != BLANK and normalize(token) in self.spellings:
            place = describe(self.form, code)
            return Problem.of(ERROR, "IMPORT_LABEL", table=self.table.title, place=place, label=token)
        self.published[code] = value_of(token)
        self.i += 1
        return None

    def _label(self, text: str) -> Problem | None:
        while self.i < len(self.tokens) and self.tokens[self.i] == BLANK:
            self.i += 1  # an empty cell where a label belongs (a page break's leftover) holds nothing
        forms = [k for k, official in self.spellings.items() if official == text]
        matched, j = _match(forms, self.tokens, self.i)
        if matched:
            self.i = j
            return None
        return self._near(text)

    def _near(self, text: str) -> Problem | None:
        """The label printed a little differently: taken when near ``text`` and no other label."""
        expected = normalize(text)
        candidates: list[tuple[int, int, str]] = []  # (distance, end, as printed)
        joined = ""
        for j in range(self.i, min(len(self.tokens), self.i + _LONGEST)):
            token = self.tokens[j]
            if token == BLANK or looks_like_value(token):
                break
            joined += normalize(token)
            candidates.append(
                (distance(joined, expected), j + 1, "".join(t.strip() for t in self.tokens[self.i : j + 1]))
            )
        found = self.tokens[self.i] if self.i < len(self.tokens) else "（没有了）"
        unexpected = Problem.of(ERROR, "IMPORT_UNEXPECTED", table=self.table.title, expected=text, found=found)
        if not candidates:
            return unexpected
        far, end, printed = min(candidates)
        if far > tolerance(expected):
            return unexpected
        near = sorted({o for s, o in self.spellings.items() if distance(normalize(printed), s) <= tolerance(s)})
        if near != [text]:
            others = "”“".join(o for o in near if o != text)
            return Problem.of(
                ERROR, "IMPORT_AMBIGUOUS", table=self.table.title, found=printed, expected=text, others=others
            )
        self.notes.append(Problem.of(WARNING, "IMPORT_NEAR", table=self.table.title, found=printed, expected=text))
        self.i = end
        return None

    def _printed_as_one_row(self, row: list[DocCell], n: int) -> bool:
        """A label over several rows, with figures where the label of its first row belongs."""
        cell = row[n]
        return (
            cell.rowspan > 1
            and n + 1 < len(row)
            and not row[n + 1].code
            and self.i < len(self.tokens)
            and looks_like_value(self.tokens[self.i])
        )

    def _group(self, group: DocCell, rows: list[list[DocCell]]) -> Problem | None:
        """The figures of a group of rows printed as one row: printed sums of the group's cells by column."""
        columns: dict[int, list[str]] = {}
        for row in rows:
            for cell in row:
                if cell.code:
                    columns.setdefault(self.form.cells[cell.code].col, []).append(cell.code)
        values = []
        for cell in rows[0]:
            if not cell.code:
                continue
            error = self._figure(cell.code)
            if error is not None:
                return error
            value = self.published.pop(cell.code)
            self.sums.append(PrintedSum(group.text, tuple(columns[self.form.cells[cell.code].col]), value))
            values.append(figure_text(value) if isinstance(value, float) else str(value or "空白"))
        blank = [c.code for row in rows for c in row if c.code and c.code not in self.form.totals]
        self.notes.append(
            Problem.of(
                WARNING,
                "IMPORT_MERGED",
                table=self.table.title,
                label=group.text,
                values="、".join(values),
                rows=len(rows),
                count=len(blank),
                first=blank[0] if blank else "",
                last=blank[-1] if blank else "",
            )
        )
        return None


def _match(forms: list[str], tokens: list[str], i: int) -> tuple[bool, int]:
    """Whether tokens from i on spell one of ``forms`` (labels are often broken over several lines)."""
    text, j = "", i
    while j < len(tokens) and tokens[j] != BLANK:
        text += normalize(tokens[j])
        j += 1
        if text in forms:
            return True, j
        if not any(f.startswith(text) for f in forms):
            return False, i
    return False, i


def looks_like_value(token: str) -> bool:
    """A figure cell as printed: a number, a number with its unit, or a mark for nothing."""
    if token == BLANK:
        return False
    plain = unicodedata.normalize("NFKC", token).strip().replace(",", "")
    return bool(_NUMBER.match(plain) or _COUNTED.match(plain)) or plain in _NOTHING


def tolerance(label: str) -> int:
    """Edits a label may differ by and still be taken (none for a label of fewer than four characters)."""
    return len(label) // 4


def distance(a: str, b: str) -> int:
    """Levenshtein's edit distance."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


# -- printed totals -------------------------------------------------------------------------------------------


def compare_totals(form: Form, result: Imported) -> None:
    """Totals printed in the report against the sums of their items (the workbook recomputes them): each that
    differs is a problem, and is kept in ``result.printed``. A printed sum of a group stands for its cells."""
    numbers: dict[str, float | None] = {c: v if isinstance(v, float) else None for c, v in result.figures.items()}
    for printed in result.sums:
        first, *rest = printed.codes
        unread = all(numbers.get(c) is None for c in printed.codes)
        if first not in form.totals and isinstance(printed.value, float) and unread:
            numbers[first] = printed.value
            numbers.update(dict.fromkeys(rest, 0.0))
    computed = with_totals(form.totals, numbers)
    for code in form.totals:
        shown, value = result.published.get(code), computed.get(code)
        if isinstance(shown, float) and value is not None and abs(shown - value) > 1e-9:
            result.printed[code] = shown
            place = describe(form, code)
            result.problems.append(
                Problem.of(ERROR, "IMPORT_TOTAL", place=place, printed=figure_text(shown), sum=figure_text(value))
            )
    for printed in result.sums:
        parts = [computed.get(c) for c in printed.codes]
        if printed.codes[0] in form.totals and isinstance(printed.value, float) and None not in parts:
            value = sum(p for p in parts if p is not None)
            if abs(printed.value - value) > 1e-9:
                place = f"“{printed.label}”的“{form.cells[printed.codes[0]].col_label.split('·')[-1]}”"
                result.problems.append(
                    Problem.of(
                        ERROR, "IMPORT_TOTAL", place=place, printed=figure_text(printed.value), sum=figure_text(value)
                    )
                )


def printed_problems(form: Form, printed: str, figures: Mapping[str, float | None]) -> list[Problem]:
    """The printed totals a workbook imported from a report keeps (``printed_text``) that still differ from
    the sums of their items: errors at their cells (they go once the items add up to what was printed)."""
    problems = []
    for code, shown in read_printed(printed).items():
        cell, value = form.cells.get(code), figures.get(code)
        if cell is None or value is None or abs(value - shown) <= 1e-9:
            continue
        params = {"printed": figure_text(shown), "sum": figure_text(value)}
        location = Location(cell.sheet, cell.a1, cell.row_label, cell.col_label)
        problems.append(Problem.of(ERROR, "PRINTED_TOTAL", where=location, **params))
    return problems


def printed_text(printed: dict[str, float]) -> str:
    return ";".join(f"{code}={figure_text(value)}" for code, value in printed.items())


def read_printed(text: str) -> dict[str, float]:
    found = {}
    for item in text.split(";"):
        code, _, value = item.partition("=")
        try:
            found[code.strip()] = float(value)
        except ValueError:
            continue
    return found
