"""The round's record: the only place that speaks SQL. Its schema and migrations are in schema.py; this class
reads the record into the round's data (collection/model.py) and writes decisions, each change inside a
transaction (`with record.transaction():`) and logged by the caller with `log`.

Nothing else in nianbao executes a statement or holds the connection."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import cast

from nianbao.collection.model import Acceptance, Extension, Letter, LogEntry, Rejection, UnitFacts, Version
from nianbao.collection.record import schema
from nianbao.collection.record.accounts import ACCOUNT_ACTIONS, Account, AccountRecords, LoginSession, StoredPassword
from nianbao.collection.record.schema import DATABASE, RecordReadOnly
from nianbao.collection.record.staging import (
    CHECKED_COLUMNS,
    EARLIEST_FIRST,
    LATEST_FIRST,
    CheckedRow,
    StagedFiles,
)
from nianbao.collection.settings import PREFIX as SETTINGS
from nianbao.collection.settings import RoundSettings
from nianbao.io.roster import Unit

__all__ = [
    "DATABASE",
    "Account",
    "CheckedRow",
    "LoginSession",
    "Record",
    "RecordReadOnly",
    "ReplyRow",
    "StoredPassword",
]

# Every column of a version but its figures and narrative: what a status of thousands reads.
_WITHOUT_BULK = (
    "f.id, f.unit_id, f.unit_name, f.version, f.name, f.stored, f.source, f.sender, f.received_at, f.sha256, "
    "f.size, f.errors, f.warnings, f.explanation, f.problems"
)

_ARRIVED_COLUMNS = ("sha256", "stored", "name", "source", "sender", "received_at", "size", "message_id", "subject")

# A reply as recorded, with its unit's name and the number of the version it answers.
_REPLIES = """SELECT r.*, u.unit_name, f.version FROM replies r JOIN units u ON u.unit_id = r.unit_id
              LEFT JOIN files f ON f.id = r.file_id"""


@dataclass(frozen=True)
class ReplyRow:
    """A reply as the record keeps it (collection/reply.py makes a Reply of it)."""

    key: str
    unit_id: str
    unit_name: str
    kind: str
    version: int | None
    recipients: tuple[str, ...]
    draft: str  # inside the workspace, with / separators
    message_id: str
    sent_at: str


class Record(AccountRecords, StagedFiles):
    """An open record. ``user`` is who the log and the decisions name. The methods for the page's logins are in
    accounts.py."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection

    @classmethod
    def create(cls, path: Path) -> Record:
        return cls(schema.create(path))

    @classmethod
    def open(cls, path: Path, notes: list[str] | None = None) -> Record:
        return cls(schema.open_existing(path, notes))

    def close(self) -> None:
        schema.checkpoint(self.db)
        self.db.close()

    def read_only(self) -> None:
        """Nothing is written through this connection from now on (last year's record, read for its figures)."""
        self.db.execute("PRAGMA query_only = ON")

    @contextmanager
    def transaction(self) -> Iterator[Record]:
        with schema.transaction(self.db):
            yield self

    # -- the round ---------------------------------------------------------------------------------------

    def start(self, meta: Mapping[str, str], units: Sequence[Unit]) -> None:
        """Record a new round's settings and roster (inside the caller's transaction)."""
        self.db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        self.db.executemany(
            "INSERT INTO units (unit_id, unit_name, position) VALUES (?, ?, ?)",
            [(u.unit_id, u.unit_name, i) for i, u in enumerate(units)],
        )

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.db.execute("SELECT key, value FROM meta")}

    def settings(self) -> RoundSettings:
        """The letters' sender and the reminder cadence (defaults for what was never set)."""
        return RoundSettings.from_meta(self.meta())

    def set_settings(self, settings: RoundSettings) -> None:
        """Keep the settings (inside the caller's transaction); the round's own meta stays as it is."""
        assert all(key.startswith(SETTINGS) for key in settings.to_meta())
        self.db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", settings.to_meta().items())

    def units(self) -> list[Unit]:
        return [Unit(r["unit_id"], r["unit_name"]) for r in self.db.execute("SELECT * FROM units ORDER BY position")]

    def log(self, action: str, detail: Mapping[str, object], user: str) -> None:
        """A line of the audit log (inside the caller's transaction)."""
        self.db.execute(
            "INSERT INTO log (at, user, action, detail) VALUES (?, ?, ?, ?)",
            (now(), user, action, json.dumps(detail, ensure_ascii=False)),
        )

    def log_entries(self) -> list[LogEntry]:
        """The audit log, newest first."""
        rows = self.db.execute("SELECT at, user, action, detail FROM log ORDER BY id DESC")
        return [LogEntry(r["at"], r["user"], r["action"], json.loads(r["detail"])) for r in rows]

    def revision(self) -> int:
        """A number that grows with every change of the round (each change is logged; logins are logged too, but
        change nothing a page shows but the log: the latest other entry, found from the end)."""
        marks = ", ".join("?" for _ in ACCOUNT_ACTIONS)
        row = self.db.execute(
            f"SELECT id FROM log WHERE action NOT IN ({marks}) ORDER BY id DESC LIMIT 1", ACCOUNT_ACTIONS
        ).fetchone()
        return int(row[0]) if row else 0

    def cached(self, name: str, key: str) -> str | None:
        return schema.cached(self.db, name, key)

    def keep(self, name: str, key: str, value: str) -> None:
        schema.keep(self.db, name, key, value)

    # -- versions ----------------------------------------------------------------------------------------

    def version_by_sha(self, digest: str) -> Version | None:
        """The version with these bytes, if any (its figures and narrative read when first asked)."""
        row = self.db.execute(f"SELECT {_WITHOUT_BULK} FROM files f WHERE sha256 = ?", (digest,)).fetchone()
        return self._version(row) if row else None

    def version_by_id(self, file_id: int) -> Version | None:
        if not _fits(file_id):
            return None
        row = self.db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        return self._version(row) if row else None

    def numbered(self, unit_id: str, number: int) -> Version | None:
        if not _fits(number):
            return None
        row = self.db.execute("SELECT * FROM files WHERE unit_id = ? AND version = ?", (unit_id, number)).fetchone()
        return self._version(row) if row else None

    def versions_of(self, unit_id: str) -> list[Version]:
        """A unit's versions, oldest first."""
        rows = self.db.execute(
            "SELECT * FROM files WHERE unit_id = ? AND version IS NOT NULL ORDER BY version", (unit_id,)
        )
        return [self._version(row) for row in rows]

    def unidentified(self) -> list[Version]:
        """The files that are no roster unit's return, in the order received (not those set aside)."""
        rows = self.db.execute(
            """SELECT * FROM files WHERE version IS NULL
               AND id NOT IN (SELECT ref FROM dismissals WHERE kind = 'file') ORDER BY id"""
        )
        return [self._version(row) for row in rows]

    def dismiss(self, kind: str, ref: int, note: str, user: str) -> bool:
        """Set a file or a letter's notice aside; whether it was not already."""
        return bool(
            self.db.execute(
                "INSERT OR IGNORE INTO dismissals (kind, ref, note, user, at) VALUES (?, ?, ?, ?, ?)",
                (kind, ref, note, user, now()),
            ).rowcount
        )

    def undismiss(self, kind: str, ref: int) -> bool:
        return bool(self.db.execute("DELETE FROM dismissals WHERE kind = ? AND ref = ?", (kind, ref)).rowcount)

    def dismissed(self) -> int:
        (count,) = self.db.execute("SELECT COUNT(*) FROM dismissals").fetchone()
        return int(count)

    def letter(self, letter_id: int) -> Letter | None:
        if not _fits(letter_id):
            return None
        row = self.db.execute("SELECT * FROM messages WHERE id = ?", (letter_id,)).fetchone()
        return _letter(row) if row else None

    def facts(self, unit_ids: Sequence[str] | None = None) -> dict[str, UnitFacts]:
        """What the record holds about each unit that has sent something (all units, or those named): the
        version that counts (pinned, else the latest to come), how many, acceptances, rejections, extension.
        Units that have sent nothing have facts only for an extension."""
        one = unit_ids is not None and len(unit_ids) == 1
        among = "AND unit_id = ?" if one else ""
        chosen: tuple[str, ...] = tuple(unit_ids or ()) if one else ()
        latest = {
            row["unit_id"]: row
            for row in self.db.execute(
                f"""SELECT {_WITHOUT_BULK}, c.n, c.first_at FROM files f JOIN
                   (SELECT id, COUNT(*) OVER units AS n, ROW_NUMBER() OVER (units ORDER BY {LATEST_FIRST}) AS r,
                    FIRST_VALUE(received_at) OVER (units ORDER BY {EARLIEST_FIRST}
                        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_at
                    FROM files WHERE version IS NOT NULL {among} WINDOW units AS (PARTITION BY unit_id)) c
                   ON f.id = c.id AND c.r = 1""",
                chosen,
            )
        }
        pins = {r["unit_id"]: r["file_id"] for r in self.db.execute(f"SELECT * FROM pins WHERE 1 {among}", chosen)}
        accepted: dict[str, list[Acceptance]] = {}
        for row in self.db.execute(f"SELECT * FROM acceptances WHERE 1 {among} ORDER BY id", chosen):
            accepted.setdefault(row["unit_id"], []).append(_acceptance(row))
        rejected: dict[int, list[Rejection]] = {}
        for row in self.db.execute(f"SELECT * FROM rejections WHERE 1 {among} ORDER BY id", chosen):
            rejected.setdefault(row["file_id"], []).append(_rejection(row))
        extended = self.extensions(chosen[0] if one else None)
        wanted = set(unit_ids) if unit_ids is not None else None
        found: dict[str, UnitFacts] = {}
        for unit_id in {*latest, *extended}:
            if wanted is not None and unit_id not in wanted:
                continue
            row = latest.get(unit_id)
            if row is None:
                found[unit_id] = UnitFacts(None, extension=extended[unit_id])
                continue
            pinned = unit_id in pins
            counted = self.version_by_id(pins[unit_id]) if pinned else self._version(row)
            assert counted is not None  # a pin names a file of the record (a foreign key)
            found[unit_id] = UnitFacts(
                counted,
                row["n"],
                row["first_at"],
                pinned,
                tuple(accepted.get(unit_id, ())),
                tuple(rejected.get(counted.id, ())),
                extended.get(unit_id),
            )
        return found

    def counted_key(self) -> str:
        """What decides which versions count, in a few bytes, read without reading every version: the roster
        units' versions only ever grow in number (nothing is deleted, a file recognised later becomes one), and
        which of them counts follows from them and the pins. Changes whenever a counted version may change."""
        (count, total, last) = self.db.execute(
            "SELECT COUNT(*), TOTAL(id), MAX(id) FROM files WHERE version IS NOT NULL"  # the partial index answers
        ).fetchone()
        pins = self.db.execute("SELECT unit_id, file_id FROM pins ORDER BY unit_id").fetchall()
        return json.dumps([count, total, last, [tuple(p) for p in pins]], ensure_ascii=False)

    def find_units(self, unit: str) -> list[Unit]:
        """The roster units whose code or full name is ``unit``, in roster order."""
        rows = self.db.execute(
            "SELECT unit_id, unit_name FROM units WHERE unit_id = ? OR unit_name = ? ORDER BY position", (unit, unit)
        )
        return [Unit(r["unit_id"], r["unit_name"]) for r in rows]

    def counted_ids(self, unit_ids: Sequence[str]) -> dict[str, int]:
        """The id of each unit's counted version (pinned, else the latest to come), in the order of ``unit_ids``."""
        latest = dict(
            self.db.execute(
                f"""SELECT unit_id, id FROM (SELECT unit_id, id, ROW_NUMBER() OVER
                   (PARTITION BY unit_id ORDER BY {LATEST_FIRST}) AS r FROM files WHERE version IS NOT NULL)
                   WHERE r = 1"""
            ).fetchall()
        )
        latest.update(dict(self.db.execute("SELECT unit_id, file_id FROM pins").fetchall()))
        return {unit_id: latest[unit_id] for unit_id in unit_ids if unit_id in latest}

    def headlines(self, file_ids: Iterable[int], codes: Sequence[str]) -> dict[str, dict[str, object]]:
        """The figures the across-units review reads, by unit, for the versions ``file_ids``: from the kept
        headline, or (a version recorded before it was kept) picked out of its figures."""
        ids = json.dumps(list(file_ids))
        among = "id IN (SELECT value FROM json_each(?))"
        found: dict[str, dict[str, object]] = {}
        missing = []
        for file_id, unit_id, headline in self.db.execute(
            f"SELECT id, unit_id, headline FROM files WHERE {among}", (ids,)
        ):
            kept = json.loads(headline) if headline else {}
            if all(code in kept for code in codes):
                found[unit_id] = kept
            else:
                missing.append(file_id)
        if missing:
            paths = ", ".join("?" for _ in codes)  # one json_extract of every path: each record parsed once
            rows = self.db.execute(
                f"SELECT unit_id, json_extract(figures, {paths}) FROM files WHERE {among}",
                [*(f'$."{code}"' for code in codes), json.dumps(missing)],
            )
            for unit_id, values in rows:
                picked = json.loads(values) if len(codes) > 1 else [values]
                found[unit_id] = dict(zip(codes, picked, strict=True))
        return found

    def latest_arrival(self, unit_id: str) -> str | None:
        """When the unit's latest version came (received_at), None before its first."""
        row = self.db.execute(
            f"SELECT received_at FROM files WHERE unit_id = ? AND version IS NOT NULL ORDER BY {LATEST_FIRST} LIMIT 1",
            (unit_id,),
        ).fetchone()
        return str(row["received_at"]) if row else None

    def arrived_before(self, first: str, second: str) -> bool:
        """Whether the moment ``first`` (ISO 8601 with its offset) is before ``second``."""
        (before,) = self.db.execute("SELECT julianday(?) < julianday(?)", (first, second)).fetchone()
        return bool(before)

    def next_version(self, unit_id: str) -> int:
        (last,) = self.db.execute(  # “version IS NOT NULL”: the partial index answers, no scan of every file
            "SELECT MAX(version) FROM files WHERE unit_id = ? AND version IS NOT NULL", (unit_id,)
        ).fetchone()
        return int(last or 0) + 1

    def add_file(self, arrived: Sequence[object], checked: CheckedRow) -> Version:
        """A file received: where it came from (in the order of _ARRIVED_COLUMNS) and what checking found; the
        version it is, as read back (its figures and narrative read when first asked)."""
        columns = _ARRIVED_COLUMNS + CHECKED_COLUMNS
        places = ", ".join("?" for _ in columns)
        values = (*arrived, *(getattr(checked, c) for c in CHECKED_COLUMNS))
        added = self.db.execute(f"INSERT INTO files ({', '.join(columns)}) VALUES ({places})", values).lastrowid
        row = {c: v for c, v in zip(columns, values, strict=True) if c not in ("figures", "texts")}
        return self._version(cast(sqlite3.Row, {"id": added, **row}))

    def recheck_file(self, file_id: int, checked: CheckedRow) -> None:
        """A file recorded before as no unit's, now recognised (its arrival stays as first recorded)."""
        assignments = ", ".join(f"{column} = ?" for column in CHECKED_COLUMNS)
        values = (*(getattr(checked, c) for c in CHECKED_COLUMNS), file_id)
        self.db.execute(f"UPDATE files SET {assignments} WHERE id = ?", values)

    def stored_returns(self) -> list[tuple[int, str, str]]:
        """Every roster unit's version: (id, stored, unit_id), in the order received."""
        query = "SELECT id, stored, unit_id FROM files WHERE version IS NOT NULL ORDER BY id"
        return [(r["id"], r["stored"], r["unit_id"]) for r in self.db.execute(query)]

    def set_problems(self, updates: Iterable[tuple[int, int, str, int]]) -> None:
        """New check results (errors, warnings, problems JSON, file id) for versions checked again."""
        self.db.executemany("UPDATE files SET errors = ?, warnings = ?, problems = ? WHERE id = ?", updates)

    def count_files(self) -> int:
        (count,) = self.db.execute("SELECT COUNT(*) FROM files").fetchone()
        return int(count)

    def bulk(self, file_id: int, column: str) -> str:
        """A version's figures or narrative (JSON), read when first asked."""
        assert column in ("figures", "texts")
        (value,) = self.db.execute(f"SELECT {column} FROM files WHERE id = ?", (file_id,)).fetchone()
        return str(value)

    def file_message(self, file_id: int) -> str:
        """The Message-ID of the mail a file came in ('' when it did not come by mail)."""
        row = self.db.execute("SELECT message_id FROM files WHERE id = ?", (file_id,)).fetchone()
        return str(row["message_id"]) if row else ""

    def _version(self, row: sqlite3.Row) -> Version:
        """A version from a row of `files`; one without its figures and narrative reads them when asked."""
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
            bulk=None if bulk else self.bulk,
        )

    # -- decisions ---------------------------------------------------------------------------------------

    def pin(self, unit_id: str, file_id: int, note: str, user: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO pins (unit_id, file_id, note, user, at) VALUES (?, ?, ?, ?, ?)",
            (unit_id, file_id, note, user, now()),
        )

    def unpin(self, unit_id: str) -> None:
        self.db.execute("DELETE FROM pins WHERE unit_id = ?", (unit_id,))

    def unpin_rejected(self, unit_id: str) -> bool:
        """Lift the unit's pin if it is on a version sent back; whether there was one."""
        return bool(
            self.db.execute(
                "DELETE FROM pins WHERE unit_id = ? AND file_id IN (SELECT file_id FROM rejections)", (unit_id,)
            ).rowcount
        )

    def withdraw_acceptances(self, unit_id: str, code: str | None) -> int:
        """Take back a unit's acceptances (of one rule or message code, or all); how many there were."""
        if code is None:
            return int(self.db.execute("DELETE FROM acceptances WHERE unit_id = ?", (unit_id,)).rowcount)
        query = "DELETE FROM acceptances WHERE unit_id = ? AND code = ?"
        return int(self.db.execute(query, (unit_id, code)).rowcount)

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def acceptances(self, unit_id: str) -> list[Acceptance]:
        rows = self.db.execute("SELECT * FROM acceptances WHERE unit_id = ? ORDER BY id", (unit_id,))
        return [_acceptance(row) for row in rows]

    def accept(self, acceptance: Acceptance) -> None:
        self.db.execute(
            """INSERT INTO acceptances (unit_id, file_id, code, cell, basis, note, user, at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                acceptance.unit_id,
                acceptance.file_id,
                acceptance.code,
                acceptance.cell,
                acceptance.basis,
                acceptance.note,
                acceptance.user,
                acceptance.at,
            ),
        )

    def reject(self, unit_id: str, file_id: int, note: str, user: str) -> None:
        self.db.execute(
            "INSERT INTO rejections (unit_id, file_id, note, user, at) VALUES (?, ?, ?, ?, ?)",
            (unit_id, file_id, note, user, now()),
        )

    def rejections_of(self, unit_id: str) -> list[Rejection]:
        rows = self.db.execute("SELECT * FROM rejections WHERE unit_id = ? ORDER BY id", (unit_id,))
        return [_rejection(row) for row in rows]

    def withdraw_rejections(self, file_id: int) -> None:
        self.db.execute("DELETE FROM rejections WHERE file_id = ?", (file_id,))

    def extensions(self, unit_id: str | None = None) -> dict[str, Extension]:
        """The later deadlines granted, by unit (all, or one unit's)."""
        rows = (
            self.db.execute("SELECT * FROM extensions WHERE unit_id = ?", (unit_id,))
            if unit_id is not None
            else self.db.execute("SELECT * FROM extensions")
        )
        return {
            r["unit_id"]: Extension(r["unit_id"], date.fromisoformat(r["until"]), r["note"], r["user"], r["at"])
            for r in rows
        }

    def extend(self, unit_id: str, until: date, note: str, user: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO extensions (unit_id, until, note, user, at) VALUES (?, ?, ?, ?, ?)",
            (unit_id, until.isoformat(), note, user, now()),
        )

    def cancel_extension(self, unit_id: str) -> bool:
        """Take back a unit's extension; whether it had one."""
        return bool(self.db.execute("DELETE FROM extensions WHERE unit_id = ?", (unit_id,)).rowcount)

    # -- mail --------------------------------------------------------------------------------------------

    def message_known(self, message_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM messages WHERE message_id = ?", (message_id,)).fetchone() is not None

    def add_message(self, letter: Letter, sender_name: str, received_at: str) -> None:
        """A message received (``letter.sent_at``: its Date header, '' when it has none)."""
        self.db.execute(
            """INSERT INTO messages (message_id, source, sender, sender_name, sent_at, subject, workbooks, notes,
               others, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                letter.message_id,
                letter.source,
                letter.sender,
                sender_name,
                letter.sent_at,
                letter.subject,
                letter.workbooks,
                json.dumps(letter.notes, ensure_ascii=False),
                json.dumps(letter.others, ensure_ascii=False),
                received_at,
            ),
        )

    def letters_without_workbook(self) -> list[Letter]:
        """The messages that brought no workbook, but those set aside and those whose sender has sent a return
        since (the notice clears itself)."""
        rows = self.db.execute(
            """SELECT * FROM messages m WHERE workbooks = 0
               AND id NOT IN (SELECT ref FROM dismissals WHERE kind = 'letter')
               AND NOT EXISTS (SELECT 1 FROM files f WHERE f.version IS NOT NULL AND f.sender != ''
                   AND lower(f.sender) = lower(m.sender)
                   AND julianday(f.received_at) >= julianday(COALESCE(NULLIF(m.sent_at, ''), m.received_at)))
               ORDER BY id"""
        )
        return [_letter(r) for r in rows]

    def subject_of(self, message_id: str) -> str:
        row = self.db.execute("SELECT subject FROM messages WHERE message_id = ?", (message_id,)).fetchone()
        return str(row["subject"]) if row else ""

    def seen_uids(self, mailbox: str, uidvalidity: int) -> set[int]:
        rows = self.db.execute(
            "SELECT uid FROM mailbox_seen WHERE mailbox = ? AND uidvalidity = ?", (mailbox, uidvalidity)
        )
        return {row["uid"] for row in rows}

    def see(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO mailbox_seen (mailbox, uidvalidity, uid) VALUES (?, ?, ?)",
            (mailbox, uidvalidity, uid),
        )

    # -- last year's figures -----------------------------------------------------------------------------

    def previous(self) -> dict[str, dict[str, float | None]]:
        rows = self.db.execute("SELECT unit_id, figures FROM previous").fetchall()
        return {row["unit_id"]: json.loads(row["figures"]) for row in rows}

    def set_previous(self, figures: Mapping[str, Mapping[str, float | None]], source: str) -> None:
        """Replace last year's figures (inside the caller's transaction)."""
        self.db.execute("DELETE FROM previous")
        self.db.executemany(
            "INSERT INTO previous (unit_id, figures, source) VALUES (?, ?, ?)",
            [(unit_id, json.dumps(dict(values), ensure_ascii=False), source) for unit_id, values in figures.items()],
        )

    # -- replies -----------------------------------------------------------------------------------------

    def reply(self, key: str) -> ReplyRow | None:
        row = self.db.execute(f"{_REPLIES} WHERE r.key = ?", (key,)).fetchone()
        return _reply(row) if row else None

    def replies_of(self, unit_id: str) -> list[ReplyRow]:
        return [_reply(row) for row in self.db.execute(f"{_REPLIES} WHERE r.unit_id = ? ORDER BY r.id", (unit_id,))]

    def last_letters(self, kinds: Sequence[str], unfinished: str) -> dict[str, ReplyRow]:
        """The last reply of these kinds sent to each unit (not one whose sending is ``unfinished``)."""
        marks = ", ".join("?" for _ in kinds)
        rows = self.db.execute(
            f"{_REPLIES} WHERE r.kind IN ({marks}) AND r.sent_at NOT IN ('', ?) ORDER BY r.sent_at",
            (*kinds, unfinished),
        )
        return {row["unit_id"]: _reply(row) for row in rows}

    def every_reply(self) -> list[ReplyRow]:
        """Every reply drafted, in the order they were drafted (a draft written again comes last)."""
        return [_reply(row) for row in self.db.execute(f"{_REPLIES} ORDER BY r.id")]

    def unsent(self) -> list[ReplyRow]:
        return [_reply(row) for row in self.db.execute(f"{_REPLIES} WHERE r.sent_at = ''")]

    def drafts_but(self, key: str) -> set[str]:
        """The draft files of every other reply."""
        return {row["draft"] for row in self.db.execute("SELECT draft FROM replies WHERE key != ?", (key,))}

    def keep_draft(
        self,
        key: str,
        unit_id: str,
        kind: str,
        file_id: int | None,
        message_id: str,
        recipients: str,
        draft: str,
        user: str,
    ) -> None:
        self.db.execute(
            """INSERT OR REPLACE INTO replies (key, unit_id, kind, file_id, message_id, recipients, draft,
               sent_at, user) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?)""",
            (key, unit_id, kind, file_id, message_id, recipients, draft, user),
        )

    def move_draft(self, key: str, draft: str) -> None:
        self.db.execute("UPDATE replies SET draft = ? WHERE key = ?", (draft, key))

    def claim(self, key: str, mark: str, was: str = "") -> bool:
        """Mark a reply that is unsent (or ``was`` as given) with ``mark`` (being sent, or sent at a time); whether
        it was so."""
        query = "UPDATE replies SET sent_at = ? WHERE key = ? AND sent_at = ?"
        return bool(self.db.execute(query, (mark, key, was)).rowcount)

    def unclaim(self, key: str) -> None:
        self.db.execute("UPDATE replies SET sent_at = '' WHERE key = ?", (key,))

    def sent(self, key: str, at: str, user: str, recipients: Sequence[str] | None = None) -> None:
        if recipients is None:
            self.db.execute("UPDATE replies SET sent_at = ?, user = ? WHERE key = ?", (at, user, key))
        else:
            self.db.execute(
                "UPDATE replies SET sent_at = ?, user = ?, recipients = ? WHERE key = ?",
                (at, user, ",".join(recipients), key),
            )


def now() -> str:
    """This moment as the record writes it: ISO 8601 with the UTC offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _letter(r: sqlite3.Row) -> Letter:
    return Letter(
        r["message_id"],
        r["source"],
        r["sender"],
        r["sent_at"] or r["received_at"],
        r["subject"],
        r["workbooks"],
        json.loads(r["notes"]),
        json.loads(r["others"]),
        r["id"],
    )


def _acceptance(row: sqlite3.Row) -> Acceptance:
    return Acceptance(
        row["unit_id"], row["file_id"], row["code"], row["cell"], row["basis"], row["note"], row["user"], row["at"]
    )


def _rejection(row: sqlite3.Row) -> Rejection:
    return Rejection(row["id"], row["file_id"], row["note"], row["user"], row["at"])


def _reply(row: sqlite3.Row) -> ReplyRow:
    return ReplyRow(
        row["key"],
        row["unit_id"],
        row["unit_name"],
        row["kind"],
        row["version"],
        tuple(a for a in row["recipients"].split(",") if a),
        row["draft"],
        row["message_id"],
        row["sent_at"],
    )


def _fits(number: int) -> bool:
    """Whether a number typed by the clerk (or in an address) can be a record's number at all: SQLite's integers
    stop at 2**63 - 1, and a bigger one would be an internal error rather than "no such version"."""
    return -(2**63) <= number < 2**63
