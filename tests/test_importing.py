"""`nianbao import`: published reports (plain text or HTML) back into workbooks; nothing guessed, labels printed a
little differently and rows printed merged read with a warning, printed totals that do not add up kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.form.spec import Form
from nianbao.operations.check import CheckOptions, check_file
from nianbao.operations.importing import import_report, lines_of_html, parse_report
from nianbao.operations.report import AnnualReport, to_html
from nianbao.problems import NianbaoError
from tests.conftest import ZHANGWU_2022
from tests.helpers.workbooks import edited, put, write


@pytest.fixture(scope="module")
def sample_text() -> str:
    return ZHANGWU_2022.read_text(encoding="utf-8")


def parse(text: str, form: Form):  # type: ignore[no-untyped-def]
    return parse_report(text.splitlines(), form)


def test_the_zhangwu_sample_imports_with_one_blank_cell_and_its_texts(tmp_path: Path, form: Form) -> None:
    out = tmp_path / "zw.xlsx"
    result = import_report(ZHANGWU_2022, out, "210922100", "彰武县彰武镇", 2022)
    assert result.problems == []
    assert [c for c, v in result.figures.items() if v is None] == ["T3.R02.C3"]
    assert {v for v in result.figures.values() if v is not None} == {0.0}
    assert len(result.figures) == len(form.inputs)
    assert result.texts["N1"].startswith("一是主动公开情况。") and result.texts["N1"].count("\n") == 4
    assert result.texts["N5"].startswith("(一)存在问题") and "3.开展政务公开培训" in result.texts["N5"]
    assert result.texts["N6"].startswith("(一)彰武镇2022年未收缴信息公开处理费。")
    assert not result.texts["N6"].endswith(("打印", "分享", "返回列表"))
    report = check_file(out, CheckOptions(year=2022))
    (problem,) = report.problems
    assert (problem.code, problem.cell) == ("BLANK", form.cells["T3.R02.C3"].a1)
    assert report.texts["N6"] == result.texts["N6"]


def test_label_variants_seen_in_the_wild_are_accepted(sample_text: str, form: Form) -> None:
    varied = (
        sample_text.replace("1.属于国家秘密", "1、属于国家秘密")
        .replace("(一)予以公开", "（一）予以公开")
        .replace("“三安全一稳定”", '"三安全一稳定"')
        .replace("一、本年新收政府信息公开申请数量", "一、本年新收政府信息\n\n公开申请数量")
        .replace("本年收费金额(单位:万元)", "本年收费金额（万元）")
    )
    assert varied != sample_text
    original, result = parse(sample_text, form), parse(varied, form)
    assert result.problems == [] and result.figures == original.figures


def test_what_cannot_be_placed_is_reported_not_guessed(sample_text: str, form: Form) -> None:
    garbled = sample_text.replace("2.重复申请", "2.重复提交的申请")
    result = parse(garbled, form)
    assert any("应为“2.重复申请”" in p.message and "停止读取本表" in p.message for p in result.problems)
    t3 = [c for c in form.inputs if c.table == "T3"]
    rows_after = {c.code for c in t3 if c.row_code >= "R17"}
    assert not rows_after & set(result.figures), "nothing after the unplaceable label is placed"
    assert all(c.code in result.figures for c in form.inputs if c.table == "T4"), "other tables still read"

    section = sample_text[sample_text.index("四、政府信息公开行政复议") :]
    short = sample_text.replace(section, section.replace("\n0\n", "\n", 1))
    result = parse(short, form)
    assert any("数字不够" in p.message for p in result.problems)


def test_a_table_that_cannot_be_placed_still_gives_a_workbook_to_correct(tmp_path: Path, sample_text: str) -> None:
    source = tmp_path / "r.txt"
    source.write_text(sample_text.replace("本年制发件数", "本年制发数量"), encoding="utf-8")
    out = tmp_path / "r.xlsx"
    result = import_report(source, out, "1", "甲", 2022)
    assert any("应为“本年制发件数”" in p.message for p in result.problems)
    report = check_file(out, CheckOptions())
    assert {p.code for p in report.errors} == {"BLANK"} and report.figures["T2.R01.C1"] is None


def test_printed_totals_that_do_not_add_up_are_reported(sample_text: str, form: Form) -> None:
    lines = sample_text.split("\n")
    start = lines.index("(七)总计")
    figures = [j for j in range(start + 1, len(lines)) if lines[j] == "0"][:7]
    lines[figures[6]] = "5"  # the printed 总计 of row (七): its items add up to 0
    result = parse("\n".join(lines), form)
    assert any("T3.R24.C7" in p.message and "印的是 5" in p.message for p in result.problems), result.problems


def test_text_in_a_cell_is_kept_for_check_to_report(tmp_path: Path, sample_text: str) -> None:
    source = tmp_path / "r.txt"
    head, tail = sample_text.split("行政许可\n\n0", 1)
    source.write_text(head + "行政许可\n\n/" + tail, encoding="utf-8")
    out = tmp_path / "r.xlsx"
    import_report(source, out, "1", "甲", 2022)
    report = check_file(out, CheckOptions())
    assert {(p.code, p.cell) for p in report.errors} >= {("TEXT", "B9")}


def test_old_format_reports_are_refused(sample_text: str, form: Form) -> None:
    old = sample_text.replace("本年制发件数", "本年新制作数量")
    with pytest.raises(NianbaoError, match="旧格式"):
        parse(old, form)


def test_html_pages_round_trip_through_report_and_import(tmp_path: Path, form: Form) -> None:
    first = tmp_path / "zw.xlsx"
    imported = import_report(ZHANGWU_2022, first, "210922100", "彰武县彰武镇", 2022)
    page = to_html(AnnualReport(form, "彰武县彰武镇", 2022, {**imported.figures}, imported.texts))
    again = parse_report(lines_of_html(page), form)
    assert again.problems == [] and again.figures == imported.figures and again.texts == imported.texts


def test_cli_import_and_its_errors(tmp_path: Path) -> None:
    out = tmp_path / "zw.xlsx"
    args = [
        "import",
        str(ZHANGWU_2022),
        "--unit-id",
        "1",
        "--unit-name",
        "彰武镇",
        "--year",
        "2022",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "已导入 165 个数字（空白 1 格）和 3 段正文" in result.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "--force" in again.output
    bad = tmp_path / "not-a-report.txt"
    bad.write_text("今天天气很好", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "import",
            str(bad),
            "--unit-id",
            "1",
            "--unit-name",
            "甲",
            "--year",
            "2022",
            "--out",
            str(tmp_path / "x.xlsx"),
        ],
    )
    assert result.exit_code == 1 and "找不到“一、总体情况”" in result.output and "Traceback" not in result.output


def test_html_as_government_sites_write_it(tmp_path: Path, form: Form) -> None:
    imported = import_report(ZHANGWU_2022, tmp_path / "a.xlsx", "1", "彰武镇", 2022)
    page = to_html(AnnualReport(form, "彰武镇", 2022, {**imported.figures}, imported.texts))
    # Cells wrapped in paragraphs and spans, labels broken by <br>, empty cells holding &nbsp;, scripts around.
    page = page.replace("<td", "<td style='border:1px'")
    page = re.sub(r"(<td[^>]*>)(.*?)</td>", lambda m: f"{m[1]}<p><span>{m[2] or '&nbsp;'}</span></p></td>", page)
    assert "<p><span>&nbsp;</span></p>" in page and "<p><span>0</span></p>" in page
    page = page.replace("本年新收政府信息公开申请数量", "本年新收政府信息<br/>公开申请数量")
    page = page.replace("<body>", "<body><script>var x = '一、总体情况';</script><div>网站导航</div>")
    result = parse_report(lines_of_html(page), form)
    assert result.problems == [] and result.figures == imported.figures


# -- Tolerant, never guessing (issue 26) -------------------------------------------------------------------------


def with_values(text: str, after: str, values: list[str]) -> str:
    """``text`` with the first figures after the line ``after`` replaced by ``values``, in order."""
    lines = text.split("\n")
    start = lines.index(after)
    figures = [j for j in range(start + 1, len(lines)) if lines[j] == "0"][: len(values)]
    for j, value in zip(figures, values, strict=True):
        lines[j] = value
    return "\n".join(lines)


def test_a_label_printed_a_little_differently_is_read_with_a_warning(sample_text: str, form: Form) -> None:
    typo = sample_text.replace("2.其他法律行政法规禁止公开", "2.其他法律行政止公开")
    result = parse(typo, form)
    (warning,) = result.problems
    assert warning.code == "IMPORT_NEAR" and warning.severity == "warning"
    assert "“2.其他法律行政止公开”" in warning.message and "“2.其他法律行政法规禁止公开”" in warning.message
    assert result.figures == parse(sample_text, form).figures and len(result.figures) == len(form.inputs)
    # Near two labels of the table (结果维持, 结果纠正): the table is refused, not guessed.
    both = sample_text.replace("结果维持", "结果维正", 1)
    result = parse(both, form)
    (error,) = result.problems
    assert error.code == "IMPORT_AMBIGUOUS" and "“结果纠正”" in error.message
    assert not any(c.startswith("T4.") for c in result.figures) and "T3.R01.C1" in result.figures


def test_other_handling_printed_as_one_row_leaves_its_cells_blank_and_named(sample_text: str, form: Form) -> None:
    lines = sample_text.split("\n")
    start, end = lines.index("(六)其他处理"), lines.index("(七)总计")
    merged_row = ["", "3", "", "1", "", "0", "", "0", "", "0", "", "0", "", "4", ""]
    text = "\n".join(lines[: start + 1] + merged_row + lines[end:])
    text = with_values(text, "(七)总计", ["3", "1", "0", "0", "0", "0", "4"])
    text = text.replace("2.其他法律行政法规禁止公开", "2.其他法律行政止公开")  # and the typo, as the issue has them
    result = parse(text, form)
    near, warning = result.problems
    assert near.code == "IMPORT_NEAR" and warning.code == "IMPORT_MERGED"
    assert "“（六）其他处理”印成了一行（3、1、0、0、0、0、4）" in warning.message
    assert "18 格（T3.R21.C1～T3.R23.C6）" in warning.message
    group = {c.code for c in form.inputs if c.row_code in ("R21", "R22", "R23")}
    assert not group & set(result.figures) and set(result.figures) == {c.code for c in form.inputs} - group
    assert [(s.codes, s.value) for s in result.sums][:2] == [
        (("T3.R21.C1", "T3.R22.C1", "T3.R23.C1"), 3.0),
        (("T3.R21.C2", "T3.R22.C2", "T3.R23.C2"), 1.0),
    ]
    # The printed 总计 is checked against the other rows and the row printed for the group.
    wrong = parse(with_values("\n".join(lines[: start + 1] + merged_row + lines[end:]), "(七)总计", []), form)
    assert {(p.code, p.params["place"].split("（")[-1]) for p in wrong.problems if p.code == "IMPORT_TOTAL"} == {
        ("IMPORT_TOTAL", "T3.R24.C1）"),
        ("IMPORT_TOTAL", "T3.R24.C2）"),
        ("IMPORT_TOTAL", "T3.R24.C7）"),
    }


def test_a_printed_total_that_does_not_add_up_stays_a_problem_through_check(
    tmp_path: Path, sample_text: str, form: Form
) -> None:
    source = tmp_path / "r.txt"
    source.write_text(with_values(sample_text, "四、政府信息公开行政复议、行政诉讼情况", ["3", "4", "2", "2"]), "utf-8")
    out = tmp_path / "r.xlsx"
    result = import_report(source, out, "1", "甲", 2022)
    assert [p.code for p in result.problems] == ["IMPORT_TOTAL"] and result.printed == {"T4.R01.C5": 0.0}
    (kept,) = [p for p in check_file(out, CheckOptions()).problems if p.code == "PRINTED_TOTAL"]
    assert (
        kept.severity == "error"
        and kept.cell == form.cells["T4.R01.C5"].a1
        and "印的是 0，按各项相加为 11" in kept.message
    )
    # Once the figures are put right (here: the parts were wrong), the problem goes.
    fixed = edited(out.read_bytes(), lambda wb: put(wb, form, {f"T4.R01.C{i}": 0 for i in range(1, 5)}))
    assert "PRINTED_TOTAL" not in {
        p.code for p in check_file(write(tmp_path, "fixed.xlsx", fixed), CheckOptions()).problems
    }
    args = [
        "import",
        str(source),
        "--unit-id",
        "1",
        "--unit-name",
        "甲",
        "--year",
        "2022",
        "--out",
        str(tmp_path / "c.xlsx"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "报告中印的是 0，按各项相加为 11" in result.output


def test_a_report_without_a_figure_gives_no_workbook_and_exit_1(tmp_path: Path, sample_text: str) -> None:
    tables = sample_text[
        sample_text.index("二、主动公开政府信息情况") : sample_text.index("五、存在的主要问题及改进情况")
    ]
    titles = (
        "二、主动公开政府信息情况\n\n三、收到和处理政府信息公开申请情况\n\n四、政府信息公开行政复议、行政诉讼情况\n\n"
    )
    source = tmp_path / "empty.txt"
    source.write_text(sample_text.replace(tables, titles), encoding="utf-8")
    out = tmp_path / "empty.xlsx"
    args = ["import", str(source), "--unit-id", "1", "--unit-name", "甲", "--year", "2022", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "没有从" in result.output and "读到任何数字，未生成统计表" in result.output
    assert "已导入" not in result.output and not out.exists()
