"""A revision of the format is a new data file, not new code: generate, check and merge follow it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.form import templates_dir
from nianbao.form.spec import load_form
from nianbao.operations.check import CheckOptions, check_file

SPEC = (templates_dir() / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8")


def revised_spec(tmp_path: Path) -> Path:
    """A made-up revision: version 2099, and a 行政裁决 row after 行政强制 in Table 2."""
    text = SPEC.replace('version = "2021"', 'version = "2099"')
    text = text.replace(
        '{ code = "R05", labels = [{ text = "行政强制" }] },',
        '{ code = "R05", labels = [{ text = "行政强制" }] },\n  { code = "R07", labels = [{ text = "行政裁决" }] },',
    )
    assert "行政裁决" in text
    path = tmp_path / "gov-info-disclosure-2099.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_spec_file_drives_generate_check_and_merge(tmp_path: Path) -> None:
    spec = revised_spec(tmp_path)
    form = load_form(str(spec))
    assert "T2.R07.C1" in form.cells and form.fingerprint != load_form().fingerprint
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["单位编码", "单位名称"], ["1", "甲镇"], ["2", "乙镇"]])
    out = tmp_path / "out"
    args = ["--roster", str(roster), "--year", "2099", "--form", str(spec)]
    result = CliRunner().invoke(main, ["generate", *args, "--out", str(out), "--password", "p"])
    assert result.exit_code == 0, result.output
    for n, book in enumerate(sorted(out.glob("*.xlsx")), start=1):
        wb = openpyxl.load_workbook(book)
        for cell in form.inputs:
            wb[cell.sheet].cell(cell.row + 1, cell.col + 1).value = 0
        new = form.cells["T2.R07.C1"]
        assert wb[new.sheet].cell(new.row + 1, 1).value == "行政裁决"
        wb[new.sheet].cell(new.row + 1, new.col + 1).value = 10 * n
        buffer = io.BytesIO()
        wb.save(buffer)
        book.write_bytes(buffer.getvalue())
        assert check_file(book, CheckOptions(form_name=str(spec))).problems == []
    assert [p.code for p in check_file(book, CheckOptions()).errors] == ["UNKNOWN_FORM"]
    summary = tmp_path / "sum.xlsx"
    result = CliRunner().invoke(main, ["merge", str(out), *args, "--out", str(summary)])
    assert result.exit_code == 0, result.output
    assert check_file(summary, CheckOptions(form_name=str(spec))).figures["T2.R07.C1"] == 30
