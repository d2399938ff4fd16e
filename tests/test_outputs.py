"""Outputs: readable by colleagues (the umask decides, only the password file is private), and never
replacing a file without --force, even when two runs race for the same name."""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nianbao.io import files
from nianbao.io.files import atomic_file, write_atomic
from nianbao.io.roster import Unit
from nianbao.operations.generate import MANIFEST_NAME, PASSWORD_NAME, generate
from nianbao.problems import NianbaoError
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import filled_workbook, write_roster
from tests.test_merge import UNITS


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_follow_the_umask_and_only_the_password_file_is_private(tmp_path: Path, umask_022: None) -> None:
    roster = write_roster(tmp_path / "r.csv", UNITS)
    batch = generate(roster, 2025, tmp_path / "out")
    assert {mode(f.path) for f in batch.files} == {0o644}
    assert mode(tmp_path / "out" / MANIFEST_NAME) == 0o644
    assert mode(tmp_path / "out" / PASSWORD_NAME) == 0o600
    os.umask(0o002)  # a shared group folder
    write_atomic(tmp_path / "group.json", b"{}", overwrite=False)
    assert mode(tmp_path / "group.json") == 0o664


def test_force_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path, umask_022: None) -> None:
    roster = write_roster(tmp_path / "r.csv", UNITS)
    out = tmp_path / "out"
    batch = generate(roster, 2025, out, password="pw")
    os.chmod(batch.files[0].path, 0o664)
    generate(roster, 2025, out, password="pw", force=True)
    assert mode(batch.files[0].path) == 0o664 and mode(batch.files[1].path) == 0o644


def test_a_file_appearing_while_writing_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "sum.xlsx"
    refused = pytest.raises(NianbaoError, match="已存在，未覆盖")
    with refused, atomic_file(target, overwrite=False) as f:
        f.write(b"ours")
        target.write_bytes(b"theirs")  # another run finished first
    assert target.read_bytes() == b"theirs" and os.listdir(tmp_path) == ["sum.xlsx"]
    with atomic_file(target, overwrite=True) as f:
        f.write(b"ours")
    assert target.read_bytes() == b"ours" and os.listdir(tmp_path) == ["sum.xlsx"]


def test_without_hard_links_the_name_is_claimed_exclusively(tmp_path: Path, monkeypatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(files.os, "link", no_links)
    target = tmp_path / "a.json"
    write_atomic(target, b"first", overwrite=False)
    with pytest.raises(NianbaoError, match="已存在"):
        write_atomic(target, b"second", overwrite=False)
    assert target.read_bytes() == b"first" and os.listdir(tmp_path) == ["a.json"]


WRITER = """
import sys, time
from pathlib import Path
from nianbao.io.files import write_atomic
from nianbao.problems import NianbaoError
go, target, fill = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].encode()
while not go.exists():
    time.sleep(0.001)
try:
    write_atomic(target, fill * 5_000_000, overwrite=False)
except NianbaoError as exc:
    print(exc)
    sys.exit(1)
"""


def test_two_processes_writing_the_same_new_file_exactly_one_wins(tmp_path: Path) -> None:
    for attempt in range(5):
        go, target = tmp_path / f"go{attempt}", tmp_path / f"out{attempt}.bin"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(go), str(target), fill], stdout=subprocess.PIPE, env=env
            )
            for fill in "ab"
        ]
        time.sleep(0.5)
        go.touch()
        outcomes = [(p.wait(timeout=60), p.stdout.read().decode() if p.stdout else "") for p in procs]
        assert sorted(code for code, _ in outcomes) == [0, 1], outcomes
        winner = "ab"[[code for code, _ in outcomes].index(0)]
        assert target.read_bytes() == winner.encode() * 5_000_000  # complete, and the winner's
        assert "已存在，未覆盖" in "".join(text for _, text in outcomes)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_two_merges_to_the_same_summary_exactly_one_writes_it(tmp_path: Path, form) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    folder.mkdir()
    units = [Unit(f"U{i}", f"单位{i}") for i in range(40)]  # enough that both runs check before either writes
    for i, unit in enumerate(units):
        (folder / f"{i}.xlsx").write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(i)), unit=unit))
    roster = write_roster(tmp_path / "r.csv", units)
    out = tmp_path / "sum.xlsx"
    command = [sys.executable, "-m", "nianbao.cli", "merge", str(folder), "--roster", str(roster)]
    command += ["--year", "2025", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) == [0, 1], results
    assert sum("汇总表已生成" in stdout for _, stdout, _ in results) == 1
    assert any("已存在，未覆盖" in stderr for _, _, stderr in results)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_output_that_cannot_be_written_names_the_file_and_why_in_chinese(tmp_path: Path) -> None:
    (tmp_path / "exists.txt").write_text("x", encoding="utf-8")
    target = tmp_path / "exists.txt" / "s.xlsx"
    with pytest.raises(NianbaoError, match=r"无法写入 .*exists.txt/s.xlsx：路径中有一部分不是目录"):
        write_atomic(target, b"data", overwrite=False)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".nianbao-")]
