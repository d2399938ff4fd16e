"""The mail side of the `nianbao` command: what `receive --mail/--imap` and `reply` print. cli.py stays the
list of commands; this module holds their mail-specific output."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from nianbao.collection.mail import RawMail, iter_mail_files
from nianbao.collection.reply import REPLY_DIR, SENDING, Drafts, Reply, draft_replies, send_replies
from nianbao.collection.reply import mark_sent as mark_sent_replies
from nianbao.collection.smtp import PASSWORD_VARIABLE as SMTP_PASSWORD
from nianbao.collection.smtp import SmtpOutbox
from nianbao.collection.workspace import KNOWN, NEW, REFUSED, Workspace
from nianbao.io.files import shown
from nianbao.operations.parallel import Progress
from nianbao.phrases import message_lines
from nianbao.problems import MESSAGES, NianbaoError


def receive_mail(
    workspace: Workspace,
    paths: tuple[Path, ...],
    imap: str | None,
    since: str | None,
    progress: Progress,
) -> None:
    """Receive mail files or a mailbox and say, message by message, what came of it."""
    if imap and paths:
        raise click.UsageError("--imap 与邮件文件不能同时使用；请分两次运行")
    if since and not imap:
        raise click.UsageError("--since 只能与 --imap 一起使用")
    messages: Iterable[RawMail]
    if imap:
        from nianbao.collection.imap import PASSWORD_VARIABLE, MailboxReader, since_date

        after = since_date(since) if since else None  # a wrong date said before the password is asked for
        reader = MailboxReader.connect(imap, _password(PASSWORD_VARIABLE))
        messages = reader.messages(workspace, after)
    else:
        if not paths:
            raise click.UsageError("请写邮件文件（.eml、.mbox、.msg）或存放邮件的目录")
        messages = iter_mail_files(paths)
    counts = {NEW: 0, KNOWN: 0, REFUSED: 0}
    without, files = 0, {NEW: 0, KNOWN: 0, REFUSED: 0}
    for result in workspace.receive_mail(messages, progress=progress):
        counts[result.outcome] += 1
        for line, colour in message_lines(result):
            click.secho(line, fg=colour)
        if result.outcome == NEW:
            without += not any(f.outcome != REFUSED and not f.blank for f in result.files)
            for f in result.files:
                files[f.outcome] += 1
    click.echo(
        f"共 {sum(counts.values())} 封邮件：新 {counts[NEW]} 封（其中来信无统计表 {without} 封），"
        f"已收过 {counts[KNOWN]} 封，无法读取 {counts[REFUSED]} 封；附带的统计表：新收下 {files[NEW]} 个，"
        f"已收到过 {files[KNOWN]} 个，未收下 {files[REFUSED]} 个。运行 nianbao status 查看各单位情况。"
    )


def reply_command(
    workspace: Workspace, units: tuple[str, ...], sender: str, send: bool, smtp: str | None, mark_sent: bool
) -> None:
    """Draft the replies the units need and, with ``send``, send them (or mark them sent); a line per unit.
    ``sender`` given is remembered as the workspace's; not given, the one remembered is used."""
    if send and not smtp:
        raise click.UsageError("发送回复要写发信服务器：--send --smtp smtps://用户名@服务器 --from 邮箱")
    if smtp and not send:
        raise click.UsageError("--smtp 只在发送时使用：请加 --send")
    if send and mark_sent:
        raise click.UsageError("--send 与 --mark-sent 不能同时使用")
    sender = _sender(workspace, sender, send)
    for problem in workspace.address_problems():
        click.secho(f"⚠ {problem}", fg="yellow")
    drafts = draft_replies(workspace, units, sender)
    for failure in drafts.failed:
        click.secho(f"✗ {failure}", fg="red")
    waiting = [r for r in drafts.replies if not r.sent_at]
    _say_sent(drafts)
    failed = bool(drafts.failed)
    if send:
        assert smtp is not None
        failed |= _send(workspace, waiting, smtp, sender)
    elif mark_sent:
        unsure = [r for r in drafts.replies if r.sent_at == SENDING]  # cut off after its content went out
        for r in mark_sent_replies(workspace, [r for r in waiting + unsure if r.recipients]):
            click.secho(f"✓ {_who(r)}：记为已由邮件程序发给 {'、'.join(r.recipients)}", fg="green")
    else:
        _say_drafts(workspace, waiting)
    if not drafts.replies and not drafts.failed:
        click.echo("没有需要回复的单位。")
    for r in waiting:
        if not r.recipients:
            contact = "，".join(x for x in (r.contact, r.phone) if x) or "名单上也没有电话"
            click.secho(f"☎ {_who(r)}：名单上没有邮箱，请电话联系（{contact}）", fg="yellow")
    if failed:
        sys.exit(1)  # each said above, in red


def _say_drafts(workspace: Workspace, waiting: list[Reply]) -> None:
    """The drafts written, a line each, and what to do with them."""
    for r in waiting:
        click.secho(f"✎ {_who(r)}：{_to(r)}草稿 {shown(r.draft.relative_to(workspace.root))}", fg=_colour(r))
    if waiting:
        click.echo(
            f"写好 {len(waiting)} 份草稿，在 {shown(workspace.root / REPLY_DIR)}；可在邮件程序中打开发送，"
            "发出后运行 nianbao reply --mark-sent 记下（或用 --send 由本工具发送）。"
        )


def _send(workspace: Workspace, replies: list[Reply], smtp: str, sender: str) -> bool:
    """Send the replies; True when one could not be sent."""
    sent, failed = 0, False
    with SmtpOutbox.connect(smtp, _password(SMTP_PASSWORD)) as outbox:
        for result in send_replies(workspace, replies, outbox, sender):
            r = result.reply
            if result.sent:
                sent += 1
                click.secho(f"✓ {_who(r)}：已发给 {'、'.join(r.recipients)}", fg="green")
                if result.reason:
                    click.secho(f"    注意：{result.reason}", fg="yellow")
            elif r.recipients:
                failed |= not r.sent_at
                click.secho(f"= {_who(r)}：{result.reason}", fg="yellow" if r.sent_at else "red")
    unsent = sum(1 for r in replies if r.recipients) - sent
    click.echo(f"发出 {sent} 封" + (f"，{unsent} 封未发（原因见上）" if unsent else "") + "。")
    return failed


def _sender(workspace: Workspace, given: str, send: bool) -> str:
    """The sender of ``--from`` (checked), remembered as the workspace's when it differs; else the one
    remembered ('' when none; sending needs one)."""
    if given:
        try:
            changed = workspace.change_settings(sender=given)
        except NianbaoError as exc:
            raise click.BadParameter(str(exc), param_hint="--from") from None
        if changed:
            click.echo(f"发件人记为 {workspace.settings.sender}（以后不写 --from 也用它；nianbao settings 可改）")
    if send and not workspace.settings.sender:
        raise click.UsageError("发送回复要写发件人：--from 邮箱（写过一次就记住，以后不用再写）")
    return workspace.settings.sender


def _say_sent(drafts: Drafts) -> None:
    """The replies sent before, a line each; for a unit that has sent nothing, when it is reminded next."""
    for r in drafts.replies:
        if r.sent_at:
            due = drafts.reminders.get(r.unit_id)
            click.echo(f"= {_who(r)}：{r.said}" + (f"；{due.isoformat()} 起再催报" if due else ""))


def _who(reply: Reply) -> str:
    which = f"（第 {reply.version} 版）" if reply.version else ""
    return f"{reply.unit_id} {reply.unit_name} {reply.kind_name}{which}"


def _to(reply: Reply) -> str:
    return f"收件人 {'、'.join(reply.recipients)}，" if reply.recipients else "无收件人，"  # then 草稿 …


def _colour(reply: Reply) -> str | None:
    return None if reply.recipients else "yellow"


def _password(variable: str) -> Callable[[str], str]:
    """Asking for a password on the terminal (never echoed or kept); nothing typed (Ctrl-C, or no terminal as in
    a scheduled task) is said with the variable that would have given it."""

    def ask(prompt: str) -> str:
        try:
            return str(click.prompt(prompt, hide_input=True, err=True))
        except click.Abort:
            raise NianbaoError(MESSAGES["NO_PASSWORD"].format(variable=variable)) from None

    return ask
