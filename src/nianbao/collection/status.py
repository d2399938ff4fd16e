"""The round's status: each unit's facts read from the record, the across-units review (kept in the record until
what it came from changes), and the judgement of collection/states.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

import nianbao.version
from nianbao.collection.model import Letter, RoundStatus, UnitState, Version
from nianbao.collection.states import Judged, basis, judge
from nianbao.form import form_file
from nianbao.io.roster import Unit
from nianbao.problems import MESSAGES, WARNING, Problem

SENDER_OTHER_UNIT = "SENDER_OTHER_UNIT"

if TYPE_CHECKING:
    from nianbao.collection.workspace import Workspace

REVIEW = "units_review"  # the name the across-units review is kept under


class Standing:
    """Works out units' states for one open workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.record = workspace.record

    def status(self) -> RoundStatus:
        """Every roster unit's state, and the files and messages that are no unit's return."""
        ws = self.workspace
        states = self.states(ws.units, every=True)
        letters = [letter for letter in self.record.letters_without_workbook() if not self._answered(letter)]
        return RoundStatus(ws.year, ws.deadline, states, self.record.unidentified(), letters, self.record.dismissed())

    def _answered(self, letter: Letter) -> bool:
        """Whether the unit whose roster address sent a letter without a workbook has sent a return since."""
        sender = letter.sender.lower()
        for unit_id, addresses in self.workspace.contacts.addresses.items():
            latest = self.record.latest_arrival(unit_id) if sender in addresses else None
            if latest is not None and not self.record.arrived_before(latest, letter.sent_at):
                return True
        return False

    def states(self, units: Sequence[Unit], *, every: bool = False) -> list[UnitState]:
        """The states of some roster units (``every``: all of them, in roster order). One unit's is worked out
        without reading every unit's versions: the comparison with the other units comes from the kept review."""
        facts = self.record.facts(None if every else [u.unit_id for u in units])
        review = self.review(
            lambda: (
                {u.unit_id: f.counted.id for u in units if (f := facts.get(u.unit_id)) and f.counted}
                if every
                else self.record.counted_ids([u.unit_id for u in self.workspace.units])
            )
        )
        contacts = self.workspace.contacts
        today = date.today()
        states = []
        for unit in units:
            found = facts.get(unit.unit_id)
            sender = found.counted.sender if found and found.counted else ""
            warning = contacts.sender_warning(unit.unit_id, sender)
            counted = found.counted if found else None
            damaged = self.workspace.layout.damage(counted.stored, counted.size) if counted else ""
            flags = self._sender_flags(unit, sender)
            judged = Judged(self.workspace.deadline, review.get(unit.unit_id, ()), warning, today, damaged, flags)
            states.append(judge(unit, found, judged, self.basis))
        return states

    def _sender_flags(self, unit: Unit, sender: str) -> tuple[Problem, ...]:
        """A warning when the counted version came from another roster unit's address."""
        owners = self.workspace.contacts.owners.get(sender.lower(), set()) if sender else set()
        if not owners or unit.unit_id in owners:
            return ()
        names = {u.unit_id: u.unit_name for u in self.workspace.units}
        others = "、".join(f"{o} {names.get(o, '')}".strip() for o in sorted(owners))
        said = MESSAGES["SENDER_OTHER_UNIT"].format(
            sender=sender, others=others, unit=f"{unit.unit_id} {unit.unit_name}"
        )
        return (Problem(WARNING, SENDER_OTHER_UNIT, said, params={"value": sender}),)

    # -- acceptances -------------------------------------------------------------------------------------

    @cached_property
    def _by_place(self) -> dict[tuple[str, str], str]:
        return {(c.sheet, c.a1): c.code for c in self.workspace.form.cells.values()}

    @cached_property
    def _across(self) -> set[str]:
        return {r.id for r in self.workspace.form.review.units}

    def basis(self, warning: Problem, version: Version) -> str:
        """What an acceptance of ``warning`` on ``version`` relies on (collection/states.py)."""
        if warning.code in self._across or warning.code == SENDER_OTHER_UNIT:  # holds while the figure, the sender
            return basis(warning, {}, (), across=True)
        form = self.workspace.form
        codes: list[str] = []
        rule = next((r for r in form.rules if r.id == warning.code), None)
        place = (warning.sheet, warning.cell)
        if rule is not None:
            for relation in rule.checks:
                anchor = form.cells[relation.anchor]
                if (anchor.sheet, anchor.a1) == place:
                    codes += relation.codes()
        elif place in self._by_place:
            codes.append(self._by_place[place])
        return basis(warning, dict(version.figures), codes, across=False)

    # -- the across-units review -------------------------------------------------------------------------

    @cached_property
    def review_codes(self) -> list[str]:
        """The cells the across-units review reads."""
        return sorted({code for rule in self.workspace.form.review.units for code in rule.cells})

    def headline(self, figures: str) -> str:
        """The figures the across-units review reads, from a version's figures (JSON), as JSON."""
        every = json.loads(figures)
        return json.dumps({code: every.get(code) for code in self.review_codes}) if self.review_codes else ""

    def review(self, counted: Callable[[], Mapping[str, int]]) -> dict[str, list[Problem]]:
        """The across-units review of the counted versions (``counted`` gives their file ids by unit, in roster
        order, when the review must be worked out): a unit's headline figure far above the median of the others
        of its kind (the roster's 类型). Kept in the record until the counted versions, the roster or the spec
        change: a status of thousands of units neither parses the spec nor compares every unit, and a unit's
        page does not read every unit's versions."""
        ws = self.workspace
        digest = hashlib.sha256(nianbao.version.__version__.encode())
        for path in (form_file(ws.form_name), ws.roster_path):
            digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(self.record.counted_key().encode())
        key = digest.hexdigest()
        kept = self.record.cached(REVIEW, key)
        if kept is None:
            found = self._review_now(counted())
            kept = json.dumps(found, ensure_ascii=False)
            self.record.keep(REVIEW, key, kept)
        return {unit_id: [Problem.from_json(p) for p in problems] for unit_id, problems in json.loads(kept).items()}

    def _review_now(self, counted: Mapping[str, int]) -> dict[str, list[dict[str, object]]]:
        """The across-units review worked out: only the figures it needs are read from the record."""
        from nianbao.form.review import units_review

        codes = self.review_codes
        if not codes or not counted:
            return {}
        figures = {
            unit_id: {c: v if isinstance(v, (int, float)) else None for c, v in found.items()}
            for unit_id, found in self.record.headlines(counted.values(), codes).items()
        }
        found = units_review(self.workspace.form, figures, self.workspace.contacts.kinds)
        return {unit_id: [p.to_json() for p in problems] for unit_id, problems in found.items()}
