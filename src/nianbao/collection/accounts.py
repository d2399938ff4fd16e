"""The colleagues who may log in to the workspace's page, and their sessions (issue #21).

- A colleague is a name and a password. The record keeps the password's scrypt hash (a random salt per colleague,
  scrypt's n, r and p beside it), never the password; nothing here logs or returns a password.
- A login opens a session: a random token the browser keeps in its cookie, the record only the token's SHA-256.
  Logging out ends it; a new password or the colleague's removal ends all of theirs, whichever process (the page,
  the command line) makes the change; a session unused for 12 hours, or a week old, is over.
- Every change of a colleague, every login, failed login and logout is logged, as the workspace's ``user``: who
  acts (the page opens the workspace as the person logging in, or as nobody known for a failed login).

The page decides who may log in (web/app.py): colleagues when the record has any, else the shared password."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import unicodedata
from typing import TYPE_CHECKING

from nianbao.collection.record import Account, LoginSession, StoredPassword, now
from nianbao.problems import NianbaoError

if TYPE_CHECKING:
    from nianbao.collection.workspace import Workspace

# scrypt at 2**14 × 8: 16 MB and some 50 ms a password on an office PC (the parameters are kept with each hash,
# so that later versions may raise them for new passwords without breaking the old ones).
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
MAX_MEMORY = 64 * 1024 * 1024
LEAST_PASSWORD = 8
MOST_NAME = 40
IDLE_SECONDS = 12 * 3600  # a session unused for a working day is over
LONGEST_SECONDS = 7 * 24 * 3600  # and any session after a week
SEEN_EVERY = 60  # how often a session's last use is written down
_ANYONE = StoredPassword("00" * 32, "00" * 16, json.dumps(SCRYPT))  # checked against for a name nobody has


def check_name(name: str) -> str:
    """A colleague's name as kept: trimmed, in Unicode's composed form; refused when empty, too long or with
    control characters (the log and the page show it on one line)."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise NianbaoError.of("USER_NAME_EMPTY")
    if len(name) > MOST_NAME:
        raise NianbaoError.of("USER_NAME_LONG", name=name[:MOST_NAME], most=MOST_NAME)
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise NianbaoError.of("USER_NAME_CHARS")
    return name


def check_password(password: str) -> None:
    if len(password) < LEAST_PASSWORD:
        raise NianbaoError.of("PASSWORD_SHORT", least=LEAST_PASSWORD)


def hashed(password: str) -> StoredPassword:
    """A password as the record keeps it: scrypt with a new random salt."""
    salt = secrets.token_bytes(16)
    return StoredPassword(_derive(password, salt, SCRYPT).hex(), salt.hex(), json.dumps(SCRYPT))


def matches(password: str, stored: StoredPassword) -> bool:
    params = json.loads(stored.params)
    derived = _derive(password, bytes.fromhex(stored.salt), params)
    return hmac.compare_digest(derived, bytes.fromhex(stored.hash))


def _derive(password: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params["n"],
        r=params["r"],
        p=params["p"],
        dklen=params["dklen"],
        maxmem=MAX_MEMORY,
    )


# -- colleagues ------------------------------------------------------------------------------------------


def add_user(ws: Workspace, name: str, password: str) -> str:
    """A new colleague who may log in; returns the name as kept. Sessions opened with the shared password end:
    once the record has colleagues, only they log in."""
    name = check_name(name)
    check_password(password)
    stored = hashed(password)
    with ws.record.transaction() as record:
        if not record.add_user(name, stored, now()):
            raise NianbaoError.of("USER_EXISTS", name=name)
        ended = record.end_shared_sessions()
        record.log("user_add", {"name": name, "ended": ended}, ws.user)
    return name


def set_password(ws: Workspace, name: str, password: str) -> int:
    """A colleague's new password; their sessions end (the browsers logged in must log in again). Returns how
    many sessions ended."""
    name = check_name(name)
    check_password(password)
    stored = hashed(password)
    with ws.record.transaction() as record:
        if not record.set_user_password(name, stored, now()):
            raise _no_such_user(ws, name)
        ended = record.end_sessions_of(name)
        record.log("user_password", {"name": name, "ended": ended}, ws.user)
    return ended


def remove_user(ws: Workspace, name: str) -> int:
    """A colleague who may no longer log in; their sessions end. Returns how many sessions ended."""
    name = unicodedata.normalize("NFC", name.strip())
    with ws.record.transaction() as record:
        if not record.remove_user(name):
            raise _no_such_user(ws, name)
        ended = record.end_sessions_of(name)
        record.log("user_remove", {"name": name, "ended": ended}, ws.user)
    return ended


def users(ws: Workspace) -> list[Account]:
    """The colleagues, the first added first, each with the number of their sessions open now."""
    moment = int(time.time())
    return ws.record.accounts(moment - IDLE_SECONDS, moment - LONGEST_SECONDS)


def has_users(ws: Workspace) -> bool:
    return ws.record.has_users()


def _no_such_user(ws: Workspace, name: str) -> NianbaoError:
    known = "、".join(a.name for a in ws.record.accounts()) or "无"
    return NianbaoError.of("NO_SUCH_USER", name=name, known=known)


def verify(ws: Workspace, name: str, password: str) -> str | None:
    """The colleague's name as kept, if ``password`` is theirs; else None. A name nobody has takes as long to
    refuse as a wrong password (the time says nothing of which names exist)."""
    try:
        name = check_name(name)
    except NianbaoError:
        name = ""
    stored = ws.record.password_of(name) if name else None
    right = matches(password, stored or _ANYONE)
    return name if right and stored is not None else None


# -- sessions --------------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(ws: Workspace, user: str, named: bool, address: str) -> str:
    """Log ``user`` in (``named``: a colleague of the record; else a name given with the shared password);
    returns the new session's token, for the browser's cookie. Sessions over by now are cleared on the way."""
    token = secrets.token_urlsafe(32)
    moment = int(time.time())
    with ws.record.transaction() as record:
        record.end_stale_sessions(moment - IDLE_SECONDS, moment - LONGEST_SECONDS)
        record.add_session(_digest(token), user, named, moment)
        record.log("login", {"address": address, "shared": not named}, ws.user)
    return token


def session_of(ws: Workspace, token: str) -> LoginSession | None:
    """Who the session ``token`` is of, if it is still open (its last use noted, once a minute)."""
    if not token:
        return None
    digest = _digest(token)
    found = ws.record.session(digest)
    moment = int(time.time())
    if found is None or found.seen_at < moment - IDLE_SECONDS or found.created_at < moment - LONGEST_SECONDS:
        return None
    if moment - found.seen_at >= SEEN_EVERY:
        ws.record.touch_session(digest, moment)
    return found


def end_session(ws: Workspace, token: str, address: str) -> bool:
    """Log out: the session ends, its cookie opens nothing any more. Whether it was open."""
    with ws.record.transaction() as record:
        found = record.session(_digest(token))
        if found is None:
            return False
        record.end_session(_digest(token))
        record.log("logout", {"address": address}, ws.user)
    return True


def login_failed(ws: Workspace, address: str, name: str, locked_seconds: int) -> None:
    """A failed login, logged with the address and the name tried (never the password); ``locked_seconds``: how
    long the address or name may not try again now (0: not stopped)."""
    detail = {"address": address, "name": name[:MOST_NAME], "locked_seconds": locked_seconds}
    with ws.record.transaction() as record:
        record.log("login_failed", detail, ws.user)
