"""`nianbao demo`: the whole round trip on the bundled samples (LibreOffice-saved township workbooks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.collection.workspace import HAS_ERRORS, NOT_RECEIVED, PASSED, TO_VERIFY, Workspace
from nianbao.form import data_dir
from nianbao.form.spec import Form
from nianbao.io.roster import read_roster
from nianbao.operations.check import CheckOptions, check_all, check_file
from nianbao.operations.demo import LATE, NOT_YET, RETURNED, ROUND, TYPO, UNEXPLAINED
from nianbao.web.app import Settings, create_app


def test_demo_generates_fills_checks_and_merges(tmp_path: Path, form: Form) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = out / "彰武县2025年汇总.xlsx"
    assert f"汇总表已生成：{summary}" in result.output and "通过 24 个" in result.output
    samples = check_all([data_dir("samples") / "filled"])
    assert {r.path.suffix for r in samples} == {".xlsx", ".xls", ".ods"} and all(r.ok for r in samples)
    expected = {code: sum(r.figures[code] for r in samples) for code in form.cells}
    report = check_file(summary, CheckOptions(year=2025))
    assert report.ok and report.figures == pytest.approx(expected)
    assert len(list((out / RETURNED).glob("*.xlsx"))) == len(
        read_roster(data_dir("samples") / "zhangwu-county-roster.csv")
    )
    again = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert again.exit_code == 0, "a demo folder may be redone"
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    refused = CliRunner().invoke(main, ["demo", "--out", str(other)])
    assert refused.exit_code == 1 and (other / "keep.txt").exists()


def test_the_demo_never_deletes_what_it_did_not_make(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert CliRunner().invoke(main, ["demo", "--out", str(out)]).exit_code == 0
    (out / "说明.txt").write_text("我的笔记", encoding="utf-8")
    again = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert again.exit_code == 1 and "说明.txt" in again.output
    assert (out / "说明.txt").read_text(encoding="utf-8") == "我的笔记"


def test_the_demo_has_a_round_to_open_in_the_browser(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"nianbao serve -w {out / ROUND} --open" in result.output
    workspace = Workspace.open(out / ROUND)
    states = {u.unit_id: (u.state, u.late) for u in workspace.status().units}
    assert states[TYPO] == (HAS_ERRORS, False) and states[UNEXPLAINED] == (TO_VERIFY, False)
    assert states[LATE] == (PASSED, True) and all(states[u] == (NOT_RECEIVED, False) for u in NOT_YET)
    assert sum(state == (PASSED, False) for state in states.values()) == len(states) - 5
    client = create_app(Settings(out / ROUND)).test_client()
    board = client.get("/", base_url="http://127.0.0.1:8765").get_data(as_text=True)
    assert "已收 <strong>22/24</strong>" in board and "哈尔套镇" in board
