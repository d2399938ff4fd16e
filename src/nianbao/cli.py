"""The `nianbao` command: a thin shell over the library. Errors are one Chinese line; --debug shows more.

This file holds the commands on files (generate, check, merge, report, import, demo); cli_round.py those of a
collection round in a workspace, cli_mail.py their mail output, cli_shared.py what they share."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Set
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nianbao.cli_compare import COMMANDS as COMPARE_COMMANDS
from nianbao.cli_publish import COMMANDS as PUBLISH_COMMANDS
from nianbao.cli_round import COMMANDS as ROUND_COMMANDS
from nianbao.cli_shared import (
    EXIT_PROBLEMS,
    HINTS,
    ConsoleGroup,
    friendly,
    open_workspace,
    progress_bar,
    said_problem,
    say_unusable,
    workspace_option,
)
from nianbao.cli_users import COMMANDS as USER_COMMANDS
from nianbao.collection.workspace import HAS_ERRORS, LATE, NOT_RECEIVED, PASSED, TO_VERIFY, Workspace, last_year
from nianbao.form import DEFAULT_FORM
from nianbao.io.files import refuse_overwrite, resolved, shown, write_atomic
from nianbao.io.roster import read_roster
from nianbao.io.values import one_line
from nianbao.phrases import why
from nianbao.problems import NianbaoError
from nianbao.version import __version__

if TYPE_CHECKING:  # each command imports the operations it runs: `nianbao status` starts without them
    from nianbao.operations.check import CheckedFile
    from nianbao.operations.merge import Summary
    from nianbao.operations.report import ReportInputs


def _refuse_over_inputs(output: Path | None, inputs: list[Path], roster: Path | None) -> None:
    """An output never takes the place of a file being read, --force or not."""
    if output is None:
        return
    read = {resolved(p) for p in inputs} | ({resolved(roster)} if roster else set())
    if resolved(output) in read:
        raise click.UsageError(f"输出文件 {shown(output)} 是被读取的文件之一（表格或名单），不能覆盖它；请换一个文件名")


@click.group(cls=ConsoleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
@click.option("--debug", is_flag=True, help="出错时显示完整的技术信息（供开发人员排查）。")
def main(debug: bool) -> None:
    """nianbao（年报）：政府信息公开工作年度报告统计表的生成、审核与汇总。"""


@main.command()
@click.option(
    "--roster",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="单位名单（CSV 或 XLSX，列：单位编码/unit_id、单位名称/unit_name）。",
)
@click.option("--year", required=True, type=int, help="报告年度，如 2025。")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出目录。")
@click.option("--password", default=None, help="工作表保护密码；不填则自动生成并记在输出目录的“保护密码.txt”中。")
@click.option("--deadline", default="", help="报送截止日期，如 2027-01-15，显示在封面上。")
@click.option(
    "--form", "form_name", default=DEFAULT_FORM, show_default=True, help="表格格式（templates/ 中的文件名）。"
)
@click.option("--force", is_flag=True, help="覆盖输出目录中已有的同名文件。")
@friendly
def generate(
    roster: Path, year: int, out_dir: Path, password: str | None, deadline: str, form_name: str, force: bool
) -> None:
    """为名单上的每个单位生成一份锁定格式的统计表（.xlsx）。"""
    from nianbao.operations.generate import generate as generate_batch

    batch = generate_batch(
        roster,
        year,
        out_dir,
        form_name=form_name,
        password=password,
        deadline=deadline,
        force=force,
        progress=progress_bar("生成中"),
    )
    click.echo(f"已为 {len(batch.files)} 个单位生成 {year} 年度统计表，保存在 {out_dir}")
    click.echo(f"文件清单（含 sha256）：{batch.manifest}")
    if batch.password_file:
        click.echo(f"工作表保护密码已记录在 {batch.password_file}（请勿随表格发出）")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--roster", type=click.Path(dir_okay=False, path_type=Path), help="单位名单：检查表格的单位是否在名单上。"
)
@click.option("--year", type=int, help="报告年度：检查表格是否是这一年度的。")
@click.option(
    "--unit-id",
    "word_unit",
    default="",
    help="只检查一个 Word 文档（.docx）或 PDF 时：它是哪个单位的（单位编码）；不写则按标题中的单位名称对照名单。",
)
@click.option(
    "--previous",
    multiple=True,
    type=click.Path(path_type=Path),
    help="上年的表格、汇总表、工作区或已发布的报告（.txt/.html/.docx/.pdf）（可多次指定，或指定目录），用于跨年度核对和"
    "与上年比较；不写 --year 时按所查表格的年度取上年的。",
)
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="另存一份 JSON 格式的检查结果。"
)
@click.option(
    "--annotate",
    "annotate_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="为每个有问题的文件在此目录生成一份标注副本（问题格标红并加批注，另附问题清单），原文件不动。",
)
@click.option("--password", default=None, help="由 .xls/.ods 重建的标注副本所用的保护密码（不填则随机）。")
@click.option("--form", "form_name", default=DEFAULT_FORM, show_default=True, help="本次应使用的表格格式。")
@click.option("--force", is_flag=True, help="覆盖已有的 --json 文件和标注副本目录中已有的同名标注副本。")
@friendly
def check(
    paths: tuple[Path, ...],
    roster: Path | None,
    year: int | None,
    word_unit: str,
    previous: tuple[Path, ...],
    json_out: Path | None,
    annotate_dir: Path | None,
    password: str | None,
    form_name: str,
    force: bool,
) -> None:
    """检查填报单位发回的统计表（文件或目录；.xlsx/.xls/.ods，或按官方格式写的年度报告 .docx/.pdf），
    列出每个文件的问题。

    退出码：0 没有错误（可以有警告），1 有文件存在错误，2 用法错误。"""
    from nianbao.form.spec import load_form
    from nianbao.operations.check import CheckOptions, check_files

    load_form(form_name)  # a broken spec stops the run here, not in every file's check
    if json_out:
        refuse_overwrite(json_out, force)  # before the long part, not after every file is checked
    units = {u.unit_id: u for u in read_roster(roster)} if roster else None
    options = CheckOptions(
        form_name=form_name,
        roster=units,
        year=year,
        keep_raw=annotate_dir is not None,
        pack=annotate_dir is None,  # what is printed needs no figures: the workers send them packed
        unit_id=word_unit,
    )
    if previous:
        from nianbao.operations.previous import year_of_first

        this_year = year or year_of_first(paths, form_name)  # last year's files are those of the year before
        options.previous, unusable = last_year(previous, form_name, this_year, units.values() if units else None)
        options.previous_year = this_year - 1 if this_year else None
        say_unusable(unusable)
    run = check_files(paths, options, progress_bar("检查中"), keep_json=json_out is not None)
    if not run.files:
        raise click.UsageError("没有找到任何表格文件（.xlsx/.xls/.ods）")
    if word_unit and len(run.files) != 1:
        raise click.UsageError(f"--unit-id 只能用于检查一个 Word 文档，这里有 {len(run.files)} 个文件")
    _refuse_over_inputs(json_out, run.files, roster)

    annotator = _Annotator(annotate_dir, password, run.files, force) if annotate_dir else None
    # Reports are printed (and annotated) as they arrive and then dropped: memory stays flat for any count.
    seen: set[str] = set()
    for report in run:
        if not report.ignored and units and report.unit_id in units:
            seen.add(units[report.unit_id].unit_id)  # the roster's own string: nothing more kept per file
        for i, line in enumerate(iter_lines(report)):
            click.secho(line, fg=None if i else ("green" if report.ok or report.ignored else "red"))
        if annotator and report.problems and not report.ignored:
            annotator.add(report)
    for group in run.duplicates:
        names = "、".join(shown(Path(p.name)) for p in group)
        click.secho(f"[警告] {names} 是同一单位同一年度的不同表格，汇总时只能采用一份", fg="yellow")
    checked = run.checked - run.ignored
    skipped = f"（另有 {run.ignored} 个文件是副本，未重复计算）" if run.ignored else ""
    click.echo(
        f"共检查 {checked} 个文件{skipped}：通过 {checked - run.failed} 个（其中有警告 {run.warned} 个），"
        f"有错误 {run.failed} 个。"
    )
    absent = [u for u in (units or {}).values() if u.unit_id not in seen]
    if absent:
        names = "、".join(u.unit_name for u in absent[:10]) + (" 等" if len(absent) > 10 else "")
        click.secho(f"名单上还有 {len(absent)} 个单位没有表格：{names}", fg="yellow")
    if json_out:
        data = json.dumps(run.to_json(), ensure_ascii=False, indent=2).encode("utf-8")
        write_atomic(json_out, data, overwrite=force)
        click.echo(f"检查结果已保存到 {shown(json_out)}")
    if annotator:
        click.echo(f"已生成 {annotator.made} 份标注副本，保存在 {shown(annotator.out_dir)}")
        if annotator.existing:
            click.secho(
                f"另有 {len(annotator.existing)} 份标注副本已存在，未覆盖（如 {shown(annotator.existing[0])}）；"
                "确需覆盖请加 --force",
                fg="yellow",
            )
    sys.exit(EXIT_PROBLEMS if run.failed else 0)


def iter_lines(report: CheckedFile, limit: int = 30) -> Iterator[str]:
    """The report of one file for a terminal: a headline, then a line per problem (at most ``limit``)."""
    from nianbao.operations.check import EXPLANATION_LEAD

    who = f"（{report.unit_name}）" if report.unit_name else ""
    if report.ignored:
        yield f"· {report.name}{who}：{report.ignored}"
        return
    if report.ok and not report.warnings:
        yield f"✓ {report.name}{who}：通过"
        return
    mark = "✓" if report.ok else "✗"
    counts = f"{len(report.errors)} 个错误，{len(report.warnings)} 个警告"
    yield f"{mark} {report.name}{who}：{counts}"
    for problem in report.problems[:limit]:
        yield f"    {said_problem(problem)}"
    if len(report.problems) > limit:
        yield f"    …… 另有 {len(report.problems) - limit} 个问题未列出（完整列表请用 --json 或 --annotate）"
    if report.warnings and report.explanation:
        yield f"    {EXPLANATION_LEAD}{one_line(report.explanation)}"


class _Annotator:
    """Writes annotated copies under unique names, never over a file being checked."""

    def __init__(self, out_dir: Path, password: str | None, inputs: list[Path], force: bool) -> None:
        self.out_dir, self.password, self.force = out_dir, password, force
        self.inputs = {resolved(p) for p in inputs}
        self.used: set[str] = set()
        self.made = 0
        self.existing: list[Path] = []

    def add(self, report: CheckedFile) -> None:
        from nianbao.operations.annotate import annotate, annotated_name  # openpyxl: only when annotating

        name = annotated_name(report)
        stem, n = name.removesuffix(".xlsx"), 1
        while name in self.used:
            n += 1
            name = f"{stem}_{n}.xlsx"
        self.used.add(name)
        target = self.out_dir / name
        if resolved(target) in self.inputs:
            click.secho(
                f"未生成 {report.name} 的标注副本：{shown(target)} 是被检查的文件之一，不能覆盖", fg="yellow", err=True
            )
        elif target.exists() and not self.force:
            self.existing.append(target)
        elif not annotate(report, target, self.password):
            click.secho(f"未生成 {report.name} 的标注副本：文件无法读取", fg="yellow", err=True)
        else:
            self.made += 1


@main.command("merge")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--roster", type=click.Path(dir_okay=False, path_type=Path), help="应报送的单位名单（在工作区中不用写）。"
)
@click.option("--year", type=int, help="报告年度（在工作区中不用写）。")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="汇总表文件（.xlsx）。")
@click.option("--unit-id", default="summary", show_default=True, help="汇总表自身的单位编码（供上一级汇总时使用）。")
@click.option("--unit-name", default="汇总", show_default=True, help="汇总表自身的单位名称，如“彰武县”。")
@click.option("--allow-missing", is_flag=True, help="有单位缺报或有错误时仍生成“部分汇总”表（会明确标注）。")
@workspace_option
@click.option(
    "--prefer",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="同一单位有多份表格时采用这一份（可多次指定）。",
)
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="另存一份 JSON 格式的汇总情况。"
)
@click.option("--password", default="", help="汇总表的工作表保护密码（默认不设密码，仅防误改）。")
@click.option("--force", is_flag=True, help="覆盖已有的汇总表文件。")
@click.option("--form", "form_name", default=DEFAULT_FORM, show_default=True, help="表格格式。")
@friendly
def merge_command(
    paths: tuple[Path, ...],
    roster: Path,
    year: int,
    out: Path,
    unit_id: str,
    unit_name: str,
    allow_missing: bool,
    prefer: tuple[Path, ...],
    json_out: Path | None,
    password: str,
    force: bool,
    form_name: str,
    workspace: Path | None,
) -> None:
    """把各单位发回的统计表逐格相加，生成同样格式的汇总表（可再用于上一级汇总）。

    只有名单上每个单位都恰好有一份无错误的表格时才生成汇总表（退出码 0）；否则列出原因，不生成（退出码 1），
    除非加 --allow-missing。在工作区中不写文件和目录：汇总每个单位计入的版本，要求每个单位都已通过。"""
    from nianbao.operations.check import find_files
    from nianbao.operations.merge import merge

    if json_out:
        refuse_overwrite(json_out, force)  # before the long part, not after the summary is written
    if not paths:
        _merge_workspace(workspace, out, allow_missing, force, password, json_out)
        return
    if roster is None or year is None:
        raise click.UsageError("汇总目录或文件时必须写 --roster 和 --year（在工作区中汇总则不写目录）")
    _refuse_over_inputs(json_out, find_files(paths), roster)
    result = merge(
        paths,
        roster,
        year,
        out,
        unit_id=unit_id,
        unit_name=unit_name,
        allow_missing=allow_missing,
        prefer=prefer,
        force=force,
        password=password,
        form_name=form_name,
        progress=progress_bar("检查中"),
    )
    _print_merge(result)
    if json_out:
        write_atomic(
            json_out, json.dumps(result.to_json(), ensure_ascii=False, indent=2).encode("utf-8"), overwrite=force
        )
    sys.exit(0 if result.complete else EXIT_PROBLEMS)


def _merge_workspace(
    where: Path | None, out: Path, allow_missing: bool, force: bool, password: str, json_out: Path | None
) -> None:
    workspace = open_workspace(where)
    result = workspace.merge(out, allow_missing=allow_missing, force=force, password=password)
    for state in result.blockers:
        click.secho(f"  [{state.state}] {state.unit_id} {state.unit_name}{why(state)}", fg="red")
    if result.summary is None:
        click.secho(
            f"未生成汇总表：{len(result.blockers)} 个单位还没有通过（或加 --allow-missing 生成部分汇总）。", fg="red"
        )
        sys.exit(EXIT_PROBLEMS)
    _print_merge(result.summary, {state.unit_id for state in result.blockers})  # each unit said once
    if json_out:
        data = json.dumps(result.summary.to_json(), ensure_ascii=False, indent=2).encode("utf-8")
        write_atomic(json_out, data, overwrite=force)
    sys.exit(0 if result.summary.complete and not result.blockers else EXIT_PROBLEMS)


def _print_merge(result: Summary, said: Set[str] = frozenset()) -> None:
    """What merge found, unit by unit (but the units in ``said``, listed before), and what it wrote."""
    from nianbao.operations.merge import DUPLICATE

    for status in (s for s in result.blocking if s.unit_id not in said):
        files = "、".join(r.name for r in status.reports)
        note = status.note + (HINTS["MERGE_DUPLICATE"] if status.status == DUPLICATE else "")
        parts = (f"[{status.status}]", status.unit_id, status.unit_name, files and f"文件：{files}", note)
        click.secho("  " + " ".join(p for p in parts if p), fg="red")
    for unit_id, problems in result.review.items():
        status = next(s for s in result.statuses if s.unit_id == unit_id and s.counted)
        for problem in problems:
            click.secho(f"  [请核实] {unit_id} {status.unit_name}：{problem.place}：{problem.message}", fg="yellow")
    merged, total = len(result.merged), result.roster_size
    click.echo(f"名单 {total} 个单位：已汇总 {merged} 个，未能汇总 {total - merged} 个。")
    missing = len(result.missing_units)
    if result.written and not missing:
        click.secho(f"汇总表已生成：{shown(result.written)}", fg="green")
    elif result.written:
        click.secho(f"已生成部分汇总表（缺 {missing} 个单位）：{shown(result.written)}", fg="yellow")
    else:
        click.secho("未生成汇总表：请先解决上面列出的问题（或加 --allow-missing 生成部分汇总）。", fg="red")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件：.html（可打印网页）、.docx（Word）或 .md（Markdown）。",
)
@click.option(
    "--text",
    "own_text",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="本级自己写的正文一、五、六（.txt 或 .docx，各部分以“一、总体情况”等标题开头）；"
    "不写则用工作区中的“县本级文字”，再没有则用表格中的文字，都没有的部分按数字起草并标明【草稿】。",
)
@click.option(
    "--office", default=None, metavar="单位", help="落款单位（默认：工作区设定的落款单位，或表格的单位名称）。"
)
@click.option("--date", "dated", default=None, metavar="日期", help="落款日期，如 2026-01-15（默认今天）。")
@click.option(
    "--previous",
    multiple=True,
    type=click.Path(path_type=Path),
    help="上年的汇总表、表格或已发布的报告：起草的正文写明与上年相比的增减（工作区中已指定上年数字的不用写）。",
)
@workspace_option
@click.option("--force", is_flag=True, help="覆盖已有的输出文件。")
@friendly
def report(
    source: Path,
    out: Path,
    own_text: Path | None,
    office: str | None,
    dated: str | None,
    previous: tuple[Path, ...],
    workspace: Path | None,
    force: bool,
) -> None:
    """由填好的统计表或汇总表生成年度报告全文（标题、开头、一至六部分及表二至表四、落款）。

    在工作区中（或用 -w 指定）：正文取自工作区的“县本级文字.docx”或“.txt”，落款用 nianbao settings 设定的落款单位。"""
    from nianbao.operations.report import render_report

    inputs = _report_inputs(own_text, office, dated, previous, workspace)
    rendered = render_report(source, out, force, inputs)
    for problem in rendered.checked.errors:
        click.secho(f"注意：统计表本身有错误，报告中的数字可能不完整：{said_problem(problem)}", fg="yellow")
    for problem in rendered.warnings:
        click.secho(said_problem(problem), fg="yellow")
    if inputs.own_text:
        click.echo(f"正文取自 {shown(inputs.own_text)}")
    drafted = [rendered.report.form.text_cell(code).title for code in rendered.report.drafted]
    if drafted:
        click.secho(f"以下部分没有人写，已按数字起草并标明【草稿】，发布前请修改：{'、'.join(drafted)}", fg="yellow")
    click.echo(f"已生成“{rendered.report.title}”：{shown(out)}")


def _report_inputs(
    own_text: Path | None, office: str | None, dated: str | None, previous: tuple[Path, ...], where: Path | None
) -> ReportInputs:
    """What the report is made of besides the workbook: what the options say, else what the workspace keeps."""
    from nianbao.operations.generate import deadline_date
    from nianbao.operations.report import ReportInputs

    day = None
    if dated:
        try:
            day = deadline_date(dated)
        except NianbaoError:
            raise click.BadParameter(f"{dated!r} 不是日期，请写成 2026-01-15", param_hint="--date") from None
    kept = ReportInputs()
    found = _workspace_near(where)
    if found is not None:
        kept = found.report_inputs()
        found.close()
    last = kept.previous
    if previous:
        last, unusable = last_year(previous, DEFAULT_FORM, None)
        say_unusable(unusable)
    return ReportInputs(own_text or kept.own_text, office or kept.office, day, last)


def _workspace_near(where: Path | None) -> Workspace | None:
    """The workspace named (-w), else the one the current folder is in, if any: a report is made anywhere."""
    if where is not None:
        return open_workspace(where)
    try:
        return open_workspace(None)
    except NianbaoError as exc:
        if exc.code == "NOT_A_WORKSPACE":
            return None
        raise


@main.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit-id", required=True, help="单位编码。")
@click.option("--unit-name", required=True, help="单位名称。")
@click.option("--year", required=True, type=int, help="报告年度。")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="生成的统计表（.xlsx）。")
@click.option("--force", is_flag=True, help="覆盖已有的输出文件。")
@click.option("--form", "form_name", default=DEFAULT_FORM, show_default=True, help="表格格式。")
@friendly
def import_command(
    source: Path, unit_id: str, unit_name: str, year: int, out: Path, force: bool, form_name: str
) -> None:
    """把已发布的年度报告（网页复制的文字 .txt、网页 .html、Word 文档 .docx 或 PDF）读回成本工具格式的统计表。

    与官方表述略有不同的标签、印成一行的“（六）其他处理”照常读取并提示；印出的合计与各项之和不符的，
    记在统计表中，以后检查时仍会报告。一个数字也没读到时不生成统计表。退出码：0 顺利导入，1 有需要注意的问题。"""
    from nianbao.operations.importing import import_report

    result = import_report(source, out, unit_id, unit_name, year, force=force, form_name=form_name)
    for problem in result.problems:
        click.secho(f"注意：{problem.message}", fg="yellow")
    placed = sum(v is not None for v in result.figures.values())
    blank = sum(v is None for v in result.figures.values())
    click.echo(f"已导入 {placed} 个数字（空白 {blank} 格）和 {len(result.texts)} 段正文：{out}")
    click.echo(f"请运行 nianbao check {out} 查看需要补正的地方。")
    sys.exit(EXIT_PROBLEMS if result.problems else 0)


@main.command()
@click.option(
    "--out",
    default="nianbao-demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="演示输出目录。",
)
@friendly
def demo(out: Path) -> None:
    """用自带样例（彰武县 24 个乡镇）演示全过程：生成空白表 → 乡镇填报 → 检查 → 汇总；另建一个收集到一半的工作区，
    可用 nianbao serve --open 在浏览器中查看和处理。"""
    from nianbao.operations.demo import BLANK, RETURNED, ROUND, YEAR, run_demo

    click.echo(f"1. 为样例名单生成 {YEAR} 年度空白统计表……")
    result = run_demo(out)
    click.echo(f"   {len(result.batch.files)} 份，保存在 {out / BLANK}")
    click.echo(f"2. 按样例数据（乡镇用 LibreOffice 填好的表格）填入各表，保存在 {out / RETURNED}")
    reports = result.merge.reports
    failed = sum(not r.ok for r in reports)
    click.echo(f"3. 检查：共 {len(reports)} 个文件，通过 {len(reports) - failed} 个，有错误 {failed} 个")
    click.echo("4. 汇总：")
    _print_merge(result.merge)
    status = result.round
    counts = "，".join(f"{s} {status.count(s)}" for s in (PASSED, TO_VERIFY, HAS_ERRORS, NOT_RECEIVED))
    late = sum(u.late for u in status.units)
    click.echo(f"5. 收集工作区（一轮收集进行到一半的样子）：{shown(out / ROUND)}")
    click.echo(f"   已收 {status.received}/{len(status.units)}：{counts}，{LATE} {late}")
    click.echo(
        f"\n下一步：用 WPS/Excel/LibreOffice 打开 {result.merge.written} 查看汇总表；"
        f"或在浏览器中处理这一轮收集：nianbao serve -w {shown(out / ROUND)} --open"
    )
    click.echo(
        f"县的年度报告（正文取自工作区中的“县本级文字.txt”）：nianbao report {result.merge.written} "
        f"-w {shown(out / ROUND)} --out {shown(out / '年度报告.docx')}"
    )


# -- the collection workspace ---------------------------------------------------------------------------


# the collection round's commands (cli_round.py, cli_publish.py, cli_users.py) and published against approved
# (cli_compare.py)
for _command in [*ROUND_COMMANDS, *PUBLISH_COMMANDS, *USER_COMMANDS, *COMPARE_COMMANDS]:
    main.add_command(_command)

if __name__ == "__main__":
    main()
