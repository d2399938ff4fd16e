"""The mail side of the `nianbao` command: what `receive --mail/--imap` and `reply` print. cli.py stays the
list of commands; this module holds their mail-specific output."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from nianbao.collection.mail import RawMail, iter_mail_files
from nianbao.collection.workspace import KNOWN, NEW, REFUSED, Workspace
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

        reader = MailboxReader.connect(imap, _imap_password)
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


def _imap_password(prompt: str) -> str:
    return str(click.prompt(prompt, hide_input=True, err=True))
