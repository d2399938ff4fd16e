"""总览: every unit of the round with its state, whom to call and what it was written; search, filters and sorting;
the completeness bars and the returns per day; the names to paste into a chat group; the files that are no unit's
return, each set aside with a note. Also the status as a workbook, and the record's revision for the page's
script."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import date, datetime

from flask import Response, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue as View

from nianbao.collection.contacts import unit_in_name
from nianbao.collection.reply import unit_letters
from nianbao.collection.workspace import NOT_RECEIVED, OFF_ROSTER, UNIDENTIFIED, RoundStatus, Version, Workspace
from nianbao.io.roster import Unit
from nianbao.io.tables import table_bytes
from nianbao.phrases import call_list, status_heading, status_table
from nianbao.problems import ERROR, NianbaoError
from nianbao.web.common import XLSX, number, said, status, workspace
from nianbao.web.overview import (
    EXTENDED,
    FILTERS,
    NEEDS_CALL,
    REJECTED,
    SORTS,
    WAITING,
    bars,
    chosen_rows,
    counts,
    returns_chart,
    rows_of,
)

MOST_QUERY = 50  # characters of a search


def board() -> View:
    opened, round_status = workspace(), status()
    guessed = guessed_units(opened, round_status)
    people = opened.contacts.people
    rows = rows_of(round_status, people, unit_letters(opened), {k: len(v) for k, v in guessed.items()})
    shown = request.args.get("state", "")
    shown = shown if shown in FILTERS else ""
    query = request.args.get("q", "").strip()[:MOST_QUERY]
    sort = request.args.get("sort", "order")
    sort = sort if sort in SORTS else "order"
    descending = request.args.get("desc") == "1"
    missing = [s for s in round_status.units if s.state == NOT_RECEIVED]
    troubled = [s for s in round_status.units if s.state in NEEDS_CALL]
    settings = opened.settings
    return render_template(
        "board.html",
        status=round_status,
        rows=chosen_rows(rows, shown, query, sort, descending),
        total=len(rows),
        counts=counts(rows),
        shown=shown,
        query=query,
        sort=sort,
        descending=descending,
        sorts=SORTS,
        extra_filters=(REJECTED, EXTENDED, WAITING),
        bars=bars(round_status),
        chart=returns_chart(round_status, date.today()),
        missing=call_list("未报单位", missing, people),
        troubled=call_list("有问题待改的单位", troubled, people),
        missing_count=len(missing),
        troubled_count=len(troubled),
        unidentified=[
            (v, OFF_ROSTER if v.unit_id else UNIDENTIFIED, _guess(v, guessed, opened))
            for v in round_status.unidentified
        ],
        office=opened.unit_name,
        first_error=_first_error,
        letters=round_status.without_workbook,
        can_send=bool(settings.smtp and settings.sender),
        revision=opened.revision(),
    )


def guessed_units(opened: Workspace, round_status: RoundStatus) -> dict[str, list[Version]]:
    """The files that are no unit's return, under the unit their names name (“五峰镇_年报.et”)."""
    found: dict[str, list[Version]] = {}
    for version in round_status.unidentified:
        unit = unit_in_name(version.name, opened.units)
        if unit is not None:
            found.setdefault(unit.unit_id, []).append(version)
    return found


def _guess(version: Version, guessed: dict[str, list[Version]], opened: Workspace) -> Unit | None:
    """The roster unit a file's name names, if any."""
    unit_id = next((unit_id for unit_id, files in guessed.items() if version in files), "")
    return next((u for u in opened.units if u.unit_id == unit_id), None) if unit_id else None


def _first_error(version: Version) -> str:
    return next((p.message for p in version.problems if p.severity == ERROR), "")


def dismiss() -> View:
    """Set aside a file that is no unit's return, or a letter that brought no workbook, with the clerk's note."""
    kind = request.form.get("kind", "")
    ref, note = number(request.form.get("ref")), request.form.get("note", "").strip()
    try:
        if kind not in ("file", "letter") or ref is None:
            raise NianbaoError("页面上的编号不对，未搁置；请刷新页面后重试")
        what = workspace().dismiss(kind, ref, note)
        flash(f"已搁置：{what}（写入操作记录）")
    except NianbaoError as exc:
        flash(said(exc), "error")
    return redirect(url_for("board") + "#unidentified")


def status_sheet() -> View:
    """The board as a workbook to hand on (报送情况表), with the roster's contacts."""
    round_status, opened = status(), workspace()
    header, rows = status_table(round_status, opened.roster_units, opened.decisions())
    heading = status_heading(round_status, opened.settings.office, datetime.now())
    data = table_bytes(".xlsx", "报送情况", header, rows, heading)
    name = f"报送情况_{round_status.year}年度_{time.strftime('%Y%m%d-%H%M')}.xlsx"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=XLSX)


def version() -> View:
    return Response(str(workspace().revision()), mimetype="text/plain", headers={"Cache-Control": "no-store"})


ROUTES: list[tuple[str, Callable[..., View], list[str]]] = [
    ("/", board, ["GET"]),
    ("/version", version, ["GET"]),
    ("/status.xlsx", status_sheet, ["GET"]),
    ("/dismiss", dismiss, ["POST"]),
]
