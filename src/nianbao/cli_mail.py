"""The mail side of the `nianbao` command: what `receive --mail/--imap` and `reply` print. cli.py stays the
list of commands; this module holds their mail-specific output."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from nianbao.collection.mail import RawMail, iter_mail_files
from nianbao.collection.reply import REPLY_DIR, Reply, draft_replies, send_replies
from nianbao.collection.smtp import SmtpOutbox
from nianbao.collection.workspace import KNOWN, NEW, REFUSED, Workspace
from nianbao.io.files import shown
from nianbao.operations.parallel import Progress
from nianbao.phrases import message_lines


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
        from nianbao.collection.imap import MailboxReader, since_date

        reader = MailboxReader.connect(imap, _password)
        messages = reader.messages(workspace, since_date(since) if since else None)
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


def reply_command(workspace: Workspace, units: tuple[str, ...], sender: str, send: bool, smtp: str | None) -> None:
    """Draft the replies the units need and, with ``send``, send them; one line per unit."""
    if send and not (smtp and sender):
        raise click.UsageError("发送回复要写发信服务器和发件人：--send --smtp smtps://用户名@服务器 --from 邮箱")
    if smtp and not send:
        raise click.UsageError("--smtp 只在发送时使用：请加 --send")
    drafts = draft_replies(workspace, units, sender)
    replies = drafts.replies
    for failure in drafts.failed:
        click.secho(f"✗ {failure}", fg="red")
    if not replies:
        click.echo("没有需要回复的单位（都已通过）。" if not drafts.failed else "没有写成任何草稿。")
        return
    if not send:
        for r in replies:
            click.secho(f"✎ {_who(r)}：{_to(r)}草稿 {shown(r.draft.relative_to(workspace.root))}", fg=_colour(r))
        click.echo(f"写好 {len(replies)} 份草稿，在 {shown(workspace.root / REPLY_DIR)}；可在邮件程序中打开发送。")
    else:
        assert smtp is not None
        sent = 0
        with SmtpOutbox.connect(smtp, _password) as outbox:
            for result in send_replies(workspace, replies, outbox, sender):
                r = result.reply
                if result.sent:
                    sent += 1
                    click.secho(f"✓ {_who(r)}：已发给 {'、'.join(r.recipients)}", fg="green")
                    if result.reason:
                        click.secho(f"    注意：{result.reason}", fg="yellow")
                elif r.recipients:
                    click.secho(f"= {_who(r)}：{result.reason}", fg="yellow" if r.sent_at else "red")
        click.echo(f"发出 {sent} 封，其余 {len(replies) - sent} 封未发（原因见上）。")
    for r in replies:
        if not r.recipients:
            contact = "，".join(x for x in (r.contact, r.phone) if x) or "名单上也没有电话"
            click.secho(f"☎ {_who(r)}：名单上没有邮箱，请电话联系（{contact}）", fg="yellow")
    if drafts.failed:
        sys.exit(1)  # each said above, in red


def _who(reply: Reply) -> str:
    which = f"（第 {reply.version} 版）" if reply.version else ""
    return f"{reply.unit_id} {reply.unit_name} {reply.kind_name}{which}"


def _to(reply: Reply) -> str:
    return f"收件人 {'、'.join(reply.recipients)}，" if reply.recipients else "无收件人，"  # then 草稿 …


def _colour(reply: Reply) -> str | None:
    return None if reply.recipients else "yellow"


def _password(prompt: str) -> str:  # asked for on the terminal, never echoed or kept
    return str(click.prompt(prompt, hide_input=True, err=True))
