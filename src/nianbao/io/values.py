"""What a person typed into a figure cell, read as a number or explained as a problem.

A blank is not a zero. Harmless forms (full-width digits, spaces, a number stored as text, “12.0” in a
count, “1,234” with thousands separators) are read with a warning; anything else that is not a number is an
error quoting the text. Never a guess: a comma that may be a decimal point (“1,5”), an invisible character
inside the digits, or a figure too large to be true is an error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from nianbao.problems import ERROR, WARNING

if TYPE_CHECKING:
    from nianbao.form.spec import FieldType
    from nianbao.io.reading import CellFormula

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_NOTHING = {"/", "\\", "-", "--", "—", "——", "－", "无", "没有", "暂无", "空", "x", "X", "×", "n/a", "N/A"}
# A comma only as a thousands separator: groups of three digits, not after a decimal point.
_THOUSANDS = re.compile(r"(?<![0-9,.])[0-9]{1,3}(?:,[0-9]{3})+(?![0-9,])")
MAX_EXACT = 2.0**53  # beyond this a double no longer holds every whole number: no real figure is this big
MAX_COUNT = 1e9  # a billion applications, cases or documents in one office's year cannot be true
_UNIT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(件|个|条|项|次|份|起|元|万元)$")


@dataclass(frozen=True)
class Reading:
    value: float | None
    severity: str | None = None  # None when the value is clean
    code: str = ""
    fields: dict[str, object] | None = None


def read_figure(raw: object, kind: FieldType) -> Reading:
    """``kind`` is the cell's type: a number ≥ 0 with at most ``kind.decimals`` places (0: a whole number)."""
    if type(raw) is float and kind.decimals == 0 and 0 <= raw < MAX_COUNT and raw.is_integer():
        return _clean_count(raw)  # by far the most common case: one shared answer per value
    if raw is None or raw == "":
        return Reading(None, ERROR, "BLANK", {})
    if isinstance(raw, bool):
        return Reading(None, ERROR, "NOT_NUMBER", {"what": f"逻辑值 {'TRUE' if raw else 'FALSE'}"})
    if isinstance(raw, (datetime, date, time, timedelta)):
        return Reading(None, ERROR, "NOT_NUMBER", {"what": f"日期或时间 {raw}"})
    if isinstance(raw, (int, float)):
        return _check_number(float(raw), kind)
    text = str(raw)
    if any(_invisible(ch) for ch in text):
        shown = "".join(f"<U+{ord(ch):04X}>" if _invisible(ch) else ch for ch in text)
        return Reading(None, ERROR, "INVISIBLE", {"text": shown})
    normalized = _THOUSANDS.sub(lambda m: m[0].replace(",", ""), unicodedata.normalize("NFKC", text).strip())
    if not normalized:
        return Reading(None, ERROR, "BLANK", {})
    if "," in normalized and _NUMBER.match(normalized.replace(",", "")):
        return Reading(None, ERROR, "COMMA", {"text": text.strip()})
    if _NUMBER.match(normalized):
        number = float(normalized)
        checked = _check_number(number, kind)
        if checked.severity:
            return checked
        return Reading(number, WARNING, "AS_TEXT", {"text": text, "value": _show(number)})
    return Reading(None, ERROR, "TEXT", {"text": text.strip(), "hint": _hint(normalized, kind)})


@lru_cache(maxsize=1024)
def _clean_count(value: float) -> Reading:
    return Reading(value)


def _invisible(ch: str) -> bool:
    """Zero-width spaces and joiners, BOMs, direction marks, control characters: nothing to see in a cell."""
    return unicodedata.category(ch) in ("Cf", "Cc") and not ch.isspace()


def _check_number(value: float, kind: FieldType) -> Reading:
    if value != value or value in (float("inf"), float("-inf")):
        return Reading(None, ERROR, "NOT_NUMBER", {"what": "无效数字"})
    whole = kind.decimals == 0
    if abs(value) >= (MAX_COUNT if whole else MAX_EXACT):
        shown = _show(value) if abs(value) < 1e15 else f"{value:.6g}"
        what, most = ("件数", "10 亿") if whole else ("数字", "9007 万亿")
        return Reading(None, ERROR, "TOO_LARGE", {"value": shown, "what": what, "limit": most})
    if value < 0:
        return Reading(None, ERROR, "NEGATIVE", {"value": _show(value)})
    if abs(value - round(value, kind.decimals)) > 1e-9:
        fields = {"value": _show(value), "decimals": kind.decimals, "unit": kind.unit}
        return Reading(None, ERROR, "DECIMALS" if kind.decimals else "FRACTION", fields)
    return Reading(value if kind.decimals else float(round(value)))


def _hint(text: str, kind: FieldType) -> str:
    if text in _NOTHING:
        return "；没有发生请填 0"
    m = _UNIT.match(text)
    if m:
        number, unit = float(m[1]), m[2]
        if kind.unit == "万元" and unit == "元":
            return f"，单位是万元：{_show(number)} 元应填 {_show(round(number / 10000, 6))}"
        return f"，不要带单位：应填 {_show(number)}"
    return "（没有发生请填 0）"


def _show(value: float) -> str:
    """A number as typed, in full: 12, 0.00001 (never 1e-05)."""
    return str(int(value)) if value == int(value) else format(Decimal(repr(value)), "f")


def formula_reading(reading: Reading, formula: CellFormula | None) -> Reading:
    """What a figure cell means when it holds ``formula``: a formula whose result was never calculated (saved
    by a program that does not calculate) is an error, not a blank; one that reads another file keeps the
    result saved with it, with a warning (the other file may have changed since)."""
    if formula is None or (reading.code != "BLANK" and reading.severity == ERROR):
        return reading
    if not formula.cached:
        return Reading(None, ERROR, "NO_RESULT", {"formula": "=" + formula.text})
    if formula.error and not formula.text:  # an .xls keeps a formula as tokens, not as text
        return Reading(None, ERROR, "FORMULA_ERROR_VALUE", {"error": formula.error})
    if formula.error:
        return Reading(None, ERROR, "FORMULA_ERROR", {"formula": "=" + formula.text, "error": formula.error})
    if formula.external and reading.value is not None:
        return Reading(
            reading.value, WARNING, "EXTERNAL", {"formula": "=" + formula.text, "value": _show(reading.value)}
        )
    return reading


def read_text(raw: object) -> str:
    """A narrative or cover cell as text (a number someone typed there becomes its digits)."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, float):
        return _show(raw)
    return str(raw).strip()


_SAYS_NOTHING = _NOTHING | {"", "无说明", "无情况说明", "无需说明", "不适用", "无此情况"}


def says_nothing(text: str) -> bool:
    """Whether a text (such as the explanation of warnings) is empty or only a placeholder: “无”, “/”, “—”."""
    return unicodedata.normalize("NFKC", text).strip().rstrip("。.；;！!").strip() in _SAYS_NOTHING


def one_line(text: str) -> str:
    """Typed text for one line of a terminal: line breaks and runs of spaces as one space, control and
    invisible characters marked <U+…>."""
    return " ".join("".join(f"<U+{ord(ch):04X}>" if _invisible(ch) else ch for ch in text).split())
