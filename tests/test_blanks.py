"""A batch's blank workbooks stamped with each unit's code and name are the very workbooks XlsxWriter builds for
the unit (same bytes: same cells, identity, protection, formulas, validation); texts that cannot be stamped are
built."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.form.spec import load_form
from nianbao.io.blanks import Blanks
from nianbao.io.identity import Identity
from nianbao.io.reading import open_spreadsheet
from nianbao.io.writer import build_workbook
from nianbao.operations.check import CheckOptions, check_file

FORM = load_form()
YEAR, DEADLINE, PASSWORD = 2025, "2026年1月20日", "pw-123"
BLANKS = Blanks(FORM, YEAR, DEADLINE, PASSWORD)
STAMPED = [  # plain codes and names: put into the batch's workbook
    ("210922100", "彰武镇"),
    ("U00001", "测试县第1乡镇"),
    ("A-1", "县教育局（临时） 办公室"),
    ("7", "名" * 255),
    ("210922", "Zhangwu Town"),
]
BUILT = [  # built by XlsxWriter: escaped in XML, cut short, or equal to another text of the workbook
    ("210922101", '彰武县"人民政府"'),
    ("210922102", "<县>&司法局"),
    ("210922103", "彰武\n镇"),
    ("210922104", " 彰武镇"),
    ("210922105", "a_x0041_b"),
    ("210922106", "名" * 256),
    ("甲", "甲"),  # code and name the same text
    ("210922107", "填报单位"),  # a label of the cover
    ("year", "彰武镇"),  # a key of the identity sheet
    ("210922108", "\ue000"),
]


def built(code: str, name: str) -> bytes:
    return build_workbook(FORM, Identity.for_unit(FORM, code, name, YEAR, DEADLINE), PASSWORD)


@pytest.mark.parametrize(("code", "name"), STAMPED + BUILT)
def test_a_units_workbook_is_the_one_xlsxwriter_builds(code: str, name: str, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(Blanks, "_built", lambda self, c, n: calls.append((c, n)) or built(c, n))
    assert BLANKS.stampable and BLANKS.workbook(code, name) == built(code, name)
    assert calls == ([] if (code, name) in STAMPED else [(code, name)])


TRICKY = st.sampled_from("彰武镇乡县局 ab1_&<\"'\n\t\ue000") | st.characters(codec="utf-8")


@settings(max_examples=40, deadline=None)
@given(st.text(TRICKY, min_size=1, max_size=12), st.text(TRICKY, min_size=1, max_size=20))
def test_any_code_and_name_give_the_same_bytes(code: str, name: str) -> None:
    assert BLANKS.workbook(code, name) == built(code, name)


def test_a_form_whose_text_holds_a_stand_in_is_built_for_every_unit() -> None:
    form = dataclasses.replace(FORM, title=FORM.title + "\ue000")
    blanks = Blanks(form, YEAR, DEADLINE, PASSWORD)
    identity = Identity.for_unit(form, "210922100", "彰武镇", YEAR, DEADLINE)
    assert not blanks.stampable
    assert blanks.workbook("210922100", "彰武镇") == build_workbook(form, identity, PASSWORD)


def test_a_stamped_workbook_is_checked_as_the_units_blank_form(tmp_path) -> None:
    path = tmp_path / "w.xlsx"
    path.write_bytes(BLANKS.workbook("210922100", "彰武镇"))
    result = check_file(path, CheckOptions(year=YEAR))
    assert (result.unit_id, result.unit_name, result.year) == ("210922100", "彰武镇", YEAR)
    assert [p.code for p in result.problems] == ["BLANK"] * len(FORM.inputs)
    assert open_spreadsheet(path).properties["nianbao_unit_name"] == "彰武镇"
