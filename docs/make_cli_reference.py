"""Write docs/cli.md from the commands' own --help, so the reference never drifts from the code:

python docs/make_cli_reference.py
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from nianbao.cli import main

TARGET = Path(__file__).resolve().parent / "cli.md"


def _commands(group: click.Group, words: list[str]) -> Iterator[list[str]]:
    """The words of each command: the group's own, then each command's (a group's in turn), by name."""
    yield words
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from _commands(command, [*words, name])
        else:
            yield [*words, name]


def reference() -> str:
    runner = CliRunner()
    parts = [
        "# nianbao 命令参考",
        "",
        "本文件由 `python docs/make_cli_reference.py` 根据各命令的 `--help` 生成，请勿手改。",
        "",
    ]
    for words in _commands(main, []):
        text = runner.invoke(main, [*words, "--help"], prog_name="nianbao", terminal_width=100).output.rstrip()
        parts += [f"## nianbao {' '.join(words)}".rstrip(), "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(reference(), encoding="utf-8")
    print(f"wrote {TARGET}")
