"""Generated workbooks opened, typed into and saved by a real LibreOffice Calc (issue 2, part 4)."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest

from nianbao.form.rules import with_totals
from nianbao.form.spec import IDENTITY_SHEET, Form, load_form
from nianbao.io.identity import PROPERTY_PREFIX, Identity
from nianbao.io.roster import Unit
from nianbao.io.writer import build_workbook
from tests.helpers.figures import consistent_inputs
from tests.roundtrip.office import XLSX

YEAR = 2025


@pytest.fixture(scope="module")
def form() -> Form:
    return load_form()


@pytest.fixture(scope="module")
def blank(form: Form, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "blank.xlsx"
    unit = Unit("210922100", "彰武县彰武镇人民政府")
    path.write_bytes(
        build_workbook(form, Identity.for_unit(form, unit.unit_id, unit.unit_name, YEAR, "2026年1月20日"), "pw")
    )
    return path


def ref(form: Form, code: str) -> str:
    cell = form.cells[code]
    return f"{cell.sheet}!{cell.a1}"


@pytest.fixture(scope="module")
def sessions(form: Form, blank: Path, libreoffice, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One LibreOffice run: a consistent set, an inconsistent one, and the consistent one saved as .xlsx."""
    out = tmp_path_factory.mktemp("saved")
    good = consistent_inputs(form, random.Random(2025))
    bad = dict(good)
    bad["T3.R01.C1"] += 1  # breaks S1 in column C1, and so in the 总计 column C7
    bad["T2.R01.C2"] = 3.0  # a 规章 figure: P1 warning
    read = [ref(form, code) for code in form.cells]
    jobs = [
        {
            "src": str(blank),
            "type": {ref(form, c): v for c, v in good.items()},
            "read": read,
            "inspect": True,
            "save": [{"path": str(out / "good.xlsx"), "filter": XLSX}],
        },
        {"src": str(blank), "type": {ref(form, c): v for c, v in bad.items()}, "read": read, "inspect": True},
        {"src": str(blank), "read": read, "inspect": True},
    ]
    good_result, bad_result, blank_result = libreoffice(jobs)
    return {"good": (good, good_result), "bad": (bad, bad_result), "blank": blank_result, "saved": out / "good.xlsx"}


def check_cells(form: Form, result: dict) -> dict[tuple[str, int, int], str]:
    """Every formula cell that is not a total: the live checks and the fill status, by (sheet, row, col)."""
    totals = {(form.cells[c].sheet, form.cells[c].row, form.cells[c].col) for c in form.totals}
    return {
        (sheet, row, col): text
        for sheet, info in result["sheets"].items()
        for row, col, text, _value, _error in info["formulas"]
        if (sheet, row, col) not in totals
    }


def test_totals_equal_the_sums_computed_independently(form: Form, sessions: dict) -> None:
    inputs, result = sessions["good"]
    expected = with_totals(form.totals, inputs)
    for code in form.totals:
        assert result["cells"][ref(form, code)]["value"] == pytest.approx(expected[code]), code
    assert any(expected[c] for c in form.totals), "the figures should give some non-zero totals"


def test_no_formula_shows_an_error(sessions: dict) -> None:
    for name in ("good", "bad"):
        for sheet, info in sessions[name][1]["sheets"].items():
            assert [f for f in info["formulas"] if f[4]] == [], f"{name}: {sheet}"
    for sheet, info in sessions["blank"]["sheets"].items():
        assert [f for f in info["formulas"] if f[4]] == [], sheet


def test_consistent_figures_turn_every_check_green(form: Form, sessions: dict) -> None:
    checks = check_cells(form, sessions["good"][1])
    assert len(checks) >= 7 + 25 + 7 + 3 + 3  # S1, I2, I1, I3, P1 at least
    assert {text for text in checks.values() if not text.startswith("✓")} == set()


def test_inconsistent_figures_show_what_is_wrong_where(form: Form, sessions: dict) -> None:
    checks = check_cells(form, sessions["bad"][1])
    failing = {key: text for key, text in checks.items() if not text.startswith("✓")}
    s1 = [key for key, text in failing.items() if text.startswith("✗") and "一＋二≠三＋四" in text]
    assert {(key[0], key[2]) for key in s1} == {
        (form.cells[c].sheet, form.cells[c].col) for c in ("T3.R01.C1", "T3.R01.C7")
    }
    p1 = [key for key, text in failing.items() if text.startswith("⚠")]
    assert [key[2] for key in p1] == [form.cells["T2.R01.C2"].col]
    assert len(failing) == 3, failing


def test_blank_workbook_counts_cells_still_to_fill(form: Form, sessions: dict) -> None:
    texts = check_cells(form, sessions["blank"]).values()
    per_table = {t.id: sum(1 for c in form.inputs if c.table == t.id) for t in form.tables}
    for n in per_table.values():
        assert any(text.startswith(f"还有 {n} 格未填") for text in texts), n
    texts = check_cells(form, sessions["good"][1]).values()
    assert sum(text == "✓ 本表已全部填写" for text in texts) == len(form.tables)


def test_labels_verbatim_and_only_inputs_unlocked(form: Form, sessions: dict) -> None:
    cells = sessions["good"][1]["cells"]
    for code in form.cells:
        assert cells[ref(form, code)]["locked"] is (code in form.totals), code
    for sheet, info in sessions["good"][1]["sheets"].items():
        assert info["protected"], sheet


def test_protection_identity_and_validation_survive_a_libreoffice_save(form: Form, sessions: dict) -> None:
    inputs, _ = sessions["good"]
    wb = openpyxl.load_workbook(sessions["saved"])
    assert wb.sheetnames == form.sheets
    assert wb[IDENTITY_SHEET].sheet_state in ("hidden", "veryHidden")
    identity = {row[0]: row[1] for row in wb[IDENTITY_SHEET].iter_rows(values_only=True)}
    assert identity["unit_id"] == "210922100" and identity["unit_name"] == "彰武县彰武镇人民政府"
    assert identity["fingerprint"] == form.fingerprint and str(identity["year"]) == str(YEAR)
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props[PROPERTY_PREFIX + "unit_id"] == "210922100"
    assert props[PROPERTY_PREFIX + "fingerprint"] == form.fingerprint
    for name in form.sheets:
        assert wb[name].protection.sheet, name
    for label in form.labels:
        assert wb[label.sheet].cell(label.row + 1, label.col + 1).value == label.text
    for code, cell in form.cells.items():
        ws = wb[cell.sheet]
        validations = [dv for dv in ws.data_validations.dataValidation if cell.a1 in dv.sqref]
        if code in form.totals:
            assert ws[cell.a1].protection.locked and not validations, code
            continue
        assert not ws[cell.a1].protection.locked, code
        assert ws[cell.a1].value == pytest.approx(inputs[code]), code
        assert len(validations) == 1, code
        assert validations[0].type == ("decimal" if cell.type.validate == "decimal" else "whole")
        assert validations[0].error and validations[0].prompt
