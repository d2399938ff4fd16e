"""The form spec: load a template from templates/, validate it, and lay it out on sheets.

Everything about where a label or a figure sits is computed here, once, from the spec; the writer, the
reader and the rules only ask this module.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache

from nianbao.form import DEFAULT_FORM, form_file, templates_dir
from nianbao.form.drafts import Drafts, parse_drafts
from nianbao.form.levels import Levels, parse_levels
from nianbao.form.raw import Raw, shown, template
from nianbao.form.review import Review, parse_review
from nianbao.form.rules import Relation, Rule, TableOrder, compile_rule
from nianbao.problems import NianbaoError, SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TITLE_ROW = 0  # sheet title
UNIT_ROW = 1  # "填报单位：…  报告年度：…", written per unit
TABLE_TOP = 2  # first row of a table's header
IDENTITY_SHEET = "_nianbao"
LAST_YEAR = 2100
# The cover sheet: unit facts from COVER_INFO_ROW, instructions from COVER_INSTRUCTIONS_ROW (heading just
# above), then the 填报人 fields, then (if the spec has one) the explanation of warnings: its hint, and its
# input below. A narrative section i has its title at TABLE_TOP + 3i, hint, input below.
COVER_INFO_ROW = 2
COVER_INSTRUCTIONS_ROW = 10
DEFAULT_TYPE = "count"  # of a figure cell whose row and table name no type
TEXT_TYPE = "text"  # of narrative sections, cover fields and the explanation
CODE = re.compile(r"^\w+$")  # a table id, row or column code, text cell code
EXCEL_COLUMNS = 16384


@dataclass(frozen=True)
class FieldType:
    """A kind of input cell (``[types.*]``): its data validation in the workbook and how it is read back."""

    name: str
    validate: str  # Excel's validation: "integer" or "decimal" for figures, "length" for text
    decimals: int  # places after the point a figure may have (0 unless "decimal")
    unit: str
    input_title: str
    input_message: str
    error_title: str
    error_message: str


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
    type: FieldType
    row_label: str
    col_label: str

    @property
    def a1(self) -> str:
        return a1(self.row, self.col)


@dataclass(frozen=True)
class TextCell:
    """A text input: a narrative section, a cover field or the explanation of warnings."""

    code: str
    sheet: str
    row: int
    col: int
    title: str
    hint: str = ""
    lines: int = 1


@dataclass(frozen=True)
class Table:
    id: str
    sheet: str
    title: str
    label_width: int
    data_width: int
    column_widths: tuple[float, ...]
    landscape: bool
    header_rows: tuple[tuple[int, int], ...]  # (first, last) of each block header
    last_row: int
    row_codes: tuple[str, ...]
    col_codes: tuple[str, ...]

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


@dataclass(frozen=True)
class ReportSpec:
    """The published report (``[report]``)."""

    title: str  # with {unit} and {year}
    opening: str  # with {unit}, {year} and {basis}
    order: tuple[str, ...]  # table ids and narrative section codes, in the report's order
    received: str | None  # the cell that “收到申请 N 件” in the text is checked against
    fee_section: str  # the narrative section that must say whether 信息处理费 were charged
    draft: Drafts = field(default_factory=Drafts)  # the sections drafted from the figures where nobody wrote


@dataclass(frozen=True)
class ChartBar:
    code: str
    name: str


@dataclass(frozen=True)
class SummarySpec:
    """The summary's chart (``[summary]``): one bar per unit for each figure."""

    chart_title: str
    chart: tuple[ChartBar, ...]


@dataclass(frozen=True)
class ImportHints:
    """Reading published reports back (``[import]``)."""

    aliases: Mapping[str, tuple[str, ...]]  # an official label -> variants seen in real reports
    superseded_markers: tuple[str, ...]  # texts that only a report in a superseded format contains
    superseded_message: str


@dataclass(frozen=True)
class Form:
    """A form spec, whole: parsed, checked and laid out on sheets."""

    id: str
    version: str
    title: str
    basis: str
    first_year: int
    source: str
    types: Mapping[str, FieldType]
    text_type: FieldType  # of narrative sections and cover fields
    tables: tuple[Table, ...]
    cells: dict[str, Cell]
    labels: tuple[Label, ...]
    narrative_sheet: str
    narrative_title: str
    narrative: tuple[TextCell, ...]
    cover_sheet: str
    cover_fields: tuple[TextCell, ...]
    explanation: TextCell | None  # on the cover: where a unit explains figures that raise warnings
    instructions: tuple[str, ...]
    rules: tuple[Rule, ...]
    totals: dict[str, Relation]  # total cell code -> the check that defines it
    report: ReportSpec
    import_hints: ImportHints
    summary: SummarySpec
    review: Review = field(default_factory=Review)  # what to ask about (请核实): moves against last year, outliers
    levels: Levels = field(default_factory=Levels)  # levels of government, for the rules that hold at some only
    fingerprint: str = ""

    @property
    def key(self) -> str:
        return f"{self.id}-{self.version}"

    @property
    def inputs(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.code not in self.totals]

    @property
    def text_cells(self) -> tuple[TextCell, ...]:
        """Every text input: narrative sections, cover fields, the explanation."""
        return self.narrative + self.cover_fields + ((self.explanation,) if self.explanation else ())

    @property
    def sheets(self) -> list[str]:
        return [self.cover_sheet, *(t.sheet for t in self.tables), self.narrative_sheet, IDENTITY_SHEET]

    def check_year(self, year: int) -> None:
        if not self.first_year <= year <= LAST_YEAR:
            raise NianbaoError(f"年度 {year} 不适用 {self.basis} 格式（适用于 {self.first_year} 年及以后的年度报告）")

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)

    def text_cell(self, code: str) -> TextCell:
        return next(t for t in self.text_cells if t.code == code)

    def section(self, code: str) -> Table | TextCell:
        """A part of the published report: a table by its id or a narrative section by its code."""
        parts: dict[str, Table | TextCell] = {t.id: t for t in self.tables}
        parts.update((s.code, s) for s in self.narrative)
        return parts[code]

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


def available_forms() -> list[str]:
    return sorted(p.stem for p in templates_dir().glob("*.toml"))


@cache
def load_form(name: str = DEFAULT_FORM) -> Form:
    """Load a form by name (a file in templates/) or by path to a .toml file."""
    path = form_file(name)
    if not path.is_file():
        raise NianbaoError(f"找不到表格规格 {name}；可用的有：{'、'.join(available_forms())}")
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad saves UTF-8 with a BOM
    except UnicodeDecodeError:
        raise SpecError(path.name, "", "文件不是 UTF-8 编码") from None
    return _build(Raw(parse_toml(text, path.name), path.name))


def parse_toml(text: str, source: str, what: str = "表格规格文件") -> dict[str, object]:
    """A TOML data file of nianbao (a spec, the words of the replies); a SpecError names the place of a mistake."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise SpecError(source, "", "嵌套层次过深", what) from None
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+), column (\d+)", str(exc))
        where = f"第 {at[1]} 行第 {at[2]} 列" if at else ""
        detail = "不是有效的 TOML（请检查这里的引号、方括号和等号，文字要写在英文双引号中）"
        raise SpecError(source, where, detail, what) from None


def _build(raw: Raw) -> Form:
    top = raw.table(
        keys=(
            "form",
            "types",
            "tables",
            "narrative",
            "cover",
            "levels",
            "rules",
            "report",
            "summary",
            "import",
            "review",
        )
    )
    meta = top["form"].table(keys=("id", "version", "title", "basis", "first_year"))
    types = {name: _field_type(name, node) for name, node in top["types"].entries()}
    text_type = types.get(TEXT_TYPE)
    if text_type is None or text_type.validate != "length":
        raise top["types"].error(f'应定义文字格的数据类型 [types.{TEXT_TYPE}]（validate = "length"）')

    narrative = top["narrative"].table(keys=("sheet", "title", "sections"))
    section_nodes = [
        s.table(keys=("code", "title", "hint", "lines")) for s in narrative["sections"].items(non_empty=True)
    ]
    sections = [
        TextCell(
            _code(s["code"]),
            narrative["sheet"].text(),
            TABLE_TOP + 3 * i + 2,
            0,
            s["title"].text(),
            s["hint"].text(""),
            s["lines"].integer(8, minimum=1),
        )
        for i, s in enumerate(section_nodes)
    ]
    cover = top["cover"].table(keys=("sheet", "fields", "instructions", "explanation"))
    instructions = cover["instructions"].texts(optional=True)
    first_field = COVER_INSTRUCTIONS_ROW + len(instructions) + 1
    field_nodes = [f.table(keys=("code", "label")) for f in cover["fields"].items(optional=True)]
    cover_fields = [
        TextCell(_code(f["code"]), cover["sheet"].text(), first_field + i, 1, f["label"].text())
        for i, f in enumerate(field_nodes)
    ]
    explanation_node = cover["explanation"]
    explanation = None
    if explanation_node.present:  # its hint right under the fields, the input below the hint
        explanation_node = explanation_node.table(keys=("code", "label", "hint", "lines"))
        explanation = TextCell(
            _code(explanation_node["code"]),
            cover["sheet"].text(),
            first_field + len(cover_fields) + 1,
            1,
            explanation_node["label"].text(),
            explanation_node["hint"].text(""),
            explanation_node["lines"].integer(6, minimum=1),
        )
    table_nodes = [t.table() for t in top["tables"].items(non_empty=True)]
    codes = [(t["id"], _code(t["id"])) for t in table_nodes] + [(t["code"], t["code"].text()) for t in section_nodes]
    codes += [(f["code"], f["code"].text()) for f in field_nodes]
    if explanation:
        codes.append((explanation_node["code"], explanation.code))
    _check_unique(codes, "表格或文字格的编号")

    cells: dict[str, Cell] = {}
    labels: list[Label] = []
    tables = [_lay_out_table(node, types, cells, labels) for node in table_nodes]

    order = TableOrder({t.id: list(t.row_codes) for t in tables}, {t.id: list(t.col_codes) for t in tables}, set(cells))
    rule_nodes = top["rules"].items(optional=True)
    levels = parse_levels(top["levels"])
    rules = [compile_rule(node, order, levels.ids) for node in rule_nodes]
    _check_unique([(node["id"], r.id) for node, r in zip(rule_nodes, rules, strict=True)], "规则编号")
    totals: dict[str, Relation] = {}
    for rule in rules:
        for check in rule.checks if rule.total else ():
            totals.setdefault(check.left[0].code or "", check)
    cycle = _cycle(totals)
    if cycle:
        node = rule_nodes[[r.id for r in rules].index(totals[cycle].rule_id)]
        raise node["expr"].error(f"合计 {cycle} 循环引用自身")

    sheets = [(raw, IDENTITY_SHEET), (cover["sheet"], cover["sheet"].text())]
    sheets += [(node["sheet"], t.sheet) for node, t in zip(table_nodes, tables, strict=True)]
    sheets += [(narrative["sheet"], narrative["sheet"].text())]
    for node, name in sheets[1:]:
        if not name or len(name) > 31 or any(ch in name for ch in "[]:*?/\\") or name[0] == "'" or name[-1] == "'":
            raise node.error(f"工作表名 {shown(name)} 应为 1 到 31 个字符，不含 []:*?/\\，不以 ' 开头或结尾")
    _check_unique([(node, name.casefold()) for node, name in sheets], "工作表名")

    form = Form(
        id=meta["id"].text(),
        version=meta["version"].text(),
        title=meta["title"].text(),
        basis=meta["basis"].text(""),
        first_year=meta["first_year"].integer(1900, minimum=1900),
        source=raw.source,
        types=types,
        text_type=text_type,
        tables=tuple(tables),
        cells=cells,
        labels=tuple(labels),
        narrative_sheet=narrative["sheet"].text(),
        narrative_title=narrative["title"].text(),
        narrative=tuple(sections),
        cover_sheet=cover["sheet"].text(),
        cover_fields=tuple(cover_fields),
        explanation=explanation,
        instructions=tuple(instructions),
        rules=tuple(rules),
        totals=totals,
        report=_report(top["report"], tables, sections, cells),
        import_hints=_import_hints(top["import"], labels),
        summary=_summary(top["summary"], cells),
        review=parse_review(top["review"], cells, {r.id for r in rules}),
        levels=levels,
    )
    return replace(form, fingerprint=_fingerprint(form))


def _field_type(name: str, raw: Raw) -> FieldType:
    raw = raw.table(keys=tuple(f.name for f in fields(FieldType) if f.name != "name"))
    validate = raw["validate"].choice(("integer", "decimal", "length"))
    if validate != "decimal" and raw["decimals"].present:
        raise raw["decimals"].error('只有 validate = "decimal" 的类型才写小数位数')
    error_message = raw["error_message"].text("")
    return FieldType(
        name=name,
        validate=validate,
        decimals=raw["decimals"].integer(minimum=1) if validate == "decimal" else 0,
        unit=raw["unit"].text(""),
        input_title=raw["input_title"].text(),
        input_message=raw["input_message"].text(),
        error_title=raw["error_title"].text(None if error_message else ""),
        error_message=error_message,
    )


def _lay_out_table(raw: Raw, types: Mapping[str, FieldType], cells: dict[str, Cell], labels: list[Label]) -> Table:
    raw = raw.table(
        keys=("id", "sheet", "title", "label_width", "data_width", "column_widths", "landscape", "type", "blocks")
    )
    table_id, sheet = _code(raw["id"]), raw["sheet"].text()
    label_width, data_width = raw["label_width"].integer(minimum=0), raw["data_width"].integer(minimum=1)
    width = label_width + data_width
    if width > EXCEL_COLUMNS:
        raise raw["data_width"].error(f"表格共 {width} 列，超过了表格软件的 {EXCEL_COLUMNS} 列")
    column_widths = tuple(w.number() for w in raw["column_widths"].items(optional=True))
    if column_widths and (len(column_widths) != width or min(column_widths) <= 0):
        raise raw["column_widths"].error(
            f"应为 {width} 个正数（label_width + data_width 列），实有 {len(column_widths)} 个"
        )
    table_type = _field_type_of(raw["type"], types, DEFAULT_TYPE)
    grid = _Placer()
    row = TABLE_TOP
    header_rows: list[tuple[int, int]] = []
    row_codes: list[str] = []
    col_codes: list[str] = []
    for block in raw["blocks"].items(non_empty=True):
        block = block.table(keys=("header", "columns", "rows"))
        first_header = row
        header_cells: list[Label] = []
        header = block["header"].items(non_empty=True)
        for header_row in header:
            for col, spec in grid.place(row, header_row, width, first_header + len(header)):
                header_cells.append(_label(sheet, row, col, spec))
            row += 1
        header_rows.append((first_header, row - 1))
        labels.extend(header_cells)

        columns = [_column(c) for c in block["columns"].items(non_empty=True)]
        if sum(span for _, _, span in columns) != data_width:
            raise block["columns"].error(f"各列所占列数（span）之和应等于 data_width {data_width}")
        row_labels: dict[int, Label] = {}  # label cells still spanning down, by column
        data_rows = block["rows"].items(non_empty=True)
        end = row + len(data_rows)
        for data_row in data_rows:
            data_row = data_row.table(keys=("code", "labels", "type"))
            code = _code(data_row["code"])
            if code in row_codes:
                raise data_row["code"].error(f"{table_id} 的行编号 {code} 重复")
            row_codes.append(code)
            for col, spec in grid.place(row, data_row["labels"], label_width, end):
                label = _label(sheet, row, col, spec)
                labels.append(label)
                row_labels[col] = label
            row_text = "·".join(
                lab.text for col, lab in sorted(row_labels.items()) if lab.row <= row < lab.row + lab.rowspan
            )
            field_type = _field_type_of(data_row["type"], types, table_type.name)
            col = label_width
            grid.fill(row, col, width - col, data_row["labels"])
            for node, col_code, span in columns:
                if col_code not in col_codes:
                    col_codes.append(col_code)
                cell = Cell(
                    code=f"{table_id}.{code}.{col_code}",
                    table=table_id,
                    row_code=code,
                    col_code=col_code,
                    sheet=sheet,
                    row=row,
                    col=col,
                    colspan=span,
                    type=field_type,
                    row_label=row_text,
                    col_label=_header_text(header_cells, col, span),
                )
                if cell.code in cells:
                    raise node.error(f"单元格编号 {cell.code} 重复")
                cells[cell.code] = cell
                col += span
            row += 1
    return Table(
        id=table_id,
        sheet=sheet,
        title=raw["title"].text(),
        label_width=label_width,
        data_width=data_width,
        column_widths=column_widths,
        landscape=raw["landscape"].flag(False),
        header_rows=tuple(header_rows),
        last_row=row - 1,
        row_codes=tuple(row_codes),
        col_codes=tuple(col_codes),
    )


def _field_type_of(raw: Raw, types: Mapping[str, FieldType], default: str) -> FieldType:
    """The figure type a table or row names (``type``), or the one it inherits."""
    name = raw.text(default)
    if name not in types:
        raise raw.error(f"没有定义数据类型 {name}（应有 [types.{name}]；不写 type 时为 {default}）")
    if types[name].validate not in ("integer", "decimal"):
        raise raw.error(f'数据类型 {name} 不是数字类型（validate 应为 "integer" 或 "decimal"）')
    return types[name]


def _column(raw: Raw) -> tuple[Raw, str, int]:
    """A value column of a block: "C1", or { code = "C1", span = 3 } for a cell over several columns."""
    if isinstance(raw.value, str):
        return raw, _code(raw), 1
    raw = raw.table(keys=("code", "span"))
    return raw, _code(raw["code"]), raw["span"].integer(1, minimum=1)


def _code(raw: Raw) -> str:
    code = raw.text()
    if not CODE.match(code):
        raise raw.error(f"编号 {shown(code)} 只能由字母、数字和下划线组成")
    return code


def _label(sheet: str, row: int, col: int, spec: Raw) -> Label:
    return Label(sheet, row, col, spec["rowspan"].integer(1), spec["colspan"].integer(1), spec["text"].text())


def _header_text(header: list[Label], col: int, span: int) -> str:
    """The header labels above a value column, outermost first, e.g. 申请人情况·法人或其他组织·商业企业."""
    above = [h for h in header if h.col <= col and col + span <= h.col + h.colspan]
    return "·".join(h.text for h in sorted(above, key=lambda h: h.row))


class _Placer:
    """Places HTML-style cells (colspan/rowspan) on rows, skipping positions taken by rowspans above."""

    def __init__(self) -> None:
        self.taken: set[tuple[int, int]] = set()

    def place(self, row: int, specs: Raw, limit: int, end: int) -> list[tuple[int, Raw]]:
        """Cells of one row left to right in the first ``limit`` columns, which they must fill; a cell may
        span down to the row before ``end`` (the end of its header or block)."""
        placed, col = [], 0
        for spec in specs.items(optional=True):
            spec = spec.table(keys=("text", "rowspan", "colspan"))
            rowspan, colspan = spec["rowspan"].integer(1, minimum=1), spec["colspan"].integer(1, minimum=1)
            if row + rowspan > end:
                raise spec["rowspan"].error(f"跨行超出了所在的表头或块（只剩 {end - row} 行）")
            while (row, col) in self.taken:
                col += 1
            if col + colspan > limit or any((row, c) in self.taken for c in range(col, col + colspan)):
                raise spec.error(f"超出表格范围：工作表第 {row + 1} 行放不下（这一区域共 {limit} 列）")
            for r in range(row, row + rowspan):
                self.fill(r, col, colspan, spec)
            placed.append((col, spec))
            col += colspan
        if any((row, c) not in self.taken for c in range(limit)):
            raise specs.error(f"没有填满工作表第 {row + 1} 行的前 {limit} 列（表头或行标签区）")
        return placed

    def fill(self, row: int, col: int, count: int, spec: Raw) -> None:
        if any((row, c) in self.taken for c in range(col, col + count)):
            raise spec.error(f"与上面跨行（rowspan）的格子重叠：工作表第 {row + 1} 行")
        self.taken.update((row, c) for c in range(col, col + count))


def _report(raw: Raw, tables: list[Table], sections: list[TextCell], cells: Mapping[str, Cell]) -> ReportSpec:
    raw = raw.table(keys=("title", "opening", "order", "received", "fee_section", "draft"))
    known = {t.id for t in tables} | {s.code for s in sections}
    order = []
    for item in raw["order"].items(non_empty=True):
        code = item.text()
        if code not in known:
            raise item.error(f"{shown(code)} 不是表格编号或文字部分的编号（可用：{'、'.join(sorted(known))}）")
        if code in order:
            raise item.error(f"{code} 重复")
        order.append(code)
    received = raw["received"].text("") or None
    if received is not None and received not in cells:
        raise raw["received"].error(f"单元格 {received} 不存在")
    fee_section = raw["fee_section"].text(sections[-1].code)
    if fee_section not in {s.code for s in sections}:
        raise raw["fee_section"].error(f"{shown(fee_section)} 不是文字部分的编号")
    return ReportSpec(
        title=template(raw["title"], ("unit", "year")),
        opening=template(raw["opening"], ("unit", "year", "basis")),
        order=tuple(order),
        received=received,
        fee_section=fee_section,
        draft=parse_drafts(raw["draft"], {c.code: c.type.unit for c in cells.values()}, [s.code for s in sections]),
    )


def _summary(raw: Raw, cells: Mapping[str, Cell]) -> SummarySpec:
    raw = raw.table(optional=True, keys=("chart_title", "chart"))
    bars = []
    for bar in raw["chart"].items(optional=True):
        bar = bar.table(keys=("code", "name"))
        code = bar["code"].text()
        if code not in cells:
            raise bar["code"].error(f"单元格 {code} 不存在")
        bars.append(ChartBar(code, bar["name"].text()))
    return SummarySpec(raw["chart_title"].text(""), tuple(bars))


def _import_hints(raw: Raw, labels: list[Label]) -> ImportHints:
    raw = raw.table(optional=True, keys=("aliases", "superseded_markers", "superseded_message"))
    known = {lab.text for lab in labels}
    aliases = {}
    for label, variants in raw["aliases"].entries() if raw["aliases"].present else ():
        if label not in known:
            raise variants.error("不是任何表格中的表头或标签")
        aliases[label] = tuple(variants.texts())
    markers = tuple(raw["superseded_markers"].texts(optional=True))
    return ImportHints(aliases, markers, raw["superseded_message"].text(None if markers else ""))


def _check_unique(items: list[tuple[Raw, str]], what: str) -> None:
    seen: set[str] = set()
    for node, value in items:
        if value in seen:
            raise node.error(f"{what} {value} 重复")
        seen.add(value)


def _cycle(totals: dict[str, Relation]) -> str | None:
    """A total that depends on itself, if any."""
    state: dict[str, int] = {}

    def visit(code: str) -> str | None:
        if state.get(code) == 1:
            return code
        if code not in totals or state.get(code) == 2:
            return None
        state[code] = 1
        for term in totals[code].right:
            found = visit(term.code) if term.code else None
            if found:
                return found
        state[code] = 2
        return None

    return next((found for code in totals if (found := visit(code))), None)


def _fingerprint(form: Form) -> str:
    """A short hash of everything a reader relies on: sheet names, labels, cell positions and types."""
    layout = {
        "form": form.key,
        "sheets": form.sheets,
        "labels": sorted((lab.sheet, lab.row, lab.col, lab.rowspan, lab.colspan, lab.text) for lab in form.labels),
        "cells": sorted((c.code, c.sheet, c.row, c.col, c.type.name) for c in form.cells.values()),
        "text": sorted((t.code, t.sheet, t.row, t.col) for t in form.text_cells),
        "totals": sorted(form.totals),
    }
    return hashlib.sha256(json.dumps(layout, ensure_ascii=False).encode()).hexdigest()[:16]
