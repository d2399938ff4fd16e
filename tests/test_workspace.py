"""A collection round in a workspace (issue #11): init, receive in batches, states, acceptance, history, pinning,
the log, and a merge that equals the stateless merge of the versions that count."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from nianbao.cli import main
from nianbao.collection.intake import Intake
from nianbao.collection.mail import RawMail
from nianbao.collection.record import schema as store
from nianbao.collection.workspace import (
    HAS_ERRORS,
    KNOWN,
    NEW,
    NOT_RECEIVED,
    PASSED,
    REFUSED,
    TO_VERIFY,
    Workspace,
)
from nianbao.form import data_dir
from nianbao.form.spec import Form, load_form
from nianbao.io.roster import Unit, read_roster
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.merge import merge
from nianbao.problems import MESSAGES, NianbaoError
from tests.helpers.workbooks import blank_workbook, edited, put

SAMPLES = data_dir("samples")
ROSTER = SAMPLES / "zhangwu-county-roster.csv"
FILLED = SAMPLES / "filled"
DEADLINE = datetime(2026, 1, 20, 17, 0)


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def sample(unit_id: str) -> Path:
    (path,) = [p for p in FILLED.iterdir() if unit_id in p.name]
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, deadline="2026-01-20", unit_id="210922", unit_name="彰武县")
    return ws


def state_of(ws: Workspace, unit_id: str) -> str:
    return next(u.state for u in ws.status().units if u.unit_id == unit_id)


def test_a_whole_round(tmp_path: Path, form: Form, workspace: Workspace) -> None:
    units = read_roster(ROSTER)
    inbox = [tmp_path / f"batch{i}" for i in range(3)]
    for folder in inbox:
        folder.mkdir()
    first, second = units[:10], units[10:]
    # Batch 1, on time: ten townships, one of them with a typing error, and a stray file.
    for unit in first[1:]:
        shutil.copy(sample(unit.unit_id), inbox[0])
    wrong = edited(_xlsx(first[0].unit_id), lambda wb: put(wb, form, {"T3.R01.C1": "5件"}))
    (inbox[0] / f"{first[0].unit_name}.xlsx").write_bytes(wrong)
    (inbox[0] / "会议通知.docx").write_bytes(b"PK\x03\x04 a Word file")
    results = workspace.receive([inbox[0]], received_at=DEADLINE - timedelta(days=3))
    assert sum(r.outcome == NEW for r in results) == 11
    assert state_of(workspace, first[0].unit_id) == HAS_ERRORS
    explained = next(u for u in workspace.status().units if u.unit_name == "冯家镇")  # P1, explained in the workbook
    assert explained.state == PASSED and explained.counted and explained.counted.warnings == 1
    assert "规章" in explained.counted.explanation
    status = workspace.status()
    assert status.received == 10 and status.count(NOT_RECEIVED) == 14 and len(status.unidentified) == 1

    # Batch 2, late: the rest, the correction, a duplicate of batch 1, and one unit's 规章 typed as 1 (P1 warning).
    for unit in second[1:]:
        shutil.copy(sample(unit.unit_id), inbox[1])
    shutil.copy(sample(first[0].unit_id), inbox[1] / "更正.xlsx")
    shutil.copy(sample(first[1].unit_id), inbox[1] / "重发.xlsx")
    rules = edited(_xlsx(second[0].unit_id), lambda wb: put(wb, form, {"T2.R01.C1": 1.0}))
    (inbox[1] / f"{second[0].unit_name}.xlsx").write_bytes(rules)
    results = workspace.receive([inbox[1]], received_at=DEADLINE + timedelta(days=2))
    assert [r.outcome for r in results if r.path.name == "重发.xlsx"] == [KNOWN]
    assert state_of(workspace, first[0].unit_id) == PASSED
    assert state_of(workspace, second[0].unit_id) == TO_VERIFY
    status = workspace.status()
    assert status.received == 24 and status.count(PASSED) == 23
    late = {u.unit_id for u in status.units if u.late}
    # Timeliness follows the first return: the correction after the deadline does not make 彰武镇 late.
    assert first[0].unit_id not in late and first[1].unit_id not in late and second[1].unit_id in late
    first_return = (DEADLINE - timedelta(days=3)).date().isoformat()
    assert status.on_time == 10 and workspace.state_of(first[0].unit_id).first_at.startswith(first_return)

    # Not every unit has passed: the workspace merge refuses and names who blocks.
    summary = tmp_path / "county.xlsx"
    blocked = run("merge", "-w", workspace.root, "--out", summary)
    assert blocked.exit_code == 1 and second[0].unit_id in blocked.output and "待核实" in blocked.output
    assert not summary.exists()

    # The reviewer accepts the warning; an error could not be accepted.
    with pytest.raises(NianbaoError, match="没有"):
        workspace.accept(first[0].unit_id, "试图认可", rule="S1")
    accepted = run(
        "accept", second[0].unit_id, "--rule", "P1", "--note", "电话核实：本镇确有 1 件", "-w", workspace.root
    )
    assert accepted.exit_code == 0 and PASSED in accepted.output

    # Batch 3: the same file again changes nothing.
    shutil.copy(sample(units[5].unit_id), inbox[2] / "又一份.xlsx")
    assert [r.outcome for r in workspace.receive([inbox[2]])] == [KNOWN]

    # History and the differences between the erroneous return and its correction.
    shown = run("history", first[0].unit_id, "-w", workspace.root)
    assert "第 1 版" in shown.output and "第 2 版" in shown.output and "← 计入" in shown.output
    diff = run("history", first[0].unit_id, "--diff", 1, 2, "-w", workspace.root)
    cell = form.cells["T3.R01.C1"]
    assert f"{cell.sheet}!{cell.a1}" in diff.output and "“5件”" in diff.output
    log = run("log", "-w", workspace.root)
    for words in ("建立工作区", "收文件", "认可警告"):
        assert words in log.output

    # The merge: every unit passed; the same figures as merging the counted versions without a workspace.
    merged = run("merge", "-w", workspace.root, "--out", summary, "--json", tmp_path / "m.json")
    assert merged.exit_code == 0, merged.output
    counted = [workspace.root / u.counted.stored for u in workspace.status().units if u.counted]
    plain = merge(counted, ROSTER, 2025, tmp_path / "plain.xlsx", unit_id="210922", unit_name="彰武县")
    assert plain.complete and json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["complete"]
    assert _sums(summary, form) == plain.sums
    facts = _status_rows(summary)
    accepted_row = next(r for r in facts if r["单位编码"] == second[0].unit_id)
    assert "电话核实" in accepted_row["认可的警告"] and accepted_row["迟交"] == "迟交"
    assert next(r for r in facts if r["单位编码"] == first[0].unit_id)["计入版本"] == "第 2 版"


def test_an_acceptance_carries_over_only_while_the_figures_it_read_stay(
    tmp_path: Path, form: Form, workspace: Workspace
) -> None:
    unit = read_roster(ROSTER)[4]
    for n, (rules, applications) in enumerate([(1.0, None), (1.0, 7.0), (2.0, 7.0)]):
        changes: dict[str, object] = {"T2.R01.C1": rules}
        if applications is not None:
            changes["T2.R02.C1"] = applications
        path = tmp_path / f"v{n}.xlsx"
        path.write_bytes(edited(_xlsx(unit.unit_id), lambda wb, c=changes: put(wb, form, c)))
        workspace.receive([path])
        if n == 0:
            assert state_of(workspace, unit.unit_id) == TO_VERIFY
            workspace.accept(unit.unit_id, "本镇确有 1 件", rule="P1")
        expected = PASSED if rules == 1.0 else TO_VERIFY  # v2 changed another figure, v3 the one P1 reads
        assert state_of(workspace, unit.unit_id) == expected, n


def test_pinning_an_earlier_version(tmp_path: Path, form: Form, workspace: Workspace) -> None:
    unit = read_roster(ROSTER)[0]
    wrong = tmp_path / "wrong.xlsx"
    wrong.write_bytes(edited(_xlsx(unit.unit_id), lambda wb: put(wb, form, {"T3.R01.C1": "/"})))
    workspace.receive([sample(unit.unit_id)])
    workspace.receive([wrong])
    assert state_of(workspace, unit.unit_id) == HAS_ERRORS
    used = run("use", unit.unit_name, "1", "--note", "第 2 版是误发的旧表", "-w", workspace.root)
    assert used.exit_code == 0 and "计入第 1 版" in used.output
    assert state_of(workspace, unit.unit_id) == PASSED
    run("use", unit.unit_id, "最新", "--note", "恢复", "-w", workspace.root)
    assert state_of(workspace, unit.unit_id) == HAS_ERRORS
    assert run("use", unit.unit_id, "9", "--note", "x", "-w", workspace.root).exit_code == 1
    huge = "99999999999999999999"  # more than SQLite's integers hold: no such version, not an internal error
    assert f"没有第 {huge} 版" in run("use", unit.unit_id, huge, "--note", "x", "-w", workspace.root).output
    assert "没有第" in run("history", unit.unit_id, "--diff", huge, "1", "-w", workspace.root).output


def test_a_version_received_with_a_later_one_is_shown_with_its_own_errors(
    tmp_path: Path, form: Form, workspace: Workspace
) -> None:
    unit = read_roster(ROSTER)[0]
    inbox = tmp_path / "收件"
    inbox.mkdir()
    (inbox / "1-旧表.xlsx").write_bytes(edited(_xlsx(unit.unit_id), lambda wb: put(wb, form, {"T3.R01.C1": "/"})))
    (inbox / "2-改好的.xlsx").write_bytes(sample(unit.unit_id).read_bytes())
    done = run("receive", inbox, "-w", workspace.root)
    old, new = [line for line in done.output.splitlines() if "第 " in line and "版" in line]
    assert old.startswith("✗ 1-旧表.xlsx") and "错误 1 个" in old and "不是计入的版本" in old, old
    assert PASSED not in old.split("（")[0], old  # the unit passed, this version did not
    assert new.startswith("✓ 2-改好的.xlsx") and PASSED in new and "不是计入" not in new, new


def test_a_name_two_roster_units_share_is_not_guessed(tmp_path: Path) -> None:
    roster = tmp_path / "名单.csv"
    roster.write_text("单位编码,单位名称\n210922100,彰武镇\n210922101,哈尔套镇\n210922199,彰武镇\n", encoding="utf-8")
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    commands = (
        ["history", "彰武镇"],
        ["accept", "彰武镇", "--all", "--note", "核实过"],
        ["use", "彰武镇", "1", "--note", "x"],
    )
    for command in commands:
        done = run(*command, "-w", ws.root)
        assert done.exit_code == 1 and "210922100" in done.output and "210922199" in done.output, done.output
        assert "单位编码" in done.output
    assert ws.unit_named("210922199").unit_id == "210922199" and ws.unit_named("哈尔套镇").unit_id == "210922101"


def test_receiving_the_workspace_folder_itself_takes_none_of_its_own_files(workspace: Workspace) -> None:
    workspace.receive([sample("210922100")])
    inbox = workspace.root / "收件箱"  # a folder of the clerk's inside the workspace is received as usual
    inbox.mkdir()
    shutil.copy(sample("210922101"), inbox)
    done = run("receive", workspace.root, "-w", workspace.root)  # as `nianbao receive .` in the workspace
    assert done.exit_code == 0, done.output
    status = workspace.status()
    assert [u.unit_id for u in status.units if u.counted] == ["210922100", "210922101"]
    assert all(u.counted.errors == 0 for u in status.units if u.counted) and not status.unidentified
    assert "工作区自己的文件" in done.output and "新版本 1 个" in done.output, done.output


def test_the_annotated_copy_sent_back_unchanged_is_no_new_version(tmp_path: Path, workspace: Workspace) -> None:
    from tests.helpers.mailbuild import message

    (first,) = workspace.receive([sample("210922103")])  # 冯家镇: a warning, so a copy is annotated
    assert first.version is not None and workspace.annotate(first.version.id, tmp_path / "标注.xlsx")
    copy = (tmp_path / "标注.xlsx").read_bytes()
    (again,) = workspace.receive([tmp_path / "标注.xlsx"])
    assert again.outcome == "refused" and again.reason == MESSAGES["ANNOTATED_COPY"], again
    reply = message("冯家镇 <fjz@town.example>", "Re: 审核意见", [("冯家镇_问题标注.xlsx", copy)])
    (mailed,) = workspace.receive_mail([RawMail("回信.eml", reply.as_bytes())])  # a reply quoting our copy
    assert [f.outcome for f in mailed.files] == ["refused"]
    state = workspace.state_of("210922103")
    assert state.versions == 1 and state.counted is not None and state.counted.id == first.version.id


def test_status_json_and_finding_the_workspace_from_a_subfolder(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.receive([FILLED])
    inner = workspace.root / "收到的文件"
    monkeypatch.chdir(inner)
    shown = run("status", "--json")
    data = json.loads(shown.output)
    assert data["units"] == 24 and data["received"] == 24 and data["states"][PASSED] == 24
    assert [u["unit_id"] for u in data["roster"]] == [u.unit_id for u in read_roster(ROSTER)]
    monkeypatch.chdir(tmp_path)
    outside = run("status")
    assert outside.exit_code == 1 and "不是工作区" in outside.output


def test_init_refuses_a_folder_that_holds_a_workspace(workspace: Workspace) -> None:
    again = run("init", workspace.root, "--roster", ROSTER, "--year", 2025)
    assert again.exit_code == 1 and "已经有一个工作区" in again.output


def test_received_files_are_kept_byte_for_byte_and_inputs_untouched(tmp_path: Path, workspace: Workspace) -> None:
    before = {p.name: p.read_bytes() for p in FILLED.iterdir()}
    workspace.receive([FILLED])
    assert {p.name: p.read_bytes() for p in FILLED.iterdir()} == before
    kept = sorted(p.read_bytes() for p in (workspace.root / "收到的文件").iterdir())
    assert kept == sorted(before.values())


def test_a_damaged_or_foreign_database_is_a_clear_error(tmp_path: Path, workspace: Workspace) -> None:
    workspace.close()
    database = workspace.root / store.DATABASE
    database.write_bytes(b"not a database at all" * 100)
    with pytest.raises(NianbaoError, match="已损坏"):
        Workspace.open(workspace.root)
    database.unlink()
    sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(NianbaoError, match="不是 nianbao 工作区"):
        Workspace.open(workspace.root)


def test_migrations_bring_an_old_record_up_to_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025)
    ws.receive([sample("210922100")])
    ws.close()
    later = [*store.MIGRATIONS, "ALTER TABLE files ADD COLUMN reviewed TEXT NOT NULL DEFAULT '';"]
    monkeypatch.setattr(store, "MIGRATIONS", later)
    monkeypatch.setattr(store, "SCHEMA_VERSION", len(later))
    reopened = Workspace.open(tmp_path / "ws")
    assert reopened.db.execute("PRAGMA user_version").fetchone()[0] == len(later)
    assert [tuple(row) for row in reopened.db.execute("SELECT reviewed FROM files")] == [("",)]
    assert reopened.status().received == 1
    reopened.close()
    monkeypatch.setattr(store, "MIGRATIONS", later[:1])
    monkeypatch.setattr(store, "SCHEMA_VERSION", 1)
    with pytest.raises(NianbaoError, match="更新版本"):
        Workspace.open(tmp_path / "ws")


def _xlsx(unit_id: str) -> bytes:
    """A sample township's workbook as .xlsx (some samples are .xls/.ods: those are rebuilt from what was typed)."""
    path = sample(unit_id)
    if path.suffix == ".xlsx":
        return path.read_bytes()
    checked = check_file(path, CheckOptions())
    form = load_form()
    unit = Unit(checked.unit_id, checked.unit_name)
    return edited(blank_workbook(form, unit), lambda wb: put(wb, form, checked.raw))


def _sums(path: Path, form: Form) -> dict[str, float | None]:
    return dict(check_file(path, CheckOptions()).figures)


def _status_rows(path: Path) -> list[dict[str, object]]:
    rows = list(openpyxl.load_workbook(path)["报送情况"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_a_workspace_copied_elsewhere_keeps_working(tmp_path: Path, workspace: Workspace) -> None:
    workspace.receive([FILLED])
    workspace.close()
    moved = Path(shutil.copytree(workspace.root, tmp_path / "另一台电脑" / "工作区"))
    shutil.rmtree(workspace.root)
    reopened = Workspace.open(moved)
    assert reopened.status().count(PASSED) == 24
    result = reopened.merge(tmp_path / "county.xlsx")
    assert result.summary is not None and result.summary.complete


def test_a_file_that_changes_while_it_is_received_is_refused_not_recorded(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def changed(self: Intake, path: Path, digest: str) -> Path:
        raise ValueError(path)  # what _copy says when the file no longer holds the bytes that were hashed

    monkeypatch.setattr(Intake, "_copy", changed)
    (result,) = workspace.receive([sample("210922100")])
    assert result.outcome == REFUSED and "被改动" in result.reason
    assert workspace.status().received == 0
