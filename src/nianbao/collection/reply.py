"""Replies to the units (issue #12): one draft message per unit that needs one, and sending them.

A unit needs a reply when its counted version has errors or unexplained warnings (审核意见: the problems listed,
the annotated copy and the unit's own file attached, threaded to the unit's message), or when nothing has come
from it (下发通知 with its blank workbook the first time, 催报 afterwards, at most once a day). Each reply has a
key: the unit, its kind and the version (or the day) it answers. The record keeps one row per key, so that a
reply is drafted once and sent once, whoever runs `reply` and however often.

Drafts are .eml files in 回复草稿/ with ``X-Unsent: 1`` (Outlook opens them as a message to send; Thunderbird and
Foxmail open .eml files too). The words come from templates/mail/replies.toml, or from 回复邮件.toml in the
workspace when the clerk has written their own.
"""

from __future__ import annotations

import mimetypes
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.policy import compat32
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any, Protocol

from nianbao.collection import store
from nianbao.collection.workspace import BLANK_DIR, HAS_ERRORS, NOT_RECEIVED, TO_VERIFY, UnitState, Workspace, _log
from nianbao.form import data_dir
from nianbao.form.spec import parse_toml
from nianbao.io.files import decode_chinese_text, safe_name, shown, write_atomic
from nianbao.operations.annotate import SUFFIX as ANNOTATED_SUFFIX
from nianbao.operations.generate import file_names
from nianbao.problems import ERROR, NianbaoError, SpecError

REPLY_DIR = "回复草稿"
TEXTS_FILE = "回复邮件.toml"  # the clerk's own wording, in the workspace folder
WORDS = "回复邮件的文字"
PROBLEMS, REQUEST, REMINDER = "problems", "request", "reminder"
KIND_NAMES = {PROBLEMS: "审核意见", REQUEST: "下发通知", REMINDER: "催报"}
OBSOLETE_DIR = "已过时"
FOR_THE_CLERK = {"WORD_SOURCE"}  # warnings the clerk checks, not the unit: never listed in a reply
SENDING = "sending"  # a send began and its end was never recorded: it may have gone out
EML = compat32.clone(linesep="\r\n", max_line_length=998)  # the classic writer: Chinese names folded well
_FACTS = ("单位名称", "单位编码", "年度", "截止日期", "回复期限", "汇总单位", "日期")
_PROBLEM_FACTS = ("版本", "收到时间", "文件名", "原主题", "问题", "附件说明")
_LINE_FACTS = {"line": ("序号", "位置", "说明"), "errors_heading": ("个数",), "warnings_heading": ("个数",)}
_TEXT_KEYS = {
    PROBLEMS: ("subject", "subject_reply", "body", "errors_heading", "warnings_heading", "line", "attachments"),
    REQUEST: ("subject", "body"),
    REMINDER: ("subject", "body"),
}


@dataclass(frozen=True)
class Reply:
    """A reply a unit needs, drafted; ``sent_at`` is '' until it is sent (SENDING when that was interrupted)."""

    unit_id: str
    unit_name: str
    kind: str
    key: str
    version: int | None  # the version answered (审核意见)
    recipients: tuple[str, ...]
    draft: Path
    message_id: str
    sent_at: str
    contact: str = ""  # the roster's 联系人 and 电话, for a unit without an address
    phone: str = ""

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def said(self) -> str:
        """What became of it, in a few words."""
        if not self.sent_at:
            return "草稿，未经本工具发送"
        if self.sent_at == SENDING:
            return "发送中断，可能已发出"
        return f"已于 {self.sent_at[:16].replace('T', ' ')} 发给 {'、'.join(self.recipients)}"


@dataclass(frozen=True)
class Sent:
    """What sending one reply did: sent now, sent before (not again), or not sent and why."""

    reply: Reply
    sent: bool
    reason: str = ""


class ReplyTexts:
    """The words of the replies: a TOML file of sections (problems, request, reminder) whose texts name the
    facts they need in braces: {单位名称}. A name that is not one of the facts is an error, never sent as is."""

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
                allowed = _FACTS + (_PROBLEM_FACTS if kind == PROBLEMS else ()) + _LINE_FACTS.get(key, ())
                unknown = [n for n in re.findall(r"\{([^{}\s]+)\}", text) if n not in allowed]
                if unknown:
                    known = "、".join(f"{{{k}}}" for k in allowed)
                    raise SpecError(
                        path.name, f"{kind}.{key}", f"有不认识的词 {{{unknown[0]}}}（可用：{known}）", WORDS
                    )
        words = data.get("words")
        self.words = {k: v for k, v in words.items() if isinstance(v, str)} if isinstance(words, dict) else {}

    @classmethod
    def of(cls, workspace: Workspace) -> ReplyTexts:
        own = workspace.root / TEXTS_FILE
        return cls(own if own.is_file() else data_dir("templates") / "mail" / "replies.toml")

    def fill(self, kind: str, key: str, facts: Mapping[str, object]) -> str:
        """A text with its {names} replaced by the facts (every name was checked when the file was read)."""
        return re.sub(r"\{([^{}\s]+)\}", lambda m: str(facts[m.group(1)]), self.sections[kind].get(key, ""))


# -- what each unit needs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drafts:
    replies: list[Reply]  # in roster order
    failed: list[str]  # the units whose reply could not be written, and why


def draft_replies(workspace: Workspace, units: Sequence[str] = (), sender: str = "") -> Drafts:
    """The replies the units need now (all units, or those named), each drafted in 回复草稿/. A reply not yet
    sent is written again from the current words, roster and record (its Message-ID stays); one sent stays as
    sent. A unit whose reply cannot be written (its blank workbook or its file gone) is said, and the others
    are written. With all units, the unsent drafts no unit needs any more go to 回复草稿/已过时/."""
    texts = ReplyTexts.of(workspace)
    chosen = {workspace.unit_named(u).unit_id for u in units}
    states = [s for s in workspace.status().units if not chosen or s.unit_id in chosen]
    contacts = _contacts(workspace)
    letters = _last_letters(workspace)
    replies, failed, new = [], [], 0
    for state in states:
        key = _wanted(state, letters.get(state.unit_id))
        if key is None:
            continue
        info = contacts.get(state.unit_id, {})
        reply = _recorded(workspace, key)
        if reply is None or not reply.sent_at:
            message_id = reply.message_id if reply else make_msgid(domain=_domain(sender))
            try:
                message = _compose(workspace, texts, state, key.split(":")[0], info, sender, message_id)
            except SpecError:  # the words of the replies: wrong for every unit alike
                raise
            except NianbaoError as exc:
                failed.append(f"{state.unit_id} {state.unit_name}：{exc}")
                continue
            new += reply is None
            reply = _keep(workspace, state, key, message)
        replies.append(_with_contact(reply, info))
    if not chosen:
        _set_aside(workspace, {r.key for r in replies})
    if new:
        with store.transaction(workspace.db):
            _log(workspace.db, "reply", {"drafts": new, "units": len(replies)}, workspace.user)
    return Drafts(replies, failed)


def _set_aside(workspace: Workspace, needed: set[str]) -> None:
    """Move the unsent drafts that no unit needs now (it has sent a new version, or passed) to 已过时/."""
    rows = workspace.db.execute("SELECT key, draft FROM replies WHERE sent_at = ''").fetchall()
    for row in rows:
        draft = workspace.root / row["draft"]
        if row["key"] in needed or not draft.is_file() or draft.parent.name == OBSOLETE_DIR:
            continue
        aside = draft.parent / OBSOLETE_DIR / draft.name
        aside.parent.mkdir(exist_ok=True)
        draft.replace(aside)
        with store.transaction(workspace.db):
            workspace.db.execute(
                "UPDATE replies SET draft = ? WHERE key = ?", (aside.relative_to(workspace.root).as_posix(), row["key"])
            )


def mark_sent(workspace: Workspace, replies: Sequence[Reply]) -> list[Reply]:
    """Record drafts as sent by the clerk's own mail program (so that a reminder follows the next day, and
    nothing is sent again by `--send`). Returns those marked; a reply sent before is left as it was."""
    marked = []
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    for reply in replies:
        with store.transaction(workspace.db):
            done = workspace.db.execute(
                "UPDATE replies SET sent_at = ?, user = ? WHERE key = ? AND sent_at = ''",
                (at, workspace.user, reply.key),
            ).rowcount
            if done:
                _log_sent(workspace, reply, reply.recipients, by="邮件程序")
        if done:
            marked.append(replace(reply, sent_at=at))
    return marked


def _log_sent(workspace: Workspace, reply: Reply, to: Sequence[str], **more: str) -> None:
    """The audit log's line for a reply that went out (inside the caller's transaction)."""
    detail = {"unit_id": reply.unit_id, "kind": reply.kind_name, "version": reply.version, "to": list(to)}
    _log(workspace.db, "send", {**detail, "message_id": reply.message_id, **more}, workspace.user)


def _last_letters(workspace: Workspace) -> dict[str, sqlite3.Row]:
    """The last 下发通知 or 催报 sent to each unit."""
    rows = workspace.db.execute(
        "SELECT unit_id, key, sent_at FROM replies WHERE kind IN (?, ?) AND sent_at NOT IN ('', ?) ORDER BY sent_at",
        (REQUEST, REMINDER, SENDING),
    )
    return {row["unit_id"]: row for row in rows}


def replies_of(workspace: Workspace, unit: str) -> list[Reply]:
    """Every reply drafted for a unit, oldest first, sent or not."""
    rows = workspace.db.execute(f"{_REPLIES} WHERE r.unit_id = ? ORDER BY r.id", (workspace.unit_named(unit).unit_id,))
    return [_reply(workspace, row) for row in rows]


def _wanted(state: UnitState, last_letter: sqlite3.Row | None) -> str | None:
    """The key of the reply a unit needs now, None when it needs none. A unit that has sent nothing gets the
    blank workbook once (下发通知), then a reminder a day at most: a letter sent today is today's letter. A unit
    whose only open warnings are for the clerk (the figures came from a Word document) needs none."""
    if state.state in (HAS_ERRORS, TO_VERIFY) and state.counted:
        errors, warnings = _for_the_unit(state)
        rejected = "".join(f":r{r['id']}" for r in state.rejections)  # sent back after a reply: a new one
        return f"{PROBLEMS}:{state.unit_id}:{state.counted.id}{rejected}" if errors or warnings else None
    if state.state != NOT_RECEIVED:
        return None
    today = date.today().isoformat()
    if last_letter is None:
        return f"{REQUEST}:{state.unit_id}"
    if last_letter["sent_at"][:10] == today:
        return str(last_letter["key"])
    return f"{REMINDER}:{state.unit_id}:{today}"


def _for_the_unit(state: UnitState) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The counted version's errors and open warnings that the unit can act on."""
    assert state.counted is not None
    errors = [p for p in state.counted.problems if p["severity"] == ERROR and p["code"] not in FOR_THE_CLERK]
    return state.rejections + errors, [w for w in state.open_warnings if w["code"] not in FOR_THE_CLERK]


# A reply as recorded, with its unit's name and the number of the version it answers.
_REPLIES = """SELECT r.*, u.unit_name, f.version FROM replies r JOIN units u ON u.unit_id = r.unit_id
              LEFT JOIN files f ON f.id = r.file_id"""


def _recorded(workspace: Workspace, key: str) -> Reply | None:
    row = workspace.db.execute(f"{_REPLIES} WHERE r.key = ?", (key,)).fetchone()
    return _reply(workspace, row) if row else None


def _reply(workspace: Workspace, row: sqlite3.Row) -> Reply:
    return Reply(
        row["unit_id"],
        row["unit_name"],
        row["kind"],
        row["key"],
        row["version"],
        tuple(a for a in row["recipients"].split(",") if a),
        workspace.root / row["draft"],
        row["message_id"],
        row["sent_at"],
    )


def _with_contact(reply: Reply, info: Mapping[str, str]) -> Reply:
    return replace(reply, contact=info.get("contact", ""), phone=info.get("phone", ""))


def _keep(workspace: Workspace, state: UnitState, key: str, message: Message) -> Reply:
    """Record a new draft and write its file, unless another run sent this reply meanwhile."""
    kind = key.split(":")[0]
    folder = workspace.root / REPLY_DIR
    suffix = f"_第{state.counted.version}版" if kind == PROBLEMS and state.counted else ""
    if kind == REMINDER:
        suffix = f"_{date.today().isoformat()}"
    stem = f"{safe_name(state.unit_id, 30)}_{safe_name(state.unit_name)}_{KIND_NAMES[kind]}{suffix}"
    recipients = ",".join(address for _, address in getaddresses(message.get_all("To", [])))
    with store.transaction(workspace.db):
        row = workspace.db.execute("SELECT * FROM replies WHERE key = ?", (key,)).fetchone()
        if row is None or not row["sent_at"]:
            name = _free_name(workspace, key, stem, row["draft"] if row else "")
            folder.mkdir(exist_ok=True)
            write_atomic(folder / name, message.as_bytes(policy=EML), overwrite=True)
            workspace.db.execute(
                """INSERT OR REPLACE INTO replies (key, unit_id, kind, file_id, message_id, recipients, draft,
                   sent_at, user) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?)""",
                (
                    key,
                    state.unit_id,
                    kind,
                    state.counted.id if kind == PROBLEMS and state.counted else None,
                    str(message["Message-ID"]),
                    recipients,
                    f"{REPLY_DIR}/{name}",
                    workspace.user,
                ),
            )
    found = _recorded(workspace, key)
    assert found is not None
    return found


def _free_name(workspace: Workspace, key: str, stem: str, drafted: str) -> str:
    """A draft's file name that no other reply's draft has: another reply to the same version (the one drafted
    before a rejection, perhaps sent) keeps its own file. A draft written again keeps its name (``drafted``)."""
    others = {row["draft"] for row in workspace.db.execute("SELECT draft FROM replies WHERE key != ?", (key,))}
    own = drafted.removeprefix(f"{REPLY_DIR}/")
    if own != drafted and "/" not in own and own.startswith(stem) and drafted not in others:
        return own
    name, n = f"{stem}.eml", 1
    while f"{REPLY_DIR}/{name}" in others:
        n += 1
        name = f"{stem}（{n}）.eml"
    return name


# -- the message ---------------------------------------------------------------------------------------------


def _compose(
    workspace: Workspace,
    texts: ReplyTexts,
    state: UnitState,
    kind: str,
    contact: Mapping[str, str],
    sender: str,
    message_id: str,
) -> Message:
    deadline, soon = state.extended or workspace.deadline, texts.words.get("no_deadline", "尽快")
    facts: dict[str, object] = {
        "单位名称": state.unit_name,
        "单位编码": state.unit_id,
        "年度": workspace.year,
        "截止日期": _chinese_date(deadline) if deadline else texts.words.get("deadline_unset", "未定"),
        "回复期限": f"于 {_chinese_date(deadline)} 前" if deadline and deadline >= date.today() else soon,
        "汇总单位": workspace.unit_name,
        "日期": _chinese_date(date.today()),
    }
    attachments: list[tuple[str, bytes]] = []
    in_reply_to = ""
    if kind == PROBLEMS:
        counted = state.counted
        assert counted is not None
        letter = workspace.db.execute(
            "SELECT subject FROM messages WHERE message_id = ?", ((_file_message(workspace, counted.id)),)
        ).fetchone()
        in_reply_to = _file_message(workspace, counted.id)
        own_problems = counted.errors or counted.warnings or state.review  # a copy marks nothing when sent back
        annotated = _annotated(workspace, counted.id) if own_problems else None
        own = workspace.stored_path(counted).read_bytes()
        if annotated is not None:
            attachments.append((Path(counted.name).stem + ANNOTATED_SUFFIX, annotated))
        attachments.append((counted.name, own))
        facts.update(
            {
                "版本": counted.version,
                "收到时间": counted.received_at[:16].replace("T", " "),
                "文件名": counted.name,
                "原主题": letter["subject"] if letter else "",
                "附件说明": texts.sections[PROBLEMS]["attachments" if annotated else "no_annotated_copy"],
            }
        )
        facts["问题"] = _problem_list(texts, state, facts)
        subject_key = "subject_reply" if in_reply_to and letter and letter["subject"] else "subject"
    else:
        blank = workspace.root / BLANK_DIR / file_names(workspace.units, workspace.year)[state.unit_id]
        try:
            attachments.append((blank.name, blank.read_bytes()))
        except OSError:
            raise NianbaoError(
                f"{state.unit_id} {state.unit_name} 的空白表格 {shown(blank)} 不见了，无法附上；"
                "请从别处找回该文件放回原处后再运行"
            ) from None
        subject_key = "subject"
    message = MIMEMultipart()
    message["Subject"] = _encoded(texts.fill(kind, subject_key, facts))
    if sender:
        message["From"] = sender
    if contact.get("addresses"):
        message["To"] = contact["addresses"]
    elif kind == PROBLEMS and state.counted and state.counted.sender:
        message["To"] = state.counted.sender  # no address in the roster: answer where it came from
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["X-Unsent"] = "1"  # Outlook opens the draft as a message to send
    message.attach(MIMEText(texts.fill(kind, "body", facts), "plain", "utf-8"))
    for name, data in attachments:
        message.attach(_attachment(name, data))
    return message


def _problem_list(texts: ReplyTexts, state: UnitState, facts: Mapping[str, object]) -> str:
    errors, warnings = _for_the_unit(state)
    groups = [("errors_heading", errors), ("warnings_heading", warnings)]
    blocks = []
    for heading, problems in groups:
        if not problems:
            continue
        lines = [texts.fill(PROBLEMS, heading, {**facts, "个数": len(problems)})]
        for n, problem in enumerate(problems, 1):
            lines.append(
                texts.fill(PROBLEMS, "line", {**facts, "序号": n, "位置": _place(problem), "说明": problem["message"]})
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _place(problem: Mapping[str, Any]) -> str:
    labels = "／".join(x for x in (problem.get("row_label"), problem.get("col_label")) if x)
    where = " ".join(x for x in (problem.get("sheet"), problem.get("cell")) if x)
    return f"{where}（{labels}）" if labels else where or "整个文件"


def _attachment(name: str, data: bytes) -> MIMEBase:
    """An attachment whose Chinese name every mail program shows: RFC 2231 in the disposition (the standard)
    and an RFC 2047 word in the content type's name (what Outlook and Foxmail read), as Thunderbird sends."""
    maintype, subtype = (mimetypes.guess_type(name)[0] or "application/octet-stream").split("/", 1)
    part = MIMEBase(maintype, subtype, name=_encoded(name))
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
    return part


def _encoded(text: str) -> str:
    """RFC 2047 words of at most 76 characters, on one line (the file is written with long lines allowed, so
    that no header is folded inside a value)."""
    return Header(text, "utf-8").encode(maxlinelen=76, linesep="")


def _annotated(workspace: Workspace, file_id: int) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="nianbao-reply-") as folder:
        target = Path(folder) / "annotated.xlsx"
        return target.read_bytes() if workspace.annotate(file_id, target) else None


def _file_message(workspace: Workspace, file_id: int) -> str:
    """The Message-ID of the mail a file came in, when it came by mail with one."""
    row = workspace.db.execute("SELECT message_id FROM files WHERE id = ?", (file_id,)).fetchone()
    found = row["message_id"] if row else ""
    return found if found.startswith("<") and "@" in found else ""


def _contacts(workspace: Workspace) -> dict[str, dict[str, str]]:
    """Each unit's addresses (as the roster lists them), contact person and phone number."""
    found: dict[str, dict[str, str]] = {}
    for unit_id, addresses in workspace.addresses.items():
        found.setdefault(unit_id, {})["addresses"] = ", ".join(sorted(addresses))
    for unit in workspace.roster_units:
        for column, value in unit.extra.items():
            if not value.strip():
                continue
            if "电话" in column or "手机" in column or "phone" in column.lower():
                found.setdefault(unit.unit_id, {})["phone"] = value.strip()
            elif "联系人" in column or "contact" in column.lower():
                found.setdefault(unit.unit_id, {})["contact"] = value.strip()
    return found


def _domain(sender: str) -> str | None:
    return sender.rpartition("@")[2].strip(" >") or None if "@" in sender else None


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# -- sending -------------------------------------------------------------------------------------------------


class Outbox(Protocol):
    """Where replies go: an SMTP connection (collection/smtp.py). ``send`` raises NianbaoError when the
    message was not taken, and returns the recipients refused (address: why) when it was taken for others."""

    def send(self, message: Message, recipients: Sequence[str]) -> dict[str, str]: ...


def send_replies(workspace: Workspace, replies: Sequence[Reply], outbox: Outbox, sender: str) -> Iterator[Sent]:
    """Send each reply not sent before, from ``sender``; each is claimed in the record first, so that two
    runs at once never send the same reply twice, and marked sent as soon as the server has taken it."""
    for reply in replies:
        if reply.sent_at:
            yield Sent(reply, False, _sent_before(reply))
            continue
        if not reply.recipients:
            yield Sent(reply, False, "名单上没有这个单位的邮箱")
            continue
        with store.transaction(workspace.db):
            claimed = workspace.db.execute(
                "UPDATE replies SET sent_at = ? WHERE key = ? AND sent_at = ''", (SENDING, reply.key)
            ).rowcount
        if not claimed:
            now = _recorded(workspace, reply.key)
            yield Sent(reply, False, _sent_before(now or reply))
            continue
        try:
            refused = outbox.send(_outgoing(reply, sender), reply.recipients)
        except NianbaoError as exc:
            with store.transaction(workspace.db):
                workspace.db.execute("UPDATE replies SET sent_at = '' WHERE key = ?", (reply.key,))
            yield Sent(reply, False, str(exc))
            continue
        at = datetime.now().astimezone().isoformat(timespec="seconds")
        taken = tuple(a for a in reply.recipients if a not in refused)
        with store.transaction(workspace.db):
            workspace.db.execute(
                "UPDATE replies SET sent_at = ?, user = ?, recipients = ? WHERE key = ?",
                (at, workspace.user, ",".join(taken), reply.key),
            )
            _log_sent(workspace, reply, taken)
        note = "；".join(f"发信服务器拒收 {address}（{why}）" for address, why in refused.items())
        yield Sent(replace(reply, sent_at=at, recipients=taken), True, note)


def _outgoing(reply: Reply, sender: str) -> Message:
    """The draft as it goes out: from ``sender``, dated now, no longer marked unsent."""
    try:
        message = BytesParser(policy=EML).parsebytes(reply.draft.read_bytes())
    except OSError:
        raise NianbaoError(f"草稿 {shown(reply.draft)} 不见了；重新运行 nianbao reply 会再写一份") from None
    for header in ("From", "Date", "X-Unsent"):
        del message[header]
    message["From"] = sender
    message["Date"] = format_datetime(datetime.now().astimezone())
    return message


def _sent_before(reply: Reply) -> str:
    if reply.sent_at == SENDING:
        return "上次发送时中断，可能已经发出；请在发件箱的“已发送”中核对，未发出的请用草稿手动发送"
    return f"{reply.said}，不重复发送"
