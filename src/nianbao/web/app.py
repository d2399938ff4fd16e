"""The workspace as web pages (issue #13): 总览, 单位, 上传, 汇总, 记录. A thin shell over `Workspace`, like the CLI:
each request opens the workspace on its own connection (the record is WAL, so the CLI can work at the same
time), every change goes through a Workspace method, which logs it with the user it is given.

Safe by default: every POST carries the session's CSRF token; with colleagues in the record or a shared password,
every page but the login needs a session, kept on the server (web/sessions.py, the logins in the record); failed
logins are counted and an address or name that fails too often waits, without a request thread waiting
(web/throttle.py); bound to this computer, requests naming another host are refused (DNS rebinding); every
answer says it may not be framed nor sniffed, pages and downloads are not stored by the browser; uploads are
limited in size and count and their names never become paths; downloads are only of files the workspace
holds, found by number (ASCII digits only, as every number read from a form or an address) or in the listing of
汇总结果/; Jinja escapes every text.

Who logs in (decided at each request, so that colleagues added while the server runs count at once):
- the record has colleagues (`nianbao user add`): each logs in with their name and password; the shared
  password is not accepted;
- else, with a shared password: anyone who has it, with the name they give;
- else, bound to this computer: nobody logs in, the page acts as the computer's user;
- else (bound to the network, colleagues all removed meanwhile): nobody gets in."""

from __future__ import annotations

import getpass
import hmac
import math
import secrets
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue as View
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from nianbao.collection import accounts
from nianbao.collection.record.schema import explained
from nianbao.collection.workspace import LATE, OVERDUE, PASSED, Workspace
from nianbao.phrases import shown_value, timeliness, when
from nianbao.problems import MESSAGES, NianbaoError
from nianbao.web import views_board, views_mail, views_round, views_unit
from nianbao.web.common import HINTS, NUMBER, WEB_MARK, Settings, now_words, said, settings, workspace
from nianbao.web.overview import STATES
from nianbao.web.sessions import PageSession, ServerSessions
from nianbao.web.throttle import Throttle
from nianbao.web.uploads import MAX_FILES

__all__ = ["HEADERS", "HINTS", "LOCAL_NAMES", "Settings", "create_app"]

LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
NOBODY = f"未登录的访问{WEB_MARK}"  # who the log names for a failed login (the name tried is in its detail)
OPEN, SHARED, NAMED, CLOSED = "open", "shared", "named", "closed"  # who logs in: see the module's docstring
NO_LOGIN = (
    "这个网页开放在局域网上，但工作区里已没有可以登录的同事：请在运行 nianbao serve 的电脑上用"
    " nianbao user add 姓名 添加同事（或重新开启网页时设置共用密码）"
)
WRONG = {NAMED: "姓名或密码不对", SHARED: "密码不对"}
HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_said = said  # the page's words for a library error (tests/test_architecture.py)


class NumberConverter(BaseConverter):
    """A number in an address (a file's): ASCII digits only, at most 18 of them (else the page is not found)."""

    regex = NUMBER.pattern

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: object) -> str:
        return str(value)


def create_app(config: Settings) -> Flask:
    Workspace.open(config.root).close()  # a clear error now rather than on the first page
    app = Flask(__name__)
    app.config.update(
        SESSION_COOKIE_NAME="nianbao_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        MAX_FORM_PARTS=MAX_FILES + 50,
    )
    app.session_interface = ServerSessions()
    app.url_map.converters["number"] = NumberConverter
    app.extensions["nianbao"] = config
    app.extensions["nianbao_throttle"] = Throttle()
    app.jinja_env.globals.update(
        when=when,
        shown_value=shown_value,
        timeliness=timeliness,
        STATES=STATES,
        LATE=LATE,
        OVERDUE=OVERDUE,
        PASSED=PASSED,
    )
    app.before_request(_guard)
    app.after_request(_headers)
    app.context_processor(_who)
    app.teardown_request(_close)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    for rule, view, methods in ROUTES:
        app.add_url_rule(rule, view.__name__, view, methods=methods)
    return app


def _page_session() -> PageSession:
    assert isinstance(session, PageSession)
    return session


# -- every request ---------------------------------------------------------------------------------------


def _guard() -> View | None:
    config = settings()
    if config.local and request.host.rsplit(":", 1)[0] not in LOCAL_NAMES:
        abort(400, "这个网页只接受本机的访问（地址应是 127.0.0.1 或 localhost）")
    if request.endpoint == "static":
        return None
    session.setdefault("csrf", secrets.token_urlsafe(32))
    opened = workspace()
    g.access = _access(opened, config)
    if g.access == CLOSED:
        abort(403, NO_LOGIN)
    g.user = _logged_in(opened, g.access)
    opened.user = g.user or NOBODY
    if g.user is None and request.endpoint != "login":
        return redirect(url_for("login"))
    if request.method == "POST":
        sent = request.form.get("csrf", "")  # reading the form refuses an upload over the size limit first
        if not hmac.compare_digest(sent.encode(), session["csrf"].encode()):
            abort(403, "页面已过期或不是从本工具的网页提交的，操作未执行；请刷新页面后重试")
    return None


def _access(opened: Workspace, config: Settings) -> str:
    """Who logs in now (see the module's docstring)."""
    if accounts.has_users(opened):
        return NAMED
    if config.password is not None:
        return SHARED
    return OPEN if config.local else CLOSED


def _logged_in(opened: Workspace, access: str) -> str | None:
    """Who the request is of, as the log names them; None when nobody is logged in (or no longer: logged out, a
    new password, removed, the session over, or opened with the shared password while colleagues log in now)."""
    if access == OPEN:
        return f"{_os_user()}{WEB_MARK}"
    found = accounts.session_of(opened, _page_session().token)
    if found is None or found.named != (access == NAMED):
        return None
    return f"{found.user}{WEB_MARK}"


def _who() -> dict[str, object]:
    """What every page knows of who is there: the user, whether they logged in, and how."""
    access = g.get("access")
    return {
        "user": g.get("user"),
        "login": access in (SHARED, NAMED),
        "named": access == NAMED,
        "printed_at": now_words(),
    }


def _headers(response: Response) -> Response:
    """Every answer: not to be shown in another site's frame, its type as said, no address of a page sent
    elsewhere; a page or a download (not the style sheet and the script) is not kept by the browser."""
    response.headers.update(HEADERS)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _close(_: BaseException | None) -> None:
    workspace = g.pop("workspace", None)
    if workspace is not None:
        workspace.close()


def _http_error(error: HTTPException) -> tuple[str, int]:
    messages = {
        404: "找不到这个页面或文件",
        405: "不能这样打开这个网址",
        413: f"上传的内容太大（一次最多 {settings().max_upload_bytes >> 20} MB），未收下任何文件；请分批上传",
    }
    description = error.description if error.description and not error.description.startswith(("The ", "A ")) else ""
    message = description or messages.get(error.code or 0, "请求无法处理")
    return render_template("error.html", message=message), error.code or 500


def _internal_error(error: Exception) -> tuple[str, int]:
    if isinstance(error, sqlite3.Error):  # the record: a full disk, a read-only file … in words
        error = explained(error)
    if isinstance(error, NianbaoError):
        return render_template("error.html", message=said(error)), 400
    traceback.print_exc(file=sys.stderr)  # for the technician, in the window the server runs in
    detail = MESSAGES["INTERNAL_ERROR"].format(detail=f"{type(error).__name__}: {error}")
    return render_template("error.html", message=detail + "；详细信息显示在运行 nianbao serve 的窗口中"), 500


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a service, a container)
        return "本机用户"


# -- logging in and out ----------------------------------------------------------------------------


def login() -> View:
    """The login: a colleague's name and password, or a name and the shared password. Each attempt is counted
    (web/throttle.py) before its password is checked; one refused for too many failures is answered at once."""
    access = g.access
    if access == OPEN or g.user:
        return redirect(url_for("board"))
    if request.method == "GET":
        return render_template("login.html")
    name = request.form.get("name", "").strip()[: accounts.MOST_NAME]
    address = request.remote_addr or "未知地址"
    keys = [f"地址 {address}", *([f"姓名 {name.casefold()}"] if name else [])]
    throttle: Throttle = current_app.extensions["nianbao_throttle"]
    wait = throttle.begin(keys)
    if wait:
        return _locked_out(wait)
    if not throttle.checking.acquire(blocking=False):  # guesses from many addresses: no thread waits for a turn
        throttle.end(keys, None)
        busy = "正在核对其他登录，请过几秒再点“登录”"
        return render_template("login.html", refused=busy), 503, {"Retry-After": "2"}
    user, succeeded = None, None
    try:
        user = _checked(access, name, request.form.get("password", ""))
        succeeded = user is not None
    except NianbaoError as exc:  # the right shared password, but no name to log in with
        flash(said(exc), "error")
        return render_template("login.html")
    finally:
        throttle.checking.release()
        locked = throttle.end(keys, succeeded)
    opened = workspace()
    if user is None:
        accounts.login_failed(opened, address, name, locked)
        if locked:
            return _locked_out(locked)
        flash(WRONG[access], "error")
        return render_template("login.html")
    opened.user = f"{user}{WEB_MARK}"
    token = accounts.start_session(opened, user, access == NAMED, address)
    _page_session().renew(token)  # a new token at each login: nobody can hand the browser one before
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(url_for("board"))


def _checked(access: str, name: str, password: str) -> str | None:
    """Who logs in, if the password is right (None if not); a name that can be nobody's is refused."""
    if access == NAMED:
        return accounts.verify(workspace(), name, password)
    shared = settings().password or ""
    if not hmac.compare_digest(password.encode(), shared.encode()):
        return None
    return accounts.check_name(name)


def _locked_out(seconds: float) -> View:
    """Too many failed logins: said at once, with when to try again (429, and Retry-After for programs)."""
    wait = math.ceil(seconds)
    until = time.strftime("%H:%M", time.localtime(time.time() + wait + 59))  # the next whole minute after
    refused = f"登录失败的次数太多，已暂停登录：请约 {math.ceil(wait / 60)} 分钟后（{until} 以后）再试"
    return render_template("login.html", refused=refused), 429, {"Retry-After": str(wait)}


def logout() -> View:
    if g.user and g.access in (SHARED, NAMED):
        accounts.end_session(workspace(), _page_session().token, request.remote_addr or "未知地址")
    _page_session().renew()  # the old cookie opens nothing any more, here or in the record
    return redirect(url_for("login"))


ROUTES: list[tuple[str, Callable[..., View], list[str]]] = [
    *views_board.ROUTES,
    *views_unit.ROUTES,
    *views_mail.ROUTES,
    *views_round.ROUTES,
    ("/login", login, ["GET", "POST"]),
    ("/logout", logout, ["POST"]),
]
