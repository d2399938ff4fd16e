"""Outlook .msg files: a message saved by Outlook is a Compound File (MS-CFB, read with olefile) laid out as
MS-OXMSG describes. This module reads what nianbao needs from one — sender, date, subject, Message-ID, body,
attachments and embedded (forwarded) messages — and knows nothing of ``Mail``: mail.py turns what it reads
into the same ``Mail`` that an .eml gives.

Layout: each object (the message, an attachment, an embedded message) is a storage holding
``__properties_version1.0`` (a header, then 16-byte entries: the fixed-size values such as numbers and times)
and one ``__substg1.0_IIIITTTT`` stream per variable-size property (property id IIII, type TTTT). Strings are
UTF-16LE (type 001F) or 8-bit (001E) in the message's code page — cp936 when Chinese Outlook wrote them.
Attachments are ``__attach_version1.0_#XXXXXXXX`` storages; an embedded message is the storage
``__substg1.0_3701000D`` inside its attachment.
"""

from __future__ import annotations

import codecs
import email
import email.utils
import io
import struct
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from email.message import Message

import olefile

from nianbao.problems import MESSAGES, NianbaoError

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Property types
PT_LONG, PT_BOOLEAN, PT_OBJECT, PT_STRING8, PT_UNICODE, PT_SYSTIME, PT_BINARY = (
    0x0003,
    0x000B,
    0x000D,
    0x001E,
    0x001F,
    0x0040,
    0x0102,
)
# Property ids (MS-OXPROPS)
SUBJECT = 0x0037
CLIENT_SUBMIT_TIME = 0x0039
SENT_REPRESENTING_NAME = 0x0042
SENT_REPRESENTING_EMAIL = 0x0065
TRANSPORT_HEADERS = 0x007D
SENDER_NAME = 0x0C1A
SENDER_EMAIL = 0x0C1F
DELIVERY_TIME = 0x0E06
BODY = 0x1000
INTERNET_MESSAGE_ID = 0x1035
INTERNET_REFERENCES = 0x1039
IN_REPLY_TO = 0x1042
DISPLAY_NAME = 0x3001
ATTACH_DATA = 0x3701
ATTACH_FILENAME = 0x3704
ATTACH_METHOD = 0x3705
ATTACH_LONG_FILENAME = 0x3707
ATTACH_MIME_TAG = 0x370E
INTERNET_CPID = 0x3FDE
MESSAGE_CODEPAGE = 0x3FFD
SENDER_SMTP = 0x5D01
SENT_REPRESENTING_SMTP = 0x5D02
# Attachment methods (PidTagAttachMethod)
BY_VALUE, EMBEDDED_MESSAGE, OLE_OBJECT = 1, 5, 6

PROPERTIES = "__properties_version1.0"
ATTACH_PREFIX = "__attach_version1.0_#"
EMBEDDED = f"__substg1.0_{ATTACH_DATA:04X}{PT_OBJECT:04X}"
# The header before the property entries: top-level message, embedded message, attachment or recipient.
TOP_HEADER, EMBEDDED_HEADER, OBJECT_HEADER = 32, 24, 8
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
# Windows code pages whose Python codec is not simply "cp<number>".
_CODEPAGES = {
    936: "gb18030",  # GBK as Chinese Windows writes it; GB18030 reads it all
    20936: "gb18030",
    54936: "gb18030",
    65001: "utf-8",
    1200: "utf-16-le",
    20127: "ascii",
    50220: "iso2022_jp",
    50221: "iso2022_jp",
    50222: "iso2022_jp",
    51932: "euc_jp",
    51949: "euc_kr",
    **{28590 + n: f"iso8859_{n}" for n in range(1, 16)},
}
# What olefile and struct raise on a damaged compound file (a bad sector chain, a short stream …).
DAMAGE = (OSError, ValueError, IndexError, KeyError, struct.error, RecursionError, OverflowError, EOFError)


class UnreadableMessage(NianbaoError):
    """A .msg file (or, with ``outer="MAIL_UNREADABLE"``, an .eml) that is not a message nianbao can read; the
    message says why and what to do."""

    def __init__(self, code: str, outer: str = "MSG_UNREADABLE", why: str = "") -> None:
        super().__init__(MESSAGES[outer].format(why=why or MESSAGES[code]))
        self.code = code

    @classmethod
    def damaged(cls, why: str) -> UnreadableMessage:
        """A message over nianbao's budgets (too deep, too many parts …): recorded as damaged, never parsed."""
        return cls("MAIL_DAMAGED", "MAIL_DAMAGED", why)


def open_msg(data: bytes) -> OutlookMessage:
    """The message in the bytes of a .msg file; raises ``UnreadableMessage`` for anything else. Reading the
    message may still raise one of ``DAMAGE`` where a stream of a damaged file cannot be read."""
    if not data.startswith(CFB_MAGIC):
        raise UnreadableMessage("MSG_NOT_OUTLOOK")
    try:
        # Strict: a sector chain cut short or out of the file is an error, not silently shorter data.
        ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
        entries = {tuple(name.lower() for name in path) for path in ole.listdir(streams=True, storages=True)}
        if not _chains_end(ole):
            raise OSError("a sector chain runs in a loop")
        if (PROPERTIES,) not in entries or not any(path[0].startswith("__substg1.0_") for path in entries):
            raise UnreadableMessage("MSG_NO_MESSAGE")
        return OutlookMessage(_Storage(ole, entries), (), TOP_HEADER, None)
    except DAMAGE:
        raise UnreadableMessage(damage_code(data)) from None


def _chains_end(ole: olefile.OleFileIO) -> bool:
    """No sector chain of the file runs round in a loop (olefile would read such a stream as repeated data).
    In a sound file no sector follows two others and no chain starts at a sector that another leads to; a
    chain that came back on itself would break one of the two."""
    regular = [ole.first_dir_sector, ole.first_mini_fat_sector, ole.root.isectStart]
    mini: list[int] = []
    for entry in ole.direntries:
        if entry is not None and entry.entry_type == olefile.STGTY_STREAM and entry.size:
            (mini if entry.size < ole.minisectorcutoff else regular).append(entry.isectStart)
    if not _no_loops(ole.fat, regular):
        return False
    if mini:
        ole.loadminifat()
        return _no_loops(ole.minifat, mini)
    return True


def _no_loops(table: Sequence[int], starts: list[int]) -> bool:
    following = [sector for sector in table if sector <= olefile.MAXREGSECT]
    return len(following) == len(set(following)) and not set(following) & set(starts)


def damage_code(data: bytes) -> str:
    """Truncated (the file is not a whole number of sectors, as a copy cut short leaves it) or damaged."""
    shift = int.from_bytes(data[30:32], "little") if len(data) >= 32 else 0
    whole = shift in (9, 12) and len(data) >= 3 << shift and len(data) % (1 << shift) == 0
    return "MSG_DAMAGED" if whole else "MSG_TRUNCATED"


class _Storage:
    """The compound file and the set of its entries' paths (lower-case), so that looking up never raises."""

    def __init__(self, ole: olefile.OleFileIO, entries: set[tuple[str, ...]]) -> None:
        self.ole, self.entries = ole, entries

    def stream(self, path: tuple[str, ...]) -> bytes | None:
        if tuple(p.lower() for p in path) not in self.entries or self.ole.get_type(list(path)) != olefile.STGTY_STREAM:
            return None
        return bytes(self.ole.openstream(list(path)).read())

    def children(self, path: tuple[str, ...], prefix: str) -> list[str]:
        """Names of the storages directly inside ``path`` whose name starts with ``prefix``, in order."""
        depth, low = len(path), tuple(p.lower() for p in path)
        return sorted(
            e[depth] for e in self.entries if len(e) == depth + 1 and e[:depth] == low and e[depth].startswith(prefix)
        )

    def has(self, path: tuple[str, ...]) -> bool:
        return tuple(p.lower() for p in path) in self.entries


class _Object:
    """One object of the file: its fixed-size properties (from the property stream) and its streams."""

    def __init__(self, storage: _Storage, path: tuple[str, ...], header: int, codepage: int | None) -> None:
        self.storage, self.path = storage, path
        raw = storage.stream((*path, PROPERTIES)) or b""
        self.fixed: dict[int, bytes] = {}
        for offset in range(header, len(raw) - 15, 16):
            tag, _flags, value = struct.unpack_from("<II8s", raw, offset)
            self.fixed[tag] = value
        own = self.int32(MESSAGE_CODEPAGE) or self.int32(INTERNET_CPID)
        self.codepage = own or codepage

    def int32(self, pid: int) -> int | None:
        value = self.fixed.get(pid << 16 | PT_LONG)
        return None if value is None else int.from_bytes(value[:4], "little", signed=True)

    def time(self, pid: int) -> datetime | None:
        value = self.fixed.get(pid << 16 | PT_SYSTIME)
        if value is None:
            return None
        ticks = int.from_bytes(value, "little")
        try:
            return _FILETIME_EPOCH + timedelta(microseconds=ticks // 10) if ticks else None
        except OverflowError:
            return None

    def binary(self, pid: int) -> bytes | None:
        return self.storage.stream((*self.path, f"__substg1.0_{pid:04X}{PT_BINARY:04X}"))

    def text(self, pid: int) -> str:
        """A string property, UTF-16LE or 8-bit in the code page; up to its first NUL (writers differ on it)."""
        unicode = self.storage.stream((*self.path, f"__substg1.0_{pid:04X}{PT_UNICODE:04X}"))
        if unicode is not None:
            return unicode[: len(unicode) // 2 * 2].decode("utf-16-le", "replace").split("\x00")[0]
        eight = self.storage.stream((*self.path, f"__substg1.0_{pid:04X}{PT_STRING8:04X}"))
        return "" if eight is None else decode_8bit(eight.split(b"\x00")[0], self.codepage)


def decode_8bit(data: bytes, codepage: int | None) -> str:
    """8-bit text in a Windows code page; without one (or an unknown one), UTF-8 if it reads, else GB18030."""
    codec = _CODEPAGES.get(codepage or 0) or (f"cp{codepage}" if codepage else "")
    if codec:
        try:
            return data.decode(codecs.lookup(codec).name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


class OutlookMessage(_Object):
    """A message: the file itself, or one embedded in an attachment (a forwarded message)."""

    _headers: Message | None = None

    def subject(self) -> str:
        return self.text(SUBJECT)

    def sender(self) -> tuple[str, str]:
        """(name, SMTP address): From (sent representing) before Sender, an Exchange X.500 name never taken
        for an address; the saved Internet headers when the properties have no address."""
        name = self.text(SENT_REPRESENTING_NAME) or self.text(SENDER_NAME)
        for pid in (SENT_REPRESENTING_SMTP, SENDER_SMTP, SENT_REPRESENTING_EMAIL, SENDER_EMAIL):
            address = self.text(pid).strip()
            if "@" in address and not address.startswith("/"):
                return name, address
        from_header = self.headers().get("From")
        if from_header:
            header_name, address = email.utils.parseaddr(str(from_header))
            return name or header_name, address
        return name, ""

    def date(self) -> datetime | None:
        """When it was sent (else when it arrived, else the saved Date header)."""
        found = self.time(CLIENT_SUBMIT_TIME) or self.time(DELIVERY_TIME)
        if found is None and self.headers().get("Date"):
            try:
                found = email.utils.parsedate_to_datetime(str(self.headers()["Date"]))
            except (TypeError, ValueError, IndexError):
                found = None
        return found

    def message_id(self) -> str:
        return (self.text(INTERNET_MESSAGE_ID) or str(self.headers().get("Message-ID", ""))).strip()

    def references(self) -> str:
        return " ".join(self.text(pid).strip() for pid in (IN_REPLY_TO, INTERNET_REFERENCES)).strip()

    def body(self) -> str:
        return self.text(BODY)

    def headers(self) -> Message:
        """The Internet headers Outlook kept for a message that came by mail (empty for one written in it)."""
        if self._headers is None:
            self._headers = email.message_from_string(self.text(TRANSPORT_HEADERS) + "\n\n")
        return self._headers

    def attachments(self) -> Iterator[OutlookAttachment]:
        for name in self.storage.children(self.path, ATTACH_PREFIX):
            yield OutlookAttachment(self.storage, (*self.path, name), OBJECT_HEADER, self.codepage)


class OutlookAttachment(_Object):
    def name(self) -> str:
        """The long file name, else the 8.3 one, else the name shown for it."""
        return self.text(ATTACH_LONG_FILENAME) or self.text(ATTACH_FILENAME) or self.text(DISPLAY_NAME)

    def content_type(self) -> str:
        return self.text(ATTACH_MIME_TAG).strip().lower()

    def method(self) -> int:
        return self.int32(ATTACH_METHOD) or BY_VALUE

    def data(self) -> bytes | None:
        """The file's bytes; None when the file holds none (a link to the file, a cloud attachment)."""
        return self.binary(ATTACH_DATA)

    def embedded(self) -> OutlookMessage | None:
        """The message attached (attach method 5), which has its own properties, attachments and code page."""
        path = (*self.path, EMBEDDED)
        if not self.storage.has((*path, PROPERTIES)):
            return None
        return OutlookMessage(self.storage, path, EMBEDDED_HEADER, self.codepage)
