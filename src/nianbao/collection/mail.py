"""Mail as Chinese townships send it: reading .eml/.mbox/.msg files and decoding messages into their workbooks.

This layer knows nothing of the workspace: it turns raw messages into ``Mail`` (sender, date, subject,
Message-ID, the workbook attachments with their decoded names, and notes on what was left aside). Names
arrive in every form mail programs use: RFC 2047 encoded words (B and Q, gb2312/gbk/gb18030/utf-8, and
gb2312 labels on names that are really GB18030), RFC 2231 ``filename*=``, raw 8-bit GBK or UTF-8, only in
the Content-Type ``name=``; workbooks inside .zip attachments (GBK names without the UTF-8 flag) and inside
forwarded messages. A decoded name is only ever shown, never used as a path.
"""

from __future__ import annotations

import email
import email.header
import email.utils
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.policy import compat32
from pathlib import Path

from nianbao.collection.outlook import (
    CFB_MAGIC,
    DAMAGE,
    DELIVERY_TIME,
    EMBEDDED_MESSAGE,
    OLE_OBJECT,
    OutlookMessage,
    UnreadableMessage,
    damage_code,
    open_msg,
)
from nianbao.io.files import safe_name, shown
from nianbao.io.reading import MAX_FILE_BYTES, is_spreadsheet_name
from nianbao.problems import MESSAGES, NianbaoError

MAX_ATTACHMENT_BYTES = MAX_FILE_BYTES
MAX_MESSAGE_BYTES = 80 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
MAX_DEPTH = 20  # messages inside messages
MAX_NESTING = 60  # deeper than this, a message is not parsed at all (the parser would recurse too far)
MAX_PARTS = 1000  # parts of one message
MAX_HEADER_BYTES = 1024 * 1024  # its header block
MAX_DECODED_BYTES = 60 * 1024 * 1024  # every file taken from one message, decoded and unzipped
TOO_DEEP = "邮件嵌套过深，其余部分已略过"
TOO_BIG_MESSAGE = f"邮件过大（超过 {MAX_MESSAGE_BYTES >> 20} MB），未取附件；请让单位分开发送或直接拷贝文件"
OUTLOOK_TYPE = "application/vnd.ms-outlook"
MAIL_SUFFIXES = (".eml", ".mbox", ".msg")

# Content types that say "spreadsheet" when the name has no extension.
SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "application/x-msexcel": ".xls",
    "application/excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
OTHER_SPREADSHEETS = (".xlsb", ".et", ".ett", ".numbers")
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
# Labels that mail programs put on text that is really GB18030 (a superset of them all).
_GB_LABELS = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "csgb2312", "x-euc-cn", "ms936", "936"}


@dataclass(frozen=True)
class Attachment:
    """A workbook found in a message. ``name`` is a safe single file name (never a path)."""

    name: str
    data: bytes
    where: str = ""  # "转发的邮件中", "压缩包 x.zip 中", or ""
    zipped: bool = False  # taken out of a zip: kept only if it is a return (a zip may hold anything)


@dataclass
class Mail:
    message_id: str
    sender: str  # the address, lower-case
    sender_name: str
    date: datetime | None  # when it was sent, by the sender's clock (the Date header)
    subject: str
    references: str = ""  # In-Reply-To and References, as sent
    arrived: datetime | None = None  # when the recipient's mail server took it (the topmost Received header)
    attachments: list[Attachment] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # names of attachments that are not workbooks
    documents: list[Attachment] = field(default_factory=list)  # Word and PDF files (among others): perhaps a report
    notes: list[str] = field(default_factory=list)  # what was left aside and why, in Chinese
    size: int = 0
    decoded: int = 0  # bytes of the files taken so far (MAX_DECODED_BYTES)

    def take(self, size: int) -> bool:
        """Whether a file of ``size`` bytes fits in the message's budget (said once when one does not)."""
        if self.decoded + size > MAX_DECODED_BYTES:
            if MESSAGES["MAIL_TOO_MUCH"] not in self.notes:
                self.notes.append(MESSAGES["MAIL_TOO_MUCH"])
            return False
        self.decoded += size
        return True


# -- names ------------------------------------------------------------------------------------------


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Text in the charset it claims (gb2312/gbk labels read as GB18030, their superset); unlabelled bytes
    as UTF-8 when that reads as Chinese, else GB18030 (GBK pairs such as 统 = CD B3 are valid UTF-8 too)."""
    wanted = (label or "").strip().strip('"').lower()
    if wanted and wanted not in ("unknown-8bit", "us-ascii", "ascii"):
        try:
            return data.decode("gb18030" if wanted in _GB_LABELS else wanted)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = data.decode("utf-8")
        if all(ord(ch) < 0x80 or _chinese(ch) for ch in text):
            return text
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _chinese(ch: str) -> bool:
    """A character a Chinese file name is made of: CJK, CJK punctuation, full-width forms."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x3FFFF
        or code in (0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x00B7)
    )


def decode_header_text(value: object) -> str:
    """A header or parameter value as text: RFC 2231 tuples, RFC 2047 encoded words, raw 8-bit bytes."""
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text as latin-1)
        charset, _language, text = value
        return decode_bytes(str(text).encode("latin-1", "surrogateescape"), charset)
    if isinstance(value, email.header.Header):
        value = str(value)
    text = str(value)
    raw = text.encode("ascii", "surrogateescape") if _has_surrogates(text) else None
    if raw is not None and b"=?" not in raw:
        return decode_bytes(raw)  # raw 8-bit: GBK or UTF-8 sent without any encoding
    if raw is not None:
        text = decode_bytes(raw)
    if "=?" not in text:
        return text
    try:
        parts = email.header.decode_header(text)
    except Exception:  # a broken encoded word: show it as it came
        return text
    return "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk for chunk, charset in parts
    ).strip()


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def is_workbook_name(name: str) -> bool:
    """A workbook, or a spreadsheet kind that check refuses with advice (.et, .xlsb …)."""
    return is_spreadsheet_name(Path(name)) or Path(name).suffix.lower() in OTHER_SPREADSHEETS


def header_text(message: Message, name: str) -> str:
    """A header as text, raw 8-bit bytes (which the email package would turn into U+FFFD) decoded too."""
    return decode_header_text(_raw_header(message, name))


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            text = str(value)
            return decode_bytes(text.encode("ascii", "surrogateescape")) if _has_surrogates(text) else text
    return ""


def attachment_name(part: Message) -> str:
    """The file name a part was sent under: Content-Disposition filename, else Content-Type name."""
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        raw = _raw_header(part, header)
        if not raw:
            continue
        holder = Message()  # the parameters of the header as decoded text (no 8-bit bytes left to lose)
        holder[header] = raw
        value = holder.get_param(param, header=header)
        if value:
            return decode_header_text(value)
    return ""


def safe_attachment_name(name: str, content_type: str = "") -> str:
    """A single, harmless file name for a decoded attachment name: the last part of any path, no NUL or
    reserved device name; a spreadsheet sent without an extension gets the one its content type says."""
    last = name.replace("\\", "/").split("/")[-1].replace("\x00", "")
    stem, dot, suffix = last.rpartition(".")
    if not dot:
        stem, suffix = last, ""
    suffix = safe_name(suffix, 10).lstrip("_") if suffix else ""
    if not suffix and content_type in SPREADSHEET_TYPES:
        suffix = SPREADSHEET_TYPES[content_type].lstrip(".")
    base = safe_name(stem, 100)
    return f"{base}.{suffix}" if suffix else base


# -- messages ---------------------------------------------------------------------------------------


def over_budget(raw: bytes) -> str:
    """Why a message is not parsed at all ('' when it may be): a header block, a number of parts or a nesting
    that no real letter has, found by scanning the bytes before the parser recurses into them."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    if end > MAX_HEADER_BYTES:
        return MESSAGES["MAIL_HEADER_TOO_BIG"].format(kb=end >> 10)
    depth = nesting(raw)
    if depth > MAX_NESTING:
        return MESSAGES["MAIL_TOO_DEEP"].format(depth=depth)
    parts = len(_CONTENT_TYPE.findall(raw))
    if parts > MAX_PARTS:
        return MESSAGES["MAIL_TOO_MANY_PARTS"].format(parts=parts, limit=MAX_PARTS)
    return ""


_CONTENT_TYPE = re.compile(rb"(?im)^content-type:")
_CONTAINER = re.compile(
    rb"(?im)^content-type:[ \t]*(multipart/|message/rfc822)(?:[^\r\n]|\r?\n[ \t])*|^--([^\r\n]+?)--[ \t]*\r?$"
)
_BOUNDARY = re.compile(rb'(?i)boundary\s*=\s*"?([^";\s]+)')


def nesting(raw: bytes) -> int:
    """How deep the parts of a message nest, from its bytes: each multipart opens a level that its closing
    boundary ends, each attached message one more inside it."""
    stack: list[bytes | None] = []
    deepest = 0
    for match in _CONTAINER.finditer(raw):
        if match.group(1):
            found = _BOUNDARY.search(match.group(0))
            stack.append(found.group(1) if found and match.group(1).lower() == b"multipart/" else None)
            deepest = max(deepest, len(stack))
        elif match.group(2) in stack:
            while stack and stack.pop() != match.group(2):
                pass
    return deepest


def parse_mail(raw: bytes) -> Mail:
    """Everything nianbao needs from one message (RFC 5322 bytes). Never raises for a damaged message; raises
    ``UnreadableMessage`` for one over the budgets (`over_budget`)."""
    refused = over_budget(raw)
    if refused:
        raise UnreadableMessage.damaged(refused)
    message = email.message_from_bytes(raw, policy=compat32)
    sender_name, sender = _sender(message)
    message_id = str(message.get("Message-ID", "")).strip() or _made_up_id(raw)
    references = " ".join(str(message.get(h, "")).strip() for h in ("In-Reply-To", "References")).strip()
    mail = Mail(
        message_id=message_id,
        sender=sender.strip().lower(),
        sender_name=sender_name,
        date=header_date(str(message.get("Date", ""))),
        subject=_one_line(header_text(message, "Subject")),
        references=references,
        arrived=arrival(message),
        size=len(raw),
    )
    if len(raw) > MAX_MESSAGE_BYTES:
        mail.notes.append(TOO_BIG_MESSAGE)
        return mail
    _collect(message, mail, "")
    return mail


def _sender(message: Message) -> tuple[str, str]:
    """The From header's display name and address. The address is parsed before the encoded words are decoded
    (RFC 2047), so that one written inside an encoded name ("张三 <other@qq.com>") is never taken for it; a
    header some mail program encoded whole ("=?gbk?b?…?=" holding name and address) is parsed decoded."""
    raw = _raw_header(message, "From")
    name, address = email.utils.parseaddr(raw)
    if "@" not in address or "=?" in address:
        name, address = email.utils.parseaddr(decode_header_text(raw))
        return _one_line(name), address
    return _one_line(decode_header_text(name)), address


def _one_line(text: str) -> str:
    """A header as one line: an encoded word may hold line breaks (which would otherwise end up in a reply)."""
    return " ".join(text.split())


def _made_up_id(raw: bytes) -> str:
    """For a message without a Message-ID: the same bytes always get the same one, so that a second reading
    is recognised."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@nianbao.invalid>"


def _collect(part: Message, mail: Mail, where: str, depth: int = 0) -> None:
    """The workbooks of ``part`` and everything inside it, forwarded messages included."""
    content_type = part.get_content_type().lower()
    payload = part.get_payload()
    if content_type == "message/rfc822" or part.is_multipart():
        if depth > MAX_DEPTH:
            mail.notes.append(TOO_DEEP)
            return
        inner = "转发的邮件中" if content_type == "message/rfc822" else where
        for sub in payload if isinstance(payload, list) else [payload]:
            if isinstance(sub, Message):
                _collect(sub, mail, inner, depth + 1)
        return
    name = attachment_name(part)
    if not _wanted(name, content_type):
        return
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a damaged transfer encoding: the part is unreadable
        data = None
    shown_name = safe_attachment_name(name or "未命名附件", content_type)
    if isinstance(data, bytes):
        _file(mail, shown_name, content_type, data, where, depth)
    else:
        mail.notes.append(f"附件 {shown_name} 无法解码，已略过")


def _wanted(name: str, content_type: str) -> bool:
    """Whether a part is an attached file at all (not the body, an inline image, a signature)."""
    if not name and content_type not in SPREADSHEET_TYPES and content_type not in ZIP_TYPES:
        return False
    return not (content_type.startswith("image/") or (not name and content_type.startswith("text/")))


def _file(mail: Mail, name: str, content_type: str, data: bytes, where: str, depth: int) -> None:
    """One attached file under its safe name: a zip opened, an Outlook message read as a forwarded one,
    a workbook taken, anything else listed."""
    if name.lower().endswith(".zip") or (content_type in ZIP_TYPES and "." not in name):
        _unzip(data, name, mail, where)
    elif data.startswith(CFB_MAGIC) and (name.lower().endswith(".msg") or content_type == OUTLOOK_TYPE):
        try:
            _collect_msg(open_msg(data), mail, depth + 1)
        except UnreadableMessage as exc:
            mail.notes.append(f"附件 {name}：{exc}")
        except DAMAGE:
            mail.notes.append(f"附件 {name}：{UnreadableMessage('MSG_DAMAGED')}")
    elif is_workbook_name(name):
        _add(mail, name, data, where)
    else:
        mail.others.append(name)
        if name.lower().endswith((".docx", ".pdf")) and len(data) <= MAX_ATTACHMENT_BYTES:
            mail.documents.append(Attachment(name, data, where))


def parse_msg(raw: bytes) -> Mail:
    """Everything nianbao needs from an Outlook .msg file, as ``parse_mail`` gives it from an .eml: the same
    rules for attachments (zips, forwarded messages, limits, safe names). Raises ``UnreadableMessage`` for a
    file that is not a message (not a compound file, cut short, damaged, no message in it)."""
    message = open_msg(raw)
    try:
        sender_name, sender = message.sender()
        mail = Mail(
            message_id=message.message_id() or _made_up_id(raw),
            sender=sender.strip().lower(),
            sender_name=sender_name.strip(),
            date=plausible(message.date()),
            subject=message.subject().strip(),
            references=message.references(),
            arrived=plausible(message.time(DELIVERY_TIME)) or arrival(message.headers()),
            size=len(raw),
        )
        if len(raw) > MAX_MESSAGE_BYTES:
            mail.notes.append(TOO_BIG_MESSAGE)
        else:
            _collect_msg(message, mail, 0)
    except DAMAGE:
        raise UnreadableMessage(damage_code(raw)) from None
    return mail


def _collect_msg(message: OutlookMessage, mail: Mail, depth: int) -> None:
    """The workbooks attached to an Outlook message, and to the messages embedded in it (forwarded ones)."""
    if depth > MAX_DEPTH:
        mail.notes.append(TOO_DEEP)
        return
    where = "转发的邮件中" if depth else ""
    for attachment in message.attachments():
        method = attachment.method()
        if method == EMBEDDED_MESSAGE:
            inner = attachment.embedded()
            if inner is None:
                mail.notes.append(f"转发的邮件 {attachment.name()} 无法读取，已略过")
            else:
                _collect_msg(inner, mail, depth + 1)
            continue
        name, content_type = attachment.name(), attachment.content_type()
        if method == OLE_OBJECT or not _wanted(name, content_type):
            continue  # a picture or object shown in the body
        shown_name = safe_attachment_name(name or "未命名附件", content_type)
        data = attachment.data()
        if data is not None:
            _file(mail, shown_name, content_type, data, where, depth)
        elif is_workbook_name(shown_name):
            mail.notes.append(MESSAGES["CLOUD_ATTACHMENT"].format(name=shown_name))
        else:
            mail.others.append(shown_name)


def _add(mail: Mail, name: str, data: bytes, where: str, zipped: bool = False) -> None:
    if len(data) > MAX_ATTACHMENT_BYTES:
        limit = MAX_ATTACHMENT_BYTES >> 20
        mail.notes.append(f"附件 {name} 过大（超过 {limit} MB），不像是统计表，未收下")
        return
    if mail.take(len(data)):
        mail.attachments.append(Attachment(name, data, where, zipped))


def _unzip(data: bytes, zip_name: str, mail: Mail, where: str) -> None:
    """Workbooks inside a .zip attachment; member names in GBK unless the archive says UTF-8."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        mail.notes.append(f"压缩包 {zip_name} 已损坏，无法打开")
        return
    inside = f"{where}压缩包 {zip_name} 中"
    found = 0
    for info in members[:MAX_ZIP_MEMBERS]:
        name = _zip_member_name(info)
        if info.is_dir() or name.startswith(("__MACOSX/", ".")) or "/." in name:
            continue
        safe = safe_attachment_name(name)
        if not is_workbook_name(safe):
            continue
        found += 1
        if info.flag_bits & 0x1:
            mail.notes.append(f"{inside}的 {safe} 有密码保护，无法取出；请让单位发送不加密的文件")
        elif info.file_size > MAX_ATTACHMENT_BYTES:
            mail.notes.append(f"{inside}的 {safe} 过大（超过 {MAX_ATTACHMENT_BYTES >> 20} MB），未收下")
        elif mail.decoded + info.file_size > MAX_DECODED_BYTES:
            mail.take(info.file_size)  # says the budget is spent; what the archive claims is not read
        else:
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_ATTACHMENT_BYTES + 1)  # the size the archive claims may lie
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
                mail.notes.append(f"{inside}的 {safe} 无法解压，已略过")
                continue
            _add(mail, safe, content, inside, zipped=True)
    if len(members) > MAX_ZIP_MEMBERS:
        mail.notes.append(f"压缩包 {zip_name} 中文件过多，只看了前 {MAX_ZIP_MEMBERS} 个")
    if not found:
        mail.others.append(zip_name)


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")  # how zipfile decoded a name without the UTF-8 flag
    return decode_bytes(raw)


# -- mail files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawMail:
    """One message's bytes and where it was read from (a file, a place in an mbox, a mailbox UID)."""

    source: str
    data: bytes
    mailbox: str = ""  # user@host/folder when read from a mailbox
    uidvalidity: int = 0
    uid: int = 0
    problem: str = ""  # why the message could not be read at all
    outlook: bool = False  # from a .msg file: an Outlook message (or an .eml someone renamed)


def read_mail(raw: RawMail) -> Mail:
    """The ``Mail`` of one message, an .msg file's or RFC 5322 bytes. Raises ``UnreadableMessage`` for an
    Outlook file that holds no readable message, and for an empty file or one with no header line at the start
    (anything that starts like RFC 5322 is read, however damaged)."""
    if raw.data.startswith(CFB_MAGIC) or (raw.outlook and not _looks_like_rfc5322(raw.data)):
        return parse_msg(raw.data)
    start = raw.data.lstrip()
    if not start:
        raise UnreadableMessage("MAIL_EMPTY", "MAIL_UNREADABLE")
    if not _FIELD.match(start) and not start.startswith(b"From "):  # "From " starts some saved .eml files
        raise UnreadableMessage("MAIL_NOT_MAIL", "MAIL_UNREADABLE")
    try:
        return parse_mail(raw.data)
    except (RecursionError, MemoryError, ValueError, LookupError, AssertionError) as exc:  # the budgets' last line
        raise UnreadableMessage.damaged(MESSAGES["MAIL_STRANGE"].format(detail=type(exc).__name__)) from None


_FIELD = re.compile(rb"[!-9;-~]+:")
_KNOWN_FIELD = re.compile(rb"(?im)^(from|date|received|message-id|subject|return-path|mime-version):")


def _looks_like_rfc5322(data: bytes) -> bool:
    """An .eml renamed (or saved by some program) as .msg: header lines from the very first byte."""
    head = data[:8192]
    return _FIELD.match(head) is not None and _KNOWN_FIELD.search(head) is not None


def find_mail_files(paths: Iterable[str | Path]) -> list[Path]:
    """Mail files named, and in folders named (recursively, in a stable order) every .eml/.mbox/.msg."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in MAIL_SUFFIXES and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise NianbaoError(f"找不到 {shown(path)}")
    return found


def iter_mail_files(paths: Iterable[str | Path]) -> Iterator[RawMail]:
    """Every message in the files and folders named, one at a time (an mbox is streamed, never loaded)."""
    for path in find_mail_files(paths):
        suffix = path.suffix.lower()
        if suffix == ".msg":
            yield RawMail(shown(path), path.read_bytes(), outlook=True)
        elif suffix == ".mbox" or (suffix != ".eml" and _looks_like_mbox(path)):
            yield from iter_mbox(path)
        else:
            yield RawMail(shown(path), path.read_bytes())


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(5) == b"From "


def iter_mbox(path: Path, block: int = 1 << 20) -> Iterator[RawMail]:
    """The messages of an mbox file, read a block at a time: memory holds about one message. A message
    ends where a line starting with "From " follows a blank line (or starts the file); ">From " quoting
    (mboxrd and mboxo) is undone."""
    number = 0
    with path.open("rb") as f:
        buffer, begin, scan, ended = b"", 0, 0, False  # the current message starts at begin; look on from scan
        while True:
            start, end = _separator(buffer, begin, scan, ended)
            if start < 0:  # no whole separator line in what was read: read on, or the file is done
                if ended:
                    break
                more = f.read(block)
                buffer, begin, scan, ended = buffer[begin:] + more, 0, end - begin, not more
                continue
            if start > begin:
                number += 1
                yield RawMail(f"{shown(path)} 第 {number} 封", _unquote(buffer[begin:start]))
            begin = scan = end
    if len(buffer) > begin:
        number += 1
        yield RawMail(f"{shown(path)} 第 {number} 封", _unquote(buffer[begin:]))


def _separator(buffer: bytes, begin: int, scan: int, ended: bool) -> tuple[int, int]:
    """Where the next "From " separator line starts and ends in ``buffer`` (whose message starts at ``begin``),
    or (-1, where to look again) when it holds no whole one: more must be read, unless the file has ended."""
    if len(buffer) - begin < len(b"From ") and not ended:
        return -1, begin
    start = begin if buffer.startswith(b"From ", begin) else -1
    while start < 0 or (start > begin and not _blank_line_before(buffer, start)):
        start = buffer.find(b"\nFrom ", max(scan, start)) + 1
        if start == 0:
            return -1, max(begin, len(buffer) - len(b"\nFrom"))
    end = buffer.find(b"\n", start)
    if end < 0:
        return (start, len(buffer)) if ended else (-1, max(begin, start - 1))
    return start, end + 1


def _blank_line_before(buffer: bytes, start: int) -> bool:
    return buffer[buffer.rfind(b"\n", 0, start - 1) + 1 : start] in (b"\n", b"\r\n")


def _unquote(message: bytes) -> bytes:
    last = message.rfind(b"\n", 0, len(message) - 1) + 1
    if message.endswith(b"\n") and message[last:] in (b"\n", b"\r\n"):
        message = message[:last]  # the blank line that separates messages
    if b">From " not in message:
        return message
    return b"\n".join(_unquoted(line) for line in message.split(b"\n"))


def _unquoted(line: bytes) -> bytes:
    return line[1:] if line.startswith(b">") and line.lstrip(b">").startswith(b"From ") else line


def header_date(text: str) -> datetime | None:
    """An RFC 5322 date (a Date header, the end of a Received header), None when it is not one; a date
    without a zone is taken as this computer's."""
    try:
        found = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return plausible(found if found.tzinfo is not None else found.astimezone())


def plausible(at: datetime | None) -> datetime | None:
    """A time a computer can show in any zone, else None: the year 9999 west of Greenwich is past the last
    date there is (a sender's clock or a mail program gone wrong)."""
    return at if at is not None and 1 < at.year < 9999 else None


def arrival(headers: Message) -> datetime | None:
    """When the recipient's mail server took the message: the date of the topmost Received header (the last
    hop, stamped by the server's clock, not the sender's)."""
    received = headers.get_all("Received") or []
    return header_date(str(received[0]).rsplit(";", 1)[-1]) if received and ";" in str(received[0]) else None


def mail_date_text(mail: Mail) -> str:
    return mail.date.astimezone().isoformat(timespec="seconds") if mail.date else ""


def received_time(mail: Mail, now: datetime) -> str:
    """When a message came, for its versions' order and lateness: when the mail server took it, else when it
    was sent; never later than ``now`` (a sender's clock set wrong must not make its version count forever)."""
    at = min(mail.arrived or mail.date or now, now)
    return at.astimezone().isoformat(timespec="seconds")


def short_source(mail: Mail) -> str:
    """How a message is named to the clerk: sender and subject."""
    who = mail.sender or "（无发件人）"
    return f"{who}《{mail.subject}》" if mail.subject else who
