"""What every view of the page shares: the server's settings, the workspace opened for the request, the round's
status (kept while the record is unchanged), numbers read from forms, and the page's own words for the library's
errors (the library names no field; the page says which one to put right)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, flash, g

from nianbao.collection.workspace import RoundStatus, Version, Workspace
from nianbao.problems import NianbaoError

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # one upload in all; each workbook is limited by reading.MAX_FILE_BYTES
NUMBER = re.compile(r"[0-9]{1,18}")  # a number from a form or an address: ASCII digits ("²".isdigit() is True)
WEB_MARK = "（网页）"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Settings:
    root: Path
    password: str | None = None  # None: no login (only for a server bound to this computer)
    local: bool = True  # bound to this computer: refuse requests that name another host
    max_upload_bytes: int = MAX_UPLOAD_BYTES


def settings() -> Settings:
    return current_app.extensions["nianbao"]


def workspace() -> Workspace:
    """The workspace, opened once for the request on its own connection (the record is WAL: the command line
    can work at the same time)."""
    if "workspace" not in g:
        g.workspace = Workspace.open(settings().root, user=g.get("user"))
        for note in g.workspace.notes:
            flash(note, "error")
    return g.workspace


def number(text: str | None) -> int | None:
    """A number sent by the page (a version, a file): ASCII digits only; None for anything else."""
    return int(text) if text is not None and NUMBER.fullmatch(text) else None


_STATUS: dict[str, tuple[int, RoundStatus]] = {}  # the last status computed, by workspace, with its revision


def status() -> RoundStatus:
    """The workspace's status, computed again only when the record has changed since (every change is logged,
    so the revision says it): the board reloads itself often, and a round of thousands takes a while."""
    opened = workspace()
    revision, key = opened.revision(), str(opened.root)
    known = _STATUS.get(key)
    if known is None or known[0] != revision:
        known = _STATUS[key] = (revision, opened.status())
    return known[1]


def file_or_404(opened: Workspace, file_id: int) -> Version:
    try:
        return opened.file(file_id)
    except NianbaoError:
        abort(404)


# What the page adds to a library error (by its code): where on the page to put it right.
HINTS = {
    "NOTE_REQUIRED": "（请写在“理由”一栏中）",
    "NOT_AN_ADDRESS": "（请改正“发件人邮箱”一栏）",
    "BAD_DAYS": "（请改正这一栏的天数）",
    "BAD_DATE": "（请改正日期一栏）",
}
# A library error the page says in its own words: the library's name what to type on the command line, or a
# rule by its code (the page names it).
Words = Callable[[Mapping[str, object], Mapping[str, str]], str]
OWN_WORDS: dict[str, Words] = {
    "NO_SUCH_UNIT": lambda p, _: f"名单上没有单位“{p['unit']}”；请从总览中点选单位",
    "NO_PASSWORD": lambda _, __: "没有输入密码，未连接邮件服务器；请在密码一栏中输入（密码不会保存）",
    "ERROR_NOT_ACCEPTABLE": lambda p, r: (
        f"“{r.get(str(p['rule']), '这一项')}”是错误，不能认可；错误只能由单位改正后重新报送"
    ),
    "NOTHING_TO_ACCEPT": lambda p, r: (
        f"{p['unit']} 计入的版本没有{_rule(p, r)}待核实的警告（可能已认可过，或单位已报来新的一版）"
    ),
    "NOTHING_ACCEPTED": lambda p, r: f"{p['unit']} 没有{_rule(p, r)}认可过的警告，无需撤销",
}


def _rule(params: Mapping[str, object], rules: Mapping[str, str]) -> str:
    """“P1”的 as the library says it, the rule named: “规章一般应为 0”的."""
    what = str(params.get("what", ""))
    code = what.removeprefix("“").removesuffix("”的")
    return f"“{rules.get(code, '这一项')}”的" if what else ""


def said(error: NianbaoError, rules: Mapping[str, str] | None = None) -> str:
    """A library error as the page says it: its words, with where on the page to put it right (``rules``: the
    form's rules by name, for an error naming one)."""
    own = OWN_WORDS.get(error.code)
    if own is not None:
        return own(error.params, rules or {})
    return f"{error}{HINTS.get(error.code, '')}"


def now_words() -> str:
    """This moment, as a page printed now is dated: 2026-01-21 09:30."""
    return time.strftime("%Y-%m-%d %H:%M")
