"""The 2021 form spec: every label verbatim, the right cells, and bad specs refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.form import templates_dir
from nianbao.form.spec import Form, load_form
from nianbao.problems import SpecError
from tests.conftest import OFFICIAL_FORMAT, REPO


def test_cell_counts_match_the_official_tables(form: Form) -> None:
    per_table = {t.id: sum(1 for c in form.cells.values() if c.table == t.id) for t in form.tables}
    assert per_table == {"T2": 10, "T3": 25 * 7, "T4": 15}
    t3 = form.table("T3")
    expected_totals = {f"T3.{r}.C7" for r in t3.row_codes} | {f"T3.R24.C{i}" for i in range(1, 8)}
    expected_totals |= {"T4.R01.C5", "T4.R01.C10", "T4.R01.C15"}
    assert set(form.totals) == expected_totals
    assert {c.type.name for c in form.cells.values() if c.table == "T2" and c.row_code == "R06"} == {"amount"}
    assert {c.type.name for c in form.cells.values() if c.code != "T2.R06.C1"} == {"count"}


def test_every_label_of_the_official_format_is_in_the_spec_verbatim(form: Form) -> None:
    official = OFFICIAL_FORMAT.read_text(encoding="utf-8")
    labels = {lab.text for lab in form.labels}
    rows_section = official[official.index("Rows (label area") : official.index("## Table 4")]
    t3_rows = dict(re.findall(r"(R\d\d) ([^·\n]+?)(?= ·|\n|$)", rows_section))
    assert len(t3_rows) == 25
    for code, text in t3_rows.items():
        assert text.strip() in labels, code
        assert form.cells[f"T3.{code}.C1"].row_label.endswith(text.strip())
    for text in re.findall(r"“(（本列[^”]+）)”", official):
        assert text in labels
    table2 = official[official.index("## Table 2") : official.index("## Table 3")]
    for text in re.findall(r"第二十条第（.）项", table2):
        assert text in labels
    for text in (
        "本年制发件数",
        "本年废止件数",
        "现行有效件数",
        "本年处理决定数量",
        "本年收费金额（单位：万元）",
        "规章",
        "行政规范性文件",
        "行政许可",
        "行政处罚",
        "行政强制",
        "行政事业性收费",
        "申请人情况",
        "自然人",
        "法人或其他组织",
        "总计",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "行政复议",
        "行政诉讼",
        "未经复议直接起诉",
        "复议后起诉",
        "结果维持",
        "结果纠正",
        "其他结果",
        "尚未审结",
    ):
        assert text in labels, text
    for title in (
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    ):
        assert title in {t.title for t in form.tables}
    assert [s.title for s in form.narrative] == [
        "一、总体情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]


def test_labels_cover_their_areas_without_overlap(form: Form) -> None:
    for table in form.tables:
        taken: dict[tuple[int, int], str] = {}
        items = [
            (lab.row, lab.col, lab.rowspan, lab.colspan, lab.text) for lab in form.labels if lab.sheet == table.sheet
        ]
        items += [(c.row, c.col, 1, c.colspan, c.code) for c in form.cells.values() if c.table == table.id]
        for row, col, rowspan, colspan, what in items:
            for r in range(row, row + rowspan):
                for c in range(col, col + colspan):
                    assert (r, c) not in taken, f"{what} overlaps {taken[(r, c)]}"
                    taken[(r, c)] = what
        rows = {r for r, _ in taken}
        assert {c for r, c in taken} == set(range(table.width))
        assert all((r, c) in taken for r in rows for c in range(table.width)), table.id


def test_row_and_column_labels_name_a_cell_for_messages(form: Form) -> None:
    cell = form.cells["T3.R06.C2"]
    assert cell.row_label == "三、本年度办理结果·（三）不予公开·2.其他法律行政法规禁止公开"
    assert cell.col_label == "申请人情况·法人或其他组织·商业企业"
    assert form.cells["T4.R01.C13"].col_label == "行政诉讼·复议后起诉·其他结果"


SPEC = (templates_dir() / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('expr = "T3.R01.{C} + T3.R02.{C}', 'expr = "T3.R01.{C} + T3.R99.{C}', "T3.R99"),
        ('expr = "T3.R01.{C} + T3.R02.{C}', 'expr = "T3.R01.{C} + + T3.R02.{C}', "运算符"),
        ('expr = "T4.R01.{T} == T4.R01.{P}"', 'expr = "T4.R01.{T} = T4.R01.{P}"', "=="),
        ('{ text = "规章" }', '{ text = "规章", colspan = 2 }', "超出"),
        ('{ code = "R02", labels = [{ text = "二、上年', '{ code = "R01", labels = [{ text = "二、上年', "R01 重复"),
        ('sheet = "表四 复议诉讼"', 'sheet = "表四:复议诉讼"', "工作表名"),
        ('id = "X2"', 'id = "X1"', "X1 重复"),
        ('expr = "T3.R24.{C} == T3.R03~R23.{C}"', 'expr = "T3.R24.{C} == T3.R03~R24.{C}"', "循环"),
        ('severity = "warning"', 'severity = "notice"', "severity"),
        ('needs = "previous"\neach = { C', "each = { C", "prev:"),
        ("[types.amount]", "[types.money]", "amount"),
        ('received = "T3.R01.C7"', 'received = "T3.R99.C7"', "T3.R99.C7"),
        ('{ code = "T3.R24.C7", name', '{ code = "T9.R24.C7", name', "T9.R24.C7"),
        ('fee_section = "N6"', 'fee_section = "N9"', "fee_section"),
    ],
)
def test_a_broken_spec_is_refused_with_a_reason(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SPEC
    path = tmp_path / "broken.toml"
    path.write_text(SPEC.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(message)):
        load_form(str(path))


def test_fingerprint_follows_the_layout(tmp_path: Path, form: Form) -> None:
    same = tmp_path / "same.toml"
    same.write_text(SPEC.replace("# Cell codes", "# (a comment changed)\n# Cell codes"), encoding="utf-8")
    assert load_form(str(same)).fingerprint == form.fingerprint
    moved = tmp_path / "moved.toml"
    moved.write_text(SPEC.replace("2.重复申请", "2.重复申请。"), encoding="utf-8")
    assert load_form(str(moved)).fingerprint != form.fingerprint


def test_unknown_form_names_the_available_ones() -> None:
    from nianbao.problems import NianbaoError

    with pytest.raises(NianbaoError, match="gov-info-disclosure-2021"):
        load_form("no-such-form")


def test_the_example_in_the_spec_format_reference_works(tmp_path: Path) -> None:
    reference = (REPO / "docs" / "spec-format.md").read_text(encoding="utf-8")
    example = reference[reference.index("## 一个完整的小例子") :]
    path = tmp_path / "example-2024.toml"
    path.write_text(example.split("```toml\n")[1].split("```")[0], encoding="utf-8")
    form = load_form(str(path))
    assert [c.code for c in form.inputs] == ["T1.R01.C1", "T1.R01.C2", "T1.R02.C1", "T1.R02.C2"]
    assert set(form.totals) == {"T1.R01.C3", "T1.R02.C3"}
    roster = tmp_path / "roster.csv"
    roster.write_text("单位编码,单位名称\n1,甲镇\n", encoding="utf-8")
    args = ["generate", "--roster", str(roster), "--year", "2024", "--out", str(tmp_path / "out"), "--form", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
