"""The whole round trip on the bundled samples: generate, fill as the townships did, check, merge."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from nianbao.form.spec import data_dir, load_form
from nianbao.io.files import atomic_file
from nianbao.operations.annotate import place_values
from nianbao.operations.check import check_all
from nianbao.operations.generate import Batch, generate
from nianbao.operations.merge import Summary, merge
from nianbao.problems import NianbaoError

YEAR = 2025
COUNTY_ID, COUNTY_NAME = "210922", "彰武县"
MARKER = ".nianbao-demo"
BLANK, RETURNED = "1-空白表格", "2-收回表格"


@dataclass
class Demo:
    batch: Batch
    merge: Summary


def run_demo(out: str | Path) -> Demo:
    """Write the demo into ``out`` (a new folder, or one an earlier demo made)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise NianbaoError(f"{out} 已存在且不是演示目录，为免覆盖未做任何操作；请换一个 --out 目录")
    ours = {MARKER, BLANK, RETURNED, f"{COUNTY_NAME}{YEAR}年汇总.xlsx"}
    others = sorted(p.name for p in out.iterdir() if p.name not in ours) if out.exists() else []
    if others:
        shown = "、".join(others[:5])
        raise NianbaoError(f"演示目录 {out} 中有不是演示生成的文件（{shown}），为免删除未做任何操作；请换 --out 目录")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("nianbao demo\n", encoding="utf-8")
    samples = data_dir("samples")
    roster = samples / "zhangwu-county-roster.csv"
    form = load_form()

    batch = generate(roster, YEAR, out / BLANK, password="nianbao-demo", deadline=f"{YEAR + 1}-01-20")
    # What the townships typed, from workbooks they filled and saved in LibreOffice (.xlsx, .xls, .ods).
    typed = {r.unit_id: r.raw for r in check_all([samples / "filled"])}
    for generated in batch.files:
        workbook = openpyxl.load_workbook(generated.path)
        place_values(workbook, form, typed[generated.unit.unit_id])
        with atomic_file(out / RETURNED / generated.path.name, overwrite=False) as target:
            workbook.save(target)

    result = merge(
        [out / RETURNED],
        roster,
        YEAR,
        out / f"{COUNTY_NAME}{YEAR}年汇总.xlsx",
        unit_id=COUNTY_ID,
        unit_name=COUNTY_NAME,
    )  # merge checks every returned file as `nianbao check` does
    return Demo(batch, result)
