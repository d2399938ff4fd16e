"""The `nianbao` command: a thin shell over the library. Errors are one Chinese line; --debug shows more."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .form import DEFAULT_FORM
from .generate import generate as generate_batch
from .problems import NianbaoError

EXIT_PROBLEMS = 1


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line and exit status 1; unexpected errors likewise unless --debug."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NianbaoError as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.secho(f"错误：{exc}", fg="red", err=True)
            sys.exit(EXIT_PROBLEMS)
        except (OSError, MemoryError) as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.secho(f"错误：{type(exc).__name__}: {exc}", fg="red", err=True)
            sys.exit(EXIT_PROBLEMS)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
@click.option("--debug", is_flag=True, help="出错时显示完整的技术信息（供开发人员排查）。")
def main(debug: bool) -> None:
    """nianbao（年报）：政府信息公开工作年度报告统计表的生成、审核与汇总。"""


@main.command()
@click.option(
    "--roster",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="单位名单（CSV 或 XLSX，列：单位编码/unit_id、单位名称/unit_name）。",
)
@click.option("--year", required=True, type=int, help="报告年度，如 2025。")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出目录。")
@click.option("--password", default=None, help="工作表保护密码；不填则自动生成并记在输出目录的“保护密码.txt”中。")
@click.option("--deadline", default="", help="报送截止日期，如 2027-01-15，显示在封面上。")
@click.option(
    "--form", "form_name", default=DEFAULT_FORM, show_default=True, help="表格格式（templates/ 中的文件名）。"
)
@click.option("--force", is_flag=True, help="覆盖输出目录中已有的同名文件。")
@_friendly
def generate(
    roster: Path, year: int, out_dir: Path, password: str | None, deadline: str, form_name: str, force: bool
) -> None:
    """为名单上的每个单位生成一份锁定格式的统计表（.xlsx）。"""

    def progress(units):  # type: ignore[no-untyped-def]
        with click.progressbar(units, label="生成中", show_pos=True, file=sys.stderr) as bar:
            yield from bar

    batch = generate_batch(
        roster, year, out_dir, form_name=form_name, password=password, deadline=deadline, force=force, progress=progress
    )
    click.echo(f"已为 {len(batch.files)} 个单位生成 {year} 年度统计表，保存在 {out_dir}")
    click.echo(f"文件清单（含 sha256）：{batch.manifest}")
    if batch.password_file:
        click.echo(f"工作表保护密码已记录在 {batch.password_file}（请勿随表格发出）")


if __name__ == "__main__":
    main()
