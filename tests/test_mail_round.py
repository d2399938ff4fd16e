"""A whole collection round through the mailbox (issue #12, "done when"): the blank workbooks go out over SMTP,
the townships answer into a real Dovecot (mixed encodings, a zip, a forward, a letter without a workbook),
`receive --imap` runs twice, `reply --send` answers, and the messages sent are read back."""

from __future__ import annotations

import random
from email.message import EmailMessage
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from nianbao.cli import main
from nianbao.collection.workspace import HAS_ERRORS, NOT_RECEIVED, PASSED, Workspace
from nianbao.form.spec import Form
from tests.helpers.figures import consistent_inputs
from tests.helpers.mailbuild import forwarded, gbk_zip, message
from tests.helpers.mailservers import PASSWORD, Dovecot, SmtpServer, dovecot, smtp_server  # noqa: F401 (fixtures)
from tests.helpers.workbooks import edited, put
from tests.test_reply import COUNTY, parsed, roster

ENV = {"NIANBAO_IMAP_PASSWORD": PASSWORD, "NIANBAO_SMTP_PASSWORD": PASSWORD}


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=ENV)
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def attachments(mail: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in mail.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        found[str(part.get_filename())] = data
    return found


def test_a_round_through_the_mailbox(
    tmp_path: Path,
    form: Form,
    dovecot: Dovecot,  # noqa: F811
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    ws, _ = Workspace.create(tmp_path / "ws", roster(tmp_path / "名单.csv"), 2025, deadline="2026-01-20")
    ws.close()
    send = ("reply", "-w", ws.root, "--send", "--smtp", smtp_server.url(), "--from", COUNTY)

    # 1. The blank workbooks go out: to every unit with an address, each its own.
    out = run(*send)
    assert out.exit_code == 0 and "发出 3 封" in out.output, out.output
    requests = {d.recipients[0]: parsed(d.data) for d in smtp_server.delivered}
    assert set(requests) == {"zwz@town.example", "het@town.example", "fjz@town.example"}

    # 2. The townships fill in what they were sent and answer, each in its own way.
    good = consistent_inputs(form, random.Random(11))

    def filled(address: str, values: dict[str, object]) -> tuple[str, bytes]:
        ((name, blank),) = attachments(requests[address]).items()
        return name, edited(blank, lambda wb: put(wb, form, values))

    def answer(address: str, subject: str, files: list[tuple[str, bytes]], charset: str) -> EmailMessage:
        request = requests[address]
        return message(f"<{address}>", subject, files, charset=charset, reply_to=request["Message-ID"])

    name, wrong = filled("zwz@town.example", {**good, "T3.R01.C1": "5件"})
    first = answer("zwz@town.example", "回复：请填报", [(name, wrong)], "gb2312")
    name, right = filled("het@town.example", good)
    zipped = answer("het@town.example", "年报统计表（压缩包）", [("哈尔套镇年报.zip", gbk_zip({name: right}))], "utf-8")
    name, right = filled("fjz@town.example", good)
    colleague = message("冯家镇办公室 <office@fjz.example>", "统计表", [(name, right)], charset="gbk")
    forward = forwarded("<fjz@town.example>", "转发：统计表", colleague)
    letter = message("<wfz@town.example>", "请查收", [], body="报告已在政府网站发布，请查收。")
    for mail in (first, zipped, forward, letter):
        dovecot.append(mail.as_bytes())

    # 3. Received from the mailbox, twice: the second time brings nothing new.
    received = run("receive", "--imap", dovecot.url(), "-w", ws.root)
    assert received.exit_code == 0 and "新 4 封（其中来信无统计表 1 封）" in received.output, received.output
    again = run("receive", "--imap", dovecot.url(), "-w", ws.root)
    assert "共 0 封邮件" in again.output, again.output
    ws = Workspace.open(ws.root)
    states = {u.unit_name: u.state for u in ws.status().units}
    assert states == {
        "彰武镇": HAS_ERRORS,
        "哈尔套镇": PASSED,
        "五峰镇": NOT_RECEIVED,
        "冯家镇": PASSED,
        "后新秋镇": NOT_RECEIVED,
    }

    # 4. The replies: 彰武镇's problems, threaded to its message; nobody else is written to twice in a day.
    before = len(smtp_server.delivered)
    replied = run(*send)
    assert replied.exit_code == 0 and "发出 1 封" in replied.output, replied.output
    assert "五峰镇" in replied.output and "请电话联系" in replied.output
    (problems,) = smtp_server.delivered[before:]
    assert problems.recipients == ["zwz@town.example"]
    mail = parsed(problems.data)
    assert mail["In-Reply-To"] == first["Message-ID"] and first["Message-ID"] in mail["References"]
    assert mail["Subject"] == "Re: 回复：请填报" and mail["From"] == COUNTY
    files = attachments(mail)
    assert len(files) == 2
    folder = tmp_path / "收到的回复"
    folder.mkdir()
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)
    checked = run("check", folder)
    assert "5件" in checked.output and "问题标注" in checked.output, checked.output  # the copy: the tool's own
    annotated = next(folder.glob("*问题标注.xlsx"))
    assert any(
        "5件" in str(c.value) for row in openpyxl.load_workbook(annotated).worksheets[0].iter_rows() for c in row
    )

    # 5. Nothing is sent twice.
    last = run(*send)
    assert "发出 0 封" in last.output and len(smtp_server.delivered) == before + 1
