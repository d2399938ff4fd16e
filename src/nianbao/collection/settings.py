"""The round's settings for its letters: who sends them (the county office's name that signs them, its address,
phone and contact person) and how often a unit that has sent nothing is reminded. Kept in the record's meta
table (`Record.settings`), changed with `Workspace.change_settings`, each change logged. Pure: no record, no files.

The reminder cadence (`next_reminder`): the blank workbook goes out once (下发通知); a reminder (催报) is due from
``remind_before`` days before the unit's own deadline (its extension, else the round's), and then every
``remind_every`` days until the unit sends. A round without a deadline reminds every ``remind_every`` days after
the last letter: there is no date to count back from, and a clerk who set none still wants the units chased.

The mail servers the page uses (``smtp``, ``imap``) are kept as addresses without a password (smtps://USER@HOST,
imaps://USER@HOST/FOLDER): the password is asked for each time, never kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from email.utils import formataddr, parseaddr
from unicodedata import normalize

from nianbao.io.roster import mail_addresses
from nianbao.problems import NianbaoError

PREFIX = "settings."  # the meta keys of the settings, apart from the round's own (year, deadline …)
REMIND_BEFORE, REMIND_EVERY = 3, 3  # days: from 3 days before the deadline, every 3 days at most
LONGEST = 366  # days: no cadence counts further

# Each setting as a clerk reads it (the command line's listing, the log).
NAMES = {
    "office": "落款单位",
    "sender": "发件人",
    "contact": "联系人",
    "phone": "联系电话",
    "remind_before": "截止前几天起催报",
    "remind_every": "催报间隔天数",
    "smtp": "发信服务器",
    "imap": "收信邮箱",
}
SERVER_SCHEMES = {  # a server setting's schemes (the TLS one first, with its port) and how it is written
    "smtp": ({"smtps": 465, "smtp": 587}, "smtps://用户名@服务器[:端口]"),
    "imap": ({"imaps": 993, "imap": 143}, "imaps://用户名@服务器/文件夹"),
}


@dataclass(frozen=True)
class RoundSettings:
    """The letters' sender and the reminder cadence. ``office`` is the name that signs the letters (the
    workspace's own unit name unless the clerk gave another); ``sender`` an address, with a name before it if
    one was given (“县政务公开办 <xxgk@county.gov.cn>”), as the clerk reads it (`from_header` encodes it)."""

    office: str
    sender: str = ""
    contact: str = ""
    phone: str = ""
    remind_before: int = REMIND_BEFORE
    remind_every: int = REMIND_EVERY
    smtp: str = ""  # where replies are sent from: smtps://USER@HOST[:PORT] ('' for none)
    imap: str = ""  # the mailbox returns are read from: imaps://USER@HOST[:PORT]/FOLDER ('' for none)

    @classmethod
    def from_meta(cls, meta: Mapping[str, str]) -> RoundSettings:
        """The settings kept in the meta table; what was never set has its default."""
        kept = {key.removeprefix(PREFIX): value for key, value in meta.items() if key.startswith(PREFIX)}
        return cls(
            office=kept.get("office") or meta.get("unit_name", ""),
            sender=kept.get("sender", ""),
            contact=kept.get("contact", ""),
            phone=kept.get("phone", ""),
            remind_before=_days(kept.get("remind_before"), REMIND_BEFORE),
            remind_every=_days(kept.get("remind_every"), REMIND_EVERY),
            smtp=kept.get("smtp", ""),
            imap=kept.get("imap", ""),
        )

    def to_meta(self) -> dict[str, str]:
        return {f"{PREFIX}{f.name}": str(getattr(self, f.name)) for f in fields(self)}

    def changed(self, changes: Mapping[str, str | int | None], default_office: str) -> RoundSettings:
        """These settings with ``changes`` (a setting's name and its new value; None: unchanged), each checked:
        an address that is no address, a number of days out of range are refused. An empty office is the
        default (``default_office``, the workspace's unit name); an empty sender, contact or phone, none."""
        new: dict[str, str] = {}
        for name, value in changes.items():
            if value is None:
                continue
            if name in ("remind_before", "remind_every"):
                new[name] = str(_checked_days(name, value))
            elif name == "sender":
                new[name] = sender_of(str(value))
            elif name in SERVER_SCHEMES:
                new[name] = server_of(name, str(value))
            elif name in NAMES:
                new[name] = " ".join(str(value).split())  # one line: it is a line of the letter
            else:
                raise ValueError(name)
        changed = {f"{PREFIX}{name}": value for name, value in new.items()}
        return RoundSettings.from_meta({**self.to_meta(), **changed, "unit_name": default_office})

    def differences(self, before: RoundSettings) -> dict[str, list[str | int]]:
        """What changed from ``before``: each setting's name, its old and new value (what the log keeps)."""
        return {
            f.name: [getattr(before, f.name), getattr(self, f.name)]
            for f in fields(self)
            if getattr(before, f.name) != getattr(self, f.name)
        }


def sender_of(text: str) -> str:
    """An address as the clerk gave it, checked (“xxgk@county.gov.cn” or “县政务公开办 <xxgk@county.gov.cn>”);
    '' for none."""
    text = text.strip()
    if not text:
        return ""
    name, address = parseaddr(text)
    found, wrong = mail_addresses(address)
    if len(found) != 1 or wrong:
        raise NianbaoError.of("NOT_AN_ADDRESS", text=text)
    name = " ".join(name.split())
    return f"{name} <{found[0]}>" if name else found[0]


def server_of(name: str, text: str) -> str:
    """A mail server's address as the clerk gave it, checked (no password in it, ever); '' for none."""
    from nianbao.collection.servers import parse_server_url

    text = text.strip()
    if text:
        schemes, example = SERVER_SCHEMES[name]
        parse_server_url(text, schemes, example)
    return text


def from_header(sender: str) -> str:
    """The From header of a sender (`sender_of`): its name encoded, so that every mail program shows it."""
    if not sender:
        return ""
    return formataddr(parseaddr(sender), charset="utf-8")


def next_reminder(last_letter: date, deadline: date | None, before: int, every: int) -> date:
    """The first day a reminder may go to a unit that has sent nothing: ``every`` days after the last letter it
    was sent (the blank workbook or a reminder), and not before ``before`` days before its deadline (its
    extension, else the round's; no deadline: ``every`` days after the last letter)."""
    due = last_letter + timedelta(days=every)
    return max(due, deadline - timedelta(days=before)) if deadline else due


def _days(kept: str | None, default: int) -> int:
    return int(kept) if kept and kept.isascii() and kept.isdigit() else default


def _checked_days(name: str, value: str | int) -> int:
    least = 1 if name == "remind_every" else 0
    text = normalize("NFKC", str(value)).strip()  # ３ typed with a Chinese input method is 3
    if not (text.isascii() and text.isdigit()) or not least <= int(text) <= LONGEST:
        raise NianbaoError.of("BAD_DAYS", what=NAMES[name], value=text, least=least, most=LONGEST)
    return int(text)
