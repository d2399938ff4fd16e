"""A workspace: one collection round in one folder (collection/layout.py), the front door to its parts.

Each unit's versions are the files received with its identity, numbered in the order they were taken in; the
latest to come counts (a mail: when it reached the mailbox), unless the clerk pins another. A unit's state comes
from the version that counts (collection/states.py). The parts:

    record/      the only place that speaks SQL           intake.py     receiving files and mail
    model.py     the round's data                          decisions.py  accept, use, reject, extend
    states.py    a unit's state, a pure function           lastyear.py   last year's figures
    status.py    the status of the round, kept review      reply.py      replies (compose.py: the message)
    contacts.py  what the roster says of each unit         layout.py     the folder
"""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from nianbao.collection import decisions, lastyear
from nianbao.collection.contacts import Contacts, contacts_of
from nianbao.collection.intake import Intake
from nianbao.collection.layout import BLANK_DIR, DATABASE, RECEIVED_DIR, ROSTER_STEM, SPEC_COPY, SUMMARY_DIR, Layout
from nianbao.collection.model import (
    HAS_ERRORS,
    KNOWN,
    LATE,
    NEW,
    NO_WORKBOOK,
    NOT_RECEIVED,
    OFF_ROSTER,
    OVERDUE,
    PASSED,
    REFUSED,
    TO_VERIFY,
    UNIDENTIFIED,
    Acceptance,
    Difference,
    Extension,
    Letter,
    LogEntry,
    MailReceived,
    Received,
    Rejection,
    RoundStatus,
    State,
    UnitState,
    Version,
)
from nianbao.collection.record import Record, now
from nianbao.collection.settings import RoundSettings
from nianbao.collection.status import Standing
from nianbao.form import DEFAULT_FORM
from nianbao.io.files import sha256, shown
from nianbao.io.roster import Unit, read_roster
from nianbao.operations.parallel import Progress, no_progress
from nianbao.problems import MESSAGES, NianbaoError, Problem

if TYPE_CHECKING:  # checking, mail and writing are imported where they are used: `status` needs none of them
    import sqlite3

    from nianbao.collection.mail import RawMail
    from nianbao.collection.publish import Publication
    from nianbao.form.spec import Form
    from nianbao.operations.check import CheckOptions, PackedFigures
    from nianbao.operations.generate import Batch
    from nianbao.operations.merge import Summary
    from nianbao.operations.report import ReportInputs

__all__ = [  # the names scripts and the interfaces take from here
    "BLANK_DIR",
    "HAS_ERRORS",
    "KNOWN",
    "LATE",
    "NEW",
    "NOT_RECEIVED",
    "NO_WORKBOOK",
    "OFF_ROSTER",
    "OVERDUE",
    "PASSED",
    "RECEIVED_DIR",
    "REFUSED",
    "SUMMARY_DIR",
    "TO_VERIFY",
    "UNIDENTIFIED",
    "Difference",
    "Letter",
    "LogEntry",
    "MailReceived",
    "Received",
    "RoundStatus",
    "State",
    "UnitState",
    "Version",
    "Workspace",
    "WorkspaceMerge",
    "last_year",
]


@dataclass(frozen=True)
class WorkspaceMerge:
    blockers: list[UnitState]
    summary: Summary | None  # None when units block and no partial summary was asked for


class Workspace:
    """An open workspace. Every change is one transaction in the record, logged with time and user."""

    def __init__(self, root: Path, record: Record, user: str | None = None) -> None:
        self.root = root.absolute()  # a page serving files must not depend on the cwd
        self.layout = Layout(self.root)
        self.record = record
        self.user = user or _user()  # who the log and the decisions name
        meta = record.meta()
        self.form_name = meta["form"] if not meta["form"].endswith(".toml") else str(root / meta["form"])
        self.year = int(meta["year"])
        self.deadline = date.fromisoformat(meta["deadline"]) if meta.get("deadline") else None
        self.unit_id, self.unit_name = meta["unit_id"], meta["unit_name"]
        self.roster_path = root / meta["roster"]
        self.previous_notes: list[str] = []  # what could not be used of last year's files, when they were given
        self.notes: list[str] = []  # what opening it did that the clerk should know (a stale -wal set aside)
        self.standing = Standing(self)

    @cached_property
    def units(self) -> list[Unit]:
        """The roster, as the round was set up with it (codes and names, in roster order)."""
        return self.record.units()

    @cached_property
    def roster_ids(self) -> set[str]:
        return {u.unit_id for u in self.units}

    @property
    def db(self) -> sqlite3.Connection:
        """The record's connection, for tests and tools that look inside it (nianbao itself goes through
        `record`)."""
        return self.record.db

    @cached_property
    def form(self) -> Form:
        """The form spec, loaded when first needed (a status without reviews or acceptances needs none)."""
        from nianbao.form.spec import load_form

        return load_form(self.form_name)

    @property
    def contacts(self) -> Contacts:
        """What the roster says of each unit (kind, addresses, contact person, phone), read when first needed."""
        return contacts_of(self.roster_path)

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
        settings: Mapping[str, str | int | None] | None = None,
    ) -> tuple[Workspace, Batch]:
        """A new workspace in ``root`` with its blank workbooks; refused where a workspace already is. With
        ``previous`` (last year's workbooks, summary, workspace or published reports), returns are checked
        against last year's figures (X1, X2 and the year-over-year review). ``settings``: the letters' sender
        and reminders (`change_settings`), checked before anything is written."""
        from nianbao.form.spec import load_form
        from nianbao.operations.generate import deadline_date, generate

        root = Path(root)
        if (root / DATABASE).exists():
            raise NianbaoError(f"{shown(root)} 中已经有一个工作区，未做任何改动")
        form = load_form(form_name)
        units = read_roster(roster)
        day = deadline_date(deadline) if deadline else None
        defaults = RoundSettings(unit_name)
        chosen = defaults.changed(settings or {}, unit_name)
        last, notes = last_year(previous, form_name, year, units) if previous else ({}, [])
        if previous and not last:
            raise lastyear.nothing_found(notes, "；未建立工作区")
        batch = generate(
            roster, year, root / BLANK_DIR, form_name=form_name, password=password, deadline=deadline, progress=progress
        )
        roster_copy = f"{ROSTER_STEM}{Path(roster).suffix.lower()}"
        shutil.copyfile(roster, root / roster_copy)
        spec = form_name
        if form_name.endswith(".toml"):
            shutil.copyfile(form_name, root / SPEC_COPY)
            spec = SPEC_COPY
        record = Record.create(root / DATABASE)
        meta = {
            "form": spec,
            "form_key": form.key,
            "year": str(year),
            "deadline": day.isoformat() if day else "",
            "unit_id": unit_id,
            "unit_name": unit_name,
            "roster": roster_copy,
            "created_at": now(),
        }
        user = _user()
        with record.transaction():
            record.start(meta, units)
            init = {"year": year, "units": len(units), "deadline": meta["deadline"], "form": form.key}
            record.log("init", init, user)
            if chosen != defaults:
                record.set_settings(chosen)
                record.log("settings", {"changed": chosen.differences(defaults)}, user)
            if previous:
                record.set_previous(last, lastyear.source_of(previous))
        workspace = cls(root, record)
        workspace.previous_notes = notes
        return workspace, batch

    @classmethod
    def open(cls, where: str | Path | None = None, *, user: str | None = None) -> Workspace:
        """The workspace at ``where``, or the one the current folder is in (looking upward, as git does).
        ``user`` names who acts in the log (the operating system's user if not given)."""
        start = Path(where) if where is not None else Path.cwd()
        for folder in [start, *start.resolve().parents] if where is None else [start]:
            if (folder / DATABASE).is_file():
                notes: list[str] = []
                opened = cls(folder, Record.open(folder / DATABASE, notes), user)
                opened.notes = notes
                return opened
        raise NianbaoError.of("NOT_A_WORKSPACE", folder=shown(start), record=DATABASE)

    def close(self) -> None:
        self.record.close()

    @property
    def settings(self) -> RoundSettings:
        """Who sends the letters (the office that signs them, its address, phone, contact person) and how often
        a unit that has sent nothing is reminded."""
        return self.record.settings()

    def change_settings(self, **changes: str | int | None) -> dict[str, list[str | int]]:
        """Change the settings named (None: unchanged; see `RoundSettings.changed`), logged when anything
        changed; returns what changed (each setting's old and new value)."""
        with self.record.transaction() as record:
            before = record.settings()
            after = before.changed(changes, self.unit_name)
            changed = after.differences(before)
            if changed:
                record.set_settings(after)
                record.log("settings", {"changed": changed}, self.user)
        return changed

    def unit_named(self, unit: str) -> Unit:
        """The roster unit with the code ``unit``, else the one with that full name; never a guess between two
        units of the same name."""
        found = self.record.find_units(unit)
        coded = [u for u in found if u.unit_id == unit]
        if coded:
            return coded[0]
        named = [u for u in found if u.unit_name == unit]
        if len(named) > 1:
            codes = "、".join(u.unit_id for u in named)
            raise NianbaoError.of("SAME_NAME_UNITS", count=len(named), unit=unit, codes=codes)
        if named:
            return named[0]
        raise NianbaoError.of("NO_SUCH_UNIT", unit=unit)

    def numbered(self, unit: Unit, number: int) -> Version:
        """A unit's version by its number."""
        found = self.record.numbered(unit.unit_id, number)
        if found is None:
            raise NianbaoError.of("NO_SUCH_VERSION", unit=f"{unit.unit_id} {unit.unit_name}", number=number)
        return found

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
        zipped: Collection[Path] = (),
    ) -> list[Received]:
        """Store every file under ``paths``, check it and record it as a version of its unit (``zipped``: files
        taken out of a zip, stored only if they are returns). The same bytes
        received again change nothing. All the new versions are recorded in one transaction, after their
        files are safely on disk: a receive that is killed records nothing. ``received_at`` is when the
        files arrived (a mail's date), now if not given. ``unit_id`` names the unit of a single Word return
        (.docx) whose title does not name a roster unit; a Word file received before but not identified then
        becomes that unit's new version."""
        return Intake(self).files(
            paths,
            source=source,
            sender=sender,
            received_at=received_at,
            progress=progress,
            unit_id=unit_id,
            zipped=zipped,
        )

    def receive_mail(
        self, messages: Iterable[RawMail], *, progress: Progress = no_progress, batch: int = 200
    ) -> Iterator[MailReceived]:
        """Receive the workbooks attached to each message, with its sender, date, subject and Message-ID
        recorded on the versions. A message already received (the same Message-ID, from any source) changes
        nothing; our own blank workbooks quoted in a reply are not returns. Messages are handled ``batch`` at a
        time, each batch in one transaction: memory stays flat for an mbox of any size."""
        return Intake(self).mail(messages, progress=progress, batch=batch)

    def seen_uids(self, mailbox: str, uidvalidity: int) -> set[int]:
        """The UIDs of a mailbox folder already received (for this UIDVALIDITY)."""
        return self.record.seen_uids(mailbox, uidvalidity)

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is one of the files the workspace keeps (its record, roster, blanks, replies …)."""
        return self.layout.owns(path, self.roster_path.name)

    def check_options(self, unit_id: str = "") -> CheckOptions:
        """How a return to this round is checked: its roster, year, form and last year's figures."""
        from nianbao.operations.check import CheckOptions

        kinds = self.kinds  # the roster's 类型: which rules hold for the unit (its level of government)
        roster = {u.unit_id: replace(u, kind=kinds.get(u.unit_id, "")) for u in self.units}
        return CheckOptions(
            form_name=self.form_name, roster=roster, year=self.year, previous=self._previous, unit_id=unit_id
        )

    @cached_property
    def _previous(self) -> dict[str, PackedFigures] | None:
        """Last year's figures by unit, if the workspace was given them (packed: one array a unit)."""
        from nianbao.operations.check import PackedFigures

        kept = self.record.previous()
        return {unit_id: PackedFigures(self.form_name, f) for unit_id, f in kept.items()} if kept else None

    def forget_previous(self) -> None:
        self.__dict__.pop("_previous", None)

    def set_previous(self, paths: Sequence[str | Path], progress: Progress = no_progress) -> tuple[int, list[str]]:
        """Take last year's figures from ``paths`` (workbooks, a summary, last year's workspace, published
        reports), replacing any given before, and check every version received so far again against them.
        Returns how many units' figures were found, and what could not be used."""
        figures, notes = last_year(paths, self.form_name, self.year, self.units)
        if not figures:
            raise lastyear.nothing_found(notes)
        lastyear.keep_previous(self, figures, paths, progress)
        return len(figures), notes

    # -- reading the record --------------------------------------------------------------------------

    def status(self) -> RoundStatus:
        """Every roster unit's state, from the version that counts, and the files that are no unit's return."""
        return self.standing.status()

    def state_of(self, unit: str) -> UnitState:
        """One unit's state (by its code or full name)."""
        (state,) = self.standing.states([self.unit_named(unit)])
        return state

    @property
    def kinds(self) -> dict[str, str]:
        """Each unit's kind (镇, 乡, 部门 …) from the roster's 类型 column, if it has one."""
        return self.contacts.kinds

    @property
    def roster_units(self) -> list[Unit]:
        """The roster as read from the workspace's copy (with its other columns), or none if unreadable."""
        return self.contacts.units

    @property
    def addresses(self) -> dict[str, set[str]]:
        return self.contacts.addresses

    def address_problems(self) -> list[str]:
        return self.contacts.address_problems()

    def sender_warning(self, unit_id: str, sender: str) -> str:
        return self.contacts.sender_warning(unit_id, sender)

    def history(self, unit: str) -> tuple[UnitState, list[Version]]:
        """A unit's versions, oldest first, and its state (which says which version counts)."""
        found = self.unit_named(unit)
        return self.state_of(found.unit_id), self.record.versions_of(found.unit_id)

    def rejections(self, unit: str) -> list[Rejection]:
        """Every time the clerk sent one of the unit's versions back (``file_id`` says which), oldest first."""
        return self.record.rejections_of(self.unit_named(unit).unit_id)

    def acceptances(self, unit: str) -> list[Acceptance]:
        """The warnings of the unit the clerk accepted, who did and why, oldest first."""
        return self.record.acceptances(self.unit_named(unit).unit_id)

    def diff(self, unit: str, first: int, second: int) -> list[Difference]:
        """Every figure and text that differs between two versions of a unit, with its place and labels."""
        from nianbao.form.spec import a1

        found = self.unit_named(unit)
        a, b = self.numbered(found, first), self.numbered(found, second)
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
        return self.record.log_entries()

    def revision(self) -> int:
        """A number that grows with every change to the record (each change is logged): a page showing the
        record asks for it to know when to refresh."""
        return self.record.revision()

    def file(self, file_id: int) -> Version:
        """A received file by its number in the record."""
        found = self.record.version_by_id(file_id)
        if found is None:
            raise NianbaoError(f"工作区中没有编号为 {file_id} 的文件")
        return found

    def stored_path(self, version: Version) -> Path:
        """Where a received file's bytes are kept, verified: refused if the record points outside 收到的文件/,
        or if the file no longer holds the bytes that were received and reviewed (never used unreviewed)."""
        path = self.layout.stored_path(version.stored, version.name)
        if sha256(path.read_bytes()) != version.sha256:
            who = f"{version.unit_id} {version.unit_name}".strip() or "未识别的文件"
            raise NianbaoError.of(
                "STORED_UNREVIEWED",
                unit=who,
                version=version.version or "",
                what=MESSAGES["STORED_CHANGED"],
                file=version.name,
            )
        return path

    def annotate(self, file_id: int, target: Path, problems: Sequence[Problem] | None = None) -> bool:
        """Write the annotated copy of a received file (problems marked, a problem list in front) to ``target``;
        False if the file cannot be read well enough to make one. ``problems`` (a reply's list) are marked and
        listed instead of the file's own."""
        from nianbao.operations.annotate import annotate  # openpyxl: only when annotating
        from nianbao.operations.check import check_file

        version = self.file(file_id)  # a Word return keeps the unit it was recorded for
        report = check_file(self.stored_path(version), self.check_options(version.unit_id))
        return annotate(report, target, problems=problems)

    def summary_target(self, note: str = "") -> Path:
        """A new file name in 汇总结果/ for a summary made now (an earlier summary is never replaced); ``note``
        goes into the name (a summary of some units: 不完整（22／24）)."""
        return self.layout.summary_target(self.unit_name, self.year, note)

    def summaries(self) -> list[Path]:
        """The files in 汇总结果/ (summaries and their reports), newest first."""
        return self.layout.summaries()

    def report_inputs(self) -> ReportInputs:
        """What the round's own annual report is made of besides its summary: the county's text of the sections
        (县本级文字.docx or .txt in the workspace), the office that signs it, and last year's figures (each unit's,
        and their sum when every unit's are known) for the comparisons of a drafted section."""
        from nianbao.operations.merge import summed
        from nianbao.operations.report import ReportInputs

        previous: dict[str, Mapping[str, float | None]] = dict(self.record.previous())
        if previous and self.roster_ids <= previous.keys():
            previous[self.unit_id] = summed([previous[u] for u in self.roster_ids], self.form)
        return ReportInputs(self.layout.own_text(), self.settings.office, None, previous or None)

    def publish(self, units: Sequence[str] = (), dated: date | None = None) -> list[Publication]:
        """Each passed unit's report to publish (发布稿/, Word and web page) from its counted version: of the units
        named (codes or names), else of every roster unit; a unit that has not passed gets none."""
        from nianbao.collection.publish import publish

        return publish(self, units, dated)

    # -- decisions (collection/decisions.py) ---------------------------------------------------------

    def accept(self, unit: str, note: str, rule: str | None = None) -> list[Problem]:
        """Accept the counted version's open warnings (all, or one rule's) with a note; never an error."""
        return decisions.accept(self, unit, note, rule)

    def unaccept(self, unit: str, note: str, rule: str | None = None) -> int:
        """Take back the acceptances of a unit's warnings (all, or one rule's); returns how many there were."""
        return decisions.unaccept(self, unit, note, rule)

    def move_deadline(self, day: date, note: str) -> date | None:
        """Change the round's deadline (extensions stay); returns the deadline it replaces."""
        return decisions.move_deadline(self, day, note)

    def dismiss(self, kind: str, ref: int, note: str, *, undo: bool = False) -> str:
        """Set aside (or bring back) a file that is no unit's return (``kind`` 'file', its number) or a letter's
        来信无统计表 notice ('letter'); returns what it was, in words."""
        return decisions.dismiss(self, kind, ref, note, undo)

    def use(self, unit: str, version: int | None, note: str) -> Version | None:
        """Make ``version`` the one that counts (None: the latest again)."""
        return decisions.use(self, unit, version, note)

    def reject(self, unit: str, note: str, version: int | None = None) -> Version:
        """Send the counted version back to its unit with the clerk's reason; returns the version sent back."""
        return decisions.reject(self, unit, note, version)

    def withdraw_rejection(self, unit: str, note: str) -> int:
        """Take back the rejections of the counted version; returns how many there were."""
        return decisions.withdraw(self, unit, note)

    def extensions(self) -> dict[str, date]:
        """The later deadlines granted, by unit."""
        return {unit_id: e.until for unit_id, e in self.record.extensions().items()}

    def extend(self, unit: str, until: date | None, note: str) -> Unit:
        """Grant a unit a later deadline (None: take it back): what it sends by then is not 迟交."""
        return decisions.extend(self, unit, until, note)

    def decisions(self) -> tuple[dict[str, list[Acceptance]], dict[str, Extension]]:
        """The clerk's decisions that stand, by unit: the warnings accepted and the later deadlines granted, each
        with its reason (what the 报送情况表 says of a unit besides its state)."""
        accepted = {u.unit_id: found for u in self.units if (found := self.record.acceptances(u.unit_id))}
        return accepted, self.record.extensions()

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
            [self.stored_path(u.counted) for u in passed if u.counted],  # the bytes reviewed, or refused
            self.roster_path,
            self.year,
            out,
            unit_id=self.unit_id,
            unit_name=self.unit_name,
            allow_missing=allow_missing,
            force=force,
            password=password,
            form_name=self.form_name,
            facts={u.unit_id: self._facts(u) for u in status.units},
        )
        with self.record.transaction() as record:
            detail = {
                "out": shown(Path(out)),
                "written": summary.written is not None,
                "units": len(passed),
                "blocking": len(blockers),
            }
            record.log("merge", detail, self.user)
        return WorkspaceMerge(blockers, summary)

    def _facts(self, state: UnitState) -> dict[str, str]:
        """What the workspace knows of a unit, for the summary's status sheet: its counted version, when its first
        return came, whether it was late (or is overdue), its explanation and the warnings accepted."""
        timely = f"{OVERDUE} {state.overdue} 天" if state.overdue else LATE if state.late else ""
        counted = state.counted
        if counted is None:
            return dict.fromkeys(("计入版本", "报送时间", "收到时间"), "") | {
                "迟交": timely,
                "单位的情况说明": "",
                "认可的警告": "",
            }
        notes = [
            f"{a.code} {a.cell}：{a.note}（{a.user} {a.at[:16]}）".replace("  ", " ")
            for a in self.record.acceptances(state.unit_id)
        ]
        return {
            "计入版本": f"第 {counted.version} 版" + ("（指定）" if state.pinned else ""),
            "报送时间": state.first_at[:19].replace("T", " "),
            "收到时间": counted.received_at[:19].replace("T", " "),
            "迟交": timely,
            "单位的情况说明": counted.explanation,
            "认可的警告": "；".join(notes),
        }


def last_year(
    paths: Iterable[str | Path], form_name: str, year: int | None, units: Iterable[Unit] | None = None
) -> tuple[lastyear.Figures, list[str]]:
    """Last year's figures by unit (``previous_figures``), where a workspace folder gives each unit's counted
    version (one with errors is not used); and what could not be used."""
    from nianbao.operations.previous import previous_figures

    figures: lastyear.Figures = {}
    notes: list[str] = []
    files = []
    for path in map(Path, paths):
        if not (path / DATABASE).is_file():
            files.append(path)
            continue
        workspace = Workspace.open(path)
        workspace.record.read_only()  # last year's record is only read (nothing kept in it)
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


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a service, a container)
        return os.environ.get("USERNAME", "未知用户")
