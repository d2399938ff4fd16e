"""The record's part for the page's logins (issue #21): the colleagues who may log in (a name and the scrypt hash
of their password, never the password) and the sessions of those logged in (a digest of the cookie's token, never
the token). `Record` has these methods; collection/accounts.py says what they mean."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from nianbao.collection.record import schema
from nianbao.problems import NianbaoError

# What the log says about logins and colleagues: recorded, but no change of the round (the pages showing the
# record do not reload for them, see Record.revision).
ACCOUNT_ACTIONS = ("login", "login_failed", "logout", "user_add", "user_password", "user_remove")


@dataclass(frozen=True)
class StoredPassword:
    """A password as the record keeps it: its scrypt hash, the salt and scrypt's parameters (JSON)."""

    hash: str  # hex
    salt: str  # hex
    params: str  # JSON: n, r, p, dklen


@dataclass(frozen=True)
class Account:
    """A colleague who may log in, and how many sessions they have open now."""

    name: str
    created_at: str
    changed_at: str
    sessions: int


@dataclass(frozen=True)
class LoginSession:
    """A session of someone logged in: who (``named``: a colleague of the record, else a name typed with the shared
    password), since when and when last seen (Unix time)."""

    user: str
    named: bool
    created_at: int
    seen_at: int


class AccountRecords:
    """The methods of `Record` for colleagues and their sessions (each write inside the caller's transaction,
    but `touch_session`)."""

    db: sqlite3.Connection

    # -- colleagues --------------------------------------------------------------------------------------

    def has_users(self) -> bool:
        return self.db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def accounts(self, seen_after: int = 0, created_after: int = 0) -> list[Account]:
        """The colleagues, the first added first, each with their sessions open (seen and made after the times
        given)."""
        rows = self.db.execute(
            """SELECT u.name, u.created_at, u.changed_at,
               (SELECT COUNT(*) FROM sessions s WHERE s.user = u.name AND s.named = 1
                AND s.seen_at >= ? AND s.created_at >= ?) AS sessions
               FROM users u ORDER BY u.created_at, u.name""",
            (seen_after, created_after),
        )
        return [Account(r["name"], r["created_at"], r["changed_at"], r["sessions"]) for r in rows]

    def password_of(self, name: str) -> StoredPassword | None:
        row = self.db.execute("SELECT hash, salt, params FROM users WHERE name = ?", (name,)).fetchone()
        return StoredPassword(row["hash"], row["salt"], row["params"]) if row else None

    def add_user(self, name: str, password: StoredPassword, at: str) -> bool:
        """A new colleague; whether the name was not taken."""
        return bool(
            self.db.execute(
                """INSERT OR IGNORE INTO users (name, hash, salt, params, created_at, changed_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (name, password.hash, password.salt, password.params, at, at),
            ).rowcount
        )

    def set_user_password(self, name: str, password: StoredPassword, at: str) -> bool:
        """A colleague's new password; whether there is such a colleague."""
        return bool(
            self.db.execute(
                "UPDATE users SET hash = ?, salt = ?, params = ?, changed_at = ? WHERE name = ?",
                (password.hash, password.salt, password.params, at, name),
            ).rowcount
        )

    def remove_user(self, name: str) -> bool:
        return bool(self.db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount)

    # -- sessions ----------------------------------------------------------------------------------------

    def add_session(self, digest: str, user: str, named: bool, at: int) -> None:
        self.db.execute(
            "INSERT INTO sessions (token, user, named, created_at, seen_at) VALUES (?, ?, ?, ?, ?)",
            (digest, user, int(named), at, at),
        )

    def session(self, digest: str) -> LoginSession | None:
        row = self.db.execute(
            "SELECT user, named, created_at, seen_at FROM sessions WHERE token = ?", (digest,)
        ).fetchone()
        return LoginSession(row["user"], bool(row["named"]), row["created_at"], row["seen_at"]) if row else None

    def end_session(self, digest: str) -> bool:
        return bool(self.db.execute("DELETE FROM sessions WHERE token = ?", (digest,)).rowcount)

    def end_sessions_of(self, name: str) -> int:
        """End every session of a colleague (a new password, a removal); how many there were."""
        return int(self.db.execute("DELETE FROM sessions WHERE user = ? AND named = 1", (name,)).rowcount)

    def end_shared_sessions(self) -> int:
        """End every session opened with the shared password (once there are colleagues, only they log in)."""
        return int(self.db.execute("DELETE FROM sessions WHERE named = 0").rowcount)

    def end_stale_sessions(self, seen_before: int, created_before: int) -> int:
        return int(
            self.db.execute(
                "DELETE FROM sessions WHERE seen_at < ? OR created_at < ?", (seen_before, created_before)
            ).rowcount
        )

    def touch_session(self, digest: str, at: int) -> None:
        """Note that a session is in use, if the record can be written at once: a page never waits for another
        writer (the command line receiving a thousand files) to say so; it says so on a later request."""
        if self.db.in_transaction:
            return
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            with schema.transaction(self.db):
                self.db.execute("UPDATE sessions SET seen_at = ? WHERE token = ?", (at, digest))
        except (sqlite3.OperationalError, NianbaoError):  # busy, read-only, full: noted on a later request
            pass
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {schema.BUSY_TIMEOUT_MS}")
