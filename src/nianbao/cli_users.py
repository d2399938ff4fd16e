"""`nianbao user`: the colleagues who may log in to the workspace's page (issue #21). A password is asked twice on
the terminal without being shown, or read from the environment variable NIANBAO_WEB_PASSWORD (scripts); the
record keeps only its scrypt hash (collection/accounts.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from nianbao.cli_shared import friendly, open_workspace, workspace_option
from nianbao.collection import accounts
from nianbao.phrases import when
from nianbao.problems import MESSAGES, NianbaoError

PASSWORD_VARIABLE = "NIANBAO_WEB_PASSWORD"


@click.group("user")
def user() -> None:
    """网页登录的同事：添加、列出、删除、改密码。

    工作区有同事后，网页（本机或局域网）须用姓名和各自的密码登录。
    共用密码（serve --password）不再使用；每个网页操作记在登录者名下。"""


@user.command("add")
@click.argument("name")
@workspace_option
@friendly
def add(name: str, workspace: Path | None) -> None:
    """添加一位同事 NAME 并设置其密码。

    NAME 是登录时填写的姓名，也是操作记录中的名字。密码至少 8 个字符，在终端输入两次（不显示），
    或取自环境变量 NIANBAO_WEB_PASSWORD；只保存其 scrypt 散列，不保存密码本身。"""
    opened = open_workspace(workspace)
    name = accounts.check_name(name)
    if any(a.name == name for a in accounts.users(opened)):  # said before the password is asked for
        raise NianbaoError.of("USER_EXISTS", name=name)
    added = accounts.add_user(opened, name, _new_password(f"{name} 的密码"))
    click.echo(f"已添加同事：{added}。网页登录时填写姓名“{added}”和这个密码。")


@user.command("list")
@workspace_option
@friendly
def list_users(workspace: Path | None) -> None:
    """列出可以登录网页的同事：姓名、添加时间、最近一次设置密码的时间、目前登录着的会话数。"""
    found = accounts.users(open_workspace(workspace))
    if not found:
        click.echo("还没有同事账户：网页在本机不用登录；在局域网上开放须用共用密码，或先用 nianbao user add 添加同事。")
        return
    for account in found:
        click.echo(
            f"{account.name}  添加于 {when(account.created_at)}  密码设于 {when(account.changed_at)}"
            f"  登录中 {account.sessions} 处"
        )


@user.command("remove")
@click.argument("name")
@workspace_option
@friendly
def remove(name: str, workspace: Path | None) -> None:
    """删除同事 NAME：不能再登录，已登录的网页立即失效。操作记录中的名字保留。"""
    ended = accounts.remove_user(open_workspace(workspace), name)
    click.echo(f"已删除同事：{name.strip()}" + (f"；已退出其 {ended} 处登录" if ended else ""))


@user.command("password")
@click.argument("name")
@workspace_option
@friendly
def password(name: str, workspace: Path | None) -> None:
    """为同事 NAME 设置新密码。

    密码在终端输入两次（不显示），或取自环境变量 NIANBAO_WEB_PASSWORD；其已登录的网页立即失效，须用新密码重新登录。"""
    opened = open_workspace(workspace)
    name = accounts.check_name(name)
    known = [a.name for a in accounts.users(opened)]
    if name not in known:  # said before the password is asked for
        raise NianbaoError.of("NO_SUCH_USER", name=name, known="、".join(known) or "无")
    ended = accounts.set_password(opened, name, _new_password(f"{name} 的新密码"))
    click.echo(f"已为 {name} 设置新密码" + (f"；已退出其 {ended} 处登录" if ended else ""))


def _new_password(prompt: str) -> str:
    """A new password: from the environment (said so), or typed twice on the terminal, never shown."""
    given = os.environ.get(PASSWORD_VARIABLE)
    if given:
        click.echo(f"密码取自环境变量 {PASSWORD_VARIABLE}。", err=True)
        accounts.check_password(given)
        return given
    try:
        first = str(click.prompt(prompt, hide_input=True, err=True))
        accounts.check_password(first)
        again = str(click.prompt("再输入一次", hide_input=True, err=True))
    except click.Abort:
        raise NianbaoError(MESSAGES["NO_PASSWORD_GIVEN"].format(variable=PASSWORD_VARIABLE)) from None
    if again != first:
        raise NianbaoError(MESSAGES["PASSWORDS_DIFFER"])
    return first


COMMANDS = [user]
