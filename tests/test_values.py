"""What people type into figure cells, read as numbers or explained (property-based where it fits)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nianbao.form.spec import load_form
from nianbao.io.values import read_figure
from nianbao.problems import ERROR, WARNING

TYPES = load_form().types  # "count" (whole numbers) and "amount" (万元, 4 decimals) of the 2021 form


@given(st.integers(0, 10**7))
def test_whole_numbers_are_counts(n: int) -> None:
    assert read_figure(float(n), TYPES["count"]).value == n
    assert read_figure(n, TYPES["count"]).severity is None


@given(st.decimals(0, 10**6, places=4, allow_nan=False, allow_infinity=False))
def test_amounts_with_up_to_four_decimals(d) -> None:
    reading = read_figure(float(d), TYPES["amount"])
    assert reading.severity is None and reading.value == pytest.approx(float(d))


@given(st.integers(0, 10**6), st.sampled_from(["{}", " {} ", "\u3000{}", "{}.0"]))
def test_harmless_text_forms_are_read_with_a_warning(n: int, shape: str) -> None:
    fullwidth = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for digits in (str(n), fullwidth):
        reading = read_figure(shape.format(digits), TYPES["count"])
        assert (reading.value, reading.severity, reading.code) == (n, WARNING, "AS_TEXT")


@pytest.mark.parametrize(
    ("raw", "kind", "code", "says"),
    [
        ("", "count", "BLANK", "没有发生请填 0"),
        (None, "count", "BLANK", "没有发生请填 0"),
        ("5件", "count", "TEXT", "应填 5"),
        ("/", "count", "TEXT", "没有发生请填 0"),
        ("—", "count", "TEXT", "没有发生请填 0"),
        ("无", "count", "TEXT", "没有发生请填 0"),
        ("251000元", "amount", "TEXT", "应填 25.1"),
        ("约五件", "count", "TEXT", "约五件"),
        (-1.0, "count", "NEGATIVE", "-1"),
        ("-3", "count", "NEGATIVE", "-3"),
        (2.5, "count", "FRACTION", "2.5"),
        (1.23456, "amount", "DECIMALS", "1.23456"),
        (-0.5, "amount", "NEGATIVE", "-0.5"),
        (True, "count", "NOT_NUMBER", "TRUE"),
    ],
)
def test_what_is_not_a_figure_is_an_error_quoting_it(raw, kind: str, code: str, says: str) -> None:
    from nianbao.problems import MESSAGES

    reading = read_figure(raw, TYPES[kind])
    assert (reading.value, reading.severity, reading.code) == (None, ERROR, code)
    assert says in MESSAGES[code].format(**(reading.fields or {}))


@given(st.text(min_size=1).filter(lambda s: not any(ch.isdigit() for ch in s)))
def test_any_text_without_digits_is_an_error(text: str) -> None:
    reading = read_figure(text, TYPES["count"])
    assert reading.value is None and reading.severity == ERROR
