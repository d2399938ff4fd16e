"""File-system helpers: safe file names for any unit name, atomic writes, hashes."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from nianbao.problems import NianbaoError

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_PART = 40


def safe_name(text: str, limit: int = MAX_NAME_PART) -> str:
    """A piece of a file name that Windows, macOS and Linux accept and that still reads like ``text``."""
    text = unicodedata.normalize("NFC", text)
    text = _FORBIDDEN.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    text = text[:limit].rstrip(" .")
    if not text or text.split(".")[0].upper() in _RESERVED:
        text = f"_{text}"
    return text


@contextmanager
def atomic_file(path: Path, *, overwrite: bool, private: bool = False, sync: bool = True) -> Iterator[BinaryIO]:
    """A file to write ``path`` through: it appears complete when the block ends, or not at all.

    Without ``overwrite`` an existing ``path`` is never replaced, even one that another program or run
    created while this one was writing: NianbaoError, and nothing of ours is left. The new file's mode
    follows the umask like any file the user saves (colleagues and shared folders can read it), 0600 if
    ``private``; a file replaced with ``overwrite`` keeps its mode. Without ``sync`` the caller makes the
    data durable itself (one ``sync_files`` for a whole batch instead of one fsync per file)."""
    tmp = path.parent / f".nianbao-{secrets.token_hex(8)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(tmp, flags, 0o600 if private else 0o666)  # the kernel applies the umask
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if sync:
                os.fsync(f.fileno())
        if overwrite:
            _replace(tmp, path, private)
        else:
            _create(tmp, path)
    except OSError as exc:  # a full disk, a read-only folder: said of the file being written, not of our temporary
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = _REASONS[errno.ENOTDIR] if not path.parent.is_dir() else os_reason(exc)
        raise NianbaoError(f"无法写入 {shown(path)}：{reason}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replace(tmp: Path, path: Path, private: bool) -> None:
    if not private:
        with suppress(OSError):  # no file there yet (or not ours to look at): the umask's mode stays
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
    os.replace(tmp, path)


def _create(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path`` only if no file is there at that moment (a hard link is created atomically
    or not at all); where hard links are not supported, claim the name exclusively first."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _exists(path) from None
    except OSError:  # FAT/exFAT, some network shares
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise _exists(path) from None
        try:
            os.replace(tmp, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return
    tmp.unlink()


def write_atomic(path: Path, data: bytes, *, overwrite: bool, private: bool = False, sync: bool = True) -> None:
    """Write ``data`` so that ``path`` is either absent/old or complete, never half-written (see atomic_file)."""
    with atomic_file(path, overwrite=overwrite, private=private, sync=sync) as f:
        f.write(data)


def sync_files(paths: Iterable[Path]) -> None:
    """Make files written without ``sync`` durable: one system-wide sync where there is one, else each file."""
    if hasattr(os, "sync"):
        os.sync()
        return
    for path in paths:  # Windows
        with path.open("rb+") as f:
            os.fsync(f.fileno())


def refuse_overwrite(path: Path, force: bool) -> None:
    """Our outputs never replace an existing file unless the user said to (--force; checked early, before any
    work; atomic_file checks again when the file is committed)."""
    if path.exists() and not force:
        raise _exists(path)


def _exists(path: Path) -> NianbaoError:
    return NianbaoError.of("EXISTS", path=path)


_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A CSV field that Excel/WPS will not run as a formula: text starting with = + - @, a tab or a carriage
    return gets a leading single quote (the OWASP rule against CSV injection); other values are unchanged."""
    if isinstance(value, str) and value.startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


def decode_chinese_text(data: bytes) -> str | None:
    """Text as Chinese offices save it: UTF-8 (with or without BOM), else GBK/GB18030; None if neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shown(path: Path) -> str:
    """A path as text to print and save: a name that is not UTF-8 is read as GBK (from a zip or a Windows
    network share, that is what it is), and bytes that are neither become U+FFFD instead of making every later
    write fail."""
    return "/".join(map(_name_text, os.fsencode(path).split(b"/")))  # a UTF-8 folder may hold a GBK name


def _name_text(raw: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def resolved(path: Path) -> Path:
    """``path`` made absolute with links followed where possible; a link loop stays as it is."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


_REASONS = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EROFS: "磁盘或目录是只读的",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOENT: "文件或目录不存在",
    errno.ENOTDIR: "路径中有一部分不是目录",
    errno.EISDIR: "这是一个目录",
    errno.EEXIST: "已存在",
    errno.ENAMETOOLONG: "文件名太长",
    errno.ELOOP: "链接指向自己（循环链接）",
}


def os_reason(exc: OSError) -> str:
    """Why the operating system refused, in words a clerk understands."""
    return _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
