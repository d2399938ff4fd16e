"""What the interfaces (the command line, the web page) say about a collection round, in one place: the same
words for a received file, a unit's state, a log entry, wherever a clerk reads them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nianbao.collection.model import (
    HAS_ERRORS,
    KNOWN,
    LATE,
    OFF_ROSTER,
    OVERDUE,
    PASSED,
    REFUSED,
    TO_VERIFY,
    UNIDENTIFIED,
    Acceptance,
    Extension,
    LogEntry,
    MailReceived,
    Received,
    RoundStatus,
    UnitState,
)
from nianbao.collection.settings import NAMES as SETTING_NAMES
from nianbao.collection.states import due
from nianbao.form.review import figure_text
from nianbao.io.files import shown
from nianbao.io.roster import Unit
from nianbao.problems import ERROR, Problem

if TYPE_CHECKING:
    from nianbao.collection.reply import Reply, UnitLetters
    from nianbao.collection.workspace import Workspace
    from nianbao.form.spec import Form

# Each kind of problem the checks find, in a few words, where a clerk would otherwise read its code (a rule of the
# form spec is named by the spec: `rule_names`).
CODE_NAMES = {
    "BLANK": "未填写",
    "TEXT": "数字格填了文字",
    "NEGATIVE": "负数",
    "FRACTION": "件数不是整数",
    "DECIMALS": "小数位数过多",
    "NOT_NUMBER": "不是数字",
    "AS_TEXT": "数字存成了文字",
    "TOTAL_DIFFERS": "合计与各项不符",
    "COMMA": "逗号含义不明",
    "TOO_LARGE": "数字大得不可能",
    "FORMULA_ERROR": "公式算出错误值",
    "FORMULA_ERROR_VALUE": "公式算出错误值",
    "NO_RESULT": "公式没有结果",
    "EXTERNAL": "引用其他文件",
    "INVISIBLE": "含不可见字符",
    "REJECTED": "退回",
    "STORED": "保存的文件被改动",
    "NO_IDENTITY": "不是下发的表格",
    "IDENTITY_MISMATCH": "身份信息不一致",
    "UNKNOWN_FORM": "不认识的表格",
    "FORM_VERSION": "表格版本不对",
    "FINGERPRINT": "表格版式不一致",
    "MISSING_SHEET": "缺少工作表",
    "EXTRA_SHEET": "多出工作表",
    "LAYOUT": "表格版式被改动",
    "YEAR": "年度不对",
    "NOT_ON_ROSTER": "不在名单上",
    "NAME_DIFFERS": "单位名称与名单不同",
    "NO_PREVIOUS": "没有上年数字",
    "TEXT_FIGURE": "正文与表格不符",
    "TEXT_EMPTY": "正文部分为空",
    "TEXT_FEE": "未说明收费情况",
    "DUPLICATE_UNIT": "同一单位有多份",
    "SAME_BYTES": "相同的文件",
    "ANNOTATED_COPY": "标注副本",
    "OUTSIDE_TABLE": "表格外写了字",
    "COVER_DIFFERS": "封面与身份信息不同",
    "SENDER_OTHER_UNIT": "发件人是其他单位",
    "WORD_SOURCE": "数字取自已发布的报告",
    "IMPORT_SHORT": "报告中的数字不全",
    "IMPORT_LABEL": "报告表格读取中断",
    "IMPORT_UNEXPECTED": "报告表格读取中断",
    "IMPORT_AMBIGUOUS": "报告表格读取中断",
    "IMPORT_TRAILING": "报告表格多出内容",
    "IMPORT_TOTAL": "报告中的合计不符",
    "IMPORT_NEAR": "报告的表述略有不同",
    "IMPORT_MERGED": "报告中几行印成了一行",
    "PRINTED_TOTAL": "报告中印的合计不符",
    "PREVIOUS_OTHER_YEAR": "上年数字的年度不对",
    "UNSUPPORTED": "不支持的文件格式",
    "NOT_SPREADSHEET": "不是统计表",
}
ACROSS_YEARS, ACROSS_UNITS = "与上年相比差别大", "远高于其他单位"
OTHER_PROBLEM = "其他问题"


def rule_names(form: Form | None) -> dict[str, str]:
    """Every code a problem may carry, named: the spec's rules by their short name (else their message), its
    reviews by what they compare, and the checks' own codes (`CODE_NAMES`)."""
    names = dict(CODE_NAMES)
    if form is None:
        return names
    for rule in form.rules:
        names[rule.id] = rule.short or in_a_line(rule.message, 30)
    names.update(dict.fromkeys((r.id for r in form.review.year), ACROSS_YEARS))
    names.update(dict.fromkeys((r.id for r in form.review.units), ACROSS_UNITS))
    return names


@dataclass(frozen=True)
class Naming:
    """How the log names units and rules: by name where it knows them (a unit by its name and code)."""

    units: Mapping[str, str] = field(default_factory=dict)  # code → name
    rules: Mapping[str, str] = field(default_factory=dict)  # code → words

    def unit(self, unit_id: object) -> str:
        name = self.units.get(str(unit_id))
        return f"{name}（{unit_id}）" if name else str(unit_id)

    def rule(self, code: object) -> str:
        if code in (None, "", "全部"):
            return "全部待核实的警告"
        return self.rules.get(str(code), str(code))


def naming_of(workspace: Workspace) -> Naming:
    """The workspace's units and its form's rules, by name."""
    return Naming({u.unit_id: u.unit_name for u in workspace.units}, rule_names(workspace.form))


def when(at: str) -> str:
    """A recorded time as a clerk reads it: 2026-01-18 09:30."""
    return at[:16].replace("T", " ")


def why(state: UnitState) -> str:
    """Why a unit has not passed, in a few words."""
    if state.counted is None:
        return ""
    if state.damaged:
        return f"：第 {state.counted.version} 版{state.damaged}，请把单位发来的原文件再收一次"
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
        restored = f"；{result.reason}" if result.reason else ""
        return f"= {name}：已收到过（{where}），未重复记录{restored}", "green" if restored else None
    if version.version is None:
        reason = OFF_ROSTER if version.unit_id else UNIDENTIFIED
        first = next((p.message for p in version.problems if p.severity == ERROR), "")
        return f"? {name} → {reason}：{first}", "yellow"
    state = result.state
    if state and state.counted and state.counted.id == version.id:
        mark = {PASSED: ("✓", "green"), TO_VERIFY: ("⚠", "yellow")}.get(state.state, ("✗", "red"))
        late = f"（{LATE}）" if state.late else ""
        note = f"（注意：{result.reason}）" if result.reason else ""
        return f"{mark[0]} {name} → {who} 第 {version.version} 版：{state.state}{late}{note}", mark[1]
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


def problem_line(problem: Problem) -> str:
    """One problem of a unit's return on one line: where, then what."""
    mark = "✗" if problem.severity == ERROR else "⚠"
    place = f"{problem.place}：" if problem.place else ""
    return f"{mark} {place}{in_a_line(problem.message, 200)}"


def round_line(status: RoundStatus) -> str:
    """The round in one line: year, deadline, received, the on-time rate (first returns by their deadlines)."""
    total = len(status.units)
    rate = f"{status.on_time / total:.0%}" if total else "-"
    due = f"截止 {status.deadline.isoformat()}，" if status.deadline else ""
    return f"{status.year} 年度，{due}名单 {total} 个单位：已收 {status.received}/{total}，按时率 {rate}"


def unit_line(state: UnitState) -> str:
    """A unit's standing on one line: state, timeliness, the version that counts, what is open."""
    late = f" {timeliness(state)}" if timeliness(state) else ""
    if state.extended:
        late += f"（延期至 {state.extended.isoformat()}）"
    counted = state.counted
    if counted is None:
        return f"{state.unit_id} {state.unit_name}：{state.state}{late}"
    pinned = "，指定" if state.pinned else ""
    first = f"  首次报送 {when(state.first_at)}" if state.first_at and state.versions > 1 else ""
    detail = f"  第 {counted.version} 版（共 {state.versions} 版{pinned}） {when(counted.received_at)}{first}"
    errors = sum(p.severity == ERROR for p in counted.problems)
    detail += f"  错误 {errors}，待核实 {len(state.open_warnings)}"
    if state.rejections:
        detail += f"  已退回：{in_a_line(state.rejections[-1].note)}"
    return f"{state.unit_id} {state.unit_name}：{state.state}{late}{detail}"


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


def _received(d: dict[str, Any], _: Naming) -> str:
    names = "、".join(d.get("files", [])[:5]) + (" 等" if len(d.get("files", [])) > 5 else "")
    source = f"（来自 {d['sender'] or d['source']}）" if d.get("sender") or d.get("source") else ""
    counts = f"新 {d['new']} 个，已收到过 {d['known']} 个，无法保存 {d['refused']} 个"
    return f"收文件{source}：{counts} {names}".rstrip()


def _settings(d: dict[str, Any], _: Naming) -> str:
    changes = (
        f"{SETTING_NAMES.get(k, k)} {setting_value(a)} → {setting_value(b)}" for k, (a, b) in d["changed"].items()
    )
    return f"修改设置：{'；'.join(changes)}"


def _note(text: str) -> str:
    return " ".join(text.split())  # the clerk's words on the entry's one line


def _session(words: str) -> Callable[[dict[str, Any], Naming], str]:
    """A login or logout on the page (collection/accounts.py)."""
    return lambda d, _: f"{words}{'（共用密码）' if d.get('shared') else ''}：来自 {d['address']}"


def _login_failed(d: dict[str, Any], _: Naming) -> str:
    locked = int(d.get("locked_seconds") or 0)
    stopped = f"；失败次数太多，暂停登录 {max(1, round(locked / 60))} 分钟" if locked else ""
    return f"登录失败：来自 {d['address']}，姓名“{d['name']}”{stopped}"


def _colleague(words: str) -> Callable[[dict[str, Any], Naming], str]:
    """A colleague who logs in to the page added, given a new password, removed."""
    return lambda d, _: f"{words}：{d['name']}" + (f"（已退出其 {d['ended']} 处登录）" if d.get("ended") else "")


def _replied(d: dict[str, Any], n: Naming) -> str:
    units = d.get("unit_ids")
    if not units:
        return f"写回复草稿：{d['drafts']} 份（需要回复的单位 {d['units']} 个）"
    names = "、".join(n.unit(u) for u in units[:10]) + (f" 等 {len(units)} 个单位" if len(units) > 10 else "")
    return f"写回复草稿：{names}（{d['drafts']} 份）"


def _sent(d: dict[str, Any], n: Naming) -> str:
    version = f" 第 {d['version']} 版" if d.get("version") else ""
    to = "、".join(d["to"]) or "（草稿未写收件人）"
    how = "（用自己的邮件程序发出，在本工具中记下）" if d.get("by") else ""
    how = "（发送中断，可能已发出）" if d.get("unsure") else how
    return f"发出{d['kind']}：{n.unit(d['unit_id'])}{version} → {to}{how}"


# Each action of the log in words, from what was logged with it.
_SAID: dict[str, Callable[[dict[str, Any], Naming], str]] = {
    "init": lambda d, _: (
        f"建立工作区：{d['year']} 年度，{d['units']} 个单位，截止 {d['deadline'] or '未定'}（{d['form']}）"
    ),
    "receive": _received,
    "accept": lambda d, n: (
        f"认可警告：{n.unit(d['unit_id'])} 第 {d['version']} 版“{n.rule(d['rule'])}”（{d['count']} 个）：{d['note']}"
    ),
    "unaccept": lambda d, n: f"撤销认可：{n.unit(d['unit_id'])}“{n.rule(d['rule'])}”（{d['count']} 个）：{d['note']}",
    "deadline": lambda d, _: f"修改截止日期：{d['before'] or '未定'} → {d['after']}：{d['note']}",
    "dismiss": lambda d, _: f"搁置{d['kind']} {d['ref']}：{d['what']}：{d['note']}",
    "restore": lambda d, _: f"恢复{d['kind']} {d['ref']}：{d['what']}：{d['note']}",
    "use": lambda d, n: (
        f"指定版本：{n.unit(d['unit_id'])} 计入"
        + ("最新版" if d["version"] == "最新" else f"第 {d['version']} 版")
        + f"：{d['note']}"
    ),
    "reject": lambda d, n: f"退回：{n.unit(d['unit_id'])} 第 {d['version']} 版：{_note(d['note'])}",
    "withdraw": lambda d, n: f"撤销退回：{n.unit(d['unit_id'])} 第 {d['version']} 版：{_note(d['note'])}",
    "extend": lambda d, n: (
        (f"延期至 {d['until']}" if d["until"] else "取消延期") + f"：{n.unit(d['unit_id'])}：{d['note']}"
    ),
    "previous": lambda d, _: f"指定上年数字：{d['units']} 个单位，来自 {'、'.join(d['files'])}；已收到的表格已重新检查",
    "merge": lambda d, _: (
        f"汇总：{d['units']} 个单位"
        + (f"（不完整，另有 {d['blocking']} 个未通过）" if d.get("blocking") and d.get("written") else "")
        + f" → {d['out']}"
        + ("" if d["written"] else "（未生成）")
    ),
    "reply": _replied,
    "publish": lambda d, _: f"写发布稿：{d['units']} 个单位",
    "settings": _settings,
    "login": _session("登录网页"),
    "logout": _session("退出网页"),
    "login_failed": _login_failed,
    "user_add": _colleague("添加同事"),
    "user_password": _colleague("修改同事的密码"),
    "user_remove": _colleague("删除同事"),
    "send": _sent,
}


def describe(entry: LogEntry, naming: Naming | None = None) -> str:
    """A log entry in words (units and rules by name, where ``naming`` knows them)."""
    said = _SAID.get(entry.action)
    return said(entry.detail, naming or Naming()) if said else f"{entry.action}：{entry.detail}"


def message_lines(result: MailReceived) -> Iterator[tuple[str, str | None]]:
    """What receiving a message did, a line each with its colour: the message, each file, the notes."""
    return ((line, colour) for line, colour, _ in message_parts(result))


def message_parts(result: MailReceived) -> Iterator[tuple[str, str | None, Received | None]]:
    """`message_lines`, each with the file it is about (None for a line about the message)."""
    mail = result.mail
    if result.outcome == REFUSED:
        yield f"✗ {result.source}：{'；'.join(mail.notes)}", "red", None
        return
    who = mail.sender or "（无发件人）"
    subject = f"《{mail.subject}》" if mail.subject else "（无主题）"
    when = mail.date.astimezone().strftime("%Y-%m-%d %H:%M") if mail.date else "（无日期）"
    if result.outcome == KNOWN:
        yield f"= {who} {subject} {when}：这封邮件已收过，未重复记录", None, None
        return
    yield f"✉ {who} {subject} {when}", None, None
    for received in result.files:
        if received.outcome == REFUSED:
            yield f"    · {received.path.name}：{received.reason}", "yellow", received
            continue
        line, colour = received_line(received)
        yield f"    {line}", colour, received
    for note in mail.notes:
        yield f"    注意：{note}", "yellow", None
    if not any(f.outcome != REFUSED and not f.blank for f in result.files):
        others = f"（附件：{'、'.join(mail.others)}）" if mail.others else ""
        yield f"    来信无统计表{others}", "yellow", None


def received_reason(result: Received) -> str:
    """Why a file received did not pass, in a sentence ('' when it did, or was received before)."""
    version, state = result.version, result.state
    if result.outcome == KNOWN or version is None:
        return ""
    if version.version is None or state is None or state.counted is None or state.counted.id != version.id:
        first = next((p for p in version.problems if p.severity == ERROR), None)
        return first.message if first else ""
    return why(state).removeprefix("：")


# What has been written to a unit, in a few words: the last reply that went out, the draft that waits.
SENT_WORDS = {"problems": "已回复", "request": "已下发通知", "reminder": "已催报"}


def sent_words(reply: Reply) -> str:
    """“已催报 12-01”, “已回复第 2 版 12-01”: the last reply that went out, and when."""
    which = f"第 {reply.version} 版" if reply.version else ""
    return f"{SENT_WORDS.get(reply.kind, '已发出')}{which} {reply.sent_at[5:10]}"


def letters_words(letters: UnitLetters | None) -> tuple[str, str]:
    """A unit's letters on the board: what went out last, and a draft waiting to be sent ('' for none)."""
    if letters is None:
        return "", ""
    sent = sent_words(letters.sent) if letters.sent else ""
    waiting = f"{letters.waiting.kind_name}草稿待发" if letters.waiting else ""
    return sent, waiting


def call_list(title: str, states: Sequence[UnitState], people: Mapping[str, Any]) -> str:
    """Units to call, as plain text to paste into a chat group: a line each with name, contact person and phone
    (``people``: the roster's contacts by unit code)."""
    lines = [f"{title}（{len(states)} 个）："]
    for state in states:
        contact = people.get(state.unit_id)
        reach = "  ".join(x for x in (getattr(contact, "person", ""), getattr(contact, "phone", "")) if x)
        detail = timeliness(state) or (why(state).removeprefix("：") if state.counted else "")
        lines.append("  ".join(x for x in (state.unit_name, reach, in_a_line(detail, 40)) if x))
    return "\n".join(lines)


STATUS_HEADER = [
    *("序号", "单位编码", "单位名称", "状态", "按时情况", "截止日期", "报送时间"),
    *("计入版本", "共几版", "收到时间", "错误", "警告", "说明"),
]


def due_date(status: RoundStatus, state: UnitState) -> str:
    """A unit's own deadline, marked when it was extended for it."""
    day = due(status.deadline, state.extended)
    if day is None:
        return ""
    return day.isoformat() + ("（延期）" if state.extended and day == state.extended else "")


def timeliness(state: UnitState) -> str:
    """How the unit stands against its deadline: 迟交 (its first return came after it), 逾期未报 N 天, or ''."""
    if state.overdue:
        return f"{OVERDUE} {state.overdue} 天"
    return LATE if state.late else ""


def status_table(
    status: RoundStatus,
    roster: Sequence[Unit],
    decisions: tuple[Mapping[str, Sequence[Acceptance]], Mapping[str, Extension]] | None = None,
) -> tuple[list[str], list[list[str | int]]]:
    """The round's status as a table to hand on (报送情况表): a row per roster unit, in roster order, with why it
    has not passed, what was decided of it (warnings the unit explained or the clerk accepted, a later deadline:
    ``decisions``, the workspace's) and the roster's own other columns (联系人, 电话, 邮箱 …) to call those who
    have not sent."""
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
        due = due_date(status, state)
        head: list[str | int] = [i, state.unit_id, state.unit_name, state.state.value, timeliness(state), due]
        row = [*head, when(state.first_at), *facts, "；".join(_said_of(state, decisions))]
        rows.append(row + [own.get(column, "") for column in extra])
    named = [f"名单上的{column}" if column in STATUS_HEADER else column for column in extra]  # 状态 is ours
    return STATUS_HEADER + named, rows


def _said_of(
    state: UnitState, decisions: tuple[Mapping[str, Sequence[Acceptance]], Mapping[str, Extension]] | None
) -> list[str]:
    """The 说明 of a unit's row: why it has not passed, its explanation of warnings, the clerk's decisions."""
    said = [why(state).lstrip("：")]
    counted = state.counted
    if counted is not None and counted.warnings and counted.explained:
        said.append(f"单位的情况说明：{in_a_line(counted.explanation, 80)}")
    accepted, extended = decisions or ({}, {})
    said += [f"已认可 {a.code}：{in_a_line(a.note, 80)}" for a in accepted.get(state.unit_id, ())]
    extension = extended.get(state.unit_id)
    if extension is not None:
        said.append(f"延期至 {extension.until.isoformat()}：{in_a_line(extension.note, 80)}")
    return [s for s in said if s]


def status_heading(status: RoundStatus, office: str, at: datetime) -> list[str]:
    """The 报送情况表's title lines: whose round it is, as of when, how far it has come."""
    return [
        f"{office}{status.year}年度政府信息公开工作年度报告报送情况表",
        f"截至 {at:%Y-%m-%d %H:%M}　{round_line(status)}",
    ]
