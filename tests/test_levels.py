"""Rules that know the unit's level of government (issue #22, part 5): P1 (规章 should be 0) holds for townships,
counties and departments, not for cities with districts, which make 规章. The level comes from the roster's 类型,
else from the unit's name (an imported report or a Word return has only its title)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nianbao.collection.workspace import PASSED, TO_VERIFY, Workspace
from nianbao.form.rules import with_totals
from nianbao.form.spec import Form
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.report import AnnualReport, to_docx
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import filled_workbook, write
from tests.test_pdf import HUAIAN, transcribed

CITY = Unit("320800", "淮安市人民政府")  # as its published report's title names it


@pytest.fixture(scope="module")
def city_figures(form: Form) -> dict[str, float]:
    """淮安市's 2024 Table 2 as published (a 规章 made, 11 in force), the other tables consistent."""
    table2 = {code: value for code, value in transcribed(form).items() if code.startswith("T2.")}
    return {**consistent_inputs(form, random.Random(3)), **table2}


def p1(path: Path, options: CheckOptions) -> list[str]:
    return [p.cell for p in check_file(path, options).problems if p.code == "P1"]


@pytest.mark.parametrize(
    ("kind", "name", "level"),
    [
        ("", "淮安市人民政府", "city"),
        ("", "延边朝鲜族自治州人民政府", "city"),
        ("", "锡林郭勒盟行政公署", "city"),
        ("", "江苏省人民政府", "city"),
        ("", "淮安市交通运输局", "local"),  # a city's department: the longest ending is not 市
        ("", "淮安市淮安区", "local"),
        ("", "彰武县彰武镇", "local"),
        ("", "某某单位", "local"),  # nothing said: the default
        ("设区的市", "淮安", "city"),
        ("县级市", "新民市", "local"),  # the roster knows what the name does not
        ("镇", "淮安市", "local"),
    ],
)
def test_a_units_level_comes_from_its_kind_else_its_name(form: Form, kind: str, name: str, level: str) -> None:
    assert form.levels.of(kind, name) == level


def test_a_citys_real_published_report_raises_no_p1(form: Form) -> None:
    """淮安市人民政府's 2024 report as published (a PDF: 规章 1 made, 11 in force), read as a return."""
    checked = check_file(HUAIAN, CheckOptions(unit_id=CITY.unit_id, year=2024))
    assert checked.unit_name == CITY.unit_name and checked.figures["T2.R01.C3"] == 11
    assert [p.code for p in checked.problems] == ["WORD_SOURCE"]  # the source said, no P1


def test_a_city_with_regulations_raises_no_p1_and_a_township_still_does(
    tmp_path: Path, form: Form, city_figures: dict[str, float]
) -> None:
    city, town = CITY, Unit("210922100", "彰武镇")
    by_name = write(tmp_path, "city.xlsx", filled_workbook(form, city_figures, unit=city, year=2024))
    assert p1(by_name, CheckOptions()) == []  # its name says it is a city
    town_file = write(tmp_path, "town.xlsx", filled_workbook(form, city_figures, unit=town, year=2024))
    assert len(p1(town_file, CheckOptions())) == 2  # 1 made, 11 in force: a township has misfiled documents
    as_town = {city.unit_id: Unit(city.unit_id, city.unit_name, kind="镇")}
    assert len(p1(by_name, CheckOptions(roster=as_town))) == 2  # the roster's 类型 decides over the name
    as_city = {town.unit_id: Unit(town.unit_id, town.unit_name, kind="设区的市")}
    assert p1(town_file, CheckOptions(roster=as_city)) == []


def test_a_citys_published_report_sent_in_word_raises_no_p1(
    tmp_path: Path, form: Form, city_figures: dict[str, float]
) -> None:
    """A city's report in Word, titled as the real one (淮安市人民政府2024年…): the level is the title's."""
    figures = with_totals(form.totals, city_figures)
    texts = {"N1": "2024年，我市……", "N5": "存在问题……", "N6": "本年度未收取信息处理费。"}
    report = write(tmp_path, "淮安.docx", to_docx(AnnualReport(form, CITY.unit_name, 2024, figures, texts)))
    checked = check_file(report, CheckOptions(unit_id=CITY.unit_id))
    assert checked.unit_name == CITY.unit_name and checked.figures["T2.R01.C3"] == 11
    assert [p.code for p in checked.problems if p.code == "P1"] == []
    town = write(tmp_path, "彰武镇.docx", to_docx(AnnualReport(form, "彰武镇", 2024, figures, texts)))
    assert len(p1(town, CheckOptions(unit_id="210922100"))) == 2


def test_the_workspace_reads_the_level_from_the_rosters_kind(
    tmp_path: Path, form: Form, city_figures: dict[str, float]
) -> None:
    roster = tmp_path / "名单.csv"
    roster.write_text("单位编码,单位名称,类型\n3208,淮安,设区的市\n3209,宿迁,镇\n", encoding="utf-8")
    workspace, _ = Workspace.create(tmp_path / "ws", roster, 2024, unit_name="江苏省")
    for unit in (Unit("3208", "淮安"), Unit("3209", "宿迁")):
        workbook = filled_workbook(form, city_figures, unit=unit, year=2024)
        workspace.receive([write(tmp_path, f"{unit.unit_id}.xlsx", workbook)])
    states = {u.unit_id: u.state for u in workspace.status().units}
    assert states == {"3208": PASSED, "3209": TO_VERIFY}
    workspace.close()
