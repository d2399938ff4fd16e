"""A plain zip inflated once, member by member, in memory: the quick way into a workbook.

`reading` checks a returned workbook's bytes before any parser sees them (sizes, CRCs, DTDs, far cells) and then
hands them to python-calamine. Done with ``zipfile`` each member was inflated for the checks and again by calamine;
here each member is inflated once, the checks run on those bytes, and calamine is given the same bytes again as a
*stored* zip (no compression: it only copies them). Only a plain archive takes this way: members stored or
deflated, none encrypted, names unique and the same in the central directory and the local headers, each member
inflating to exactly its declared size and CRC, all within the budget. Anything else gives None, and the caller
reads the file the careful way (``zipfile``, which names what is wrong).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

_LOCAL = struct.Struct("<4s5H3L2H")  # a local file header
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # a central directory entry
_END = struct.Struct("<4s4H2LH")  # the end of central directory record
_LOCAL_SIGNATURE, _CENTRAL_SIGNATURE, _END_SIGNATURE = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
_UTF8 = 0x800
_PLAIN_FLAGS = 0x2 | 0x4 | 0x8 | _UTF8  # deflate options, sizes after the data, UTF-8 names: nothing else
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


@dataclass(frozen=True)
class Member:
    name: str
    raw_name: bytes  # as the archive spells it (for the stored copy)
    utf8: bool
    crc: int
    data: bytes


def inflate_plain(data: bytes, max_members: int, budget: int) -> list[Member] | None:
    """Every member of a plain zip, inflated once, in the central directory's order; None when the archive is
    not plain (see the module) or not within ``max_members`` and ``budget`` bytes inflated."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, OSError):
        return None
    if len(infos) > max_members or sum(i.file_size for i in infos) > budget:
        return None
    if len({i.filename for i in infos}) != len(infos):
        return None
    members = []
    for info in infos:
        member = _inflated(data, info)
        if member is None:
            return None
        members.append(member)
    return members


def _inflated(data: bytes, info: zipfile.ZipInfo) -> Member | None:
    """One member's bytes, or None unless it is plain and whole."""
    if info.flag_bits & ~_PLAIN_FLAGS or info.compress_type not in (_STORED, _DEFLATED):
        return None
    start = info.header_offset
    header = data[start : start + _LOCAL.size]
    if len(header) < _LOCAL.size:
        return None
    signature, _, flags, method, _, _, _, _, _, name_length, extra_length = _LOCAL.unpack(header)
    raw_name = data[start + _LOCAL.size : start + _LOCAL.size + name_length]
    utf8 = bool(info.flag_bits & _UTF8)
    if signature != _LOCAL_SIGNATURE or flags & ~_PLAIN_FLAGS or method != info.compress_type:
        return None
    if raw_name != info.filename.encode("utf-8" if utf8 else "cp437"):
        return None
    first = start + _LOCAL.size + name_length + extra_length
    packed = data[first : first + info.compress_size]
    if len(packed) != info.compress_size:
        return None
    if info.compress_type == _STORED:
        content = packed
    else:
        inflater = zlib.decompressobj(-15)
        try:
            content = inflater.decompress(packed, info.file_size + 1)
        except zlib.error:
            return None
        if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
            return None
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        return None
    return Member(info.filename, raw_name, utf8, info.CRC, content)


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
