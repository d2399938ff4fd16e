"""单位: one unit's versions, problems (named, never by code), whom to call, what it was written, and the clerk's
decisions (accept, pin, send back, extend), each a Workspace method. A decision refused is said on the page
with what the clerk typed kept in its form; one done is said after the page is loaded again."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue as View

from nianbao.collection.contacts import Contact, unit_in_name
from nianbao.collection.reply import (
    draft_replies,
    letter_problems,
    letters_of,
    mark_sent,
    replies_of,
    reply_needed,
)
from nianbao.collection.workspace import Version, Workspace
from nianbao.operations.annotate import SUFFIX as ANNOTATED_SUFFIX
from nianbao.phrases import OTHER_PROBLEM, rule_names, sent_words, why
from nianbao.problems import NianbaoError, Problem
from nianbao.web.common import XLSX, file_or_404, number, said, status, workspace


def unit(unit_id: str) -> View:
    return _page(unit_id)


def _page(unit_id: str, typed: str = "", refused: str = "") -> View:
    """The unit's page; ``typed``: the form whose words were refused (kept in it, with ``refused`` said)."""
    opened = workspace()
    state, versions = opened.history(unit_id)
    first, second = number(request.args.get("a")), number(request.args.get("b"))
    if (request.args.get("a") and first is None) or (request.args.get("b") and second is None):
        abort(400, "要比较的版本应是数字，如 1、2")
    changes = opened.diff(unit_id, first, second) if first and second else None
    names = rule_names(opened.form)
    rules = sorted({w.code for w in state.open_warnings})
    problems = [r.problem for r in state.rejections] + (state.counted.problems if state.counted else []) + state.review
    replies = replies_of(opened, state.unit_id)
    settings = opened.settings
    return render_template(
        "unit.html",
        state=state,
        versions=versions,
        changes=changes,
        first=first,
        second=second,
        rules=[(code, names.get(code, OTHER_PROBLEM)) for code in rules],
        problems=problems,
        rule_name=lambda code: names.get(code, OTHER_PROBLEM),
        replies=replies,
        letters=letters_of(replies),
        sent_words=sent_words,
        needed=reply_needed(opened, state),
        contact=opened.contacts.people.get(state.unit_id, Contact()),
        guessed=[v for v in status().unidentified if _names(opened, v, state.unit_id)],
        can_send=bool(settings.smtp and settings.sender),
        why=why(state),
        typed=typed,
        form=request.form if typed else {},
        refused=refused,
        revision=opened.revision(),
    ), (200 if not refused else 422)


def _names(opened: Workspace, version: Version, unit_id: str) -> bool:
    found = unit_in_name(version.name, opened.units)
    return found is not None and found.unit_id == unit_id


def _refused(unit_id: str, form: str, error: NianbaoError) -> View:
    """A decision refused: the unit's page again, the clerk's words kept in the form, the reason said."""
    return _page(unit_id, form, said(error, rule_names(workspace().form)))


def accept(unit_id: str) -> View:
    rule = request.form.get("rule") or None
    note = request.form.get("note", "").strip()
    try:
        accepted = workspace().accept(unit_id, note, None if rule == "全部" else rule)
    except NianbaoError as exc:  # said on the unit's page, where the clerk can correct it
        return _refused(unit_id, "accept", exc)
    flash(f"已认可 {len(accepted)} 个警告" if accepted else "这些警告已经认可过了，没有新认可的")
    return redirect(url_for("unit", unit_id=unit_id))


def use(unit_id: str) -> View:
    which, note = request.form.get("version", ""), request.form.get("note", "").strip()
    try:
        chosen_number = number(which)
        if chosen_number is None and which != "最新":
            raise NianbaoError("请选择要计入的版本")
        chosen = workspace().use(unit_id, chosen_number, note)
    except NianbaoError as exc:
        return _refused(unit_id, "pin", exc)
    flash(f"已指定计入{f'第 {chosen.version} 版' if chosen else '最新的一版'}")
    return redirect(url_for("unit", unit_id=unit_id))


def reject(unit_id: str) -> View:
    note, undo = request.form.get("note", "").strip(), bool(request.form.get("undo"))
    try:
        if undo:
            count = workspace().withdraw_rejection(unit_id, note)
            flash(f"已撤销 {count} 次退回")
        else:
            seen = request.form.get("version", "")  # the version on the page the clerk read
            if seen and number(seen) is None:
                raise NianbaoError("页面上的版本号不对，未退回；请刷新页面后重试")
            version = workspace().reject(unit_id, note, number(seen))
            flash(f"已退回第 {version.version} 版；可在本页下载回复草稿")
    except NianbaoError as exc:
        return _refused(unit_id, "reject", exc)
    return redirect(url_for("unit", unit_id=unit_id))


def extend(unit_id: str) -> View:
    from nianbao.operations.generate import deadline_date

    note, until = request.form.get("note", "").strip(), request.form.get("until", "").strip()
    try:
        found = workspace().extend(unit_id, deadline_date(until) if until else None, note)
    except NianbaoError as exc:
        return _refused(unit_id, "extend", exc)
    flash(f"{found.unit_name}：{f'延期至 {until}' if until else '已取消延期'}")
    return redirect(url_for("unit", unit_id=unit_id))


def reply_sent(unit_id: str) -> View:
    """我已发出: a draft the clerk sent from their own mail program, recorded as sent (by its key)."""
    opened = workspace()
    key = request.form.get("key", "")
    waiting = [r for r in replies_of(opened, unit_id) if r.key == key and not r.sent_at]
    marked = mark_sent(opened, waiting)
    if marked:
        flash(f"已记下：{marked[0].unit_name}的{marked[0].kind_name}已由你的邮件程序发出")
    else:
        flash("这份回复已经记为发出过了，或页面已过期；请看下面的回复记录", "error")
    return redirect(url_for("unit", unit_id=unit_id) + "#replies")


def stored_file(file_id: int) -> View:
    opened = workspace()
    found = file_or_404(opened, file_id)
    return send_file(opened.stored_path(found), as_attachment=True, download_name=found.name)


def annotated_file(file_id: int) -> View:
    opened = workspace()
    found = file_or_404(opened, file_id)
    with tempfile.TemporaryDirectory(prefix="nianbao-web-") as folder:
        target = Path(folder) / "annotated.xlsx"
        if not opened.annotate(file_id, target, _listed(opened, found)):
            abort(422, f"{found.name} 无法读取，不能生成标注副本；请下载原文件查看")
        data = target.read_bytes()
    name = Path(found.name).stem + ANNOTATED_SUFFIX
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=XLSX)


def _listed(opened: Workspace, found: Version) -> list[Problem] | None:
    """What the annotated copy of a version marks: for the version that counts, what the reply lists (the copy
    attached to it is the same); for any other version, or when the reply lists nothing, the file's own
    problems (None)."""
    if found.version is None or found.unit_id not in opened.roster_ids:
        return None
    state = opened.state_of(found.unit_id)
    if state.counted is None or state.counted.id != found.id:
        return None
    return letter_problems(state) or None


def reply_draft(unit_id: str) -> View:
    """The draft of the reply the unit needs now (written once, as `nianbao reply` writes it)."""
    drafts = draft_replies(workspace(), [unit_id])
    if drafts.failed:
        abort(422, drafts.failed[0])
    if not drafts.replies:
        flash("这个单位已通过，不需要回复")
        return redirect(url_for("unit", unit_id=unit_id))
    draft = drafts.replies[0].draft
    return send_file(draft, as_attachment=True, download_name=draft.name, mimetype="message/rfc822")


def publication(unit_id: str, kind: str) -> View:
    """A passed unit's report to publish (发布稿, as `nianbao publish` writes it) from its counted version."""
    if kind not in PUBLISHED:
        abort(404)
    (made,) = workspace().publish([unit_id])
    if not made.published:
        abort(409, f"{made.state.unit_name}{made.state.state}{why(made.state)}，没有发布稿")
    path = next(p for p in made.files if p.suffix == f".{kind}")
    return send_file(path, as_attachment=True, download_name=path.name)


PUBLISHED = ("docx", "html")  # the kinds of a report to publish a page hands out

ROUTES: list[tuple[str, Callable[..., View], list[str]]] = [
    ("/unit/<path:unit_id>", unit, ["GET"]),
    ("/unit/<path:unit_id>/publish/<kind>", publication, ["GET"]),
    ("/unit/<path:unit_id>/accept", accept, ["POST"]),
    ("/unit/<path:unit_id>/use", use, ["POST"]),
    ("/unit/<path:unit_id>/reject", reject, ["POST"]),
    ("/unit/<path:unit_id>/extend", extend, ["POST"]),
    ("/unit/<path:unit_id>/reply", reply_draft, ["GET"]),
    ("/unit/<path:unit_id>/sent", reply_sent, ["POST"]),
    ("/file/<number:file_id>", stored_file, ["GET"]),
    ("/file/<number:file_id>/annotated", annotated_file, ["GET"]),
]
