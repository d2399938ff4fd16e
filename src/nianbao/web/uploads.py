"""Uploaded files and zips of them, saved under names of our own before the workspace receives them.

A name from the browser (or from inside a zip) is never a path: each file is written to a numbered folder
of a temporary directory under a cleaned copy of its last part, so that the record still shows the name the
clerk knows. A zip is read entry by entry in memory, within limits, and never extracted as it stands."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO

from nianbao.io.files import decode_chinese_text, safe_name
from nianbao.io.reading import MAX_FILE_BYTES
from nianbao.problems import MESSAGES

MAX_FILES = 300  # files in one upload, counting those inside zips
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # everything taken out of the zips of one upload
MAIL_SUFFIXES = (".eml", ".msg")
MBOX_ADVICE = (
    "这是整个邮箱导出的 .mbox 文件，网页上不收；请上传其中的单封邮件（.eml），"
    "或在“设置”中填写收信邮箱后从邮箱收取（也可以在命令行中用 nianbao receive 收取这个文件）"
)
ZIP_SUFFIX = ".zip"
TOO_MANY = f"一次最多上传 {MAX_FILES} 个文件（含压缩包中的文件），其余的未收下，请分批上传"
TOO_MUCH_UNZIPPED = f"压缩包解压后的内容超过 {MAX_UNZIPPED_BYTES >> 20} MB，其余的未收下；请分批上传"
MAIL_NOTE = "邮件文件（.eml，或 Outlook 保存的 .msg）也可以上传：收下其中附带的统计表，记下发件人和日期"


@dataclass(frozen=True)
class Refused:
    name: str
    reason: str


@dataclass
class Unpacked:
    files: list[Path] = field(default_factory=list)
    mails: list[tuple[str, bytes]] = field(default_factory=list)  # .eml and .msg files: (name, bytes)
    refused: list[Refused] = field(default_factory=list)
    zipped: set[Path] = field(default_factory=set)  # files taken out of a zip: kept only if they are returns
    unzipped: int = 0  # bytes taken out of zips so far


def unpack(uploads: Iterable[tuple[str, IO[bytes]]], folder: Path) -> Unpacked:
    """Save each uploaded (name, stream) into ``folder``; the files of a zip one by one."""
    result = Unpacked()
    for name, stream in uploads:
        shown = last_part(name)
        if not shown:
            continue  # the form sent no file
        if shown.lower().endswith(ZIP_SUFFIX):
            _unzip(shown, stream, folder, result)
        else:
            _save(shown, _read(stream, shown, result), folder, result)
    return result


def last_part(name: str) -> str:
    """The file name alone, whatever folders a browser or a zip put before it (/ or \\)."""
    return PureWindowsPath(PurePosixPath(name).name).name.strip()


def _read(stream: IO[bytes], name: str, result: Unpacked) -> bytes | None:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        result.refused.append(Refused(name, MESSAGES["TOO_BIG"].format(mb=MAX_FILE_BYTES >> 20)))
        return None
    return data


def _save(name: str, data: bytes | None, folder: Path, result: Unpacked) -> None:
    if data is None:
        return
    if len(result.files) + len(result.mails) >= MAX_FILES:
        if not any(r.reason == TOO_MANY for r in result.refused):
            result.refused.append(Refused(name, TOO_MANY))
        return
    if name.lower().endswith(MAIL_SUFFIXES):
        result.mails.append((name, data))
        return
    if name.lower().endswith(".mbox"):  # a whole mailbox: too big a thing for the page, and not a workbook
        result.refused.append(Refused(name, MBOX_ADVICE))
        return
    place = folder / f"{len(result.files) + 1:04d}"
    place.mkdir(parents=True)
    path = Path(name)
    suffix = "." + safe_name(path.suffix[1:].lower(), 10) if path.suffix else ""
    target = place / (safe_name(path.stem, 80) + suffix)
    target.write_bytes(data)
    result.files.append(target)


def _unzip(name: str, stream: IO[bytes], folder: Path, result: Unpacked) -> None:
    data = _read(stream, name, result)
    if data is None:
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [e for e in archive.infolist() if not e.is_dir()]
            for entry in entries:
                inner = last_part(_entry_name(entry))
                if not inner or inner.startswith((".", "~$")) or "__MACOSX" in entry.filename:
                    continue  # a folder's hidden files, the Mac's resource forks, Office's lock files
                label = f"{name} 中的 {inner}"
                if inner.lower().endswith(ZIP_SUFFIX):
                    result.refused.append(Refused(label, "压缩包中的压缩包不展开，请先解开后再上传"))
                elif entry.file_size > MAX_FILE_BYTES:
                    result.refused.append(Refused(label, MESSAGES["TOO_BIG"].format(mb=MAX_FILE_BYTES >> 20)))
                elif result.unzipped + entry.file_size > MAX_UNZIPPED_BYTES:
                    result.refused.append(Refused(label, TOO_MUCH_UNZIPPED))
                else:
                    with archive.open(entry) as member:
                        data = _read(member, label, result)
                    result.unzipped += len(data or b"")
                    if result.unzipped > MAX_UNZIPPED_BYTES:  # the sizes a zip claims may lie
                        result.refused.append(Refused(label, TOO_MUCH_UNZIPPED))
                        continue
                    kept = len(result.files)
                    _save(inner, data, folder, result)
                    result.zipped.update(result.files[kept:])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        # RuntimeError: an entry with a password; NotImplementedError: a compression zipfile cannot read
        result.refused.append(Refused(name, "压缩包已损坏、设置了密码或使用了不支持的压缩方式，请解开后上传其中的表格"))


def _entry_name(entry: zipfile.ZipInfo) -> str:
    """An entry's name as the sender saw it: zips made on Chinese Windows store GBK without saying so."""
    if entry.flag_bits & 0x800:  # the zip says the name is UTF-8
        return entry.filename
    raw = entry.filename.encode("cp437", "replace")
    return decode_chinese_text(raw) or entry.filename
