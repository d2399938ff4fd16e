"""The record kept safe (issue #21): a stale -wal from another copy of the folder is set aside, not replayed; a
full disk is a full disk, not a damaged record; the -wal is folded in when the workspace closes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from nianbao.collection.record.schema import DATABASE
from nianbao.collection.workspace import Workspace
from nianbao.problems import NianbaoError
from tests.test_workspace import ROSTER, sample

UNIT, OTHER = "210922100", "210922101"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, deadline="2026-01-20", password="x")
    ws.receive([sample(UNIT), sample(OTHER)])
    return ws


def test_closing_folds_the_wal_into_the_record(workspace: Workspace) -> None:
    workspace.extend(UNIT, workspace.deadline.replace(day=25), "出差")  # type: ignore[union-attr]
    workspace.close()
    wal = workspace.root / f"{DATABASE}-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_stale_wal_from_another_copy_is_set_aside_not_replayed(workspace: Workspace, tmp_path: Path) -> None:
    database = workspace.root / DATABASE
    reader = sqlite3.connect(database)  # the page, still running: its connection keeps the -wal alive
    reader.execute("SELECT COUNT(*) FROM log").fetchone()
    workspace.extend(UNIT, workspace.deadline.replace(day=25), "出差")  # type: ignore[union-attr]
    old_wal = tmp_path / "copied-wal"
    shutil.copyfile(database.with_name(f"{DATABASE}-wal"), old_wal)  # the folder copied meanwhile
    reader.close()
    workspace.close()
    later = Workspace.open(workspace.root)
    later.extend(OTHER, later.deadline.replace(day=28), "病假")  # type: ignore[union-attr]
    later.close()
    for leftover in database.parent.glob(f"{DATABASE}-*"):
        leftover.unlink()
    stale = database.with_name(f"{DATABASE}-wal")
    shutil.copyfile(old_wal, stale)  # the newer record copied over the folder, the old -wal left beside it
    past = time.time() - 3600
    os.utime(stale, (past, past))
    opened = Workspace.open(workspace.root)
    assert any("旧 -wal" in note for note in opened.notes), opened.notes
    assert set(opened.extensions()) == {UNIT, OTHER}  # the newer record, whole
    assert opened.record.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert list(database.parent.glob(f"{DATABASE}-wal.搁置-*"))  # kept, never deleted


def test_a_full_disk_is_said_and_nothing_recorded_is_lost(workspace: Workspace) -> None:
    before = workspace.log()
    (pages,) = workspace.record.db.execute("PRAGMA page_count").fetchone()
    workspace.record.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk as full as SQLite sees it
    with pytest.raises(NianbaoError, match="磁盘空间已满") as refused:
        workspace.reject(UNIT, "与台账不符" + "。" * 20000)
    assert refused.value.code == "RECORD_DISK_FULL" and "损坏" not in str(refused.value)
    workspace.close()
    assert Workspace.open(workspace.root).log() == before
