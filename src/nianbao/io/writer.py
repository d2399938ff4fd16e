"""Write one unit's workbook from a form spec (XlsxWriter): the official tables, locked except the inputs,
with totals as formulas, live rule checks, data validation and the unit's identity embedded."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from nianbao.form.rules import Relation, Rule, evaluate, excel_condition, with_totals
from nianbao.form.spec import (
    COVER_INFO_ROW,
    COVER_INSTRUCTIONS_ROW,
    TITLE_ROW,
    UNIT_ROW,
    Cell,
    FieldType,
    Form,
    Table,
    a1,
    load_form,
)
from nianbao.io.identity import SUMMARY, Identity
from nianbao.io.reading import read_sheets
from nianbao.version import __version__

INPUT_FILL = "#FFF2CC"
TOTAL_FILL = "#EDEDED"
HEADER_FILL = "#D9E1F2"
FONT = "宋体"
TITLE_FONT = "黑体"
OK_MARK = "✓"
MARKS = {"error": "✗", "warning": "⚠"}
STILL_TO_FILL = "还有"
TEXT_LIMIT = 32767  # characters in a cell: the length validation of narrative sections and the explanation
LINE = 15  # points: a line of text in a cell (11 pt type)
NARRATIVE_WIDTH = 72  # characters: the text sections' column, on an A4 portrait page at 100% (LibreOffice too)


@dataclass(frozen=True)
class Content:
    """What a workbook holds instead of empty inputs: a summary's sums, an imported report's figures."""

    figures: Mapping[str, float | str | None]  # input cells (text as typed, None blank); totals are computed
    texts: Mapping[str, str] = field(default_factory=dict)  # narrative sections and cover fields by code
    cover: Sequence[tuple[str, str]] = ()  # more lines for the cover sheet
    banner: str = ""  # a warning shown in red under the cover's title (e.g. a partial summary)
    locked: bool = True  # a summary is locked; an imported report stays open for corrections


ExtraSheets = Callable[[xlsxwriter.Workbook, dict[str, Format]], None]


def build_workbook(
    form: Form, identity: Identity, password: str, content: Content | None = None, extra: ExtraSheets | None = None
) -> bytes:
    """The workbook as bytes: a blank form to fill in, or with ``content`` a filled, locked one; ``extra``
    adds sheets after the form's. The same arguments always give the same bytes."""
    buffer = io.BytesIO()
    # Text is never turned into a formula or a link, even where a caller uses write(): a unit name such as
    # "=HYPERLINK(…)" must stay text (every text of ours also goes through write_string).
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    writer = _Writer(wb, form, identity, password, content)
    writer.write(extra)
    wb.close()
    return buffer.getvalue()


class _Writer:
    def __init__(
        self, wb: xlsxwriter.Workbook, form: Form, identity: Identity, password: str, content: Content | None
    ) -> None:
        self.wb, self.form, self.id, self.password, self.content = wb, form, identity, password, content
        # What every formula shows before a spreadsheet recalculates: the real sums, or zeros for a blank form.
        inputs: dict[str, float | None] = dict.fromkeys((c.code for c in form.inputs), 0.0)
        if content:
            inputs = {c: v if isinstance(v, (int, float)) else None for c, v in content.figures.items()}
        self.values = with_totals(form.totals, inputs)
        self.locked = bool(content and content.locked)
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True}
        boxed = {**base, "border": 1}
        self.fmt = {
            "title": wb.add_format({**base, "font_name": TITLE_FONT, "font_size": 16, "align": "center"}),
            "subtitle": wb.add_format({**base, "align": "left"}),
            "heading": wb.add_format({**base, "bold": True}),
            "hint": wb.add_format({**base, "italic": True, "font_color": "#595959"}),
            "text": wb.add_format(base),
            "header": wb.add_format({**boxed, "bold": True, "align": "center", "bg_color": HEADER_FILL}),
            "label": wb.add_format({**boxed, "align": "left"}),
            "input": wb.add_format({**boxed, "align": "center", "locked": False, "bg_color": INPUT_FILL}),
            "input_text": wb.add_format({**boxed, "valign": "top", "locked": False, "bg_color": INPUT_FILL}),
            "value": wb.add_format({**boxed, "align": "center"}),
            "value_text": wb.add_format({**boxed, "valign": "top"}),
            "banner": wb.add_format(
                {**base, "bold": True, "font_color": "#C00000", "font_size": 14, "align": "center"}
            ),
            "total": wb.add_format({**boxed, "align": "center", "bold": True, "bg_color": TOTAL_FILL}),
            "check": wb.add_format({**base, "align": "center", "font_size": 10}),
            "check_label": wb.add_format({**base, "font_size": 10, "font_color": "#404040"}),
        }
        self.marks = {
            OK_MARK: wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"}),
            MARKS["error"]: wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"}),
            MARKS["warning"]: wb.add_format({"font_color": "#7F6000", "bg_color": "#FFEB9C"}),
        }

    def write(self, extra: ExtraSheets | None) -> None:
        form, ident = self.form, self.id
        self.wb.set_properties(
            {
                "title": f"{ident.unit_name}{ident.year}年{form.title}统计表",
                "subject": f"{form.title}（{form.basis}）",
                "author": "nianbao",
                "company": ident.unit_name,
                "comments": "由 nianbao 生成，请只在浅黄色格子中填写。",
                # A fixed date keeps the file byte-identical from run to run.
                "created": datetime(ident.year, 12, 31),
            }
        )
        self._cover()
        for table in form.tables:
            self._table(table)
        self._narrative()
        if extra:
            extra(self.wb, self.fmt)
        ident.write(self.wb, self.password, f"nianbao {__version__}")

    # -- sheets ----------------------------------------------------------------------------------------

    def _sheet(self, name: str, widths: Sequence[float], landscape: bool = False) -> Worksheet:
        ws = self.wb.add_worksheet(name)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.set_paper(9)  # A4
        ws.set_landscape() if landscape else ws.set_portrait()
        ws.center_horizontally()
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.fit_to_pages(1, 0)
        ws.protect(self.password, {"select_locked_cells": True, "select_unlocked_cells": True})
        return ws

    def _unit_line(self, ws: Worksheet, width: int) -> None:
        text = f"填报单位：{self.id.unit_name}　　单位编码：{self.id.unit_id}　　报告年度：{self.id.year}年"
        self._merge(ws, UNIT_ROW, 0, 1, width, text, self.fmt["subtitle"])

    def _cover(self) -> None:
        """A unit's cover: who, which year, the deadline, the fill-in instructions, the 填报人 fields and the
        explanation of warnings. A summary's: what it sums and when, with nothing to fill in."""
        form, ident = self.form, self.id
        summary = ident.kind == SUMMARY
        ws = self._sheet(form.cover_sheet, [18, 80])
        ws.activate()
        title = f"{ident.unit_name}{ident.year}年{form.title}{'汇总表' if summary else '统计表'}"
        self._merge(ws, TITLE_ROW, 0, 1, 2, title, self.fmt["title"])
        ws.set_row(TITLE_ROW, 36)
        if self.content and self.content.banner:
            self._merge(ws, TITLE_ROW + 1, 0, 1, 2, self.content.banner, self.fmt["banner"])
            ws.set_row(TITLE_ROW + 1, 24)
        info = [
            ("汇总单位" if summary else "填报单位", ident.unit_name),
            ("单位编码", ident.unit_id),
            ("报告年度", f"{ident.year}年（统计期间 {ident.year}年1月1日至12月31日）"),
            *([] if summary else [("报送截止", ident.deadline or "按上级通知要求")]),
            ("表格格式", f"{form.basis}（{form.version}版）"),
            *(self.content.cover if self.content else ()),
        ]
        if COVER_INFO_ROW + len(info) >= COVER_INSTRUCTIONS_ROW:
            raise ValueError("封面信息行过多")  # a programming error: the cover layout has room for 7 lines
        for i, (label, value) in enumerate(info):
            ws.write_string(COVER_INFO_ROW + i, 0, label, self.fmt["label"])
            ws.write_string(COVER_INFO_ROW + i, 1, value, self.fmt["label"])
        more = self.content.cover if self.content else ()
        for i, (_, value) in enumerate(more, start=COVER_INFO_ROW + len(info) - len(more)):
            ws.set_row(i, text_height(value, 80))  # a summary's 说明: as tall as it needs
        if not summary:
            self._fill_in(ws)
        ws.repeat_rows(TITLE_ROW)

    def _fill_in(self, ws: Worksheet) -> None:
        """What a unit's cover asks: the instructions, who filled the form in, the explanation of warnings."""
        form = self.form
        ws.write_string(COVER_INSTRUCTIONS_ROW - 1, 0, "填表说明", self.fmt["heading"])
        for i, line in enumerate(form.instructions):
            row = COVER_INSTRUCTIONS_ROW + i
            self._merge(ws, row, 0, 1, 2, line, self.fmt["text"])
            ws.set_row(row, text_height(line, 98))
        for cover_field in form.cover_fields:
            ws.write_string(cover_field.row, 0, cover_field.title, self.fmt["label"])
            self._text_input(ws, cover_field.row, 1, cover_field.code, cover_field.title, 200)
        explanation = form.explanation
        if explanation:
            _put_text(ws, explanation.row - 1, 1, explanation.hint, self.fmt["hint"])
            ws.set_row(explanation.row - 1, text_height(explanation.hint, 80))
            ws.write_string(explanation.row, 0, explanation.title, self.fmt["label"])
            self._text_input(ws, explanation.row, 1, explanation.code, explanation.title, TEXT_LIMIT)
            ws.set_row(explanation.row, min(409, 18 * explanation.lines))

    def _table(self, table: Table) -> None:
        form = self.form
        ws = self._sheet(table.sheet, table.column_widths, table.landscape)
        self._merge(ws, TITLE_ROW, 0, 1, table.width, table.title, self.fmt["title"])
        ws.set_row(TITLE_ROW, 32)
        self._unit_line(ws, table.width)
        heights: dict[int, float] = {}
        header_rows = {r for first, last in table.header_rows for r in range(first, last + 1)}
        for label in (lab for lab in form.labels if lab.sheet == table.sheet):
            fmt = self.fmt["header" if label.row in header_rows else "label"]
            self._merge(ws, label.row, label.col, label.rowspan, label.colspan, label.text, fmt)
            if label.rowspan == 1:
                width = sum(table.column_widths[label.col : label.col + label.colspan])
                heights[label.row] = max(heights.get(label.row, 0), text_height(label.text, width))
        for cell in (c for c in form.cells.values() if c.table == table.id):
            if cell.code in form.totals:
                formula = "=" + "+".join(self._ref(t.code, table.sheet) for t in form.totals[cell.code].right if t.code)
                self._merge(ws, cell.row, cell.col, 1, cell.colspan, "", self.fmt["total"])
                ws.write_formula(cell.row, cell.col, formula, self.fmt["total"], self.values[cell.code] or 0)
            else:
                fmt = self.fmt["value" if self.locked else "input"]
                self._merge(ws, cell.row, cell.col, 1, cell.colspan, "", fmt)
                value = self.content.figures.get(cell.code) if self.content else None
                if isinstance(value, (int, float)):
                    ws.write_number(cell.row, cell.col, value, fmt)
                elif value:
                    ws.write_string(cell.row, cell.col, value, fmt)
        if not self.locked:
            self._validate_inputs(ws, table)
        row, side_col = self._live_checks(ws, table, heights)
        status_row = self._fill_status(ws, table, row)
        # Colour by range, not cell by cell: one rule set per area keeps files small and quick to write.
        if side_col > table.width:
            self._colour(ws, table.header_rows[0][0], table.width, table.last_row, side_col - 1)
        self._colour(ws, table.last_row + 1, 0, status_row, max(side_col, table.width + 1) - 1)
        for r, h in heights.items():
            ws.set_row(r, h)
        first_header = table.header_rows[0]
        ws.repeat_rows(TITLE_ROW, first_header[1])
        ws.print_area(TITLE_ROW, 0, table.last_row, table.width - 1)  # the checks are for the screen, not paper

    def _validate_inputs(self, ws: Worksheet, table: Table) -> None:
        """One data validation per type over all its input cells (a whole number ≥ 0, an amount ≥ 0)."""
        for field_type in self.form.types.values():
            cells = [c for c in self.form.inputs if c.table == table.id and c.type is field_type]
            if not cells:
                continue
            ranges = _ranges(cells, spans=True).replace(",", " ")
            spec = {"validate": field_type.validate, "criteria": ">=", "value": 0, "multi_range": ranges}
            first = cells[0]
            ws.data_validation(first.row, first.col, first.row, first.col, _validation(spec, field_type))

    def _live_checks(self, ws: Worksheet, table: Table, heights: dict[int, float]) -> tuple[int, int]:
        """Check cells for every rule that needs no extra data: a column beside the table for a rule that
        runs along the rows, a row under it otherwise. Returns the first free row below and column beside."""
        row = table.last_row + 1
        side_col = table.width
        for rule in self.form.rules:
            checks = [c for c in rule.checks if self.form.cells[c.anchor].table == table.id]
            if rule.needs or not checks:
                continue
            anchors = [self.form.cells[c.anchor] for c in checks]
            along_rows = len(checks) > 1 and len({a.col for a in anchors}) == 1
            if along_rows:
                ws.set_column(side_col, side_col, 14)
                header_row = table.header_rows[0][0]
                self._merge(
                    ws,
                    header_row,
                    side_col,
                    table.header_rows[0][1] - header_row + 1,
                    1,
                    f"检查 {rule.id}\n{rule.short.replace('≠', '＝')}",
                    self.fmt["check_label"],
                )
                for check, anchor in zip(checks, anchors, strict=True):
                    self._check_cell(ws, anchor.row, side_col, rule, check)
                side_col += 1
                continue
            rows_used = {}
            for check, anchor in zip(checks, anchors, strict=True):
                r = row
                while (r, anchor.col) in rows_used:
                    r += 1
                rows_used[(r, anchor.col)] = True
                self._check_cell(ws, r, anchor.col, rule, check)
            last = max(r for r, _ in rows_used)
            text = f"检查 {rule.id}：{rule.message}"
            label_col, label_width = (0, table.label_width) if table.label_width else (table.width, 1)
            if not table.label_width:
                ws.set_column(table.width, table.width, 40)
            self._merge(ws, row, label_col, last - row + 1, label_width, text, self.fmt["check_label"])
            width = sum(table.column_widths[:label_width]) if table.label_width else 40
            heights[row] = max(heights.get(row, 0), text_height(text, width, 10) / (last - row + 1))
            row = last + 1
        return row, side_col

    def _check_cell(self, ws: Worksheet, row: int, col: int, rule: Rule, check: Relation) -> None:
        sheet = ws.get_name()
        condition = excel_condition(check, lambda code: self._ref(code, sheet))
        failed = f"{MARKS[rule.severity]} {rule.short}"
        outcome = evaluate(check, self.values)
        cached = OK_MARK if outcome is None or outcome.ok else failed
        ws.write_formula(row, col, f'=IF({condition},"{OK_MARK}","{failed}")', self.fmt["check"], cached)

    def _colour(self, ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Green for ✓, red for ✗, yellow for ⚠ and for cells still to fill."""
        marks = [*self.marks.items(), (STILL_TO_FILL, self.marks[MARKS["warning"]])]
        for mark, fmt in marks:
            rule = {"type": "text", "criteria": "begins with", "value": mark, "format": fmt}
            ws.conditional_format(first_row, first_col, last_row, last_col, rule)

    def _fill_status(self, ws: Worksheet, table: Table, row: int) -> int:
        """A cell that counts the inputs still blank or not numbers, so nobody sends a half-filled table.
        Returns its row."""
        inputs = [c for c in self.form.inputs if c.table == table.id]
        count, n = f"COUNT({_ranges(inputs)})", len(inputs)
        tail = " 格未填或不是数字（没有发生请填 0）"
        formula = f'=IF({count}={n},"{OK_MARK} 本表已全部填写","{STILL_TO_FILL} "&({n}-{count})&"{tail}")'
        row += 1
        self._merge(ws, row, table.label_width, 1, table.data_width, "", self.fmt["check"])
        blank = sum(self.values[c.code] is None for c in inputs) if self.content else n
        cached = f"{STILL_TO_FILL} {blank}{tail}" if blank else f"{OK_MARK} 本表已全部填写"
        ws.write_formula(row, table.label_width, formula, self.fmt["check"], cached)
        if table.label_width:
            self._merge(ws, row, 0, 1, table.label_width, "填写情况", self.fmt["check_label"])
        return row

    def _narrative(self) -> None:
        """The text sections, one cell each, in a column as wide as an A4 page holds (LibreOffice does not shrink
        a single column wider than the page: it cuts it), each row as tall as its text (at most Excel's 409 pt)."""
        form = self.form
        ws = self._sheet(form.narrative_sheet, [NARRATIVE_WIDTH])
        ws.write_string(TITLE_ROW, 0, form.narrative_title, self.fmt["title"])
        ws.set_row(TITLE_ROW, 32)
        self._unit_line(ws, 1)
        for section in form.narrative:
            ws.write_string(section.row - 2, 0, section.title, self.fmt["heading"])
            ws.write_string(section.row - 1, 0, section.hint, self.fmt["hint"])
            ws.set_row(section.row - 1, text_height(section.hint, NARRATIVE_WIDTH))
            self._text_input(ws, section.row, 0, section.code, section.title, TEXT_LIMIT)
            text = self.content.texts.get(section.code, "") if self.content else ""
            ws.set_row(section.row, min(409, max(LINE * section.lines, text_height(text, NARRATIVE_WIDTH))))

    def _text_input(self, ws: Worksheet, row: int, col: int, code: str, title: str, limit: int) -> None:
        """A text cell: the given text (if any), locked on a summary, else unlocked with a length check."""
        text = self.content.texts.get(code, "") if self.content else ""
        if self.locked:
            ws.write_string(row, col, text, self.fmt["value_text"])
            return
        _put_text(ws, row, col, text, self.fmt["input_text"])
        spec = {"validate": self.form.text_type.validate, "criteria": "<=", "value": limit}
        ws.data_validation(row, col, row, col, _validation(spec, self.form.text_type, title))

    # -- helpers ---------------------------------------------------------------------------------------

    def _merge(self, ws: Worksheet, row: int, col: int, rowspan: int, colspan: int, text: str, fmt) -> None:
        """``text`` (always as text, never a formula) in a cell, or across a merged range of cells."""
        if rowspan > 1 or colspan > 1:
            ws.merge_range(row, col, row + rowspan - 1, col + colspan - 1, "", fmt)
        _put_text(ws, row, col, text, fmt)

    def _ref(self, code: str, sheet: str) -> str:
        cell: Cell = self.form.cells[code]
        return cell.a1 if cell.sheet == sheet else f"'{cell.sheet}'!{cell.a1}"


def _put_text(ws: Worksheet, row: int, col: int, text: str, fmt: Format) -> None:
    """Text exactly as given (a unit name starting with "=" stays text), or a blank cell for ""."""
    if text:
        ws.write_string(row, col, text, fmt)
    else:
        ws.write_blank(row, col, None, fmt)


def _validation(spec: dict[str, Any], field_type: FieldType, title: str | None = None) -> dict[str, Any]:
    """Data validation options with the type's Chinese messages (Excel's limits: title 32, text 255)."""
    options = dict(spec)
    options["input_title"] = (title or field_type.input_title)[:32]
    options["input_message"] = field_type.input_message[:255]
    if field_type.error_message:
        options["error_title"] = field_type.error_title[:32]
        options["error_message"] = field_type.error_message[:255]
    return options


def text_height(text: str, width: float, size: int = 11) -> float:
    """Row height (points) that shows ``text`` wrapped in a cell ``width`` characters wide."""
    scale = size / 11
    lines = sum(max(1, math.ceil(display_width(part) * scale / max(width - 1, 1))) for part in text.split("\n"))
    return max(20.0, 15.0 * scale * lines + 5)


def display_width(text: str) -> int:
    """Width in Excel's character units: a CJK character is about two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _ranges(cells: list[Cell], spans: bool = False) -> str:
    """Cells as few A1 ranges as possible, joining neighbours in a row (COUNT takes at most 255 ranges);
    with ``spans``, a range reaches over the whole width of merged cells."""
    runs: list[list[Cell]] = []
    for cell in sorted(cells, key=lambda c: (c.row, c.col)):
        if runs and runs[-1][-1].row == cell.row and runs[-1][-1].col + runs[-1][-1].colspan == cell.col:
            runs[-1].append(cell)
        else:
            runs.append([cell])
    parts = []
    for run in runs:
        last = a1(run[-1].row, run[-1].col + (run[-1].colspan - 1 if spans else 0))
        parts.append(run[0].a1 if last == run[0].a1 else f"{run[0].a1}:{last}")
    return ",".join(parts)


@cache
def written_positions(form_ref: str) -> frozenset[tuple[str, int, int]]:
    """Where a blank workbook of the form holds something (titles, labels, checks): what a unit did not type."""
    form = load_form(form_ref)
    blank = build_workbook(form, Identity.for_unit(form, "0", "0", form.first_year), "")
    sheets = read_sheets(blank)
    return frozenset(
        (name, r, c)
        for name, sheet in sheets.items()
        for r, row in enumerate(sheet.rows)
        for c, value in enumerate(row)
        if value != ""
    )
