"""A batch's blank workbooks, built once and stamped with each unit's code and name.

The blank workbooks of one batch differ only in the unit's code and name. XlsxWriter builds the batch's
workbook once, with stand-ins for the two; each unit's copy is that workbook with its code and name put in
place of the stand-ins: the very bytes ``build_workbook`` gives for the unit, at a tenth of the cost. Only the
parts that hold the stand-ins are compressed again; the zip is put together as Python's zipfile (which
XlsxWriter uses) writes it. One unit's workbook is made both ways when the batch starts and must come out the
same, or every unit's workbook is built by ``build_workbook``; so are the workbooks of units whose text would
not give the same bytes (a code or name that XML escapes, or that equals another text of the workbook, which
XlsxWriter then stores once). Tests hold the two ways equal for any code and name.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from nianbao.form.spec import Form
from nianbao.io.identity import MAX_PROPERTY, Identity
from nianbao.io.writer import build_workbook

# Stand-ins from Unicode's private use area, which a plain code or name never contains.
_CODE, _NAME = "\ue000", "\ue001"
_PROBE = ("9876543210", "测试单位甲乙丙")
# What XlsxWriter would store otherwise than as typed: XML's special characters, control characters, a "_x"
# that could begin an _xHHHH_ escape, the stand-ins and surrogates. Leading or trailing space is checked apart.
_NOT_PLAIN = re.compile(r"[&<>\"'_\x00-\x1f\x7f\ud800-\udfff\ue000-\uf8ff\ufffe\uffff]")
_STRING = re.compile(r"<si><t(?: [^>]*)?>(.*?)</t></si>", re.S)
# The zip records (PKWARE APPNOTE 4.3.7, 4.3.12, 4.3.16) as zipfile packs them.
_LOCAL, _CENTRAL, _END = struct.Struct("<4s2B4HL2L2H"), struct.Struct("<4s4B4HL2L5H2L"), struct.Struct("<4s4H2LH")


@dataclass(frozen=True)
class _Part:
    info: zipfile.ZipInfo  # as read from the batch's workbook: the header fields of every copy
    text: str  # with stand-ins: put in the unit's code and name, and compress
    data: bytes = b""  # without: the same in every copy, compressed once
    crc: int = 0


class Blanks:
    """The blank workbooks of one batch: ``workbook(code, name)`` gives the bytes of
    ``build_workbook(form, Identity.for_unit(form, code, name, year, deadline), password)``."""

    def __init__(self, form: Form, year: int, deadline: str, password: str) -> None:
        self.form, self.year, self.deadline, self.password = form, year, deadline, password
        built = self._built(_CODE, _NAME)
        archive = zipfile.ZipFile(io.BytesIO(built))
        self.parts = []
        for info in archive.infolist():
            data = archive.read(info)
            if _CODE.encode() in data or _NAME.encode() in data:
                self.parts.append(_Part(info, data.decode("utf-8")))
            else:
                self.parts.append(_Part(info, "", _deflate(data), zlib.crc32(data)))
        strings = _STRING.findall(archive.read("xl/sharedStrings.xml").decode("utf-8"))
        self.fixed_strings = {s for s in strings if _CODE not in s and _NAME not in s}
        self.unit_strings = [s for s in strings if _CODE in s or _NAME in s]
        # A stamped copy must be what XlsxWriter builds (a spec's text could hold a stand-in, another Python's
        # zipfile could write another zip): one unit is built both ways, or every workbook is built.
        self.stampable = self._stamped(*_PROBE) == self._built(*_PROBE)

    def workbook(self, code: str, name: str) -> bytes:
        if not (self.stampable and _plain(code) and _plain(name)):
            return self._built(code, name)
        # XlsxWriter keeps one copy of equal texts: a unit's text that equals another text gives another table.
        texts = [s.replace(_CODE, code).replace(_NAME, name) for s in self.unit_strings]
        if len(set(texts)) < len(texts) or not self.fixed_strings.isdisjoint(texts):
            return self._built(code, name)
        return self._stamped(code, name)

    def _built(self, code: str, name: str) -> bytes:
        return build_workbook(
            self.form, Identity.for_unit(self.form, code, name, self.year, self.deadline), self.password
        )

    def _stamped(self, code: str, name: str) -> bytes:
        """The batch's workbook with ``code`` and ``name`` in place of the stand-ins, zipped as zipfile does."""
        files, directory = bytearray(), bytearray()
        for part in self.parts:
            data, crc, size = part.data, part.crc, 0
            if part.text:
                raw = part.text.replace(_CODE, code).replace(_NAME, name).encode("utf-8")
                data, crc, size = _deflate(raw), zlib.crc32(raw), len(raw)
            else:
                size = part.info.file_size
            info, filename = part.info, part.info.filename.encode("utf-8")
            year, month, day, hour, minute, second = info.date_time
            date, time = (year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2
            head = (info.flag_bits, info.compress_type, time, date, crc, len(data), size, len(filename))
            directory += _CENTRAL.pack(
                b"PK\x01\x02",
                info.create_version,
                info.create_system,
                info.extract_version,
                info.reserved,
                *head,
                len(info.extra),
                len(info.comment),
                0,
                info.internal_attr,
                info.external_attr,
                len(files),
            )
            directory += filename + info.extra + info.comment
            files += _LOCAL.pack(b"PK\x03\x04", info.extract_version, info.reserved, *head, len(info.extra))
            files += filename + info.extra + data
        count = len(self.parts)
        end = _END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), len(files), 0)
        return bytes(files + directory + end)


def _deflate(data: bytes) -> bytes:
    """``data`` compressed as zipfile compresses a member (raw deflate, zlib's default level)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _plain(text: str) -> bool:
    """Text that every part of the workbook stores exactly as typed, whole (not cut to a property's length)."""
    return 0 < len(text) <= MAX_PROPERTY and text == text.strip() and not _NOT_PLAIN.search(text)
