"""The workspace's record: one SQLite database (standard library), versioned and migrated in place.

WAL mode, so that a reader (the status page) never waits for a writer; writers take the lock up front
(BEGIN IMMEDIATE) and wait for each other instead of failing. Received files live beside the database as
files: the database indexes them and records decisions, it never holds the only copy of anything.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from nianbao.io.files import shown
from nianbao.problems import MESSAGES, NianbaoError

DATABASE = "nianbao.sqlite"
APPLICATION_ID = 0x4E42_4E4A  # "NBNJ": marks the file as a nianbao workspace, not any SQLite database
BUSY_TIMEOUT_MS = 60_000
STALE_SECONDS = 5  # a -wal older than the record by this much, with no program holding it, is another copy's

# Each migration takes the database from version i to i + 1 (PRAGMA user_version). Never edit a released
# one: add the next.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE units (
        unit_id TEXT PRIMARY KEY,
        unit_name TEXT NOT NULL,
        position INTEGER NOT NULL
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        stored TEXT NOT NULL,           -- path inside the workspace, with / separators
        name TEXT NOT NULL,             -- the file's name as received
        source TEXT NOT NULL,           -- where it came from: a path, later a mail
        sender TEXT NOT NULL DEFAULT '',
        received_at TEXT NOT NULL,      -- ISO 8601 with the UTC offset
        size INTEGER NOT NULL,
        unit_id TEXT,                   -- by the workbook's identity; NULL when it has none
        unit_name TEXT NOT NULL DEFAULT '',
        version INTEGER,                -- 1, 2, … per roster unit; NULL when not a roster unit's return
        errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        explanation TEXT NOT NULL DEFAULT '',
        problems TEXT NOT NULL,         -- JSON: the problems check found
        figures TEXT NOT NULL,          -- JSON: every figure, by cell code
        texts TEXT NOT NULL             -- JSON: narrative sections and cover fields
    );
    CREATE UNIQUE INDEX files_version ON files (unit_id, version) WHERE version IS NOT NULL;
    CREATE TABLE pins (
        unit_id TEXT PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files (id),
        note TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE acceptances (
        id INTEGER PRIMARY KEY,
        unit_id TEXT NOT NULL,
        file_id INTEGER NOT NULL REFERENCES files (id),
        code TEXT NOT NULL,             -- the warning's rule or message code
        cell TEXT NOT NULL,             -- sheet!cell, '' for a warning about the whole file
        basis TEXT NOT NULL,            -- what the warning said and the figures it read, when accepted
        note TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX acceptances_unit ON acceptances (unit_id);
    CREATE TABLE log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    """,
    # 2: mail (issue #12): the messages read, the mailbox messages seen, the replies sent.
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE, -- the Message-ID header (a digest of the bytes when there is none)
        source TEXT NOT NULL,           -- the mail file, or the mailbox and UID
        sender TEXT NOT NULL,           -- the From address, lower-case
        sender_name TEXT NOT NULL,
        sent_at TEXT NOT NULL,          -- the Date header, ISO 8601; '' when missing
        subject TEXT NOT NULL,
        workbooks INTEGER NOT NULL,     -- workbook attachments taken from it (0: 来信无统计表)
        notes TEXT NOT NULL,            -- JSON: what was left aside and why
        others TEXT NOT NULL,           -- JSON: names of the attachments that are not workbooks
        received_at TEXT NOT NULL
    );
    ALTER TABLE files ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE files ADD COLUMN subject TEXT NOT NULL DEFAULT '';
    CREATE TABLE mailbox_seen (
        mailbox TEXT NOT NULL,          -- user@host/folder
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        PRIMARY KEY (mailbox, uidvalidity, uid)
    );
    CREATE TABLE replies (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,       -- the same reply: unit, kind and version (a reminder: unit and day)
        unit_id TEXT NOT NULL,
        kind TEXT NOT NULL,             -- 'problems' or 'reminder'
        file_id INTEGER REFERENCES files (id),
        message_id TEXT NOT NULL,
        recipients TEXT NOT NULL,
        draft TEXT NOT NULL,            -- the .eml in the workspace
        sent_at TEXT NOT NULL,
        user TEXT NOT NULL
    );
    """,
    # 3: last year's figures (issue #14), for the cross-year rules and the year-over-year review.
    """
    CREATE TABLE previous (
        unit_id TEXT PRIMARY KEY,       -- a roster unit's code, or 名称:<name> (a report read by its title)
        figures TEXT NOT NULL,          -- JSON: last year's figures by cell code
        source TEXT NOT NULL            -- the files they came from
    );
    """,
    # 4: the figures the across-units review reads, apart, so that a status of thousands stays quick.
    """
    ALTER TABLE files ADD COLUMN headline TEXT NOT NULL DEFAULT ''; -- JSON by cell code; '' before version 4
    """,
    # 5: results worked out from the record, kept until what they came from changes (see `cached`).
    """
    CREATE TABLE cache (
        name TEXT PRIMARY KEY,          -- what was worked out, e.g. 'units_review'
        key TEXT NOT NULL,              -- a digest of everything it came from
        value TEXT NOT NULL             -- the result, JSON
    );
    """,
    # 6: versions the clerk sent back to their unit, with the reason (a problem no rule finds).
    """
    CREATE TABLE rejections (
        id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a reply names the rejections it carries
        unit_id TEXT NOT NULL,
        file_id INTEGER NOT NULL REFERENCES files (id),
        note TEXT NOT NULL,             -- what is wrong, for the unit
        user TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # 7: a later deadline the clerk granted a unit.
    """
    CREATE TABLE extensions (
        unit_id TEXT PRIMARY KEY,
        until TEXT NOT NULL,            -- ISO date: the unit's own deadline
        note TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # 8: what the clerk set aside: a file that is no unit's return, a notice of a letter without a workbook.
    """
    CREATE TABLE dismissals (
        kind TEXT NOT NULL,             -- 'file' (files.id) or 'letter' (messages.id)
        ref INTEGER NOT NULL,
        note TEXT NOT NULL,
        user TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (kind, ref)
    );
    """,
    # 9: the colleagues who may log in to the page (issue #21), and their sessions, kept on the server.
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,          -- as typed at the login, and as the log names the person
        hash TEXT NOT NULL,             -- scrypt of the password, hex; the password itself is never kept
        salt TEXT NOT NULL,             -- random, per user, hex
        params TEXT NOT NULL,           -- JSON: scrypt's n, r, p and the length of the hash
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL        -- when the password was last set
    );
    CREATE TABLE sessions (
        token TEXT PRIMARY KEY,         -- SHA-256 of the cookie's random token (the token itself is not kept)
        user TEXT NOT NULL,             -- who logged in: a users.name, or the name typed with the shared password
        named INTEGER NOT NULL,         -- 1: a user of the table users; 0: the shared password
        created_at INTEGER NOT NULL,    -- Unix time, seconds
        seen_at INTEGER NOT NULL        -- the last request, to the minute (Unix time)
    );
    CREATE INDEX sessions_user ON sessions (user);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def create(path: Path) -> sqlite3.Connection:
    """A new, empty record at ``path`` (which must not exist)."""
    if path.exists():
        raise NianbaoError(f"{path} 已存在")
    connection = _connect(path)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrate(connection)
    return connection


def open_existing(path: Path, notes: list[str] | None = None) -> sqlite3.Connection:
    """The record at ``path``, migrated to this version of nianbao; a clear error for anything else. What was
    done on the way (a stale ``-wal`` set aside) is said in ``notes``."""
    if not path.is_file():
        raise NianbaoError(f"找不到工作区记录 {path}")
    aside = set_aside_stale_wal(path)
    if aside is not None and notes is not None:
        notes.append(MESSAGES["STALE_WAL"].format(wal=shown(aside)))
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    try:
        _set_up(connection)
        (application_id,) = connection.execute("PRAGMA application_id").fetchone()
        (version,) = connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as exc:
        connection.close()
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):  # a CD, a read-only share or copy
            raise NianbaoError(MESSAGES["WORKSPACE_READ_ONLY"].format(folder=shown(path.parent))) from None
        if any(word in str(exc).lower() for word in ("full", "locked", "busy")):
            raise explained(exc, path) from None
        raise NianbaoError(f"{path} 已损坏或不是 SQLite 数据库，无法作为工作区记录打开") from None
    if application_id != APPLICATION_ID:
        connection.close()
        raise NianbaoError(f"{path} 不是 nianbao 工作区的记录（是其他程序的 SQLite 数据库）")
    if version > SCHEMA_VERSION:
        connection.close()
        raise NianbaoError(f"工作区记录 {path} 由更新版本的 nianbao 创建（格式 {version}），请升级 nianbao 后再打开")
    migrate(connection)
    return connection


def set_aside_stale_wal(path: Path) -> Path | None:
    """A ``-wal`` file beside the record that no program has open (no ``-shm``: SQLite makes one for every open
    connection) and older than the record itself: left from another copy of the folder (copied while the page
    was running, then a newer record copied over it). SQLite would replay it into the newer record and damage it
    for good; it is moved aside instead (kept, never deleted). Returns where it went."""
    wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    try:
        if shm.exists() or wal.stat().st_mtime >= path.stat().st_mtime - STALE_SECONDS:
            return None
        aside = wal.with_name(f"{wal.name}.搁置-{datetime.now():%Y%m%d-%H%M%S}")
        wal.replace(aside)
    except OSError:
        return None
    return aside


def checkpoint(connection: sqlite3.Connection) -> None:
    """Fold the ``-wal`` into the record and empty it (when nobody else is reading or writing), so that a
    folder copied afterwards is the whole record."""
    with suppress(sqlite3.Error):
        if not connection.in_transaction:
            connection.execute("PRAGMA busy_timeout = 0")  # never waits for another program: next time, then
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def explained(exc: sqlite3.Error, path: Path | None = None) -> NianbaoError:
    """An error of SQLite's as a clerk can act on it: a full disk, a read-only file, another program writing,
    or (only when SQLite says so) a damaged record."""
    text = str(exc).lower()
    where = shown(path) if path is not None else DATABASE
    if "full" in text:
        return NianbaoError.of("RECORD_DISK_FULL", path=where)
    if "readonly" in text or "read-only" in text:
        return NianbaoError.of("RECORD_READ_ONLY", path=where)
    if "locked" in text or "busy" in text:
        return NianbaoError.of("RECORD_BUSY", path=where)
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return NianbaoError.of("RECORD_DAMAGED", path=where)
    return NianbaoError.of("RECORD_FAILED", path=where, detail=str(exc))


def migrate(connection: sqlite3.Connection, migrations: list[str] | None = None) -> None:
    """Apply the migrations the database has not had, each in its own transaction with its version."""
    steps = MIGRATIONS if migrations is None else migrations
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    for number in range(version, len(steps)):
        with transaction(connection):
            (current,) = connection.execute("PRAGMA user_version").fetchone()
            if current != number:  # another process migrated meanwhile
                continue
            for statement in _statements(steps[number]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number + 1}")


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: the lock is taken at once (waiting for another writer), all or nothing. A record
    marked read-only (copied from a CD, its folder writable) is said to be, and nothing is changed."""
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        (_, _, path) = connection.execute("PRAGMA database_list").fetchone()
        if "readonly" not in str(exc):
            raise explained(exc, Path(path)) from None
        raise RecordReadOnly(MESSAGES["RECORD_READ_ONLY"].format(path=shown(Path(path)))) from None


class RecordReadOnly(NianbaoError):
    """The record cannot be written: its file is marked read-only."""


def cached(connection: sqlite3.Connection, name: str, key: str) -> str | None:
    """The result kept under ``name`` if it was worked out from the same inputs (``key``), else None."""
    row = connection.execute("SELECT key, value FROM cache WHERE name = ?", (name,)).fetchone()
    return row["value"] if row is not None and row["key"] == key else None


def keep(connection: sqlite3.Connection, name: str, key: str, value: str) -> None:
    """Keep a result for the next reader, if the record can be written at once. A cache is no decision: it is
    not logged, never waits for a writer (a busy or read-only record just means working it out again) and is
    never written inside the caller's transaction."""
    if connection.in_transaction:
        return
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        with transaction(connection):
            connection.execute("INSERT OR REPLACE INTO cache (name, key, value) VALUES (?, ?, ?)", (name, key, value))
    except (sqlite3.OperationalError, NianbaoError):  # busy, read-only, full: worked out again next time
        pass
    finally:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    _set_up(connection)
    return connection


def _set_up(connection: sqlite3.Connection) -> None:
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")


def _statements(script: str) -> list[str]:
    """A migration's statements, one by one (executescript would commit the open transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line.split("--", 1)[0] + ("\n" if "--" in line else "")
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s.strip(" ;\n")]
