"""What the interfaces (the command line, the web page) say about a collection round, in one place: the same
words for a received file, a unit's state, a log entry, wherever a clerk reads them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from nianbao.collection.model import (
    HAS_ERRORS,
    KNOWN,
    LATE,
    OFF_ROSTER,
    PASSED,
    REFUSED,
    TO_VERIFY,
    UNIDENTIFIED,
    LogEntry,
    MailReceived,
    Received,
    RoundStatus,
    UnitState,
)
from nianbao.collection.settings import NAMES as SETTING_NAMES
from nianbao.form.review import figure_text
from nianbao.io.files import shown
from nianbao.io.roster import Unit
from nianbao.problems import ERROR


def when(at: str) -> str:
    """A recorded time as a clerk reads it: 2026-01-18 09:30."""
    return at[:16].replace("T", " ")


def why(state: UnitState) -> str:
    """Why a unit has not passed, in a few words."""
    if state.counted is None:
        return ""
    if state.rejections:
        return f"：第 {state.counted.version} 版被退回：{state.rejections[-1].note}"
    if state.state == HAS_ERRORS:
        first = next(p for p in state.counted.problems if p.severity == ERROR)
        return f"：第 {state.counted.version} 版有 {state.counted.errors} 个错误，例如 {first.message}"
    if state.open_warnings:
        said = state.open_warnings[0].message
        return f"：第 {state.counted.version} 版有 {len(state.open_warnings)} 个警告待核实，例如 {said}"
    return ""


def received_line(result: Received) -> tuple[str, str | None]:
    name = shown(Path(result.path.name))
    version = result.version
    if result.outcome == REFUSED or version is None:
        return f"✗ {name}：{result.reason}，未保存", "red"
    who = f"{version.unit_id} {version.unit_name}".strip()
    if result.outcome == KNOWN:
        where = f"{who} 第 {version.version} 版" if version.version else UNIDENTIFIED
        return f"= {name}：已收到过（{where}），未重复记录", None
    if version.version is None:
        reason = OFF_ROSTER if version.unit_id else UNIDENTIFIED
        first = next((p.message for p in version.problems if p.severity == ERROR), "")
        return f"? {name} → {reason}：{first}", "yellow"
    state = result.state
    if state and state.counted and state.counted.id == version.id:
        mark = {PASSED: ("✓", "green"), TO_VERIFY: ("⚠", "yellow")}.get(state.state, ("✗", "red"))
        late = f"（{LATE}）" if state.late else ""
        return f"{mark[0]} {name} → {who} 第 {version.version} 版：{state.state}{late}", mark[1]
    # Not the counted version (one that came later, or one the clerk pinned): its own errors and warnings, and
    # the unit's state apart, so that an old version with errors never shows ✓.
    mark = ("✗", "red") if version.errors else ("⚠", "yellow") if version.warnings else ("✓", "green")
    unit = ""
    if state and state.counted:
        chosen = "指定的" if state.pinned else ""
        late = f"、{LATE}" if state.late else ""
        unit = f"；计入的是{chosen}第 {state.counted.version} 版，该单位现为{state.state}{late}"
    own = f"错误 {version.errors} 个，警告 {version.warnings} 个"
    return f"{mark[0]} {name} → {who} 第 {version.version} 版：{own}（不是计入的版本{unit}）", mark[1]


def in_a_line(text: str, limit: int = 60) -> str:
    """The clerk's words (a reason of several lines, of pages) on one line of a listing, cut short if long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "……"


def shown_value(value: object) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):  # a truth value typed into a figure cell, as the spreadsheet shows it
        return "“TRUE”" if value else "“FALSE”"
    if isinstance(value, float):
        return figure_text(value)
    text = str(value)
    return f"“{text if len(text) <= 40 else text[:40] + '……'}”"


def setting_value(value: object) -> str:
    """A setting as the clerk reads it (nothing set: 未设定)."""
    return str(value) if value != "" else "（未设定）"


def describe(entry: LogEntry) -> str:
    """A log entry in words."""
    d = entry.detail
    if entry.action == "init":
        return f"建立工作区：{d['year']} 年度，{d['units']} 个单位，截止 {d['deadline'] or '未定'}（{d['form']}）"
    if entry.action == "receive":
        names = "、".join(d.get("files", [])[:5]) + (" 等" if len(d.get("files", [])) > 5 else "")
        source = f"（来自 {d['sender'] or d['source']}）" if d.get("sender") or d.get("source") else ""
        counts = f"新 {d['new']} 个，已收到过 {d['known']} 个，无法保存 {d['refused']} 个"
        return f"收文件{source}：{counts} {names}".rstrip()
    if entry.action == "accept":
        return f"认可警告：{d['unit_id']} 第 {d['version']} 版 {d['rule']}（{d['count']} 个）：{d['note']}"
    if entry.action == "use":
        which = "最新版" if d["version"] == "最新" else f"第 {d['version']} 版"
        return f"指定版本：{d['unit_id']} 计入{which}：{d['note']}"
    if entry.action == "reject":
        return f"退回：{d['unit_id']} 第 {d['version']} 版：{' '.join(d['note'].split())}"  # a line an entry
    if entry.action == "withdraw":
        return f"撤销退回：{d['unit_id']} 第 {d['version']} 版：{' '.join(d['note'].split())}"
    if entry.action == "extend":
        granted = f"延期至 {d['until']}" if d["until"] else "取消延期"
        return f"{granted}：{d['unit_id']}：{d['note']}"
    if entry.action == "previous":
        return f"指定上年数字：{d['units']} 个单位，来自 {'、'.join(d['files'])}；已收到的表格已重新检查"
    if entry.action == "merge":
        return f"汇总：{d['units']} 个单位 → {d['out']}" + ("" if d["written"] else "（未生成）")
    if entry.action == "reply":
        return f"写回复草稿：{d['drafts']} 份（需要回复的单位 {d['units']} 个）"
    if entry.action == "settings":
        changes = (
            f"{SETTING_NAMES.get(k, k)} {setting_value(a)} → {setting_value(b)}" for k, (a, b) in d["changed"].items()
        )
        return f"修改设置：{'；'.join(changes)}"
    if entry.action == "send":
        which = f" 第 {d['version']} 版" if d.get("version") else ""
        return f"发出{d['kind']}：{d['unit_id']}{which} → {'、'.join(d['to'])}"
    return f"{entry.action}：{d}"


def message_lines(result: MailReceived) -> Iterator[tuple[str, str | None]]:
    mail = result.mail
    if result.outcome == REFUSED:
        yield f"✗ {result.source}：{'；'.join(mail.notes)}", "red"
        return
    who = mail.sender or "（无发件人）"
    subject = f"《{mail.subject}》" if mail.subject else "（无主题）"
    when = mail.date.astimezone().strftime("%Y-%m-%d %H:%M") if mail.date else "（无日期）"
    if result.outcome == KNOWN:
        yield f"= {who} {subject} {when}：这封邮件已收过，未重复记录", None
        return
    yield f"✉ {who} {subject} {when}", None
    for received in result.files:
        if received.outcome == REFUSED:
            yield f"    · {received.path.name}：{received.reason}", "yellow"
            continue
        line, colour = received_line(received)
        yield f"    {line}", colour
    for note in mail.notes:
        yield f"    注意：{note}", "yellow"
    if not any(f.outcome != REFUSED and not f.blank for f in result.files):
        others = f"（附件：{'、'.join(mail.others)}）" if mail.others else ""
        yield f"    来信无统计表{others}", "yellow"


STATUS_HEADER = [
    *("序号", "单位编码", "单位名称", "状态", "迟交", "延期至"),
    *("计入版本", "共几版", "收到时间", "错误", "警告", "说明"),
]


def status_table(status: RoundStatus, roster: Sequence[Unit]) -> tuple[list[str], list[list[str | int]]]:
    """The round's status as a table to hand on (报送情况表): a row per roster unit, in roster order, with why it
    has not passed and the roster's own other columns (联系人, 电话, 邮箱 …) to call those who have not sent."""
    extra = list(dict.fromkeys(column for unit in roster for column in unit.extra))
    contact = {unit.unit_id: unit.extra for unit in roster}
    rows: list[list[str | int]] = []
    for i, state in enumerate(status.units, start=1):
        counted = state.counted
        facts: list[str | int] = ["", "", "", "", ""]
        if counted is not None:
            versions = f"第 {counted.version} 版" + ("（指定）" if state.pinned else "")
            facts = [versions, state.versions, when(counted.received_at), counted.errors, counted.warnings]
        own = contact.get(state.unit_id, {})
        late, extended = LATE if state.late else "", state.extended.isoformat() if state.extended else ""
        row = [i, state.unit_id, state.unit_name, state.state, late, extended, *facts, why(state).lstrip("：")]
        rows.append(row + [own.get(column, "") for column in extra])
    named = [f"名单上的{column}" if column in STATUS_HEADER else column for column in extra]  # 状态 is ours
    return STATUS_HEADER + named, rows
