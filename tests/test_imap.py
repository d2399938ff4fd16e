"""Receiving from a mailbox over IMAP (issue #12), against a real Dovecot: read-only, each message once."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nianbao.cli import main
from nianbao.collection.imap import imap_folder_name, is_loopback, parse_mailbox_url
from nianbao.collection.workspace import PASSED, Workspace
from nianbao.problems import NianbaoError
from tests.helpers.mailbuild import message
from tests.helpers.mailservers import PASSWORD, Dovecot, dovecot  # noqa: F401 (the fixture)
from tests.test_mail import ROSTER, sample


def run(*args: object, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env, input=input)
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def test_mailbox_urls() -> None:
    address = parse_mailbox_url("imaps://clerk%40zw.gov.cn@mail.zw.gov.cn/收件箱")
    assert (address.secure, address.user, address.host, address.port, address.folder) == (
        True,
        "clerk@zw.gov.cn",
        "mail.zw.gov.cn",
        993,
        "收件箱",
    )
    assert parse_mailbox_url("imap://a@b.cn@127.0.0.1:1430").user == "a@b.cn"
    assert imap_folder_name("收件箱") == '"&ZTZO9nux-"' and imap_folder_name("A&B") == '"A&-B"'
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("mail.zw.gov.cn") and not is_loopback("10.0.0.1")
    for wrong in ("http://a@b/INBOX", "imaps://b/INBOX", "imaps://a:secret@b/INBOX"):
        with pytest.raises(NianbaoError):
            parse_mailbox_url(wrong)
    for typo, says in (("imaps://a@[::1/INBOX", "写得不对"), ("imaps://a@b:99999/INBOX", "1 到 65535")):
        with pytest.raises(NianbaoError, match=says):  # not a ValueError, nor "the server refused"
            parse_mailbox_url(typo)


def test_receiving_a_mailbox_twice_reads_each_message_once(tmp_path: Path, dovecot: Dovecot) -> None:  # noqa: F811
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, deadline="2026-01-20")
    dovecot.append(message("彰武镇 <zwz@town.example>", "年报", [("彰武镇.xlsx", sample("210922100"))]).as_bytes())
    dovecot.append(message("五峰镇 <wfz@town.example>", "请查收").as_bytes())
    env = {"NIANBAO_IMAP_PASSWORD": PASSWORD}
    first = run("receive", "--imap", dovecot.url(), "-w", ws.root, env=env)
    assert first.exit_code == 0, first.output
    assert "新 2 封" in first.output and "来信无统计表" in first.output
    assert next(u for u in ws.status().units if u.unit_id == "210922100").state == PASSED
    second = run("receive", "--imap", dovecot.url(), "-w", ws.root, env=env)
    assert "共 0 封邮件" in second.output, second.output
    dovecot.append(message("冯家镇 <fjz@town.example>", "年报", [("冯家镇.xlsx", sample("210922103"))]).as_bytes())
    third = run("receive", "--imap", dovecot.url(), "--since", "2026-01-01", "-w", ws.root, input=PASSWORD + "\n")
    assert "新 1 封" in third.output and "邮箱密码" in third.output, third.output

    # Nothing in the mailbox changed: every message is still unread, none deleted.
    client = dovecot.client()
    client.select("INBOX", readonly=True)
    status, flags = client.fetch("1:*", "(FLAGS)")
    assert status == "OK" and len(flags) == 3 and not any(b"\\Seen" in f for f in flags)
    client.logout()
    # The password is written nowhere in the workspace.
    ws.close()
    for path in ws.root.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_a_wrong_password_or_folder_is_one_clear_line(tmp_path: Path, dovecot: Dovecot) -> None:  # noqa: F811
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025)
    wrong = run("receive", "--imap", dovecot.url(), "-w", ws.root, env={"NIANBAO_IMAP_PASSWORD": "nope"})
    assert wrong.exit_code == 1 and "登录失败" in wrong.output and "nope" not in wrong.output
    missing = run("receive", "--imap", dovecot.url("没有这个"), "-w", ws.root, env={"NIANBAO_IMAP_PASSWORD": PASSWORD})
    assert missing.exit_code == 1 and "没有文件夹" in missing.output, missing.output
    refused = run("receive", "--imap", "imaps://a@127.0.0.1:1/INBOX", "-w", ws.root, env={"NIANBAO_IMAP_PASSWORD": "x"})
    assert refused.exit_code == 1 and "无法连接" in refused.output


def test_no_password_typed_at_the_prompt_is_said_not_an_internal_error(tmp_path: Path) -> None:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025)
    for args in (
        ["receive", "--imap", "imaps://a@127.0.0.1:1/INBOX"],
        ["reply", "--send", "--smtp", "smtps://a@127.0.0.1:1", "--from", "a@b.cn"],
    ):  # no variable, and nothing to read at the prompt (a scheduled task), or Ctrl-C there
        done = run(*args, "-w", ws.root, env={"NIANBAO_IMAP_PASSWORD": "", "NIANBAO_SMTP_PASSWORD": ""})
        assert done.exit_code == 1 and "没有输入密码" in done.output and "PASSWORD" in done.output, done.output
