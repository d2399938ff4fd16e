"""Workbooks filled and saved by LibreOffice as .xlsx, .xls and .ods, read back by `check` (issue 3)."""

from __future__ import annotations

import random
from pathlib import Path

import msoffcrypto
import openpyxl
import pytest

from nianbao.cli import iter_lines
from nianbao.form.rules import with_totals
from nianbao.form.spec import Form, a1
from nianbao.operations.annotate import annotate, annotated_name
from nianbao.operations.check import EXPLANATION_LEAD, CheckOptions, check_file
from tests.conftest import ZHANGWU_2022
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import UNIT, blank_workbook, published_sample_figures
from tests.roundtrip.office import ODS, XLS, XLSX

FORMATS = {"xlsx": XLSX, "xls": XLS, "ods": ODS}
WHY = "本镇无规章制定权。\n表二规章行填的是本镇执行的省政府规章。"  # typed into 情况说明, with a line break


FORMULAS = {"T3.R05.C2": "=1/0", "T4.R01.C3": '="五"+1'}  # formulas a unit typed that give error values


def ref(form: Form, code: str) -> str:
    cell = form.cells[code]
    return f"{cell.sheet}!{cell.a1}"


@pytest.fixture(scope="module")
def saved(form: Form, libreoffice, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three units' workbooks typed into by LibreOffice and saved in every format, in one office session."""
    folder = tmp_path_factory.mktemp("lo-check")
    blank = folder / "blank.xlsx"
    blank.write_bytes(blank_workbook(form))
    good = consistent_inputs(form, random.Random(11))
    typos = {**good, "T3.R05.C2": "5件", "T3.R06.C1": "/", "T4.R01.C3": " ", "T2.R06.C1": "251000元", "T2.R01.C1": 1}
    zhangwu = published_sample_figures(form, ZHANGWU_2022)
    zhangwu_year = folder / "zhangwu-blank.xlsx"
    zhangwu_year.write_bytes(blank_workbook(form, year=2022))
    explanation = form.explanation
    assert explanation
    narrative = {
        f"{form.narrative_sheet}!A{form.narrative[0].row + 1}": "一是主动公开情况。",
        f"{explanation.sheet}!{a1(explanation.row, explanation.col)}": WHY,
    }

    def job(
        src: Path, values: dict, name: str, formats=FORMATS, password: str | None = None, formulas: dict | None = None
    ) -> dict:
        typed = {ref(form, c): v for c, v in values.items() if c not in form.totals}
        saves = [
            {"path": str(folder / f"{name}.{ext}"), "filter": f, "password": password} for ext, f in formats.items()
        ]
        formulas = {ref(form, c): f for c, f in (formulas or {}).items()}
        return {"src": str(src), "type": {**typed, **narrative}, "formulas": formulas, "save": saves}

    libreoffice(
        [
            job(blank, good, "good"),
            job(blank, typos, "typos"),
            job(zhangwu_year, zhangwu, "zhangwu", {"xlsx": XLSX}),
            job(blank, good, "encrypted", {"xls": XLS, "ods": ODS}, password="secret"),
            job(blank, good, "formulas", formulas=FORMULAS),
        ]
    )
    # LibreOffice's UNO store does not encrypt .xlsx; msoffcrypto-tool writes Excel's own (agile) encryption.
    with (folder / "good.xlsx").open("rb") as plain, (folder / "encrypted.xlsx").open("wb") as locked:
        office_file = msoffcrypto.OfficeFile(plain)
        office_file.encrypt("secret", locked)
    return {"folder": folder, "good": good}


@pytest.mark.parametrize("ext", FORMATS)
def test_consistent_workbook_saved_by_libreoffice_passes_with_the_same_figures(
    saved: dict, form: Form, ext: str
) -> None:
    report = check_file(saved["folder"] / f"good.{ext}", CheckOptions(year=2025, roster={UNIT.unit_id: UNIT}))
    assert report.problems == [], [p.describe() for p in report.problems]
    assert report.figures == with_totals(form.totals, saved["good"])
    assert report.texts["N1"] == "一是主动公开情况。"
    assert report.explanation == WHY and not report.explained  # read, but nothing to explain


@pytest.mark.parametrize("ext", FORMATS)
def test_typed_text_is_caught_in_every_format(saved: dict, form: Form, ext: str) -> None:
    report = check_file(saved["folder"] / f"typos.{ext}", CheckOptions())
    errors = {(p.code, p.cell) for p in report.errors}
    assert errors == {
        ("TEXT", form.cells["T3.R05.C2"].a1),
        ("TEXT", form.cells["T3.R06.C1"].a1),
        ("BLANK", form.cells["T4.R01.C3"].a1),
        ("TEXT", form.cells["T2.R06.C1"].a1),
    }
    assert [p.code for p in report.warnings] == ["P1"] and report.explained and report.explanation == WHY
    assert (
        list(iter_lines(report))[-1]
        == f"    {EXPLANATION_LEAD}本镇无规章制定权。 表二规章行填的是本镇执行的省政府规章。"
    )


@pytest.mark.parametrize("ext", FORMATS)
def test_a_formula_giving_an_error_value_is_named_in_every_format_not_called_blank(
    saved: dict, form: Form, ext: str
) -> None:
    report = check_file(saved["folder"] / f"formulas.{ext}", CheckOptions())
    found = {p.cell: p for p in report.errors}
    assert set(found) == {form.cells[code].a1 for code in FORMULAS}, [p.describe() for p in report.errors]
    division, text = found[form.cells["T3.R05.C2"].a1], found[form.cells["T4.R01.C3"].a1]
    assert "#DIV/0!" in division.message and "#VALUE!" in text.message
    if ext == "xls":  # the formula is kept as tokens: its error is named, not its text
        assert division.code == text.code == "FORMULA_ERROR_VALUE"
    else:
        assert division.code == "FORMULA_ERROR" and "“=1/0”" in division.message
        assert '“="五"+1”' in text.message


def test_zhangwu_2022_report_typed_in_libreoffice_gives_one_error_for_the_blank_cell(saved: dict, form: Form) -> None:
    report = check_file(saved["folder"] / "zhangwu.xlsx", CheckOptions(year=2022))
    (problem,) = report.problems
    assert (problem.code, problem.cell) == ("BLANK", form.cells["T3.R02.C3"].a1)


@pytest.mark.parametrize("ext", FORMATS)
def test_password_protected_file_from_libreoffice_is_refused_clearly(saved: dict, ext: str) -> None:
    report = check_file(saved["folder"] / f"encrypted.{ext}", CheckOptions())
    (problem,) = report.problems
    assert problem.code == "ENCRYPTED" and "密码" in problem.message


@pytest.mark.parametrize("ext", ["xls", "ods"])
def test_annotated_copy_of_an_xls_or_ods_rebuilds_the_workbook_with_what_was_typed(
    saved: dict, form: Form, ext: str, tmp_path: Path
) -> None:
    report = check_file(saved["folder"] / f"typos.{ext}", CheckOptions())
    target = tmp_path / annotated_name(report)
    assert annotate(report, target, "pw")
    wb = openpyxl.load_workbook(target)
    cell = form.cells["T3.R05.C2"]
    marked = wb[cell.sheet][cell.a1]
    assert marked.value == "5件" and "5件" in marked.comment.text
    same = form.cells["T3.R05.C1"]
    assert wb[same.sheet][same.a1].value == saved["good"]["T3.R05.C1"]
    again = check_file(target, CheckOptions())
    assert {(p.code, p.cell) for p in again.errors} == {(p.code, p.cell) for p in report.errors}
    assert again.explanation == WHY
    listed = [row[5] for row in wb["问题清单"].iter_rows(min_row=4, values_only=True)]
    assert listed[-1] == EXPLANATION_LEAD + WHY
