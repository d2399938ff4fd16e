"""The clerk's decisions on a unit's return, each with the rule it must keep and logged with who and why:

- accept / unaccept: the counted version's open warnings (never an error), with a note; kept while their basis
  holds; or take acceptances back;
- use: which version counts (a pin), or the latest again;
- reject / withdraw: send the counted version back for what no rule finds, or take that back;
- extend: a later deadline for one unit, or cancel it; move_deadline: the round's deadline;
- dismiss / restore: set aside a file that is no unit's return, or a letter's 来信无统计表 notice.

Each is one transaction in the record. Refusals are NianbaoError with a code (the interfaces add their words)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from nianbao.collection.model import Acceptance, UnitState, Version, cell_of
from nianbao.collection.record import now
from nianbao.io.roster import Unit
from nianbao.io.values import says_nothing
from nianbao.problems import ERROR, NianbaoError, Problem

if TYPE_CHECKING:
    from nianbao.collection.record import Record
    from nianbao.collection.workspace import Workspace


def _note(note: str, action: str, what: str = "理由") -> str:
    """The clerk's reason, as recorded; refused when it says nothing."""
    if says_nothing(note):
        raise NianbaoError.of("NOTE_REQUIRED", action=action, what=what)
    return note.strip()


def _who(state: UnitState | Unit) -> str:
    return f"{state.unit_id} {state.unit_name}"


def accept(ws: Workspace, unit: str, note: str, rule: str | None = None) -> list[Problem]:
    """Accept the counted version's open warnings (all, or those of one rule or message code) with a note.
    Errors can never be accepted. Returns the warnings accepted: none when those asked for are accepted already
    (the same acceptance posted twice, or by two colleagues at once, is recorded once: the state is judged inside
    the transaction that records it)."""
    if not note.strip():
        raise NianbaoError.of("NOTE_REQUIRED", action="认可警告", what="理由")
    with ws.record.transaction() as record:
        state = ws.state_of(unit)
        if state.counted is None:
            raise NianbaoError.of("NOT_SENT_YET", unit=_who(state), action="认可警告")
        if rule and any(p.code == rule and p.severity == ERROR for p in state.counted.problems):
            raise NianbaoError.of("ERROR_NOT_ACCEPTABLE", rule=rule)
        chosen = [w for w in state.open_warnings if rule is None or w.code == rule]
        if not chosen and rule is None and (state.counted.errors or state.rejections):
            raise NianbaoError.of("ONLY_ERRORS", unit=_who(state))
        if not chosen and _all_accepted(record, state, rule):
            return []
        if not chosen:
            raise NianbaoError.of("NOTHING_TO_ACCEPT", unit=_who(state), what=f"“{rule}”的" if rule else "")
        at = now()
        for warning in chosen:
            basis = ws.standing.basis(warning, state.counted)
            record.accept(
                Acceptance(state.unit_id, state.counted.id, warning.code, cell_of(warning), basis, note, ws.user, at)
            )
        detail = {
            "unit_id": state.unit_id,
            "version": state.counted.version,
            "rule": rule or "全部",
            "count": len(chosen),
            "note": note,
        }
        record.log("accept", detail, ws.user)
    return chosen


def _all_accepted(record: Record, state: UnitState, rule: str | None) -> bool:
    """Whether what was asked for, none of it open, is so because the clerk accepted it already (the same
    acceptance posted twice, or by two colleagues at once)."""
    return any(rule is None or a.code == rule for a in record.acceptances(state.unit_id))


def unaccept(ws: Workspace, unit: str, note: str, rule: str | None = None) -> int:
    """Take back the acceptances of a unit's warnings (all, or one rule's); returns how many there were."""
    note = _note(note, "撤销认可")
    found = ws.unit_named(unit)
    with ws.record.transaction() as record:
        count = record.withdraw_acceptances(found.unit_id, rule)
        if not count:
            raise NianbaoError.of("NOTHING_ACCEPTED", unit=_who(found), what=f"“{rule}”的" if rule else "")
        detail = {"unit_id": found.unit_id, "rule": rule or "全部", "count": count, "note": note}
        record.log("unaccept", detail, ws.user)
    return count


def move_deadline(ws: Workspace, day: date, note: str) -> date | None:
    """Change the round's deadline (units' extensions stay theirs); returns the one it replaces."""
    note = _note(note, "修改截止日期")
    before = ws.deadline
    with ws.record.transaction() as record:
        record.set_meta("deadline", day.isoformat())
        detail = {"before": before.isoformat() if before else "", "after": day.isoformat(), "note": note}
        record.log("deadline", detail, ws.user)
    ws.deadline = day
    return before


KINDS = {"file": "文件", "letter": "来信"}


def dismiss(ws: Workspace, kind: str, ref: int, note: str, undo: bool = False) -> str:
    """Set aside (``undo``: bring back) a file that is no unit's return, or a letter's 来信无统计表 notice;
    returns what it was, in words."""
    note = _note(note, "恢复" if undo else "搁置")
    what = _dismissable(ws, kind, ref)
    with ws.record.transaction() as record:
        changed = record.undismiss(kind, ref) if undo else record.dismiss(kind, ref, note, ws.user)
        if not changed:
            raise NianbaoError.of("NOT_SET_ASIDE" if undo else "ALREADY_SET_ASIDE", what=what)
        record.log(
            "restore" if undo else "dismiss", {"kind": KINDS[kind], "ref": ref, "what": what, "note": note}, ws.user
        )
    return what


def _dismissable(ws: Workspace, kind: str, ref: int) -> str:
    if kind == "file":
        found = ws.record.version_by_id(ref)
        if found is None or found.version is not None:
            raise NianbaoError.of("NOT_DISMISSABLE", kind=KINDS[kind], ref=ref)
        return found.name
    letter = ws.record.letter(ref)
    if letter is None or letter.workbooks:
        raise NianbaoError.of("NOT_DISMISSABLE", kind=KINDS[kind], ref=ref)
    return f"{letter.sender}《{letter.subject}》"


def use(ws: Workspace, unit: str, version: int | None, note: str) -> Version | None:
    """Make ``version`` the one that counts (None: the latest again)."""
    if not note.strip():
        raise NianbaoError.of("NOTE_REQUIRED", action="指定计入的版本", what="理由")
    found = ws.unit_named(unit)
    with ws.record.transaction() as record:
        chosen = None
        if version is None:
            record.unpin(found.unit_id)
        else:
            chosen = ws.numbered(found, version)
            record.pin(found.unit_id, chosen.id, note, ws.user)
        record.log("use", {"unit_id": found.unit_id, "version": version or "最新", "note": note}, ws.user)
    return chosen


def reject(ws: Workspace, unit: str, note: str, version: int | None = None) -> Version:
    """Send the counted version back to its unit with the clerk's reason, for what no rule finds (a figure the
    clerk knows to be wrong, the narrative of another unit …). The unit is 有错误 until a new version comes; the
    reply lists the reason first. ``version``: the one the clerk looked at (refused if another counts now). The
    same reason again for the same version is not a second rejection. Returns the version sent back."""
    note = _note(note, "退回", "原因，单位要据此修改")
    with ws.record.transaction() as record:  # the version judged is the one sent back, whatever comes meanwhile
        state = ws.state_of(unit)
        if state.counted is None:
            raise NianbaoError.of("NOT_SENT_YET", unit=_who(state), action="退回")
        if version is not None and state.counted.version != version:
            raise NianbaoError.of("COUNTED_CHANGED", unit=_who(state), counted=state.counted.version, seen=version)
        if any(r.note == note for r in state.rejections):
            return state.counted
        record.reject(state.unit_id, state.counted.id, note, ws.user)
        record.log("reject", {"unit_id": state.unit_id, "version": state.counted.version, "note": note}, ws.user)
    return state.counted


def withdraw(ws: Workspace, unit: str, note: str) -> int:
    """Take back the clerk's rejections of the counted version (sent back by mistake, or settled by phone);
    returns how many there were."""
    note = _note(note, "撤销退回")
    state = ws.state_of(unit)
    if not state.rejections or state.counted is None:
        raise NianbaoError.of("NOT_REJECTED", unit=_who(state))
    with ws.record.transaction() as record:
        record.withdraw_rejections(state.counted.id)
        record.log("withdraw", {"unit_id": state.unit_id, "version": state.counted.version, "note": note}, ws.user)
    return len(state.rejections)


def extend(ws: Workspace, unit: str, until: date | None, note: str) -> Unit:
    """Grant a unit a later deadline (None: take it back): what it sends by then is not 迟交."""
    note = _note(note, "延期")
    found = ws.unit_named(unit)
    if until is not None and ws.deadline is not None and until <= ws.deadline:
        raise NianbaoError.of("EXTENSION_TOO_EARLY", deadline=ws.deadline.isoformat(), until=until.isoformat())
    with ws.record.transaction() as record:
        if until is None:
            if not record.cancel_extension(found.unit_id):
                raise NianbaoError.of("NOT_EXTENDED", unit=_who(found))
        else:
            record.extend(found.unit_id, until, note, ws.user)
        detail = {"unit_id": found.unit_id, "until": until.isoformat() if until else "", "note": note}
        record.log("extend", detail, ws.user)
    return found
