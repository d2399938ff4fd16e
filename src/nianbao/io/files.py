"""File-system helpers: safe file names for any unit name, atomic writes, hashes."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
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
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file to write ``path`` through: it appears complete when the block ends, or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".nianbao-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` is either absent/old or complete, never half-written."""
    with atomic_file(path) as f:
        f.write(data)


def refuse_overwrite(path: Path, force: bool) -> None:
    """Our outputs never replace an existing file unless the user said --force."""
    if path.exists() and not force:
        raise NianbaoError(f"{path} 已存在，未覆盖；确需覆盖请加 --force")


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
