"""上传, 汇总 and 记录: files and mail received from the browser, each result leading to its unit; the summary of the
units that have passed (a preliminary one, marked 不完整（N/M）, while others have not), the latest final one
marked; the log, with units and rules by name."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import abort, flash, render_template, request, send_file
from flask.typing import ResponseReturnValue as View

from nianbao.collection.mail import RawMail
from nianbao.collection.workspace import PASSED, Workspace
from nianbao.operations.report import render_report
from nianbao.phrases import describe, naming_of, why
from nianbao.problems import NianbaoError
from nianbao.web.common import WEB_MARK, status, workspace
from nianbao.web.results import lines_of
from nianbao.web.uploads import MAIL_NOTE, MAX_FILES, unpack

REPORT_SUFFIXES = (".html", ".docx")
PARTIAL = "不完整"
NOTHING_CHOSEN = "没有选择文件，什么也没有收下；请先点“选择文件”或把文件拖到虚线框中，再点“上传”"


def upload() -> View:
    opened = workspace()
    imap = opened.settings.imap
    if request.method == "GET":
        return render_template("upload.html", mail_note=MAIL_NOTE, max_files=MAX_FILES, imap=imap)
    files = [(f.filename or "", f.stream) for f in request.files.getlist("files")]
    with tempfile.TemporaryDirectory(prefix="nianbao-upload-") as folder:
        unpacked = unpack(files, Path(folder))
        if not unpacked.files and not unpacked.mails and not unpacked.refused:
            flash(NOTHING_CHOSEN, "error")  # nothing received, nothing logged
            return render_template("upload.html", mail_note=MAIL_NOTE, max_files=MAX_FILES, imap=imap), 422
        who = (opened.user or "").removesuffix(WEB_MARK)
        # The sender of a file uploaded is nobody's address: a reply goes to the unit's roster address, never
        # to the colleague who uploaded it (who is named in the source and the log).
        received = opened.receive(unpacked.files, source=f"网页上传（{who}）", zipped=unpacked.zipped)
        mails = (
            RawMail(f"网页上传：{name}", data, outlook=name.lower().endswith(".msg")) for name, data in unpacked.mails
        )
        lines = lines_of(received, opened.receive_mail(mails), opened.units)
    return render_template(
        "upload.html", mail_note=MAIL_NOTE, max_files=MAX_FILES, lines=lines, refused=unpacked.refused, imap=imap
    )


@dataclass(frozen=True)
class Made:
    """A summary made earlier, with the reports made with it."""

    files: list[Path]  # the workbook first
    partial: bool
    latest: bool  # the newest complete summary

    @property
    def name(self) -> str:
        return self.files[0].name


def summary() -> View:
    opened = workspace()
    made: list[str] = []
    problems: list[str] = []
    blockers = [u for u in status().units if u.state != PASSED]
    passed = len(status().units) - len(blockers)
    if request.method == "POST":
        partial = request.form.get("partial") == "1" and blockers
        if partial and not passed:
            problems.append("还没有单位通过，不能汇总")
        elif blockers and not partial:
            problems.append("有单位还没有通过，名单已变化；请看下面的名单后再汇总")
        else:
            made, problems = _merge(opened, f"{PARTIAL}（{passed}／{passed + len(blockers)}）" if partial else "")
    return render_template(
        "summary.html",
        blockers=[(u, why(u)) for u in blockers],
        passed=passed,
        total=passed + len(blockers),
        made=made,
        problems=problems,
        outputs=_sets(opened.summaries()),
    )


def _merge(opened: Workspace, note: str) -> tuple[list[str], list[str]]:
    """A summary now (of the units that have passed, with ``note`` in its name, when some have not); a final
    one with its reports (a preliminary summary has none: its figures are not the county's)."""
    made: list[str] = []
    problems: list[str] = []
    result = opened.merge(opened.summary_target(note), allow_missing=bool(note))
    written = result.summary.written if result.summary else None
    if written is None:
        return made, ["未能生成汇总表"]
    made.append(written.name)
    for suffix in () if note else REPORT_SUFFIXES:
        try:
            made.append(render_report(written, written.with_suffix(suffix), inputs=opened.report_inputs()).path.name)
        except NianbaoError as exc:
            problems.append(f"未能生成 {suffix} 报告：{exc}")
    return made, problems


def _sets(paths: list[Path]) -> list[Made]:
    """The summaries in 汇总结果/ (newest first), each with its reports; the newest complete one marked."""
    by_stem: dict[str, list[Path]] = {}
    for path in paths:
        by_stem.setdefault(path.stem, []).append(path)
    sets, latest = [], True
    for files in by_stem.values():
        files.sort(key=lambda p: (p.suffix != ".xlsx", p.suffix))
        partial = PARTIAL in files[0].stem
        sets.append(Made(files, partial, latest and not partial))
        latest = latest and partial
    return sets


def summary_file(name: str) -> View:
    found = next((p for p in workspace().summaries() if p.name == name), None)  # never a path from the request
    if found is None:
        abort(404)
    return send_file(found, as_attachment=True, download_name=found.name)


def log() -> View:
    opened = workspace()
    naming = naming_of(opened)
    entries = [(e, describe(e, naming)) for e in opened.log()]
    return render_template("log.html", entries=entries)


ROUTES: list[tuple[str, Callable[..., View], list[str]]] = [
    ("/upload", upload, ["GET", "POST"]),
    ("/summary", summary, ["GET", "POST"]),
    ("/summary/<name>", summary_file, ["GET"]),
    ("/log", log, ["GET"]),
]
