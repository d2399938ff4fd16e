"""A workspace: one collection round in one folder.

    DIR/nianbao.sqlite     the record (collection/store.py)
    DIR/名单.csv            the roster, as given
    DIR/空白表格/           the blank workbooks sent to the units (as `generate` writes them)
    DIR/收到的文件/         every file received, byte for byte, never changed or deleted
    DIR/汇总结果/           summaries made from the page (`nianbao serve`), each under a name of its own

Each unit's versions are the files received with its identity, numbered in the order they were taken in; the
latest to come counts (a mail: when it reached the mailbox), unless the clerk pins another. A unit's state comes
from the version that counts: 未收到, 有错误, 待核实 (warnings neither explained in the workbook nor accepted),
已通过; and 迟交 if it came after the deadline.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import io
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nianbao
from nianbao.collection import store
from nianbao.form import DEFAULT_FORM, form_file
from nianbao.io.files import decode_chinese_text, resolved, safe_name, sha256, shown, sync_files, write_atomic
from nianbao.io.roster import KIND_HEADERS, Unit, is_mail_column, mail_addresses, may_have_column, read_roster
from nianbao.io.values import says_nothing
from nianbao.operations.parallel import Progress, no_progress
from nianbao.problems import ERROR, MESSAGES, WARNING, NianbaoError, Problem

if TYPE_CHECKING:  # checking, mail and writing are imported where they are used: `status` needs none of them
    from nianbao.collection.mail import Mail, RawMail
    from nianbao.form.spec import Form
    from nianbao.operations.check import CheckedFile, CheckOptions, PackedFigures
    from nianbao.operations.generate import Batch
    from nianbao.operations.merge import Summary

BLANK_DIR = "空白表格"
RECEIVED_DIR = "收到的文件"
SUMMARY_DIR = "汇总结果"
ROSTER_STEM = "名单"
SPEC_COPY = "表格规格.toml"  # a spec given by path travels with the workspace

NOT_RECEIVED, HAS_ERRORS, TO_VERIFY, PASSED = "未收到", "有错误", "待核实", "已通过"
LATE = "迟交"
UNIDENTIFIED, OFF_ROSTER = "未识别", "不在名单"
NO_WORKBOOK = "来信无统计表"
NEW, KNOWN, REFUSED = "new", "known", "refused"  # what receiving a file did
_NOTHING_FROM_LAST_YEAR = "没有从这些文件中读到任何单位的上年数字："
OWN_FILE = "这是工作区自己的文件（空白表格、汇总结果、回复草稿或名单），不是单位发来的"
CHANGED = "文件在收取过程中被改动（可能还在下载或保存），未收下；请等它保存完再收一次"


@dataclass(frozen=True)
class Version:
    """A file received: a version of a roster unit, or a file that is not one (``version`` None)."""

    id: int
    unit_id: str
    unit_name: str
    version: int | None
    name: str
    stored: str
    source: str
    sender: str
    received_at: str
    sha256: str
    size: int
    errors: int
    warnings: int
    explanation: str
    problems_json: str = field(repr=False)  # parsed only when asked: status reads thousands of rows
    # Figures and narrative (JSON), the bulk of a version: None when the status did not read them; they are
    # then read from the record when first asked, while the workspace is open.
    figures_json: str | None = field(repr=False)
    texts_json: str | None = field(repr=False)
    record: sqlite3.Connection | None = field(default=None, repr=False, compare=False)

    @cached_property
    def problems(self) -> list[dict[str, Any]]:
        return list(json.loads(self.problems_json))

    @cached_property
    def figures(self) -> dict[str, float | str | None]:
        """Every figure, or the text typed where no number could be read."""
        return dict(json.loads(self._read("figures", self.figures_json)))

    @cached_property
    def texts(self) -> dict[str, str]:
        return dict(json.loads(self._read("texts", self.texts_json)))

    def _read(self, column: str, kept: str | None) -> str:
        if kept is not None:
            return kept
        assert self.record is not None, "a version read without its figures keeps the record to read them from"
        (value,) = self.record.execute(f"SELECT {column} FROM files WHERE id = ?", (self.id,)).fetchone()
        return str(value)

    @property
    def explained(self) -> bool:
        """The unit explained its warnings in the workbook's 情况说明."""
        return not says_nothing(self.explanation)

    def summary(self) -> dict[str, object]:
        return {
            "version": self.version,
            "name": self.name,
            "received_at": self.received_at,
            "source": self.source,
            "sender": self.sender,
            "sha256": self.sha256,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class UnitState:
    unit_id: str
    unit_name: str
    state: str  # NOT_RECEIVED, HAS_ERRORS, TO_VERIFY or PASSED
    versions: int
    counted: Version | None
    pinned: bool = False
    late: bool = False
    open_warnings: list[dict[str, Any]] = field(default_factory=list)  # neither explained nor accepted
    sender_warning: str = ""  # the counted version came from an address that is not the unit's
    review: list[dict[str, Any]] = field(default_factory=list)  # figures far above the others of its kind
    rejections: list[dict[str, Any]] = field(default_factory=list)  # the clerk sent the counted version back
    extended: date | None = None  # a later deadline granted to this unit

    def to_json(self) -> dict[str, object]:
        return {
            "unit_id": self.unit_id,
            "unit_name": self.unit_name,
            "state": self.state,
            "late": self.late,
            "versions": self.versions,
            "pinned": self.pinned,
            "counted": self.counted.summary() if self.counted else None,
            "open_warnings": [w["message"] for w in self.open_warnings],
            "sender_warning": self.sender_warning,
            "review": [w["message"] for w in self.review],
            "rejections": [r["note"] for r in self.rejections],
            "extended": self.extended.isoformat() if self.extended else None,
        }


@dataclass(frozen=True)
class RoundStatus:
    year: int
    deadline: date | None
    units: list[UnitState]  # in roster order
    unidentified: list[Version]  # files that are no roster unit's return
    without_workbook: list[Letter] = field(default_factory=list)  # messages that brought no workbook

    @property
    def received(self) -> int:
        return sum(u.state != NOT_RECEIVED for u in self.units)

    @property
    def on_time(self) -> int:
        return sum(u.state != NOT_RECEIVED and not u.late for u in self.units)

    def count(self, state: str) -> int:
        return sum(u.state == state for u in self.units)

    def to_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "units": len(self.units),
            "received": self.received,
            "on_time": self.on_time,
            "states": {s: self.count(s) for s in (NOT_RECEIVED, HAS_ERRORS, TO_VERIFY, PASSED)},
            "roster": [u.to_json() for u in self.units],
            "unidentified": [{**v.summary(), "unit_id": v.unit_id, "problems": v.problems} for v in self.unidentified],
            "without_workbook": [vars(letter) for letter in self.without_workbook],
        }


@dataclass(frozen=True)
class Letter:
    """A message received (its workbooks are versions; this is the message itself)."""

    message_id: str
    source: str
    sender: str
    sent_at: str
    subject: str
    workbooks: int
    notes: list[str]
    others: list[str]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Letter:
        return cls(
            row["message_id"],
            row["source"],
            row["sender"],
            row["sent_at"] or row["received_at"],
            row["subject"],
            row["workbooks"],
            json.loads(row["notes"]),
            json.loads(row["others"]),
        )


@dataclass(frozen=True)
class Received:
    """What receiving one file did."""

    path: Path
    outcome: str  # NEW, KNOWN (the same bytes came before) or REFUSED (not stored)
    version: Version | None = None
    state: UnitState | None = None
    reason: str = ""
    blank: bool = False  # a workbook with nothing typed (a quoted blank): stored, not a return


@dataclass
class MailReceived:
    """What receiving one message did: NEW, or KNOWN when the same message was received before."""

    source: str
    mail: Mail
    outcome: str
    files: list[Received]


@dataclass(frozen=True)
class _Origin:
    """Where a file came from, recorded on its version."""

    source: str
    sender: str
    at: str
    subject: str = ""
    message_id: str = ""


@dataclass
class _Incoming:
    """A file to receive: on disk (``data`` None) or an attachment's bytes under its safe name."""

    path: Path
    data: bytes | None
    origin: _Origin
    where: str = ""
    digest: str = ""
    stored: Path | None = None
    report: _Checked | None = None
    document: bool = False  # a Word file attached to a message without a workbook: a return only if a report


@dataclass(frozen=True)
class _Checked:
    """What the record keeps of a check: counts and JSON, small enough to hold for thousands of files."""

    unit_id: str
    unit_name: str
    errors: int
    warnings: int
    explanation: str
    problems: str
    figures: str
    texts: str

    @classmethod
    def of(cls, report: CheckedFile) -> _Checked:
        return cls(
            report.unit_id,
            report.unit_name,
            len(report.errors),
            len(report.warnings),
            report.explanation,
            json.dumps([p.to_json() for p in report.problems], ensure_ascii=False),
            json.dumps(_figures(report), ensure_ascii=False),
            json.dumps(report.texts, ensure_ascii=False),
        )


@dataclass(frozen=True)
class Difference:
    code: str
    place: str  # sheet!cell (labels)
    before: object
    after: object


@dataclass(frozen=True)
class LogEntry:
    at: str
    user: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class WorkspaceMerge:
    blockers: list[UnitState]
    summary: Summary | None  # None when units block and no partial summary was asked for


class Workspace:
    """An open workspace. Every change is one transaction in the record, logged with time and user."""

    def __init__(self, root: Path, db: sqlite3.Connection, user: str | None = None) -> None:
        self.root, self.db = root.absolute(), db  # absolute: a page serving files must not depend on cwd
        self.user = user or _user()  # who the log and the decisions name
        meta = {row["key"]: row["value"] for row in db.execute("SELECT key, value FROM meta")}
        self.form_name = meta["form"] if not meta["form"].endswith(".toml") else str(root / meta["form"])
        self.year = int(meta["year"])
        self.deadline = date.fromisoformat(meta["deadline"]) if meta.get("deadline") else None
        self.unit_id, self.unit_name = meta["unit_id"], meta["unit_name"]
        self.roster_path = root / meta["roster"]
        self.units = [Unit(r["unit_id"], r["unit_name"]) for r in db.execute("SELECT * FROM units ORDER BY position")]
        self._roster_ids = {u.unit_id for u in self.units}
        self.previous_notes: list[str] = []  # what could not be used of last year's files, when they were given

    @cached_property
    def form(self) -> Form:
        """The form spec, loaded when first needed (a status without reviews or acceptances needs none)."""
        from nianbao.form.spec import load_form

        return load_form(self.form_name)

    @cached_property
    def _by_place(self) -> dict[tuple[str, str], str]:
        return {(c.sheet, c.a1): c.code for c in self.form.cells.values()}

    @cached_property
    def _across(self) -> set[str]:
        return {r.id for r in self.form.review.units}

    # -- creating and finding ------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: str | Path,
        roster: str | Path,
        year: int,
        *,
        deadline: str = "",
        password: str | None = None,
        unit_id: str = "summary",
        unit_name: str = "汇总",
        form_name: str = DEFAULT_FORM,
        progress: Progress = no_progress,
        previous: Sequence[str | Path] = (),
    ) -> tuple[Workspace, Batch]:
        """A new workspace in ``root`` with its blank workbooks; refused where a workspace already is. With
        ``previous`` (last year's workbooks, summary, workspace or published reports), returns are checked
        against last year's figures (X1, X2 and the year-over-year review)."""
        from nianbao.form.spec import load_form
        from nianbao.operations.generate import deadline_date, generate

        root = Path(root)
        if (root / store.DATABASE).exists():
            raise NianbaoError(f"{shown(root)} 中已经有一个工作区，未做任何改动")
        form = load_form(form_name)
        units = read_roster(roster)
        day = deadline_date(deadline) if deadline else None
        last, notes = last_year(previous, form_name, year, units) if previous else ({}, [])
        if previous and not last:
            raise NianbaoError(_NOTHING_FROM_LAST_YEAR + ("；".join(notes) or "没有可用的文件") + "；未建立工作区")
        batch = generate(
            roster, year, root / BLANK_DIR, form_name=form_name, password=password, deadline=deadline, progress=progress
        )
        roster_copy = f"{ROSTER_STEM}{Path(roster).suffix.lower()}"
        shutil.copyfile(roster, root / roster_copy)
        spec = form_name
        if form_name.endswith(".toml"):
            shutil.copyfile(form_name, root / SPEC_COPY)
            spec = SPEC_COPY
        db = store.create(root / store.DATABASE)
        meta = {
            "form": spec,
            "form_key": form.key,
            "year": str(year),
            "deadline": day.isoformat() if day else "",
            "unit_id": unit_id,
            "unit_name": unit_name,
            "roster": roster_copy,
            "created_at": _now(),
        }
        with store.transaction(db):
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            db.executemany(
                "INSERT INTO units (unit_id, unit_name, position) VALUES (?, ?, ?)",
                [(u.unit_id, u.unit_name, i) for i, u in enumerate(units)],
            )
            _log(db, "init", {"year": year, "units": len(units), "deadline": meta["deadline"], "form": form.key})
            if previous:
                _store_previous(db, last, previous)
        workspace = cls(root, db)
        workspace.previous_notes = notes
        return workspace, batch

    @classmethod
    def open(cls, where: str | Path | None = None, *, user: str | None = None) -> Workspace:
        """The workspace at ``where``, or the one the current folder is in (looking upward, as git does).
        ``user`` names who acts in the log (the operating system's user if not given)."""
        start = Path(where) if where is not None else Path.cwd()
        for folder in [start, *start.resolve().parents] if where is None else [start]:
            if (folder / store.DATABASE).is_file():
                return cls(folder, store.open_existing(folder / store.DATABASE), user)
        place = shown(start)
        raise NianbaoError(
            f"{place} 不是工作区（找不到 {store.DATABASE}）；请先运行 nianbao init，或用 -w 指定工作区目录"
        )

    def close(self) -> None:
        self.db.close()

    # -- receiving -----------------------------------------------------------------------------------

    def receive(
        self,
        paths: Iterable[str | Path],
        *,
        source: str = "",
        sender: str = "",
        received_at: datetime | None = None,
        progress: Progress = no_progress,
        unit_id: str = "",
    ) -> list[Received]:
        """Store every file under ``paths``, check it and record it as a version of its unit. The same bytes
        received again change nothing. All the new versions are recorded in one transaction, after their
        files are safely on disk: a receive that is killed records nothing. ``received_at`` is when the
        files arrived (a mail's date), now if not given. ``unit_id`` names the unit of a single Word return
        (.docx) whose title does not name a roster unit; a Word file received before but not identified then
        becomes that unit's new version."""
        from nianbao.operations.check import find_files

        if unit_id and unit_id not in self._roster_ids:
            raise NianbaoError(f"名单上没有编码为“{unit_id}”的单位，未收下任何文件；请核对 --unit-id")
        at = (received_at or datetime.now()).astimezone().isoformat(timespec="seconds")
        meta = _Origin(source, sender, at)
        items = [_Incoming(path, None, meta) for path in find_files(paths)]
        if unit_id and len(items) != 1:
            raise NianbaoError(f"--unit-id 只能用于收一个 Word 文档，这里有 {len(items)} 个文件")
        outcomes = self._take(items, progress, unit_id=unit_id)
        with store.transaction(self.db):
            outcomes = self._record_all(items, outcomes)
            counts = {o: sum(r.outcome == o for r in outcomes) for o in (NEW, KNOWN, REFUSED)}
            detail = {"source": source, "sender": sender, **counts, "files": _names(outcomes, NEW)}
            if unit_id:
                detail["unit_id"] = unit_id
            _log(self.db, "receive", detail, self.user)
        return self._with_states(outcomes)

    def receive_mail(
        self, messages: Iterable[RawMail], *, progress: Progress = no_progress, batch: int = 200
    ) -> Iterator[MailReceived]:
        """Receive the workbooks attached to each message, with its sender, date, subject and Message-ID
        recorded on the versions. A message already received (the same Message-ID, from any source) changes
        nothing; our own blank workbooks quoted in a reply are not returns. Messages are handled ``batch`` at a
        time, each batch in one transaction: memory stays flat for an mbox of any size."""
        chunk: list[RawMail] = []
        for raw in messages:
            chunk.append(raw)
            if len(chunk) >= batch:
                yield from self._receive_mails(chunk, progress)
                chunk = []
        if chunk:
            yield from self._receive_mails(chunk, progress)

    def _receive_mails(self, chunk: list[RawMail], progress: Progress) -> list[MailReceived]:
        from nianbao.collection.mail import Mail, read_mail, received_time
        from nianbao.collection.outlook import UnreadableMessage

        now = datetime.now().astimezone()
        parsed: list[tuple[RawMail, Mail, str]] = []  # each message, read, and NEW, KNOWN or REFUSED
        items: list[_Incoming] = []
        owners: list[int] = []  # the message each item came from
        taken: set[str] = set()
        blanks = self._blank_digests()
        for raw in chunk:
            problem = raw.problem
            if not problem:
                try:
                    mail = read_mail(raw)
                except UnreadableMessage as exc:
                    problem = str(exc)
            if problem:
                refused = Mail(message_id="", sender="", sender_name="", date=None, subject="", notes=[problem])
                parsed.append((raw, refused, REFUSED))
                continue
            repeated = mail.message_id in taken or self._message_known(mail.message_id)
            taken.add(mail.message_id)
            parsed.append((raw, mail, KNOWN if repeated else NEW))
            if repeated:
                continue
            at = received_time(mail, now)
            origin = _Origin(raw.source, mail.sender, at, mail.subject, mail.message_id)
            for attachment in mail.attachments:
                if sha256(attachment.data) in blanks:
                    mail.notes.append(f"{attachment.name} 是本次发出的空白表格（回复时附带的），不计为报送")
                    continue
                name = Path(attachment.name)
                items.append(_Incoming(name, attachment.data, origin, attachment.where))
                owners.append(len(parsed) - 1)
            if not mail.attachments:  # no workbook: a report in Word may be the return
                for document in mail.documents:
                    items.append(_Incoming(Path(document.name), document.data, origin, document.where, document=True))
                    owners.append(len(parsed) - 1)
            mail.attachments, mail.documents = [], []  # the bytes are on disk once taken: memory holds names only
        outcomes = self._take(items, progress, blank_quotes=True)
        for item in items:
            item.data = None
        results: list[MailReceived] = []
        with store.transaction(self.db):
            outcomes = self._record_all(items, outcomes)
            for index, (raw, mail, outcome) in enumerate(parsed):
                files = [o for o, owner in zip(outcomes, owners, strict=True) if owner == index]
                if outcome == NEW:
                    self._record_message(raw, mail, files, now.isoformat(timespec="seconds"))
                if raw.mailbox:
                    self.db.execute(
                        "INSERT OR IGNORE INTO mailbox_seen (mailbox, uidvalidity, uid) VALUES (?, ?, ?)",
                        (raw.mailbox, raw.uidvalidity, raw.uid),
                    )
                results.append(MailReceived(raw.source, mail, outcome, files))
            fresh = [r for r in results if r.outcome == NEW]
            if fresh:
                counts = {o: sum(f.outcome == o for r in fresh for f in r.files) for o in (NEW, KNOWN, REFUSED)}
                names = [n for r in fresh for n in _names(r.files, NEW)]
                _log(
                    self.db,
                    "receive",
                    {"source": "邮件", "sender": "", "messages": len(fresh), **counts, "files": names},
                    self.user,
                )
        states = {s.unit_id: s for s in self.status().units}
        for result in results:
            result.files[:] = [_stated(r, states) for r in result.files]
        return results

    def _record_message(self, raw: RawMail, mail: Mail, files: list[Received], now: str) -> None:
        from nianbao.collection.mail import mail_date_text

        workbooks = sum(1 for f in files if f.outcome != REFUSED and not f.blank)
        notes = [*mail.notes, *(f"{f.path.name}：{f.reason}" for f in files if f.reason)]
        self.db.execute(
            """INSERT INTO messages (message_id, source, sender, sender_name, sent_at, subject, workbooks, notes,
               others, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                mail.message_id,
                raw.source,
                mail.sender,
                mail.sender_name,
                mail_date_text(mail),
                mail.subject,
                workbooks,
                json.dumps(notes, ensure_ascii=False),
                json.dumps(mail.others, ensure_ascii=False),
                now,
            ),
        )

    def _message_known(self, message_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM messages WHERE message_id = ?", (message_id,)).fetchone() is not None

    def seen_uids(self, mailbox: str, uidvalidity: int) -> set[int]:
        """The UIDs of a mailbox folder already received (for this UIDVALIDITY)."""
        rows = self.db.execute(
            "SELECT uid FROM mailbox_seen WHERE mailbox = ? AND uidvalidity = ?", (mailbox, uidvalidity)
        )
        return {row["uid"] for row in rows}

    def _blank_digests(self) -> set[str]:
        """The sha256 of every blank workbook this workspace generated (空白表格/生成清单.csv)."""
        from nianbao.operations.generate import MANIFEST_NAME

        manifest = self.root / BLANK_DIR / MANIFEST_NAME
        try:
            text = decode_chinese_text(manifest.read_bytes()) or ""
        except OSError:
            return set()
        return {row.get("sha256", "") for row in csv.DictReader(io.StringIO(text))} - {""}

    def _take(
        self, items: list[_Incoming], progress: Progress, *, blank_quotes: bool = False, unit_id: str = ""
    ) -> list[Received]:
        """Store every item's bytes in 收到的文件/ and check the new ones; nothing is recorded yet. Files on disk
        are copied by threads while worker processes check them (a copy must hold the bytes that were hashed
        and checked, or the file is refused as changed while it was being received)."""
        from nianbao.io.reading import MAX_FILE_BYTES, read_failure
        from nianbao.operations.check import iter_checks

        outcomes: list[Received] = []
        fresh: dict[str, int] = {}  # sha256 -> index of the item that brings it
        copies: dict[int, Future[Path]] = {}
        own = self._own_files()
        with ThreadPoolExecutor(max_workers=2) as copier:
            for index, item in enumerate(items):
                if item.data is None and _is_under(item.path, own):  # `receive .` in the workspace
                    outcomes.append(Received(item.path, REFUSED, reason=OWN_FILE))
                    continue
                try:
                    data = item.data
                    if data is None:
                        size = item.path.stat().st_size
                        if size > MAX_FILE_BYTES:
                            outcomes.append(
                                Received(item.path, REFUSED, reason=MESSAGES["TOO_BIG"].format(mb=size >> 20))
                            )
                            continue
                        data = item.path.read_bytes()
                except OSError as exc:
                    outcomes.append(Received(item.path, REFUSED, reason=str(read_failure(exc))))
                    continue
                digest = item.digest = sha256(data)
                known = self._version_by_sha(digest)
                if unit_id and known and not known.unit_id:
                    known = None  # an unidentified file, now said to be a unit's: checked again with that unit
                if known or digest in fresh:
                    outcomes.append(Received(item.path, KNOWN, known))
                    continue
                fresh[digest] = index
                if item.data is None:
                    copies[index] = copier.submit(self._copy, item.path, digest)
                else:
                    item.stored = self._store(item.path, digest, data)
                outcomes.append(Received(item.path, NEW))
            order = list(fresh.values())
            sources = [items[i].path if i in copies else _stored(items[i]) for i in order]
            checked = iter_checks(sources, self._options(unit_id), progress)
            for index, report in zip(order, checked, strict=True):
                items[index].report = _Checked.of(report)
                if report.sha256 not in ("", items[index].digest):
                    outcomes[index] = Received(items[index].path, REFUSED, reason=CHANGED)
                elif report.ignored:  # our annotated copy, unchanged: attached to a reply, or received by mistake
                    outcomes[index] = Received(items[index].path, REFUSED, reason=report.ignored, blank=True)
                elif blank_quotes and _nothing_typed(report):
                    reason = "未填写任何数字的空白表格（可能是回复时附带的），不计为报送"
                    outcomes[index] = Received(items[index].path, REFUSED, reason=reason, blank=True)
                elif items[index].document and report.unit_id not in self._roster_ids:
                    reason = "不是名单上单位的年度报告（Word 文档），不计为报送"
                    outcomes[index] = Received(items[index].path, REFUSED, reason=reason, blank=True)
        for index, copy in copies.items():
            try:
                items[index].stored = copy.result()
            except (OSError, ValueError):
                outcomes[index] = Received(items[index].path, REFUSED, reason=CHANGED)
        sync_files(stored for i in order if (stored := items[i].stored))  # on disk before anything records them
        return outcomes

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is one of the files the workspace keeps (its record, roster, blanks, replies …)."""
        return _is_under(path, [*self._own_files(), resolved(self.root / RECEIVED_DIR)])

    def _own_files(self) -> list[Path]:
        """What the workspace writes itself (blank workbooks, summaries, reply drafts, the roster, record, spec and
        reply wording): never a unit's return, even when the clerk receives the workspace's own folder."""
        from nianbao.collection.reply import REPLY_DIR, TEXTS_FILE

        own = [BLANK_DIR, SUMMARY_DIR, REPLY_DIR, store.DATABASE, self.roster_path.name, SPEC_COPY, TEXTS_FILE]
        return [resolved(self.root / name) for name in own]

    def _copy(self, path: Path, digest: str) -> Path:
        """Store the file at ``path`` again read from disk; ValueError if it no longer holds ``digest``."""
        data = path.read_bytes()
        if sha256(data) != digest:
            raise ValueError(path)
        return self._store(path, digest, data)

    def _record_all(self, items: list[_Incoming], outcomes: list[Received]) -> list[Received]:
        """Record the new, checked items (inside the caller's transaction)."""
        recorded = list(outcomes)
        for index, (item, outcome) in enumerate(zip(items, outcomes, strict=True)):
            if outcome.outcome != NEW or item.report is None or item.stored is None:
                if outcome.outcome == KNOWN and outcome.version is None:  # the same bytes twice in one go
                    recorded[index] = Received(item.path, KNOWN, self._version_by_sha(item.digest))
                continue
            row = self._record(item.digest, item.path, item.stored, item.report, item.origin)
            recorded[index] = Received(item.path, NEW if row else KNOWN, row or self._version_by_sha(item.digest))
        self._unpin_rejected(
            {r.version.unit_id for r in recorded if r.outcome == NEW and r.version and r.version.version}
        )
        return recorded

    def _unpin_rejected(self, units: set[str]) -> None:
        """A pinned version the clerk sent back gives way to the unit's new version: the correction counts."""
        for unit_id in sorted(units):
            lifted = self.db.execute(
                "DELETE FROM pins WHERE unit_id = ? AND file_id IN (SELECT file_id FROM rejections)", (unit_id,)
            ).rowcount
            if lifted:
                note = "指定计入的版本已退回，收到新版本后改为计入最新的一版"
                _log(self.db, "use", {"unit_id": unit_id, "version": "最新", "note": note}, self.user)

    def _with_states(self, outcomes: list[Received]) -> list[Received]:
        states = {s.unit_id: s for s in self.status().units}
        return [_stated(r, states) for r in outcomes]

    def _options(self, unit_id: str = "") -> CheckOptions:
        from nianbao.operations.check import CheckOptions

        return CheckOptions(
            form_name=self.form_name,
            roster={u.unit_id: u for u in self.units},
            year=self.year,
            previous=self._previous,
            unit_id=unit_id,
        )

    @cached_property
    def _previous(self) -> dict[str, PackedFigures] | None:
        """Last year's figures by unit, if the workspace was given them (packed: one array a unit)."""
        from nianbao.operations.check import PackedFigures

        rows = self.db.execute("SELECT unit_id, figures FROM previous").fetchall()
        if not rows:
            return None
        return {row["unit_id"]: PackedFigures(self.form_name, json.loads(row["figures"])) for row in rows}

    def set_previous(self, paths: Sequence[str | Path], progress: Progress = no_progress) -> tuple[int, list[str]]:
        """Take last year's figures from ``paths`` (workbooks, a summary, last year's workspace, published
        reports), replacing any given before, and check every version received so far again against them.
        Returns how many units' figures were found, and what could not be used."""
        figures, notes = last_year(paths, self.form_name, self.year, self.units)
        if not figures:
            raise NianbaoError(_NOTHING_FROM_LAST_YEAR + ("；".join(notes) or "没有可用的文件"))
        with store.transaction(self.db):
            _store_previous(self.db, figures, paths)
            _log(self.db, "previous", {"units": len(figures), "files": [shown(Path(p)) for p in paths]}, self.user)
        self.__dict__.pop("_previous", None)
        self._check_again(progress)
        return len(figures), notes

    def _check_again(self, progress: Progress) -> None:
        """Check every roster unit's stored versions again (after last year's figures changed)."""
        from nianbao.operations.check import check_file, iter_checks

        query = "SELECT id, stored, unit_id FROM files WHERE version IS NOT NULL ORDER BY id"
        rows = self.db.execute(query).fetchall()
        books = [r for r in rows if not r["stored"].lower().endswith(".docx")]
        reports = list(iter_checks([self.root / r["stored"] for r in books], self._options(), progress))
        # A Word return keeps the unit it was recorded under (its title may not name it: --unit-id).
        words = [r for r in rows if r["stored"].lower().endswith(".docx")]
        reports += [check_file(self.root / r["stored"], self._options(r["unit_id"])) for r in words]
        updates = []
        for row, report in zip(books + words, reports, strict=True):
            checked = _Checked.of(report)
            updates.append((checked.errors, checked.warnings, checked.problems, row["id"]))
        with store.transaction(self.db):
            self.db.executemany("UPDATE files SET errors = ?, warnings = ?, problems = ? WHERE id = ?", updates)

    def _store(self, path: Path, digest: str, data: bytes) -> Path:
        """The received bytes under a name of their own in 收到的文件/ (kept even if the record is lost)."""
        suffix = safe_name(path.suffix.lower().lstrip("."), 10) if path.suffix else ""
        name = f"{digest[:12]}_{safe_name(shown(Path(path.stem)), 60)}" + (f".{suffix}" if suffix else "")
        target = self.root / RECEIVED_DIR / name
        if not (target.is_file() and sha256(target.read_bytes()) == digest):
            write_atomic(target, data, overwrite=True, sync=False)  # the same name holds the same bytes
        return target

    def _record(self, digest: str, path: Path, stored: Path, report: _Checked, origin: _Origin) -> Version | None:
        """Insert the file (inside the caller's transaction); None if another receive recorded it meanwhile.
        A file recorded before as no unit's that is now a roster unit's (a Word return and --unit-id) becomes
        that unit's new version; when and from where it came stay as first recorded."""
        known = self._version_by_sha(digest)
        if known and (known.unit_id or report.unit_id not in self._roster_ids):
            return None
        version = None
        if report.unit_id in self._roster_ids:
            (last,) = self.db.execute(  # “version IS NOT NULL”: the partial index answers, no scan of every file
                "SELECT MAX(version) FROM files WHERE unit_id = ? AND version IS NOT NULL", (report.unit_id,)
            ).fetchone()
            version = (last or 0) + 1
        checked = (  # what checking the file found, in the order of _CHECKED_COLUMNS
            report.unit_id or None,
            report.unit_name,
            version,
            report.errors,
            report.warnings,
            report.explanation,
            report.problems,
            report.figures,
            report.texts,
            self._headline(report.figures),
        )
        if known:
            assignments = ", ".join(f"{column} = ?" for column in _CHECKED_COLUMNS)
            self.db.execute(f"UPDATE files SET {assignments} WHERE id = ?", (*checked, known.id))
            return self._version_by_sha(digest)
        columns = ("sha256", "stored", "name", "source", "sender", "received_at", "size", "message_id", "subject")
        arrived = (
            digest,
            stored.relative_to(self.root).as_posix(),
            shown(Path(path.name)),
            origin.source or shown(path),
            origin.sender,
            origin.at,
            stored.stat().st_size,
            origin.message_id,
            origin.subject,
        )
        places = ", ".join("?" for _ in columns + _CHECKED_COLUMNS)
        self.db.execute(
            f"INSERT INTO files ({', '.join(columns + _CHECKED_COLUMNS)}) VALUES ({places})", (*arrived, *checked)
        )
        return self._version_by_sha(digest)

    @cached_property
    def _review_codes(self) -> list[str]:
        """The cells the across-units review reads."""
        return sorted({code for rule in self.form.review.units for code in rule.cells})

    def _headline(self, figures: str) -> str:
        """The figures the across-units review reads, from a version's figures (JSON), as JSON."""
        every = json.loads(figures)
        return json.dumps({code: every.get(code) for code in self._review_codes}) if self._review_codes else ""

    # -- reading the record --------------------------------------------------------------------------

    def status(self) -> RoundStatus:
        """Every roster unit's state, from the version that counts, and the files that are no unit's return."""
        states = self._states(self.units)
        unidentified = [
            _version(row) for row in self.db.execute("SELECT * FROM files WHERE version IS NULL ORDER BY id")
        ]
        letters = self.db.execute("SELECT * FROM messages WHERE workbooks = 0 ORDER BY id")
        return RoundStatus(self.year, self.deadline, states, unidentified, [Letter.from_row(r) for r in letters])

    def _states(self, units: Sequence[Unit]) -> list[UnitState]:
        """The states of some roster units (the across-units review still compares every unit's counted
        version)."""
        latest = {  # each unit's latest version: the last to come (a mail by when it reached the mailbox)
            row["unit_id"]: row
            for row in self.db.execute(
                f"""SELECT {_WITHOUT_BULK}, c.n FROM files f JOIN
                   (SELECT id, COUNT(*) OVER units AS n, ROW_NUMBER() OVER (units ORDER BY {_LATEST_FIRST}) AS r
                    FROM files WHERE version IS NOT NULL WINDOW units AS (PARTITION BY unit_id)) c
                   ON f.id = c.id AND c.r = 1"""
            )
        }
        pins = {row["unit_id"]: row["file_id"] for row in self.db.execute("SELECT unit_id, file_id FROM pins")}
        accepted: dict[str, list[sqlite3.Row]] = {}
        for row in self.db.execute("SELECT * FROM acceptances"):
            accepted.setdefault(row["unit_id"], []).append(row)
        rejected: dict[int, list[dict[str, Any]]] = {}
        for row in self.db.execute("SELECT * FROM rejections ORDER BY id"):
            rejected.setdefault(row["file_id"], []).append(_rejection(row))
        extended = self.extensions()
        counted: dict[str, Version] = {}
        for unit in self.units:
            row = latest.get(unit.unit_id)
            if row is not None:
                pinned = unit.unit_id in pins
                counted[unit.unit_id] = self._version_by_id(pins[unit.unit_id]) if pinned else _version(row, self.db)
        review = self._units_review(counted)
        states = []
        for unit in units:
            if unit.unit_id not in counted:
                states.append(
                    UnitState(unit.unit_id, unit.unit_name, NOT_RECEIVED, 0, None, extended=extended.get(unit.unit_id))
                )
                continue
            states.append(
                self._state(
                    unit,
                    counted[unit.unit_id],
                    latest[unit.unit_id]["n"],
                    unit.unit_id in pins,
                    accepted.get(unit.unit_id, []),
                    review.get(unit.unit_id, []),
                    rejected.get(counted[unit.unit_id].id, []),
                    extended.get(unit.unit_id),
                )
            )
        return states

    def _units_review(self, counted: Mapping[str, Version]) -> dict[str, list[dict[str, Any]]]:
        """The across-units review of the counted versions: a unit's headline figure far above the median of
        the others of its kind (the roster's 类型). Kept in the record until the counted versions, the roster or
        the spec change: a status of thousands of units neither parses the spec nor compares every unit."""
        if not counted:
            return {}
        digest = hashlib.sha256(nianbao.__version__.encode())
        for path in (form_file(self.form_name), self.roster_path):
            digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(json.dumps([(unit_id, v.id) for unit_id, v in counted.items()]).encode())
        key = digest.hexdigest()
        kept = store.cached(self.db, "units_review", key)
        if kept is not None:
            found: dict[str, list[dict[str, Any]]] = json.loads(kept)
            return found
        found = self._review_now(counted)
        store.keep(self.db, "units_review", key, json.dumps(found, ensure_ascii=False))
        return found

    def _review_now(self, counted: Mapping[str, Version]) -> dict[str, list[dict[str, Any]]]:
        """The across-units review worked out: only the figures it needs are read from the record."""
        from nianbao.form.review import units_review

        codes = self._review_codes
        if not codes:
            return {}
        ids = json.dumps([v.id for v in counted.values()])
        query = "SELECT id, unit_id, headline FROM files WHERE id IN (SELECT value FROM json_each(?))"
        figures: dict[str, dict[str, float | None]] = {}
        missing = []  # recorded before the headline was kept, or under a spec reviewing other cells
        for file_id, unit_id, headline in self.db.execute(query, (ids,)):
            found = json.loads(headline) if headline else {}
            if all(code in found for code in codes):
                figures[unit_id] = {c: v if isinstance(v, (int, float)) else None for c, v in found.items()}
            else:
                missing.append(file_id)
        if missing:
            paths = ", ".join("?" for _ in codes)  # one json_extract of every path: each record parsed once
            among = "id IN (SELECT value FROM json_each(?))"
            rows = self.db.execute(
                f"SELECT unit_id, json_extract(figures, {paths}) FROM files WHERE {among}",
                [*(f'$."{code}"' for code in codes), json.dumps(missing)],
            )
            for unit_id, values in rows:
                found = json.loads(values) if len(codes) > 1 else [values]
                figures[unit_id] = {
                    code: value if isinstance(value, (int, float)) else None
                    for code, value in zip(codes, found, strict=True)
                }
        found = units_review(self.form, figures, self.kinds)
        return {unit_id: [p.to_json() for p in problems] for unit_id, problems in found.items()}

    @cached_property
    def kinds(self) -> dict[str, str]:
        """Each unit's kind (镇, 乡, 部门 …) from the roster's 类型 column, if it has one."""
        if not may_have_column(self.roster_path, KIND_HEADERS):
            return {}  # the roster is not read at all: status of thousands of units stays quick
        return {u.unit_id: u.kind for u in self.roster_units if u.kind}

    @cached_property
    def roster_units(self) -> list[Unit]:
        """The roster as read from the workspace's copy (with its other columns: kind, contacts), or none if it
        can no longer be read."""
        try:
            return read_roster(self.roster_path)
        except NianbaoError:
            return []

    def _state(
        self,
        unit: Unit,
        counted: Version,
        versions: int,
        pinned: bool,
        accepted: Sequence[sqlite3.Row],
        review: Sequence[dict[str, Any]] = (),
        rejections: Sequence[dict[str, Any]] = (),
        extended: date | None = None,
    ) -> UnitState:
        deadline = extended or self.deadline
        late = deadline is not None and date.fromisoformat(counted.received_at[:10]) > deadline
        open_warnings = []
        if (counted.warnings or review) and not counted.explained:
            warnings = [p for p in counted.problems if p["severity"] == WARNING] + list(review)
            open_warnings = [w for w in warnings if not self._accepted(w, counted, accepted)]
        if counted.errors or rejections:
            state = HAS_ERRORS
        elif open_warnings:
            state = TO_VERIFY
        else:
            state = PASSED
        sender = self.sender_warning(unit.unit_id, counted.sender)
        return UnitState(
            unit.unit_id,
            unit.unit_name,
            state,
            versions,
            counted,
            pinned,
            late,
            open_warnings,
            sender,
            list(review),
            list(rejections),
            extended,
        )

    @cached_property
    def addresses(self) -> dict[str, set[str]]:
        """Each unit's mail addresses from the roster's contact column (邮箱, 电子邮箱, email …), if it has one."""
        found: dict[str, set[str]] = {}
        for unit in self.roster_units:
            for column, value in unit.extra.items():
                if is_mail_column(column):
                    found.setdefault(unit.unit_id, set()).update(mail_addresses(value)[0])
        return found

    def address_problems(self) -> list[str]:
        """What in the roster's mail column is no address (and so is not used), a sentence each."""
        problems = []
        for unit in self.roster_units:
            for column, value in unit.extra.items():
                wrong = mail_addresses(value)[1] if is_mail_column(column) else []
                if wrong:
                    pieces = "、".join(f"“{w}”" for w in wrong)
                    problems.append(
                        f"名单上 {unit.unit_id} {unit.unit_name} 的{column}“{value}”中 {pieces} 不是邮箱地址，未使用"
                    )
        return problems

    def sender_warning(self, unit_id: str, sender: str) -> str:
        """A warning when a version came by mail from an address that is not the unit's in the roster."""
        if not sender:  # not by mail: the roster is not read
            return ""
        known = self.addresses.get(unit_id)
        if not known or sender.lower() in known:
            return ""
        return f"发件人 {sender} 不是名单上该单位的邮箱（{'、'.join(sorted(known))}），请核实是否确为该单位报送"

    def history(self, unit: str) -> tuple[UnitState, list[Version]]:
        """A unit's versions, oldest first, and its state (which says which version counts)."""
        found = self.unit_named(unit)
        rows = self.db.execute(
            "SELECT * FROM files WHERE unit_id = ? AND version IS NOT NULL ORDER BY version", (found.unit_id,)
        )
        state = self.state_of(found.unit_id)
        return state, [_version(row) for row in rows]

    def diff(self, unit: str, first: int, second: int) -> list[Difference]:
        """Every figure and text that differs between two versions of a unit, with its place and labels."""
        from nianbao.form.spec import a1

        a, b = self._numbered(unit, first), self._numbered(unit, second)
        changes: list[Difference] = []
        for cell in self.form.cells.values():
            before, after = a.figures.get(cell.code), b.figures.get(cell.code)
            if before != after:
                labels = "／".join(x for x in (cell.row_label, cell.col_label) if x)
                changes.append(Difference(cell.code, f"{cell.sheet}!{cell.a1}（{labels}）", before, after))
        for text in self.form.text_cells:
            said, says = a.texts.get(text.code, ""), b.texts.get(text.code, "")
            if said != says:
                place = f"{text.sheet}!{a1(text.row, text.col)}（{text.title}）"
                changes.append(Difference(text.code, place, said, says))
        return changes

    def log(self) -> list[LogEntry]:
        """The audit log, newest first."""
        rows = self.db.execute("SELECT at, user, action, detail FROM log ORDER BY id DESC")
        return [LogEntry(r["at"], r["user"], r["action"], json.loads(r["detail"])) for r in rows]

    def revision(self) -> int:
        """A number that grows with every change to the record (each change is logged): a page showing the
        record asks for it to know when to refresh."""
        (last,) = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM log").fetchone()
        return int(last)

    def file(self, file_id: int) -> Version:
        """A received file by its number in the record."""
        row = self.db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone() if _fits(file_id) else None
        if row is None:
            raise NianbaoError(f"工作区中没有编号为 {file_id} 的文件")
        return _version(row)

    def stored_path(self, version: Version) -> Path:
        """Where a received file's bytes are kept; refused if the record points outside 收到的文件/."""
        path = self.root / version.stored
        if resolved(path).parent != resolved(self.root / RECEIVED_DIR) or not path.is_file():
            raise NianbaoError(f"收到的文件 {version.name} 不在 {RECEIVED_DIR}/ 中（可能被移动或删除）")
        return path

    def annotate(self, file_id: int, target: Path) -> bool:
        """Write the annotated copy of a received file (problems marked, a problem list in front) to ``target``;
        False if the file cannot be read well enough to make one."""
        from nianbao.operations.annotate import annotate  # openpyxl: only when annotating
        from nianbao.operations.check import check_file

        version = self.file(file_id)  # a Word return keeps the unit it was recorded for
        return annotate(check_file(self.stored_path(version), self._options(version.unit_id)), target)

    def summary_target(self) -> Path:
        """A new file name in 汇总结果/ for a summary made now (an earlier summary is never replaced)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        stem = f"{safe_name(self.unit_name)}{self.year}年汇总_{stamp}"
        target, n = self.root / SUMMARY_DIR / f"{stem}.xlsx", 1
        while target.exists():
            n += 1
            target = target.with_name(f"{stem}_{n}.xlsx")
        return target

    def summaries(self) -> list[Path]:
        """The files in 汇总结果/ (summaries and their reports), newest first."""
        folder = self.root / SUMMARY_DIR
        found = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")] if folder.is_dir() else []
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)

    # -- decisions -----------------------------------------------------------------------------------

    def accept(self, unit: str, note: str, rule: str | None = None) -> list[dict[str, Any]]:
        """Accept the counted version's open warnings (all, or those of one rule or message code) with a
        note. Errors can never be accepted. Returns the warnings accepted."""
        if not note.strip():
            raise NianbaoError("认可警告必须写明理由（--note）")
        state = self.state_of(unit)
        if state.counted is None:
            raise NianbaoError(f"{state.unit_id} {state.unit_name} 还没有报送，没有可认可的警告")
        if rule and any(p["code"] == rule and p["severity"] == ERROR for p in state.counted.problems):
            raise NianbaoError(f"{rule} 是错误，不能认可；错误只能由单位改正后重新报送")
        chosen = [w for w in state.open_warnings if rule is None or w["code"] == rule]
        if not chosen:
            what = f"“{rule}”的" if rule else ""
            raise NianbaoError(f"{state.unit_id} {state.unit_name} 计入的版本没有{what}待核实的警告")
        at, user = _now(), self.user
        with store.transaction(self.db):
            for warning in chosen:
                self.db.execute(
                    """INSERT INTO acceptances (unit_id, file_id, code, cell, basis, note, user, at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        state.unit_id,
                        state.counted.id,
                        warning["code"],
                        _cell(warning),
                        self._basis(warning, state.counted),
                        note,
                        user,
                        at,
                    ),
                )
            _log(
                self.db,
                "accept",
                {
                    "unit_id": state.unit_id,
                    "version": state.counted.version,
                    "rule": rule or "全部",
                    "count": len(chosen),
                    "note": note,
                },
                self.user,
            )
        return chosen

    def use(self, unit: str, version: int | None, note: str) -> Version | None:
        """Make ``version`` the one that counts (None: the latest again)."""
        found = self.unit_named(unit)
        with store.transaction(self.db):
            if version is None:
                self.db.execute("DELETE FROM pins WHERE unit_id = ?", (found.unit_id,))
                chosen = None
            else:
                chosen = self._numbered(unit, version)
                self.db.execute(
                    "INSERT OR REPLACE INTO pins (unit_id, file_id, note, user, at) VALUES (?, ?, ?, ?, ?)",
                    (found.unit_id, chosen.id, note, self.user, _now()),
                )
            _log(self.db, "use", {"unit_id": found.unit_id, "version": version or "最新", "note": note}, self.user)
        return chosen

    def reject(self, unit: str, note: str, version: int | None = None) -> Version:
        """Send the counted version back to its unit with the clerk's reason, for what no rule finds (a figure
        the clerk knows to be wrong, the narrative of another unit …). The unit is 有错误 until a new version
        comes; the reply lists the reason first. ``version``: the one the clerk looked at (refused if another
        counts now). The same reason again for the same version is not a second rejection. Returns the version
        sent back."""
        if says_nothing(note):
            raise NianbaoError("退回必须写明原因（--note），单位要据此修改")
        with store.transaction(self.db):  # the version judged is the one sent back, whatever comes meanwhile
            state = self.state_of(unit)
            if state.counted is None:
                raise NianbaoError(f"{state.unit_id} {state.unit_name} 还没有报送，没有可退回的版本")
            if version is not None and state.counted.version != version:
                raise NianbaoError(
                    f"{state.unit_id} {state.unit_name} 现在计入的是第 {state.counted.version} 版，"
                    f"不是第 {version} 版，未退回；请先看过这一版再决定"
                )
            if any(r["note"] == note.strip() for r in state.rejections):
                return state.counted
            self.db.execute(
                "INSERT INTO rejections (unit_id, file_id, note, user, at) VALUES (?, ?, ?, ?, ?)",
                (state.unit_id, state.counted.id, note.strip(), self.user, _now()),
            )
            detail = {"unit_id": state.unit_id, "version": state.counted.version, "note": note.strip()}
            _log(self.db, "reject", detail, self.user)
        return state.counted

    def withdraw_rejection(self, unit: str, note: str) -> int:
        """Take back the clerk's rejections of the counted version (sent back by mistake, or settled by phone);
        returns how many there were."""
        if says_nothing(note):
            raise NianbaoError("撤销退回必须写明理由（--note）")
        state = self.state_of(unit)
        if not state.rejections or state.counted is None:
            raise NianbaoError(f"{state.unit_id} {state.unit_name} 计入的版本没有被退回")
        with store.transaction(self.db):
            self.db.execute("DELETE FROM rejections WHERE file_id = ?", (state.counted.id,))
            detail = {"unit_id": state.unit_id, "version": state.counted.version, "note": note.strip()}
            _log(self.db, "withdraw", detail, self.user)
        return len(state.rejections)

    def extensions(self) -> dict[str, date]:
        """The later deadlines granted, by unit."""
        return {r["unit_id"]: date.fromisoformat(r["until"]) for r in self.db.execute("SELECT * FROM extensions")}

    def extend(self, unit: str, until: date | None, note: str) -> Unit:
        """Grant a unit a later deadline (None: take it back): what it sends by then is not 迟交."""
        if says_nothing(note):
            raise NianbaoError("延期必须写明理由（--note）")
        found = self.unit_named(unit)
        if until is not None and self.deadline is not None and until <= self.deadline:
            raise NianbaoError(f"延期的日期应晚于本轮的截止日期 {self.deadline.isoformat()}，不是 {until.isoformat()}")
        with store.transaction(self.db):
            if until is None:
                if self.db.execute("DELETE FROM extensions WHERE unit_id = ?", (found.unit_id,)).rowcount == 0:
                    raise NianbaoError(f"{found.unit_id} {found.unit_name} 没有延期，无需取消")
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO extensions (unit_id, until, note, user, at) VALUES (?, ?, ?, ?, ?)",
                    (found.unit_id, until.isoformat(), note.strip(), self.user, _now()),
                )
            detail = {"unit_id": found.unit_id, "until": until.isoformat() if until else "", "note": note.strip()}
            _log(self.db, "extend", detail, self.user)
        return found

    def merge(
        self, out: str | Path, *, allow_missing: bool = False, force: bool = False, password: str = ""
    ) -> WorkspaceMerge:
        """The summary of every unit's counted version, when every unit is 已通过; with ``allow_missing`` a
        partial summary of those that are."""
        from nianbao.operations.merge import merge

        status = self.status()
        blockers = [u for u in status.units if u.state != PASSED]
        if blockers and not allow_missing:
            return WorkspaceMerge(blockers, None)
        passed = [u for u in status.units if u.state == PASSED and u.counted]
        summary = merge(
            [self.root / u.counted.stored for u in passed if u.counted],
            self.roster_path,
            self.year,
            out,
            unit_id=self.unit_id,
            unit_name=self.unit_name,
            allow_missing=allow_missing,
            force=force,
            password=password,
            form_name=self.form_name,
            facts={u.unit_id: self._facts(u) for u in passed},
        )
        with store.transaction(self.db):
            _log(
                self.db,
                "merge",
                {
                    "out": shown(Path(out)),
                    "written": summary.written is not None,
                    "units": len(passed),
                    "blocking": len(blockers),
                },
                self.user,
            )
        return WorkspaceMerge(blockers, summary)

    def _facts(self, state: UnitState) -> dict[str, str]:
        """What the workspace knows of a unit's counted version, for the summary's status sheet."""
        assert state.counted is not None
        notes = [
            f"{row['code']} {row['cell']}：{row['note']}（{row['user']} {row['at'][:16]}）".replace("  ", " ")
            for row in self.db.execute("SELECT * FROM acceptances WHERE unit_id = ? ORDER BY id", (state.unit_id,))
        ]
        return {
            "计入版本": f"第 {state.counted.version} 版" + ("（指定）" if state.pinned else ""),
            "收到时间": state.counted.received_at[:19].replace("T", " "),
            "迟交": LATE if state.late else "",
            "单位的情况说明": state.counted.explanation,
            "认可的警告": "；".join(notes),
        }

    # -- helpers -------------------------------------------------------------------------------------

    def unit_named(self, unit: str) -> Unit:
        """The roster unit with the code ``unit``, else the one with that full name; never a guess between two
        units of the same name."""
        for u in self.units:
            if unit == u.unit_id:
                return u
        named = [u for u in self.units if unit == u.unit_name]
        if len(named) > 1:
            codes = "、".join(u.unit_id for u in named)
            raise NianbaoError(f"名单上有 {len(named)} 个单位叫“{unit}”（单位编码 {codes}），请写单位编码")
        if named:
            return named[0]
        raise NianbaoError(f"名单上没有单位“{unit}”（可以写单位编码或完整的单位名称）")

    def state_of(self, unit: str) -> UnitState:
        """One unit's state (by its code or full name)."""
        (state,) = self._states([self.unit_named(unit)])
        return state

    def _numbered(self, unit: str, number: int) -> Version:
        found = self.unit_named(unit)
        row = (
            self.db.execute("SELECT * FROM files WHERE unit_id = ? AND version = ?", (found.unit_id, number)).fetchone()
            if _fits(number)
            else None
        )
        if row is None:
            raise NianbaoError(f"{found.unit_id} {found.unit_name} 没有第 {number} 版")
        return _version(row)

    def _version_by_sha(self, digest: str) -> Version | None:
        row = self.db.execute("SELECT * FROM files WHERE sha256 = ?", (digest,)).fetchone()
        return _version(row) if row else None

    def _version_by_id(self, file_id: int) -> Version:
        return _version(self.db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone())

    def _basis(self, warning: Mapping[str, Any], version: Version) -> str:
        """What an acceptance relies on: the warning's words and every figure it reads. A later version
        keeps the acceptance only when these are the same."""
        if warning["code"] in self._across:
            # against the other units: holds while the unit's own figure is the same, whatever the median does
            return json.dumps([warning["code"], warning.get("params", {}).get("value")], ensure_ascii=False)
        codes: list[str] = []
        rule = next((r for r in self.form.rules if r.id == warning["code"]), None)
        place = (warning.get("sheet", ""), warning.get("cell", ""))
        if rule is not None:
            for relation in rule.checks:
                anchor = self.form.cells[relation.anchor]
                if (anchor.sheet, anchor.a1) == place:
                    codes += relation.codes()
        elif place in self._by_place:
            codes.append(self._by_place[place])
        return json.dumps([warning["message"], {c: version.figures.get(c) for c in codes}], ensure_ascii=False)

    def _accepted(self, warning: Mapping[str, Any], version: Version, accepted: Sequence[sqlite3.Row]) -> bool:
        if not accepted:
            return False  # no acceptance to compare with: the spec is not read
        basis = self._basis(warning, version)
        return any(
            a["code"] == warning["code"] and a["cell"] == _cell(warning) and a["basis"] == basis for a in accepted
        )


def last_year(
    paths: Iterable[str | Path], form_name: str, year: int | None, units: Iterable[Unit] | None = None
) -> tuple[dict[str, Mapping[str, float | None]], list[str]]:
    """Last year's figures by unit (``previous_figures``), where a workspace folder gives each unit's counted
    version (one with errors is not used); and what could not be used."""
    from nianbao.operations.previous import previous_figures

    figures: dict[str, Mapping[str, float | None]] = {}
    notes: list[str] = []
    files = []
    for path in map(Path, paths):
        if not (path / store.DATABASE).is_file():
            files.append(path)
            continue
        workspace = Workspace.open(path)
        workspace.db.execute("PRAGMA query_only = ON")  # last year's record is only read (nothing kept in it)
        try:
            if year is not None and workspace.year != year - 1:
                notes.append(f"{shown(path)}：是 {workspace.year} 年度的工作区，不是上年（{year - 1} 年度）的")
                continue
            for state in workspace.status().units:
                if state.counted is None:
                    continue
                if state.counted.errors:
                    notes.append(f"{shown(path)}：{state.unit_name} 计入的版本有错误，未使用")
                    continue
                known = state.counted.figures.items()
                figures[state.unit_id] = {c: v if isinstance(v, (int, float)) else None for c, v in known}
        finally:
            workspace.close()
    if files:
        found, more = previous_figures(files, form_name, year, units)
        figures.update(found)
        notes += more
    return figures, notes


def _store_previous(
    db: sqlite3.Connection, figures: Mapping[str, Mapping[str, float | None]], paths: Iterable[str | Path]
) -> None:
    """Replace last year's figures in the record (inside the caller's transaction)."""
    source = "、".join(shown(Path(p)) for p in paths)
    db.execute("DELETE FROM previous")
    db.executemany(
        "INSERT INTO previous (unit_id, figures, source) VALUES (?, ?, ?)",
        [(unit_id, json.dumps(dict(values), ensure_ascii=False), source) for unit_id, values in figures.items()],
    )


# What checking a file records on its row (the same for a new file and for one recognised later).
_CHECKED_COLUMNS = (
    "unit_id",
    "unit_name",
    "version",
    "errors",
    "warnings",
    "explanation",
    "problems",
    "figures",
    "texts",
    "headline",
)

# The order of a unit's versions from the latest: when each came (received_at, with its UTC offset), then the
# order of recording (a file and a mail of the same second).
_LATEST_FIRST = "julianday(received_at) DESC, version DESC"

# Every column of a version but its figures and narrative: what a status of thousands reads.
_WITHOUT_BULK = (
    "f.id, f.unit_id, f.unit_name, f.version, f.name, f.stored, f.source, f.sender, f.received_at, f.sha256, "
    "f.size, f.errors, f.warnings, f.explanation, f.problems"
)


def _rejection(row: sqlite3.Row) -> dict[str, Any]:
    """A rejection as a problem of the whole file, with the clerk's note, who sent it back and when."""
    problem = Problem(ERROR, "REJECTED", MESSAGES["REJECTED"].format(note=row["note"]), params={"note": row["note"]})
    return {**problem.to_json(), "note": row["note"], "user": row["user"], "at": row["at"], "id": row["id"]}


def _version(row: sqlite3.Row, record: sqlite3.Connection | None = None) -> Version:
    """A version from a row of `files`; one without its figures and narrative reads them from ``record``."""
    bulk = "figures" in row.keys()  # noqa: SIM118 (`in row` looks among the values)
    return Version(
        id=row["id"],
        unit_id=row["unit_id"] or "",
        unit_name=row["unit_name"],
        version=row["version"],
        name=row["name"],
        stored=row["stored"],
        source=row["source"],
        sender=row["sender"],
        received_at=row["received_at"],
        sha256=row["sha256"],
        size=row["size"],
        errors=row["errors"],
        warnings=row["warnings"],
        explanation=row["explanation"],
        problems_json=row["problems"],
        figures_json=row["figures"] if bulk else None,
        texts_json=row["texts"] if bulk else None,
        record=None if bulk else record,
    )


def _figures(report: CheckedFile) -> dict[str, object]:
    """Every figure; where none could be read, what was typed (so that a diff shows “5件” → 5)."""
    figures: dict[str, object] = dict(report.figures)
    for code, raw in report.raw.items():
        if figures.get(code) is None and code in figures and raw not in (None, ""):
            figures[code] = str(raw)
    return figures


def _cell(warning: Mapping[str, Any]) -> str:
    return f"{warning.get('sheet', '')}!{warning.get('cell', '')}" if warning.get("cell") else warning.get("sheet", "")


def _names(outcomes: Sequence[Received], outcome: str) -> list[str]:
    return [shown(Path(r.path.name)) for r in outcomes if r.outcome == outcome]


def _stored(item: _Incoming) -> Path:
    assert item.stored is not None
    return item.stored


def _stated(result: Received, states: Mapping[str, UnitState]) -> Received:
    state = states.get(result.version.unit_id) if result.version else None
    return Received(result.path, result.outcome, result.version, state, result.reason, result.blank)


def _nothing_typed(report: CheckedFile) -> bool:
    """A workbook of the form with no figure and no text typed: a blank, not a return."""
    return (
        bool(report.unit_id and report.figures)
        and all(v is None for v in report.figures.values())
        and not any(str(t).strip() for t in report.texts.values())
    )


def _log(db: sqlite3.Connection, action: str, detail: Mapping[str, object], user: str | None = None) -> None:
    db.execute(
        "INSERT INTO log (at, user, action, detail) VALUES (?, ?, ?, ?)",
        (_now(), user or _user(), action, json.dumps(detail, ensure_ascii=False)),
    )


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a service, a container)
        return os.environ.get("USERNAME", "未知用户")


def _fits(number: int) -> bool:
    """Whether a number typed by the clerk (or in an address) can be a record's number at all: SQLite's integers
    stop at 2**63 - 1, and a bigger one would be an internal error rather than "no such version"."""
    return -(2**63) <= number < 2**63


def _is_under(path: Path, places: list[Path]) -> bool:
    """Whether ``path`` is one of ``places`` or inside one of them."""
    where = resolved(path)
    return any(where == place or place in where.parents for place in places)
