"""Replies in bulk, the mailbox and the letters' settings, from the page (issue #23): the replies the chosen units
need (all 未收到, all 有错误 and 待核实, or those ticked on the board) downloaded as one zip of drafts, sent through
the workspace's mail server (each once: collection/reply.py), or recorded as sent by the clerk's own mail program
(我已发出); the mailbox read as `receive --imap` reads it. A password is typed for each use, used to log in and
forgotten: never kept, never logged."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Sequence

from flask import flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue as View

from nianbao.collection.reply import Drafts, Reply, Sent, draft_replies, latest_drafts, mark_sent, send_replies
from nianbao.collection.settings import NAMES as SETTING_NAMES
from nianbao.collection.workspace import NOT_RECEIVED, Workspace
from nianbao.phrases import setting_value
from nianbao.problems import NianbaoError
from nianbao.web.common import said, status, workspace
from nianbao.web.overview import NEEDS_CALL
from nianbao.web.results import lines_of
from nianbao.web.uploads import MAIL_NOTE, MAX_FILES

SCOPES = {"checked": "勾选的单位", "missing": "全部未收到的单位", "troubled": "全部有错误和待核实的单位"}
SETTINGS = ("office", "sender", "contact", "phone", "remind_before", "remind_every", "smtp", "imap")
DAYS = ("remind_before", "remind_every")
NO_MAIL_SERVER = "还没有设置发件人邮箱和发信服务器，不能从网页发送；请先在“设置”页填写，或下载草稿用自己的邮件程序发送"
CALL_FILE = "请电话联系的单位.txt"


def replies() -> View:
    """The board's bulk actions on the chosen units: the drafts as a zip, sending them, or 我已发出."""
    opened = workspace()
    units = _chosen(opened)
    if not units:
        flash("没有选中任何单位：请在表格左侧勾选单位，或选“全部未收到的单位”等", "error")
        return redirect(url_for("board"))
    action = request.form.get("do", "")
    if action == "zip":
        return _zip(opened, units)
    if action == "send":
        return _send(opened, units)
    return _mark(opened, units)


def _chosen(opened: Workspace) -> list[str]:
    """The units the bulk action is for, by code, in roster order."""
    scope = request.form.get("scope", "checked")
    if scope == "missing":
        return [u.unit_id for u in status().units if u.state == NOT_RECEIVED]
    if scope == "troubled":
        return [u.unit_id for u in status().units if u.state in NEEDS_CALL]
    ticked = set(request.form.getlist("unit"))
    return [u.unit_id for u in opened.units if u.unit_id in ticked]


def _names(replies: Sequence[Reply], most: int = 8) -> str:
    shown = "、".join(f"{r.unit_name}（{r.kind_name}）" for r in replies[:most])
    return shown + (f" 等 {len(replies)} 个单位" if len(replies) > most else "")


def _zip(opened: Workspace, units: list[str]) -> View:
    drafts = draft_replies(opened, units)
    waiting = [r for r in drafts.replies if not r.sent_at]
    _say_others(drafts, len(units))
    if not waiting:
        flash("选中的单位现在都不需要新的回复（已通过，或刚发过、还没到再催报的日子）")
        return redirect(url_for("board"))
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for reply in waiting:
            archive.write(reply.draft, reply.draft.name)
        phoned = [r for r in waiting if not r.recipients]
        if phoned:
            lines = [
                f"{r.unit_name}  {r.contact or '（名单上没有联系人）'}  {r.phone or '（名单上没有电话）'}"
                for r in phoned
            ]
            text = "名单上没有邮箱的单位，草稿中没有收件人，请电话联系或在邮件程序中填写收件人：\r\n" + "\r\n".join(
                lines
            )
            archive.writestr(CALL_FILE, ("\ufeff" + text + "\r\n").encode("utf-8"))
    flash(
        f"已下载 {len(waiting)} 份回复草稿：{_names(waiting)}。用邮件程序打开发出后，请回到总览勾选这些单位点“我已发出”"
        + (f"；其中 {len(phoned)} 个单位名单上没有邮箱，见压缩包中的“{CALL_FILE}”" if phoned else "")
    )
    data.seek(0)
    name = f"回复草稿_{opened.year}年度_{time.strftime('%Y%m%d-%H%M')}.zip"
    return send_file(data, as_attachment=True, download_name=name, mimetype="application/zip")


def _call_file(phoned: Sequence[Reply]) -> bytes:
    """The units whose drafts have no recipient, with whom to call: a text file Notepad opens (UTF-8, BOM)."""
    lines = ["名单上没有邮箱的单位，草稿中没有收件人，请电话联系，或在邮件程序中填写收件人："]
    for r in phoned:
        lines.append(f"{r.unit_name}  {r.contact or '（名单上没有联系人）'}  {r.phone or '（名单上没有电话）'}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _say_others(drafts: Drafts, chosen: int) -> None:
    """What the drafting said besides the drafts: the units whose reply could not be written, those written to
    before (not again until the next reminder is due)."""
    for failure in drafts.failed:
        flash(f"未能写回复草稿：{failure}", "error")
    sent = [r for r in drafts.replies if r.sent_at]
    if sent:
        said_each = []
        for r in sent[:5]:
            due = drafts.reminders.get(r.unit_id)
            said_each.append(f"{r.unit_name}{r.said}" + (f"，{due.isoformat()} 起再催报" if due else ""))
        flash(f"{len(sent)} 个单位本次不再写：{'；'.join(said_each)}" + (" 等" if len(sent) > 5 else ""))
    passed = chosen - len(drafts.replies) - len(drafts.failed)
    if passed > 0:
        flash(f"{passed} 个选中的单位已通过，不需要回复")


def _mark(opened: Workspace, units: list[str]) -> View:
    """我已发出: the latest draft of each chosen unit (the one downloaded last) recorded as sent."""
    waiting = latest_drafts(opened, units)
    marked = mark_sent(opened, waiting)
    if marked:
        flash(f"已记下 {len(marked)} 份回复已由你的邮件程序发出：{_names(marked)}")
    left = len(units) - len(marked)
    if left:
        flash(
            f"{left} 个选中的单位没有待发的草稿，未记下（请先下载草稿，发出后再点“我已发出”）",
            "error" if not marked else "message",
        )
    return redirect(url_for("board"))


def _send(opened: Workspace, units: list[str]) -> View:
    from nianbao.collection.smtp import SmtpOutbox

    settings = opened.settings
    password = request.form.get("password", "")
    if not settings.smtp or not settings.sender:
        flash(NO_MAIL_SERVER, "error")
        return redirect(url_for("board"))
    if not password:
        flash("请输入发信邮箱的密码（只用于这一次登录，不会保存）", "error")
        return redirect(url_for("board"))
    drafts = draft_replies(opened, units, settings.sender)
    waiting = [r for r in drafts.replies if not r.sent_at]
    results: list[Sent] = []
    try:
        if any(r.recipients for r in waiting):
            with SmtpOutbox.connect(settings.smtp, lambda _: password) as outbox:
                results = list(send_replies(opened, waiting, outbox, settings.sender))
        else:
            results = list(send_replies(opened, waiting, _Nowhere(), settings.sender))
    except NianbaoError as exc:
        flash(f"未发送：{said(exc)}", "error")
        return redirect(url_for("board"))
    _say_others(drafts, len(units))
    return render_template("sent.html", results=results, sent=sum(r.sent for r in results))


class _Nowhere:
    """No server needed: every reply chosen lacks an address, and is said so without connecting."""

    def send(self, *_: object) -> dict[str, str]:
        raise NianbaoError("没有收件人")


def receive_mail() -> View:
    """The workspace's mailbox read (read-only, each message once), its workbooks received."""
    from nianbao.collection.imap import PASSWORD_VARIABLE, MailboxReader, since_date

    opened = workspace()
    url, password, since = opened.settings.imap, request.form.get("password", ""), request.form.get("since", "")
    try:
        if not url:
            raise NianbaoError("还没有设置收信邮箱；请先在“设置”页填写")
        after = since_date(since) if since.strip() else None
        if not password:
            raise NianbaoError.of("NO_PASSWORD", variable=PASSWORD_VARIABLE)
        reader = MailboxReader.connect(url, lambda _: password)
        lines = lines_of((), opened.receive_mail(reader.messages(opened, after)), opened.units)
    except NianbaoError as exc:
        flash(f"未能收取邮箱：{said(exc)}", "error")
        return redirect(url_for("upload"))
    if not lines:
        flash("邮箱中没有新的邮件")
        return redirect(url_for("upload"))
    return render_template("upload.html", mail_note=MAIL_NOTE, max_files=MAX_FILES, lines=lines, imap=url)


def settings_page() -> View:
    """The letters' settings: who signs and sends them, the reminders' cadence, the mail servers."""
    opened = workspace()
    if request.method == "POST":
        changes: dict[str, str | None] = {name: request.form.get(name, "") for name in SETTINGS}
        for name in DAYS:
            changes[name] = changes[name] or None  # left empty: unchanged
        try:
            changed = opened.change_settings(**changes)
        except NianbaoError as exc:
            return _settings_form(opened, said(exc)), 422
        for name, (before, after) in changed.items():
            flash(f"已修改{SETTING_NAMES[name]}：{setting_value(before)} → {setting_value(after)}")
        if not changed:
            flash("设置没有变化")
        return redirect(url_for("settings_page"))
    return _settings_form(opened)


def _settings_form(opened: Workspace, refused: str = "") -> str:
    values = {name: str(getattr(opened.settings, name)) for name in SETTINGS}
    if refused:
        values.update({name: request.form.get(name, "") for name in SETTINGS})
    return render_template(
        "settings.html", values=values, names=SETTING_NAMES, refused=refused, has_deadline=bool(opened.deadline)
    )


ROUTES: list[tuple[str, Callable[..., View], list[str]]] = [
    ("/replies", replies, ["POST"]),
    ("/upload/mail", receive_mail, ["POST"]),
    ("/settings", settings_page, ["GET", "POST"]),
]
