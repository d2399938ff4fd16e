"""Undo and change (issue #20): accept --undo, a new deadline, files and letters set aside, a 来信无统计表 notice
that clears itself, a clock set back; and the words of every problem on `status` and `history`. Each change is
logged with who and why."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

import pytest

from nianbao.collection import intake
from nianbao.collection.mail import RawMail
from nianbao.collection.workspace import HAS_ERRORS, NOT_RECEIVED, PASSED, TO_VERIFY, Workspace
from nianbao.form.spec import Form
from tests.helpers.mailbuild import CHINA, message
from tests.helpers.workbooks import edited, put
from tests.test_reply import ADDRESSES, UNITS, run
from tests.test_reply import workspace as workspace


def test_an_acceptance_is_taken_back_with_a_reason_and_logged(workspace: Workspace) -> None:
    unit = "210922101"  # its P1 warning
    assert run("accept", unit, "--all", "--note", "电话核实", "-w", workspace.root).exit_code == 0
    assert workspace.state_of(unit).state == PASSED
    refused = run("accept", unit, "--undo", "--note", " ", "-w", workspace.root)
    assert refused.exit_code == 1 and "（--note）" in refused.output
    undone = run("accept", unit, "--undo", "--rule", "P1", "--note", "核实有误", "-w", workspace.root)
    assert undone.exit_code == 0 and "已撤销 1 个认可" in undone.output and TO_VERIFY in undone.output
    assert run("accept", unit, "--undo", "--note", "再撤", "-w", workspace.root).exit_code == 1  # nothing left
    errors = run("accept", "210922100", "--all", "--note", "试图认可", "-w", workspace.root)
    assert errors.exit_code == 1 and "错误不能认可" in errors.output, errors.output
    log = run("log", "-w", workspace.root).output
    assert "撤销认可：哈尔套镇（210922101）“规章一般应为 0”（1 个）：核实有误" in log


def test_the_round_s_deadline_changes_and_judges_again(workspace: Workspace) -> None:
    before = workspace.status()
    assert before.overdue == 2 and before.on_time == 3  # mailed 2026-01-12, the deadline 2026-01-20
    later = date.today() + timedelta(days=30)
    moved = run("deadline", later.isoformat(), "--note", "市里通知延后", "-w", workspace.root)
    assert moved.exit_code == 0 and "由 2026-01-20 改为" in moved.output, moved.output
    reopened = Workspace.open(workspace.root)
    assert reopened.deadline == later and reopened.status().overdue == 0
    assert f"修改截止日期：2026-01-20 → {later.isoformat()}：市里通知延后" in run("log", "-w", workspace.root).output
    assert run("deadline", "2026-13-40", "--note", "x", "-w", workspace.root).exit_code != 0


def test_a_stray_file_and_a_letter_are_set_aside_and_brought_back(workspace: Workspace, tmp_path: Path) -> None:
    stray = tmp_path / "会议通知.docx"
    stray.write_bytes(b"PK\x03\x04 not a report")
    workspace.receive([stray])
    letter = message("<stranger@else.example>", "你好", [], body="请问截止日期")
    list(workspace.receive_mail([RawMail("letter.eml", letter.as_bytes())]))
    status = workspace.status()
    ((file,), (note,)) = status.unidentified, status.without_workbook
    shown = run("status", "-w", workspace.root).output
    assert f"（文件 {file.id}）" in shown and f"（来信 {note.id}）" in shown
    assert run("dismiss", "--file", file.id, "--note", "误发", "-w", workspace.root).exit_code == 0
    assert run("dismiss", "--letter", note.id, "--note", "不是报送", "-w", workspace.root).exit_code == 0
    status = workspace.status()
    assert status.unidentified == [] and status.without_workbook == [] and status.set_aside == 2
    assert run("dismiss", "--file", file.id, "--note", "再次", "-w", workspace.root).exit_code == 1
    back = run("dismiss", "--file", file.id, "--undo", "--note", "需要看", "-w", workspace.root)
    assert back.exit_code == 0 and [v.id for v in workspace.status().unidentified] == [file.id]
    a_return = next(s.counted for s in status.units if s.counted)
    assert run("dismiss", "--file", a_return.id, "--note", "x", "-w", workspace.root).exit_code == 1  # not stray
    log = run("log", "-w", workspace.root).output
    assert "搁置文件" in log and "搁置来信" in log and "恢复文件" in log and "需要看" in log


def test_a_letter_without_a_workbook_clears_itself_when_the_unit_sends_its_table(
    workspace: Workspace,
    form: Form,
) -> None:
    unit = UNITS[3]  # 冯家镇: nothing received yet
    address = ADDRESSES[unit.unit_id]
    asked = message(address, "报告已发布", [], body="报告已在网站发布", when=datetime(2026, 1, 15, 9, tzinfo=CHINA))
    list(workspace.receive_mail([RawMail("asked.eml", asked.as_bytes())]))
    assert [letter.sender for letter in workspace.status().without_workbook] == [address]
    blank = next((workspace.root / "空白表格").glob(f"*{unit.unit_id}*"))
    filled = edited(blank.read_bytes(), lambda wb: put(wb, form, {"T2.R01.C1": 0}))
    when = datetime(2026, 1, 16, tzinfo=CHINA)
    sent = message("someone@other.example", "统计表", [(blank.name, filled)], when=when)  # a colleague's address
    list(workspace.receive_mail([RawMail("table.eml", sent.as_bytes())]))
    assert workspace.state_of(unit.unit_id).state != NOT_RECEIVED
    assert workspace.status().without_workbook == []  # its roster address wrote; the unit has sent since


def test_a_file_taken_in_with_the_clock_set_back_counts_as_the_newest_and_is_said(
    workspace: Workspace,
    form: Form,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = "210922100"  # its version came by mail, dated 2026-01-12; this PC's clock now says 2025
    state = workspace.state_of(unit)
    assert state.state == HAS_ERRORS and state.counted
    fixed = tmp_path / "彰武镇-改.xlsx"
    fixed.write_bytes(
        edited(workspace.stored_path(state.counted).read_bytes(), lambda wb: put(wb, form, {"T3.R01.C1": 5}))
    )
    clock = datetime(2025, 6, 1, 9, 0).astimezone()

    class SetBack(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> SetBack:
            return cls.fromtimestamp(clock.timestamp(), tz)

    monkeypatch.setattr(intake, "datetime", SetBack)
    shown = run("receive", fixed, "-w", workspace.root)
    monkeypatch.undo()
    assert shown.exit_code == 0 and "时钟" in shown.output, shown.output
    now = workspace.state_of(unit)
    assert now.counted and now.counted.version == 2 and now.counted.received_at == state.counted.received_at


def test_status_and_history_say_every_problem_in_words(workspace: Workspace) -> None:
    workspace.reject("210922104", "叙述部分是别的单位的")
    shown = run("status", "-w", workspace.root).output
    assert "✗ 表三" in shown and "5件" in shown  # 彰武镇's error: sheet, cell and what was typed
    assert "⚠ 表二" in shown and "规章" in shown  # 哈尔套镇's P1 warning
    assert "✗ 审核退回：叙述部分是别的单位的" in shown
    brief = run("status", "--brief", "-w", workspace.root).output.splitlines()
    assert len(brief) == 2 + len(UNITS) and not any(line.lstrip().startswith(("⚠", "✗")) for line in brief)
    history = run("history", "210922104", "-w", workspace.root).output
    assert "发件人 someone@town.example" in history
    assert "退回（" in history and "叙述部分是别的单位的" in history
    workspace.accept("210922101", "本镇确有 1 件规章备案", rule="P1")
    accepted = run("history", "210922101", "-w", workspace.root).output
    assert "认可：P1" in accepted and "本镇确有 1 件规章备案" in accepted and "⚠ 表二" in accepted


def test_a_return_sent_from_another_unit_s_address_waits_for_the_clerk(
    workspace: Workspace,
    form: Form,
) -> None:
    unit = UNITS[3]  # 冯家镇; its workbook comes from 彰武镇's address
    blank = next((workspace.root / "空白表格").glob(f"*{unit.unit_id}*"))
    filled = edited(blank.read_bytes(), lambda wb: put(wb, form, {"T2.R01.C1": 0}))
    sent = message(ADDRESSES["210922100"], "统计表", [(blank.name, filled)], when=datetime(2026, 1, 16, tzinfo=CHINA))
    list(workspace.receive_mail([RawMail("other.eml", sent.as_bytes())]))
    state = workspace.state_of(unit.unit_id)
    (flag,) = [w for w in state.open_warnings if w.code == "SENDER_OTHER_UNIT"]
    assert "210922100 彰武镇" in flag.message and "210922103 冯家镇" in flag.message
    accepted = run(
        "accept", unit.unit_id, "--rule", "SENDER_OTHER_UNIT", "--note", "电话核实：代发", "-w", workspace.root
    )
    assert accepted.exit_code == 0, accepted.output
    assert not [w for w in workspace.state_of(unit.unit_id).open_warnings if w.code == "SENDER_OTHER_UNIT"]
