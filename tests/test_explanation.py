"""情况说明: the cover's input where a unit explains figures that raise warnings, declared in the spec
([cover] explanation), generated as an unlocked, validated input and shown by `check` with the warnings."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nianbao.cli import iter_lines, main
from nianbao.form import data_dir, templates_dir
from nianbao.form.rules import with_totals
from nianbao.form.spec import Form, a1, load_form
from nianbao.io.roster import Unit
from nianbao.io.values import says_nothing
from nianbao.io.writer import INPUT_FILL, TEXT_LIMIT
from nianbao.operations.annotate import annotate, annotated_name
from nianbao.operations.check import EXPLANATION_LEAD, CheckOptions, check_all, check_file, check_files
from nianbao.operations.report import AnnualReport, text_warnings
from nianbao.problems import WARNING
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import UNIT, blank_workbook, filled_workbook, write

SPEC = (templates_dir() / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8")
WHY = "本镇无规章制定权。\n表二规章行的 1 件是本镇执行的省政府规章，按往年口径填报。"


@pytest.fixture(scope="module")
def good(form: Form) -> dict[str, float]:
    return consistent_inputs(form, random.Random(5))


def explained_p1(form: Form, good: dict, tmp_path: Path, why: str = WHY, name: str = "p1.xlsx") -> Path:
    """A workbook with one 规章 (the P1 warning) and ``why`` in its 情况说明."""
    assert form.explanation
    return write(tmp_path, name, filled_workbook(form, {**good, "T2.R01.C1": 1}, texts={form.explanation.code: why}))


def test_the_2021_form_has_an_explanation_under_the_cover_fields(form: Form) -> None:
    explanation = form.explanation
    assert explanation is not None and (explanation.code, explanation.title) == ("E1", "情况说明")
    assert explanation.sheet == form.cover_sheet and explanation.row > max(f.row for f in form.cover_fields) + 1
    assert "⚠" in explanation.hint and explanation.lines > 1
    assert explanation in form.text_cells and form.text_cell("E1") == explanation
    assert any("情况说明" in line and "⚠" in line for line in form.instructions)


def test_the_generated_cover_has_an_unlocked_validated_explanation_input(form: Form) -> None:
    explanation = form.explanation
    assert explanation is not None
    wb = openpyxl.load_workbook(io.BytesIO(blank_workbook(form)))
    ws = wb[form.cover_sheet]
    assert ws.protection.sheet
    cell = ws[a1(explanation.row, explanation.col)]
    assert not cell.protection.locked and cell.fill.fgColor.rgb.endswith(INPUT_FILL[1:])
    assert ws.cell(explanation.row + 1, 1).value == "情况说明" and ws.cell(explanation.row + 1, 1).protection.locked
    hint = ws.cell(explanation.row, explanation.col + 1)
    assert hint.value == explanation.hint and hint.font.i and hint.protection.locked
    assert ws.row_dimensions[explanation.row + 1].height == 18 * explanation.lines
    (validation,) = [dv for dv in ws.data_validations.dataValidation if cell.coordinate in dv.sqref]
    assert (validation.type, validation.operator, validation.formula1) == ("textLength", "lessThanOrEqual", "32767")
    assert int(validation.formula1) == TEXT_LIMIT and validation.promptTitle == "情况说明" and validation.prompt


def test_check_reads_the_explanation_and_shows_it_under_the_warnings(form: Form, good: dict, tmp_path: Path) -> None:
    report = check_file(explained_p1(form, good, tmp_path), CheckOptions())
    assert [p.code for p in report.problems] == ["P1"] and report.ok
    assert report.explanation == WHY and report.explained
    lines = list(iter_lines(report))
    assert (
        lines[-1]
        == f"    {EXPLANATION_LEAD}本镇无规章制定权。 表二规章行的 1 件是本镇执行的省政府规章，按往年口径填报。"
    )
    assert lines[-2].startswith("    [警告]") and "规章" in lines[-2]
    document = report.to_json()
    assert document["explanation"] == WHY and document["explained"] is True


def test_check_on_the_command_line_prints_the_explanation_and_saves_it_in_the_json(
    form: Form, good: dict, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    explained_p1(form, good, folder)
    write(folder, "unexplained.xlsx", filled_workbook(form, {**good, "T2.R01.C2": 2}, unit=Unit("2", "乙镇")))
    out = tmp_path / "result.json"
    result = CliRunner().invoke(main, ["check", str(folder), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.count(EXPLANATION_LEAD) == 1
    assert f"    {EXPLANATION_LEAD}本镇无规章制定权。" in result.output
    files = {Path(f["path"]).name: f for f in json.loads(out.read_text(encoding="utf-8"))["files"]}
    assert (files["p1.xlsx"]["explanation"], files["p1.xlsx"]["explained"]) == (WHY, True)
    assert (files["unexplained.xlsx"]["explanation"], files["unexplained.xlsx"]["explained"]) == ("", False)


def test_without_warnings_an_explanation_is_read_but_not_shown(form: Form, good: dict, tmp_path: Path) -> None:
    assert form.explanation
    path = write(tmp_path, "ok.xlsx", filled_workbook(form, good, texts={form.explanation.code: "无"}))
    report = check_file(path, CheckOptions())
    assert report.problems == [] and report.explanation == "无" and not report.explained
    assert list(iter_lines(report)) == [f"✓ {report.name}（{UNIT.unit_name}）：通过"]


@pytest.mark.parametrize("text", ["", "  ", "无", "无。", "没有", "暂无", "/", "／", "—", "——", "-", "无情况说明"])
def test_a_placeholder_does_not_explain_the_warnings(form: Form, good: dict, tmp_path: Path, text: str) -> None:
    assert says_nothing(text)
    report = check_file(explained_p1(form, good, tmp_path, text), CheckOptions())
    assert report.warnings and not report.explained
    assert any(EXPLANATION_LEAD in line for line in iter_lines(report)) is bool(text.strip())


@pytest.mark.parametrize("text", ["本镇无规章制定权", "无规章制定权，规章数为 0", "见文字部分第六部分"])
def test_a_real_explanation_is_not_a_placeholder(text: str) -> None:
    assert not says_nothing(text)


def test_typed_invisible_characters_are_marked_on_the_terminal(form: Form, good: dict, tmp_path: Path) -> None:
    report = check_file(explained_p1(form, good, tmp_path, "说明\u202e字红\u200b"), CheckOptions())
    assert list(iter_lines(report))[-1] == f"    {EXPLANATION_LEAD}说明<U+202E>字红<U+200B>"


def test_a_merge_keeps_the_explanation_with_the_packed_figures(form: Form, good: dict, tmp_path: Path) -> None:
    report = check_file(explained_p1(form, good, tmp_path), CheckOptions(pack=True))
    assert report.explanation == WHY and report.explained and set(report.texts) == {s.code for s in form.narrative}


def test_a_duplicate_warning_found_later_counts_as_explained_in_the_json(
    form: Form, good: dict, tmp_path: Path
) -> None:
    assert form.explanation
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "a.xlsx", filled_workbook(form, good, texts={form.explanation.code: "第二份是改正后的"}))
    write(folder, "b.xlsx", filled_workbook(form, {**good, "T4.R01.C1": good["T4.R01.C1"] + 1}))
    run = check_files([folder])
    list(run)
    entries = {Path(e["path"]).name: e for e in run.to_json()["files"]}  # type: ignore[union-attr]
    assert entries["a.xlsx"]["explained"] is True and entries["b.xlsx"]["explained"] is False


def test_the_annotated_copy_lists_the_explanation_under_the_problems(form: Form, good: dict, tmp_path: Path) -> None:
    explanation = form.explanation
    assert explanation
    report = check_file(explained_p1(form, good, tmp_path), CheckOptions())
    target = tmp_path / annotated_name(report)
    assert annotate(report, target, "pw")
    ws = openpyxl.load_workbook(target)["问题清单"]
    rows = list(ws.iter_rows(min_row=4))
    assert [r[6].value for r in rows] == ["P1", None]
    last = rows[-1]
    assert last[5].value == EXPLANATION_LEAD + WHY and last[1].value == "说明"
    assert last[2].value == f"{form.cover_sheet}!{a1(explanation.row, explanation.col)}"
    assert last[2].hyperlink.target == f"#'{form.cover_sheet}'!{a1(explanation.row, explanation.col)}"


def test_a_spec_without_an_explanation_still_generates_and_checks(form: Form, good: dict, tmp_path: Path) -> None:
    lines = [line for line in SPEC.splitlines(keepends=True) if not line.startswith("explanation = ")]
    spec = tmp_path / "plain-2021.toml"
    spec.write_text("".join(lines), encoding="utf-8")
    plain = load_form(str(spec))
    assert plain.explanation is None and plain.text_cells == plain.narrative + plain.cover_fields
    assert plain.fingerprint != form.fingerprint
    data = filled_workbook(plain, good, texts={"N1": "总体情况"})
    cover = openpyxl.load_workbook(io.BytesIO(data))[plain.cover_sheet]
    assert "情况说明" not in [c.value for row in cover.iter_rows() for c in row]
    report = check_file(write(tmp_path, "plain.xlsx", data), CheckOptions(form_name=str(spec)))
    assert report.problems == [] and report.explanation == "" and not report.explained
    p1 = check_file(
        write(tmp_path, "p1.xlsx", filled_workbook(plain, {**good, "T2.R01.C1": 1})), CheckOptions(form_name=str(spec))
    )
    assert [p.severity for p in p1.problems] == [WARNING] and not p1.explained
    assert not any(EXPLANATION_LEAD in line for line in iter_lines(p1))


def test_the_sample_townships_show_the_feature() -> None:
    samples = check_all([data_dir("samples") / "filled"])
    assert all(r.ok for r in samples)
    explained = [r for r in samples if r.explained]
    assert [r.unit_name for r in explained] == ["冯家镇"]
    assert [p.code for p in explained[0].warnings] == ["P1"] and "规章制定权" in explained[0].explanation
    assert {r.unit_name: r.explanation for r in samples if r.explanation and not r.explained} == {"大德乡": "无"}


def test_the_explanation_is_not_part_of_the_published_report_text(form: Form, good: dict) -> None:
    assert form.explanation
    texts = {"N1": "总体情况", "N5": "存在问题", "N6": "未收取信息处理费", form.explanation.code: "收到申请 999 件"}
    report = AnnualReport(form, "甲镇", 2025, with_totals(form.totals, good), texts)
    assert text_warnings(report) == []
