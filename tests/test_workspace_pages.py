"""What the web page needs from the workspace (issue #13): who acts, the record's revision, files by number,
annotated copies of stored files and summaries under names of their own."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from nianbao.collection.workspace import SUMMARY_DIR, Workspace
from nianbao.operations.check import PROBLEM_SHEET
from nianbao.problems import NianbaoError
from tests.test_workspace import ROSTER, sample


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, deadline="2026-01-20", unit_id="210922", unit_name="彰武县")
    return ws


def test_the_user_named_in_the_log_and_decisions(workspace: Workspace) -> None:
    web = Workspace.open(workspace.root, user="张三（网页）")
    web.receive([sample("210922103")])
    web.use("冯家镇", 1, "核对过")
    assert [e.user for e in web.log()[:2]] == ["张三（网页）", "张三（网页）"]
    assert web.db.execute("SELECT user FROM pins").fetchone()["user"] == "张三（网页）"
    assert workspace.log()[-1].user == workspace.user != "张三（网页）"  # init: the operating system's user


def test_revision_grows_with_every_change(workspace: Workspace) -> None:
    first = workspace.revision()
    workspace.receive([sample("210922100")])
    second = workspace.revision()
    workspace.receive([sample("210922100")])  # the same bytes again: logged, nothing new recorded
    assert first < second < workspace.revision()
    assert Workspace.open(workspace.root).revision() == workspace.revision()  # another connection sees it


def test_files_by_number_only(workspace: Workspace) -> None:
    (received,) = workspace.receive([sample("210922100")])
    assert received.version is not None
    version = workspace.file(received.version.id)
    assert workspace.stored_path(version).read_bytes() == sample("210922100").read_bytes()
    with pytest.raises(NianbaoError, match="没有编号为 999 的文件"):
        workspace.file(999)
    workspace.db.execute("UPDATE files SET stored = '../名单.csv' WHERE id = ?", (version.id,))  # a tampered record
    with pytest.raises(NianbaoError, match="不在 收到的文件/ 中"):
        workspace.stored_path(workspace.file(version.id))


def test_annotated_copy_of_a_stored_file(workspace: Workspace, tmp_path: Path) -> None:
    (received,) = workspace.receive([sample("210922103")])  # 冯家镇: a P1 warning
    assert received.version is not None
    target = tmp_path / "标注.xlsx"
    assert workspace.annotate(received.version.id, target)
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[0] == PROBLEM_SHEET and "P1" in str([c.value for c in book[PROBLEM_SHEET]["G"]])
    assert workspace.stored_path(received.version).read_bytes() == sample("210922103").read_bytes()


def test_summaries_under_names_of_their_own(workspace: Workspace) -> None:
    assert workspace.summaries() == []
    first = workspace.summary_target()
    assert first.parent == workspace.root / SUMMARY_DIR and first.name.startswith("彰武县2025年汇总_")
    first.parent.mkdir()
    first.write_bytes(b"x")
    second = workspace.summary_target()
    assert second != first and second.suffix == ".xlsx"
    shutil.copy(first, second)
    assert set(workspace.summaries()) == {first, second}
