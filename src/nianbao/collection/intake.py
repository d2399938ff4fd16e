"""Receiving files and mail into a workspace: every file stored byte for byte in 收到的文件/, checked, and recorded
as a version of its unit (or as a file that is no unit's return).

The same bytes received again change nothing. New versions are recorded in one transaction after their files are
safely on disk: a receive that is killed records nothing. Files on disk are copied by threads while worker
processes check them; a copy must hold the bytes that were hashed and checked, or the file is refused as
changed while it was being received."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from nianbao.collection.layout import BLANK_DIR, is_under
from nianbao.collection.model import KNOWN, NEW, REFUSED, Letter, MailReceived, Received, UnitState, Version
from nianbao.collection.record import CheckedRow, now
from nianbao.io.files import decode_chinese_text, resolved, sha256, shown, sync_files, write_atomic
from nianbao.operations.parallel import Progress, no_progress, ordered_map
from nianbao.problems import MESSAGES, NianbaoError

if TYPE_CHECKING:  # checking and mail are imported where they are used: `status` needs neither
    from nianbao.collection.mail import Mail, RawMail
    from nianbao.collection.workspace import Workspace
    from nianbao.operations.check import CheckedFile, CheckOptions

OWN_FILE = "这是工作区自己的文件（空白表格、汇总结果、回复草稿或名单），不是单位发来的"
CHANGED = "文件在收取过程中被改动（可能还在下载或保存），未收下；请等它保存完再收一次"
QUOTED_BLANK = "未填写任何数字的空白表格（可能是回复时附带的），不计为报送"
NOT_A_RETURN = "不是名单上单位的年度报告（Word 文档），不计为报送"
RESTORED = "收到的文件中保存的这一版曾被改动或删除，已用这一份恢复"
ZIPPED_STRAY = "压缩包中的这个文件不是本工具下发的统计表，未保存（邮件或压缩包本身仍在原处）"


@dataclass(frozen=True)
class Origin:
    """Where a file came from, recorded on its version."""

    source: str
    sender: str
    at: str
    subject: str = ""
    message_id: str = ""
    clock: bool = False  # ``at`` is this computer's clock (a folder or an upload), not a mailbox's time


@dataclass
class Incoming:
    """A file to receive: on disk (``data`` None) or an attachment's bytes under its safe name."""

    path: Path
    data: bytes | None
    origin: Origin
    where: str = ""
    digest: str = ""
    stored: Path | None = None
    staged: bool = False  # checked, and what the record keeps of it waiting in the record's temporary table
    document: bool = False  # a Word file attached to a message without a workbook: a return only if a report
    zipped: bool = False  # taken out of a zip: stored only if it is a return (a zip may hold anything)


@dataclass(frozen=True)
class Checked:
    """What the record keeps of a check, counts and JSON, and what receiving decides by: worked out where the file
    is checked (a worker sends back this, not the cells it read), small enough to hold for thousands of files."""

    unit_id: str
    unit_name: str
    errors: int
    warnings: int
    explanation: str
    problems: str
    figures: str
    texts: str
    sha256: str = ""  # of the bytes checked ('' when they could not be read as a workbook)
    ignored: str = ""  # why the file is not a return of its own (our annotated copy, unchanged)
    empty: bool = False  # a workbook of the form with nothing typed: a blank, not a return
    headline: str = ""  # the figures the across-units review reads (JSON), when asked for

    @classmethod
    def of(cls, report: CheckedFile, review_codes: Sequence[str] = ()) -> Checked:
        figures = _figures(report)
        return cls(
            report.unit_id,
            report.unit_name,
            len(report.errors),
            len(report.warnings),
            report.explanation,
            json.dumps([p.to_json() for p in report.problems], ensure_ascii=False),
            json.dumps(figures, ensure_ascii=False),
            json.dumps(report.texts, ensure_ascii=False),
            report.sha256,
            report.ignored,
            _nothing_typed(report),
            json.dumps({code: figures.get(code) for code in review_codes}) if review_codes else "",
        )

    def row(self) -> CheckedRow:
        """The record's row of it (numbered when it is recorded)."""
        unit = self.unit_id or None
        return CheckedRow(
            unit, self.unit_name, None, self.errors, self.warnings, self.explanation, self.problems, self.figures,
            self.texts, self.headline,
        )  # fmt: skip


@dataclass(frozen=True)
class _Checking:
    """What a worker checking received files is given once: how to check, and the cells of the headline."""

    options: CheckOptions
    review_codes: tuple[str, ...]


def _checked(checking: _Checking, path: Path) -> Checked:
    """In a worker: a received file checked, and what the record keeps of it."""
    from nianbao.operations.check import check_file

    return Checked.of(check_file(path, checking.options), checking.review_codes)


STAGE_ROWS = 64  # checked files kept aside in the record's temporary table this many at a time
HELD_FILES, HELD_BYTES = 32, 1 << 20  # files held in memory for their copy at most, and the size of each


class Intake:
    """Receiving into one open workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.record = workspace.record
        self.held: dict[str, bytes] = {}  # sha256 -> the bytes read and hashed, until the copy is stored

    def files(
        self,
        paths: Iterable[str | Path],
        *,
        source: str = "",
        sender: str = "",
        received_at: datetime | None = None,
        progress: Progress = no_progress,
        unit_id: str = "",
        zipped: Collection[Path] = (),
    ) -> list[Received]:
        """Store, check and record every file under ``paths`` (see `Workspace.receive`)."""
        from nianbao.operations.check import find_files

        ws = self.workspace
        if unit_id and unit_id not in ws.roster_ids:
            raise NianbaoError(f"名单上没有编码为“{unit_id}”的单位，未收下任何文件；请核对所指定的单位编码")
        at = (received_at or datetime.now()).astimezone().isoformat(timespec="seconds")
        meta = Origin(source, sender, at, clock=received_at is None)
        items = [Incoming(path, None, meta, zipped=path in zipped) for path in find_files(paths)]
        if unit_id and len(items) != 1:
            raise NianbaoError(f"指定单位只能用于收一个 Word 文档，这里有 {len(items)} 个文件")
        outcomes = self._take(items, progress, unit_id=unit_id)
        with self.record.transaction():
            outcomes = self._record_all(items, outcomes)
            counts = {o: sum(r.outcome == o for r in outcomes) for o in (NEW, KNOWN, REFUSED)}
            detail: dict[str, object] = {"source": source, "sender": sender, **counts, "files": _names(outcomes, NEW)}
            if unit_id:
                detail["unit_id"] = unit_id
            self.record.log("receive", detail, ws.user)
        items.clear()  # recorded: what is left of each file is its outcome
        states = {s.unit_id: s for s in ws.status().units}
        return [_stated(r, states) for r in outcomes]

    def mail(
        self, messages: Iterable[RawMail], *, progress: Progress = no_progress, batch: int = 200
    ) -> Iterator[MailReceived]:
        """Receive the workbooks attached to each message (see `Workspace.receive_mail`), ``batch`` messages at a
        time, each batch in one transaction: memory stays flat for an mbox of any size."""
        chunk: list[RawMail] = []
        for raw in messages:
            chunk.append(raw)
            if len(chunk) >= batch:
                yield from self._mails(chunk, progress)
                chunk = []
        if chunk:
            yield from self._mails(chunk, progress)

    def _mails(self, chunk: list[RawMail], progress: Progress) -> list[MailReceived]:
        arrived = datetime.now().astimezone()
        parsed = self._read_mails(chunk, arrived)
        items: list[Incoming] = []
        owners: list[int] = []  # the message each item came from
        for index, (_, _, outcome, found) in enumerate(parsed):
            if outcome == NEW:
                items += found
                owners += [index] * len(found)
        outcomes = self._take(items, progress, blank_quotes=True)
        for item in items:
            item.data = None
        results: list[MailReceived] = []
        with self.record.transaction():
            outcomes = self._record_all(items, outcomes)
            for index, (raw, mail, outcome, _) in enumerate(parsed):
                files = [o for o, owner in zip(outcomes, owners, strict=True) if owner == index]
                if outcome == NEW:
                    self._record_message(raw, mail, files, arrived.isoformat(timespec="seconds"))
                if raw.mailbox:
                    self.record.see(raw.mailbox, raw.uidvalidity, raw.uid)
                results.append(MailReceived(raw.source, mail, outcome, files))
            self._log_mails([r for r in results if r.outcome == NEW])
        states = {s.unit_id: s for s in self.workspace.status().units}
        for result in results:
            result.files[:] = [_stated(r, states) for r in result.files]
        return results

    def _read_mails(self, chunk: list[RawMail], arrived: datetime) -> list[tuple[RawMail, Mail, str, list[Incoming]]]:
        """Each message read: NEW (with the files to take from it), KNOWN (received before) or REFUSED."""
        from nianbao.collection.mail import Mail, read_mail, received_time
        from nianbao.collection.outlook import UnreadableMessage

        parsed: list[tuple[RawMail, Mail, str, list[Incoming]]] = []
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
                parsed.append((raw, refused, REFUSED, []))
                continue
            repeated = mail.message_id in taken or self.record.message_known(mail.message_id)
            taken.add(mail.message_id)
            found = [] if repeated else _attached(raw, mail, received_time(mail, arrived), blanks)
            parsed.append((raw, mail, KNOWN if repeated else NEW, found))
        return parsed

    def _log_mails(self, fresh: list[MailReceived]) -> None:
        if not fresh:
            return
        counts = {o: sum(f.outcome == o for r in fresh for f in r.files) for o in (NEW, KNOWN, REFUSED)}
        names = [n for r in fresh for n in _names(r.files, NEW)]
        detail = {"source": "邮件", "sender": "", "messages": len(fresh), **counts, "files": names}
        self.record.log("receive", detail, self.workspace.user)

    def _record_message(self, raw: RawMail, mail: Mail, files: list[Received], arrived: str) -> None:
        from nianbao.collection.mail import mail_date_text

        workbooks = sum(1 for f in files if f.outcome != REFUSED and not f.blank)
        notes = [*mail.notes, *(f"{f.path.name}：{f.reason}" for f in files if f.reason)]
        letter = Letter(
            mail.message_id, raw.source, mail.sender, mail_date_text(mail), mail.subject, workbooks, notes, mail.others
        )
        self.record.add_message(letter, mail.sender_name, arrived)

    def _blank_digests(self) -> set[str]:
        """The sha256 of every blank workbook this workspace generated (空白表格/生成清单.csv)."""
        from nianbao.operations.generate import MANIFEST_NAME

        manifest = self.workspace.root / BLANK_DIR / MANIFEST_NAME
        try:
            text = decode_chinese_text(manifest.read_bytes()) or ""
        except OSError:
            return set()
        return {row.get("sha256", "") for row in csv.DictReader(io.StringIO(text))} - {""}

    # -- taking files in -------------------------------------------------------------------------------

    def _take(
        self, items: list[Incoming], progress: Progress, *, blank_quotes: bool = False, unit_id: str = ""
    ) -> list[Received]:
        """Store every item's bytes in 收到的文件/ and check the new ones; nothing is recorded yet. What the record
        will keep of each new one waits in its temporary table, not in memory."""
        from nianbao.operations.check import prepare_checks

        outcomes: list[Received] = []
        fresh: dict[str, int] = {}  # sha256 -> index of the item that brings it
        copies: dict[int, Future[Path]] = {}  # of files out of a zip, stored once they proved returns
        changed: set[int] = set()
        own = self.workspace.layout.own_files(self.workspace.roster_path.name)
        folders: dict[Path, Path] = {}  # each folder resolved once
        self.record.unstage()
        with tempfile.TemporaryDirectory(prefix="nianbao-") as aside, ThreadPoolExecutor(max_workers=1) as copier:
            for index, item in enumerate(items):
                outcome = self._arrive(item, own, fresh, unit_id, folders)
                if outcome.outcome == NEW:
                    fresh[item.digest] = index
                    self._keep_or_hold(item, index, changed, Path(aside))
                outcomes.append(outcome)
            order = list(fresh.values())
            sources = [items[i].stored or items[i].path for i in order]
            checking = _Checking(self.workspace.check_options(unit_id), tuple(self.workspace.standing.review_codes))
            prepare_checks(checking.options)
            staged: list[tuple[int, CheckedRow]] = []
            for index, checked in zip(order, ordered_map(_checked, checking, sources, progress), strict=True):
                item = items[index]
                outcomes[index] = self._judged(item, checked, outcomes[index], blank_quotes)
                if item.zipped and outcomes[index].outcome == NEW:  # held aside until it proved a return
                    copies[index] = copier.submit(self._copy, item.path, item.digest, item.data)
                if outcomes[index].outcome == NEW:  # what the record keeps of it waits in its temporary table
                    staged.append((index, checked.row()))
                    item.staged = True
                if len(staged) >= STAGE_ROWS:
                    self.record.stage(staged)
                    staged = []
            self.record.stage(staged)
        self.held.clear()
        for index, copy in copies.items():
            try:
                items[index].stored = copy.result()
            except (OSError, ValueError):
                changed.add(index)
        for index in changed:
            outcomes[index] = Received(items[index].path, REFUSED, reason=CHANGED)
        for index, item in enumerate(items):  # the same bytes twice in one go: as the first of them fared
            first = fresh.get(item.digest, index)
            if first != index and outcomes[index].outcome == KNOWN and outcomes[first].outcome == REFUSED:
                outcomes[index] = replace(outcomes[first], path=item.path)
        sync_files(stored for i in order if (stored := items[i].stored))  # on disk before anything records them
        return outcomes

    def _arrive(
        self, item: Incoming, own: list[Path], fresh: Mapping[str, int], unit_id: str, folders: dict[Path, Path]
    ) -> Received:
        """An item's bytes read and hashed: REFUSED (unreadable, too big, the workspace's own), KNOWN, or NEW."""
        from nianbao.io.reading import MAX_FILE_BYTES, read_failure

        if item.data is None and is_under(item.path, own, _resolved_in(item.path, folders)):  # `receive .` in it
            return Received(item.path, REFUSED, reason=OWN_FILE)
        try:
            data = item.data
            if data is None:
                size = item.path.stat().st_size
                if size > MAX_FILE_BYTES:
                    return Received(item.path, REFUSED, reason=MESSAGES["TOO_BIG"].format(mb=size >> 20))
                data = item.path.read_bytes()
        except OSError as exc:
            return Received(item.path, REFUSED, reason=str(read_failure(exc)))
        item.digest = sha256(data)
        known = self.record.version_by_sha(item.digest)
        if unit_id and known and not known.unit_id:
            known = None  # an unidentified file, now said to be a unit's: checked again with that unit
        if known or item.digest in fresh:
            return Received(item.path, KNOWN, known, reason=self._restore(known, data) if known else "")
        if item.data is None and len(data) <= HELD_BYTES and len(self.held) < HELD_FILES:
            self.held[item.digest] = data  # what the copy stores: not read and hashed a second time
        return Received(item.path, NEW)

    def _restore(self, known: Version, data: bytes) -> str:
        """The same bytes as a version whose stored file was changed or deleted since: the stored file is put back
        as received ('' when it needed nothing)."""
        target = self.workspace.layout.received(known.stored)
        if target is None:
            return ""
        try:
            if target.is_file() and sha256(target.read_bytes()) == known.sha256:
                return ""
            write_atomic(target, data, overwrite=True)
        except OSError:
            return ""
        return RESTORED

    def _judged(self, item: Incoming, report: Checked, outcome: Received, blank_quotes: bool) -> Received:
        """A new item once checked: still NEW, or refused for what checking found."""
        if report.sha256 not in ("", item.digest):
            return Received(item.path, REFUSED, reason=CHANGED)
        if report.ignored:  # our annotated copy, unchanged: attached to a reply, or received by mistake
            return Received(item.path, REFUSED, reason=report.ignored, blank=True)
        if blank_quotes and report.empty:
            return Received(item.path, REFUSED, reason=QUOTED_BLANK, blank=True)
        if item.document and report.unit_id not in self.workspace.roster_ids:
            return Received(item.path, REFUSED, reason=NOT_A_RETURN, blank=True)
        if item.zipped and not report.unit_id:
            return Received(item.path, REFUSED, reason=ZIPPED_STRAY)
        return outcome

    def _keep_or_hold(self, item: Incoming, index: int, changed: set[int], aside: Path) -> None:
        """A new item's bytes into 收到的文件/ (``changed`` notes a file that no longer holds them), or, for one
        out of a zip, held aside to be checked first. Files are stored one after another, before they are
        checked: a copying thread beside the checking processes cost twice the time on two cores."""
        if item.zipped:
            if item.data is not None:  # checked from a file of its own, outside the workspace
                (aside / str(index)).mkdir()
                item.path = aside / str(index) / item.path.name
                item.path.write_bytes(item.data)
        elif item.data is None:  # stored at once (the bytes just hashed) and checked from there
            try:
                item.stored = self._copy(item.path, item.digest)
            except (OSError, ValueError):
                changed.add(index)
        else:
            item.stored = self.workspace.layout.store(item.path, item.digest, item.data)

    def _copy(self, path: Path, digest: str, data: bytes | None = None) -> Path:
        """Store the file at ``path`` (or its ``data``): the very bytes that were hashed when held since (a few
        files' at a time), else read from disk again; ValueError if it no longer holds ``digest``."""
        held = self.held.pop(digest, None) if data is None else None
        if held is not None:
            return self.workspace.layout.store(path, digest, held)
        data = path.read_bytes() if data is None else data
        if sha256(data) != digest:
            raise ValueError(path)
        return self.workspace.layout.store(path, digest, data)

    # -- recording -------------------------------------------------------------------------------------

    def _record_all(self, items: list[Incoming], outcomes: list[Received]) -> list[Received]:
        """Record the new, checked items (inside the caller's transaction), their rows taken from where they
        waited, their versions numbered from one query."""
        recorded = list(outcomes)
        last = self.record.last_versions()  # unit -> its last version number, when its latest came
        for index, (item, outcome) in enumerate(zip(items, outcomes, strict=True)):
            if outcome.outcome != NEW or not item.staged or item.stored is None:
                if outcome.outcome == KNOWN and outcome.version is None:  # the same bytes twice in one go
                    recorded[index] = Received(item.path, KNOWN, self.record.version_by_sha(item.digest))
                continue
            row, note = self._record(item, self.record.staged(index), last)
            found = row or self.record.version_by_sha(item.digest)
            recorded[index] = Received(item.path, NEW if row else KNOWN, found, reason=note)
        self.record.unstage()
        units = {r.version.unit_id for r in recorded if r.outcome == NEW and r.version and r.version.version}
        for unit_id in sorted(units):  # a pinned version the clerk sent back gives way to the correction
            if self.record.unpin_rejected(unit_id):
                note = "指定计入的版本已退回，收到新版本后改为计入最新的一版"
                self.record.log("use", {"unit_id": unit_id, "version": "最新", "note": note}, self.workspace.user)
        return recorded

    def _record(
        self, item: Incoming, checked: CheckedRow, last: dict[str, tuple[int, str]]
    ) -> tuple[Version | None, str]:
        """Insert the file (inside the caller's transaction); None if another receive recorded it meanwhile.
        A file recorded before as no unit's that is now a roster unit's (a Word return given its unit) becomes
        that unit's new version; when and from where it came stay as first recorded. A file taken in now whose
        time is before the unit's latest version (this computer's clock was set back) is recorded at that time,
        so that it counts as the newest, and said. ``last``: each unit's last version and when its latest came,
        kept up to date here."""
        stored, origin = item.stored, item.origin
        assert stored is not None
        unit_id = checked.unit_id or ""
        known = self.record.version_by_sha(item.digest)
        roster = self.workspace.roster_ids
        if known and (known.unit_id or unit_id not in roster):
            return None, ""
        at, note = origin.at, ""
        number, latest = last.get(unit_id, (0, None))
        if latest is not None and origin.clock and unit_id in roster and self.record.arrived_before(origin.at, latest):
            at = latest
            note = MESSAGES["CLOCK_BEHIND"].format(
                now=origin.at[:16].replace("T", " "), latest=latest[:16].replace("T", " ")
            )
        checked = replace(checked, version=number + 1 if unit_id in roster else None)
        version = None
        if known:
            self.record.recheck_file(known.id, checked)
        else:
            arrived = (
                item.digest,
                stored.relative_to(self.workspace.root).as_posix(),
                shown(Path(item.path.name)),
                origin.source or shown(item.path),
                origin.sender,
                at,
                stored.stat().st_size,
                origin.message_id,
                origin.subject,
            )
            version = self.record.add_file(arrived, checked)
        if unit_id in roster:  # its last version now, and its latest if it did not come before that one
            when = known.received_at if known else at
            last[unit_id] = (
                number + 1,
                when if latest is None or not self.record.arrived_before(when, latest) else latest,
            )
        return version or self.record.version_by_sha(item.digest), note


def _attached(raw: RawMail, mail: Mail, at: str, blanks: set[str]) -> list[Incoming]:
    """The files to take from a new message: its workbooks (not our own blanks quoted back), or, with none, its
    Word documents (a report in Word may be the return). The bytes go with the items: the message keeps names."""
    origin = Origin(raw.source, mail.sender, at, mail.subject, mail.message_id)
    found = []
    for attachment in mail.attachments:
        if sha256(attachment.data) in blanks:
            mail.notes.append(f"{attachment.name} 是本次发出的空白表格（回复时附带的），不计为报送")
            continue
        found.append(
            Incoming(Path(attachment.name), attachment.data, origin, attachment.where, zipped=attachment.zipped)
        )
    if not mail.attachments:
        found += [Incoming(Path(d.name), d.data, origin, d.where, document=True) for d in mail.documents]
    mail.attachments, mail.documents = [], []
    return found


def _resolved_in(path: Path, folders: dict[Path, Path]) -> Path:
    """Where ``path`` really is, its folder resolved once for all its files (only a link is resolved itself)."""
    if path.is_symlink():
        return resolved(path)
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = resolved(path.parent)
    return folder / path.name


def _figures(report: CheckedFile) -> dict[str, object]:
    """Every figure; where none could be read, what was typed (so that a diff shows “5件” → 5)."""
    figures: dict[str, object] = dict(report.figures)
    for code, raw in report.raw.items():
        if figures.get(code) is None and code in figures and raw not in (None, ""):
            figures[code] = str(raw)
    return figures


def _nothing_typed(report: CheckedFile) -> bool:
    """A workbook of the form with no figure and no text typed: a blank, not a return."""
    return (
        bool(report.unit_id and report.figures)
        and all(v is None for v in report.figures.values())
        and not any(str(t).strip() for t in report.texts.values())
    )


def _names(outcomes: Sequence[Received], outcome: str) -> list[str]:
    return [shown(Path(r.path.name)) for r in outcomes if r.outcome == outcome]


def _stated(result: Received, states: Mapping[str, UnitState]) -> Received:
    state = states.get(result.version.unit_id) if result.version else None
    return Received(result.path, result.outcome, result.version, state, result.reason, result.blank)


__all__ = ["CHANGED", "OWN_FILE", "Intake", "now"]
