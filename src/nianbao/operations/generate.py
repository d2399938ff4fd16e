"""Generate a batch: one workbook per roster unit, a manifest, and the batch's protection password.

The password file is written before the first workbook, so that a batch interrupted by Ctrl-C keeps the
password of the workbooks it wrote; the manifest is written after the last one, once all are on disk (one
sync for the batch, not one per workbook), so that it exists only for a complete batch (an old one is removed
first by --force). The workbooks are the batch's one workbook stamped with each unit's code and name (Blanks)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from nianbao.form.spec import DEFAULT_FORM, Form, load_form
from nianbao.io.blanks import Blanks
from nianbao.io.files import csv_safe, safe_name, sha256, sync_files, write_atomic
from nianbao.io.roster import Unit, read_roster
from nianbao.operations.parallel import Progress, no_progress, ordered_map
from nianbao.problems import Interrupted, NianbaoError

MANIFEST_NAME = "生成清单.csv"
PASSWORD_NAME = "保护密码.txt"
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read out over the phone


@dataclass(frozen=True)
class GeneratedFile:
    unit: Unit
    path: Path
    sha256: str


@dataclass(frozen=True)
class Batch:
    form: Form
    year: int
    files: list[GeneratedFile]
    manifest: Path
    password_file: Path | None  # None when the user chose the password


def generate(
    roster: str | Path,
    year: int,
    out_dir: str | Path,
    *,
    form_name: str = DEFAULT_FORM,
    password: str | None = None,
    deadline: str = "",
    force: bool = False,
    progress: Progress = no_progress,
) -> Batch:
    """Write one workbook per unit of ``roster`` into ``out_dir``; nothing is written if anything is wrong."""
    form = load_form(form_name)
    form.check_year(year)
    deadline_text = parse_deadline(deadline) if deadline else ""
    units = read_roster(roster)
    out = Path(out_dir)
    targets = file_names(units, year)
    manifest = out / MANIFEST_NAME
    password_file = out / PASSWORD_NAME if password is None else None
    planned = [out / name for name in targets.values()] + [manifest] + ([password_file] if password_file else [])
    existing = [p.name for p in planned if p.exists()]
    if existing and not force:
        shown = "、".join(existing[:5]) + (f" 等 {len(existing)} 个" if len(existing) > 5 else "")
        raise NianbaoError.of("BLANKS_EXIST", out=out, names=shown)
    if out.exists() and not out.is_dir():
        raise NianbaoError(f"{out} 不是目录")

    if password is None:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(10))
    elif not password or len(password) > 255:
        raise NianbaoError("保护密码不能为空，也不能超过 255 个字符")

    if password_file:
        note = (
            f"{year}年{form.title}统计表（{len(units)} 个单位）的工作表保护密码：\n\n{password}\n\n"
            "此密码只供县级政务公开工作人员使用，不要随表格发给填报单位。\n"
        )
        if password_file.exists():  # --force: the workbooks of earlier batches still need their passwords
            earlier = password_file.read_bytes().decode("utf-8-sig", errors="replace")
            note += "\n—— 以前记录的密码（用于此前生成的表格）——\n" + earlier
        write_atomic(password_file, note.encode("utf-8-sig"), overwrite=force, private=True)
    if force:
        manifest.unlink(missing_ok=True)
    common = (form_name, year, deadline_text, password, force)
    jobs = [(unit, out / targets[unit.unit_id]) for unit in units]
    files: list[GeneratedFile] = []
    try:
        files.extend(ordered_map(_write_one, common, jobs, progress))
    except KeyboardInterrupt:
        _blanks.cache_clear()
        sync_files(f.path for f in files)  # what was written stays written
        kept = f"保护密码已记录在 {password_file}，已写出的表格都用它保护，请保留。" if password_file else ""
        raise Interrupted.of("GENERATE_INTERRUPTED", kept=kept, manifest=MANIFEST_NAME) from None
    _blanks.cache_clear()  # the batch's password is not kept in memory past the batch (`nianbao serve` runs on)
    sync_files(f.path for f in files)  # every workbook on disk before the manifest says the batch is complete
    write_atomic(manifest, _manifest(form, year, files), overwrite=force)
    return Batch(form, year, files, manifest, password_file)


def _write_one(common: tuple[str, int, str, str, bool], job: tuple[Unit, Path]) -> GeneratedFile:
    form_name, year, deadline, password, force = common
    unit, path = job
    data = _blanks(form_name, year, deadline, password).workbook(unit.unit_id, unit.unit_name)
    write_atomic(path, data, overwrite=force, sync=False)  # synced all at once, before the manifest
    return GeneratedFile(unit, path, sha256(data))


@lru_cache(maxsize=1)
def _blanks(form_name: str, year: int, deadline: str, password: str) -> Blanks:
    """The batch's workbook, built once in each process that writes the batch's workbooks."""
    return Blanks(load_form(form_name), year, deadline, password)


def parse_deadline(text: str) -> str:
    """``2027-01-15`` (or 2027/1/15, 2027年1月15日) as 2027年1月15日."""
    return chinese_date(deadline_date(text))


def chinese_date(day: date) -> str:
    """A day as a Chinese document writes it: 2027年1月15日 (Arabic digits, GB/T 9704)."""
    return f"{day.year}年{day.month}月{day.day}日"


def deadline_date(text: str) -> date:
    """The day a deadline names, written as 2027-01-15, 2027/1/15 or 2027年1月15日."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", text)
    try:
        if not m:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise NianbaoError(f"截止日期 {text!r} 无法识别，请写成 2027-01-15 这样的格式") from None


def file_names(units: list[Unit], year: int) -> dict[str, str]:
    """unit_id -> a readable file name, unique even on case-insensitive file systems."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for unit in units:
        stem = f"{safe_name(unit.unit_name)}_{year}年_{safe_name(unit.unit_id, 30)}"
        name, n = f"{stem}.xlsx", 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem}_{n}.xlsx"
        taken.add(name.casefold())
        names[unit.unit_id] = name
    return names


def _manifest(form: Form, year: int, files: list[GeneratedFile]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["单位编码", "单位名称", "文件名", "sha256", "年度", "表格格式", "版式指纹"])
    for f in files:
        row = [f.unit.unit_id, f.unit.unit_name, f.path.name, f.sha256, year, form.key, form.fingerprint]
        writer.writerow([csv_safe(field) for field in row])
    return buffer.getvalue().encode("utf-8-sig")  # with BOM so that Excel shows the Chinese
