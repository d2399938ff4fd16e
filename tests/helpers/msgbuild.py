"""Outlook .msg files for the tests, written from scratch: no tool on this machine writes them.

Two layers. ``compound_file`` writes a Compound File Binary (MS-CFB version 3): 512-byte sectors chained by
a FAT, streams under 4096 bytes in the mini stream (64-byte sectors chained by the mini FAT), and a
directory whose siblings form a binary search tree (by name length, then upper-case name), balanced and
coloured red-black. ``outlook_message`` lays a message out in it as MS-OXMSG says: property streams
(``__properties_version1.0``: a header, then 16-byte entries), one ``__substg1.0_IIIITTTT`` stream per
variable-size property, recipient and attachment storages, embedded messages in ``__substg1.0_3701000D``,
and the (here empty) named-property storage. Strings are UTF-16LE, or 8-bit in a code page when asked.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime, timezone

SECTOR, MINI_SECTOR, CUTOFF = 512, 64, 4096
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1
# {00020D0B-0000-0000-C000-000000000046}: the class of an Outlook message
MESSAGE_CLSID = struct.pack("<IHH8s", 0x00020D0B, 0, 0, bytes.fromhex("C000000000000046"))

Tree = dict[str, "bytes | Tree"]


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    colour: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0
    clsid: bytes = bytes(16)


def compound_file(tree: Tree, root_clsid: bytes = MESSAGE_CLSID, clsids: dict[str, bytes] | None = None) -> bytes:
    """The bytes of a compound file holding ``tree`` (a storage: names to bytes for streams, to dicts for
    storages). ``clsids`` gives storages (by name) a class id."""
    entries = [_Entry("Root Entry", ROOT, clsid=root_clsid)]
    _add_children(entries, 0, tree, clsids or {})
    for entry in entries:
        entry.child = _sibling_tree(entries, entry.children)

    # Streams under the cutoff go to the mini stream, the others to sectors of their own.
    mini_stream, mini_fat = bytearray(), []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != STREAM:
            continue
        entry.size = len(entry.data)
        if not entry.data:
            entry.start = ENDOFCHAIN
        elif entry.size < CUTOFF:
            entry.start = len(mini_stream) // MINI_SECTOR
            count = -(-entry.size // MINI_SECTOR)
            mini_fat += [entry.start + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
            mini_stream += entry.data.ljust(count * MINI_SECTOR, b"\0")
        else:
            big.append(entry)

    sectors: list[bytes] = []  # every sector after the header, in order
    fat: list[int] = []

    def place(data: bytes, marker: int | None = None) -> int:
        """Put data in consecutive sectors chained in the FAT; returns the first sector."""
        first = len(sectors)
        count = max(1, -(-len(data) // SECTOR))
        for i in range(count):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(marker if marker is not None else first + i + 1 if i < count - 1 else ENDOFCHAIN)
        return first

    for entry in big:
        entry.start = place(entry.data)
    root = entries[0]
    if mini_stream:
        root.start, root.size = place(bytes(mini_stream)), len(mini_stream)
    mini_fat_start, mini_fat_count = ENDOFCHAIN, 0
    if mini_fat:
        table = b"".join(struct.pack("<I", s) for s in mini_fat)
        table = table.ljust(-(-len(table) // SECTOR) * SECTOR, b"\xff")  # FREESECT for the unused ones
        mini_fat_start, mini_fat_count = place(table), len(table) // SECTOR
    while len(entries) % (SECTOR // 128):
        entries.append(_Entry("", 0, start=0))
    directory_start = place(b"".join(_directory_entry(e) for e in entries))

    # The FAT describes itself too: enough FAT sectors for every sector, these included.
    fat_count = 1
    while fat_count * (SECTOR // 4) < len(sectors) + fat_count:
        fat_count += 1
    if fat_count > 109:
        raise ValueError("the test writer keeps the FAT in the header's 109 places (files up to ~7 MB)")
    fat_start = len(sectors)
    fat += [FATSECT] * fat_count
    table = b"".join(struct.pack("<I", s) for s in fat).ljust(fat_count * SECTOR, b"\xff")
    for i in range(fat_count):
        sectors.append(table[i * SECTOR : (i + 1) * SECTOR])

    difat = [fat_start + i for i in range(fat_count)] + [FREESECT] * (109 - fat_count)
    header = (
        MAGIC
        + bytes(16)  # header CLSID
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major version, byte order, shifts
        + bytes(6)
        + struct.pack(
            "<IIIIIIIII", 0, fat_count, directory_start, 0, CUTOFF, mini_fat_start, mini_fat_count, ENDOFCHAIN, 0
        )
        + struct.pack("<109I", *difat)
    )
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _add_children(entries: list[_Entry], parent: int, tree: Tree, clsids: dict[str, bytes]) -> None:
    for name, value in tree.items():
        if len(name) > 31:
            raise ValueError(f"a compound file name has at most 31 characters: {name}")
        index = len(entries)
        entries[parent].children.append(index)
        if isinstance(value, dict):
            entries.append(_Entry(name, STORAGE, start=0, clsid=clsids.get(name, bytes(16))))
            _add_children(entries, index, value, clsids)
        else:
            entries.append(_Entry(name, STREAM, data=value))


def _sibling_tree(entries: list[_Entry], children: list[int]) -> int:
    """Make the children a balanced search tree; the nodes of an unfilled bottom level red, all else black,
    which keeps every red-black rule (the same number of black nodes on every path, no red under red)."""
    ordered = sorted(children, key=lambda i: (len(entries[i].name), entries[i].name.upper()))
    depths: dict[int, int] = {}

    def build(part: list[int], depth: int) -> int:
        if not part:
            return NOSTREAM
        middle = len(part) // 2
        node = part[middle]
        depths[node] = depth
        entries[node].left = build(part[:middle], depth + 1)
        entries[node].right = build(part[middle + 1 :], depth + 1)
        return node

    top = build(ordered, 0)
    if ordered:
        deepest = max(depths.values())
        full = len(ordered) == 2 ** (deepest + 1) - 1
        for node, depth in depths.items():
            entries[node].colour = RED if depth == deepest and not full and deepest > 0 else BLACK
        _check_red_black(entries, top)
    return top


def _check_red_black(entries: list[_Entry], node: int) -> int:
    """The number of black nodes on every path below ``node``; fails if the paths differ or red is under red."""
    if node == NOSTREAM:
        return 1
    entry = entries[node]
    left, right = _check_red_black(entries, entry.left), _check_red_black(entries, entry.right)
    assert left == right, "black heights differ"
    if entry.colour == RED:
        assert all(c == NOSTREAM or entries[c].colour == BLACK for c in (entry.left, entry.right)), "red under red"
    return left + (entry.colour == BLACK)


def _directory_entry(entry: _Entry) -> bytes:
    if not entry.kind:  # an unused entry: zeros, and no siblings or child
        return bytes(68) + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM) + bytes(48)
    name = (entry.name + "\0").encode("utf-16-le")
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBB", len(name), entry.kind, entry.colour)
        + struct.pack("<III", entry.left, entry.right, entry.child)
        + entry.clsid
        + bytes(4 + 8 + 8)  # state bits, creation and modification times
        + struct.pack("<IQ", entry.start, entry.size)
    )


# -- MS-OXMSG -----------------------------------------------------------------------------------------

PT_LONG, PT_BOOLEAN, PT_OBJECT, PT_STRING8, PT_UNICODE, PT_SYSTIME, PT_BINARY = (
    0x0003,
    0x000B,
    0x000D,
    0x001E,
    0x001F,
    0x0040,
    0x0102,
)
READABLE_WRITABLE = 0x6
_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


@dataclass
class MsgAttachment:
    """An attachment: a file (its bytes; None for a cloud attachment, a link only) or an embedded message."""

    long_name: str = ""
    short_name: str = ""
    display_name: str = ""
    data: bytes | None = None
    mime: str = ""
    embedded: MsgMessage | None = None
    content_id: str = ""
    hidden: bool = False


@dataclass
class MsgMessage:
    subject: str
    sender_name: str
    sender: str  # the SMTP address
    sent: datetime | None
    message_id: str = ""
    body: str = ""
    attachments: list[MsgAttachment] = field(default_factory=list)
    to: tuple[str, str] = ("年报收集", "nianbao@zhangwu.gov.cn")
    codepage: int | None = None  # None: strings UTF-16LE; else 8-bit strings in this Windows code page
    exchange: bool = False  # the sender as Exchange writes it: an X.500 name, the SMTP address apart
    smtp_properties: bool = True  # PidTagSenderSmtpAddress and …SentRepresentingSmtpAddress (Outlook 2007 on)
    headers: str = ""  # the Internet headers Outlook keeps for a message that came by mail
    delivered: datetime | None = None  # when it reached the mailbox (else ``sent``)


class _Properties:
    """The property stream of one object and the streams of its variable-size properties."""

    def __init__(self, codepage: int | None) -> None:
        self.codepage = codepage
        self.entries: list[tuple[int, bytes]] = []
        self.streams: Tree = {}

    def _fixed(self, pid: int, ptype: int, value: bytes) -> None:
        tag = pid << 16 | ptype
        self.entries.append((tag, struct.pack("<II", tag, READABLE_WRITABLE) + value.ljust(8, b"\0")))

    def _variable(self, pid: int, ptype: int, data: bytes | Tree, size: int) -> None:
        self.streams[f"__substg1.0_{pid:04X}{ptype:04X}"] = data
        self._fixed(pid, ptype, struct.pack("<II", size, 0))

    def string(self, pid: int, text: str) -> None:
        """8-bit in the code page when there is one, else UTF-16LE; the stream without its NUL, the size with."""
        if self.codepage:
            codec = "gbk" if self.codepage == 936 else f"cp{self.codepage}"
            data = text.encode(codec)
            self._variable(pid, PT_STRING8, data, len(data) + 1)
        else:
            data = text.encode("utf-16-le")
            self._variable(pid, PT_UNICODE, data, len(data) + 2)

    def binary(self, pid: int, data: bytes) -> None:
        self._variable(pid, PT_BINARY, data, len(data))

    def storage(self, pid: int, tree: Tree) -> None:
        self._variable(pid, PT_OBJECT, tree, 0xFFFFFFFF)

    def int32(self, pid: int, value: int) -> None:
        self._fixed(pid, PT_LONG, struct.pack("<i", value))

    def boolean(self, pid: int, value: bool) -> None:
        self._fixed(pid, PT_BOOLEAN, struct.pack("<H", value))

    def time(self, pid: int, when: datetime) -> None:
        ticks = (when - _EPOCH) // _MICROSECOND * 10
        self._fixed(pid, PT_SYSTIME, struct.pack("<Q", ticks))

    def tree(self, header: bytes) -> Tree:
        stream = header + b"".join(entry for _tag, entry in sorted(self.entries))
        return {"__properties_version1.0": stream, **self.streams}


_MICROSECOND = datetime(2000, 1, 1, 0, 0, 0, 1) - datetime(2000, 1, 1)


def outlook_message(message: MsgMessage) -> bytes:
    """The bytes of an .msg file holding ``message``."""
    tree = _message_tree(message, embedded=False)
    tree["__nameid_version1.0"] = {f"__substg1.0_000{n}0102": b"" for n in (2, 3, 4)}
    return compound_file(tree)


def _message_tree(message: MsgMessage, *, embedded: bool) -> Tree:
    props = _Properties(message.codepage)
    props.string(0x001A, "IPM.Note")  # PidTagMessageClass
    props.string(0x0037, message.subject)  # PidTagSubject
    props.string(0x0E1D, message.subject)  # PidTagNormalizedSubject
    if message.sent:
        props.time(0x0039, message.sent)  # PidTagClientSubmitTime
        props.time(0x0E06, message.delivered or message.sent)  # PidTagMessageDeliveryTime
    address, kind = message.sender, "SMTP"
    if message.exchange:
        user = message.sender.split("@")[0].upper()
        address, kind = f"/O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN={user}", "EX"
    for name_id, kind_id, address_id, smtp_id in ((0x0042, 0x0064, 0x0065, 0x5D02), (0x0C1A, 0x0C1E, 0x0C1F, 0x5D01)):
        props.string(name_id, message.sender_name)  # sent representing (From), then sender
        props.string(kind_id, kind)
        props.string(address_id, address)
        if message.smtp_properties or message.exchange:
            props.string(smtp_id, message.sender)
    if message.message_id:
        props.string(0x1035, message.message_id)  # PidTagInternetMessageId
    if message.body:
        props.string(0x1000, message.body)  # PidTagBody
    if message.headers:
        props.string(0x007D, message.headers)  # PidTagTransportMessageHeaders
    props.string(0x0E04, message.to[0])  # PidTagDisplayTo
    props.int32(0x0E07, 0x1 | (0x10 if message.attachments else 0))  # PidTagMessageFlags: read, has attachments
    props.boolean(0x0E1B, bool(message.attachments))  # PidTagHasAttachments
    props.int32(0x340D, 0x40000 if not message.codepage else 0)  # PidTagStoreSupportMask: STORE_UNICODE_OK
    if message.codepage:
        props.int32(0x3FFD, message.codepage)  # PidTagMessageCodepage
    props.int32(0x3FDE, message.codepage or 936)  # PidTagInternetCodepage, as Chinese Outlook sets it

    recipient = _Properties(message.codepage)
    recipient.int32(0x0C15, 1)  # PidTagRecipientType: To
    recipient.int32(0x3000, 0)  # PidTagRowid
    recipient.string(0x3001, message.to[0])  # PidTagDisplayName
    recipient.string(0x3002, "SMTP")  # PidTagAddressType
    recipient.string(0x3003, message.to[1])  # PidTagEmailAddress
    recipient.string(0x39FE, message.to[1])  # PidTagSmtpAddress
    count = len(message.attachments)
    # reserved, next recipient and attachment ids, recipient and attachment counts (and reserved at the top)
    header = bytes(8) + struct.pack("<IIII", 1, count, 1, count) + (b"" if embedded else bytes(8))
    tree = props.tree(header)
    tree["__recip_version1.0_#00000000"] = recipient.tree(bytes(8))
    for number, attachment in enumerate(message.attachments):
        tree[f"__attach_version1.0_#{number:08X}"] = _attachment_tree(attachment, number, message.codepage)
    return tree


def _attachment_tree(attachment: MsgAttachment, number: int, codepage: int | None) -> Tree:
    props = _Properties(codepage)
    props.int32(0x0E21, number)  # PidTagAttachNumber
    props.int32(0x370B, -1)  # PidTagRenderingPosition: not in the body text
    if attachment.embedded is not None:
        props.int32(0x3705, 5)  # PidTagAttachMethod: an embedded message
        props.string(0x3001, attachment.display_name or attachment.embedded.subject)
        props.storage(0x3701, _message_tree(attachment.embedded, embedded=True))
        return props.tree(bytes(8))
    props.int32(0x3705, 1 if attachment.data is not None else 7)  # by value; 7: a web (cloud) reference
    for pid, text in (
        (0x3707, attachment.long_name),
        (0x3704, attachment.short_name),
        (0x3001, attachment.display_name),
    ):
        if text:
            props.string(pid, text)
    name = attachment.long_name or attachment.short_name or attachment.display_name
    if "." in name:
        props.string(0x3703, "." + name.rsplit(".", 1)[1])  # PidTagAttachExtension
    if attachment.mime:
        props.string(0x370E, attachment.mime)  # PidTagAttachMimeTag
    if attachment.content_id:
        props.string(0x3712, attachment.content_id)  # PidTagAttachContentId
    if attachment.hidden:
        props.boolean(0x7FFE, True)  # PidTagAttachmentHidden
    if attachment.data is not None:
        props.int32(0x0E20, len(attachment.data))  # PidTagAttachSize
        props.binary(0x3701, attachment.data)  # PidTagAttachDataBinary
    return props.tree(bytes(8))
