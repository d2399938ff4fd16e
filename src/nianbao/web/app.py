"""The workspace as web pages (issue #13): 总览, 单位, 上传, 汇总, 记录. A thin shell over `Workspace`, like the CLI:
each request opens the workspace on its own connection (the record is WAL, so the CLI can work at the same
time), every change goes through a Workspace method, which logs it with the user it is given.

Safe by default: every POST carries the session's CSRF token; with a password every page but the login needs
a session; bound to this computer, requests naming another host are refused (DNS rebinding); uploads are
limited in size and count and their names never become paths; downloads are only of files the workspace
holds, found by number or in the listing of 汇总结果/; Jinja escapes every text."""

from __future__ import annotations

import getpass
import hmac
import io
import secrets
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, send_file, session, url_for
from flask.typing import ResponseReturnValue as View
from werkzeug.exceptions import HTTPException

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
from nianbao.web.uploads import MAIL_NOTE, MAX_FILES, unpack

STATES = (NOT_RECEIVED, HAS_ERRORS, TO_VERIFY, PASSED)
LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # one upload in all; each workbook is limited by reading.MAX_FILE_BYTES
WEB_MARK = "（网页）"
REPORT_SUFFIXES = (".html", ".docx")


@dataclass(frozen=True)
class Settings:
    root: Path
    password: str | None = None  # None: no login (only for a server bound to this computer)
    local: bool = True  # bound to this computer: refuse requests that name another host
    max_upload_bytes: int = MAX_UPLOAD_BYTES


def create_app(settings: Settings) -> Flask:
    Workspace.open(settings.root).close()  # a clear error now rather than on the first page
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # sessions last as long as the server runs
        SESSION_COOKIE_NAME="nianbao_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        MAX_FORM_PARTS=MAX_FILES + 50,
        NIANBAO_LOGIN=settings.password is not None,
    )
    app.extensions["nianbao"] = settings
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
    app.teardown_request(_close)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    for rule, view, methods in ROUTES:
        app.add_url_rule(rule, view.__name__, view, methods=methods)
    return app


def _settings() -> Settings:
    from flask import current_app

    return current_app.extensions["nianbao"]


# -- every request ---------------------------------------------------------------------------------------


def _guard() -> View | None:
    settings = _settings()
    if settings.local and request.host.rsplit(":", 1)[0] not in LOCAL_NAMES:
        abort(400, "这个网页只接受本机的访问（地址应是 127.0.0.1 或 localhost）")
    session.setdefault("csrf", secrets.token_urlsafe(32))
    if settings.password is None:
        session.setdefault("user", f"{_os_user()}{WEB_MARK}")
    elif "user" not in session and request.endpoint not in ("login", "static"):
        return redirect(url_for("login"))
    if request.method == "POST":
        sent = request.form.get("csrf", "")  # reading the form refuses an upload over the size limit first
        if not hmac.compare_digest(sent.encode(), session["csrf"].encode()):
            abort(403, "页面已过期或不是从本工具的网页提交的，操作未执行；请刷新页面后重试")
    return None


def _workspace() -> Workspace:
    if "workspace" not in g:
        g.workspace = Workspace.open(_settings().root, user=session.get("user"))
        for note in g.workspace.notes:
            flash(note, "error")
    return g.workspace


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
    first, second = request.args.get("a", type=int), request.args.get("b", type=int)
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
        flash(f"已认可 {len(accepted)} 个警告")
    except NianbaoError as exc:  # shown on the unit's page, where the clerk can correct it
        flash(_said(exc), "error")
    return redirect(url_for("unit", unit_id=unit_id))


def use(unit_id: str) -> View:
    which, note = request.form.get("version", ""), request.form.get("note", "").strip()
    try:
        if not which.isdigit() and which != "最新":
            raise NianbaoError("请选择要计入的版本")
        chosen = _workspace().use(unit_id, int(which) if which.isdigit() else None, note)
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
            version = _workspace().reject(unit_id, note, int(seen) if seen.isdigit() else None)
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
        received = workspace.receive(unpacked.files, source="网页上传", sender=session["user"], zipped=unpacked.zipped)
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
    password = _settings().password
    if password is None:
        return redirect(url_for("board"))
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:40]
        if not hmac.compare_digest(request.form.get("password", "").encode(), password.encode()):
            time.sleep(1)  # a guess a second at most
            flash("密码不对")
        elif not name:
            flash("请填写您的姓名（记入操作记录）")
        else:
            session.clear()
            session.update(user=f"{name}{WEB_MARK}", csrf=secrets.token_urlsafe(32))
            return redirect(url_for("board"))
    return render_template("login.html")


def logout() -> View:
    session.clear()
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
    ("/file/<int:file_id>", stored_file, ["GET"]),
    ("/file/<int:file_id>/annotated", annotated_file, ["GET"]),
    ("/upload", upload, ["GET", "POST"]),
    ("/status.xlsx", status_sheet, ["GET"]),
    ("/summary", summary, ["GET", "POST"]),
    ("/summary/<name>", summary_file, ["GET"]),
    ("/log", log, ["GET"]),
    ("/login", login, ["GET", "POST"]),
    ("/logout", logout, ["POST"]),
]
