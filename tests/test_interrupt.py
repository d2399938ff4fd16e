"""Ctrl-C during generate: the batch's password is on disk before the first workbook, and the user is told
what remains."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from xlsxwriter.worksheet import Worksheet

from nianbao.operations.generate import MANIFEST_NAME, PASSWORD_NAME, generate


def sheet_password_hash(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        return {m for n in sheets for m in re.findall(r'<sheetProtection password="([0-9A-F]+)"', z.read(n).decode())}


def recorded_password(out: Path) -> str:
    text = (out / PASSWORD_NAME).read_text(encoding="utf-8-sig")
    return re.search(r"保护密码：\n\n(\S+)\n", text)[1]  # type: ignore[index]


def test_ctrl_c_keeps_the_password_of_every_written_workbook(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("单位编码,单位名称\n" + "".join(f"U{i},单位{i}\n" for i in range(3000)), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nianbao.cli", "generate", "--roster", str(roster), "--year", "2025"]
    process = subprocess.Popen(
        [*command, "--out", str(out)], start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("*.xlsx"))) < 20:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "已中断" in stderr and "Traceback" not in stderr
    assert f"保护密码已记录在 {out / PASSWORD_NAME}" in stderr and "请加 --force 重新运行" in stderr
    written = list(out.glob("*.xlsx"))
    assert 20 <= len(written) < 3000
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".xlsx") == [PASSWORD_NAME]  # no manifest yet
    assert stat.S_IMODE((out / PASSWORD_NAME).stat().st_mode) == 0o600
    expected = Worksheet()._encode_password(recorded_password(out))
    for path in written:
        assert sheet_password_hash(path) == {expected}, path


def test_force_keeps_the_passwords_of_earlier_batches(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("单位编码,单位名称\nU1,甲\n", encoding="utf-8")
    out = tmp_path / "out"
    first = generate(roster, 2025, out)
    old = recorded_password(out)
    generate(roster, 2025, out, force=True)
    text = (out / PASSWORD_NAME).read_text(encoding="utf-8-sig")
    new = recorded_password(out)
    assert new != old and old in text and "以前记录的密码" in text
    assert sheet_password_hash(first.files[0].path) == {Worksheet()._encode_password(new)}
    assert (out / MANIFEST_NAME).exists()
