"""The `nianbao` command: a thin shell over the library. Errors are one Chinese line; --debug shows more."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nianbao import __version__, click_zh
from nianbao.collection.workspace import (
    BLANK_DIR,
    HAS_ERRORS,
    KNOWN,
    LATE,
    NEW,
    NO_WORKBOOK,
    NOT_RECEIVED,
    OFF_ROSTER,
    PASSED,
    REFUSED,
    TO_VERIFY,
    UNIDENTIFIED,
    Workspace,
    last_year,
)
from nianbao.form import DEFAULT_FORM
from nianbao.io.files import os_reason, refuse_overwrite, resolved, shown, write_atomic
from nianbao.io.roster import read_roster
from nianbao.operations.parallel import Progress
from nianbao.phrases import describe, in_a_line, received_line, shown_value, status_table, when, why
from nianbao.problems import MESSAGES, NianbaoError, SpecError

if TYPE_CHECKING:  # each command imports the operations it runs: `nianbao status` starts without them
    from nianbao.operations.check import CheckedFile
    from nianbao.operations.merge import Summary

EXIT_PROBLEMS = 1
click_zh.install()
EXIT_USAGE = 2  # also a broken form spec: a configuration error, like a wrong option


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every error becomes one Chinese line and exit status 1, or 2 for a broken form spec (a traceback only
    with --debug)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise  # usage errors: click prints them and exits with 2
        except BrokenPipeError:  # the output went to `head` or a pager that closed: nothing is wrong
            sys.stderr.close()
            sys.exit(0)
        except KeyboardInterrupt as exc:
            click.secho(MESSAGES["INTERRUPTED"].format(more=exc), fg="yellow", err=True)
            sys.exit(130)
        except Exception as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            if isinstance(exc, NianbaoError):
                message = str(exc)
            elif isinstance(exc, OSError):
                message = MESSAGES["OS_ERROR"].format(reason=os_reason(exc), file=shown(Path(exc.filename or "")))
            else:
                message = MESSAGES["INTERNAL_ERROR"].format(detail=f"{type(exc).__name__}: {exc}")
            click.secho(f"错误：{message}", fg="red", err=True)
            sys.exit(EXIT_USAGE if isinstance(exc, SpecError) else EXIT_PROBLEMS)

    return wrapper


def _workspace_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-w",
        "--workspace",
        type=click.Path(file_okay=False, path_type=Path),
        help="工作区目录（不写则从当前目录向上查找）。",
    )(func)


def _refuse_over_inputs(output: Path | None, inputs: list[Path], roster: Path | None) -> None:
    """An output never takes the place of a file being read, --force or not."""
    if output is None:
        return
    read = {resolved(p) for p in inputs} | ({resolved(roster)} if roster else set())
    if resolved(output) in read:
        raise click.UsageError(f"输出文件 {shown(output)} 是被读取的文件之一（表格或名单），不能覆盖它；请换一个文件名")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@_friendly
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
        progress=_progress("生成中"),
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
    help="只检查一个 Word 文档（.docx）时：它是哪个单位的（单位编码）；不写则按标题中的单位名称对照名单。",
)
@click.option(
    "--previous",
    multiple=True,
    type=click.Path(path_type=Path),
    help="上年的表格、汇总表、工作区或已发布的报告（.txt/.html）（可多次指定，或指定目录），用于跨年度核对和与上年比较。",
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
@_friendly
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
    """检查填报单位发回的统计表（文件或目录；.xlsx/.xls/.ods，或按官方 Word 模板写的年度报告 .docx），
    列出每个文件的问题。

    退出码：0 没有错误（可以有警告），1 有文件存在错误，2 用法错误。"""
    from nianbao.form.spec import load_form
    from nianbao.operations.check import CheckOptions, check_files, iter_lines

    load_form(form_name)  # a broken spec stops the run here, not in every file's check
    if json_out:
        refuse_overwrite(json_out, force)  # before the long part, not after every file is checked
    units = {u.unit_id: u for u in read_roster(roster)} if roster else None
    options = CheckOptions(
        form_name=form_name, roster=units, year=year, keep_raw=annotate_dir is not None, unit_id=word_unit
    )
    if previous:
        options.previous, unusable = last_year(previous, form_name, year, units.values() if units else None)
        _say_unusable(unusable)
    run = check_files(paths, options, _progress("检查中"), keep_json=json_out is not None)
    if not run.files:
        raise click.UsageError("没有找到任何表格文件（.xlsx/.xls/.ods）")
    if word_unit and len(run.files) != 1:
        raise click.UsageError(f"--unit-id 只能用于检查一个 Word 文档，这里有 {len(run.files)} 个文件")
    _refuse_over_inputs(json_out, run.files, roster)

    annotator = _Annotator(annotate_dir, password, run.files, force) if annotate_dir else None
    # Reports are printed (and annotated) as they arrive and then dropped: memory stays flat for any count.
    seen: set[str] = set()
    for report in run:
        if not report.ignored:
            seen.add(report.unit_id)
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


def _say_unusable(notes: list[str]) -> None:
    for line in notes:
        click.secho(f"注意：上年文件无法使用：{line}", fg="yellow", err=True)


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
@_workspace_option
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
@_friendly
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
        progress=_progress("检查中"),
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
    workspace = Workspace.open(where)
    result = workspace.merge(out, allow_missing=allow_missing, force=force, password=password)
    for state in result.blockers:
        click.secho(f"  [{state.state}] {state.unit_id} {state.unit_name}{why(state)}", fg="red")
    if result.summary is None:
        click.secho(
            f"未生成汇总表：{len(result.blockers)} 个单位还没有通过（或加 --allow-missing 生成部分汇总）。", fg="red"
        )
        sys.exit(EXIT_PROBLEMS)
    _print_merge(result.summary)
    if json_out:
        data = json.dumps(result.summary.to_json(), ensure_ascii=False, indent=2).encode("utf-8")
        write_atomic(json_out, data, overwrite=force)
    sys.exit(0 if result.summary.complete and not result.blockers else EXIT_PROBLEMS)


def _print_merge(result: Summary) -> None:
    for status in result.blocking:
        files = "、".join(r.name for r in status.reports)
        parts = (f"[{status.status}]", status.unit_id, status.unit_name, files and f"文件：{files}", status.note)
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


def _progress(label: str) -> Progress:
    """A progress bar with counts and an estimate, on a terminal's stderr, for two or more items."""

    def progress(results: Iterator[Any], total: int) -> Iterator[Any]:
        if total < 2 or not sys.stderr.isatty():
            yield from results
            return
        with click.progressbar(
            results, length=total, label=label, show_pos=True, show_eta=True, file=sys.stderr
        ) as bar:
            yield from bar

    return progress


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件：.html（可打印网页）、.docx（Word）或 .md（Markdown）。",
)
@click.option("--force", is_flag=True, help="覆盖已有的输出文件。")
@_friendly
def report(source: Path, out: Path, force: bool) -> None:
    """由填好的统计表或汇总表生成年度报告全文（标题、开头、一至六部分及表二至表四）。"""
    from nianbao.operations.report import render_report

    rendered = render_report(source, out, force)
    for problem in rendered.checked.errors:
        click.secho(f"注意：统计表本身有错误，报告中的数字可能不完整：{problem.describe()}", fg="yellow")
    for problem in rendered.warnings:
        click.secho(problem.describe(), fg="yellow")
    click.echo(f"已生成“{rendered.report.title}”：{shown(out)}")


@main.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit-id", required=True, help="单位编码。")
@click.option("--unit-name", required=True, help="单位名称。")
@click.option("--year", required=True, type=int, help="报告年度。")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="生成的统计表（.xlsx）。")
@click.option("--force", is_flag=True, help="覆盖已有的输出文件。")
@click.option("--form", "form_name", default=DEFAULT_FORM, show_default=True, help="表格格式。")
@_friendly
def import_command(
    source: Path, unit_id: str, unit_name: str, year: int, out: Path, force: bool, form_name: str
) -> None:
    """把已发布的年度报告（网页复制的文字 .txt，或网页 .html）读回成本工具格式的统计表。"""
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
@_friendly
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


# -- the collection workspace ---------------------------------------------------------------------------


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--roster", required=True, type=click.Path(dir_okay=False, path_type=Path), help="单位名单（CSV 或 XLSX）。"
)
@click.option("--year", required=True, type=int, help="报告年度，如 2025。")
@click.option("--deadline", default="", help="报送截止日期，如 2027-01-15：显示在封面上，此后收到的记为迟交。")
@click.option("--password", default=None, help="工作表保护密码；不填则自动生成并记在“保护密码.txt”中。")
@click.option("--unit-id", default="summary", show_default=True, help="本级（汇总表）的单位编码。")
@click.option("--unit-name", default="汇总", show_default=True, help="本级（汇总表）的单位名称，如“彰武县”。")
@click.option("--form", "form_name", default=DEFAULT_FORM, show_default=True, help="表格格式。")
@click.option(
    "--previous",
    multiple=True,
    type=click.Path(path_type=Path),
    help="上年的表格、汇总表、工作区或已发布的报告（.txt/.html）：收到的表格与上年核对、比较。",
)
@_friendly
def init(
    directory: Path,
    roster: Path,
    year: int,
    deadline: str,
    password: str | None,
    unit_id: str,
    unit_name: str,
    form_name: str,
    previous: tuple[Path, ...],
) -> None:
    """建立一个收集工作区：名单、年度、截止日期，生成各单位的空白表格，此后收到的每个文件都记录在案。"""
    workspace, batch = Workspace.create(
        directory,
        roster,
        year,
        deadline=deadline,
        password=password,
        unit_id=unit_id,
        unit_name=unit_name,
        form_name=form_name,
        progress=_progress("生成中"),
        previous=previous,
    )
    _say_unusable(workspace.previous_notes)
    due = f"，截止 {workspace.deadline.isoformat()}" if workspace.deadline else ""
    click.echo(f"已建立工作区 {shown(directory)}：{year} 年度，名单 {len(workspace.units)} 个单位{due}。")
    click.echo(f"空白表格 {len(batch.files)} 份在 {shown(directory / BLANK_DIR)}，请发给各单位。")
    if batch.password_file:
        click.echo(f"工作表保护密码记在 {shown(batch.password_file)}（请勿随表格发出）。")
    click.echo("收到表格后在工作区中运行：nianbao receive 文件或目录")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--mail",
    "as_mail",
    is_flag=True,
    help="PATHS 是邮件文件（.eml、.mbox、Outlook 的 .msg）或邮件目录：收下附带的统计表。",
)
@click.option("--imap", default=None, metavar="URL", help="从邮箱收取，如 imaps://user@mail.example.cn/INBOX（只读）。")
@click.option("--since", default=None, metavar="日期", help="只看这一天及以后的邮件（配合 --imap），如 2026-01-01。")
@click.option(
    "--unit-id",
    "word_unit",
    default="",
    help="只收一个 Word 文档（.docx）时：它是哪个单位的（单位编码）；不写则按标题中的单位名称对照名单。",
)
@_workspace_option
@_friendly
def receive(
    paths: tuple[Path, ...],
    as_mail: bool,
    imap: str | None,
    since: str | None,
    word_unit: str,
    workspace: Path | None,
) -> None:
    """收下各单位发来的文件（文件或目录）：原样保存、检查，按表格身份记为该单位的新版本。同样的文件再收一次不会重复记录。
    按官方 Word 模板写的年度报告（.docx）按标题中的单位名称对照名单，或用 --unit-id 指定单位。

    加 --mail 收邮件文件中的附件，加 --imap 直接从邮箱收取（密码从环境变量 NIANBAO_IMAP_PASSWORD 读取，
    没有则询问，不会保存）。"""
    if word_unit and (imap or as_mail):
        raise click.UsageError("--unit-id 只能用于收一个 Word 文档，不能与 --mail、--imap 一起使用")
    if imap or as_mail:
        from nianbao.cli_mail import receive_mail  # mail modules: only when receiving mail

        receive_mail(Workspace.open(workspace), paths, imap, since, _progress("检查中"))
        return
    if not paths:
        raise click.UsageError("请写要收下的文件或目录（收邮件请加 --mail 或 --imap）")
    if since:
        raise click.UsageError("--since 只能与 --imap 一起使用")
    opened = Workspace.open(workspace)
    results = opened.receive(paths, progress=_progress("检查中"), unit_id=word_unit)
    for result in results:
        line, colour = received_line(result)
        click.secho(line, fg=colour)
    counts = {o: sum(r.outcome == o for r in results) for o in (NEW, KNOWN, REFUSED)}
    new = [r for r in results if r.outcome == NEW]
    unidentified = sum(1 for r in new if r.version and r.version.version is None)
    click.echo(
        f"收到 {len(results)} 个文件：新版本 {counts[NEW] - unidentified} 个，未识别 {unidentified} 个，"
        f"已收到过 {counts[KNOWN]} 个，无法保存 {counts[REFUSED]} 个。运行 nianbao status 查看各单位情况。"
    )
    from nianbao.collection.mail import MAIL_SUFFIXES

    inside = (p for path in paths for p in ([path] if not path.is_dir() else path.rglob("*")))
    mails = [p for p in inside if p.suffix.lower() in MAIL_SUFFIXES]
    if mails:
        click.secho(
            f"另有 {len(mails)} 个邮件文件（.eml/.msg/.mbox，如 {shown(mails[0])}）没有收：收其中的附件请运行 "
            "nianbao receive --mail 加同样的文件或目录",
            fg="yellow",
        )


@main.command("previous")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_workspace_option
@_friendly
def previous_command(paths: tuple[Path, ...], workspace: Path | None) -> None:
    """给工作区指定上年的数字：上年的表格、汇总表、工作区或已发布的报告（.txt/.html）。

    此后收到的表格与上年核对（上年结转、现行有效件数）和比较（与上年相比变化异常的请核实）；
    已收到的各版也按上年数字重新检查。再次指定则取代以前的。"""
    opened = Workspace.open(workspace)
    found, notes = opened.set_previous(paths, _progress("重新检查中"))
    _say_unusable(notes)
    click.echo(
        f"已读到 {found} 个单位的上年数字，已收到的表格已按上年数字重新检查。运行 nianbao status 查看各单位情况。"
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 格式输出。")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="另存为报送情况表（.xlsx 或 .csv）：每个单位的状态、说明和名单上的联系人、电话。",
)
@click.option("--force", is_flag=True, help="覆盖已有的 --out 文件。")
@_workspace_option
@_friendly
def status(as_json: bool, out: Path | None, force: bool, workspace: Path | None) -> None:
    """按名单顺序列出每个单位的状态：未收到、有错误、待核实、已通过，迟交的标明；最上面是统计。"""
    opened = Workspace.open(workspace)
    result = opened.status()
    if out is not None:
        from nianbao.io.tables import table_bytes

        if opened.owns(out):
            raise NianbaoError(f"{shown(out)} 是工作区自己的文件，不能用来保存报送情况表；请换一个文件名或位置")
        refuse_overwrite(out, force)
        header, rows = status_table(result, opened.roster_units)
        write_atomic(out, table_bytes(out.suffix, "报送情况", header, rows), overwrite=force)
        click.echo(f"已写出报送情况表 {shown(out)}（{len(rows)} 个单位）")
        return
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    total = len(result.units)
    rate = f"{result.on_time / total:.0%}" if total else "-"
    due = f"截止 {result.deadline.isoformat()}，" if result.deadline else ""
    click.echo(f"{result.year} 年度，{due}名单 {total} 个单位：已收 {result.received}/{total}，按时率 {rate}")
    counts = "，".join(f"{s} {result.count(s)}" for s in (PASSED, TO_VERIFY, HAS_ERRORS, NOT_RECEIVED))
    click.echo(counts)
    colours = {PASSED: "green", TO_VERIFY: "yellow", HAS_ERRORS: "red", NOT_RECEIVED: None}
    lines = []  # printed at once: thousands of separate writes are slow on a Windows console
    for i, unit in enumerate(result.units, start=1):
        counted = unit.counted
        detail = ""
        if counted:
            pinned = "，指定" if unit.pinned else ""
            detail = (
                f"  第 {counted.version} 版（共 {unit.versions} 版{pinned}） {when(counted.received_at)}"
                f"  错误 {counted.errors} 警告 {counted.warnings}"
            )
            if unit.open_warnings:  # the file's own and those of the comparison with other units, as the board says
                detail += f"（待核实 {len(unit.open_warnings)}）"
            if unit.rejections:
                detail += f"  已退回：{in_a_line(unit.rejections[-1]['note'])}"
        late = f" {LATE}" if unit.late else ""
        if unit.extended:
            late += f"（延期至 {unit.extended.isoformat()}）"
        lines.append(
            click.style(f"{i:>4}. {unit.unit_id} {unit.unit_name}：{unit.state}{late}{detail}", fg=colours[unit.state])
        )
        if unit.sender_warning:
            lines.append(click.style(f"        ⚠ {unit.sender_warning}", fg="yellow"))
        for warning in [w for w in unit.review if w in unit.open_warnings]:
            place = f"{warning['sheet']}!{warning['cell']}（{warning['row_label']}／{warning['col_label']}）"
            lines.append(click.style(f"        ⚠ {place}：{warning['message']}", fg="yellow"))
    for version in result.unidentified:
        reason = OFF_ROSTER if version.unit_id else UNIDENTIFIED
        lines.append(click.style(f"   {reason}：{version.name}（{when(version.received_at)}）", fg="yellow"))
    for letter in result.without_workbook:
        others = f"，附件：{'、'.join(letter.others)}" if letter.others else ""
        line = f"   {NO_WORKBOOK}：{letter.sender}《{letter.subject}》（{when(letter.sent_at)}{others}）"
        lines.append(click.style(line, fg="yellow"))
    click.echo("\n".join(lines))


@main.command()
@click.argument("unit")
@click.option("--rule", default=None, help="只认可这一规则或提示代码的警告（如 P1）。")
@click.option("--all", "all_warnings", is_flag=True, help="认可计入版本的全部待核实警告。")
@click.option("--note", required=True, help="认可的理由，如“已电话核实，本镇无规章制定权”。")
@_workspace_option
@_friendly
def accept(unit: str, rule: str | None, all_warnings: bool, note: str, workspace: Path | None) -> None:
    """认可某单位计入版本的警告（写明理由）。错误不能认可。数字不变时，认可对以后的版本继续有效。"""
    if bool(rule) == all_warnings:
        raise click.UsageError("请写 --rule 规则 或 --all 其中之一")
    opened = Workspace.open(workspace)
    accepted = opened.accept(unit, note, rule)
    for warning in accepted:
        click.echo(f"已认可：{warning.get('sheet', '')}!{warning.get('cell', '')} {warning['message']}")
    state = opened.state_of(unit)
    click.echo(f"{state.unit_id} {state.unit_name}：{state.state}")


@main.command()
@click.argument("unit")
@click.option("--diff", nargs=2, type=int, default=None, metavar="A B", help="列出第 A 版与第 B 版的逐格差别。")
@_workspace_option
@_friendly
def history(unit: str, diff: tuple[int, int] | None, workspace: Path | None) -> None:
    """某单位收到过的每一版：时间、来源、文件名、sha256、错误和警告，以及计入的是哪一版。"""
    opened = Workspace.open(workspace)
    if diff:
        changes = opened.diff(unit, *diff)
        for change in changes:
            click.echo(f"{change.place}：{shown_value(change.before)} → {shown_value(change.after)}")
        click.echo(f"第 {diff[0]} 版与第 {diff[1]} 版共有 {len(changes)} 处不同。")
        return
    state, versions = opened.history(unit)
    click.echo(f"{state.unit_id} {state.unit_name}：{state.state}{f'（{LATE}）' if state.late else ''}")
    for version in versions:
        counted = "  ← 计入" if state.counted and state.counted.id == version.id else ""
        click.echo(
            f"  第 {version.version} 版  {when(version.received_at)}  {version.name}  sha256 {version.sha256[:12]}  "
            f"错误 {version.errors} 警告 {version.warnings}  来源 {version.source}{counted}"
        )
        if opened.sender_warning(version.unit_id, version.sender):
            click.secho(f"      ⚠ {opened.sender_warning(version.unit_id, version.sender)}", fg="yellow")
    if not versions:
        click.echo("  还没有收到。")
    from nianbao.collection.reply import replies_of

    for reply in replies_of(opened, unit):
        which = f"（答复第 {reply.version} 版）" if reply.version else ""
        click.echo(f"  回复：{reply.kind_name}{which}  {reply.said}  {reply.draft.name}")


@main.command()
@click.argument("unit")
@click.argument("version")
@click.option("--note", required=True, help="为什么采用这一版。")
@_workspace_option
@_friendly
def use(unit: str, version: str, note: str, workspace: Path | None) -> None:
    """指定某单位计入哪一版（VERSION 写版本号；写“最新”则恢复为最新收到的一版）。"""
    number = None if version in ("最新", "latest") else _version_number(version)
    opened = Workspace.open(workspace)
    chosen = opened.use(unit, number, note)
    state = opened.state_of(unit)
    which = f"第 {chosen.version} 版" if chosen else "最新的一版"
    click.echo(f"{state.unit_id} {state.unit_name}：计入{which}，{state.state}")


@main.command()
@click.argument("unit")
@click.option("--note", required=True, help="退回的原因，写给单位看，如“表三第 5 行与县法制办掌握的数字不符，请核对”。")
@click.option("--undo", is_flag=True, help="撤销对计入版本的退回（--note 写撤销的理由）。")
@_workspace_option
@_friendly
def reject(unit: str, note: str, undo: bool, workspace: Path | None) -> None:
    """退回某单位计入的版本，写明原因：用于规则查不出、但审核人知道不对的问题。

    退回后该单位为“有错误”，不能汇总，回复草稿把原因列在最前；单位报来新的一版后按新版本审核。"""
    opened = Workspace.open(workspace)
    if undo:
        count = opened.withdraw_rejection(unit, note)
        state = opened.state_of(unit)
        click.echo(f"{state.unit_id} {state.unit_name}：已撤销 {count} 次退回，{state.state}")
        return
    version = opened.reject(unit, note)
    state = opened.state_of(unit)
    said = f"{state.unit_id} {state.unit_name}：第 {version.version} 版已退回，{state.state}"
    click.echo(f"{said}；运行 nianbao reply 写回复草稿")


@main.command()
@click.argument("unit")
@click.option("--until", default=None, metavar="日期", help="新的截止日期，如 2026-01-25；此前报来的不算迟交。")
@click.option("--cancel", is_flag=True, help="取消该单位的延期。")
@click.option("--note", required=True, help="延期（或取消）的理由，如“镇长出差，经分管领导同意”。")
@_workspace_option
@_friendly
def extend(unit: str, until: str | None, cancel: bool, note: str, workspace: Path | None) -> None:
    """给某单位延期：新的截止日期之前报来的不算迟交，催报和审核意见中的期限也按它写。"""
    from nianbao.operations.generate import deadline_date

    if bool(until) == cancel:
        raise click.UsageError("请写 --until 日期 或 --cancel 其中之一")
    opened = Workspace.open(workspace)
    found = opened.extend(unit, deadline_date(until) if until else None, note)
    state = opened.state_of(found.unit_id)
    granted = f"延期至 {state.extended.isoformat()}" if state.extended else "已取消延期"
    click.echo(f"{state.unit_id} {state.unit_name}：{granted}，{state.state}{'（' + LATE + '）' if state.late else ''}")


def _version_number(text: str) -> int:
    if not text.isdigit():
        raise click.BadParameter(f"版本应是数字或“最新”，不是 {text!r}", param_hint="VERSION")
    return int(text)


@main.command()
@click.option("--unit", "units", multiple=True, metavar="单位", help="只给这个单位写（编码或名称，可多次指定）。")
@click.option("--from", "sender", default="", metavar="邮箱", help="发件人邮箱，如 xxgk@county.gov.cn。")
@click.option("--send", is_flag=True, help="写好后通过 --smtp 的发信服务器发出（同一份回复只发一次）。")
@click.option("--smtp", default=None, metavar="URL", help="发信服务器，如 smtps://xxgk@smtp.example.cn。")
@click.option("--mark-sent", is_flag=True, help="草稿已用自己的邮件程序发出：记为已发送（次日起未报的写催报）。")
@_workspace_option
@_friendly
def reply(
    units: tuple[str, ...], sender: str, send: bool, smtp: str | None, mark_sent: bool, workspace: Path | None
) -> None:
    """给需要回复的单位写邮件草稿（回复草稿/ 中的 .eml，可用 Outlook、Foxmail、Thunderbird 打开发送）：
    有错误或待核实的写审核意见（附问题标注副本），未收到的写下发通知或催报（附空白表格）。

    加 --send --smtp URL --from 邮箱 直接发出（密码从环境变量 NIANBAO_SMTP_PASSWORD 读取，没有则询问，
    不会保存）。每份回复只发一次；名单上没有邮箱的单位列出联系电话。"""
    from nianbao.cli_mail import reply_command  # mail modules: only when replying

    reply_command(Workspace.open(workspace), units, sender, send, smtp, mark_sent)


@main.command()
@_workspace_option
@_friendly
def log(workspace: Path | None) -> None:
    """工作区的操作记录（最新的在前）：时间、操作人、操作和内容。"""
    for entry in Workspace.open(workspace).log():
        click.echo(f"{when(entry.at)}  {entry.user}  {describe(entry)}")


@main.command("serve")
@_workspace_option
@click.option("--port", default=8765, show_default=True, type=int, help="端口。")
@click.option("--host", default="127.0.0.1", show_default=True, help="地址；不写则只有本机能打开，写别的地址须设密码。")
@click.option(
    "--password", envvar="NIANBAO_WEB_PASSWORD", default=None, help="登录密码（也可用环境变量 NIANBAO_WEB_PASSWORD）。"
)
@click.option("--open", "open_browser", is_flag=True, help="启动后在默认浏览器中打开。")
@_friendly
def serve_command(workspace: Path | None, port: int, host: str, password: str | None, open_browser: bool) -> None:
    """以网页查看和处理工作区：总览、各单位、上传、汇总、操作记录。按 Ctrl-C 停止。"""
    from nianbao.web.server import address, make_server, serve

    server = make_server(Workspace.open(workspace).root, host, port, password)
    click.echo(f"网页已开启：{address(server)}（按 Ctrl-C 停止）")
    serve(server, open_browser)
    click.echo("网页已停止。")


if __name__ == "__main__":
    main()
