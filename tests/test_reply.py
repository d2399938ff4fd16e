"""Replies (issue #12): one draft per unit that needs one, threaded to its message, with the annotated copy or the
blank workbook attached; sent over a real SMTP server (aiosmtpd with STARTTLS and a login), each reply once."""

from __future__ import annotations

import csv
import io
import itertools
import random
import threading
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from nianbao.cli import main
from nianbao.collection.mail import parse_mail
from nianbao.collection.reply import (
    PROBLEMS,
    REMINDER,
    REQUEST,
    TEXTS_FILE,
    draft_replies,
    mark_sent,
    send_replies,
)
from nianbao.collection.settings import next_reminder
from nianbao.collection.smtp import SmtpOutbox
from nianbao.collection.workspace import HAS_ERRORS, NOT_RECEIVED, PASSED, TO_VERIFY, Workspace
from nianbao.form.spec import Form
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckOptions, check_file
from nianbao.problems import NianbaoError
from tests.helpers.figures import consistent_inputs
from tests.helpers.mailbuild import message
from tests.helpers.mailservers import PASSWORD, USER, SmtpServer, smtp_server  # noqa: F401 (the fixture)
from tests.helpers.workbooks import filled_workbook

UNITS = [
    Unit("210922100", "彰武镇"),  # an error
    Unit("210922101", "哈尔套镇"),  # a warning, not explained
    Unit("210922102", "五峰镇"),  # nothing sent, no address: a phone call
    Unit("210922103", "冯家镇"),  # nothing sent
    Unit("210922104", "后新秋镇"),  # passed
]
ADDRESSES = {"210922100": "zwz@town.example", "210922101": "het@town.example", "210922103": "fjz@town.example"}
COUNTY = "xxgk@county.example"


def run(*args: object, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def roster(path: Path) -> Path:
    lines = ["单位编码,单位名称,邮箱,联系人,电话"]
    for unit in UNITS:
        phone = "13800000102" if unit.unit_id == "210922102" else ""
        lines.append(f"{unit.unit_id},{unit.unit_name},{ADDRESSES.get(unit.unit_id, '')},王会计,{phone}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def returns(form: Form) -> dict[str, bytes]:
    """Each unit's return: 彰武镇 typed “5件”, 哈尔套镇 has one 规章 (the P1 warning), 后新秋镇 is right."""
    good = consistent_inputs(form, random.Random(7))
    return {
        "210922100": filled_workbook(form, {**good, "T3.R01.C1": "5件"}, UNITS[0]),
        "210922101": filled_workbook(form, {**good, "T2.R01.C1": 1}, UNITS[1]),
        "210922104": filled_workbook(form, good, UNITS[4]),
    }


@pytest.fixture
def workspace(tmp_path: Path, form: Form) -> Workspace:
    ws, _ = Workspace.create(
        tmp_path / "ws", roster(tmp_path / "名单.csv"), 2025, deadline="2026-01-20", unit_name="彰武县"
    )
    mails = []
    for unit_id, data in returns(form).items():
        name = next(u.unit_name for u in UNITS if u.unit_id == unit_id)
        sender = ADDRESSES.get(unit_id, "someone@town.example")
        mails.append(message(sender, f"{name}年报统计表", [(f"{name}.xlsx", data)]).as_bytes())
    from nianbao.collection.mail import RawMail

    list(ws.receive_mail(RawMail(f"mail{i}.eml", raw) for i, raw in enumerate(mails)))
    states = {u.unit_id: u.state for u in ws.status().units}
    assert [states[u.unit_id] for u in UNITS] == [HAS_ERRORS, TO_VERIFY, NOT_RECEIVED, NOT_RECEIVED, PASSED]
    return ws


def parsed(data: bytes) -> EmailMessage:
    found = message_from_bytes(data, policy=policy.default)
    assert isinstance(found, EmailMessage)
    return found


def test_each_unit_that_needs_a_reply_gets_one_draft(workspace: Workspace, tmp_path: Path) -> None:
    replies = draft_replies(workspace).replies
    kinds = {r.unit_id: r.kind for r in replies}
    assert kinds == {"210922100": PROBLEMS, "210922101": PROBLEMS, "210922102": REQUEST, "210922103": REQUEST}
    by_unit = {r.unit_id: r for r in replies}
    assert by_unit["210922100"].recipients == ("zwz@town.example",)
    assert by_unit["210922102"].recipients == () and by_unit["210922102"].phone == "13800000102"

    # 审核意见: threaded to the unit's message, the problem named with its place, both files attached.
    error = by_unit["210922100"]
    draft = parsed(error.draft.read_bytes())
    letter = workspace.db.execute("SELECT message_id FROM files WHERE unit_id = '210922100'").fetchone()
    assert draft["In-Reply-To"] == letter["message_id"] and draft["References"] == letter["message_id"]
    assert draft["Subject"] == "Re: 彰武镇年报统计表" and draft["X-Unsent"] == "1" and draft["To"] == "zwz@town.example"
    body = draft.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "彰武镇：" in text and "需要改正的错误（1 个）" in text and "“5件”" in text and "第 1 版" in text
    assert "需要核实的数字" not in text and "尽快把整个表格" in text and "彰武县" in text  # the deadline has passed
    names = [part.get_filename() for part in draft.iter_attachments()]
    assert names == ["彰武镇_问题标注.xlsx", "彰武镇.xlsx"]
    # What the unit gets back reads as its own file (same problem) and the tool's annotated copy.
    folder = tmp_path / "attachments"
    folder.mkdir()
    for part in draft.iter_attachments():
        (folder / str(part.get_filename())).write_bytes(part.get_payload(decode=True))
    own = check_file(folder / "彰武镇.xlsx", CheckOptions())
    assert own.unit_id == "210922100" and any("5件" in p.message for p in own.errors)

    warning = parsed(by_unit["210922101"].draft.read_bytes()).get_body(("plain",))
    assert warning is not None
    assert "需要核实的数字（1 个" in warning.get_content() and "需要改正的错误" not in warning.get_content()

    # 下发通知: the unit's own blank workbook, which check reads as that unit's.
    request = parsed(by_unit["210922103"].draft.read_bytes())
    (blank,) = list(request.iter_attachments())
    (folder / "blank.xlsx").write_bytes(blank.get_payload(decode=True))
    assert check_file(folder / "blank.xlsx", CheckOptions()).unit_id == "210922103"
    assert request["Subject"] == "请填报2025年度政府信息公开工作年度报告统计表（冯家镇）"
    assert request["In-Reply-To"] is None

    # Drafted once: a second run finds the same drafts, and the log says one drafting.
    again = draft_replies(workspace).replies
    assert [(r.key, r.message_id, r.draft) for r in again] == [(r.key, r.message_id, r.draft) for r in replies]
    assert sum(e.action == "reply" for e in workspace.log()) == 1
    assert len(list((workspace.root / "回复草稿").iterdir())) == 4


def test_a_later_version_needs_a_new_reply_and_a_passed_one_none(workspace: Workspace, form: Form) -> None:
    first = {r.unit_id: r for r in draft_replies(workspace).replies}
    good = consistent_inputs(form, random.Random(7))
    fixed = filled_workbook(form, good, UNITS[0])
    path = workspace.root.parent / "彰武镇2.xlsx"
    path.write_bytes(fixed)
    workspace.receive([path])
    assert workspace.state_of("210922100").state == PASSED
    later = {r.unit_id: r for r in draft_replies(workspace).replies}
    assert "210922100" not in later and later["210922101"].key == first["210922101"].key


def test_the_clerk_words_the_replies(workspace: Workspace) -> None:
    own = workspace.root / TEXTS_FILE
    packaged = Path(__file__).parents[1] / "templates" / "mail" / "replies.toml"
    own.write_text(packaged.read_text(encoding="utf-8").replace("谢谢配合！", "此致敬礼！"), encoding="utf-8")
    (reply,) = draft_replies(workspace, ["冯家镇"]).replies
    body = parsed(reply.draft.read_bytes()).get_body(("plain",))
    assert body is not None and "此致敬礼！" in body.get_content() and "谢谢配合" not in body.get_content()
    own.write_text(packaged.read_text(encoding="utf-8").replace("{单位名称}：", "{单位全称}："), encoding="utf-8")
    with pytest.raises(NianbaoError, match=r"不认识的词 \{单位全称\}"):
        draft_replies(workspace, ["五峰镇"])
    result = run("reply", "-w", workspace.root, "--unit", "五峰镇")
    assert result.exit_code != 0 and "单位全称" in result.output


def test_a_unit_whose_files_are_gone_is_said_and_the_others_are_written(workspace: Workspace) -> None:
    (workspace.root / "空白表格" / "冯家镇_2025年_210922103.xlsx").unlink()
    counted = workspace.state_of("彰武镇").counted
    assert counted is not None
    workspace.stored_path(counted).unlink()
    result = run("reply", "-w", workspace.root)
    assert result.exit_code == 1, result.output
    assert "✗ 210922103 冯家镇：" in result.output and "空白表格" in result.output and "不见了" in result.output
    assert "✗ 210922100 彰武镇：" in result.output and "收到的文件" in result.output
    assert "✎ 210922101 哈尔套镇 审核意见" in result.output and "写好 2 份草稿" in result.output


def test_the_command_lists_drafts_and_units_to_call(workspace: Workspace) -> None:
    result = run("reply", "-w", workspace.root)
    assert result.exit_code == 0, result.output
    assert "✎ 210922100 彰武镇 审核意见（第 1 版）：收件人 zwz@town.example" in result.output
    assert "☎ 210922102 五峰镇 下发通知：名单上没有邮箱，请电话联系（王会计，13800000102）" in result.output
    assert "后新秋镇" not in result.output
    refused = run("reply", "-w", workspace.root, "--send")
    assert refused.exit_code == 2 and "--smtp" in refused.output


def test_replies_are_sent_once_over_starttls(workspace: Workspace, smtp_server: SmtpServer) -> None:  # noqa: F811
    smtp_server.refuse.add("het@town.example")
    env = {"NIANBAO_SMTP_PASSWORD": PASSWORD}
    result = run("reply", "-w", workspace.root, "--send", "--smtp", smtp_server.url(), "--from", COUNTY, env=env)
    assert result.exit_code == 1, result.output  # one could not be sent
    assert "✓ 210922100 彰武镇 审核意见（第 1 版）：已发给 zwz@town.example" in result.output
    assert "哈尔套镇" in result.output and "拒收" in result.output  # refused: not marked sent
    assert "发出 2 封" in result.output
    sent = {tuple(d.recipients): parsed(d.data) for d in smtp_server.delivered}
    assert set(sent) == {("zwz@town.example",), ("fjz@town.example",)}
    error = sent[("zwz@town.example",)]
    assert error["From"] == COUNTY and error["X-Unsent"] is None and error["In-Reply-To"]
    assert [p.get_filename() for p in error.iter_attachments()] == ["彰武镇_问题标注.xlsx", "彰武镇.xlsx"]
    assert parse_mail(smtp_server.delivered[0].data).attachments  # our own mail reader reads what we send

    # Again: only the refused one goes, now that the server takes it; nothing is sent twice.
    smtp_server.refuse.clear()
    again = run("reply", "-w", workspace.root, "--send", "--smtp", smtp_server.url(), "--from", COUNTY, env=env)
    assert "发出 1 封" in again.output and again.output.count("= ") == 2  # 冯家镇: today's letter
    assert [d.recipients for d in smtp_server.delivered[2:]] == [["het@town.example"]]
    history = run("history", "彰武镇", "-w", workspace.root)
    assert "回复：审核意见（答复第 1 版）  已于" in history.output and "发给 zwz@town.example" in history.output
    sends = [e for e in workspace.log() if e.action == "send"]
    assert len(sends) == 3 and all("PASSWORD" not in str(e.detail) and PASSWORD not in str(e.detail) for e in sends)


def test_two_senders_at_once_send_each_reply_once(workspace: Workspace, smtp_server: SmtpServer) -> None:  # noqa: F811
    replies = draft_replies(workspace).replies

    def send() -> None:
        ws = Workspace.open(workspace.root)
        with SmtpOutbox.connect(smtp_server.url(), lambda _: PASSWORD) as outbox:
            list(send_replies(ws, replies, outbox, COUNTY))
        ws.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recipients = sorted(r for d in smtp_server.delivered for r in d.recipients)
    assert recipients == sorted(ADDRESSES.values())


def test_a_reminder_follows_after_the_cadence(workspace: Workspace, smtp_server: SmtpServer) -> None:  # noqa: F811
    with SmtpOutbox.connect(smtp_server.url(), lambda _: PASSWORD) as outbox:
        list(send_replies(workspace, draft_replies(workspace, ["冯家镇"]).replies, outbox, COUNTY))
        (today,) = draft_replies(workspace, ["冯家镇"]).replies  # the same day: the letter sent today, not a reminder
        assert today.kind == REQUEST and today.sent_at
        assert [s.sent for s in send_replies(workspace, [today], outbox, COUNTY)] == [False]
        due = (date.today() - timedelta(days=3)).isoformat()  # every 3 days; the deadline has passed
        workspace.db.execute("UPDATE replies SET sent_at = ? WHERE kind = ?", (f"{due}T09:00:00+08:00", REQUEST))
        (reminder,) = draft_replies(workspace, ["冯家镇"]).replies
        assert reminder.kind == REMINDER and "催报" in reminder.draft.name
        assert [s.sent for s in send_replies(workspace, [reminder], outbox, COUNTY)] == [True]
        (same,) = draft_replies(workspace, ["冯家镇"]).replies
        assert same.key == reminder.key and same.sent_at
        assert [s.sent for s in send_replies(workspace, [same], outbox, COUNTY)] == [False]
    subjects = [parsed(d.data)["Subject"] for d in smtp_server.delivered]
    assert subjects == [
        "请填报2025年度政府信息公开工作年度报告统计表（冯家镇）",
        "催报：2025年度政府信息公开工作年度报告统计表（冯家镇）",
    ]


def test_a_wrong_smtp_password_is_one_clear_line(workspace: Workspace, smtp_server: SmtpServer) -> None:  # noqa: F811
    env = {"NIANBAO_SMTP_PASSWORD": "wrong"}
    result = run("reply", "-w", workspace.root, "--send", "--smtp", smtp_server.url(), "--from", COUNTY, env=env)
    assert result.exit_code != 0 and "登录失败" in result.output and "wrong" not in result.output
    assert smtp_server.delivered == [] and not any(e.action == "send" for e in workspace.log())
    assert USER in result.output


def test_unsent_drafts_follow_the_roster_and_the_words(workspace: Workspace) -> None:
    (first,) = draft_replies(workspace, ["冯家镇"]).replies
    roster_copy = workspace.root / "名单.csv"
    roster_copy.write_text(
        roster_copy.read_text(encoding="utf-8").replace(
            "fjz@town.example", "李会计 <fj@town.example>；fj2@town.example"
        ),
        encoding="utf-8",
    )
    packaged = Path(__file__).parents[1] / "templates" / "mail" / "replies.toml"
    (workspace.root / TEXTS_FILE).write_text(
        packaged.read_text(encoding="utf-8").replace("谢谢配合！", "此致敬礼！"), encoding="utf-8"
    )
    (again,) = draft_replies(Workspace.open(workspace.root), ["冯家镇"]).replies
    assert again.key == first.key and again.message_id == first.message_id  # the same reply, written anew
    assert again.recipients == ("fj2@town.example", "fj@town.example")
    body = parsed(again.draft.read_bytes()).get_body(("plain",))
    assert body is not None and "此致敬礼！" in body.get_content()


def test_a_mistake_in_the_words_is_found_before_any_draft(workspace: Workspace) -> None:
    packaged = Path(__file__).parents[1] / "templates" / "mail" / "replies.toml"
    (workspace.root / TEXTS_FILE).write_bytes(
        packaged.read_text(encoding="utf-8").replace("{问题}", "{问题清单}").encode("gbk")  # Notepad's ANSI
    )
    result = run("reply", "-w", workspace.root, "--unit", "冯家镇")  # a request: the mistake is in [problems]
    assert result.exit_code == 2 and "回复邮件的文字" in result.output and "problems.body" in result.output
    assert "{问题清单}" in result.output and not (workspace.root / "回复草稿").exists()
    (workspace.root / TEXTS_FILE).write_text("[problems\nsubject = 1", encoding="utf-8")
    broken = run("reply", "-w", workspace.root)
    assert broken.exit_code == 2 and "不是有效的 TOML" in broken.output and "第 1 行" in broken.output


def test_drafts_no_unit_needs_are_set_aside_and_sent_ones_are_said(workspace: Workspace, form: Form) -> None:
    first = {r.unit_id: r for r in draft_replies(workspace).replies}
    fixed = workspace.root.parent / "彰武镇2.xlsx"
    fixed.write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(7)), UNITS[0]))
    workspace.receive([fixed])
    marked = run("reply", "-w", workspace.root, "--mark-sent", "--unit", "冯家镇")
    assert "✓ 210922103 冯家镇 下发通知：记为已由邮件程序发给 fjz@town.example" in marked.output
    listing = run("reply", "-w", workspace.root)
    assert "= 210922103 冯家镇 下发通知：已于" in listing.output and "✎ 210922103" not in listing.output
    old = first["210922100"].draft
    assert not old.exists() and (old.parent / "已过时" / old.name).exists()  # 彰武镇 passed: its draft aside
    assert "彰武镇" not in listing.output
    due = (date.today() - timedelta(days=3)).isoformat()
    workspace.db.execute("UPDATE replies SET sent_at = ? WHERE kind = ?", (f"{due}T09:00:00+08:00", REQUEST))
    assert "✎ 210922103 冯家镇 催报" in run("reply", "-w", workspace.root).output


def test_from_and_the_password_are_checked(workspace: Workspace, smtp_server: SmtpServer) -> None:  # noqa: F811
    send = ("reply", "-w", workspace.root, "--send", "--smtp", smtp_server.url(), "--unit", "冯家镇")
    wrong = run(*send, "--from", "not an address", env={"NIANBAO_SMTP_PASSWORD": PASSWORD})
    assert wrong.exit_code == 2 and "不是邮箱地址" in wrong.output
    chinese = run(*send, "--from", COUNTY, env={"NIANBAO_SMTP_PASSWORD": "密码pw"})
    assert chinese.exit_code == 1 and "授权码" in chinese.output and "密码pw" not in chinese.output
    named = run(*send, "--from", f"县政务公开办 <{COUNTY}>", env={"NIANBAO_SMTP_PASSWORD": PASSWORD})
    assert named.exit_code == 0, named.output
    (delivered,) = smtp_server.delivered
    mail = parsed(delivered.data)
    assert delivered.sender == COUNTY and mail["From"].addresses[0].addr_spec == COUNTY
    assert mail["From"].addresses[0].display_name == "县政务公开办"


def test_a_partly_refused_reply_records_who_got_it(workspace: Workspace, smtp_server: SmtpServer) -> None:  # noqa: F811
    roster_copy = workspace.root / "名单.csv"
    text = roster_copy.read_text(encoding="utf-8").replace("fjz@town.example", "fjz@town.example、gone@town.example")
    roster_copy.write_text(text, encoding="utf-8")
    smtp_server.refuse.add("gone@town.example")
    ws = Workspace.open(workspace.root)
    with SmtpOutbox.connect(smtp_server.url(), lambda _: PASSWORD) as outbox:
        (sent,) = send_replies(ws, draft_replies(ws, ["冯家镇"]).replies, outbox, COUNTY)
    assert sent.sent and sent.reply.recipients == ("fjz@town.example",) and "gone@town.example" in sent.reason
    history = run("history", "冯家镇", "-w", ws.root)
    assert "发给 fjz@town.example" in history.output and "gone@" not in history.output


def test_roster_addresses_that_are_no_addresses_are_said(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text("单位编码,单位名称,邮箱\n1,甲镇,a b@a.cn\n2,乙镇,无\n3,丙镇,“王五” <ww@a.cn>\n", encoding="utf-8")
    ws, _ = Workspace.create(tmp_path / "ws", path, 2025)
    assert ws.addresses == {"1": {"b@a.cn"}, "2": set(), "3": {"ww@a.cn"}}
    assert ws.address_problems() == ["名单上 1 甲镇 的邮箱“a b@a.cn”中 “a” 不是邮箱地址，未使用"]
    assert "“a” 不是邮箱地址" in run("reply", "-w", ws.root).output


def test_a_version_sent_back_blocks_until_a_new_one_comes_and_its_reply_leads_with_the_reason(
    workspace: Workspace, form: Form, tmp_path: Path
) -> None:
    passed = "210922104"  # 后新秋镇: every rule holds, but the clerk knows its figure is wrong
    why = "表三新收申请数与登记台账不符（台账 12 件），请核对"
    assert run("reject", passed, "--note", " ", "-w", workspace.root).exit_code != 0  # a reason is required
    assert run("reject", "210922102", "--note", why, "-w", workspace.root).exit_code != 0  # nothing received
    done = run("reject", passed, "--note", why, "-w", workspace.root)
    assert done.exit_code == 0 and "第 1 版已退回，有错误" in done.output, done.output
    state = workspace.state_of(passed)
    assert state.state == HAS_ERRORS and [r.note for r in state.rejections] == [why]
    assert f"已退回：{why}" in run("status", "-w", workspace.root).output
    blocked = run("merge", "-w", workspace.root, "--allow-missing", "--out", tmp_path / "s.xlsx")
    assert passed in blocked.output and "被退回" in blocked.output, blocked.output

    reply = next(r for r in draft_replies(workspace, [passed]).replies)
    assert reply.kind == PROBLEMS
    body = parsed(reply.draft.read_bytes()).get_body(("plain",))
    assert body is not None and f"1. 整个文件：审核退回：{why}" in body.get_content(), body.get_content()
    attached = [part.get_filename() for part in parsed(reply.draft.read_bytes()).iter_attachments()]
    assert attached == ["后新秋镇.xlsx"]  # its own file; an annotated copy would mark nothing
    assert any(e.action == "reject" for e in workspace.log())

    undone = run("reject", passed, "--undo", "--note", "已电话核实，台账漏登", "-w", workspace.root)
    assert undone.exit_code == 0 and workspace.state_of(passed).state == PASSED
    assert "撤销退回：后新秋镇（210922104） 第 1 版：已电话核实，台账漏登" in run("log", "-w", workspace.root).output

    workspace.reject(passed, why)  # sent back again; the unit's next version is judged on its own
    again = draft_replies(workspace, [passed]).replies[0]
    assert again.key != reply.key  # a second rejection is a new reply, not the one drafted before
    good = consistent_inputs(form, random.Random(8))
    corrected = tmp_path / "后新秋镇更正.xlsx"
    corrected.write_bytes(filled_workbook(form, good, UNITS[4]))
    workspace.receive([corrected])
    state = workspace.state_of(passed)
    assert state.counted is not None and state.counted.version == 2 and state.state == PASSED and not state.rejections


def test_the_status_is_handed_on_as_a_table_with_the_rosters_contacts(workspace: Workspace, tmp_path: Path) -> None:
    workspace.reject("210922104", '=HYPERLINK("http://x.example","点这里")')  # the clerk's words stay text
    sheet = tmp_path / "报送情况.xlsx"
    done = run("status", "--out", sheet, "-w", workspace.root)
    assert done.exit_code == 0 and "报送情况表" in done.output, done.output
    book = openpyxl.load_workbook(sheet).active
    title, when, *rows = list(book.iter_rows(values_only=True))  # two title lines, then the table
    assert title[0] == "彰武县2025年度政府信息公开工作年度报告报送情况表" and str(when[0]).startswith("截至 ")
    assert "已收 3/5" in str(when[0]) and "按时率" in str(when[0])
    assert rows[0][:4] == ("序号", "单位编码", "单位名称", "状态") and rows[0][-3:] == ("邮箱", "联系人", "电话")
    by_unit = {row[1]: row for row in rows[1:]}
    assert [row[1] for row in rows[1:]] == [u.unit_id for u in UNITS]  # roster order
    assert by_unit["210922102"][3] == NOT_RECEIVED and by_unit["210922102"][-1] == "13800000102"
    why = rows[0].index("说明")
    assert by_unit["210922100"][3] == HAS_ERRORS and "5件" in by_unit["210922100"][why]
    cell = book.cell(row=8, column=why + 1)
    assert cell.data_type == "s" and str(cell.value).startswith("第 1 版被退回：=HYPERLINK")
    assert book.page_setup.orientation == "landscape" and book.print_title_rows == "$3:$3"
    assert book.sheet_properties.pageSetUpPr.fitToPage and book.page_setup.fitToHeight == 0  # as wide as a page
    workspace.extend("210922103", date(2026, 2, 1), "镇长出差")  # 说明 says what the clerk decided, and why
    assert run("status", "--out", sheet, "--force", "-w", workspace.root).exit_code == 0
    rows = list(openpyxl.load_workbook(sheet).active.iter_rows(values_only=True))[2:]
    assert "延期至 2026-02-01：镇长出差" in {row[1]: row for row in rows}["210922103"][why]

    again = run("status", "--out", sheet, "-w", workspace.root)
    assert again.exit_code != 0 and "--force" in again.output  # never overwritten without --force
    assert run("status", "--out", sheet, "--force", "-w", workspace.root).exit_code == 0
    roster = workspace.roster_path
    kept = roster.read_bytes()
    own = run("status", "--out", roster.with_suffix(".csv"), "--force", "-w", workspace.root)
    assert own.exit_code != 0 and "工作区自己的文件" in own.output and roster.read_bytes() == kept
    text = tmp_path / "报送情况.csv"
    assert run("status", "--out", text, "-w", workspace.root).exit_code == 0
    data = text.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel shows Chinese only with it
    listed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert listed == [[str(v) if v is not None else "" for v in row] for row in rows]
    wrong = run("status", "--out", tmp_path / "报送情况.pdf", "-w", workspace.root)
    assert wrong.exit_code != 0 and ".xlsx" in wrong.output and not (tmp_path / "报送情况.pdf").exists()


def test_a_rejection_drafted_after_a_reply_is_a_file_of_its_own(workspace: Workspace) -> None:
    """The reply carrying a rejection answers the same version as the one drafted before: it must neither
    overwrite a reply already sent (the record of what went out) nor be set aside with the draft it replaces."""
    first = {r.unit_id: r for r in draft_replies(workspace).replies}
    sent_before = first["210922100"].draft.read_bytes()
    mark_sent(workspace, [first["210922100"]])  # sent; 210922101's draft stays unsent
    workspace.reject("210922100", "表三与台账不符")
    workspace.reject("210922101", "表二规章件数不对")
    now = {r.unit_id: r for r in draft_replies(workspace).replies}
    for unit_id in ("210922100", "210922101"):
        draft = now[unit_id].draft
        assert draft.is_file() and draft.parent.name == "回复草稿", draft
        body = parsed(draft.read_bytes()).get_body(("plain",))
        assert body is not None and "审核退回" in body.get_content()
    assert first["210922100"].draft.read_bytes() == sent_before  # what was sent is kept as sent
    unsent = workspace.db.execute("SELECT draft FROM replies WHERE key = ?", (first["210922101"].key,)).fetchone()
    assert (workspace.root / unsent["draft"]).is_file() and "已过时" in unsent["draft"]
    again = {r.unit_id: r for r in draft_replies(workspace).replies}  # written again from the words: in place
    assert again["210922101"].draft == now["210922101"].draft
    assert len(list((workspace.root / "回复草稿").glob("210922101_*.eml"))) == 1


def test_a_roster_column_named_as_a_column_of_the_status_table_is_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text("单位编码,单位名称,状态,说明\n1,甲镇,撤并中,新设\n", encoding="utf-8")
    ws, _ = Workspace.create(tmp_path / "ws", path, 2025)
    assert run("status", "--out", tmp_path / "s.csv", "-w", ws.root).exit_code == 0
    header, row = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig"))))
    assert len(set(header)) == len(header), header  # each column said once: which 状态 is whose
    assert row[header.index("状态")] == NOT_RECEIVED and "撤并中" in row and "新设" in row


def test_a_long_reason_of_several_lines_keeps_the_status_one_line_a_unit(workspace: Workspace) -> None:
    before = run("status", "--brief", "-w", workspace.root).output.splitlines()
    full = len(run("status", "-w", workspace.root).output.splitlines())
    why = "表三第 5 行与台账不符\n请核对后重报" + "。" * 2000
    workspace.reject("210922104", why)
    after = run("status", "--brief", "-w", workspace.root).output.splitlines()
    assert len(after) == len(before)
    listed = run("status", "-w", workspace.root).output.splitlines()  # the reason is one more problem, on one line
    assert len(listed) == full + 1 and any(line.strip().startswith("✗ 审核退回：表三第 5 行") for line in listed)
    assert max(len(line) for line in listed if "审核退回" in line) < 300
    line = next(line for line in after if "210922104" in line)
    assert "已退回：表三第 5 行与台账不符 请核对后重报" in line and len(line) < 200, line
    assert [r.note for r in workspace.state_of("210922104").rejections] == [why]  # kept whole
    logged = run("log", "-w", workspace.root).output.splitlines()
    assert logged[0].endswith("请核对后重报" + "。" * 2000), logged[:2]  # the log keeps it whole, on its line


def test_a_unit_granted_a_later_deadline_is_not_late_and_is_told_its_own_date(
    workspace: Workspace, form: Form, tmp_path: Path
) -> None:
    late = tmp_path / "冯家镇.xlsx"
    late.write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(9)), UNITS[3]))
    workspace.receive([late], received_at=datetime(2026, 1, 25, 10, 0).astimezone())  # the deadline was 01-20
    assert workspace.state_of("210922103").late
    early = run("extend", "210922103", "--until", "2026-01-18", "--note", "已同意", "-w", workspace.root)
    assert early.exit_code != 0 and "应晚于本轮的截止日期 2026-01-20" in early.output
    granted = run(
        "extend", "冯家镇", "--until", "2026年1月31日", "--note", "镇长出差，经分管领导同意", "-w", workspace.root
    )
    assert granted.exit_code == 0 and "延期至 2026-01-31" in granted.output, granted.output
    state = workspace.state_of("210922103")
    assert not state.late and state.extended == date(2026, 1, 31)
    assert "冯家镇：已通过（延期至 2026-01-31）" in run("status", "-w", workspace.root).output

    far = date.today() + timedelta(days=30)
    run("extend", "210922102", "--until", far.isoformat(), "--note", "新合并的乡，晚一个月", "-w", workspace.root)
    request = next(r for r in draft_replies(workspace, ["210922102"]).replies)
    body = parsed(request.draft.read_bytes()).get_body(("plain",))
    assert body is not None and f"{far.year}年{far.month}月{far.day}日" in body.get_content()

    cancelled = run("extend", "210922103", "--cancel", "--note", "延期申请撤回", "-w", workspace.root)
    assert cancelled.exit_code == 0 and workspace.state_of("210922103").late
    log = run("log", "-w", workspace.root).output
    assert "延期至 2026-01-31：冯家镇（210922103）：镇长出差" in log
    assert "取消延期：冯家镇（210922103）：延期申请撤回" in log


def test_a_pinned_version_sent_back_gives_way_to_the_correction(
    workspace: Workspace, form: Form, tmp_path: Path
) -> None:
    unit = "210922104"
    second = tmp_path / "后新秋镇第2版.xlsx"
    second.write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(10)), UNITS[4]))
    workspace.receive([second])
    workspace.use(unit, 1, "第 2 版是误发的")
    workspace.reject(unit, "第 1 版表三与台账不符，请核对后重报")
    assert workspace.state_of(unit).state == HAS_ERRORS and workspace.state_of(unit).pinned
    third = tmp_path / "后新秋镇更正.xlsx"
    third.write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(11)), UNITS[4]))
    workspace.receive([third])
    state = workspace.state_of(unit)
    assert state.counted is not None and state.counted.version == 3 and not state.pinned and state.state == PASSED
    assert "计入最新版：指定计入的版本已退回" in run("log", "-w", workspace.root).output

    workspace.use(unit, 2, "第 3 版附件错了，仍用第 2 版")  # a pin the clerk made on a version not sent back holds
    fourth = tmp_path / "后新秋镇第4版.xlsx"
    fourth.write_bytes(filled_workbook(form, consistent_inputs(form, random.Random(12)), UNITS[4]))
    workspace.receive([fourth])
    state = workspace.state_of(unit)
    assert state.pinned and state.counted is not None and state.counted.version == 2


# -- the sender, the signature, the reminders' cadence ----------------------------------------------------------


def body_of(path: Path) -> str:
    body = parsed(path.read_bytes()).get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_the_sender_is_remembered_and_the_letters_are_signed_and_dated(workspace: Workspace) -> None:
    root = workspace.root
    office = ("--office", "彰武县人民政府办公室", "--contact", "王五", "--phone", "0418-1234567")
    changed = run("settings", "-w", root, *office)
    assert changed.exit_code == 0 and "已修改落款单位：彰武县 → 彰武县人民政府办公室" in changed.output, changed.output
    assert run("settings", "-w", root, "--from", "not an address").exit_code == 1  # said; nothing kept
    assert run("settings", "-w", root, "--remind-every", "0").exit_code == 2
    named = f"县政务公开办 <{COUNTY}>"
    first = run("reply", "-w", root, "--from", named, "--unit", "五峰镇")
    assert first.exit_code == 0 and f"发件人记为 {named}" in first.output, first.output
    assert "发件人记为" not in run("reply", "-w", root, "--from", named, "--unit", "五峰镇").output  # the same

    later = Workspace.open(root)  # a later run, without --from
    replies = {r.unit_id: r for r in draft_replies(later, ["冯家镇", "彰武镇"]).replies}
    request = parsed(replies["210922103"].draft.read_bytes())
    assert request["From"].addresses[0].display_name == "县政务公开办" and str(request["Message-ID"]).endswith(
        "@county.example>"
    )
    today = date.today()
    signature = (
        f"彰武县人民政府办公室\n联系人：王五\n联系电话：0418-1234567\n{today.year}年{today.month}月{today.day}日"
    )
    assert body_of(replies["210922103"].draft).rstrip().endswith(signature)
    counted = later.state_of("彰武镇").counted
    assert counted is not None
    at = datetime.fromisoformat(counted.received_at)
    assert f"于 {at.year}年{at.month}月{at.day}日 {at.hour}:{at.minute:02d} 报送" in body_of(replies["210922100"].draft)

    # No contact person: its line left out. A clerk's words of before (no 落款单位): signed as they say.
    later.change_settings(contact="")
    packaged = (Path(__file__).parents[1] / "templates" / "mail" / "replies.toml").read_text(encoding="utf-8")
    old = packaged.replace("{落款单位}\n联系人：{联系人}\n联系电话：{联系电话}\n", "{汇总单位}\n")
    assert "落款单位" not in old.split("\n[problems]")[1]
    (root / TEXTS_FILE).write_text(old, encoding="utf-8")
    (again,) = draft_replies(later, ["冯家镇"]).replies
    assert body_of(again.draft).rstrip().endswith(f"谢谢配合！\n\n彰武县\n{today.year}年{today.month}月{today.day}日")
    (root / TEXTS_FILE).unlink()
    (signed,) = draft_replies(later, ["冯家镇"]).replies
    assert "联系人" not in body_of(signed.draft) and "联系电话：0418-1234567" in body_of(signed.draft)

    listed = run("settings", "-w", root).output
    assert f"发件人：{named}" in listed and "联系人：（未设定）" in listed and "每 3 天最多一封" in listed
    logged = run("log", "-w", root).output
    assert "修改设置：落款单位 彰武县 → 彰武县人民政府办公室；联系人 （未设定） → 王五" in logged, logged
    assert f"修改设置：发件人 （未设定） → {named}" in logged and "修改设置：联系人 王五 → （未设定）" in logged
    assert sum(e.action == "settings" for e in later.log()) == 3


def test_init_keeps_the_sender(tmp_path: Path) -> None:
    made = ("init", tmp_path / "ws", "--roster", roster(tmp_path / "名单.csv"), "--year", 2025)
    wrong = run(*made, "--from", "县政务公开办")
    assert wrong.exit_code == 1 and "不是邮箱地址（" in wrong.output and "（--from）" in wrong.output
    assert not (tmp_path / "ws" / "nianbao.sqlite").exists()
    done = run(*made, "--office", "彰武县政务公开办", "--from", COUNTY, "--phone", "0418-1234567")
    assert done.exit_code == 0, done.output
    settings = Workspace.open(tmp_path / "ws").settings
    assert (settings.office, settings.sender, settings.contact, settings.phone) == (
        "彰武县政务公开办",
        COUNTY,
        "",
        "0418-1234567",
    )
    assert (settings.remind_before, settings.remind_every) == (3, 3)
    assert f"发件人 （未设定） → {COUNTY}" in run("log", "-w", tmp_path / "ws").output


@given(
    last=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    deadline=st.none() | st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    before=st.integers(0, 30),
    every=st.integers(1, 30),
)
def test_reminders_keep_their_distance_and_wait_for_the_deadline(
    last: date, deadline: date | None, before: int, every: int
) -> None:
    """A clerk who runs `reply` every day and sends what is due, for 90 days after the blank workbook went out."""
    letters = [last]
    for n in range(1, 91):
        day = last + timedelta(days=n)
        if next_reminder(letters[-1], deadline, before, every) <= day:
            letters.append(day)
    gaps = [(b - a).days for a, b in itertools.pairwise(letters)]
    assert all(gap >= every for gap in gaps)  # never two letters closer than `every` days
    assert all(gap == every for gap in gaps[1:])  # once reminding, every `every` days
    if deadline is not None:
        assert all(day >= deadline - timedelta(days=before) for day in letters[1:])  # never before deadline − N
        if len(letters) > 1:  # the first reminder as soon as both allow it
            assert letters[1] == max(last + timedelta(days=every), deadline - timedelta(days=before))


def test_the_first_reminder_comes_a_few_days_before_the_deadline() -> None:
    deadline = date(2027, 1, 20)
    assert next_reminder(date(2027, 1, 5), deadline, 3, 3) == date(2027, 1, 17)
    assert next_reminder(date(2027, 1, 16), deadline, 3, 3) == date(2027, 1, 19)  # 3 days after the request
    assert next_reminder(date(2027, 1, 25), deadline, 3, 3) == date(2027, 1, 28)  # after the deadline: every 3 days
    assert next_reminder(date(2027, 1, 5), None, 3, 3) == date(2027, 1, 8)  # no deadline: 3 days after the last


def test_a_unit_ten_days_before_its_deadline_is_not_reminded(workspace: Workspace) -> None:
    root = workspace.root
    until = date.today() + timedelta(days=10)
    workspace.extend("冯家镇", until, "新合并的镇")
    (request,) = draft_replies(workspace, ["冯家镇"]).replies
    mark_sent(workspace, [request])
    sent = date.today() - timedelta(days=5)
    workspace.db.execute("UPDATE replies SET sent_at = ? WHERE key = ?", (f"{sent}T09:00:00+08:00", request.key))
    drafts = draft_replies(workspace, ["冯家镇"])
    assert [r.key for r in drafts.replies] == [request.key] and drafts.reminders == {"210922103": until - timedelta(3)}
    listing = run("reply", "-w", root, "--unit", "冯家镇").output
    assert (
        f"= 210922103 冯家镇 下发通知：已于 {sent} 09:00 发给 fjz@town.example；{until - timedelta(3)} 起再催报"
        in listing
    )
    assert not list((root / "回复草稿").glob("*催报*"))

    workspace.extend("冯家镇", None, "延期取消")  # the round's deadline has passed: due 3 days after the request
    (reminder,) = draft_replies(workspace, ["冯家镇"]).replies
    assert reminder.kind == REMINDER and reminder.draft.name.endswith(f"_{sent + timedelta(3)}.eml")
    assert run("settings", "-w", root, "--remind-every", "7").exit_code == 0
    (waiting,) = draft_replies(workspace, ["冯家镇"]).replies
    assert waiting.key == request.key  # 5 days after the request: not yet
