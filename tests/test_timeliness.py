"""Timeliness as statistics offices count it (issue #20): a unit's 报送时间 is its first return, whatever its
errors; a correction, or an answer to the clerk's 退回, never makes it late; 按时率 = units whose first return came
by their own deadline ÷ roster units; a unit with nothing past its deadline is 逾期未报, so many days. A scripted
round of the LibreOffice-filled samples, by mail and from a folder, and the same judgement wherever it is shown:
status, status --json, the board, the 报送情况表 and the summary's status sheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from nianbao.cli import main
from nianbao.collection.mail import RawMail
from nianbao.collection.workspace import HAS_ERRORS, PASSED, Workspace
from nianbao.form.spec import Form
from nianbao.io.roster import read_roster
from nianbao.web.app import Settings, create_app
from tests.helpers.mailbuild import CHINA, message
from tests.helpers.workbooks import edited, put
from tests.test_workspace import FILLED, ROSTER, _xlsx, sample

DEADLINE = date(2026, 1, 20)
BEFORE = datetime(2026, 1, 18, 10, 0, tzinfo=CHINA)
AFTER = datetime(2026, 1, 22, 15, 0, tzinfo=CHINA)
UNITS = read_roster(ROSTER)
CORRECTED, SENT_BACK, NOTHING, LATE_FIRST = UNITS[0], UNITS[1], UNITS[2], UNITS[3]


def mail(unit_id: str, data: bytes, arrived: datetime) -> RawMail:
    sent = message(f"<{unit_id}@town.example>", "年报", [(f"{unit_id}.xlsx", data)], when=arrived, arrived=arrived)
    return RawMail(f"{unit_id}-{arrived:%d}.eml", sent.as_bytes())


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def round_(tmp_path_factory: pytest.TempPathFactory, form: Form) -> Workspace:
    root = tmp_path_factory.mktemp("timeliness")
    ws, _ = Workspace.create(root / "ws", ROSTER, 2025, deadline=DEADLINE.isoformat(), password="x")
    special = {u.unit_id for u in (CORRECTED, SENT_BACK, NOTHING, LATE_FIRST)}
    others = [p for p in FILLED.iterdir() if not any(unit_id in p.name for unit_id in special)]
    ws.receive(others, received_at=BEFORE - timedelta(days=1))  # from a folder, on time
    wrong = edited(_xlsx(CORRECTED.unit_id), lambda wb: put(wb, form, {"T3.R01.C1": "5件"}))
    first = [mail(CORRECTED.unit_id, wrong, BEFORE), mail(SENT_BACK.unit_id, _xlsx(SENT_BACK.unit_id), BEFORE)]
    assert all(r.outcome == "new" for r in ws.receive_mail(first))
    assert ws.state_of(CORRECTED.unit_id).state == HAS_ERRORS
    ws.reject(SENT_BACK.unit_id, "表三新收申请数与台账不符，请核对")  # the county sends it back …
    answered = edited(_xlsx(SENT_BACK.unit_id), lambda wb: put(wb, form, {"T2.R01.C1": 0}))
    later = [  # … after the deadline come the correction, the answer, and one unit's first return
        mail(CORRECTED.unit_id, sample(CORRECTED.unit_id).read_bytes(), AFTER),
        mail(SENT_BACK.unit_id, answered, AFTER),
        mail(LATE_FIRST.unit_id, _xlsx(LATE_FIRST.unit_id), AFTER),
    ]
    assert all(r.outcome == "new" for r in ws.receive_mail(later))
    return ws


def test_the_first_return_decides_and_corrections_never_make_a_unit_late(round_: Workspace) -> None:
    status = round_.status()
    late = {u.unit_id for u in status.units if u.late}
    assert late == {LATE_FIRST.unit_id}
    corrected, answered = round_.state_of(CORRECTED.unit_id), round_.state_of(SENT_BACK.unit_id)
    assert corrected.state == PASSED and corrected.versions == 2 and corrected.first_at.startswith("2026-01-18")
    assert answered.state == PASSED and not answered.late and answered.counted and answered.counted.version == 2
    overdue = (date.today() - DEADLINE).days
    assert {u.unit_id: u.overdue for u in status.units if u.overdue} == {NOTHING.unit_id: overdue}
    assert status.on_time == len(UNITS) - 2 and status.received == len(UNITS) - 1


def test_every_place_a_clerk_reads_says_the_same(round_: Workspace, tmp_path: Path) -> None:
    overdue = f"逾期未报 {(date.today() - DEADLINE).days} 天"
    rate = f"按时率 {(len(UNITS) - 2) / len(UNITS):.0%}"
    shown = run("status", "-w", round_.root).output
    lines = {u.unit_id: next(line for line in shown.splitlines() if f" {u.unit_id} " in line) for u in UNITS[:4]}
    assert rate in shown and "迟交" in lines[LATE_FIRST.unit_id] and overdue in lines[NOTHING.unit_id]
    assert "迟交" not in lines[CORRECTED.unit_id] + lines[SENT_BACK.unit_id]

    data = json.loads(run("status", "--json", "-w", round_.root).output)
    by_unit = {u["unit_id"]: u for u in data["roster"]}
    assert data["on_time"] == len(UNITS) - 2 and data["overdue"] == 1
    assert [u for u, v in by_unit.items() if v["late"]] == [LATE_FIRST.unit_id]
    assert by_unit[NOTHING.unit_id]["overdue_days"] == (date.today() - DEADLINE).days
    assert by_unit[CORRECTED.unit_id]["first_at"].startswith("2026-01-18")

    client = create_app(Settings(round_.root)).test_client()
    board = client.get("/", headers={"Host": "127.0.0.1:8765"}).get_data(as_text=True)
    rows = {u.unit_id: board[board.index(f"<td>{u.unit_id}</td>") :].split("</tr>")[0] for u in UNITS[:4]}
    assert rate.replace("按时率 ", "") in board and "迟交" in rows[LATE_FIRST.unit_id]
    assert overdue in rows[NOTHING.unit_id]
    assert "迟交" not in rows[CORRECTED.unit_id] + rows[SENT_BACK.unit_id]

    sheet = tmp_path / "报送情况.csv"
    assert run("status", "--out", sheet, "-w", round_.root).exit_code == 0
    table = {row["单位编码"]: row for row in csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig")))}
    assert {u: r["按时情况"] for u, r in table.items() if r["按时情况"]} == {
        LATE_FIRST.unit_id: "迟交",
        NOTHING.unit_id: overdue,
    }
    assert table[CORRECTED.unit_id]["报送时间"].startswith("2026-01-18")

    summary = tmp_path / "汇总.xlsx"
    run("merge", "-w", round_.root, "--allow-missing", "--out", summary)
    rows_ = list(openpyxl.load_workbook(summary)["报送情况"].iter_rows(values_only=True))
    marks = {row[rows_[0].index("单位编码")]: row[rows_[0].index("迟交")] for row in rows_[1:]}
    assert {u: m for u, m in marks.items() if m} == {LATE_FIRST.unit_id: "迟交", NOTHING.unit_id: overdue}
