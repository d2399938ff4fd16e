"""Figures that could be read two ways, or cannot be true, are errors: never a silent different number."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nianbao.form.spec import Form, load_form
from nianbao.io.values import MAX_COUNT, MAX_EXACT, read_figure
from nianbao.operations.check import CheckOptions, check_file
from nianbao.problems import ERROR, MESSAGES, WARNING
from tests.helpers.workbooks import filled_workbook

TYPES = load_form().types


def message(reading) -> str:  # type: ignore[no-untyped-def]
    return MESSAGES[reading.code].format(**(reading.fields or {}))


@given(st.integers(0, int(MAX_COUNT) - 1), st.sampled_from([",", "，", "﹐"]))
def test_a_count_with_thousands_separators_reads_as_itself(n: int, comma: str) -> None:
    reading = read_figure(f"{n:,}".replace(",", comma), TYPES["count"])
    assert (reading.value, reading.severity, reading.code) == (n, WARNING, "AS_TEXT")


@given(st.integers(0, 10**15), st.integers(0, 9999))
def test_an_amount_with_thousands_separators_reads_as_itself(n: int, decimals: int) -> None:
    text = f"{n:,}.{decimals:04d}"
    reading = read_figure(text, TYPES["amount"])
    assert reading.value == float(text.replace(",", "")) and reading.severity == WARNING


def _not_thousands(groups: list[str]) -> bool:
    return not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", ",".join(groups))


@given(
    st.lists(st.text("0123456789", max_size=5), min_size=2, max_size=4).filter(_not_thousands),
    st.sampled_from([",", "，"]),
    st.sampled_from(["", ".5", "-"]),
    st.sampled_from(["count", "amount"]),
)
def test_a_comma_not_in_groups_of_three_is_an_error_quoting_the_text(
    groups: list[str], comma: str, tail: str, kind: str
) -> None:
    text = comma.join(groups) + tail
    reading = read_figure(text, TYPES[kind])
    assert reading.value is None and reading.severity == ERROR
    if reading.code == "COMMA":
        assert text in message(reading)


@pytest.mark.parametrize(
    ("text", "kind"), [("1,5", "amount"), ("1，2", "count"), ("12,34", "count"), ("0,5", "amount")]
)
def test_the_reported_comma_cases_are_errors(text: str, kind: str) -> None:
    reading = read_figure(text, TYPES[kind])
    assert (reading.value, reading.severity, reading.code) == (None, ERROR, "COMMA")
    assert f"“{text}”中的逗号" in message(reading)


_ACCEPTED = re.compile(r"[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]*)?")


@given(st.text(st.sampled_from("0123456789０１２,，.．+- \u3000\u200b\ufeffe件"), max_size=12))
def test_never_a_silent_different_number(text: str) -> None:
    """Whatever mix of digits, commas, points and signs: either an error, or exactly the number written
    (thousands separators dropped)."""
    reading = read_figure(text, TYPES["amount"])
    if reading.value is None:
        assert reading.severity == ERROR
        return
    plain = unicodedata.normalize("NFKC", text).strip()
    assert _ACCEPTED.fullmatch(plain), plain
    assert reading.value == float(plain.replace(",", ""))


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (1e9, "count"),
        (1234567890.0, "count"),
        ("1,000,000,000", "count"),
        (MAX_EXACT, "amount"),
        (1e300, "amount"),
        ("99999999999999999999", "amount"),
        (-1e300, "count"),
    ],
)
def test_figures_that_cannot_be_true_are_errors(raw: object, kind: str) -> None:
    reading = read_figure(raw, TYPES[kind])
    assert (reading.value, reading.severity, reading.code) == (None, ERROR, "TOO_LARGE")
    assert "不可能是真实的" in message(reading)


def test_non_finite_is_an_error_and_the_largest_real_figures_are_fine() -> None:
    assert read_figure(float("inf"), TYPES["amount"]).code == "NOT_NUMBER"
    assert read_figure(float("nan"), TYPES["count"]).code == "NOT_NUMBER"
    assert read_figure(MAX_COUNT - 1, TYPES["count"]).value == MAX_COUNT - 1
    assert read_figure(123456789.1234, TYPES["amount"]).value == 123456789.1234


@pytest.mark.parametrize(
    ("text", "shown"),
    [("1\u200b2", "1<U+200B>2"), ("\ufeff5", "<U+FEFF>5"), ("5\u200d", "5<U+200D>"), ("\u200b", "<U+200B>")],
)
def test_invisible_characters_are_named_and_shown(text: str, shown: str) -> None:
    reading = read_figure(text, TYPES["count"])
    assert (reading.value, reading.severity, reading.code) == (None, ERROR, "INVISIBLE")
    assert "含不可见字符" in message(reading) and f"“{shown}”" in message(reading)


def test_check_reports_comma_and_invisible_figures_at_their_cells(tmp_path: Path, form: Form) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(filled_workbook(form, {"T3.R05.C2": "1,5", "T3.R05.C3": "1\u200b2", "T3.R05.C4": 1e12}))
    report = check_file(path, CheckOptions())
    found = {p.cell: p.code for p in report.problems if p.code in ("COMMA", "INVISIBLE", "TOO_LARGE")}
    cells = form.cells
    assert found == {
        cells["T3.R05.C2"].a1: "COMMA",
        cells["T3.R05.C3"].a1: "INVISIBLE",
        cells["T3.R05.C4"].a1: "TOO_LARGE",
    }
