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
import io
import math
import re
import secrets
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
    send_file,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue as View
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from nianbao.collection import accounts
from nianbao.collection.mail import RawMail
from nianbao.collection.record.schema import explained
from nianbao.collection.reply import draft_replies, letter_problems, replies_of
from nianbao.collection.workspace import (
    HAS_ERRORS,
    LATE,
    NOT_RECEIVED,
    OFF_ROSTER,
    OVERDUE,
    PASSED,
    TO_VERIFY,
    UNIDENTIFIED,
    RoundStatus,
    Version,
    Workspace,
)
from nianbao.io.tables import table_bytes
from nianbao.operations.annotate import SUFFIX as ANNOTATED_SUFFIX
from nianbao.operations.report import render_report
from nianbao.phrases import (
    describe,
    message_lines,
    received_line,
    shown_value,
    status_table,
    timeliness,
    when,
    why,
)
from nianbao.problems import MESSAGES, NianbaoError, Problem
from nianbao.web.sessions import PageSession, ServerSessions
from nianbao.web.throttle import Throttle
from nianbao.web.uploads import MAIL_NOTE, MAX_FILES, unpack

STATES = (NOT_RECEIVED, HAS_ERRORS, TO_VERIFY, PASSED)
LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # one upload in all; each workbook is limited by reading.MAX_FILE_BYTES
WEB_MARK = "（网页）"
NOBODY = f"未登录的访问{WEB_MARK}"  # who the log names for a failed login (the name tried is in its detail)
OPEN, SHARED, NAMED, CLOSED = "open", "shared", "named", "closed"  # who logs in: see the module's docstring
NO_LOGIN = (
    "这个网页开放在局域网上，但工作区里已没有可以登录的同事：请在运行 nianbao serve 的电脑上用"
    " nianbao user add 姓名 添加同事（或以 --password 设置共用密码后重新开启网页）"
)
WRONG = {NAMED: "姓名或密码不对", SHARED: "密码不对"}
NUMBER = re.compile(r"[0-9]{1,18}")  # a number from a form or an address: ASCII digits ("²".isdigit() is True)
HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
REPORT_SUFFIXES = (".html", ".docx")


@dataclass(frozen=True)
class Settings:
    root: Path
    password: str | None = None  # None: no login (only for a server bound to this computer)
    local: bool = True  # bound to this computer: refuse requests that name another host
    max_upload_bytes: int = MAX_UPLOAD_BYTES


class NumberConverter(BaseConverter):
    """A number in an address (a file's): ASCII digits only, at most 18 of them (else the page is not found)."""

    regex = NUMBER.pattern

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: object) -> str:
        return str(value)


def create_app(settings: Settings) -> Flask:
    Workspace.open(settings.root).close()  # a clear error now rather than on the first page
    app = Flask(__name__)
    app.config.update(
        SESSION_COOKIE_NAME="nianbao_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        MAX_FORM_PARTS=MAX_FILES + 50,
    )
    app.session_interface = ServerSessions()
    app.url_map.converters["number"] = NumberConverter
    app.extensions["nianbao"] = settings
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


def _settings() -> Settings:
    return current_app.extensions["nianbao"]


def _page_session() -> PageSession:
    assert isinstance(session, PageSession)
    return session


# -- every request ---------------------------------------------------------------------------------------


def _guard() -> View | None:
    settings = _settings()
    if settings.local and request.host.rsplit(":", 1)[0] not in LOCAL_NAMES:
        abort(400, "这个网页只接受本机的访问（地址应是 127.0.0.1 或 localhost）")
    if request.endpoint == "static":
        return None
    session.setdefault("csrf", secrets.token_urlsafe(32))
    workspace = _workspace()
    g.access = _access(workspace, settings)
    if g.access == CLOSED:
        abort(403, NO_LOGIN)
    g.user = _logged_in(workspace, g.access)
    workspace.user = g.user or NOBODY
    if g.user is None and request.endpoint != "login":
        return redirect(url_for("login"))
    if request.method == "POST":
        sent = request.form.get("csrf", "")  # reading the form refuses an upload over the size limit first
        if not hmac.compare_digest(sent.encode(), session["csrf"].encode()):
            abort(403, "页面已过期或不是从本工具的网页提交的，操作未执行；请刷新页面后重试")
    return None


def _access(workspace: Workspace, settings: Settings) -> str:
    """Who logs in now (see the module's docstring)."""
    if accounts.has_users(workspace):
        return NAMED
    if settings.password is not None:
        return SHARED
    return OPEN if settings.local else CLOSED


def _logged_in(workspace: Workspace, access: str) -> str | None:
    """Who the request is of, as the log names them; None when nobody is logged in (or no longer: logged out, a
    new password, removed, the session over, or opened with the shared password while colleagues log in now)."""
    if access == OPEN:
        return f"{_os_user()}{WEB_MARK}"
    found = accounts.session_of(workspace, _page_session().token)
    if found is None or found.named != (access == NAMED):
        return None
    return f"{found.user}{WEB_MARK}"


def _who() -> dict[str, object]:
    """What every page knows of who is there: the user, whether they logged in, and how."""
    access = g.get("access")
    return {"user": g.get("user"), "login": access in (SHARED, NAMED), "named": access == NAMED}


def _headers(response: Response) -> Response:
    """Every answer: not to be shown in another site's frame, its type as said, no address of a page sent
    elsewhere; a page or a download (not the style sheet and the script) is not kept by the browser."""
    response.headers.update(HEADERS)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _workspace() -> Workspace:
    if "workspace" not in g:
        g.workspace = Workspace.open(_settings().root, user=g.get("user"))
        for note in g.workspace.notes:
            flash(note, "error")
    return g.workspace


def _number(text: str | None) -> int | None:
    """A number sent by the page (a version): ASCII digits only; None for anything else."""
    return int(text) if text is not None and NUMBER.fullmatch(text) else None


_STATUS: dict[str, tuple[int, RoundStatus]] = {}  # the last status computed, by workspace, with its revision


def _status() -> RoundStatus:
    """The workspace's status, computed again only when the record has changed since (every change is logged,
    so the revision says it): the board reloads itself often, and a round of thousands takes a while."""
    workspace = _workspace()
    revision, key = workspace.revision(), str(workspace.root)
    known = _STATUS.get(key)
    if known is None or known[0] != revision:
        known = _STATUS[key] = (revision, workspace.status())
    return known[1]


def _close(_: BaseException | None) -> None:
    workspace = g.pop("workspace", None)
    if workspace is not None:
        workspace.close()


def _http_error(error: HTTPException) -> tuple[str, int]:
    messages = {
        404: "找不到这个页面或文件",
        405: "不能这样打开这个网址",
        413: f"上传的内容太大（一次最多 {_settings().max_upload_bytes >> 20} MB），未收下任何文件；请分批上传",
    }
    description = error.description if error.description and not error.description.startswith(("The ", "A ")) else ""
    message = description or messages.get(error.code or 0, "请求无法处理")
    return render_template("error.html", message=message), error.code or 500


def _internal_error(error: Exception) -> tuple[str, int]:
    if isinstance(error, sqlite3.Error):  # the record: a full disk, a read-only file … in words
        error = explained(error)
    if isinstance(error, NianbaoError):
        return render_template("error.html", message=_said(error)), 400
    traceback.print_exc(file=sys.stderr)  # for the technician, in the window the server runs in
    detail = MESSAGES["INTERNAL_ERROR"].format(detail=f"{type(error).__name__}: {error}")
    return render_template("error.html", message=detail + "；详细信息显示在运行 nianbao serve 的窗口中"), 500


# What the page adds to a library error (by its code): where on the page to put it right.
HINTS = {"NOTE_REQUIRED": "（请写在“理由”一栏中）"}


def _said(error: NianbaoError) -> str:
    return f"{error}{HINTS.get(error.code, '')}"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a service, a container)
        return "本机用户"


# -- pages -----------------------------------------------------------------------------------------------


def board() -> View:
    status = _status()
    chosen = request.args.get("state", "")
    units = [
        (i, u)
        for i, u in enumerate(status.units, 1)
        if not chosen or u.state == chosen or (chosen == LATE and u.late) or (chosen == OVERDUE and u.overdue)
    ]
    unidentified = [(v, OFF_ROSTER if v.unit_id else UNIDENTIFIED) for v in status.unidentified]
    return render_template(
        "board.html",
        status=status,
        units=units,
        chosen=chosen,
        late=sum(u.late for u in status.units),
        unidentified=unidentified,
        revision=_workspace().revision(),
    )


def status_sheet() -> View:
    """The board as a workbook to hand on (报送情况表), with the roster's contacts."""
    status = _status()
    header, rows = status_table(status, _workspace().roster_units)
    data = table_bytes(".xlsx", "报送情况", header, rows)
    name = f"报送情况_{status.year}年度_{time.strftime('%Y%m%d-%H%M')}.xlsx"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=XLSX)


def version() -> View:
    return Response(str(_workspace().revision()), mimetype="text/plain", headers={"Cache-Control": "no-store"})


def unit(unit_id: str) -> View:
    workspace = _workspace()
    state, versions = workspace.history(unit_id)
    first, second = _number(request.args.get("a")), _number(request.args.get("b"))
    if (request.args.get("a") and first is None) or (request.args.get("b") and second is None):
        abort(400, "要比较的版本应是数字，如 1、2")
    changes = workspace.diff(unit_id, first, second) if first and second else None
    rules = sorted({w.code for w in state.open_warnings})
    problems = [r.problem for r in state.rejections] + (state.counted.problems if state.counted else []) + state.review
    return render_template(
        "unit.html",
        state=state,
        versions=versions,
        changes=changes,
        first=first,
        second=second,
        rules=rules,
        problems=problems,
        replies=replies_of(workspace, unit_id),
        why=why(state),
        revision=workspace.revision(),
    )


def accept(unit_id: str) -> View:
    rule = request.form.get("rule") or None
    note = request.form.get("note", "").strip()
    try:
        accepted = _workspace().accept(unit_id, note, None if rule == "全部" else rule)
        flash(f"已认可 {len(accepted)} 个警告" if accepted else "这些警告已经认可过了，没有新认可的")
    except NianbaoError as exc:  # shown on the unit's page, where the clerk can correct it
        flash(_said(exc), "error")
    return redirect(url_for("unit", unit_id=unit_id))


def use(unit_id: str) -> View:
    which, note = request.form.get("version", ""), request.form.get("note", "").strip()
    try:
        number = _number(which)
        if number is None and which != "最新":
            raise NianbaoError("请选择要计入的版本")
        chosen = _workspace().use(unit_id, number, note)
        flash(f"已指定计入{f'第 {chosen.version} 版' if chosen else '最新的一版'}")
    except NianbaoError as exc:
        flash(_said(exc), "error")
    return redirect(url_for("unit", unit_id=unit_id))


def reject(unit_id: str) -> View:
    note, undo = request.form.get("note", "").strip(), bool(request.form.get("undo"))
    try:
        if undo:
            count = _workspace().withdraw_rejection(unit_id, note)
            flash(f"已撤销 {count} 次退回")
        else:
            seen = request.form.get("version", "")  # the version on the page the clerk read
            if seen and _number(seen) is None:
                raise NianbaoError("页面上的版本号不对，未退回；请刷新页面后重试")
            version = _workspace().reject(unit_id, note, _number(seen))
            flash(f"已退回第 {version.version} 版；可在本页下载回复草稿")
    except NianbaoError as exc:
        flash(_said(exc), "error")
    return redirect(url_for("unit", unit_id=unit_id))


def extend(unit_id: str) -> View:
    from nianbao.operations.generate import deadline_date

    note, until = request.form.get("note", "").strip(), request.form.get("until", "").strip()
    try:
        found = _workspace().extend(unit_id, deadline_date(until) if until else None, note)
        flash(f"{found.unit_name}：{f'延期至 {until}' if until else '已取消延期'}")
    except NianbaoError as exc:
        flash(_said(exc), "error")
    return redirect(url_for("unit", unit_id=unit_id))


def stored_file(file_id: int) -> View:
    workspace = _workspace()
    found = _file_or_404(workspace, file_id)
    return send_file(workspace.stored_path(found), as_attachment=True, download_name=found.name)


def annotated_file(file_id: int) -> View:
    workspace = _workspace()
    found = _file_or_404(workspace, file_id)
    with tempfile.TemporaryDirectory(prefix="nianbao-web-") as folder:
        target = Path(folder) / "annotated.xlsx"
        if not workspace.annotate(file_id, target, _listed(workspace, found)):
            abort(422, f"{found.name} 无法读取，不能生成标注副本；请下载原文件查看")
        data = target.read_bytes()
    name = Path(found.name).stem + ANNOTATED_SUFFIX
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=XLSX)


def _listed(workspace: Workspace, found: Version) -> list[Problem] | None:
    """What the annotated copy of a version marks: for the version that counts, what the reply lists (the copy
    attached to it is the same); for any other version, or when the reply lists nothing, the file's own
    problems (None)."""
    if found.version is None or found.unit_id not in workspace.roster_ids:
        return None
    state = workspace.state_of(found.unit_id)
    if state.counted is None or state.counted.id != found.id:
        return None
    return letter_problems(state) or None


def reply_draft(unit_id: str) -> View:
    """The draft of the reply the unit needs now (written once, as `nianbao reply` writes it)."""
    drafts = draft_replies(_workspace(), [unit_id])
    if drafts.failed:
        abort(422, drafts.failed[0])
    replies = drafts.replies
    if not replies:
        flash("这个单位已通过，不需要回复")
        return redirect(url_for("unit", unit_id=unit_id))
    draft = replies[0].draft
    return send_file(draft, as_attachment=True, download_name=draft.name, mimetype="message/rfc822")


def upload() -> View:
    if request.method == "GET":
        return render_template("upload.html", mail_note=MAIL_NOTE, max_files=MAX_FILES)
    files = [(f.filename or "", f.stream) for f in request.files.getlist("files")]
    with tempfile.TemporaryDirectory(prefix="nianbao-upload-") as folder:
        unpacked = unpack(files, Path(folder))
        workspace = _workspace()
        received = workspace.receive(unpacked.files, source="网页上传", sender=workspace.user, zipped=unpacked.zipped)
        lines = [received_line(r) for r in received]
        mails = (
            RawMail(f"网页上传：{name}", data, outlook=name.lower().endswith(".msg")) for name, data in unpacked.mails
        )
        for result in workspace.receive_mail(mails):
            lines.extend(message_lines(result))
    if not lines and not unpacked.refused:
        flash("没有选择文件")
    return render_template(
        "upload.html", mail_note=MAIL_NOTE, max_files=MAX_FILES, lines=lines, refused=unpacked.refused
    )


def summary() -> View:
    workspace = _workspace()
    made: list[str] = []
    problems: list[str] = []
    if request.method == "POST":
        result = workspace.merge(workspace.summary_target())
        if result.summary and result.summary.written:
            made.append(result.summary.written.name)
            for suffix in REPORT_SUFFIXES:
                try:
                    made.append(
                        render_report(result.summary.written, result.summary.written.with_suffix(suffix)).path.name
                    )
                except NianbaoError as exc:
                    problems.append(f"未能生成 {suffix} 报告：{exc}")
    blockers = [(u, why(u)) for u in _status().units if u.state != PASSED]
    return render_template(
        "summary.html", blockers=blockers, made=made, problems=problems, outputs=workspace.summaries()
    )


def summary_file(name: str) -> View:
    found = next((p for p in _workspace().summaries() if p.name == name), None)  # never a path from the request
    if found is None:
        abort(404)
    return send_file(found, as_attachment=True, download_name=found.name)


def log() -> View:
    entries = [(e, describe(e)) for e in _workspace().log()]
    return render_template("log.html", entries=entries)


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
        flash(_said(exc), "error")
        return render_template("login.html")
    finally:
        throttle.checking.release()
        locked = throttle.end(keys, succeeded)
    workspace = _workspace()
    if user is None:
        accounts.login_failed(workspace, address, name, locked)
        if locked:
            return _locked_out(locked)
        flash(WRONG[access], "error")
        return render_template("login.html")
    workspace.user = f"{user}{WEB_MARK}"
    token = accounts.start_session(workspace, user, access == NAMED, address)
    _page_session().renew(token)  # a new token at each login: nobody can hand the browser one before
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(url_for("board"))


def _checked(access: str, name: str, password: str) -> str | None:
    """Who logs in, if the password is right (None if not); a name that can be nobody's is refused."""
    if access == NAMED:
        return accounts.verify(_workspace(), name, password)
    shared = _settings().password or ""
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
        accounts.end_session(_workspace(), _page_session().token, request.remote_addr or "未知地址")
    _page_session().renew()  # the old cookie opens nothing any more, here or in the record
    return redirect(url_for("login"))


def _file_or_404(workspace: Workspace, file_id: int) -> Version:
    try:
        return workspace.file(file_id)
    except NianbaoError:
        abort(404)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROUTES: list[tuple[str, Callable[..., View], list[str]]] = [
    ("/", board, ["GET"]),
    ("/version", version, ["GET"]),
    ("/unit/<path:unit_id>", unit, ["GET"]),
    ("/unit/<path:unit_id>/accept", accept, ["POST"]),
    ("/unit/<path:unit_id>/use", use, ["POST"]),
    ("/unit/<path:unit_id>/reject", reject, ["POST"]),
    ("/unit/<path:unit_id>/extend", extend, ["POST"]),
    ("/unit/<path:unit_id>/reply", reply_draft, ["GET"]),
    ("/file/<number:file_id>", stored_file, ["GET"]),
    ("/file/<number:file_id>/annotated", annotated_file, ["GET"]),
    ("/upload", upload, ["GET", "POST"]),
    ("/status.xlsx", status_sheet, ["GET"]),
    ("/summary", summary, ["GET", "POST"]),
    ("/summary/<name>", summary_file, ["GET"]),
    ("/log", log, ["GET"]),
    ("/login", login, ["GET", "POST"]),
    ("/logout", logout, ["POST"]),
]
