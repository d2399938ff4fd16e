"""A plain zip inflated once, member by member, in memory: the quick way into a workbook.

`reading` checks a returned workbook's bytes before any parser sees them (sizes, CRCs, DTDs, far cells) and then
hands them to python-calamine. Done with ``zipfile`` each member was inflated for the checks and again by calamine;
here each member is inflated once, the checks run on those bytes, and calamine is given the same bytes again as a
*stored* zip (no compression: it only copies them). Only a plain archive takes this way: members stored or
deflated, none encrypted, names unique and the same in the central directory and the local headers, each member
inflating to exactly its declared size and CRC, all within the budget; the archive nothing but a zip, ending with
its central directory (read here, without ``zipfile``). Anything else gives None, and the caller reads the file
the careful way (``zipfile``, which names what is wrong).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import NamedTuple

_LOCAL = struct.Struct("<4s5H3L2H")  # a local file header
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # a central directory entry
_END = struct.Struct("<4s4H2LH")  # the end of central directory record
_LOCAL_SIGNATURE, _CENTRAL_SIGNATURE, _END_SIGNATURE = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
_UTF8 = 0x800
_ZIP64 = 0xFFFFFFFF  # a size or offset that ZIP64 gives elsewhere
_MAX_VERSION = 63  # the highest "version needed to extract" zipfile reads
_PLAIN_FLAGS = 0x2 | 0x4 | 0x8 | _UTF8  # deflate options, sizes after the data, UTF-8 names: nothing else
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


@dataclass(frozen=True)
class Member:
    name: str
    raw_name: bytes  # as the archive spells it (for the stored copy)
    utf8: bool
    crc: int
    data: bytes


class _Entry(NamedTuple):
    """A member as the central directory lists it."""

    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int


def inflate_plain(data: bytes, max_members: int, budget: int) -> list[Member] | None:
    """Every member of a plain zip, inflated once, in the central directory's order; None when the archive is
    not plain (see the module) or not within ``max_members`` and ``budget`` bytes inflated."""
    entries = _directory(data, max_members)
    if entries is None or sum(e.size for e in entries) > budget or len({e.name for e in entries}) != len(entries):
        return None
    members = []
    for entry in entries:
        member = _inflated(data, entry)
        if member is None:
            return None
        members.append(member)
    return members


def _directory(data: bytes, max_members: int) -> list[_Entry] | None:
    """The central directory of an archive that is nothing but a zip, ends with its directory (no comment),
    needs no ZIP64 and whose every entry and extra field is well formed; None for anything else."""
    if len(data) < _END.size:
        return None
    signature, disk, first_disk, on_disk, count, size, start, comment = _END.unpack_from(data, len(data) - _END.size)
    if signature != _END_SIGNATURE or disk or first_disk or comment or on_disk != count or count > max_members:
        return None
    if start + size != len(data) - _END.size:  # no bytes before the archive, none between directory and end
        return None
    entries = []
    at = start
    for _ in range(count):
        if at + _CENTRAL.size > start + size:
            return None
        fields = _CENTRAL.unpack_from(data, at)
        (signature, _, needed, flags, method, _, _, crc, compressed, inflated, name_length) = fields[:11]
        extra_length, comment_length, disk_start, _, _, offset = fields[11:]
        name_at = at + _CENTRAL.size
        at = name_at + name_length + extra_length + comment_length
        if signature != _CENTRAL_SIGNATURE or disk_start or needed > _MAX_VERSION or at > start + size:
            return None
        if _ZIP64 in (compressed, inflated, offset):
            return None
        if not _extra_well_formed(data, name_at + name_length, extra_length):
            return None
        raw_name = data[name_at : name_at + name_length]
        try:
            name = raw_name.decode("utf-8" if flags & _UTF8 else "cp437")
        except UnicodeDecodeError:
            return None
        if "\x00" in name:
            return None
        entries.append(_Entry(name, raw_name, flags, method, crc, compressed, inflated, offset))
    return entries if at == start + size else None


def _extra_well_formed(data: bytes, at: int, length: int) -> bool:
    """Whether an entry's extra field is a run of whole blocks (as zipfile requires), none of them ZIP64's."""
    end = at + length
    while at + 4 <= end:
        kind, size = struct.unpack_from("<HH", data, at)
        if kind == 0x0001 or at + 4 + size > end:
            return False
        at += 4 + size
    return True


def _inflated(data: bytes, entry: _Entry) -> Member | None:
    """One member's bytes, or None unless it is plain and whole."""
    if entry.flags & ~_PLAIN_FLAGS or entry.method not in (_STORED, _DEFLATED):
        return None
    start = entry.offset
    if start + _LOCAL.size > len(data):
        return None
    signature, _, flags, method, _, _, _, _, _, name_length, extra_length = _LOCAL.unpack_from(data, start)
    if signature != _LOCAL_SIGNATURE or flags & ~_PLAIN_FLAGS or method != entry.method:
        return None
    if data[start + _LOCAL.size : start + _LOCAL.size + name_length] != entry.raw_name:
        return None
    first = start + _LOCAL.size + name_length + extra_length
    packed = data[first : first + entry.compressed]
    if len(packed) != entry.compressed:
        return None
    if entry.method == _STORED:
        content = packed
    else:
        inflater = zlib.decompressobj(-15)
        try:
            content = inflater.decompress(packed, entry.size + 1)
        except zlib.error:
            return None
        if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
            return None
    if len(content) != entry.size or zlib.crc32(content) != entry.crc:
        return None
    return Member(entry.name, entry.raw_name, bool(entry.flags & _UTF8), entry.crc, content)


def stored_zip(members: list[Member]) -> bytes:
    """The members again as a zip without compression: what a zip reader then does is copy them."""
    parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for m in members:
        # version 2.0, UTF-8 names as the archive had them, stored, dated 1980-01-01, no extra field or comment
        common = (20, _UTF8 if m.utf8 else 0, _STORED, 0, 0x21, m.crc, len(m.data), len(m.data), len(m.raw_name), 0)
        local = _LOCAL.pack(_LOCAL_SIGNATURE, *common)
        central.append(_CENTRAL.pack(_CENTRAL_SIGNATURE, 20, *common, 0, 0, 0, 0, offset) + m.raw_name)
        parts += (local, m.raw_name, m.data)
        offset += len(local) + len(m.raw_name) + len(m.data)
    directory = b"".join(central)
    end = _END.pack(_END_SIGNATURE, 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join([*parts, directory, end])
