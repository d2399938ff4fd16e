"""The whole round trip on the bundled samples: generate, fill as the townships did, check, merge; and a
collection workspace in the middle of its round, to open with `nianbao serve --open`."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl

from nianbao.form import data_dir
from nianbao.form.spec import Form, load_form
from nianbao.io.files import atomic_file
from nianbao.operations.annotate import place_values
from nianbao.operations.check import check_all
from nianbao.operations.generate import Batch, generate
from nianbao.operations.merge import Summary, merge
from nianbao.problems import NianbaoError

if TYPE_CHECKING:
    from nianbao.collection.workspace import RoundStatus

YEAR = 2025
COUNTY_ID, COUNTY_NAME = "210922", "彰武县"
MARKER = ".nianbao-demo"
BLANK, RETURNED, ROUND = "1-空白表格", "2-收回表格", "3-收集工作区"
DEADLINE = datetime(YEAR + 1, 1, 20, 17, 0)
# The round in the workspace: most townships on time; one typed “5件”, one did not explain its warning, one
# came late, two have not sent anything yet.
TYPO, UNEXPLAINED, LATE, NOT_YET = "210922101", "210922103", "210922111", ("210922114", "210922208")
OWN_TEXT_SAMPLE = "zhangwu-county-own-text.txt"  # the county's own text of its report's sections 一、五、六


@dataclass
class Demo:
    batch: Batch
    merge: Summary
    round: RoundStatus


def run_demo(out: str | Path) -> Demo:
    """Write the demo into ``out`` (a new folder, or one an earlier demo made)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise NianbaoError.of("DEMO_FOLDER_TAKEN", out=out)
    ours = {MARKER, BLANK, RETURNED, ROUND, f"{COUNTY_NAME}{YEAR}年汇总.xlsx"}
    others = sorted(p.name for p in out.iterdir() if p.name not in ours) if out.exists() else []
    if others:
        shown = "、".join(others[:5])
        raise NianbaoError.of("DEMO_FOREIGN_FILES", out=out, names=shown)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("nianbao demo\n", encoding="utf-8")
    samples = data_dir("samples")
    roster = samples / "zhangwu-county-roster.csv"
    form = load_form()

    batch = generate(roster, YEAR, out / BLANK, password="nianbao-demo", deadline=DEADLINE.date().isoformat())
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
    return Demo(batch, result, _round(out, roster, form))


def _round(out: Path, roster: Path, form: Form) -> RoundStatus:
    """A workspace part of the way through its round, made of the returned workbooks."""
    from nianbao.collection.layout import OWN_TEXT_STEM
    from nianbao.collection.workspace import Workspace  # the record: only here

    workspace, _ = Workspace.create(
        out / ROUND,
        roster,
        YEAR,
        deadline=DEADLINE.date().isoformat(),
        password="nianbao-demo",
        unit_id=COUNTY_ID,
        unit_name=COUNTY_NAME,
    )
    returned = {p.stem.rsplit("_", 1)[-1]: p for p in (out / RETURNED).glob("*.xlsx")}
    assert form.explanation is not None
    edits = {TYPO: {"T3.R01.C1": "5件"}, UNEXPLAINED: {form.explanation.code: ""}}
    with tempfile.TemporaryDirectory(prefix="nianbao-demo-") as folder:
        on_time = []
        for unit_id, path in sorted(returned.items()):
            if unit_id in NOT_YET or unit_id == LATE:
                continue
            if unit_id in edits:
                workbook = openpyxl.load_workbook(path)
                place_values(workbook, form, edits[unit_id])
                path = Path(folder) / path.name
                workbook.save(path)
            on_time.append(path)
        source = "演示：乡镇发回的表格"
        workspace.receive(on_time, source=source, received_at=DEADLINE - timedelta(days=4, hours=3))
        workspace.receive([returned[LATE]], source=source, received_at=DEADLINE + timedelta(days=2))
    # The county's own text of its report, as a clerk would write it (`nianbao report -w` reads it).
    shutil.copyfile(data_dir("samples") / OWN_TEXT_SAMPLE, out / ROUND / f"{OWN_TEXT_STEM}.txt")
    status = workspace.status()
    workspace.close()
    return status
