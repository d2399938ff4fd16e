"""Summary checked workbooks into a summary in the same official format, with proof of who reported.

A summary is written only when every roster unit has exactly one valid workbook (or, with
allow_missing, marked as partial). It is itself a valid input to `check` and to `merge` one level up.
"""

from __future__ import annotations

import json
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import add, itemgetter
from pathlib import Path
from typing import BinaryIO, cast

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from nianbao.form.review import units_review
from nianbao.form.rules import with_totals
from nianbao.form.spec import DEFAULT_FORM, Form, load_form
from nianbao.io import breakdown
from nianbao.io.files import atomic_file, refuse_overwrite, resolved, shown
from nianbao.io.identity import Identity
from nianbao.io.roster import Unit, read_roster
from nianbao.io.writer import Content, build_workbook, text_height
from nianbao.io.xlsxpatch import Formula, SheetRows, Value, append_rows
from nianbao.operations.check import CheckedFile, CheckOptions, PackedFigures, check_files
from nianbao.operations.generate import chinese_date
from nianbao.operations.parallel import Progress, no_progress
from nianbao.problems import MESSAGES, NianbaoError, Problem

STATUS_SHEET = "报送情况"
TEXTS_SHEET = "文字汇编"
CHART_SHEET = "图表"

MERGED, MISSING, INVALID, DUPLICATE, REPLACED = "已汇总", "缺报", "有错误", "重复", "已被替换"
OFF_ROSTER, UNRECOGNIZED, COPY = "不在名单", "未能识别", "副本"
NOT_BLOCKING = (MERGED, REPLACED, COPY)


@dataclass
class UnitStatus:
    """One roster unit, or one file that is not a roster unit's return, and what became of it."""

    unit_id: str
    unit_name: str
    status: str
    reports: list[CheckedFile] = field(default_factory=list)
    note: str = ""

    @property
    def counted(self) -> CheckedFile | None:
        return self.reports[0] if self.status == MERGED else None


@dataclass
class Summary:
    form: Form
    year: int
    statuses: list[UnitStatus]
    reports: list[CheckedFile]
    sums: dict[str, float | None]
    roster_size: int
    facts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # more columns of the status sheet, by unit
    written: Path | None = None
    review: dict[str, list[Problem]] = field(default_factory=dict)  # figures far above the unit's kind, by unit

    @property
    def merged(self) -> list[UnitStatus]:
        return [s for s in self.statuses if s.status == MERGED]

    @property
    def blocking(self) -> list[UnitStatus]:
        return [s for s in self.statuses if s.status not in NOT_BLOCKING]

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
                    "files": [r.name for r in s.reports],
                    "note": s.note,
                }
                for s in self.statuses
            ],
            "review": {unit: [p.to_json() for p in problems] for unit, problems in self.review.items()},
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
    facts: Mapping[str, Mapping[str, str]] | None = None,
) -> Summary:
    """Check every input, sort them onto the roster, and write the summary if nothing blocks it."""
    form = load_form(form_name)
    form.check_year(year)
    units = read_roster(roster)
    out = Path(out)
    refuse_overwrite(out, force)
    if out.suffix.lower() != ".xlsx":
        raise NianbaoError(f"汇总表文件名应以 .xlsx 结尾：{out}")
    options = CheckOptions(
        form_name=form_name, roster={u.unit_id: u for u in units}, year=year, keep_raw=False, pack=True
    )
    run = check_files(paths, options, progress, keep_json=False)
    written = resolved(out)  # an input is the summary only if it has its name or is a link: only those resolved
    if any(resolved(p) == written for p in run.files if p.name == written.name or p.is_symlink()):
        raise NianbaoError(f"汇总表 {shown(out)} 不能同时是输入文件")
    chosen = {resolved(Path(p)) for p in prefer}
    inputs = {resolved(path) for path in run.files} if prefer else set()
    strays = [shown(Path(p)) for p in prefer if resolved(Path(p)) not in inputs]
    if strays:
        raise NianbaoError.of("PREFER_NOT_INPUT", files="、".join(strays))
    spool = _Spool(form, form_name, units)  # each file's figures and texts on disk as it comes: memory stays flat
    reports = [spool.keep(report, path) for report, path in zip(run, run.files, strict=True)]
    statuses = _statuses(units, reports, chosen)
    counted = [s.counted for s in statuses if s.counted]
    sums = summed([r.figures for r in counted if r], form)
    result = Summary(form, year, statuses, reports, sums, len(units), facts or {})
    result.review = _review(form, statuses, {u.unit_id: u.kind for u in units})
    if (result.complete or allow_missing) and counted:  # a summary of no unit would be all zeros
        identity = Identity.for_summary(form, unit_id, unit_name, year, len(counted), len(result.missing_units))
        with atomic_file(out, overwrite=force) as target:
            write_summary(result, identity, password, target)
        result.written = out
    return result


def _statuses(units: list[Unit], reports: list[CheckedFile], prefer: set[Path]) -> list[UnitStatus]:
    """Each roster unit's status, then every file that is not a roster unit's return."""
    by_unit: dict[str, list[CheckedFile]] = {}
    copies = []
    for report in reports:
        if report.ignored:
            copies.append(UnitStatus(report.unit_id, report.unit_name, COPY, [report], report.ignored))
        else:
            by_unit.setdefault(report.unit_id, []).append(report)
    statuses = []
    for unit in units:
        files = by_unit.pop(unit.unit_id, [])
        chosen = [r for r in files if resolved(r.path) in prefer] if prefer else []
        if not files:
            statuses.append(UnitStatus(unit.unit_id, unit.unit_name, MISSING))
        elif len(files) > 1 and len(chosen) != 1:
            note = MESSAGES["MERGE_DUPLICATE"].format(count=len(files))
            statuses.append(UnitStatus(unit.unit_id, unit.unit_name, DUPLICATE, files, note))
        else:
            report = chosen[0] if chosen else files[0]
            status = MERGED if report.ok else INVALID
            note = (
                ""
                if report.ok
                else MESSAGES["MERGE_INVALID"].format(count=len(report.errors), first=report.errors[0].describe())
            )
            statuses.append(UnitStatus(unit.unit_id, unit.unit_name, status, [report], note))
            for other in files:
                if other is not report:
                    statuses.append(
                        UnitStatus(
                            unit.unit_id,
                            unit.unit_name,
                            REPLACED,
                            [other],
                            MESSAGES["MERGE_REPLACED"].format(by=report.name),
                        )
                    )
    for unit_id, files in by_unit.items():
        for report in files:
            if unit_id:
                statuses.append(
                    UnitStatus(unit_id, report.unit_name, OFF_ROSTER, [report], MESSAGES["MERGE_OFF_ROSTER"])
                )
            else:  # no identity: another template, a damaged or unsupported file — perhaps a unit's newer return
                reason = report.errors[0].message if report.errors else ""
                statuses.append(UnitStatus("", "", UNRECOGNIZED, [report], reason))
    return statuses + copies


def _review(form: Form, statuses: list[UnitStatus], kinds: Mapping[str, str]) -> dict[str, list[Problem]]:
    """The units whose headline figures stand far above the others of their kind: 请核实 warnings on their
    reports, and in the 说明 of the status sheet."""
    merged = {s.unit_id: s for s in statuses if s.counted}
    found = units_review(form, {unit_id: s.counted.figures for unit_id, s in merged.items() if s.counted}, kinds)
    for unit_id, problems in found.items():
        status = merged[unit_id]
        assert status.counted is not None
        status.counted.problems.extend(problems)
        status.note = "；".join([status.note, *(f"{p.place}：{p.message}" for p in problems)]).lstrip("；")
    return found


def summed(figure_sets: list[Mapping[str, float | None]], form: Form) -> dict[str, float | None]:
    """Cell-by-cell sums of the inputs; totals are computed from the summed inputs, as in any workbook."""
    sums: dict[str, float | None] = {}
    for cell, total in zip(form.inputs, _running_sums(figure_sets, form), strict=True):
        sums[cell.code] = round(total, cell.type.decimals) if cell.type.decimals else float(round(total))
    return with_totals(form.totals, sums)


def _running_sums(figure_sets: Iterable[Mapping[str, float | None]], form: Form) -> list[float]:
    """Each input's sum over the sets (a blank as 0), added up one set after another at C speed: the same
    additions in the same order as adding up each cell over the sets (0 + a + b + …)."""
    inputs = [c.code for c in form.inputs]
    if not inputs:
        return []
    codes = {code: i for i, code in enumerate(form.cells)}
    take = itemgetter(*(codes[code] for code in inputs), codes[inputs[0]])  # a tuple even for one input
    totals = [0.0] * len(inputs)
    for figures in figure_sets:
        if isinstance(figures, (PackedFigures, _Spooled)) and load_form(figures.form_ref) is form:
            values: list[float] = list(take(figures.packed))[:-1]
            total = sum(values)
            if total != total:  # NaN: a blank among them
                values = [0.0 if v != v else v for v in values]
        else:
            values = [figures[code] or 0.0 for code in inputs]
        totals = list(map(add, totals, values))
    return totals


def write_summary(result: Summary, identity: Identity, password: str, target: BinaryIO) -> None:
    form = result.form
    counted = [s for s in result.statuses if s.counted]
    missing = result.missing_units
    whole = f"不完整（{len(counted)}/{len(counted) + len(missing)}）· "
    banner = f"{whole}部分汇总：缺 {len(missing)} 个单位（见“{STATUS_SHEET}”工作表）" if missing else ""
    cover = [
        (
            "汇总范围",
            f"{len(counted)} 个单位"
            + (f"（名单共 {len(counted) + len(missing)} 个，缺 {len(missing)} 个）" if missing else ""),
        ),
        ("汇总日期", chinese_date(date.today())),
        ("说明", f"本表为各单位统计表逐格相加之和；逐单位数字见“{breakdown.SHEET}”，报送情况见“{STATUS_SHEET}”。"),
    ]
    inputs = {c.code: result.sums[c.code] for c in form.inputs}
    content = Content(inputs, texts={}, cover=cover, banner=banner)

    # Sheets with a row per unit get their header from XlsxWriter and their rows streamed in afterwards
    # (xlsxpatch): memory does not grow with the number of units.
    sheets: dict[str, int] = {}
    fmt_used: dict[str, Format] = {}
    rows = _status_row_count(result.statuses)

    def extra(wb: xlsxwriter.Workbook, fmt: dict[str, Format]) -> None:
        fmt_used.update(fmt, grid=wb.add_format({"border": 1, "font_size": 10}))
        sheets[breakdown.SHEET] = _breakdown_header(wb, fmt, form)
        sheets[STATUS_SHEET] = _status_header(wb, fmt, rows, _fact_columns(result))
        sheets[TEXTS_SHEET] = _texts_header(wb, fmt, form, len(counted))
        _chart_sheet(wb, form, len(counted))

    data = build_workbook(form, identity, password, content, extra)

    def style(name: str) -> int:  # a format's index in the finished workbook's styles
        return int(fmt_used[name].xf_index or 0)

    append_rows(
        data,
        {
            sheets[breakdown.SHEET]: SheetRows(
                breakdown.HEADER_ROWS,
                len(counted) + 1,
                breakdown.FIRST_FIGURE + len(form.cells),
                _breakdown_rows(form, counted, result.sums, style("total")),
                style("grid"),
            ),
            sheets[STATUS_SHEET]: SheetRows(
                1,
                rows,
                len(STATUS_COLUMNS) + len(_fact_columns(result)),
                _status_rows(result),
                style("label"),
                _fitted(_status_widths(_fact_columns(result))),
            ),
            sheets[TEXTS_SHEET]: SheetRows(
                1,
                len(counted),
                2 + len(form.narrative),
                _texts_rows(form, counted),
                style("value_text"),
                _fitted(_texts_widths(form)),
            ),
        },
        target,
    )


# -- 分单位明细: a row per unit, a column per figure ----------------------------------------------------------
# Printed in landscape at a fixed scale, a page holding whole groups of figures (a row of a table: 自然人 … 总计),
# with the unit names and the header rows repeated on every page.

FIGURE_WIDTH = 5  # characters: a figure's column, room for five digits
ALONE_WIDTH = 10  # a figure alone in its group (行政许可, 行政处罚 …: the big numbers, an amount)
UNIT_WIDTHS = (10, 20, 16)  # 单位编码, 单位名称, 文件 (hidden: 报送情况 has the files)
# What an A4 landscape page holds across, in XlsxWriter's pixels (a character 7 px, and 5 more): Excel with its
# Calibri fits about 1040; LibreOffice without Calibri (on Linux: DejaVu Sans, wider) about 790, the less of the two.
PAGE_WIDTH = 780
PAGE_COLUMNS = 28  # figure columns on a page: four rows of Table 3


def _breakdown_header(wb: xlsxwriter.Workbook, fmt: dict[str, Format], form: Form) -> int:
    """The breakdown sheet's header rows (codes, then each group of figures, then each figure's caption) and
    its print setup; returns its sheet number for the rows."""
    ws = wb.add_worksheet(breakdown.SHEET)
    small = wb.add_format({"font_size": 8, "font_color": "#808080", "align": "center"})
    caption = wb.add_format({"font_size": 10, "text_wrap": True, "valign": "vcenter", "align": "center", "border": 1})
    ws.write_row(0, 0, [*breakdown.UNIT_COLUMNS, *form.cells], small)
    for col, label in enumerate(breakdown.UNIT_COLUMNS):
        ws.merge_range(1, col, breakdown.HEADER_ROWS - 1, col, label, fmt["header"])
    groups = _figure_groups(form)
    col = breakdown.FIRST_FIGURE
    for title, captions, alone in groups:
        if alone:  # a figure of its own: its title and caption in one cell over both rows, a wider column
            ws.merge_range(1, col, 2, col, alone, caption)
            ws.set_column(col, col, ALONE_WIDTH)
        else:
            ws.merge_range(1, col, 1, col + len(captions) - 1, title, caption)
            ws.write_row(2, col, captions, caption)
            ws.set_column(col, col + len(captions) - 1, FIGURE_WIDTH)
        col += len(captions)
    ws.set_row(1, 54)
    ws.set_row(2, 40)
    for i, width in enumerate(UNIT_WIDTHS):
        ws.set_column(i, i, width, None, {"hidden": i == 2})
    ws.freeze_panes(breakdown.HEADER_ROWS, 2)
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.repeat_rows(0, breakdown.HEADER_ROWS - 1)
    ws.repeat_columns(0, 1)
    page = PAGE_COLUMNS * _pixels(FIGURE_WIDTH)
    ws.set_print_scale(min(100, int(100 * PAGE_WIDTH / (sum(_pixels(w) for w in UNIT_WIDTHS[:2]) + page))))
    ws.set_v_pagebreaks(_page_breaks([(len(c), bool(alone)) for _, c, alone in groups], page))
    return ws.index + 1


def _figure_groups(form: Form) -> list[tuple[str, list[str], str]]:
    """The figures in the breakdown's order as groups of neighbours in one row of a table (in a table of one row,
    under one header): the group's title, each figure's own caption, and for a figure alone in its group the
    words for both."""
    groups: list[tuple[str, list[str], str]] = []
    for cell in form.cells.values():
        table = form.table(cell.table)
        parts = [p for p in (cell.row_label or "·".join(cell.col_label.split("·")[:-1])).split("·") if p]
        title = f"{table.sheet}：{' '.join(parts)}" if parts else table.sheet
        own = cell.col_label.split("·")[-1] or cell.row_label.split("·")[-1]
        if groups and groups[-1][0] == title:
            groups[-1][1].append(own)
        else:
            groups.append((title, [own], ""))
    return [(t, c, "" if len(c) > 1 else f"{t.split('：')[-1]}｜{c[0]}") for t, c, _ in groups]


def _page_breaks(groups: list[tuple[int, bool]], page: int) -> list[int]:
    """Where the pages of the breakdown start (sheet columns): each page as many whole groups of figures (their
    size, and whether a figure stands alone) as ``page`` pixels hold; a group wider than a page gets its own."""
    breaks, used = [], 0
    col = breakdown.FIRST_FIGURE
    for size, alone in groups:
        wide = size * _pixels(ALONE_WIDTH if alone else FIGURE_WIDTH)
        if used and used + wide > page:
            breaks.append(col)
            used = 0
        used += wide
        col += size
    return breaks


def _pixels(width: float) -> int:
    """A column's width in pixels as XlsxWriter and Excel count them (about 7 a character, and 5 more)."""
    return int(width * 7 + 5)


def _breakdown_rows(
    form: Form, counted: list[UnitStatus], sums: Mapping[str, float | None], total_style: int
) -> Iterator[list[Value]]:
    for status in counted:
        report = status.counted
        assert report is not None
        yield [
            status.unit_id,
            status.unit_name,
            shown(Path(report.path.name)),
            *_row_of(report.figures, form),
        ]
    first, last = breakdown.HEADER_ROWS + 1, breakdown.HEADER_ROWS + len(counted)  # as Excel numbers rows
    totals: list[Value] = []
    for j, code in enumerate(form.cells):
        column = xl_col_to_name(breakdown.FIRST_FIGURE + j)
        text = f"SUM({column}{first}:{column}{last})" if counted else "0"
        totals.append(Formula(text, sums[code] or 0.0, total_style))
    yield [breakdown.TOTAL_LABEL, f"{len(counted)} 个单位", "", *totals]


# -- 报送情况 and 文字汇编: a row per unit, printed across an A4 landscape page ----------------------------------

STATUS_COLUMNS = {  # the file's sha256 last, outside the printed area: proof kept in the file, not on paper
    "序号": 5,
    "单位编码": 11,
    "单位名称": 16,
    "状态": 8,
    "文件": 34,
    "错误数": 6,
    "警告数": 6,
    "说明": 30,
    "sha256": 66,  # whole on one line on the screen
}
FACT_WIDTH = 12  # a column of what the workspace knows of each unit (报送时间 …)
LONG_FACTS = 24  # … that holds sentences (情况说明, 认可的警告)


def _status_row_count(statuses: list[UnitStatus]) -> int:
    return sum(max(1, len(s.reports)) for s in statuses)


def _fact_columns(result: Summary) -> list[str]:
    return list(dict.fromkeys(column for facts in result.facts.values() for column in facts))


def _status_widths(facts: list[str]) -> list[float]:
    own = list(STATUS_COLUMNS)[:-1]
    widths = [STATUS_COLUMNS[c] for c in own] + [
        LONG_FACTS if "说明" in c or "警告" in c else FACT_WIDTH for c in facts
    ]
    return [*widths, STATUS_COLUMNS["sha256"]]


def _status_header(wb: xlsxwriter.Workbook, fmt: dict[str, Format], rows: int, facts: list[str]) -> int:
    ws = wb.add_worksheet(STATUS_SHEET)
    columns = [*list(STATUS_COLUMNS)[:-1], *facts, "sha256"]
    ws.write_row(0, 0, columns, fmt["header"])
    for col, width in enumerate(_status_widths(facts)):
        ws.set_column(col, col, width)
    ws.autofilter(0, 0, rows, len(columns) - 1)
    ws.freeze_panes(1, 0)
    _print_across(ws, rows, len(columns) - 2)
    return ws.index + 1


def _fitted(widths: list[float]) -> Callable[[Sequence[Value]], float]:
    """A row's height that shows every text of it wrapped in its column (Excel's most: 409 pt)."""

    def height(row: Sequence[Value]) -> float:
        texts = [(v, w) for v, w in zip(row, widths, strict=False) if isinstance(v, str) and v]
        return min(409.0, max((text_height(v, w) for v, w in texts), default=0.0))

    return height


def _print_across(ws: Worksheet, rows: int, last_col: int) -> None:
    """A4 landscape, as wide as the page, the header row on every page."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.print_area(0, 0, rows, last_col)


def _status_rows(result: Summary) -> Iterator[list[Value]]:
    """Every roster unit (and stray file): status, file name, problem counts, facts given, sha256; a row per
    file."""
    columns = _fact_columns(result)
    for i, status in enumerate(result.statuses, start=1):
        head: list[Value] = [i, status.unit_id, status.unit_name, status.status]
        facts: list[Value] = [result.facts.get(status.unit_id, {}).get(c, "") for c in columns]
        if not status.reports:
            yield [*head, "", 0, 0, status.note, *facts, ""]
        for report in status.reports:
            name = shown(Path(report.path.name))  # never the folders it came from (a user's name, a server's path)
            yield [*head, name, len(report.errors), len(report.warnings), status.note, *facts, report.sha256]


TEXT_WIDTHS = (10, 14)  # 单位编码, 单位名称 of 文字汇编; the sections share the rest of the page
TEXTS_PAGE = 170  # characters across an A4 landscape page (fitted to its width: 9 pt type)


def _texts_widths(form: Form) -> list[float]:
    """单位编码, 单位名称, then each text section as wide as the spec expects it to be long."""
    lines = [s.lines for s in form.narrative]
    room = TEXTS_PAGE - sum(TEXT_WIDTHS)
    return [*TEXT_WIDTHS, *(max(16, room * share // sum(lines)) for share in lines)]


def _texts_header(wb: xlsxwriter.Workbook, fmt: dict[str, Format], form: Form, rows: int) -> int:
    ws = wb.add_worksheet(TEXTS_SHEET)
    ws.write_row(0, 0, ["单位编码", "单位名称", *(s.title for s in form.narrative)], fmt["header"])
    for col, width in enumerate(_texts_widths(form)):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 2)
    _print_across(ws, rows, 1 + len(form.narrative))
    return ws.index + 1


def _texts_rows(form: Form, counted: list[UnitStatus]) -> Iterator[list[Value]]:
    for status in counted:
        report = status.counted
        assert report is not None
        texts = report.figures.texts() if isinstance(report.figures, _Spooled) else report.texts
        yield [status.unit_id, status.unit_name, *(texts.get(s.code, "") for s in form.narrative)]


def _chart_sheet(wb: xlsxwriter.Workbook, form: Form, count: int) -> None:
    """A native bar chart of applications received and handled per unit, from the breakdown sheet, on one A4
    portrait page."""
    ws = wb.add_worksheet(CHART_SHEET)
    ws.set_paper(9)
    ws.set_portrait()
    ws.fit_to_pages(1, 1)
    if not count or not form.summary.chart:
        ws.write(0, 0, "本表格格式没有设定汇总图表" if count else "没有已汇总的单位")
        return
    chart = wb.add_chart({"type": "bar"})
    codes = list(form.cells)
    first, last = breakdown.HEADER_ROWS, breakdown.HEADER_ROWS + count - 1
    for bar in form.summary.chart:
        col = breakdown.FIRST_FIGURE + codes.index(bar.code)
        chart.add_series(
            {
                "name": bar.name,
                "categories": [breakdown.SHEET, first, 1, last, 1],
                "values": [breakdown.SHEET, first, col, last, col],
            }
        )
    chart.set_title({"name": form.summary.chart_title})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": CHART_SIZE[0], "height": min(CHART_SIZE[1], max(400, 24 * count + 120))})
    ws.insert_chart(0, 0, chart)


CHART_SIZE = (680, 1000)  # pixels: an A4 portrait page within its margins


# -- what the summary needs of each file, kept on disk as the files are checked (issue 25) -----------------------


KEPT = ("unit_id", "unit_name", "year")  # what a summary says of a file's identity


class _Spool:
    """The figures and narrative texts of the files being merged, in a temporary file: a merge of thousands of
    files holds each file's counts and names, not its figures and texts. A file's figures come back as a mapping
    that reads them from here (those the review across units compares are kept in memory)."""

    def __init__(self, form: Form, form_ref: str, units: list[Unit]) -> None:
        self.form, self.ref = form, form_ref  # the form, and what load_form takes to give it
        self.strings = {text: text for u in units for text in (u.unit_id, u.unit_name)}
        self.file = tempfile.TemporaryFile(prefix="nianbao-merge-")  # noqa: SIM115 (closed with the spool)
        weakref.finalize(self, self.file.close)
        self.end = 0
        review = sorted({code for rule in form.review.units for code in rule.cells})
        self.review = {code: i for i, code in enumerate(review)}
        self.positions = {code: i for i, code in enumerate(form.cells)}
        self.review_at = [self.positions[code] for code in review]

    def keep(self, report: CheckedFile, path: Path) -> CheckedFile:
        """The report made small: its figures and texts written here, its path the one listed (not a copy of
        it), its identity what a summary says of it."""
        figures = report.figures
        report.path = path
        report.identity = {key: self._shared(report.identity[key]) for key in KEPT if key in report.identity}
        report.form_ref = self._shared(report.form_ref)
        if isinstance(figures, PackedFigures) and figures.form_ref == self.ref:
            texts = json.dumps(report.texts, ensure_ascii=False).encode("utf-8")
            packed = figures.packed.tobytes()
            self.file.seek(self.end)
            self.file.write(packed + texts)
            review = array("d", [figures.packed[i] for i in self.review_at])
            report.figures = _Spooled(self, self.end, len(packed), len(texts), review)
            report.texts = {}
            self.end += len(packed) + len(texts)
        return report

    def _shared(self, text: str) -> str:
        """One string for what many files say alike (the form, the year) and for what the roster says too."""
        return self.strings.setdefault(text, text)

    def read(self, start: int, size: int) -> bytes:
        self.file.seek(start)
        return self.file.read(size)


class _Spooled(Mapping[str, "float | None"]):
    """A merged file's figures, read from the spool when asked; its narrative texts with them (``texts()``)."""

    __slots__ = ("_review", "_size", "_spool", "_start", "_texts")

    def __init__(self, spool: _Spool, start: int, size: int, texts: int, review: array[float]) -> None:
        self._spool, self._start, self._size, self._texts, self._review = spool, start, size, texts, review

    @property
    def form_ref(self) -> str:
        return self._spool.ref

    @property
    def packed(self) -> array[float]:
        """Every figure in the form's cell order, NaN for blank."""
        values = array("d")
        values.frombytes(self._spool.read(self._start, self._size))
        return values

    def texts(self) -> dict[str, str]:
        return cast("dict[str, str]", json.loads(self._spool.read(self._start + self._size, self._texts)))

    def __getitem__(self, code: str) -> float | None:
        at = self._spool.review.get(code)
        value = self._review[at] if at is not None else self.packed[self._spool.positions[code]]
        return None if value != value else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._spool.form.cells)

    def __len__(self) -> int:
        return len(self._spool.form.cells)


def _row_of(figures: Mapping[str, float | None], form: Form) -> list[float | None]:
    """Every figure in the form's cell order (None for blank), read at once."""
    if isinstance(figures, (PackedFigures, _Spooled)) and load_form(figures.form_ref) is form:
        packed = figures.packed
        total = sum(packed)
        return [None if v != v else v for v in packed] if total != total else list[float | None](packed)
    return [figures[code] for code in form.cells]
