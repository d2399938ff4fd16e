"""Replies to the units (issue #12): which reply each unit needs, its draft kept, and sending it.

A unit needs a reply when its counted version has errors or unexplained warnings (审核意见: the problems listed,
the annotated copy and the unit's own file attached, threaded to the unit's message), or when nothing has come
from it (下发通知 with its blank workbook the first time, 催报 afterwards as the round's cadence says: from a few
days before the unit's deadline, every few days; collection/settings.py). Each reply has a key: the unit, its
kind and the version it answers (a reminder: the day it became due). The record keeps one row per key, so that a
reply is drafted once and sent once, whoever runs `reply` and however often. Replies come from the round's
sender and are signed by its office (the workspace's settings).

Drafts are .eml files in 回复草稿/ with ``X-Unsent: 1`` (Outlook opens them as a message to send; Thunderbird and
Foxmail open .eml files too). The message itself is composed in collection/compose.py."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email.message import Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Protocol

from nianbao.collection.compose import (
    EML,
    KIND_NAMES,
    PROBLEMS,
    REMINDER,
    REQUEST,
    Outgoing,
    ReplyTexts,
    compose,
    for_the_unit,
)
from nianbao.collection.contacts import Contact
from nianbao.collection.layout import BLANK_DIR, OBSOLETE_DIR, REPLY_DIR, TEXTS_FILE
from nianbao.collection.model import HAS_ERRORS, NOT_RECEIVED, TO_VERIFY, UnitState
from nianbao.collection.record import ReplyRow
from nianbao.collection.servers import PossiblySent
from nianbao.collection.settings import RoundSettings, from_header, next_reminder
from nianbao.collection.workspace import Workspace
from nianbao.form import data_dir
from nianbao.io.files import safe_name, shown, write_atomic
from nianbao.io.roster import mail_addresses
from nianbao.operations.annotate import SUFFIX as ANNOTATED_SUFFIX
from nianbao.operations.generate import file_names
from nianbao.problems import NianbaoError, Problem, SpecError

__all__ = [
    "KIND_NAMES",
    "PROBLEMS",
    "REMINDER",
    "REPLY_DIR",
    "REQUEST",
    "SENDING",
    "TEXTS_FILE",
    "Drafts",
    "Needed",
    "Outbox",
    "Reply",
    "Sent",
    "UnitLetters",
    "draft_replies",
    "latest_drafts",
    "letter_problems",
    "letters_of",
    "mark_sent",
    "replies_of",
    "reply_needed",
    "send_replies",
    "unit_letters",
]

SENDING = "sending"  # a send began and its end was never recorded: it may have gone out
UNSURE = "不会自动重发；请在收件单位或发件箱中核对：已发出的记为已发送，未发出的用草稿手动发出后记为已发送"


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


@dataclass(frozen=True)
class UnitLetters:
    """What a unit has been written: the last reply that went out (sent by this tool or marked sent), and the
    latest draft not yet sent (None when none waits; a draft set aside as no longer needed does not wait)."""

    sent: Reply | None = None
    waiting: Reply | None = None


@dataclass(frozen=True)
class Drafts:
    replies: list[Reply]  # in roster order
    failed: list[str]  # the units whose reply could not be written, and why
    reminders: dict[str, date] = field(default_factory=dict)  # a unit written to, not yet due: its next reminder


def texts_of(workspace: Workspace) -> ReplyTexts:
    own = workspace.root / TEXTS_FILE
    return ReplyTexts(own if own.is_file() else data_dir("templates") / "mail" / "replies.toml")


# -- what each unit needs -----------------------------------------------------------------------------------


def draft_replies(workspace: Workspace, units: Sequence[str] = (), sender: str = "") -> Drafts:
    """The replies the units need now (all units, or those named), each drafted in 回复草稿/, from ``sender``
    (the workspace's sender when not given). A reply not yet sent is written again from the current words,
    roster, settings and record (its Message-ID stays); one sent stays as sent. A unit whose reply cannot be
    written (its blank workbook or its file gone) is said, and the others are written. With all units, the
    unsent drafts no unit needs any more go to 回复草稿/已过时/."""
    texts = texts_of(workspace)
    settings = workspace.settings
    sender = from_header(sender or settings.sender)
    chosen = {workspace.unit_named(u).unit_id for u in units}
    states = [s for s in workspace.status().units if not chosen or s.unit_id in chosen]
    people = workspace.contacts.people
    letters = workspace.record.last_letters((REQUEST, REMINDER), SENDING)
    replies, failed, new, reminders = [], [], [], {}
    today = date.today()
    for state in states:
        key, due = _wanted(state, letters.get(state.unit_id), state.extended or workspace.deadline, settings, today)
        if due is not None:
            reminders[state.unit_id] = due
        if key is None:
            continue
        contact = people.get(state.unit_id, Contact())
        row = workspace.record.reply(key)
        if row is None or not row.sent_at:
            message_id = row.message_id if row else make_msgid(domain=_domain(sender))
            try:
                outgoing = _outgoing(workspace, state, key.split(":")[0], contact, sender, message_id)
                signed = replace(outgoing, office=settings.office, contact=settings.contact, phone=settings.phone)
                message = compose(texts, signed)
            except SpecError:  # the words of the replies: wrong for every unit alike
                raise
            except NianbaoError as exc:
                failed.append(f"{state.unit_id} {state.unit_name}：{exc}")
                continue
            if row is None:
                new.append(state.unit_id)
            row = _keep(workspace, state, key, message)
        replies.append(replace(_reply(workspace, row), contact=contact.person, phone=contact.phone))
    if not chosen:
        _set_aside(workspace, {r.key for r in replies})
    if new:
        with workspace.record.transaction() as record:
            record.log("reply", {"drafts": len(new), "units": len(replies), "unit_ids": new}, workspace.user)
    return Drafts(replies, failed, reminders)


def _wanted(
    state: UnitState, last_letter: ReplyRow | None, deadline: date | None, settings: RoundSettings, today: date
) -> tuple[str | None, date | None]:
    """The key of the reply a unit needs now (None when it needs none), and for a unit that has sent nothing and
    was written to, the day its next reminder is due. Such a unit gets the blank workbook once (下发通知), then a
    reminder when the cadence says (`next_reminder`, counting back from its ``deadline``); until then its last
    letter is the one it has. A unit whose only open warnings are for the clerk (the figures came from a Word
    document) needs none."""
    if state.state in (HAS_ERRORS, TO_VERIFY) and state.counted:
        errors, warnings = for_the_unit(state)
        rejected = "".join(f":r{r.id}" for r in state.rejections)  # sent back after a reply: a new one
        return (f"{PROBLEMS}:{state.unit_id}:{state.counted.id}{rejected}" if errors or warnings else None), None
    if state.state != NOT_RECEIVED:
        return None, None
    if last_letter is None:
        return f"{REQUEST}:{state.unit_id}", None
    sent = date.fromisoformat(last_letter.sent_at[:10])
    due = next_reminder(sent, deadline, settings.remind_before, settings.remind_every)
    if due > today:
        return last_letter.key, due
    return f"{REMINDER}:{state.unit_id}:{due.isoformat()}", None


@dataclass(frozen=True)
class Needed:
    """The reply a unit needs now, without drafting it: its key (None when it needs none), whether that reply
    went out already, and for a unit reminded already, the day the next reminder is due."""

    key: str | None
    sent: bool = False
    due: date | None = None


def reply_needed(workspace: Workspace, state: UnitState) -> Needed:
    """What `draft_replies` would find a unit needs today (nothing is written)."""
    letters = workspace.record.last_letters((REQUEST, REMINDER), SENDING)
    deadline = state.extended or workspace.deadline
    key, due = _wanted(state, letters.get(state.unit_id), deadline, workspace.settings, date.today())
    row = workspace.record.reply(key) if key else None
    return Needed(key, bool(row and row.sent_at), due)


def replies_of(workspace: Workspace, unit: str) -> list[Reply]:
    """Every reply drafted for a unit, oldest first, sent or not."""
    return [_reply(workspace, row) for row in workspace.record.replies_of(workspace.unit_named(unit).unit_id)]


def unit_letters(workspace: Workspace) -> dict[str, UnitLetters]:
    """Each unit's last reply sent and latest draft waiting (units never written to are absent): one reading of
    the record, for a page listing every unit."""
    replies: dict[str, list[Reply]] = {}
    for row in workspace.record.every_reply():
        replies.setdefault(row.unit_id, []).append(_reply(workspace, row))
    return {unit_id: letters_of(drafted) for unit_id, drafted in replies.items()}


def letters_of(replies: Sequence[Reply]) -> UnitLetters:
    """A unit's last reply sent and latest draft waiting, from its replies in the order they were drafted."""
    sent = [r for r in replies if r.sent_at and r.sent_at != SENDING]
    waiting = [r for r in replies if not r.sent_at and r.draft.parent.name != OBSOLETE_DIR]
    return UnitLetters(max(sent, key=lambda r: r.sent_at, default=None), waiting[-1] if waiting else None)


def latest_drafts(workspace: Workspace, units: Sequence[str]) -> list[Reply]:
    """The latest draft waiting for each of these units (by code), in the order given: the one the clerk last
    downloaded, to be marked sent when their own mail program sent it."""
    letters = unit_letters(workspace)
    return [w for u in units if (w := letters.get(u, UnitLetters()).waiting) is not None]


def _reply(workspace: Workspace, row: ReplyRow) -> Reply:
    return Reply(
        row.unit_id,
        row.unit_name,
        row.kind,
        row.key,
        row.version,
        row.recipients,
        workspace.root / row.draft,
        row.message_id,
        row.sent_at,
    )


# -- the drafts ----------------------------------------------------------------------------------------------


def _outgoing(
    workspace: Workspace, state: UnitState, kind: str, contact: Contact, sender: str, message_id: str
) -> Outgoing:
    """What the reply needs from the record and the workspace's files."""
    deadline = state.extended or workspace.deadline
    to = ", ".join(contact.addresses)
    common = Outgoing(kind, state, workspace.year, deadline, workspace.unit_name, message_id, to, sender)
    if kind != PROBLEMS:
        blank = workspace.root / BLANK_DIR / file_names(workspace.units, workspace.year)[state.unit_id]
        try:
            return replace(common, attachments=[(blank.name, blank.read_bytes())])
        except OSError:
            raise NianbaoError(
                f"{state.unit_id} {state.unit_name} 的空白表格 {shown(blank)} 不见了，无法附上；"
                "请从别处找回该文件放回原处后再运行"
            ) from None
    counted = state.counted
    assert counted is not None
    answered = workspace.record.file_message(counted.id)
    answered = answered if answered.startswith("<") and "@" in answered else ""
    listed = letter_problems(state)
    # The copy marks and lists what the letter lists; of whole-file problems only (a version sent back) it would
    # mark nothing and say no more than the letter: the unit's own file goes alone.
    annotated = _annotated(workspace, counted.id, listed) if any(p.cell for p in listed) else None
    attachments = [(Path(counted.name).stem + ANNOTATED_SUFFIX, annotated)] if annotated is not None else []
    attachments.append((counted.name, workspace.stored_path(counted).read_bytes()))
    return replace(
        common,
        to=to or _mail_address(counted.sender),  # no address in the roster: answer the mail it came in
        attachments=attachments,
        annotated=annotated is not None,
        in_reply_to=answered,
        original_subject=workspace.record.subject_of(answered) if answered else "",
    )


def _mail_address(sender: str) -> str:
    """The address a version came from by mail; '' for one that came otherwise (a folder, the page's upload,
    whose sender is the colleague who uploaded it, never the unit)."""
    found, wrong = mail_addresses(sender)
    return found[0] if len(found) == 1 and not wrong else ""


def letter_problems(state: UnitState) -> list[Problem]:
    """What a reply to a unit lists, in its order: the errors (the clerk's rejections first), then the open
    warnings (the across-units review's among them). The annotated copy marks and lists the same."""
    errors, warnings = for_the_unit(state)
    return [*errors, *warnings]


def _annotated(workspace: Workspace, file_id: int, problems: Sequence[Problem]) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="nianbao-reply-") as folder:
        target = Path(folder) / "annotated.xlsx"
        return target.read_bytes() if workspace.annotate(file_id, target, problems) else None


def _keep(workspace: Workspace, state: UnitState, key: str, message: Message) -> ReplyRow:
    """Record a new draft and write its file, unless another run sent this reply meanwhile."""
    kind = key.split(":")[0]
    folder = workspace.root / REPLY_DIR
    suffix = f"_第{state.counted.version}版" if kind == PROBLEMS and state.counted else ""
    if kind == REMINDER:
        suffix = f"_{key.rsplit(':', 1)[1]}"  # the day it became due
    stem = f"{safe_name(state.unit_id, 30)}_{safe_name(state.unit_name)}_{KIND_NAMES[kind]}{suffix}"
    recipients = ",".join(address for _, address in getaddresses(message.get_all("To", [])))
    file_id = state.counted.id if kind == PROBLEMS and state.counted else None
    with workspace.record.transaction() as record:
        row = record.reply(key)
        if row is None or not row.sent_at:
            name = _free_name(record.drafts_but(key), stem, row.draft if row else "")
            folder.mkdir(exist_ok=True)
            write_atomic(folder / name, message.as_bytes(policy=EML), overwrite=True)
            draft = f"{REPLY_DIR}/{name}"
            record.keep_draft(
                key, state.unit_id, kind, file_id, str(message["Message-ID"]), recipients, draft, workspace.user
            )
    found = workspace.record.reply(key)
    assert found is not None
    return found


def _free_name(others: set[str], stem: str, drafted: str) -> str:
    """A draft's file name that no other reply's draft has: another reply to the same version (the one drafted
    before a rejection, perhaps sent) keeps its own file. A draft written again keeps its name (``drafted``)."""
    own = drafted.removeprefix(f"{REPLY_DIR}/")
    if own != drafted and "/" not in own and own.startswith(stem) and drafted not in others:
        return own
    name, n = f"{stem}.eml", 1
    while f"{REPLY_DIR}/{name}" in others:
        n += 1
        name = f"{stem}（{n}）.eml"
    return name


def _set_aside(workspace: Workspace, needed: set[str]) -> None:
    """Move the unsent drafts that no unit needs now (it has sent a new version, or passed) to 已过时/."""
    for row in workspace.record.unsent():
        draft = workspace.root / row.draft
        if row.key in needed or not draft.is_file() or draft.parent.name == OBSOLETE_DIR:
            continue
        aside = draft.parent / OBSOLETE_DIR / draft.name
        aside.parent.mkdir(exist_ok=True)
        draft.replace(aside)
        with workspace.record.transaction() as record:
            record.move_draft(row.key, aside.relative_to(workspace.root).as_posix())


def _domain(sender: str) -> str | None:
    return sender.rpartition("@")[2].strip(" >") or None if "@" in sender else None


# -- sending -------------------------------------------------------------------------------------------------


class Outbox(Protocol):
    """Where replies go: an SMTP connection (collection/smtp.py). ``send`` raises NianbaoError when the
    message was not taken, and returns the recipients refused (address: why) when it was taken for others."""

    def send(self, message: Message, recipients: Sequence[str]) -> dict[str, str]: ...


def mark_sent(workspace: Workspace, replies: Sequence[Reply]) -> list[Reply]:
    """Record drafts as sent by the clerk's own mail program (so that the next reminder counts from today, and
    nothing is sent again by this tool), or a send that was cut off as gone out after all. Returns those marked;
    a reply sent before is left as it was."""
    marked = []
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    for reply in replies:
        with workspace.record.transaction() as record:
            done = record.claim(reply.key, at) or record.claim(reply.key, at, was=SENDING)
            if done:
                record.sent(reply.key, at, workspace.user)
                _log_sent(workspace, reply, reply.recipients, by="邮件程序")
        if done:
            marked.append(replace(reply, sent_at=at))
    return marked


def send_replies(workspace: Workspace, replies: Sequence[Reply], outbox: Outbox, sender: str) -> Iterator[Sent]:
    """Send each reply not sent before, from ``sender`` (an address, with a name before it if one was given);
    each is claimed in the record first, so that two runs at once never send the same reply twice, and marked
    sent as soon as the server has taken it."""
    for reply in replies:
        if reply.sent_at:
            yield Sent(reply, False, _sent_before(reply))
            continue
        if not reply.recipients:
            yield Sent(reply, False, "名单上没有这个单位的邮箱")
            continue
        with workspace.record.transaction() as record:
            claimed = record.claim(reply.key, SENDING)
        if not claimed:
            now = workspace.record.reply(reply.key)
            yield Sent(reply, False, _sent_before(_reply(workspace, now) if now else reply))
            continue
        try:
            refused = outbox.send(_going_out(reply, sender), reply.recipients)
        except PossiblySent as exc:  # stays claimed (SENDING): never sent again by itself
            with workspace.record.transaction():
                _log_sent(workspace, reply, reply.recipients, unsure=str(exc))
            yield Sent(replace(reply, sent_at=SENDING), False, f"{exc}；{UNSURE}")
            continue
        except NianbaoError as exc:
            with workspace.record.transaction() as record:
                record.unclaim(reply.key)
            yield Sent(reply, False, str(exc))
            continue
        at = datetime.now().astimezone().isoformat(timespec="seconds")
        taken = tuple(a for a in reply.recipients if a not in refused)
        with workspace.record.transaction() as record:
            record.sent(reply.key, at, workspace.user, taken)
            _log_sent(workspace, reply, taken)
        note = "；".join(f"发信服务器拒收 {address}（{why}）" for address, why in refused.items())
        yield Sent(replace(reply, sent_at=at, recipients=taken), True, note)


def _log_sent(workspace: Workspace, reply: Reply, to: Sequence[str], **more: str) -> None:
    """The audit log's line for a reply that went out (inside the caller's transaction)."""
    detail = {"unit_id": reply.unit_id, "kind": reply.kind_name, "version": reply.version, "to": list(to)}
    workspace.record.log("send", {**detail, "message_id": reply.message_id, **more}, workspace.user)


def _going_out(reply: Reply, sender: str) -> Message:
    """The draft as it goes out: from ``sender``, dated now, no longer marked unsent."""
    try:
        message = BytesParser(policy=EML).parsebytes(reply.draft.read_bytes())
    except OSError:
        raise NianbaoError(f"草稿 {shown(reply.draft)} 不见了；重新运行 nianbao reply 会再写一份") from None
    for header in ("From", "Date", "X-Unsent"):
        del message[header]
    message["From"] = from_header(sender)
    message["Date"] = format_datetime(datetime.now().astimezone())
    return message


def _sent_before(reply: Reply) -> str:
    if reply.sent_at == SENDING:
        return f"上次发送时中断，可能已经发出；{UNSURE}"
    return f"{reply.said}，不重复发送"
