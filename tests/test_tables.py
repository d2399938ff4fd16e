"""Tables handed on to Excel or WPS (io/tables.py): text never becomes a formula, in either kind of file."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nianbao.io.tables import table_bytes
from nianbao.phrases import shown_value
from nianbao.problems import NianbaoError

TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30)


@given(st.lists(st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=30), min_size=1))
def test_text_stays_text_in_a_workbook(values: list[str]) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(table_bytes(".xlsx", "表", ["列"] * len(values), [values]))).active
    for c, value in enumerate(values, start=1):
        cell = sheet.cell(row=2, column=c)
        assert cell.data_type == "s" and cell.value == value  # "=1+1" stays those four characters


@given(st.lists(TEXT, min_size=1, max_size=5))
def test_a_csv_field_that_a_spreadsheet_would_run_is_quoted(values: list[str]) -> None:
    text = table_bytes(".csv", "表", ["列"] * len(values), [values]).decode("utf-8-sig")
    (row,) = list(csv.reader(io.StringIO(text, newline="")))[1:]
    for written, value in zip(row, values, strict=True):
        assert written == ("'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value)


def test_another_kind_of_file_is_refused() -> None:
    with pytest.raises(NianbaoError, match=r"\.xlsx"):
        table_bytes(".pdf", "表", ["列"], [["x"]])


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "“TRUE”"), (False, "“FALSE”"), (None, "（空）"), (1234567.0, "1234567"), ("5件", "“5件”")],
)
def test_a_value_in_a_diff_is_shown_as_the_spreadsheet_shows_it(value: object, shown: str) -> None:
    assert shown_value(value) == shown
