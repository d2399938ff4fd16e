"""What a workbook says about itself: unit, year, form and layout fingerprint.

Written twice into every workbook the tool makes, in a very hidden sheet and in custom document properties,
because WPS, Excel and LibreOffice each keep at least one of them when they save. Read back from both, and
the two must agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import xlsxwriter

from nianbao.form.spec import IDENTITY_SHEET, Form
from nianbao.io.reading import OpenedFile
from nianbao.io.values import read_text

PROPERTY_PREFIX = "nianbao_"
ANNOTATED_PROPERTY = PROPERTY_PREFIX + "annotated"  # on an annotated copy: the digest of what it holds
MAX_PROPERTY = 255  # Excel's limit for a custom property's text
# What the sheet and the properties must agree on. Not the name: office suites store odd texts differently in the
# two places (an "_x0041_" in a name), and a renamed unit shows on the cover check and against the roster.
COMPARED = ("unit_id", "year", "form_id", "fingerprint")
UNIT, SUMMARY = "unit", "summary"


@dataclass(frozen=True)
class Identity:
    form_id: str
    form_version: str
    fingerprint: str
    unit_id: str
    unit_name: str
    year: int
    deadline: str = ""
    kind: str = UNIT  # UNIT, or SUMMARY for a sum of units
    units: str = ""  # a summary: how many units it sums
    missing: str = ""  # a partial summary: how many roster units it lacks
    printed: str = ""  # imported from a report: its printed totals that differ from their items' sum ("T4.R01.C5=0")

    @classmethod
    def for_unit(cls, form: Form, unit_id: str, unit_name: str, year: int, deadline: str = "") -> Identity:
        return cls(form.id, form.version, form.fingerprint, unit_id, unit_name, year, deadline)

    @classmethod
    def for_summary(cls, form: Form, unit_id: str, unit_name: str, year: int, units: int, missing: int) -> Identity:
        return cls(
            form.id,
            form.version,
            form.fingerprint,
            unit_id,
            unit_name,
            year,
            kind=SUMMARY,
            units=str(units),
            missing=str(missing),
        )

    @classmethod
    def from_fields(cls, found: Mapping[str, str]) -> Identity:
        """The identity as read back from a file (see ``read_identity``)."""
        values = {f.name: found.get(f.name, "") for f in fields(cls)}
        return cls(**{**values, "year": int(found.get("year") or 0)})  # type: ignore[arg-type]

    def items(self) -> list[tuple[str, str]]:
        """Every field as text; ``printed`` only when there is something (other workbooks stay as they were)."""
        return [(f.name, str(getattr(self, f.name))) for f in fields(self) if f.name != "printed" or self.printed]

    def write(self, wb: xlsxwriter.Workbook, password: str, generator: str) -> None:
        """Both copies: custom properties (cut to Excel's limit) and a protected, very hidden sheet (whole)."""
        for key, value in self.items():
            wb.set_custom_property(PROPERTY_PREFIX + key, _shorten(value))
        ws = wb.add_worksheet(IDENTITY_SHEET)
        rows = [*self.items(), ("generator", generator)]
        for row, (key, value) in enumerate(rows):
            ws.write_string(row, 0, key)
            ws.write_string(row, 1, value)
        ws.protect(password)
        ws.very_hidden()


@dataclass(frozen=True)
class FoundIdentity:
    """An identity as read from a file: every field (blank where absent), and the fields on which the hidden
    sheet and the properties disagree."""

    fields: dict[str, str]
    differing: list[tuple[str, str, str]]  # (field, in the sheet, in the properties)

    @property
    def complete(self) -> bool:
        return bool(self.fields["unit_id"] and self.fields["form_id"])


def read_identity(opened: OpenedFile) -> FoundIdentity:
    sheet = opened.sheets.get(IDENTITY_SHEET)
    from_sheet = {}
    if sheet is not None:
        from_sheet = {read_text(row[0]): read_text(row[1]) for row in sheet.rows if len(row) >= 2 and row[0]}
    prefix = len(PROPERTY_PREFIX)
    from_props = {k[prefix:]: v for k, v in opened.properties.items() if k.startswith(PROPERTY_PREFIX)}
    found = {f.name: from_sheet.get(f.name) or from_props.get(f.name, "") for f in fields(Identity)}
    differing = []
    if from_sheet and from_props:
        for key in COMPARED:
            in_sheet, in_props = from_sheet.get(key, ""), from_props.get(key)
            if in_props is not None and _shorten(in_sheet) != in_props:
                differing.append((key, in_sheet, in_props))
    return FoundIdentity(found, differing)


def _shorten(text: str) -> str:
    """A property's copy of a value: whole, or cut to Excel's limit with an ellipsis (the sheet keeps it whole)."""
    return text if len(text) <= MAX_PROPERTY else text[: MAX_PROPERTY - 1] + "…"
