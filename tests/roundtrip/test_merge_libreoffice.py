"""Summary workbooks filled in LibreOffice in mixed formats; open the summary in LibreOffice (issue 4)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from nianbao.form.rules import with_totals
from nianbao.form.spec import Form
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.merge import merge
from tests.helpers.figures import township_inputs
from tests.helpers.workbooks import blank_workbook
from tests.roundtrip.office import FILTERS, XLSX

UNITS = {"xlsx": Unit("1", "甲镇"), "xls": Unit("2", "乙乡"), "ods": Unit("3", "丙街道")}


def ref(form: Form, code: str) -> str:
    return f"{form.cells[code].sheet}!{form.cells[code].a1}"


@pytest.fixture(scope="module")
def county(form: Form, libreoffice, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("lo-merge")
    returned = folder / "returned"
    returned.mkdir()
    inputs, jobs = {}, []
    for i, (ext, unit) in enumerate(UNITS.items()):
        blank = folder / f"blank-{unit.unit_id}.xlsx"
        blank.write_bytes(blank_workbook(form, unit))
        inputs[unit.unit_id] = township_inputs(form, random.Random(i))
        inputs[unit.unit_id]["T3.R01.C1"] += 7  # every unit received applications: the sums are not all zero
        inputs[unit.unit_id]["T3.R03.C1"] += 7
        typed = {ref(form, c): v for c, v in inputs[unit.unit_id].items()}
        jobs.append(
            {
                "src": str(blank),
                "type": typed,
                "save": [{"path": str(returned / f"{unit.unit_name}.{ext}"), "filter": FILTERS[ext]}],
            }
        )
    libreoffice(jobs)
    roster = folder / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["单位编码", "单位名称"], *[[u.unit_id, u.unit_name] for u in UNITS.values()]])
    summary = folder / "县汇总.xlsx"
    result = merge([returned], roster, 2025, summary, unit_id="C1", unit_name="某县")
    resaved = folder / "县汇总-LibreOffice另存.xlsx"
    totals = [ref(form, c) for c in form.totals]
    (opened,) = libreoffice(
        [{"src": str(summary), "read": totals, "inspect": True, "save": [{"path": str(resaved), "filter": XLSX}]}]
    )
    complete = [with_totals(form.totals, i) for i in inputs.values()]
    expected = {code: round(sum(c[code] for c in complete), 4) for code in form.cells}
    return {"result": result, "summary": summary, "resaved": resaved, "opened": opened, "expected": expected}


def test_merged_figures_equal_independent_sums_across_formats(county: dict) -> None:
    result = county["result"]
    assert result.complete and {r.path.suffix for r in result.reports} == {".xlsx", ".xls", ".ods"}
    assert result.sums == pytest.approx(county["expected"])
    assert county["expected"]["T3.R01.C7"] >= 21


def test_libreoffice_recalculates_the_summary_to_the_same_totals_without_errors(county: dict, form: Form) -> None:
    opened = county["opened"]
    for code in form.totals:
        assert opened["cells"][ref(form, code)]["value"] == pytest.approx(county["expected"][code]), code
    for sheet, info in opened["sheets"].items():
        assert [f for f in info["formulas"] if f[4]] == [], sheet
    checks = [f[2] for info in opened["sheets"].values() for f in info["formulas"] if f[2][:1] in "✓✗⚠"]
    assert checks and all(text.startswith("✓") for text in checks)


def test_summary_resaved_by_libreoffice_is_still_a_valid_input(county: dict, tmp_path: Path) -> None:
    report = check_file(county["resaved"], CheckOptions(year=2025))
    assert report.ok and report.figures == pytest.approx(county["expected"])
    roster = tmp_path / "city.csv"
    roster.write_text("单位编码,单位名称\nC1,某县\n", encoding="utf-8")
    upper = merge([county["resaved"]], roster, 2025, tmp_path / "市.xlsx", unit_id="M", unit_name="某市")
    assert upper.complete and upper.sums == pytest.approx(county["expected"])
