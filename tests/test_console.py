"""A console that cannot show every character: a Chinese Windows console, and output redirected from it
(`nianbao check 收到的表格 > 结果.txt`), is code page 936, GBK, which has no ✓ ✗ ⚠. Every command's output still
prints, never a traceback: those symbols become √ × ！, anything else GBK lacks its plain form or "?"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from nianbao.cli import main
from nianbao.cli_shared import PLAIN
from tests.conftest import REPO


def test_check_redirected_to_a_file_on_a_gbk_console(tmp_path: Path) -> None:
    saved = tmp_path / "结果.txt"
    environ = {**os.environ, "PYTHONIOENCODING": "gbk"}
    with saved.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "nianbao.cli", "check", "samples/filled"],
            cwd=REPO,
            env=environ,
            stdout=out,
            stderr=subprocess.PIPE,
        )
    errors = done.stderr.decode("gbk")
    assert done.returncode == 0, errors
    assert "Traceback" not in errors and "UnicodeEncodeError" not in errors and "内部错误" not in errors
    text = saved.read_bytes().decode("gbk")  # what Notepad on a Chinese Windows reads
    assert "√ samples/filled/东六家子镇_2025年_210922105.xlsx（东六家子镇）：通过" in text
    assert "[警告] 表二 主动公开!D5" in text and "单位的情况说明：" in text
    assert "?" not in text and not set(text) & set(PLAIN)
    refused = subprocess.run(
        [sys.executable, "-m", "nianbao.cli", "check", "没有这个目录"], cwd=REPO, env=environ, capture_output=True
    )
    assert refused.returncode == 1 and "错误：找不到 没有这个目录" in refused.stderr.decode("gbk")


def gbk(*args: object) -> Result:
    """A command run as a GBK console would run it: its output encoded strictly, as Windows' code page 936 would."""
    result = CliRunner(charset="gbk").invoke(main, [str(a) for a in args])
    result.stdout_bytes.decode("gbk")
    assert "内部错误" not in result.output and "UnicodeEncodeError" not in result.output, result.output
    assert not isinstance(result.exception, UnicodeError), result.exception
    return result


def test_every_commands_help_on_a_gbk_console() -> None:
    assert gbk("--help").exit_code == 0
    for name, command in main.commands.items():
        assert gbk(name, "--help").exit_code == 0, name
        if isinstance(command, click.Group):
            for sub in command.commands:
                assert gbk(name, sub, "--help").exit_code == 0, f"{name} {sub}"


@pytest.fixture(scope="module")
def round_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("console") / "demo"
    assert CliRunner().invoke(main, ["demo", "--out", str(out)]).exit_code == 0
    return out


def test_a_rounds_commands_on_a_gbk_console(round_folder: Path) -> None:
    workspace = round_folder / "3-收集工作区"
    assert gbk("status", "-w", workspace).exit_code in (0, 1)
    assert gbk("status", "--brief", "-w", workspace).exit_code in (0, 1)
    history = gbk("history", "冯家镇", "-w", workspace)
    assert history.exit_code == 0 and "      ！ 表二 主动公开!D5" in history.output, history.output
    assert gbk("log", "-w", workspace).exit_code == 0
    received = gbk("receive", REPO / "samples" / "filled" / "大德乡_2025年_210922208.xlsx", "-w", workspace)
    assert received.exit_code == 0 and "√ 大德乡_2025年_210922208.xlsx" in received.output, received.output
    replies = gbk("reply", "-w", workspace)
    assert replies.exit_code == 0 and "※ 210922101 哈尔套镇 审核意见" in replies.output, replies.output
    assert "℡ 210922101 哈尔套镇" in replies.output
    assert not set(history.output + received.output + replies.output) & set(PLAIN)


def test_a_character_gbk_lacks_is_said_plainly() -> None:
    result = CliRunner(charset="gbk").invoke(main, ["check", "不存在的文件✓²𪚥"])
    said = result.stdout_bytes.decode("gbk") + result.output
    assert "不存在的文件√2?" in said, said
