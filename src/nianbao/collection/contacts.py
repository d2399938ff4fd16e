"""What the workspace's roster says beyond codes and names: each unit's kind (类型), mail addresses, contact
person and phone. Read from the workspace's copy of the roster when first needed, and kept while its bytes
are the same (a page of a round of thousands opens the workspace for every request)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from nianbao.io.roster import KIND_HEADERS, Unit, is_mail_column, mail_addresses, may_have_column, read_roster
from nianbao.problems import NianbaoError


@dataclass(frozen=True)
class Contact:
    addresses: tuple[str, ...] = ()  # sorted
    person: str = ""
    phone: str = ""


@dataclass
class Contacts:
    path: Path
    _units: list[Unit] | None = field(default=None, repr=False)

    @property
    def units(self) -> list[Unit]:
        """The roster as read from the workspace's copy (with its other columns), or none if it can no longer be
        read."""
        if self._units is None:
            try:
                self._units = read_roster(self.path)
            except NianbaoError:
                self._units = []
        return self._units

    @cached_property
    def kinds(self) -> dict[str, str]:
        """Each unit's kind (镇, 乡, 部门 …) from the roster's 类型 column, if it has one."""
        if not may_have_column(self.path, KIND_HEADERS):
            return {}  # the roster is not read at all: status of thousands of units stays quick
        return {u.unit_id: u.kind for u in self.units if u.kind}

    @cached_property
    def addresses(self) -> dict[str, set[str]]:
        """Each unit's mail addresses from the roster's contact column (邮箱, 电子邮箱, email …), if it has one."""
        found: dict[str, set[str]] = {}
        for unit in self.units:
            for column, value in unit.extra.items():
                if is_mail_column(column):
                    found.setdefault(unit.unit_id, set()).update(mail_addresses(value)[0])
        return found

    @cached_property
    def people(self) -> dict[str, Contact]:
        """Each unit's addresses (as the roster lists them), contact person and phone number."""
        found: dict[str, Contact] = {}
        for unit in self.units:
            person = phone = ""
            for column, value in unit.extra.items():
                if not value.strip():
                    continue
                if "电话" in column or "手机" in column or "phone" in column.lower():
                    phone = value.strip()
                elif "联系人" in column or "contact" in column.lower():
                    person = value.strip()
            addresses = tuple(sorted(self.addresses.get(unit.unit_id, ())))
            if addresses or person or phone:
                found[unit.unit_id] = Contact(addresses, person, phone)
        return found

    @cached_property
    def owners(self) -> dict[str, set[str]]:
        """The units whose roster addresses include each address."""
        found: dict[str, set[str]] = {}
        for unit_id, addresses in self.addresses.items():
            for address in addresses:
                found.setdefault(address, set()).add(unit_id)
        return found

    def address_problems(self) -> list[str]:
        """What in the roster's mail column is no address (and so is not used), a sentence each."""
        problems = []
        for unit in self.units:
            for column, value in unit.extra.items():
                wrong = mail_addresses(value)[1] if is_mail_column(column) else []
                if wrong:
                    pieces = "、".join(f"“{w}”" for w in wrong)
                    problems.append(
                        f"名单上 {unit.unit_id} {unit.unit_name} 的{column}“{value}”中 {pieces} 不是邮箱地址，未使用"
                    )
        return problems

    def sender_warning(self, unit_id: str, sender: str) -> str:
        """A warning when a version came by mail from an address that is not the unit's in the roster."""
        if not sender:  # not by mail: the roster is not read
            return ""
        known = self.addresses.get(unit_id)
        if not known or sender.lower() in known:
            return ""
        return f"发件人 {sender} 不是名单上该单位的邮箱（{'、'.join(sorted(known))}），请核实是否确为该单位报送"


def unit_in_name(name: str, units: Sequence[Unit]) -> Unit | None:
    """The roster unit a file's name names (“五峰镇_2025年报.et”): by its code, else by the longest unit name in
    it; None when none does, or when two units fit equally well (never a guess between two)."""
    stem = Path(name).stem
    coded = _longest([u for u in units if len(u.unit_id) >= 3 and u.unit_id in stem], lambda u: u.unit_id)
    return coded or _longest([u for u in units if len(u.unit_name) >= 2 and u.unit_name in stem], lambda u: u.unit_name)


def _longest(units: list[Unit], key: Callable[[Unit], str]) -> Unit | None:
    if not units:
        return None
    longest = max(len(key(u)) for u in units)
    best = [u for u in units if len(key(u)) == longest]
    return best[0] if len(best) == 1 else None


_KEPT: dict[Path, tuple[str, Contacts]] = {}


def contacts_of(path: Path) -> Contacts:
    """The contacts of the roster at ``path``, read once while its bytes stay the same."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return Contacts(path)
    kept = _KEPT.get(path)
    if kept is None or kept[0] != digest:
        kept = _KEPT[path] = (digest, Contacts(path))
    return kept[1]
