"""`check --previous` without `--year` (issue 26): last year is the year before the checked files', so a file of
the same year is not taken as last year's (false 上年结转 errors), and a folder holding both years gives last
year's."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.form.spec import Form
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import filled_workbook, write


@pytest.fixture(scope="module")
def years(tmp_path_factory: pytest.TempPathFactory, form: Form) -> Path:
    """now/2025.xlsx; before/ holding last year's workbook (2024, whose 结转下年度 are this year's 上年结转) and
    another 2025 workbook of the unit."""
    now = consistent_inputs(form, random.Random(1))
    last = consistent_inputs(form, random.Random(2))
    t3 = form.table("T3")
    details = t3.row_codes[t3.row_codes.index("R03") : t3.row_codes.index("R23") + 1]
    for col in t3.col_codes[:-1]:
        last[f"T3.R25.{col}"], last[f"T3.R02.{col}"] = now[f"T3.R02.{col}"], 0.0
        last[f"T3.R01.{col}"] = sum(last[f"T3.{r}.{col}"] for r in details) + last[f"T3.R25.{col}"]
    root = tmp_path_factory.mktemp("years")
    (root / "now").mkdir()
    (root / "before").mkdir()
    write(root / "now", "2025.xlsx", filled_workbook(form, now))
    write(root / "before", "2024.xlsx", filled_workbook(form, last, year=2024))
    write(root / "before", "2025-draft.xlsx", filled_workbook(form, consistent_inputs(form, random.Random(3))))
    return root


def check(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *map(str, args)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_folder_with_both_years_gives_last_years_figures(years: Path) -> None:
    code, output = check(years / "now" / "2025.xlsx", "--previous", years / "before")
    assert code == 0 and "上年结转" not in output, output
    assert "2025-draft.xlsx：是 2025 年度的，不是上年（2024 年度）的，未使用" in output


def test_a_file_of_the_same_year_is_not_last_years(years: Path) -> None:
    code, output = check(years / "now" / "2025.xlsx", "--previous", years / "before" / "2025-draft.xlsx")
    assert code == 0 and "不是上年（2024 年度）的" in output and "没有找到该单位的上年数据" in output
    assert "≠" not in output, "no false carry-over errors"
