"""`nianbao compare`: what each unit published against what the county approved (the counted versions
of a workspace, or approved workbooks), as a list a clerk can hand on."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nianbao.cli_shared import friendly, open_workspace, workspace_option
from nianbao.form import DEFAULT_FORM
from nianbao.io.files import refuse_overwrite, shown, write_atomic
from nianbao.io.roster import Unit, read_roster
from nianbao.problems import ERROR, NianbaoError

if TYPE_CHECKING:
    from nianbao.operations.compare import Approved, Comparison

EXIT_DIFFERENT = 1
HEADER = ["单位编码", "单位名称", "已发布的报告", "表", "行", "列", "报告中的数字", "认可的数字", "说明"]


@click.command("compare")
@click.argument("published", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--approved",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="认可的统计表或汇总表（可多次指定，或指定目录）；不写则用工作区中各单位计入的版本。",
)
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    help="单位名单：用 --approved 时按它对照报告标题中的单位。",
)
@click.option("--year", type=int, help="报告年度（不写则用工作区的年度）。")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="另存一份 JSON 格式的结果。")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="另存为差异清单（.xlsx 或 .csv），一处不同一行。"
)
@click.option("--force", is_flag=True, help="覆盖已有的 --json、--out 文件。")
@click.option("--form", "form_name", default=DEFAULT_FORM, show_default=True, help="表格格式。")
@workspace_option
@friendly
def compare_published_command(
    published: tuple[Path, ...],
    approved: tuple[Path, ...],
    roster: Path | None,
    year: int | None,
    json_out: Path | None,
    out: Path | None,
    force: bool,
    form_name: str,
    workspace: Path | None,
) -> None:
    """对照各单位已发布的年度报告（PDF、Word、网页 .html 或网页文字 .txt，可指定目录）与县里认可的数字：
    按报告标题中的单位名称对照名单，逐个数字比较，列出每一处不同（表、行、列、报告中的数字、认可的数字），
    以及报告本身的问题（读不出的表格、合计不符、违反勾稽关系）。

    认可的数字取自工作区中各单位计入的版本（-w，或在工作区目录中运行），或用 --approved 指定的统计表、汇总表。

    退出码：0 全部一致，1 有不同或有报告无法比较。"""
    from nianbao.operations.compare import compare_published

    for target in (json_out, out):
        if target is not None:
            refuse_overwrite(target, force)
    units, known, this_year = _approved(approved, roster, workspace, form_name)
    results = compare_published(published, known, units, year or this_year, form_name)
    if not results:
        raise click.UsageError("没有找到已发布的报告（.pdf/.docx/.html/.txt）")
    for line, colour in _lines(results):
        click.secho(line, fg=colour)
    seen = {r.unit_id for r in results}
    missing = [u for u in units if u.unit_id in known and u.unit_id not in seen]
    different = sum(not r.same for r in results)
    click.echo(f"共对照 {len(results)} 份报告：一致 {len(results) - different} 份，有不同或无法对照 {different} 份。")
    if missing:
        names = "、".join(u.unit_name for u in missing[:10]) + (" 等" if len(missing) > 10 else "")
        click.secho(f"有认可数字的单位中，还有 {len(missing)} 个没有找到已发布的报告：{names}", fg="yellow")
    if json_out is not None:
        data = {"reports": [r.to_json() for r in results], "without_report": [u.unit_id for u in missing]}
        write_atomic(json_out, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"), overwrite=force)
        click.echo(f"结果已保存到 {shown(json_out)}")
    if out is not None:
        from nianbao.io.tables import table_bytes

        rows = _rows(results, missing)
        write_atomic(out, table_bytes(out.suffix, "发布与认可对照", HEADER, rows), overwrite=force)
        click.echo(f"已写出差异清单 {shown(out)}（{len(rows)} 行）")
    sys.exit(EXIT_DIFFERENT if different else 0)


def _approved(
    paths: tuple[Path, ...], roster: Path | None, workspace: Path | None, form_name: str
) -> tuple[list[Unit], dict[str, Approved], int | None]:
    """The units to match titles against, each unit's approved figures, and the year."""
    from nianbao.operations.compare import Approved

    if not paths:
        opened = open_workspace(workspace)
        known: dict[str, Approved] = {}
        for state in opened.status().units:
            if state.counted is not None:
                what = f"计入的第 {state.counted.version} 版（{state.state}）"
                known[state.unit_id] = Approved(state.counted.figures, what)
        return list(opened.units), known, opened.year
    from nianbao.io.breakdown import read_breakdown
    from nianbao.io.identity import SUMMARY
    from nianbao.io.reading import open_spreadsheet
    from nianbao.operations.check import CheckOptions, check_all

    reports = check_all(paths, CheckOptions(form_name=form_name))
    units = read_roster(roster) if roster else []
    known = {}
    for report in reports:
        if not report.figures:
            raise NianbaoError(
                f"{report.name} 无法作为认可的统计表：{report.errors[0].message if report.errors else '没有数字'}"
            )
        errors = f"，有 {len(report.errors)} 个错误" if report.errors else ""
        if report.identity.get("kind") == SUMMARY:
            for unit_id, figures in read_breakdown(open_spreadsheet(report.path).sheets).items():
                known[unit_id] = Approved(figures, f"汇总表（{report.name}{errors}）中的数字")
            continue
        known[report.unit_id] = Approved(report.figures, f"统计表（{report.name}{errors}）")
        if not roster:
            units.append(Unit(report.unit_id, report.unit_name))
    years = {r.year for r in reports if r.year}
    return units, known, years.pop() if len(years) == 1 else None


def _lines(results: Sequence[Comparison]) -> Iterator[tuple[str, str | None]]:
    for result in results:
        who = f"{result.unit_name}（{result.unit_id}）" if result.unit_id else (result.named or "")
        if result.failure:
            yield f"✗ {result.name}{'：' + who if who else ''}：无法对照：{result.failure}", "red"
            continue
        if result.same:
            yield f"✓ {who}：{result.name} 与{result.approved}一致（对照了 {result.compared} 个数字）", "green"
        else:
            count = len(result.differences)
            yield f"✗ {who}：{result.name} 与{result.approved}有 {count} 处不同", "red"
        for d in result.differences[:40]:
            yield f"    {d.table} {d.row}／{d.column}（{d.code}）：报告中 {d.published}，认可的 {d.approved}", None
        if len(result.differences) > 40:
            yield f"    …… 另有 {len(result.differences) - 40} 处不同（完整列表请用 --out 或 --json）", None
        for problem in result.problems[:20]:
            yield f"    报告本身：{problem.describe()}", "red" if problem.severity == ERROR else "yellow"


def _rows(results: Sequence[Comparison], missing: Sequence[Unit]) -> list[list[str | int | float]]:
    rows: list[list[str | int | float]] = []
    for result in results:
        head = [result.unit_id, result.unit_name or result.named, result.name]
        if result.failure:
            rows.append([*head, "", "", "", "", "", f"无法对照：{result.failure}"])
        for d in result.differences:
            rows.append([*head, d.table, d.row, d.column, d.published, d.approved, f"与{result.approved}不同"])
        for p in result.problems:
            rows.append(
                [
                    *head,
                    p.sheet.split()[0] if p.sheet else "",
                    p.row_label,
                    p.col_label,
                    "",
                    "",
                    f"报告本身：{p.message}",
                ]
            )
        if result.same:
            rows.append([*head, "", "", "", "", "", f"与{result.approved}一致"])
    rows += [[u.unit_id, u.unit_name, "", "", "", "", "", "", "没有找到已发布的报告"] for u in missing]
    return rows


COMMANDS = [compare_published_command]
