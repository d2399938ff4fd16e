"""A workspace's folder: one collection round in one folder.

DIR/nianbao.sqlite     the record (collection/record/)
DIR/名单.csv            the roster, as given
DIR/表格规格.toml       a form spec given by path, travelling with the workspace
DIR/空白表格/           the blank workbooks sent to the units (as `generate` writes them)
DIR/收到的文件/         every file received, byte for byte, never changed or deleted
DIR/回复草稿/           the replies drafted (.eml), and 已过时/ for those no unit needs any more
DIR/回复邮件.toml       the clerk's own wording of the replies
DIR/汇总结果/           summaries made from the page (`nianbao serve`), each under a name of its own
DIR/县本级文字.docx      the county's own text of its report's sections 一、五、六 (or .txt), written by the clerk
DIR/发布稿/             each unit's report to publish (.docx and .html), from its counted version (`nianbao publish`)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nianbao.collection.record.schema import DATABASE
from nianbao.io.files import resolved, safe_name, sha256, shown, write_atomic
from nianbao.problems import MESSAGES, NianbaoError

BLANK_DIR = "空白表格"
RECEIVED_DIR = "收到的文件"
SUMMARY_DIR = "汇总结果"
REPLY_DIR = "回复草稿"
OBSOLETE_DIR = "已过时"
ROSTER_STEM = "名单"
SPEC_COPY = "表格规格.toml"
TEXTS_FILE = "回复邮件.toml"
OWN_TEXT_STEM = "县本级文字"  # with one of OWN_TEXT_SUFFIXES
OWN_TEXT_SUFFIXES = (".docx", ".txt")
PUBLISH_DIR = "发布稿"

__all__ = [
    "BLANK_DIR",
    "DATABASE",
    "OBSOLETE_DIR",
    "OWN_TEXT_STEM",
    "PUBLISH_DIR",
    "RECEIVED_DIR",
    "REPLY_DIR",
    "ROSTER_STEM",
    "SPEC_COPY",
    "SUMMARY_DIR",
    "TEXTS_FILE",
    "Layout",
]


@dataclass(frozen=True)
class Layout:
    """Where a workspace keeps what (``root`` absolute: a page serving files must not depend on the cwd)."""

    root: Path

    def own_files(self, roster_name: str) -> list[Path]:
        """What the workspace writes itself (blank workbooks, summaries, reply drafts, the roster, record, spec and
        reply wording): never a unit's return, even when the clerk receives the workspace's own folder."""
        own = [BLANK_DIR, SUMMARY_DIR, REPLY_DIR, PUBLISH_DIR, DATABASE, roster_name, SPEC_COPY, TEXTS_FILE]
        own += [OWN_TEXT_STEM + suffix for suffix in OWN_TEXT_SUFFIXES]
        return [resolved(self.root / name) for name in own]

    def owns(self, path: Path, roster_name: str) -> bool:
        """Whether ``path`` is one of the files the workspace keeps (its record, roster, blanks, replies …)."""
        return is_under(path, [*self.own_files(roster_name), resolved(self.root / RECEIVED_DIR)])

    def store(self, path: Path, digest: str, data: bytes) -> Path:
        """The received bytes under a name of their own in 收到的文件/ (kept even if the record is lost)."""
        suffix = safe_name(path.suffix.lower().lstrip("."), 10) if path.suffix else ""
        name = f"{digest[:12]}_{safe_name(shown(Path(path.stem)), 60)}" + (f".{suffix}" if suffix else "")
        target = self.root / RECEIVED_DIR / name
        if not (target.is_file() and sha256(target.read_bytes()) == digest):
            write_atomic(target, data, overwrite=True, sync=False)  # the same name holds the same bytes
        return target

    def received(self, stored: str) -> Path | None:
        """Where the record says a received file is kept, if that is inside 收到的文件/ (a record edited by hand
        could point anywhere)."""
        path = self.root / stored
        return path if resolved(path).parent == resolved(self.root / RECEIVED_DIR) else None

    def stored_path(self, stored: str, name: str) -> Path:
        """Where a received file's bytes are kept; refused if the record points outside 收到的文件/."""
        path = self.received(stored)
        if path is None or not path.is_file():
            raise NianbaoError(f"收到的文件 {name} 不在 {RECEIVED_DIR}/ 中（可能被移动或删除）")
        return path

    def damage(self, stored: str, size: int) -> str:
        """What became of a stored file since it was received, seen without reading it ('' when it looks as
        received): deleted, or changed in size (opened and saved in WPS or Excel, replaced)."""
        try:
            now = (self.root / stored).stat().st_size
        except OSError:
            return MESSAGES["STORED_GONE"]
        return "" if now == size else MESSAGES["STORED_CHANGED"]

    def summary_target(self, unit_name: str, year: int, note: str = "") -> Path:
        """A new file name in 汇总结果/ for a summary made now (an earlier summary is never replaced); ``note``
        goes into the name (a summary of some units: 不完整（22／24）)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        stem = f"{safe_name(unit_name)}{year}年汇总_{safe_name(note) + '_' if note else ''}{stamp}"
        target, n = self.root / SUMMARY_DIR / f"{stem}.xlsx", 1
        while target.exists():
            n += 1
            target = target.with_name(f"{stem}_{n}.xlsx")
        return target

    def own_text(self) -> Path | None:
        """The county's own text of its report's sections (县本级文字.docx, else .txt), if the clerk wrote one."""
        found = (self.root / (OWN_TEXT_STEM + suffix) for suffix in OWN_TEXT_SUFFIXES)
        return next((path for path in found if path.is_file()), None)

    def summaries(self) -> list[Path]:
        """The files in 汇总结果/ (summaries and their reports), newest first."""
        folder = self.root / SUMMARY_DIR
        found = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")] if folder.is_dir() else []
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def is_under(path: Path, places: list[Path], where: Path | None = None) -> bool:
    """Whether ``path`` (``where`` it really is, if known) is one of ``places`` (resolved) or inside one of them."""
    found = str(where or resolved(path))
    return any(found == place or found.startswith(place.rstrip(os.sep) + os.sep) for place in map(str, places))
