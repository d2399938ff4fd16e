"""The review (issue #14, parts 2–4): 请核实 warnings where a figure moves implausibly against last year (with
real published figures of two consecutive years), or stands far above the other units of its kind (merge and
the workspace); last year's figures read on the fly from published reports (.txt/.html), X1 included."""

from __future__ import annotations

import csv
import json
import random
import re
import statistics
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

import nianbao.version
from nianbao.cli import main
from nianbao.collection.record import schema as store
from nianbao.collection.status import Standing
from nianbao.collection.workspace import PASSED, TO_VERIFY, Workspace
from nianbao.form import templates_dir
from nianbao.form.review import UnitsRule, YearRule, median_without, outliers
from nianbao.form.spec import Form, load_form
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.merge import merge
from nianbao.operations.previous import previous_figures
from nianbao.operations.report import render_report
from nianbao.web.app import Settings, create_app
from tests.conftest import ZHANGWU_2022
from tests.helpers.figures import township_inputs
from tests.helpers.workbooks import UNIT, blank_workbook, filled_workbook, write

ZHANGWU_ROSTER = Path(__file__).resolve().parents[1] / "samples" / "zhangwu-county-roster.csv"


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def zeros(form: Form) -> dict[str, float]:
    return {c.code: 0.0 for c in form.inputs}


def zhangwu_2023(form: Form, **changes: float) -> dict[str, float]:
    """彰武镇's 2023 figures, moved plausibly from its real 2022 report (all 0 there): two normative documents,
    36 licences, 4 penalties, three applications from individuals (two granted, one not held), none carried."""
    values = zeros(form)
    values.update({"T2.R02.C1": 2, "T2.R02.C3": 2, "T2.R03.C1": 36, "T2.R04.C1": 4})
    values.update({"T3.R01.C1": 3, "T3.R03.C1": 2, "T3.R13.C1": 1})
    values.update({code.replace("_", "."): v for code, v in changes.items()})
    return values


def city(form: Form, new: float, carried_in: float, petitions: float, carried_out: float, upheld: float) -> dict:
    """A city's figures from its headline numbers (applications by individuals): the rest granted."""
    values = zeros(form)
    values.update({"T3.R01.C1": new, "T3.R02.C1": carried_in, "T3.R16.C1": petitions, "T3.R25.C1": carried_out})
    values["T3.R03.C1"] = new + carried_in - petitions - carried_out
    values.update({"T4.R01.C1": upheld, "T4.R01.C2": 12})
    return values


def codes(problems: list) -> list[str]:
    return [p.code for p in problems]


# -- against last year -------------------------------------------------------------------------------------


def test_real_consecutive_years_raise_nothing_and_last_year_times_ten_is_flagged_with_both_figures(
    tmp_path: Path, form: Form
) -> None:
    """Real moves between two years: Shanghai's applications 2022 → 2023 (34290 in 2023, “较2022年上升29.3%”,
    so about 26520 in 2022; 34430 answered with last year's carried), and the issue's city whose 信访举报
    refusals went 305 → 86 and 复议维持 309 → 88. None of them is flagged; last year's figures × 10 are."""
    last = city(form, new=26520, carried_in=1210, petitions=305, carried_out=1500, upheld=309)
    this = city(form, new=34290, carried_in=1500, petitions=86, carried_out=1360, upheld=88)
    previous = write(tmp_path, "2022.xlsx", filled_workbook(form, last, year=2022))
    figures, unusable = previous_figures([previous], year=2023)
    assert unusable == [] and set(figures) == {UNIT.unit_id}
    options = CheckOptions(year=2023, previous=figures)

    normal = check_file(write(tmp_path, "2023.xlsx", filled_workbook(form, this, year=2023)), options)
    assert normal.problems == [], [p.describe() for p in normal.problems]

    tenfold = check_file(
        write(tmp_path, "x10.xlsx", filled_workbook(form, {k: v * 10 for k, v in last.items()}, year=2023)), options
    )
    flagged = {p.cell: p for p in tenfold.warnings if p.code.startswith("Y")}
    cells = {form.cells[code].a1: code for code in ("T3.R01.C7", "T3.R24.C7", "T3.R25.C7", "T4.R01.C5")}
    assert set(cells) <= set(flagged), [p.describe() for p in tenfold.problems]
    new = flagged[form.cells["T3.R01.C7"].a1]
    assert "本年 265200 件" in new.message and "上年 26520 件" in new.message and "请核实" in new.message
    assert new.figures == (265200, 26520) and new.params == {"now": 265200, "previous": 26520}
    assert "本年 3210 件" in flagged[form.cells["T4.R01.C5"].a1].message  # 复议总计: (309 + 12) × 10
    assert "X1" in codes(tenfold.errors)  # and this year's 上年结转 is not last year's 结转下年度


def test_a_township_against_its_real_published_report_read_on_the_fly(tmp_path: Path, form: Form) -> None:
    """Last year is 彰武镇's real 2022 report as published (text copied from the page), given to --previous."""
    unit = Unit("210922100", "彰武镇")

    def check(values: dict) -> Result:
        path = write(tmp_path, "彰武镇2023.xlsx", filled_workbook(form, values, unit=unit, year=2023))
        return run("check", path, "--previous", ZHANGWU_2022, "--roster", ZHANGWU_ROSTER, "--year", 2023)

    plausible = check(zhangwu_2023(form))
    assert plausible.exit_code == 0 and "通过" in plausible.output and "请核实" not in plausible.output, (
        plausible.output
    )
    assert "无法使用" not in plausible.output

    in_yuan = check(zhangwu_2023(form, T2_R06_C1=25100))  # the fee typed in 元, not 万元
    assert in_yuan.exit_code == 0 and "上年没有收费，本年收费 25100 万元" in in_yuan.output, in_yuan.output

    carried = check(zhangwu_2023(form, T3_R02_C1=1, T3_R03_C1=3))  # 上年结转 1: the 2022 report carried none
    assert carried.exit_code == 1 and "上年结转" in carried.output and "（1 ≠ 0）" in carried.output, carried.output


def test_x1_against_a_published_html_report_with_figures(tmp_path: Path, form: Form) -> None:
    """Last year published as a web page (as `nianbao report` renders it), its 结转下年度 not zero: X1 holds
    when this year's 上年结转 carries it, and fails naming both when it does not. Without a roster the report
    is matched by the name in its title (彰武县彰武镇 for 彰武镇)."""
    unit = Unit("210922100", "彰武县彰武镇")
    last = city(form, new=40, carried_in=0, petitions=3, carried_out=5, upheld=1)
    workbook = write(tmp_path, "2022.xlsx", filled_workbook(form, last, unit=unit, year=2022))
    page = tmp_path / "彰武镇2022年报告.html"
    render_report(workbook, page)
    figures, unusable = previous_figures([page], year=2023)
    assert unusable == [] and list(figures) == ["名称:彰武县彰武镇"]
    assert figures["名称:彰武县彰武镇"]["T3.R25.C1"] == 5 and figures["名称:彰武县彰武镇"]["T3.R24.C7"] == 35

    good = city(form, new=44, carried_in=5, petitions=2, carried_out=3, upheld=0)
    this = write(tmp_path, "2023.xlsx", filled_workbook(form, good, unit=Unit("210922100", "彰武镇"), year=2023))
    assert check_file(this, CheckOptions(year=2023, previous=figures)).problems == []
    bad = {**good, "T3.R02.C1": 0.0, "T3.R03.C1": good["T3.R03.C1"] - 5}
    wrong = write(tmp_path, "wrong.xlsx", filled_workbook(form, bad, unit=Unit("210922100", "彰武镇"), year=2023))
    x1 = [p for p in check_file(wrong, CheckOptions(year=2023, previous=figures)).errors if p.code == "X1"]
    assert x1 and "（0 ≠ 5）" in x1[0].message

    result = run("check", wrong, "--previous", page, "--year", 2024)  # a report of another year is said, not used
    assert "是 2022 年度的，不是上年（2023 年度）的" in result.output


def test_a_report_that_names_no_roster_unit_or_no_year_is_said_not_used(tmp_path: Path) -> None:
    stray = tmp_path / "other.txt"
    stray.write_text(
        ZHANGWU_2022.read_text(encoding="utf-8").replace("彰武县彰武镇2022年", "某县某镇2022年", 1), "utf-8"
    )
    untitled = tmp_path / "untitled.txt"
    untitled.write_text(ZHANGWU_2022.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    roster = [Unit("210922100", "彰武镇"), Unit("210922101", "哈尔套镇")]
    figures, unusable = previous_figures([stray, untitled], year=2023, units=roster)
    assert figures == {} and len(unusable) == 2
    assert "“某县某镇”不在名单上" in unusable[0] and "找不到报告标题" in unusable[1]


# -- the thresholds ----------------------------------------------------------------------------------------

figures = st.integers(min_value=0, max_value=10**7).map(float)


@given(now=figures, previous=figures, times=st.sampled_from([2.0, 5.0, 8.0]), more=st.sampled_from([0.0, 20.0, 500.0]))
def test_rise_and_fall_are_mirror_images_and_need_both_the_ratio_and_the_difference(
    now: float, previous: float, times: float, more: float
) -> None:
    rise = YearRule("R", ("T3.R01.C7",), "rise", times, more, "")
    fall = YearRule("F", ("T3.R01.C7",), "fall", times, more, "")
    assert rise.flags(now, previous) == (now > previous * times and now - previous > more)
    assert fall.flags(previous, now) == rise.flags(now, previous)
    if rise.flags(now, previous):
        assert rise.flags(now + 1, previous)  # more of the same is still implausible
    if now <= previous * times or now - previous <= more:
        assert not rise.flags(now, previous)


@given(previous=st.integers(min_value=5, max_value=10**6).map(float))
def test_last_years_figure_times_ten_is_a_rise_when_it_is_more_than_a_handful(previous: float) -> None:
    rise = YearRule("Y1", ("T3.R01.C7",), "rise", 5, 20, "")
    assert rise.flags(previous * 10, previous) and not rise.flags(previous * 1.3, previous)


@given(values=st.lists(figures, min_size=2, max_size=40), data=st.data())
def test_the_median_without_one_unit_is_the_median_of_the_others(values: list[float], data: st.DataObject) -> None:
    ordered = sorted(values)
    i = data.draw(st.integers(min_value=0, max_value=len(ordered) - 1))
    assert median_without(ordered, i) == statistics.median(ordered[:i] + ordered[i + 1 :])


@given(value=figures, count=st.integers(min_value=0, max_value=30))
def test_with_a_median_of_zero_only_the_difference_counts(value: float, count: int) -> None:
    rule = UnitsRule("U1", ("T3.R01.C7",), 10, 50, 5, "")
    found = rule.outlier(value, [0.0] * count)
    assert (found is not None) == (count >= 5 and value > 50)


@given(values=st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, 40.0, 60.0, 600.0]), min_size=1, max_size=25))
def test_outliers_are_what_each_unit_against_the_median_of_the_others_gives(values: list[float]) -> None:
    rule = UnitsRule("U1", ("T3.R01.C7",), 10, 50, 5, "")
    figures = {f"u{i}": {"T3.R01.C7": v} for i, v in enumerate(values)}
    found = {(o.unit_id, o.median) for o in outliers([rule], figures, {})}
    naive = set()
    for i, value in enumerate(values):
        middle = rule.outlier(value, values[:i] + values[i + 1 :])
        if middle is not None:
            naive.add((f"u{i}", middle))
    assert found == naive


# -- across units ------------------------------------------------------------------------------------------

TOWNS = [Unit(f"2109221{i:02d}", f"第{i}镇") for i in range(12)]
DEPARTMENTS = [Unit(f"2109223{i:02d}", f"第{i}局") for i in range(6)]


def department(form: Form, applications: float) -> dict:
    return city(form, new=applications, carried_in=0, petitions=0, carried_out=0, upheld=0)


def round_folder(tmp_path: Path, form: Form, outlier: float | None = None) -> tuple[Path, Path]:
    """A round of twelve townships (as they really report) and six departments (20–60 applications, one 300);
    with ``outlier``, the first township received that many applications."""
    folder = tmp_path / "returned"
    folder.mkdir(exist_ok=True)
    for i, unit in enumerate(TOWNS):
        values = township_inputs(form, random.Random(i))
        if outlier is not None and i == 0:
            values["T3.R01.C1"] += outlier
            values["T3.R03.C1"] += outlier
        write(folder, f"{unit.unit_name}.xlsx", filled_workbook(form, values, unit=unit))
    for i, unit in enumerate(DEPARTMENTS):
        applications = [20, 35, 40, 45, 60, 300][i]  # 300 is far above the towns, not above the departments
        write(folder, f"{unit.unit_name}.xlsx", filled_workbook(form, department(form, applications), unit=unit))
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        rows = [[u.unit_id, u.unit_name, "镇"] for u in TOWNS] + [[u.unit_id, u.unit_name, "部门"] for u in DEPARTMENTS]
        csv.writer(f).writerows([["单位编码", "单位名称", "类型"], *rows])
    return folder, roster


def test_an_ordinary_round_raises_nothing_and_an_outlier_is_shown_with_the_median(tmp_path: Path, form: Form) -> None:
    folder, roster = round_folder(tmp_path, form)
    ordinary = merge([folder], roster, 2025, tmp_path / "s.xlsx")
    assert ordinary.complete and ordinary.review == {}

    folder, roster = round_folder(tmp_path, form, outlier=600)
    result = run(
        "merge",
        folder,
        "--roster",
        roster,
        "--year",
        2025,
        "--out",
        tmp_path / "s2.xlsx",
        "--json",
        tmp_path / "s2.json",
    )
    assert result.exit_code == 0, result.output  # a warning does not stop the summary
    lines = [line for line in result.output.splitlines() if "[请核实]" in line]
    assert len(lines) == 2 and all(TOWNS[0].unit_id in line for line in lines), result.output  # 新收 and 办理结果总计
    assert re.search(r"远高于其他镇（本单位 6\d\d 件，其他 11 个镇的中位数 \d+(\.5)? 件）", lines[0]), lines[0]
    assert "第5局" not in result.output  # 300 among departments of 20–60 is not 10 × their median


def round_review(tmp_path: Path, form: Form) -> dict:
    folder, roster = round_folder(tmp_path, form)
    return merge([folder], roster, 2025, tmp_path / "kinds.xlsx").review


def test_without_a_kind_column_all_units_are_one_group(tmp_path: Path, form: Form) -> None:
    folder, roster = round_folder(tmp_path, form)
    text = roster.read_text(encoding="utf-8").replace(",类型", ",备注")
    roster.write_text(text, encoding="utf-8")
    result = merge([folder], roster, 2025, tmp_path / "s.xlsx")
    flagged = result.review[DEPARTMENTS[5].unit_id][0]  # 300 against seventeen others of median 1–2
    assert flagged.code == "U1" and "远高于其他单位（本单位 300 件，其他 17 个单位的中位数" in flagged.message
    assert DEPARTMENTS[5].unit_id not in round_review(tmp_path, form)  # among departments only, it is not


def test_in_the_workspace_an_outlier_is_to_verify_until_accepted_and_stays_accepted(tmp_path: Path, form: Form) -> None:
    folder, roster = round_folder(tmp_path, form, outlier=600)
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    later = DEPARTMENTS[0]
    ws.receive([p for p in sorted(folder.iterdir()) if later.unit_name not in p.name])
    state = ws.state_of(TOWNS[0].unit_id)
    assert state.state == TO_VERIFY and [w.code for w in state.open_warnings] == ["U1", "U1"]
    assert "中位数" in state.review[0].message
    others = [s for s in ws.status().units if s.unit_id != TOWNS[0].unit_id and s.counted]
    assert all(s.state == PASSED for s in others), [(s.unit_name, s.open_warnings) for s in others]
    status = run("status", "-w", ws.root)
    assert "⚠ 表三 依申请公开" in status.output and "中位数" in status.output
    (line,) = [line for line in status.output.splitlines() if f"{TOWNS[0].unit_id} " in line]
    assert "待核实" in line and "错误 0，待核实 2" in line, line  # its file has none; the comparison has two

    client = create_app(Settings(ws.root)).test_client()
    client.application.config["SERVER_NAME"] = "127.0.0.1:8765"
    page = client.get(f"/unit/{TOWNS[0].unit_id}").get_data(as_text=True)
    assert "中位数" in page and "U1" in page and "待核实" in page

    accepted = run("accept", TOWNS[0].unit_id, "--rule", "U1", "--note", "本镇征地拆迁，申请确实多", "-w", ws.root)
    assert accepted.exit_code == 0 and "已通过" in accepted.output, accepted.output
    ws.receive([folder / f"{later.unit_name}.xlsx"])  # another unit comes in: the median moves, the decision holds
    assert ws.state_of(TOWNS[0].unit_id).state == PASSED
    merged = run("merge", "--out", tmp_path / "s.xlsx", "-w", ws.root)
    assert merged.exit_code == 0 and "[请核实]" in merged.output, merged.output


def test_an_outlier_explained_in_its_workbook_is_not_left_to_verify(tmp_path: Path, form: Form) -> None:
    folder, roster = round_folder(tmp_path, form, outlier=600)
    first = next(folder.glob(f"{TOWNS[0].unit_name}.xlsx"))
    values = township_inputs(form, random.Random(0))
    values["T3.R01.C1"] += 600
    values["T3.R03.C1"] += 600
    assert form.explanation is not None
    texts = {form.explanation.code: "本年全镇征地拆迁，群众申请公开补偿标准 600 余件"}
    first.write_bytes(filled_workbook(form, values, unit=TOWNS[0], texts=texts))
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    ws.receive([folder])
    state = ws.state_of(TOWNS[0].unit_id)
    assert state.state == PASSED and [w.code for w in state.review] == ["U1", "U1"]


# -- the workspace against last year -----------------------------------------------------------------------


def test_the_workspace_checks_returns_against_last_years_report_and_acceptance_needs_last_years_figure(
    tmp_path: Path, form: Form
) -> None:
    init = run("init", tmp_path / "ws", "--roster", ZHANGWU_ROSTER, "--year", 2023, "--previous", ZHANGWU_2022)
    assert init.exit_code == 0 and "无法使用" not in init.output, init.output
    ws = Workspace.open(tmp_path / "ws")
    unit = Unit("210922100", "彰武镇")
    plausible = write(tmp_path, "v1.xlsx", filled_workbook(form, zhangwu_2023(form), unit=unit, year=2023))
    ws.receive([plausible])
    assert ws.state_of("彰武镇").state == PASSED

    many = zhangwu_2023(form, T3_R01_C1=40, T3_R03_C1=39)  # 40 applications where 2022 had none
    ws.receive([write(tmp_path, "v2.xlsx", filled_workbook(form, many, unit=unit, year=2023))])
    state = ws.state_of("彰武镇")
    assert state.state == TO_VERIFY and {w.code for w in state.open_warnings} == {"Y1"}
    assert "本年 40 件，上年 0 件" in state.open_warnings[0].message
    ws.accept("彰武镇", "已电话核实：本年征地，申请确实多", rule="Y1")
    assert ws.state_of("彰武镇").state == PASSED

    # Last year's figures change (the summary instead of the report): 2 applications then. The rise is still
    # implausible, but it is not the one accepted: it must be looked at again.
    last = {**zeros(form), "T3.R01.C1": 2.0, "T3.R03.C1": 2.0}
    summary = write(tmp_path, "2022.xlsx", filled_workbook(form, last, unit=unit, year=2022))
    again = run("previous", summary, "-w", ws.root)
    assert again.exit_code == 0 and "已读到 1 个单位的上年数字" in again.output, again.output
    state = ws.state_of("彰武镇")
    assert state.state == TO_VERIFY and "本年 40 件，上年 2 件" in state.open_warnings[0].message
    assert "指定上年数字" in run("log", "-w", ws.root).output


def test_last_years_workspace_gives_each_units_counted_figures(tmp_path: Path, form: Form) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("单位编码,单位名称\n210922100,彰武镇\n", encoding="utf-8")
    old, _ = Workspace.create(tmp_path / "2022", roster, 2022)
    last = city(form, new=30, carried_in=0, petitions=1, carried_out=4, upheld=0)
    old.receive([write(tmp_path, "2022.xlsx", filled_workbook(form, last, year=2022))])
    old.db.execute("DELETE FROM cache")  # as a status would find it after last year's roster changed
    this = city(form, new=31, carried_in=4, petitions=2, carried_out=1, upheld=0)
    path = write(tmp_path, "2023.xlsx", filled_workbook(form, this, year=2023))
    result = run("check", path, "--previous", tmp_path / "2022", "--year", 2023)
    assert result.exit_code == 0 and "通过" in result.output and "未做跨年度核对" not in result.output, result.output
    wrong = write(
        tmp_path, "wrong.xlsx", filled_workbook(form, {**this, "T3.R02.C1": 0.0, "T3.R03.C1": 24.0}, year=2023)
    )
    assert "（0 ≠ 4）" in run("check", wrong, "--previous", tmp_path / "2022", "--year", 2023).output
    assert old.db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0  # last year's record only read


def test_a_spec_without_a_review_section_reviews_nothing(tmp_path: Path) -> None:
    text = (templates_dir() / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8")
    text = re.sub(r"\n\[\[review\.[a-z_]+\]\]\n(?:[^\n]+\n)+", "\n", text)
    spec = tmp_path / "plain.toml"
    spec.write_text(text, encoding="utf-8")
    form = load_form(str(spec))
    assert form.review.year == () and form.review.units == () and form.fingerprint == load_form().fingerprint


def test_init_with_no_usable_last_year_makes_no_workspace(tmp_path: Path) -> None:
    result = run("init", tmp_path / "ws", "--roster", ZHANGWU_ROSTER, "--year", 2025, "--previous", ZHANGWU_2022)
    assert result.exit_code == 1 and "没有从这些文件中读到任何单位的上年数字" in result.output, result.output
    assert "是 2022 年度的，不是上年（2024 年度）的" in result.output and not (tmp_path / "ws").exists()


def test_a_blank_workbook_of_last_year_is_said_not_used(tmp_path: Path, form: Form) -> None:
    blank = tmp_path / "去年空表.xlsx"
    blank.write_bytes(blank_workbook(form, year=2024))
    figures, unusable = previous_figures([blank], year=2025)
    assert figures == {} and [u.endswith("去年空表.xlsx：一个数字也没有填") for u in unusable] == [True]


def test_the_headline_figures_kept_apart_give_what_the_whole_figures_give(tmp_path: Path, form: Form) -> None:
    folder, roster = round_folder(tmp_path, form, outlier=600)
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    ws.receive([folder])
    kept = [(s.unit_id, s.review) for s in ws.status().units]
    assert any(review for _, review in kept)
    rows = ws.db.execute("SELECT headline, figures FROM files").fetchall()
    assert all(json.loads(r["headline"]).items() <= json.loads(r["figures"]).items() for r in rows)
    ws.db.execute("UPDATE files SET headline = ''")  # as a workspace recorded before the headline was kept
    ws.db.execute("DELETE FROM cache")  # and before the review was kept
    assert [(s.unit_id, s.review) for s in Workspace.open(ws.root).status().units] == kept


def test_the_review_is_kept_in_the_record_until_the_versions_the_roster_or_the_spec_change(
    tmp_path: Path, form: Form, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, roster = round_folder(tmp_path, form, outlier=600)
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    ws.receive([p for p in folder.iterdir() if DEPARTMENTS[0].unit_name not in p.name])
    first = {s.unit_id: s.review for s in ws.status().units}
    assert [w.code for w in first[TOWNS[0].unit_id]] == ["U1", "U1"]

    worked_out = []
    review_now = Standing._review_now
    monkeypatch.setattr(
        Standing, "_review_now", lambda self, counted: worked_out.append(1) or review_now(self, counted)
    )
    again = Workspace.open(ws.root)
    assert {s.unit_id: s.review for s in again.status().units} == first and worked_out == []

    again.receive([folder / f"{DEPARTMENTS[0].unit_name}.xlsx"])  # a new version: worked out again
    assert len(worked_out) == 1 and again.state_of(DEPARTMENTS[0].unit_id).counted is not None

    text = again.roster_path.read_text(encoding="utf-8").replace(",类型", ",备注")  # one group: 300 stands out
    again.roster_path.write_text(text, encoding="utf-8")
    reopened = Workspace.open(ws.root)
    assert {w.code for w in reopened.state_of(DEPARTMENTS[5].unit_id).review} == {"U1"}
    assert len(worked_out) == 2

    monkeypatch.setattr(nianbao.version, "__version__", "99.0")  # another nianbao may read or review differently
    Workspace.open(ws.root).status()
    assert len(worked_out) == 3


def test_a_status_does_not_wait_for_a_writer_to_keep_its_review(tmp_path: Path, form: Form) -> None:
    folder, roster = round_folder(tmp_path, form, outlier=600)
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    ws.receive([folder])
    expected = [(s.unit_id, s.state, s.review) for s in ws.status().units]
    ws.db.execute("DELETE FROM cache")
    writer = Workspace.open(ws.root)
    writer.db.execute("BEGIN IMMEDIATE")  # another program is writing (a long receive)
    try:
        start = time.monotonic()
        assert [(s.unit_id, s.state, s.review) for s in ws.status().units] == expected
        assert time.monotonic() - start < store.BUSY_TIMEOUT_MS / 1000 / 2  # it did not wait for the lock
        assert ws.db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0
    finally:
        writer.db.execute("ROLLBACK")
    ws.status()
    assert ws.db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 1


def test_a_status_reads_a_versions_figures_and_narrative_only_when_asked(tmp_path: Path, form: Form) -> None:
    folder, roster = round_folder(tmp_path, form)
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    ws.receive([folder])
    for state in ws.status().units:
        assert state.counted is not None and state.counted.figures_json is None  # not read yet
        _, versions = ws.history(state.unit_id)
        assert state.counted.figures == versions[-1].figures and state.counted.texts == versions[-1].texts
