"""A reply's message, composed from its words and facts: no record, no files (collection/reply.py gathers the
facts and attachments, keeps the drafts and sends them).

The words come from templates/mail/replies.toml, or from 回复邮件.toml in the workspace when the clerk has
written their own: sections (problems, request, reminder) whose texts name the facts they need in braces. A
line that names only the contact person and phone, when neither is known, is left out of the letter. Dates and
times are written the Chinese way (2026年1月15日 10:00)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime
from pathlib import Path

from nianbao.collection.model import UnitState
from nianbao.form.spec import parse_toml
from nianbao.io.files import decode_chinese_text
from nianbao.problems import ERROR, Problem, SpecError

PROBLEMS, REQUEST, REMINDER = "problems", "request", "reminder"
KIND_NAMES = {PROBLEMS: "审核意见", REQUEST: "下发通知", REMINDER: "催报"}
FOR_THE_CLERK = {"WORD_SOURCE", "SENDER_OTHER_UNIT"}  # warnings the clerk checks, not the unit: never listed in a reply
EML = compat32.clone(linesep="\r\n", max_line_length=998)  # the classic writer: Chinese names folded well
WORDS = "回复邮件的文字"
_FACTS = ("单位名称", "单位编码", "年度", "截止日期", "回复期限", "汇总单位", "落款单位", "联系人", "联系电话", "日期")
_WHEN_KNOWN = {"联系人", "联系电话"}  # a line naming only these is left out when none is known
_NAME = re.compile(r"\{([^{}\s]+)\}")
_PROBLEM_FACTS = ("版本", "收到时间", "文件名", "原主题", "问题", "附件说明")
_LINE_FACTS = {"line": ("序号", "位置", "说明"), "errors_heading": ("个数",), "warnings_heading": ("个数",)}
_TEXT_KEYS = {
    PROBLEMS: ("subject", "subject_reply", "body", "errors_heading", "warnings_heading", "line", "attachments"),
    REQUEST: ("subject", "body"),
    REMINDER: ("subject", "body"),
}


class ReplyTexts:
    """The words of the replies. A name in braces that is not one of the facts is an error, never sent as is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        text = decode_chinese_text(path.read_bytes())  # UTF-8, or GBK as Notepad's “ANSI” saves it
        if text is None:
            raise SpecError(path.name, "", "文件的文字编码无法识别（应为 UTF-8）", WORDS)
        data = parse_toml(text, path.name, WORDS)
        self.sections: dict[str, dict[str, str]] = {}
        for kind, keys in _TEXT_KEYS.items():
            section = data.get(kind)
            if not isinstance(section, dict):
                raise SpecError(path.name, kind, "缺少这一节", WORDS)
            for key in keys:
                if not isinstance(section.get(key), str):
                    raise SpecError(path.name, f"{kind}.{key}", "缺少这段文字", WORDS)
            self.sections[kind] = {k: v for k, v in section.items() if isinstance(v, str)}
            for key, text in self.sections[kind].items():
                _check_names(path.name, kind, key, text)
        words = data.get("words")
        self.words = {k: v for k, v in words.items() if isinstance(v, str)} if isinstance(words, dict) else {}

    def fill(self, kind: str, key: str, facts: Mapping[str, object]) -> str:
        """A text with its {names} replaced by the facts (every name was checked when the file was read); a line
        of the contact person and phone is left out when neither is known."""
        lines = []
        for line in self.sections[kind].get(key, "").split("\n"):
            names = set(_NAME.findall(line))
            if names and names <= _WHEN_KNOWN and not any(str(facts[name]) for name in names):
                continue
            lines.append(_NAME.sub(lambda m: str(facts[m.group(1)]), line))
        return "\n".join(lines)


def _check_names(source: str, kind: str, key: str, text: str) -> None:
    allowed = _FACTS + (_PROBLEM_FACTS if kind == PROBLEMS else ()) + _LINE_FACTS.get(key, ())
    unknown = [n for n in _NAME.findall(text) if n not in allowed]
    if unknown:
        known = "、".join(f"{{{k}}}" for k in allowed)
        raise SpecError(source, f"{kind}.{key}", f"有不认识的词 {{{unknown[0]}}}（可用：{known}）", WORDS)


@dataclass(frozen=True)
class Outgoing:
    """What a reply says besides its words: to whom, about what, with which files."""

    kind: str
    state: UnitState
    year: int
    deadline: date | None  # the unit's own (its extension, else the round's)
    summary_unit: str  # who collects: 汇总单位
    message_id: str
    to: str = ""
    sender: str = ""  # the From header, encoded
    office: str = ""  # who signs: 落款单位 (the summary unit when not given)
    contact: str = ""  # the office's contact person and phone, when known
    phone: str = ""
    attachments: Sequence[tuple[str, bytes]] = ()
    annotated: bool = False  # the first attachment is the annotated copy
    in_reply_to: str = ""  # the Message-ID of the unit's mail answered
    original_subject: str = ""


def for_the_unit(state: UnitState) -> tuple[list[Problem], list[Problem]]:
    """The counted version's errors (the clerk's rejections first) and open warnings that the unit can act on."""
    assert state.counted is not None
    errors = [p for p in state.counted.problems if p.severity == ERROR and p.code not in FOR_THE_CLERK]
    warnings = [w for w in state.open_warnings if w.code not in FOR_THE_CLERK]
    return [r.problem for r in state.rejections] + errors, warnings


def compose(texts: ReplyTexts, out: Outgoing) -> Message:
    """The reply as a message, marked unsent (a draft the clerk's mail program opens to send)."""
    state, kind, deadline = out.state, out.kind, out.deadline
    soon = texts.words.get("no_deadline", "尽快")
    facts: dict[str, object] = {
        "单位名称": state.unit_name,
        "单位编码": state.unit_id,
        "年度": out.year,
        "截止日期": chinese_date(deadline) if deadline else texts.words.get("deadline_unset", "未定"),
        "回复期限": f"于 {chinese_date(deadline)} 前" if deadline and deadline >= date.today() else soon,
        "汇总单位": out.summary_unit,
        "落款单位": out.office or out.summary_unit,
        "联系人": out.contact,
        "联系电话": out.phone,
        "日期": chinese_date(date.today()),
    }
    subject_key = "subject"
    if kind == PROBLEMS:
        counted = state.counted
        assert counted is not None
        facts.update(
            {
                "版本": counted.version,
                "收到时间": chinese_time(counted.received_at),
                "文件名": counted.name,
                "原主题": out.original_subject,
                "附件说明": texts.sections[PROBLEMS]["attachments" if out.annotated else "no_annotated_copy"],
            }
        )
        facts["问题"] = _problem_list(texts, state, facts)
        subject_key = "subject_reply" if out.in_reply_to and out.original_subject else "subject"
    message = MIMEMultipart()
    message["Subject"] = encoded(texts.fill(kind, subject_key, facts))
    if out.sender:
        message["From"] = out.sender
    if out.to:
        message["To"] = out.to
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = out.message_id
    if out.in_reply_to:
        message["In-Reply-To"] = out.in_reply_to
        message["References"] = out.in_reply_to
    message["X-Unsent"] = "1"  # Outlook opens the draft as a message to send
    message.attach(MIMEText(texts.fill(kind, "body", facts), "plain", "utf-8"))
    for name, data in out.attachments:
        message.attach(attachment(name, data))
    return message


def _problem_list(texts: ReplyTexts, state: UnitState, facts: Mapping[str, object]) -> str:
    errors, warnings = for_the_unit(state)
    blocks = []
    for heading, problems in (("errors_heading", errors), ("warnings_heading", warnings)):
        if not problems:
            continue
        lines = [texts.fill(PROBLEMS, heading, {**facts, "个数": len(problems)})]
        for n, problem in enumerate(problems, 1):
            line = {**facts, "序号": n, "位置": _place(problem), "说明": problem.message}
            lines.append(texts.fill(PROBLEMS, "line", line))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _place(problem: Problem) -> str:
    labels = "／".join(x for x in (problem.row_label, problem.col_label) if x)
    where = " ".join(x for x in (problem.sheet, problem.cell) if x)
    return f"{where}（{labels}）" if labels else where or "整个文件"


def attachment(name: str, data: bytes) -> MIMEBase:
    """An attachment whose Chinese name every mail program shows: RFC 2231 in the disposition (the standard)
    and an RFC 2047 word in the content type's name (what Outlook and Foxmail read), as Thunderbird sends."""
    maintype, subtype = (mimetypes.guess_type(name)[0] or "application/octet-stream").split("/", 1)
    part = MIMEBase(maintype, subtype, name=encoded(name))
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
    return part


def encoded(text: str) -> str:
    """RFC 2047 words of at most 76 characters, on one line (the file is written with long lines allowed, so
    that no header is folded inside a value)."""
    return Header(text, "utf-8").encode(maxlinelen=76, linesep="")


def chinese_date(day: date) -> str:
    """2026年1月15日."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_time(at: str) -> str:
    """A recorded time (ISO 8601, as the record keeps it) as a letter says it: 2026年1月15日 10:00, at the clock
    time recorded."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at[:16].replace("T", " ")
    return f"{chinese_date(moment.date())} {moment.hour}:{moment.minute:02d}"
