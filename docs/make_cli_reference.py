"""Write docs/cli.md from the commands' own --help, so the reference never drifts from the code:

python docs/make_cli_reference.py
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from nianbao.cli import main

TARGET = Path(__file__).resolve().parent / "cli.md"


def reference() -> str:
    runner = CliRunner()
    parts = [
        "# nianbao 命令参考",
        "",
        "本文件由 `python docs/make_cli_reference.py` 根据各命令的 `--help` 生成，请勿手改。",
        "",
    ]
    commands = ["", *sorted(main.commands)]
    for name in commands:
        args = [name, "--help"] if name else ["--help"]
        text = runner.invoke(main, args, prog_name="nianbao", terminal_width=100).output.rstrip()
        parts += [f"## nianbao {name}".rstrip(), "", "```text", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(reference(), encoding="utf-8")
    print(f"wrote {TARGET}")
