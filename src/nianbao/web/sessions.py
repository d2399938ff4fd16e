"""The page's sessions kept on the server (issue #21): the browser's cookie holds only a random token.

What a session carries between requests (its CSRF token, the messages shown on the next page) stays in the
server's memory, by token. Who is logged in is not taken from it: the record keeps the logins
(collection/accounts.py), so that logging out, a new password or a colleague's removal ends a session at once,
and a session outlives a restart of the server. A token the browser sends that the server does not know is kept
only until a login, which always gives a new one (nobody can hand a browser a token and wait for its login)."""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SessionInterface

from nianbao.collection.accounts import IDLE_SECONDS

MOST_SESSIONS = 5000  # kept in memory at most: the ones longest unused go first
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class PageSession(SecureCookieSession):
    """A session's data, with its token."""

    def __init__(self, initial: dict[str, Any], token: str, known: bool) -> None:
        super().__init__(initial)
        self.token = token
        self.known = known  # the server had it before this request
        self.dropped: str | None = None  # a token given up in this request (a login, a logout)

    def renew(self, token: str | None = None) -> None:
        """Carry on under a new token (given, or a random one), with nothing of the old session's data."""
        self.dropped = self.token
        self.token = token or new_token()
        self.clear()
        self.modified = True


class ServerSessions(SessionInterface):
    """Sessions in this server's memory; the cookie names them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[dict[str, Any], float]] = {}

    def open_session(self, app: Flask, request: Request) -> PageSession:
        sent = request.cookies.get(self.get_cookie_name(app), "")
        token = sent if TOKEN.fullmatch(sent) else new_token()
        with self._lock:
            kept = self._kept.get(token)
        return PageSession(dict(kept[0]) if kept else {}, token, kept is not None)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        assert isinstance(session, PageSession)
        with self._lock:
            if session.dropped:
                self._kept.pop(session.dropped, None)
            if session.modified or session.known:
                self._kept[session.token] = (dict(session), time.monotonic())
                self._trim()
        if session.modified or session.dropped:
            response.set_cookie(
                self.get_cookie_name(app),
                session.token,
                httponly=True,
                samesite=self.get_cookie_samesite(app),
                secure=self.get_cookie_secure(app),
                path=self.get_cookie_path(app),
            )
            response.vary.add("Cookie")

    def _trim(self) -> None:
        if len(self._kept) <= MOST_SESSIONS:
            return
        now = time.monotonic()
        for token in [t for t, (_, used) in self._kept.items() if used < now - IDLE_SECONDS]:
            del self._kept[token]
        if len(self._kept) > MOST_SESSIONS:
            oldest = sorted(self._kept, key=lambda t: self._kept[t][1])[: len(self._kept) - MOST_SESSIONS // 2]
            for token in oldest:
                del self._kept[token]
