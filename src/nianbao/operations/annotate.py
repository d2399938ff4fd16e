"""Annotated copies of checked files, ready to email back: faulty cells highlighted and commented, and a
problem list sheet in front. The original is never touched."""

from __future__ import annotations

import io
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from nianbao.form.spec import Form, a1, load_form
from nianbao.io.files import safe_name, shown, write_atomic
from nianbao.io.identity import ANNOTATED_PROPERTY, Identity
from nianbao.io.writer import NARRATIVE_WIDTH, build_workbook
from nianbao.operations.check import EXPLANATION_LEAD, PROBLEM_SHEET, CheckedFile, content_digest
from nianbao.problems import ERROR, SEVERITY_NAMES, WARNING, Problem

FILLS = {
    ERROR: PatternFill("solid", fgColor="FFC7CE"),
    WARNING: PatternFill("solid", fgColor="FFEB9C"),
}
SUFFIX = "_问题标注.xlsx"
WHOLE_FILE = "整个文件"  # the place of a problem of the whole file, as the reply's letter says it
WIDTHS = dict(zip("ABCDEFG", (6, 8, 22, 36, 28, 60, 10), strict=True))  # the problem list's columns


def annotated_name(report: CheckedFile) -> str:
    """``乙镇.xls`` -> ``乙镇_问题标注.xlsx`` (the caller numbers copies whose names would clash)."""
    return safe_name(shown(Path(report.path.stem)), 60) + SUFFIX


def annotate(
    report: CheckedFile, target: Path, password: str | None = None, problems: Sequence[Problem] | None = None
) -> bool:
    """Write the annotated copy of ``report``'s file to ``target``; False if it cannot be made. ``problems``
    (a reply's list: what the unit must act on, the across-units review included) are marked and listed
    instead of the file's own; a problem of the whole file is listed, with no cell marked."""
    workbook = _open_copy(report, password)
    if workbook is None:
        return False
    listed = list(report.problems if problems is None else problems)
    located: dict[tuple[str, str], list[str]] = {}
    for problem in listed:
        if problem.sheet in workbook.sheetnames and problem.cell:
            located.setdefault((problem.sheet, problem.cell), []).append(
                f"[{SEVERITY_NAMES[problem.severity]}] {problem.message}"
            )
            cell = workbook[problem.sheet][problem.cell]
            if cell.fill != FILLS[ERROR]:  # an error's red wins over a warning's yellow
                cell.fill = FILLS[problem.severity]
    for (sheet, address), notes in located.items():
        comment = Comment("\n".join(notes), "nianbao")
        comment.width, comment.height = 320, 40 + 30 * len(notes)
        workbook[sheet][address].comment = comment
    _problem_sheet(workbook, report, listed)
    if report.form_ref:
        _texts_on_paper(workbook, load_form(report.form_ref))
    # Marks the copy, so that checking it again while untouched does not count it as another return.
    if ANNOTATED_PROPERTY in workbook.custom_doc_props.names:
        del workbook.custom_doc_props[ANNOTATED_PROPERTY]
    workbook.custom_doc_props.append(StringProperty(name=ANNOTATED_PROPERTY, value=content_digest(report.raw)))
    workbook.calculation.fullCalcOnLoad = True  # openpyxl keeps no cached results: recalculate on opening
    # Saved in memory first: an interrupted openpyxl save into a file leaves a ZipFile complaining at exit.
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_atomic(target, buffer.getvalue(), overwrite=True)  # the caller decides whether a copy may be renewed
    return True


def _texts_on_paper(workbook: Workbook, form: Form) -> None:
    """A workbook given out before its text column fitted an A4 page (110 characters wide: LibreOffice cut it on
    the left) prints whole in its annotated copy."""
    if form.narrative_sheet in workbook.sheetnames:
        column = workbook[form.narrative_sheet].column_dimensions["A"]
        if (column.width or 0) > NARRATIVE_WIDTH:
            column.width = NARRATIVE_WIDTH


def _open_copy(report: CheckedFile, password: str | None) -> Workbook | None:
    """The file itself when openpyxl can edit it (.xlsx/.xlsm); for .xls/.ods a fresh workbook of the same
    form and unit holding what the unit typed; None when neither is possible."""
    if report.path.suffix.lower() in (".xlsx", ".xlsm") and report.sha256:
        try:
            return openpyxl.load_workbook(report.path)
        except Exception:  # damaged beyond openpyxl: fall through to a rebuilt copy if possible
            pass
    if not report.form_ref or not report.raw:
        return None
    form = load_form(report.form_ref)
    identity = Identity.from_fields(report.identity)
    data = build_workbook(form, identity, password or secrets.token_urlsafe(12))
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    place_values(workbook, form, report.raw)
    return workbook


def place_values(workbook: Workbook, form: Form, values: Mapping[str, object]) -> None:
    """Put values (by cell code: figures and text inputs) into a generated workbook."""
    texts = {t.code: t for t in form.text_cells}
    for code, value in values.items():
        cell = form.cells.get(code) or texts[code]
        set_value(workbook[cell.sheet].cell(cell.row + 1, cell.col + 1), None if value == "" else value)


def set_value(cell: Cell, value: object) -> None:
    """Put ``value`` in ``cell``; text stays text (openpyxl would make "=1+1" or a unit name "=…" a formula)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _problem_sheet(workbook: Workbook, report: CheckedFile, problems: Sequence[Problem]) -> None:
    if PROBLEM_SHEET in workbook.sheetnames:
        del workbook[PROBLEM_SHEET]
    ws = workbook.create_sheet(PROBLEM_SHEET, 0)
    workbook.active = 0
    for sheet in workbook.worksheets[1:]:
        sheet.sheet_view.tabSelected = False
    errors = sum(p.severity == ERROR for p in problems)
    warnings = len(problems) - errors
    title = f"{report.unit_name or report.path.name}：{errors} 个错误，{warnings} 个警告"
    _append(ws, [title])
    ws["A1"].font = Font(bold=True, size=14)
    _append(ws, ["请按下表逐项改正（红色为错误，必须改正；黄色为警告，请核实）。点击“位置”可跳到对应单元格。"])
    _append(ws, ["序号", "级别", "位置", "行", "列", "问题说明", "规则"])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for i, problem in enumerate(problems, start=1):
        place = f"{problem.sheet}!{problem.cell}" if problem.cell else problem.sheet or WHOLE_FILE
        _append(
            ws,
            [
                i,
                SEVERITY_NAMES[problem.severity],
                place,
                problem.row_label,
                problem.col_label,
                problem.message,
                problem.code,
            ],
        )
        row = ws.max_row
        ws.cell(row, 2).fill = FILLS[problem.severity]
        if problem.cell and problem.sheet in workbook.sheetnames:
            ws.cell(row, 3).hyperlink = f"#'{problem.sheet}'!{problem.cell}"
            ws.cell(row, 3).font = Font(color="0563C1", underline="single")
    if warnings and report.explanation:
        _explanation_row(ws, workbook, report)
    for column, width in WIDTHS.items():
        ws.column_dimensions[column].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        # LibreOffice opens the sheet without fitting its rows to their text: a long message would be cut off.
        lines = max(_lines(str(cell.value or ""), WIDTHS[cell.column_letter]) for cell in row)
        ws.row_dimensions[row[0].row].height = 16 * lines


def _lines(text: str, width: int) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide (a Chinese character is two)."""
    wide = [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in text.split("\n")]
    return sum(max(1, -(-w // max(1, width - 1))) for w in wide)


def _explanation_row(ws: Worksheet, workbook: Workbook, report: CheckedFile) -> None:
    """What the unit wrote in its 情况说明, under the problems, linked to the cell it wrote it in."""
    cell = load_form(report.form_ref).explanation if report.form_ref else None
    address = a1(cell.row, cell.col) if cell else ""
    place, label = (f"{cell.sheet}!{address}", cell.title) if cell else ("", "")
    _append(ws, ["", "说明", place, label, "", EXPLANATION_LEAD + report.explanation, ""])
    row = ws.max_row
    ws.cell(row, 6).font = Font(bold=True)
    if cell and cell.sheet in workbook.sheetnames:
        ws.cell(row, 3).hyperlink = f"#'{cell.sheet}'!{address}"
        ws.cell(row, 3).font = Font(color="0563C1", underline="single")


def _append(ws: Worksheet, values: list[object]) -> None:
    """A row at the end of ``ws``, every text as text (a title with a unit name "=…" is no formula)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        set_value(cell, cell.value)
