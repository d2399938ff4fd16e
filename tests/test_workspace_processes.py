"""The workspace's record under real processes: two receives at once, and a receive killed half-way."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from nianbao.collection.record import schema as store
from nianbao.collection.workspace import RECEIVED_DIR, Workspace
from nianbao.form import data_dir
from nianbao.io.roster import Unit
from tests.helpers.workbooks import write_roster

FILLED = data_dir("samples") / "filled"
ROSTER = data_dir("samples") / "zhangwu-county-roster.csv"


def nianbao(*args: object) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "nianbao.cli", *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def healthy(root: Path) -> sqlite3.Connection:
    db = sqlite3.connect(root / store.DATABASE)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return db


def test_two_receives_at_once_lose_nothing_and_record_each_file_once(tmp_path: Path) -> None:
    Workspace.create(tmp_path / "ws", ROSTER, 2025)[0].close()
    halves = [tmp_path / "a", tmp_path / "b"]
    files = sorted(FILLED.iterdir())
    for i, folder in enumerate(halves):
        folder.mkdir()
        for path in files[i::2]:
            shutil.copy(path, folder)
        shutil.copy(files[0], folder / "两边都有.xlsx")  # the same bytes sent to both receives
    running = [nianbao("receive", folder, "-w", tmp_path / "ws") for folder in halves]
    for process in running:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, out + err
        assert "Traceback" not in out + err
    db = healthy(tmp_path / "ws")
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM files").fetchone() == (24, 24)
    versions = db.execute("SELECT unit_id, COUNT(*), MAX(version) FROM files GROUP BY unit_id").fetchall()
    assert len(versions) == 24 and all(count == 1 and top == 1 for _, count, top in versions)
    assert db.execute("SELECT COUNT(*) FROM log WHERE action = 'receive'").fetchone() == (2,)


def test_a_receive_killed_half_way_records_nothing_and_the_next_one_records_all(tmp_path: Path) -> None:
    units = [Unit(f"U{i:04d}", f"测试乡{i}") for i in range(300)]
    roster = write_roster(tmp_path / "roster.csv", units)
    workspace, batch = Workspace.create(tmp_path / "ws", roster, 2025)
    workspace.close()
    inbox = tmp_path / "inbox"
    shutil.copytree(tmp_path / "ws" / "空白表格", inbox)
    process = nianbao("receive", inbox, "-w", tmp_path / "ws")
    stored = tmp_path / "ws" / RECEIVED_DIR
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (stored.is_dir() and len(list(stored.iterdir())) > 50):
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)  # its worker processes stop with it (they hold its output pipes)
    db = healthy(tmp_path / "ws")
    recorded = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert recorded in (0, len(units))  # one transaction: all or nothing, never half a receive
    db.close()
    again = nianbao("receive", inbox, "-w", tmp_path / "ws")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, out + err
    db = healthy(tmp_path / "ws")
    assert db.execute("SELECT COUNT(*), MIN(version), MAX(version) FROM files").fetchone() == (len(units), 1, 1)
    assert len(batch.files) == len(units)
