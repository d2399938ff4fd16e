"""What every `nianbao` command shares: errors as one Chinese line (with the option that puts them right),
the workspace option, the progress bar."""

from __future__ import annotations

import codecs
import io
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import suppress
from functools import wraps
from pathlib import Path
from typing import Any

import click

from nianbao import click_zh
from nianbao.collection.record.schema import explained
from nianbao.collection.workspace import Workspace
from nianbao.io.files import os_reason, shown
from nianbao.problems import MESSAGES, Interrupted, NianbaoError, Problem, SpecError

click_zh.install()  # before any command is made: Click names some types (目录) when they are made
EXIT_PROBLEMS = 1
EXIT_USAGE = 2  # also a broken form spec: a configuration error, like a wrong option

# What the command line adds to a library error or problem (by its code): the option or command that puts it right.
HINTS = {
    "INTERNAL_ERROR": "；请加 --debug 重新运行，并把输出发给技术人员",
    "EXISTS": "；确需覆盖请加 --force",
    "BLANKS_EXIST": "；确需覆盖请加 --force",
    "GENERATE_INTERRUPTED": "；请加 --force 重新运行 generate。",
    "DEMO_FOLDER_TAKEN": "；请换一个 --out 目录",
    "DEMO_FOREIGN_FILES": "；请换一个 --out 目录",
    "BAD_DATE": "（--since）",
    "WORD_NO_UNIT": "（--unit-id）",
    "WORD_NO_ROSTER": "（--roster）",
    "WORD_NO_YEAR": "（--year）",
    "MERGE_DUPLICATE": "（--prefer）",
    "PREFER_NOT_INPUT": "（--prefer）",
    "NOTE_REQUIRED": "（--note）",
    "NO_SUCH_UNIT_ID": "（--unit-id）",
    "ONE_WORD_FILE": "（--unit-id）",
    "NOT_A_WORKSPACE": "；请先运行 nianbao init，或用 -w 指定工作区目录",
    "NOT_AN_ADDRESS": "（--from）",
}


# What a console whose encoding lacks a symbol shows instead (a Chinese Windows console, or output redirected from it,
# is code page 936, GBK: no ✓ ✗ ⚠): the nearest character it has; else the character's plain form (² 2), else "?".
PLAIN = {"✓": "√", "✗": "×", "⚠": "！", "✉": "◇", "☎": "℡", "✎": "※", "−": "-"}
EVERYTHING = "".join(PLAIN) + "\U0002a6a5"  # and a rare character beyond GBK (U+2A6A5): a unit's name may have one


def _plain(char: str, encoding: str) -> str:
    for choice in (PLAIN.get(char, ""), unicodedata.normalize("NFKC", char)):
        with suppress(UnicodeEncodeError):
            if choice and choice.encode(encoding):
                return choice
    return "?"


def _plainly(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_plain(c, error.encoding) for c in error.object[error.start : error.end]), error.end


codecs.register_error("nianbao.plain", _plainly)


def speak_any_console() -> None:
    """Standard output and error never fail on a character their encoding lacks: it is shown as ``PLAIN`` says
    (streams whose encoding has every character are left as they are)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding:
            try:
                EVERYTHING.encode(stream.encoding)
            except UnicodeEncodeError:
                stream.reconfigure(errors="nianbao.plain")


class ConsoleGroup(click.Group):
    """The `nianbao` command: before a word is said, the console learns to say what its encoding lacks."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        speak_any_console()
        return super().main(*args, **kwargs)


def said(error: NianbaoError | Interrupted) -> str:
    """A library error as the command line says it."""
    return f"{error}{HINTS.get(error.code, '')}"


def said_problem(problem: Problem) -> str:
    """A problem found in a file as the command line lists it."""
    return f"{problem.describe()}{HINTS.get(problem.code, '')}"


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every error becomes one Chinese line and exit status 1, or 2 for a broken form spec (a traceback only
    with --debug)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise  # usage errors: click prints them and exits with 2
        except BrokenPipeError:  # the output went to `head` or a pager that closed: nothing is wrong
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt as exc:
            more = said(exc) if isinstance(exc, Interrupted) else str(exc)
            click.secho(MESSAGES["INTERRUPTED"].format(more=more), fg="yellow", err=True)
            sys.exit(130)
        except Exception as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            if isinstance(exc, sqlite3.Error):  # the record: a full disk, a read-only file … in words
                exc = explained(exc)
            if isinstance(exc, NianbaoError):
                message = said(exc)
            elif isinstance(exc, OSError):
                message = MESSAGES["OS_ERROR"].format(reason=os_reason(exc), file=shown(Path(exc.filename or "")))
            else:
                detail = f"{type(exc).__name__}: {exc}"
                message = MESSAGES["INTERNAL_ERROR"].format(detail=detail) + HINTS["INTERNAL_ERROR"]
            click.secho(f"错误：{message}", fg="red", err=True)
            sys.exit(EXIT_USAGE if isinstance(exc, SpecError) else EXIT_PROBLEMS)

    return wrapper


def open_workspace(where: Path | None) -> Workspace:
    """The workspace the command works in, and what opening it did that the clerk should know."""
    opened = Workspace.open(where)
    for note in opened.notes:
        click.secho(f"注意：{note}", fg="yellow", err=True)
    return opened


def workspace_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-w",
        "--workspace",
        type=click.Path(file_okay=False, path_type=Path),
        help="工作区目录（不写则从当前目录向上查找）。",
    )(func)


def sender_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Who sends the round's letters (`init` and `settings`): what is not given stays as it is."""
    for option in reversed(
        [
            click.option(
                "--office",
                default=None,
                metavar="单位",
                help="回复邮件落款的单位，如“彰武县人民政府办公室”（默认是本级单位名称）。",
            ),
            click.option(
                "--from",
                "sender",
                default=None,
                metavar="邮箱",
                help="发件人，如 xxgk@county.gov.cn 或 “县政务公开办 <xxgk@county.gov.cn>”。",
            ),
            click.option("--contact", default=None, metavar="姓名", help="回复邮件中写的联系人。"),
            click.option("--phone", default=None, metavar="电话", help="回复邮件中写的联系电话。"),
        ]
    ):
        func = option(func)
    return func


def progress_bar(label: str) -> Callable[[Iterator[Any], int], Iterator[Any]]:
    """A progress bar with counts and an estimate, on a terminal's stderr, for two or more items."""

    def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
        if total < 2 or not sys.stderr.isatty():
            yield from results
            return
        with click.progressbar(
            results, length=total, label=label, show_pos=True, show_eta=True, file=sys.stderr
        ) as bar:
            yield from bar

    return progress


def say_unusable(notes: list[str]) -> None:
    for line in notes:
        click.secho(f"注意：上年文件无法使用：{line}", fg="yellow", err=True)
