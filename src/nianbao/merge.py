"""Merge checked workbooks into a summary in the same official format, with proof of who reported.

A summary is written only when every roster unit has exactly one valid workbook (or, with
allow_missing, marked as partial). It is itself a valid input to `check` and to `merge` one level up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format

from .check import CheckOptions, FileReport, find_files, iter_checks
from .files import refuse_overwrite, write_atomic
from .form import DEFAULT_FORM, Form, load_form
from .generate import check_year
from .parallel import Progress, no_progress
from .problems import NianbaoError
from .roster import Unit, read_roster
from .rules import with_totals
from .workbook import Content, Identity, build_workbook

BREAKDOWN_SHEET = "分单位明细"
STATUS_SHEET = "报送情况"
TEXTS_SHEET = "文字汇编"
CHART_SHEET = "图表"
TOTAL_LABEL = "合计"

MERGED, MISSING, INVALID, DUPLICATE, REPLACED, OFF_ROSTER = "已汇总", "缺报", "有错误", "重复", "已被替换", "不在名单"


@dataclass
class UnitStatus:
    """One roster unit (or one stray file) and what became of it."""

    unit_id: str
    unit_name: str
    status: str
    reports: list[FileReport] = field(default_factory=list)
    note: str = ""

    @property
    def counted(self) -> FileReport | None:
        return self.reports[0] if self.status == MERGED else None


@dataclass
class Merge:
    form: Form
    year: int
    statuses: list[UnitStatus]
    reports: list[FileReport]
    sums: dict[str, float | None]
    written: Path | None = None

    @property
    def merged(self) -> list[UnitStatus]:
        return [s for s in self.statuses if s.status == MERGED]

    @property
    def blocking(self) -> list[UnitStatus]:
        return [s for s in self.statuses if s.status not in (MERGED, REPLACED)]

    @property
    def missing_units(self) -> list[UnitStatus]:
        """Roster units not in the summary (missing, invalid or unresolved duplicates)."""
        return [s for s in self.statuses if s.status in (MISSING, INVALID, DUPLICATE)]

    @property
    def complete(self) -> bool:
        return not self.blocking

    def to_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "complete": self.complete,
            "summary": str(self.written) if self.written else None,
            "units": [
                {
                    "unit_id": s.unit_id,
                    "unit_name": s.unit_name,
                    "status": s.status,
                    "files": [str(r.path) for r in s.reports],
                    "note": s.note,
                }
                for s in self.statuses
            ],
            "files": [r.to_json() for r in self.reports],
        }


def merge(
    paths: Iterable[str | Path],
    roster: str | Path,
    year: int,
    out: str | Path,
    *,
    unit_id: str = "summary",
    unit_name: str = "汇总",
    allow_missing: bool = False,
    prefer: Iterable[str | Path] = (),
    force: bool = False,
    password: str = "",
    form_name: str = DEFAULT_FORM,
    progress: Progress = no_progress,
) -> Merge:
    """Check every input, sort them onto the roster, and write the summary if nothing blocks it."""
    form = load_form(form_name)
    check_year(form, year)
    units = read_roster(roster)
    out = Path(out)
    refuse_overwrite(out, force)
    if out.suffix.lower() != ".xlsx":
        raise NianbaoError(f"汇总表文件名应以 .xlsx 结尾：{out}")
    options = CheckOptions(form_name=form_name, roster={u.unit_id: u for u in units}, year=year, keep_raw=False)
    reports = list(iter_checks(find_files(paths), options, progress))
    if any(r.path.resolve() == out.resolve() for r in reports):
        raise NianbaoError(f"汇总表 {out} 不能同时是输入文件")
    statuses = _statuses(units, reports, {Path(p).resolve() for p in prefer})
    counted = [s.counted for s in statuses if s.counted]
    sums = _sum([r.figures for r in counted if r], form)
    result = Merge(form, year, statuses, reports, sums)
    if result.complete or allow_missing:
        identity = Identity(
            form.id,
            form.version,
            form.fingerprint,
            unit_id,
            unit_name,
            year,
            kind="summary",
            units=str(len(counted)),
            missing=str(len(result.missing_units)),
        )
        write_atomic(out, summary_workbook(result, identity, password))
        result.written = out
    return result


def _statuses(units: list[Unit], reports: list[FileReport], prefer: set[Path]) -> list[UnitStatus]:
    by_unit: dict[str, list[FileReport]] = {}
    for report in reports:
        by_unit.setdefault(report.unit_id, []).append(report)
    statuses = []
    for unit in units:
        files = by_unit.pop(unit.unit_id, [])
        chosen = [r for r in files if r.path.resolve() in prefer]
        if not files:
            statuses.append(UnitStatus(unit.unit_id, unit.unit_name, MISSING))
        elif len(files) > 1 and len(chosen) != 1:
            names = "、".join(str(r.path) for r in files)
            note = f"有 {len(files)} 份表格：{names}；请用 --prefer 指定采用哪一份"
            statuses.append(UnitStatus(unit.unit_id, unit.unit_name, DUPLICATE, files, note))
        else:
            report = chosen[0] if chosen else files[0]
            status = MERGED if report.ok else INVALID
            note = "" if report.ok else f"{len(report.errors)} 个错误，例如：{report.errors[0].describe()}"
            statuses.append(UnitStatus(unit.unit_id, unit.unit_name, status, [report], note))
            for other in files:
                if other is not report:
                    statuses.append(
                        UnitStatus(unit.unit_id, unit.unit_name, REPLACED, [other], f"由 {report.path} 替换")
                    )
    for unit_id, files in by_unit.items():
        for report in files:
            reason = report.errors[0].message if report.errors and not unit_id else "单位不在名单上"
            statuses.append(
                UnitStatus(unit_id, report.unit_name, INVALID if not unit_id else OFF_ROSTER, [report], reason)
            )
    return statuses


def _sum(figure_sets: list[dict[str, float | None]], form: Form) -> dict[str, float | None]:
    """Cell-by-cell sums of the inputs; totals are computed from the summed inputs, as in any workbook."""
    sums: dict[str, float | None] = {}
    for cell in form.inputs:
        total = sum(figures[cell.code] or 0.0 for figures in figure_sets)
        sums[cell.code] = round(total, 4) if cell.type == "amount" else float(round(total))
    return with_totals(form.totals, sums)


def summary_workbook(result: Merge, identity: Identity, password: str) -> bytes:
    form = result.form
    counted = [s for s in result.statuses if s.counted]
    missing = result.missing_units
    banner = f"部分汇总：缺 {len(missing)} 个单位（见“{STATUS_SHEET}”工作表）" if missing else ""
    cover = [
        (
            "汇总范围",
            f"{len(counted)} 个单位"
            + (f"（名单共 {len(counted) + len(missing)} 个，缺 {len(missing)} 个）" if missing else ""),
        ),
        ("说明", f"本表为各单位统计表逐格相加之和；逐单位数字见“{BREAKDOWN_SHEET}”，报送情况见“{STATUS_SHEET}”。"),
    ]
    inputs = {c.code: result.sums[c.code] for c in form.inputs}
    content = Content(inputs, texts={}, cover=cover, banner=banner)

    def extra(wb: xlsxwriter.Workbook, fmt: dict[str, Format]) -> None:
        _breakdown_sheet(wb, fmt, form, counted, result.sums)
        _status_sheet(wb, fmt, result.statuses)
        _texts_sheet(wb, fmt, form, counted)
        _chart_sheet(wb, form, len(counted))

    return build_workbook(form, identity, password, content, extra)


def _breakdown_sheet(wb, fmt, form: Form, counted: list[UnitStatus], sums: dict[str, float | None]) -> None:
    ws = wb.add_worksheet(BREAKDOWN_SHEET)
    fixed = ["单位编码", "单位名称", "文件"]
    ws.write_row(0, 0, fixed + [c.code for c in form.cells.values()], fmt["header"])
    labels = ["", "", ""] + [_cell_caption(form, c.code) for c in form.cells.values()]
    ws.write_row(1, 0, labels, fmt["label"])
    ws.set_row(1, 90)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 30)
    ws.set_column(3, 2 + len(form.cells), 10)
    ws.freeze_panes(2, 2)
    for i, status in enumerate(counted):
        report = status.counted
        assert report is not None
        row = 2 + i
        ws.write_row(row, 0, [status.unit_id, status.unit_name, report.path.name])
        for j, code in enumerate(form.cells):
            value = report.figures[code]
            if value is not None:
                ws.write_number(row, 3 + j, value)
    total_row = 2 + len(counted)
    ws.write_row(total_row, 0, [TOTAL_LABEL, f"{len(counted)} 个单位", ""], fmt["header"])
    for j, code in enumerate(form.cells):
        col = 3 + j
        column = xlsxwriter.utility.xl_col_to_name(col)
        formula = f"=SUM({column}3:{column}{total_row})" if counted else "=0"
        ws.write_formula(total_row, col, formula, fmt["total"], sums[code] or 0)


def _cell_caption(form: Form, code: str) -> str:
    cell = form.cells[code]
    table = form.table(cell.table)
    return "｜".join(
        x
        for x in (table.title.split("、", 1)[-1][:8], cell.row_label.split("·")[-1], cell.col_label.split("·")[-1])
        if x
    )


def _status_sheet(wb, fmt, statuses: list[UnitStatus]) -> None:
    ws = wb.add_worksheet(STATUS_SHEET)
    ws.write_row(
        0, 0, ["序号", "单位编码", "单位名称", "状态", "文件", "sha256", "错误数", "警告数", "说明"], fmt["header"]
    )
    for width, col in zip((6, 12, 24, 10, 36, 20, 8, 8, 60), range(9), strict=True):
        ws.set_column(col, col, width)
    row = 1
    for i, status in enumerate(statuses, start=1):
        for report in status.reports or [None]:
            ws.write_row(
                row,
                0,
                [
                    i,
                    status.unit_id,
                    status.unit_name,
                    status.status,
                    str(report.path) if report else "",
                    report.sha256 if report else "",
                    len(report.errors) if report else 0,
                    len(report.warnings) if report else 0,
                    status.note,
                ],
                fmt["label"],
            )
            row += 1
    ws.autofilter(0, 0, row - 1, 8)
    ws.freeze_panes(1, 0)


def _texts_sheet(wb, fmt, form: Form, counted: list[UnitStatus]) -> None:
    ws = wb.add_worksheet(TEXTS_SHEET)
    sections = form.narrative
    ws.write_row(0, 0, ["单位编码", "单位名称", *(s.title for s in sections)], fmt["header"])
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 20)
    ws.set_column(2, 1 + len(sections), 60)
    for i, status in enumerate(counted, start=1):
        report = status.counted
        assert report is not None
        ws.write_row(
            i,
            0,
            [status.unit_id, status.unit_name, *(report.texts.get(s.code, "") for s in sections)],
            fmt["value_text"],
        )
    ws.freeze_panes(1, 2)


def _chart_sheet(wb, form: Form, count: int) -> None:
    """A native bar chart of applications received and handled per unit, from the breakdown sheet."""
    ws = wb.add_worksheet(CHART_SHEET)
    if not count:
        ws.write(0, 0, "没有已汇总的单位")
        return
    chart = wb.add_chart({"type": "bar"})
    codes = list(form.cells)
    last = 1 + count
    for code, name in (("T3.R01.C7", "本年新收申请"), ("T3.R24.C7", "本年办理结果总计")):
        if code not in form.cells:
            continue
        col = 3 + codes.index(code)
        chart.add_series(
            {
                "name": name,
                "categories": [BREAKDOWN_SHEET, 2, 1, last, 1],
                "values": [BREAKDOWN_SHEET, 2, col, last, col],
            }
        )
    chart.set_title({"name": "各单位政府信息公开申请收到与办理情况（件）"})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": max(400, 24 * count + 120)})
    ws.insert_chart(0, 0, chart)
