"""A corpus of broken specs: each is refused when loaded, with the place in the file, and every command that
takes --form stops with exit status 2 and one Chinese line, never a traceback."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.form import templates_dir
from nianbao.form.spec import load_form
from nianbao.problems import SpecError
from tests.conftest import ZHANGWU_2022

SPEC = (templates_dir() / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8")


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


def without_section(name: str) -> Callable[[str], str]:
    """The spec without a [name] section (its header and the lines up to the next blank line)."""

    def edit(text: str) -> str:
        edited = re.sub(rf"\n\[{re.escape(name)}\]\n(?:[^\n]+\n)+", "\n", text, count=1)
        assert edited != text, name
        return edited

    return edit


def without_line(start: str) -> Callable[[str], str]:
    """The spec without the first line that starts with ``start``."""

    def edit(text: str) -> str:
        edited = re.sub(rf"\n{re.escape(start)}[^\n]*", "", text, count=1)
        assert edited != text, start
        return edited

    return edit


# (name, edit of the real spec, the place in the file the error names, words of the reason)
CASES = [
    ("no [form] section", without_section("form"), "form", "缺少必填项"),
    ("no [narrative] section", without_section("narrative"), "narrative", "缺少必填项"),
    ("no [report] section", without_section("report"), "report", "缺少必填项"),
    ("a count type without validate", without_line('validate = "integer"'), "types.count.validate", "缺少必填项"),
    ("the text type without validate", without_line('validate = "length"'), "types.text.validate", "缺少必填项"),
    (
        "an unknown validate",
        replace('validate = "integer"', 'validate = "whole"'),
        "types.count.validate",
        '"integer"',
    ),
    (
        "decimals on a count",
        replace('validate = "integer"\n', 'validate = "integer"\ndecimals = 2\n'),
        "types.count.decimals",
        "decimal",
    ),
    ("the report without a title", without_line('title = "{unit}'), "report.title", "缺少必填项"),
    ("a misspelt key of the report", replace("fee_section =", "fees_section ="), "report.fees_section", "不认识的项"),
    ("an unknown placeholder", replace('title = "{unit}{year}年', 'title = "{unit}{yaer}年'), "report.title", "{unit}"),
    ("table T3 renamed", replace('id = "T3"', 'id = "T9"'), "rules[0].each", "T3"),
    ("two tables with the same id", replace('id = "T4"', 'id = "T3"'), "tables[2].id", "T3 重复"),
    (
        'span = "x"',
        replace('columns = [{ code = "C1", span = 3 }]', 'columns = [{ code = "C1", span = "x" }]'),
        "tables[0].blocks[1].columns[0].span",
        '应为整数，实为 "x"',
    ),
    ("a width as text", replace("label_width = 3", 'label_width = "3"'), "tables[1].label_width", "应为整数"),
    (
        "too few column widths",
        replace("column_widths = [26, 16, 16, 16]", "column_widths = [26, 16, 16]"),
        "tables[0].column_widths",
        "4",
    ),
    (
        "a misspelt colspan",
        replace('{ text = "申请人情况", colspan = 7 }', '{ text = "申请人情况", colpsan = 7 }'),
        "tables[1].blocks[0].header[0][1].colpsan",
        "不认识的项",
    ),
    (
        "a header cell spanning into the rows",
        replace('{ text = "自然人", rowspan = 2 }', '{ text = "自然人", rowspan = 3 }'),
        "tables[1].blocks[0].header[1][0].rowspan",
        "跨行",
    ),
    (
        "a row label spanning into the next block",
        replace('labels = [{ text = "行政强制" }]', 'labels = [{ text = "行政强制", rowspan = 2 }]'),
        "tables[0].blocks[2].rows[1].labels[0].rowspan",
        "跨行",
    ),
    (
        "a duplicate row code",
        replace('{ code = "R02", labels = [{ text = "二、上年', '{ code = "R01", labels = [{ text = "二、上年'),
        "tables[1].blocks[0].rows[1].code",
        "R01 重复",
    ),
    (
        "an undefined cell type",
        replace('type = "amount", labels', 'type = "money", labels'),
        "tables[0].blocks[3].rows[0].type",
        "money",
    ),
    (
        "the text type for figures",
        replace('type = "amount", labels', 'type = "text", labels'),
        "tables[0].blocks[3].rows[0].type",
        "text",
    ),
    (
        "two sheets with one name",
        replace('sheet = "表四 复议诉讼"', 'sheet = "表三 依申请公开"'),
        "tables[2].sheet",
        "重复",
    ),
    ("the version as a number", replace('version = "2021"', "version = 2021"), "form.version", "应为文字"),
    (
        "a rule naming an unknown cell",
        replace('expr = "T3.R01.{C} + T3.R02.{C}', 'expr = "T3.R01.{C} + T3.R99.{C}'),
        "rules[3].expr",
        "T3.R99",
    ),
    (
        "a rule over an unknown table",
        replace('each = { R = "T2.R01~R02" }', 'each = { R = "T5.R01~R02" }'),
        "rules[6].each",
        "T5",
    ),
    ("a rule without cells", replace('expr = "T2.R01.{C} == 0"', 'expr = "0 == 0"'), "rules[4].expr", "单元格"),
    (
        "a rule with an unknown severity",
        replace('severity = "warning"', 'severity = "notice"'),
        "rules[4].severity",
        "notice",
    ),
    ("two rules with one id", replace('id = "X2"', 'id = "X1"'), "rules[6].id", "X1 重复"),
    (
        "a quote in a rule's short text",
        replace('short = "规章一般应为 0"', "short = '规章\"一般\"应为 0'"),
        "rules[4].short",
        '"',
    ),
    (
        "a total defined by itself",
        replace("T3.R24.{C} == T3.R03~R23.{C}", "T3.R24.{C} == T3.R03~R24.{C}"),
        "rules[0].expr",
        "循环",
    ),
    (
        "the report order naming an unknown section",
        replace('order = ["N1", "T2"', 'order = ["N1", "T7"'),
        "report.order[1]",
        "T7",
    ),
    (
        "an empty report order",
        replace('order = ["N1", "T2", "T3", "T4", "N5", "N6"]', "order = []"),
        "report.order",
        "空列表",
    ),
    (
        "received naming an unknown cell",
        replace('received = "T3.R01.C7"', 'received = "T3.R99.C7"'),
        "report.received",
        "T3.R99.C7",
    ),
    ("fee_section naming a table", replace('fee_section = "N6"', 'fee_section = "T3"'), "report.fee_section", "T3"),
    (
        "a chart bar naming an unknown cell",
        replace('{ code = "T3.R24.C7", name', '{ code = "T9.R24.C7", name'),
        "summary.chart[1].code",
        "T9.R24.C7",
    ),
    (
        "an alias of an unknown label",
        replace('"现行有效件数" = [', '"现行有效数" = ['),
        "import.aliases.现行有效数",
        "标签",
    ),
    (
        "superseded markers without a message",
        without_line("superseded_message = "),
        "import.superseded_message",
        "缺少必填项",
    ),
    (
        "a misspelt key of the explanation",
        replace('explanation = { code = "E1", label =', 'explanation = { code = "E1", lable ='),
        "cover.explanation.lable",
        "不认识的项",
    ),
    (
        "an explanation without a label",
        replace('explanation = { code = "E1", label = "情况说明", ', 'explanation = { code = "E1", '),
        "cover.explanation.label",
        "缺少必填项",
    ),
    (
        "an explanation with a cover field's code",
        replace('explanation = { code = "E1"', 'explanation = { code = "F1"'),
        "cover.explanation.code",
        "F1 重复",
    ),
    (
        "an explanation code that is no code",
        replace('explanation = { code = "E1"', 'explanation = { code = "E 1"'),
        "cover.explanation.code",
        "字母、数字和下划线",
    ),
    ("an explanation of no lines", replace("lines = 6 }", "lines = 0 }"), "cover.explanation.lines", "不小于 1"),
    (
        "an explanation as a text",
        replace("explanation = {", 'explanation = "情况说明"\n# {'),
        "cover.explanation",
        "应为表",
    ),
    (
        "a misspelt key of a review rule",
        replace('change = "rise"\ntimes = 5', 'change = "rise"\ntimse = 5'),
        "review.year_over_year[0].timse",
        "不认识的项",
    ),
    (
        "a misspelt kind of review",
        replace('[[review.across_units]]\nid = "U1"', '[[review.across_unit]]\nid = "U1"'),
        "review.across_unit",
        "不认识的项",
    ),
    (
        "a review of an unknown cell",
        replace('cells = ["T2.R06.C1"]\nchange = "from_zero"', 'cells = ["T2.R96.C1"]\nchange = "from_zero"'),
        "review.year_over_year[4].cells[0]",
        "T2.R96.C1",
    ),
    (
        "an unknown change",
        replace('change = "to_zero"', 'change = "zero"'),
        "review.year_over_year[3].change",
        "to_zero",
    ),
    (
        "a ratio for a fall to zero",
        replace('change = "to_zero"\n', 'change = "to_zero"\ntimes = 2\n'),
        "review.year_over_year[3].times",
        "倍数",
    ),
    ("a rise without a ratio", without_line("times = 8"), "review.year_over_year[2].times", "缺少必填项"),
    (
        "a ratio of 1",
        replace("times = 10\nmore = 50", "times = 1\nmore = 50"),
        "review.across_units[0].times",
        "应大于 1",
    ),
    ("a negative difference", replace("more = 500", "more = -500"), "review.year_over_year[2].more", "负数"),
    ("a review with a rule's id", replace('id = "Y1"', 'id = "X1"'), "review.year_over_year[0].id", "X1 重复"),
    (
        "an unknown placeholder in a review message",
        replace("本年收费 {now} {unit}", "本年收费 {amount} {unit}"),
        "review.year_over_year[4].message",
        "{now}",
    ),
    (
        "a median of no units",
        replace('id = "U2"\n', 'id = "U2"\nmin_units = 0\n'),
        "review.across_units[1].min_units",
        "不小于 1",
    ),
    (
        "a rule for a level nobody defined",
        replace('levels = ["local"]', 'levels = ["township"]'),
        "rules[4].levels[0]",
        "没有定义层级 township",
    ),
    ("two default levels", replace('id = "city"\n', 'id = "city"\ndefault = true\n'), "levels", "只有一个层级"),
    (
        "a draft of a figure that is not there",
        replace("其中自然人申请{T3.R01.C1}件", "其中自然人申请{T3.R01.C9}件"),
        "report.draft.sections.N1[2]",
        "{T3.R01.C9}",
    ),
    (
        "a draft of a section that is not there",
        replace("N5 = [", "N7 = ["),
        "report.draft.sections.N7",
        "不是文字部分的编号",
    ),
    (
        "a TOML syntax error",
        replace('title = "政府信息公开工作年度报告"', 'title = "政府信息公开工作年度报告'),
        "第 ",
        "TOML",
    ),
]
IDS = [case[0] for case in CASES]


@pytest.fixture
def broken(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str, str]:
    _, edit, where, reason = request.param
    path = tmp_path / "broken.toml"
    path.write_text(edit(SPEC), encoding="utf-8")
    return path, where, reason


@pytest.mark.parametrize("broken", CASES, ids=IDS, indirect=True)
def test_load_form_names_the_place(broken: tuple[Path, str, str]) -> None:
    path, where, reason = broken
    with pytest.raises(SpecError) as raised:
        load_form(str(path))
    assert raised.value.where.startswith(where), str(raised.value)
    assert reason in str(raised.value)
    assert str(raised.value).startswith(f"表格规格文件 {path.name} 有误：{raised.value.where}：")


def commands(spec: Path, tmp_path: Path) -> dict[str, list[str]]:
    roster = tmp_path / "roster.csv"
    roster.write_text("单位编码,单位名称\n1,甲镇\n", encoding="utf-8")
    form = ["--form", str(spec)]
    return {
        "generate": ["generate", "--roster", str(roster), "--year", "2025", "--out", str(tmp_path / "out"), *form],
        "check": ["check", str(tmp_path), *form],
        "merge": [
            "merge", str(tmp_path), "--roster", str(roster), "--year", "2025", "--out", str(tmp_path / "s.xlsx"), *form,
        ],
        "import": [
            "import", str(ZHANGWU_2022), "--unit-id", "1", "--unit-name", "甲镇", "--year", "2022",
            "--out", str(tmp_path / "i.xlsx"), *form,
        ],
    }  # fmt: skip


@pytest.mark.parametrize("broken", CASES, ids=IDS, indirect=True)
def test_every_command_stops_with_one_line_and_status_2(broken: tuple[Path, str, str], tmp_path: Path) -> None:
    path, where, _ = broken
    for name, args in commands(path, tmp_path).items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (name, result.output)
        assert isinstance(result.exception, SystemExit), name
        lines = result.output.splitlines()
        assert len(lines) == 1 and lines[0].startswith("错误：表格规格文件 broken.toml 有误："), (name, result.output)
        assert where in lines[0] and "Traceback" not in result.output, (name, result.output)
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.xlsx").exists() and not (tmp_path / "i.xlsx").exists()


def test_a_spec_without_its_optional_parts_works_in_every_command(tmp_path: Path) -> None:
    """No [summary], no [import], no received or fee_section: the commands use the defaults."""
    text = SPEC
    for edit in (
        without_section("summary"),
        without_section("import"),
        without_line("received ="),
        without_line("fee_section ="),
    ):
        text = edit(text)
    spec = tmp_path / "minimal.toml"
    spec.write_text(text, encoding="utf-8")
    form = load_form(str(spec))
    assert form.summary.chart == () and form.import_hints.aliases == {} and form.report.fee_section == "N6"
    args = commands(spec, tmp_path)
    assert CliRunner().invoke(main, args["generate"]).exit_code == 0
    (book,) = (tmp_path / "out").glob("*.xlsx")
    wb = openpyxl.load_workbook(book)
    for cell in form.inputs:
        wb[cell.sheet].cell(cell.row + 1, cell.col + 1).value = 0
    buffer = io.BytesIO()
    wb.save(buffer)
    book.write_bytes(buffer.getvalue())
    for name in ("check", "merge"):
        result = CliRunner().invoke(main, [*args[name][:1], str(tmp_path / "out"), *args[name][2:]])
        assert result.exit_code == 0, (name, result.output)
    result = CliRunner().invoke(main, ["report", str(tmp_path / "s.xlsx"), "--out", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, args["import"])
    assert result.exit_code == 1 and "现行有效件" in result.output, result.output  # no alias for this variant now


def test_a_spec_saved_with_a_bom_loads_and_one_nested_too_deep_is_refused(tmp_path: Path) -> None:
    real = (templates_dir() / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8")
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + real.encode("utf-8"))
    assert load_form(str(bom)).fingerprint == load_form().fingerprint
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    args = ["generate", "--roster", "r.csv", "--year", "2025", "--out", "o", "--form", str(deep)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "嵌套层次过深" in result.output and "Traceback" not in result.output
