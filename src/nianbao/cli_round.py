"""The commands of a collection round in a workspace: init, settings, receive, previous, status, accept, history,
use, reject, extend, reply, log, serve. Each opens the workspace, calls one library operation and says what came of
it in the words of phrases.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click

from nianbao.cli_shared import friendly, open_workspace, progress_bar, say_unusable, sender_options, workspace_option
from nianbao.collection.settings import LONGEST, REMIND_BEFORE, REMIND_EVERY
from nianbao.collection.settings import NAMES as SETTING_NAMES
from nianbao.collection.workspace import (
    BLANK_DIR,
    HAS_ERRORS,
    KNOWN,
    LATE,
    NEW,
    NO_WORKBOOK,
    NOT_RECEIVED,
    OFF_ROSTER,
    OVERDUE,
    PASSED,
    REFUSED,
    TO_VERIFY,
    UNIDENTIFIED,
    RoundStatus,
    Workspace,
)
from nianbao.form import DEFAULT_FORM
from nianbao.io.files import refuse_overwrite, shown, write_atomic
from nianbao.phrases import (
    describe,
    in_a_line,
    naming_of,
    problem_line,
    received_line,
    round_line,
    setting_value,
    shown_value,
    status_heading,
    status_table,
    unit_line,
    when,
)
from nianbao.problems import ERROR, NianbaoError


@click.command()
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
@sender_options
@friendly
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
    office: str | None,
    sender: str | None,
    contact: str | None,
    phone: str | None,
) -> None:
    """建立一个收集工作区：名单、年度、截止日期，生成各单位的空白表格，此后收到的每个文件都记录在案。

    回复邮件的落款和发件人（--office、--from、--contact、--phone）可以现在写，也可以以后用 nianbao settings 设定。"""
    workspace, batch = Workspace.create(
        directory,
        roster,
        year,
        deadline=deadline,
        password=password,
        unit_id=unit_id,
        unit_name=unit_name,
        form_name=form_name,
        progress=progress_bar("生成中"),
        previous=previous,
        settings={"office": office, "sender": sender, "contact": contact, "phone": phone},
    )
    say_unusable(workspace.previous_notes)
    due = f"，截止 {workspace.deadline.isoformat()}" if workspace.deadline else ""
    click.echo(f"已建立工作区 {shown(directory)}：{year} 年度，名单 {len(workspace.units)} 个单位{due}。")
    click.echo(f"空白表格 {len(batch.files)} 份在 {shown(directory / BLANK_DIR)}，请发给各单位。")
    if batch.password_file:
        click.echo(f"工作表保护密码记在 {shown(batch.password_file)}（请勿随表格发出）。")
    click.echo("收到表格后在工作区中运行：nianbao receive 文件或目录")


@click.command("settings")
@sender_options
@click.option(
    "--remind-before",
    type=click.IntRange(0, LONGEST),
    default=None,
    metavar="天数",
    help=f"截止日期前几天起催报（默认 {REMIND_BEFORE}）：此前未报的单位只有下发通知，不催报。",
)
@click.option(
    "--remind-every",
    type=click.IntRange(1, LONGEST),
    default=None,
    metavar="天数",
    help=f"催报的间隔（默认 {REMIND_EVERY}）：给同一单位的两封信至少相隔这么多天。",
)
@workspace_option
@friendly
def settings_command(
    office: str | None,
    sender: str | None,
    contact: str | None,
    phone: str | None,
    remind_before: int | None,
    remind_every: int | None,
    workspace: Path | None,
) -> None:
    """回复邮件的落款、发件人、联系人、联系电话和催报的频率：不加选项时列出现在的设置，加选项则修改（记入操作记录）。

    催报：下发通知之后，从各单位自己的截止日期（延期的按延期）前 --remind-before 天起，每 --remind-every 天最多一封，
    直到该单位报来；本轮没有截止日期时，下发通知之后每 --remind-every 天最多一封。
    写 "" 清除一项（如 --contact ""；落款单位清除后是本级单位名称）。"""
    opened = open_workspace(workspace)
    changes = {"office": office, "sender": sender, "contact": contact, "phone": phone}
    changed = opened.change_settings(**changes, remind_before=remind_before, remind_every=remind_every)
    for name, (before, after) in changed.items():
        click.echo(f"已修改{SETTING_NAMES[name]}：{setting_value(before)} → {setting_value(after)}")
    if any(v is not None for v in (*changes.values(), remind_before, remind_every)) and not changed:
        click.echo("设置没有变化。")
    now = opened.settings
    for name in ("office", "sender", "contact", "phone"):
        click.echo(f"{SETTING_NAMES[name]}：{setting_value(getattr(now, name))}")
    start = f"截止日期前 {now.remind_before} 天起，" if opened.deadline else "本轮没有截止日期：下发通知之后"
    click.echo(f"催报：{start}每 {now.remind_every} 天最多一封，直到报来（延期的单位按延期的日期算）")


@click.command()
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
    help="只收一个 Word 文档（.docx）或 PDF 时：它是哪个单位的（单位编码）；不写则按标题中的单位名称对照名单。",
)
@workspace_option
@friendly
def receive(
    paths: tuple[Path, ...],
    as_mail: bool,
    imap: str | None,
    since: str | None,
    word_unit: str,
    workspace: Path | None,
) -> None:
    """收下各单位发来的文件（文件或目录）：原样保存、检查，按表格身份记为该单位的新版本。同样的文件再收一次不会重复记录。
    按官方格式写的年度报告（Word .docx 或 PDF）按标题中的单位名称对照名单，或用 --unit-id 指定单位。

    加 --mail 收邮件文件中的附件，加 --imap 直接从邮箱收取（密码从环境变量 NIANBAO_IMAP_PASSWORD 读取，
    没有则询问，不会保存）。"""
    if word_unit and (imap or as_mail):
        raise click.UsageError("--unit-id 只能用于收一个 Word 文档，不能与 --mail、--imap 一起使用")
    if imap or as_mail:
        from nianbao.cli_mail import receive_mail  # mail modules: only when receiving mail

        receive_mail(open_workspace(workspace), paths, imap, since, progress_bar("检查中"))
        return
    if not paths:
        raise click.UsageError("请写要收下的文件或目录（收邮件请加 --mail 或 --imap）")
    if since:
        raise click.UsageError("--since 只能与 --imap 一起使用")
    opened = open_workspace(workspace)
    results = opened.receive(paths, progress=progress_bar("检查中"), unit_id=word_unit)
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


@click.command("previous")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@workspace_option
@friendly
def previous_command(paths: tuple[Path, ...], workspace: Path | None) -> None:
    """给工作区指定上年的数字：上年的表格、汇总表、工作区或已发布的报告（.txt/.html/.docx/.pdf）。

    此后收到的表格与上年核对（上年结转、现行有效件数）和比较（与上年相比变化异常的请核实）；
    已收到的各版也按上年数字重新检查。再次指定则取代以前的。"""
    opened = open_workspace(workspace)
    found, notes = opened.set_previous(paths, progress_bar("重新检查中"))
    say_unusable(notes)
    click.echo(
        f"已读到 {found} 个单位的上年数字，已收到的表格已按上年数字重新检查。运行 nianbao status 查看各单位情况。"
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 格式输出。")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="另存为报送情况表（.xlsx 或 .csv）：每个单位的状态、说明和名单上的联系人、电话。",
)
@click.option("--force", is_flag=True, help="覆盖已有的 --out 文件。")
@click.option("--brief", is_flag=True, help="每个单位只列一行，不逐条列出问题。")
@workspace_option
@friendly
def status(as_json: bool, out: Path | None, force: bool, brief: bool, workspace: Path | None) -> None:
    """按名单顺序列出每个单位的状态：未收到、有错误、待核实、已通过，迟交、逾期未报的标明；有问题的单位逐条列出
    问题（工作表!单元格、行列、说明）；最上面是统计。按时率按各单位首次报送的时间计算，改正和退回后重报不算迟交。"""
    opened = open_workspace(workspace)
    result = opened.status()
    if out is not None:
        from nianbao.io.tables import table_bytes

        if opened.owns(out):
            raise NianbaoError(f"{shown(out)} 是工作区自己的文件，不能用来保存报送情况表；请换一个文件名或位置")
        refuse_overwrite(out, force)
        header, rows = status_table(result, opened.roster_units, opened.decisions())
        heading = status_heading(result, opened.settings.office, datetime.now())
        write_atomic(out, table_bytes(out.suffix, "报送情况", header, rows, heading), overwrite=force)
        click.echo(f"已写出报送情况表 {shown(out)}（{len(rows)} 个单位）")
        return
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(round_line(result))
    counts = "，".join(f"{s} {result.count(s)}" for s in (PASSED, TO_VERIFY, HAS_ERRORS, NOT_RECEIVED))
    click.echo(counts + (f"（其中{OVERDUE} {result.overdue}）" if result.overdue else ""))
    click.echo("\n".join(_status_lines(result, brief)))  # at once: many writes are slow on a Windows console


def _status_lines(result: RoundStatus, brief: bool) -> Iterator[str]:
    colours = {PASSED: "green", TO_VERIFY: "yellow", HAS_ERRORS: "red", NOT_RECEIVED: None}
    for i, unit in enumerate(result.units, start=1):
        yield click.style(f"{i:>4}. {unit_line(unit)}", fg="red" if unit.overdue else colours[unit.state])
        if unit.sender_warning:
            yield click.style(f"        ⚠ {unit.sender_warning}", fg="yellow")
        problems = [] if brief else unit.problems
        for problem in problems[:PROBLEMS_SHOWN]:
            yield click.style(f"        {problem_line(problem)}", fg="red" if problem.severity == ERROR else "yellow")
        if len(problems) > PROBLEMS_SHOWN:
            more = f"        …… 另有 {len(problems) - PROBLEMS_SHOWN} 个问题，全部见 nianbao history {unit.unit_id}"
            yield click.style(more, fg="yellow")
    for version in result.unidentified:
        reason = OFF_ROSTER if version.unit_id else UNIDENTIFIED
        yield click.style(
            f"   {reason}（文件 {version.id}）：{version.name}（{when(version.received_at)}）", fg="yellow"
        )
    for letter in result.without_workbook:
        others = f"，附件：{'、'.join(letter.others)}" if letter.others else ""
        said = f"{letter.sender}《{letter.subject}》（{when(letter.sent_at)}{others}）"
        line = f"   {NO_WORKBOOK}（来信 {letter.id}）：{said}"
        yield click.style(line, fg="yellow")
    if result.unidentified or result.without_workbook:
        yield "   （不需要处理的，可以用 nianbao dismiss --file 编号 或 --letter 编号 搁置）"
    if result.set_aside:
        yield f"   已搁置 {result.set_aside} 个文件或来信（nianbao log 中可查）"


@click.command()
@click.argument("unit")
@click.option("--rule", default=None, help="只认可这一规则或提示代码的警告（如 P1）。")
@click.option("--all", "all_warnings", is_flag=True, help="认可计入版本的全部待核实警告。")
@click.option("--undo", is_flag=True, help="撤销认可（该单位全部的，或 --rule 那一规则的）。")
@click.option("--note", required=True, help="认可（或撤销）的理由，如“已电话核实，本镇无规章制定权”。")
@workspace_option
@friendly
def accept(unit: str, rule: str | None, all_warnings: bool, undo: bool, note: str, workspace: Path | None) -> None:
    """认可某单位计入版本的警告（写明理由）。错误不能认可。数字不变时，认可对以后的版本继续有效。
    加 --undo 撤销认可过的警告（全部，或 --rule 那一规则的）。"""
    opened = open_workspace(workspace)
    if undo:
        if all_warnings:
            raise click.UsageError("撤销时写 --rule 规则，或都不写（撤销该单位全部的认可）；不用写 --all")
        count = opened.unaccept(unit, note, rule)
        state = opened.state_of(unit)
        click.echo(f"{state.unit_id} {state.unit_name}：已撤销 {count} 个认可，{state.state}")
        return
    if bool(rule) == all_warnings:
        raise click.UsageError("请写 --rule 规则 或 --all 其中之一")
    accepted = opened.accept(unit, note, rule)
    for warning in accepted:
        click.echo(f"已认可：{warning.sheet}!{warning.cell} {warning.message}")
    state = opened.state_of(unit)
    click.echo(f"{state.unit_id} {state.unit_name}：{state.state}")


@click.command()
@click.argument("unit")
@click.option("--diff", nargs=2, type=int, default=None, metavar="A B", help="列出第 A 版与第 B 版的逐格差别。")
@workspace_option
@friendly
def history(unit: str, diff: tuple[int, int] | None, workspace: Path | None) -> None:
    """某单位收到过的每一版：时间、来源、发件人、文件名、sha256、每一个问题，计入的是哪一版，哪一版被退回（谁、为什么），
    认可过哪些警告（谁、为什么），以及给它的回复。"""
    opened = open_workspace(workspace)
    if diff:
        changes = opened.diff(unit, *diff)
        for change in changes:
            click.echo(f"{change.place}：{shown_value(change.before)} → {shown_value(change.after)}")
        click.echo(f"第 {diff[0]} 版与第 {diff[1]} 版共有 {len(changes)} 处不同。")
        return
    state, versions = opened.history(unit)
    click.echo(unit_line(state))
    sent_back = opened.rejections(state.unit_id)
    for version in versions:
        counted = "  ← 计入" if state.counted and state.counted.id == version.id else ""
        sender = f"  发件人 {version.sender}" if version.sender else ""
        click.echo(
            f"  第 {version.version} 版  {when(version.received_at)}  {version.name}  sha256 {version.sha256[:12]}  "
            f"错误 {version.errors} 警告 {version.warnings}  来源 {version.source}{sender}{counted}"
        )
        if opened.sender_warning(version.unit_id, version.sender):
            click.secho(f"      ⚠ {opened.sender_warning(version.unit_id, version.sender)}", fg="yellow")
        for rejection in (r for r in sent_back if r.file_id == version.id):
            click.secho(
                f"      退回（{rejection.user} {when(rejection.at)}）：{in_a_line(rejection.note, 200)}", fg="red"
            )
        for problem in version.problems:
            click.secho(f"      {problem_line(problem)}", fg="red" if problem.severity == ERROR else "yellow")
    if not versions:
        click.echo("  还没有收到。")
    for acceptance in opened.acceptances(state.unit_id):
        who = f"{acceptance.user} {when(acceptance.at)}"
        click.echo(f"  认可：{acceptance.code} {acceptance.cell}（{who}）：{in_a_line(acceptance.note, 200)}")
    for warning in state.review:
        click.secho(f"  与同类单位比较：{problem_line(warning)}", fg="yellow")
    from nianbao.collection.reply import replies_of

    for reply in replies_of(opened, unit):
        which = f"（答复第 {reply.version} 版）" if reply.version else ""
        click.echo(f"  回复：{reply.kind_name}{which}  {reply.said}  {reply.draft.name}")


@click.command()
@click.argument("unit")
@click.argument("version")
@click.option("--note", required=True, help="为什么采用这一版。")
@workspace_option
@friendly
def use(unit: str, version: str, note: str, workspace: Path | None) -> None:
    """指定某单位计入哪一版（VERSION 写版本号；写“最新”则恢复为最新收到的一版）。"""
    number = None if version in ("最新", "latest") else _version_number(version)
    opened = open_workspace(workspace)
    chosen = opened.use(unit, number, note)
    state = opened.state_of(unit)
    which = f"第 {chosen.version} 版" if chosen else "最新的一版"
    click.echo(f"{state.unit_id} {state.unit_name}：计入{which}，{state.state}")


@click.command()
@click.argument("unit")
@click.option("--note", required=True, help="退回的原因，写给单位看，如“表三第 5 行与县法制办掌握的数字不符，请核对”。")
@click.option("--undo", is_flag=True, help="撤销对计入版本的退回（--note 写撤销的理由）。")
@workspace_option
@friendly
def reject(unit: str, note: str, undo: bool, workspace: Path | None) -> None:
    """退回某单位计入的版本，写明原因：用于规则查不出、但审核人知道不对的问题。

    退回后该单位为“有错误”，不能汇总，回复草稿把原因列在最前；单位报来新的一版后按新版本审核。"""
    opened = open_workspace(workspace)
    if undo:
        count = opened.withdraw_rejection(unit, note)
        state = opened.state_of(unit)
        click.echo(f"{state.unit_id} {state.unit_name}：已撤销 {count} 次退回，{state.state}")
        return
    version = opened.reject(unit, note)
    state = opened.state_of(unit)
    said = f"{state.unit_id} {state.unit_name}：第 {version.version} 版已退回，{state.state}"
    click.echo(f"{said}；运行 nianbao reply 写回复草稿")


@click.command()
@click.argument("unit")
@click.option("--until", default=None, metavar="日期", help="新的截止日期，如 2026-01-25；此前报来的不算迟交。")
@click.option("--cancel", is_flag=True, help="取消该单位的延期。")
@click.option("--note", required=True, help="延期（或取消）的理由，如“镇长出差，经分管领导同意”。")
@workspace_option
@friendly
def extend(unit: str, until: str | None, cancel: bool, note: str, workspace: Path | None) -> None:
    """给某单位延期：新的截止日期之前报来的不算迟交，催报和审核意见中的期限也按它写。"""
    from nianbao.operations.generate import deadline_date

    if bool(until) == cancel:
        raise click.UsageError("请写 --until 日期 或 --cancel 其中之一")
    opened = open_workspace(workspace)
    found = opened.extend(unit, deadline_date(until) if until else None, note)
    state = opened.state_of(found.unit_id)
    granted = f"延期至 {state.extended.isoformat()}" if state.extended else "已取消延期"
    click.echo(f"{state.unit_id} {state.unit_name}：{granted}，{state.state}{'（' + LATE + '）' if state.late else ''}")


@click.command("deadline")
@click.argument("day", metavar="日期")
@click.option("--note", required=True, help="修改的理由，如“市里通知延后一周”。")
@workspace_option
@friendly
def deadline_command(day: str, note: str, workspace: Path | None) -> None:
    """修改本轮的截止日期（如 2026-01-25）：迟交、逾期未报、按时率和回复中的期限都按新日期；各单位的延期不变。"""
    from nianbao.operations.generate import deadline_date

    opened = open_workspace(workspace)
    before = opened.move_deadline(deadline_date(day), note)
    result = opened.status()
    was = before.isoformat() if before else "未定"
    click.echo(f"截止日期已由 {was} 改为 {day}。{round_line(result)}")


@click.command()
@click.option(
    "--file", "file_id", type=int, default=None, metavar="编号", help="未识别的文件（status 中的“文件 编号”）。"
)
@click.option(
    "--letter",
    "letter_id",
    type=int,
    default=None,
    metavar="编号",
    help="来信无统计表的来信（status 中的“来信 编号”）。",
)
@click.option("--undo", is_flag=True, help="恢复搁置的文件或来信。")
@click.option("--note", required=True, help="搁置（或恢复）的理由，如“其他县误发的表格”。")
@workspace_option
@friendly
def dismiss(file_id: int | None, letter_id: int | None, undo: bool, note: str, workspace: Path | None) -> None:
    """搁置一个未识别的文件或一封来信无统计表的来信：不再列在 status 和总览中（文件本身仍保存在收到的文件/ 中）。
    加 --undo 恢复。"""
    if (file_id is None) == (letter_id is None):
        raise click.UsageError("请写 --file 编号 或 --letter 编号 其中之一")
    kind, ref = ("file", file_id) if file_id is not None else ("letter", letter_id)
    assert ref is not None
    what = open_workspace(workspace).dismiss(kind, ref, note, undo=undo)
    click.echo(f"已{'恢复' if undo else '搁置'}：{what}")


def _version_number(text: str) -> int:
    if not text.isdigit():
        raise click.BadParameter(f"版本应是数字或“最新”，不是 {text!r}", param_hint="VERSION")
    return int(text)


@click.command()
@click.option("--unit", "units", multiple=True, metavar="单位", help="只给这个单位写（编码或名称，可多次指定）。")
@click.option(
    "--from",
    "sender",
    default="",
    metavar="邮箱",
    help="发件人邮箱，如 xxgk@county.gov.cn；写过一次就记住（nianbao settings）。",
)
@click.option("--send", is_flag=True, help="写好后通过 --smtp 的发信服务器发出（同一份回复只发一次）。")
@click.option("--smtp", default=None, metavar="URL", help="发信服务器，如 smtps://xxgk@smtp.example.cn。")
@click.option("--mark-sent", is_flag=True, help="草稿已用自己的邮件程序发出：记为已发送（此后按催报的频率催报）。")
@workspace_option
@friendly
def reply(
    units: tuple[str, ...], sender: str, send: bool, smtp: str | None, mark_sent: bool, workspace: Path | None
) -> None:
    """给需要回复的单位写邮件草稿（回复草稿/ 中的 .eml，可用 Outlook、Foxmail、Thunderbird 打开发送）：
    有错误或待核实的写审核意见（附问题标注副本），未收到的写下发通知或催报（附空白表格）。

    加 --send --smtp URL --from 邮箱 直接发出（密码从环境变量 NIANBAO_SMTP_PASSWORD 读取，没有则询问，
    不会保存）。每份回复只发一次；名单上没有邮箱的单位列出联系电话。落款、联系人和催报的频率见 nianbao settings。"""
    from nianbao.cli_mail import reply_command  # mail modules: only when replying

    reply_command(open_workspace(workspace), units, sender, send, smtp, mark_sent)


@click.command()
@workspace_option
@friendly
def log(workspace: Path | None) -> None:
    """工作区的操作记录（最新的在前）：时间、操作人、操作和内容。"""
    opened = open_workspace(workspace)
    naming = naming_of(opened)
    for entry in opened.log():
        click.echo(f"{when(entry.at)}  {entry.user}  {describe(entry, naming)}")


@click.command("serve")
@workspace_option
@click.option("--port", default=8765, show_default=True, type=int, help="端口。")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="地址；不写则只有本机能打开；写别的地址（如 0.0.0.0）须先用 nianbao user add 添加同事，或设共用密码。",
)
@click.option(
    "--password",
    envvar="NIANBAO_WEB_PASSWORD",
    default=None,
    help="共用的登录密码，工作区没有同事账户时使用（也可用环境变量 NIANBAO_WEB_PASSWORD）。",
)
@click.option("--open", "open_browser", is_flag=True, help="启动后在默认浏览器中打开。")
@friendly
def serve_command(workspace: Path | None, port: int, host: str, password: str | None, open_browser: bool) -> None:
    """以网页查看和处理工作区：总览、各单位、上传、汇总、操作记录。按 Ctrl-C 停止。

    工作区有同事账户（nianbao user add）时，每位同事用自己的姓名和密码登录；否则局域网上用共用密码登录。"""
    from nianbao.web.server import address, login_of, make_server, serve

    root = open_workspace(workspace).root
    server = make_server(root, host, port, password)
    click.echo(f"网页已开启：{address(server)}（按 Ctrl-C 停止）")
    login = login_of(root, password)
    if login:
        click.echo(login)
    serve(server, open_browser)
    click.echo("网页已停止。")


PROBLEMS_SHOWN = 10  # a unit's open problems listed by `status`; `history` lists them all

COMMANDS = [
    *(init, settings_command, receive, previous_command, status, accept, history, use, reject, extend),
    *(deadline_command, dismiss, reply, log, serve_command),
]
