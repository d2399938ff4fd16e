"""The form spec: load a template from templates/, validate it, and lay it out on sheets.

Everything about where a label or a figure sits is computed here, once, from the spec; the writer, the
reader and the rules only ask this module.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from nianbao.form.rules import Relation, Rule, TableOrder, compile_rule
from nianbao.problems import NianbaoError, SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_FORM = "gov-info-disclosure-2021"
TITLE_ROW = 0  # sheet title
UNIT_ROW = 1  # "填报单位：…  报告年度：…", written per unit
TABLE_TOP = 2  # first row of a table's header
IDENTITY_SHEET = "_nianbao"
LAST_YEAR = 2100
# The cover sheet: unit facts from COVER_INFO_ROW, instructions from COVER_INSTRUCTIONS_ROW (heading just
# above), then the 填报人 fields. A narrative section i has its title at TABLE_TOP + 3i, hint, input below.
COVER_INFO_ROW = 2
COVER_INSTRUCTIONS_ROW = 10


@dataclass(frozen=True)
class Label:
    sheet: str
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str


@dataclass(frozen=True)
class Cell:
    """A figure cell of Tables 2–4."""

    code: str
    table: str
    row_code: str
    col_code: str
    sheet: str
    row: int
    col: int
    colspan: int
    type: str  # "count" or "amount"
    row_label: str
    col_label: str

    @property
    def a1(self) -> str:
        return a1(self.row, self.col)


@dataclass(frozen=True)
class TextCell:
    """A text input: a narrative section or a cover field."""

    code: str
    sheet: str
    row: int
    col: int
    title: str
    hint: str = ""
    lines: int = 1


@dataclass
class Table:
    id: str
    sheet: str
    title: str
    label_width: int
    data_width: int
    column_widths: list[float]
    landscape: bool
    header_rows: list[tuple[int, int]] = field(default_factory=list)  # (first, last) of each block header
    last_row: int = 0
    row_codes: list[str] = field(default_factory=list)
    col_codes: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return self.label_width + self.data_width


@dataclass(frozen=True)
class DocCell:
    """One cell of a table as a document shows it: a label (header or row label) or a figure's code."""

    rowspan: int
    colspan: int
    text: str = ""
    code: str = ""
    header: bool = False


@dataclass
class Form:
    id: str
    version: str
    title: str
    basis: str
    first_year: int
    source: str
    types: dict[str, dict]
    tables: list[Table]
    cells: dict[str, Cell]
    labels: list[Label]
    narrative_sheet: str
    narrative_title: str
    narrative: list[TextCell]
    cover_sheet: str
    cover_fields: list[TextCell]
    instructions: list[str]
    rules: list[Rule]
    totals: dict[str, Relation]  # total cell code -> the check that defines it
    report: dict = field(default_factory=dict)  # title, opening and section order of the published report
    import_hints: dict = field(default_factory=dict)  # label aliases and superseded-format markers
    summary: dict = field(default_factory=dict)  # the summary's chart
    fingerprint: str = ""

    @property
    def key(self) -> str:
        return f"{self.id}-{self.version}"

    @property
    def inputs(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.code not in self.totals]

    @property
    def sheets(self) -> list[str]:
        return [self.cover_sheet, *(t.sheet for t in self.tables), self.narrative_sheet, IDENTITY_SHEET]

    def check_year(self, year: int) -> None:
        if not self.first_year <= year <= LAST_YEAR:
            raise NianbaoError(f"年度 {year} 不适用 {self.basis} 格式（适用于 {self.first_year} 年及以后的年度报告）")

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)

    def text_cell(self, code: str) -> TextCell:
        return next(t for t in self.narrative + self.cover_fields if t.code == code)

    def document_rows(self, table: Table) -> list[list[DocCell]]:
        """The table row by row as a document (HTML, Word, a published page) lays it out: each row's
        cells left to right, a cell spanning rows only in its first row."""
        header_rows = {r for first, last in table.header_rows for r in range(first, last + 1)}
        items: dict[int, list[tuple[int, DocCell]]] = {}
        for lab in self.labels:
            if lab.sheet == table.sheet:
                cell = DocCell(lab.rowspan, lab.colspan, text=lab.text, header=lab.row in header_rows)
                items.setdefault(lab.row, []).append((lab.col, cell))
        for c in self.cells.values():
            if c.table == table.id:
                items.setdefault(c.row, []).append((c.col, DocCell(1, c.colspan, code=c.code)))
        return [[cell for _, cell in sorted(items[row], key=lambda x: x[0])] for row in sorted(items)]


def a1(row: int, col: int) -> str:
    """Zero-based (row, col) to an A1 reference."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def data_dir(name: str) -> Path:
    """A top-level folder of the project (templates, samples): inside the installed package, or in the
    source checkout when running from one."""
    packaged = resources.files("nianbao") / name
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / name


def templates_dir() -> Path:
    return data_dir("templates")


def available_forms() -> list[str]:
    return sorted(p.stem for p in templates_dir().glob("*.toml"))


@cache
def load_form(name: str = DEFAULT_FORM) -> Form:
    """Load a form by name (a file in templates/) or by path to a .toml file."""
    path = Path(name)
    if path.suffix != ".toml":
        path = templates_dir() / f"{name}.toml"
    if not path.is_file():
        raise NianbaoError(f"找不到表格规格 {name}；可用的有：{'、'.join(available_forms())}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(path.name, str(exc)) from None
    try:
        return _build(raw, path.name)
    except (KeyError, TypeError) as exc:
        raise SpecError(path.name, f"缺少或错误的字段 {exc}") from None


def _build(raw: dict, source: str) -> Form:
    meta = raw["form"]
    cells: dict[str, Cell] = {}
    labels: list[Label] = []
    tables = [_lay_out_table(t, cells, labels, source) for t in raw["tables"]]

    narrative = raw["narrative"]
    sections = [
        TextCell(
            s["code"],
            narrative["sheet"],
            TABLE_TOP + 3 * i + 2,
            0,
            s["title"],
            s.get("hint", ""),
            int(s.get("lines", 8)),
        )
        for i, s in enumerate(narrative["sections"])
    ]
    cover = raw["cover"]
    first_field = COVER_INSTRUCTIONS_ROW + len(cover["instructions"]) + 1
    fields = [
        TextCell(f["code"], cover["sheet"], first_field + i, 1, f["label"]) for i, f in enumerate(cover["fields"])
    ]

    order = TableOrder({t.id: t.row_codes for t in tables}, {t.id: t.col_codes for t in tables}, set(cells))
    rules = [compile_rule(r, order, source) for r in raw.get("rules", [])]
    _check_unique(source, "规则编号", [r.id for r in rules])
    totals: dict[str, Relation] = {}
    for rule in rules:
        for check in rule.checks if rule.total else ():
            totals.setdefault(check.left[0].code or "", check)
    _check_acyclic(totals, source)

    sheet_names = [cover["sheet"], *(t.sheet for t in tables), narrative["sheet"]]
    _check_unique(source, "工作表名", sheet_names)
    for name in sheet_names:
        if len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
            raise SpecError(source, f"工作表名 {name!r} 不能超过 31 个字符或含 []:*?/\\")
    _check_unique(source, "文字格编号", [c.code for c in sections + fields])
    for type_name in {c.type for c in cells.values()} | {"text"}:
        if type_name not in raw.get("types", {}):
            raise SpecError(source, f"没有定义数据类型 {type_name}")

    form = Form(
        id=meta["id"],
        version=str(meta["version"]),
        title=meta["title"],
        basis=meta.get("basis", ""),
        first_year=int(meta.get("first_year", 1900)),
        source=source,
        types=raw["types"],
        tables=tables,
        cells=cells,
        labels=labels,
        narrative_sheet=narrative["sheet"],
        narrative_title=narrative["title"],
        narrative=sections,
        cover_sheet=cover["sheet"],
        cover_fields=fields,
        instructions=list(cover["instructions"]),
        rules=rules,
        totals=totals,
        report=raw.get("report", {}),
        import_hints=raw.get("import", {}),
        summary=raw.get("summary", {}),
    )
    known = {t.id for t in tables} | {s.code for s in sections}
    unknown = [code for code in form.report.get("order", []) if code not in known]
    if unknown:
        raise SpecError(source, f"[report] order 中的 {'、'.join(unknown)} 不是表格或文字部分")
    cited = [form.report.get("received"), *(bar["code"] for bar in form.summary.get("chart", []))]
    if any(code and code not in cells for code in cited):
        raise SpecError(
            source, f"[report]/[summary] 中的单元格 {'、'.join(c for c in cited if c and c not in cells)} 不存在"
        )
    if form.report.get("fee_section", sections[0].code) not in {s.code for s in sections}:
        raise SpecError(source, "[report] fee_section 不是文字部分")
    form.fingerprint = _fingerprint(form)
    return form


def _lay_out_table(raw: dict, cells: dict[str, Cell], labels: list[Label], source: str) -> Table:
    table = Table(
        id=raw["id"],
        sheet=raw["sheet"],
        title=raw["title"],
        label_width=int(raw["label_width"]),
        data_width=int(raw["data_width"]),
        column_widths=[float(w) for w in raw.get("column_widths", [])],
        landscape=bool(raw.get("landscape", False)),
    )
    grid = _Placer(table.width, f"{table.id}")
    row = TABLE_TOP
    for block in raw["blocks"]:
        first_header = row
        header_cells: list[Label] = []
        for header_row in block["header"]:
            for col, spec in grid.place(row, header_row, source):
                header_cells.append(_label(table.sheet, row, col, spec))
            row += 1
        table.header_rows.append((first_header, row - 1))
        labels.extend(header_cells)

        columns = [c if isinstance(c, dict) else {"code": c} for c in block["columns"]]
        if sum(int(c.get("span", 1)) for c in columns) != table.data_width:
            raise SpecError(source, f"{table.id} 的列宽之和不等于 data_width")
        row_labels: dict[int, Label] = {}  # label cells still spanning down, by column
        for data_row in block["rows"]:
            code = data_row["code"]
            if code in table.row_codes:
                raise SpecError(source, f"{table.id} 的行编号 {code} 重复")
            table.row_codes.append(code)
            for col, spec in grid.place(row, data_row["labels"], source, limit=table.label_width):
                label = _label(table.sheet, row, col, spec)
                labels.append(label)
                row_labels[col] = label
            row_text = "·".join(
                lab.text for col, lab in sorted(row_labels.items()) if lab.row <= row < lab.row + lab.rowspan
            )
            col = table.label_width
            grid.fill(row, col, table.width - col)
            for column in columns:
                span = int(column.get("span", 1))
                col_code = column["code"]
                if col_code not in table.col_codes:
                    table.col_codes.append(col_code)
                cell = Cell(
                    code=f"{table.id}.{code}.{col_code}",
                    table=table.id,
                    row_code=code,
                    col_code=col_code,
                    sheet=table.sheet,
                    row=row,
                    col=col,
                    colspan=span,
                    type=data_row.get("type", raw.get("type", "count")),
                    row_label=row_text,
                    col_label=_header_text(header_cells, col, span),
                )
                if cell.code in cells:
                    raise SpecError(source, f"单元格编号 {cell.code} 重复")
                cells[cell.code] = cell
                col += span
            row += 1
    table.last_row = row - 1
    return table


def _label(sheet: str, row: int, col: int, spec: dict) -> Label:
    return Label(sheet, row, col, int(spec.get("rowspan", 1)), int(spec.get("colspan", 1)), spec["text"])


def _header_text(header: list[Label], col: int, span: int) -> str:
    """The header labels above a value column, outermost first, e.g. 申请人情况·法人或其他组织·商业企业."""
    above = [h for h in header if h.col <= col and col + span <= h.col + h.colspan]
    return "·".join(h.text for h in sorted(above, key=lambda h: h.row))


class _Placer:
    """Places HTML-style cells (colspan/rowspan) on rows, skipping positions taken by rowspans above."""

    def __init__(self, width: int, name: str) -> None:
        self.width, self.name = width, name
        self.taken: set[tuple[int, int]] = set()

    def place(self, row: int, specs: list[dict], source: str, limit: int | None = None) -> list[tuple[int, dict]]:
        limit = self.width if limit is None else limit
        placed, col = [], 0
        for spec in specs:
            while (row, col) in self.taken:
                col += 1
            rowspan, colspan = int(spec.get("rowspan", 1)), int(spec.get("colspan", 1))
            if col + colspan > limit or any((row, c) in self.taken for c in range(col, col + colspan)):
                raise SpecError(source, f"{self.name} 第 {row + 1} 行的“{spec.get('text', '')}”超出表格范围")
            for r in range(row, row + rowspan):
                self.fill(r, col, colspan)
            placed.append((col, spec))
            col += colspan
        if any((row, c) not in self.taken for c in range(limit)):
            raise SpecError(source, f"{self.name} 第 {row + 1} 行的标签没有填满表头区")
        return placed

    def fill(self, row: int, col: int, count: int) -> None:
        self.taken.update((row, c) for c in range(col, col + count))


def _check_unique(source: str, what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise SpecError(source, f"{what} {v} 重复")
        seen.add(v)


def _check_acyclic(totals: dict[str, Relation], source: str) -> None:
    state: dict[str, int] = {}

    def visit(code: str) -> None:
        if state.get(code) == 1:
            raise SpecError(source, f"合计 {code} 循环引用自身")
        if code not in totals or state.get(code) == 2:
            return
        state[code] = 1
        for term in totals[code].right:
            if term.code:
                visit(term.code)
        state[code] = 2

    for code in totals:
        visit(code)


def _fingerprint(form: Form) -> str:
    """A short hash of everything a reader relies on: sheet names, labels, cell positions and types."""
    layout = {
        "form": form.key,
        "sheets": form.sheets,
        "labels": sorted((lab.sheet, lab.row, lab.col, lab.rowspan, lab.colspan, lab.text) for lab in form.labels),
        "cells": sorted((c.code, c.sheet, c.row, c.col, c.type) for c in form.cells.values()),
        "text": sorted((t.code, t.sheet, t.row, t.col) for t in form.narrative + form.cover_fields),
        "totals": sorted(form.totals),
    }
    return hashlib.sha256(json.dumps(layout, ensure_ascii=False).encode()).hexdigest()[:16]
