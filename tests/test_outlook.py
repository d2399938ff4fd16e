"""Outlook .msg files (issue #12): what Chinese Outlook saves is read into the same Mail as an .eml; the test
writer's compound files read back with olefile; a damaged file is refused with one clear message naming it,
and the run goes on."""

from __future__ import annotations

import io
import shutil
from datetime import datetime
from pathlib import Path

import olefile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.collection import mail as mail_module
from nianbao.collection.mail import TOO_BIG_MESSAGE, TOO_DEEP, Mail, RawMail, parse_mail, parse_msg, read_mail
from nianbao.collection.outlook import UnreadableMessage, open_msg
from nianbao.collection.workspace import PASSED, Workspace
from nianbao.problems import MESSAGES
from tests.helpers.mailbuild import CHINA, message
from tests.helpers.msgbuild import MsgAttachment, MsgMessage, Tree, compound_file, outlook_message
from tests.test_mail import ROSTER, run, sample

CORPUS = Path(__file__).parent / "data" / "mail"
BROKEN = CORPUS / "broken"
SENT = datetime(2026, 1, 12, 9, 30, tzinfo=CHINA)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def corpus(name: str) -> Mail:
    return read_mail(RawMail(name, (CORPUS / name).read_bytes(), outlook=True))


def refusal(code: str) -> str:
    return MESSAGES["MSG_UNREADABLE"].format(why=MESSAGES[code])


def test_a_message_saved_by_outlook_is_read_like_an_eml() -> None:
    mail = corpus("outlook-unicode.msg")
    assert mail.subject == "彰武镇2025年政府信息公开工作年度报告统计表"
    assert (mail.sender_name, mail.sender) == ("朱镕喆", "zhurongzhe@zhangwu.gov.cn")  # 镕 喆: GBK, not GB2312
    assert mail.date == SENT and mail.message_id == "<outlook-unicode@corpus.example>"
    (workbook,) = mail.attachments  # the inline image is not an attachment; the Word file is listed
    assert workbook.name == "彰武镇政府信息公开年报（2025）.xlsx" and workbook.where == ""
    assert workbook.data == b"PK\x03\x04 not really a workbook" + bytes(range(256)) * 40  # from its own sectors
    assert mail.others == ["说明.docx"] and not mail.notes
    body = open_msg((CORPUS / "outlook-unicode.msg").read_bytes()).body()
    assert body == "请查收。\r\n\r\n彰武镇党政办公室\r\n电话：0418-1234567"


def test_8bit_strings_are_read_in_the_messages_code_page() -> None:
    raw = (CORPUS / "outlook-cp936.msg").read_bytes()
    ole = olefile.OleFileIO(io.BytesIO(raw))
    assert ole.exists("__substg1.0_0037001E") and not ole.exists("__substg1.0_0037001F")  # 8-bit, not UTF-16
    mail = corpus("outlook-cp936.msg")
    assert mail.subject == "满堂红镇年报（请查收）" and mail.sender_name == "满堂红镇 王镕"  # 镕 only in GBK
    assert mail.sender == "mth@zhangwu.gov.cn"  # no SMTP property then: the address Outlook kept as it was
    assert [a.name for a in mail.attachments] == ["满堂红镇统计表.xls"]
    assert open_msg(raw).body() == "请查收。满堂红镇"


def test_an_exchange_sender_is_known_by_the_smtp_address() -> None:
    mail = corpus("outlook-zip.msg")
    assert mail.sender == "shc@zhangwu.gov.cn"  # not "/O=EXCHANGELABS/…"
    assert [(a.name, a.where) for a in mail.attachments] == [("四合城镇.xlsx", "压缩包 年报.zip 中")]


def test_an_embedded_message_is_a_forwarded_one() -> None:
    mail = corpus("outlook-forwarded.msg")
    assert (mail.sender, mail.subject) == ("bgs@zhangwu.gov.cn", "转发：章古台镇2025年报")  # the one who forwarded
    assert [(a.name, a.where) for a in mail.attachments] == [("章古台镇.xlsx", "转发的邮件中")]


def test_names_fall_back_and_a_cloud_attachment_is_a_note() -> None:
    mail = corpus("outlook-fallback-names.msg")
    assert [a.name for a in mail.attachments] == ["东六家~1.XLS", "两家子乡.xlsx"]
    assert mail.notes == [MESSAGES["CLOUD_ATTACHMENT"].format(name="冯家镇年报.xlsx")]


def test_the_internet_headers_outlook_kept_fill_in_what_the_properties_lack() -> None:
    mail = corpus("outlook-no-workbook.msg")
    assert mail.message_id == "<outlook-no-workbook@corpus.example>"
    assert mail.date == datetime(2026, 1, 13, 10, 0, tzinfo=CHINA)
    assert not mail.attachments and mail.others == ["2025年报告.docx"]


def test_an_outlook_message_attached_to_an_eml_is_read_as_forwarded() -> None:
    inner = MsgMessage("年报", "冯家镇", "fjz@town.example", SENT, "<in@town.example>")
    inner.attachments = [MsgAttachment("冯家镇.xlsx", data=b"PK\x03\x04 workbook", mime=XLSX)]
    outer = message("办公室 <bgs@town.example>", "转发", [("冯家镇来信.msg", outlook_message(inner))])
    mail = parse_mail(outer.as_bytes())
    assert [(a.name, a.where) for a in mail.attachments] == [("冯家镇.xlsx", "转发的邮件中")]
    broken = message("办公室 <bgs@town.example>", "转发", [("坏.msg", (BROKEN / "truncated.msg").read_bytes())])
    assert parse_mail(broken.as_bytes()).notes == [f"附件 坏.msg：{refusal('MSG_TRUNCATED')}"]


def test_an_eml_renamed_to_msg_is_read_as_what_it_is() -> None:
    raw = message("冯家镇 <fjz@town.example>", "年报", [("冯家镇.xlsx", b"PK\x03\x04 workbook")]).as_bytes()
    mail = read_mail(RawMail("改了名的.msg", raw, outlook=True))
    assert mail.sender == "fjz@town.example" and [a.name for a in mail.attachments] == ["冯家镇.xlsx"]


def test_limits_apply_to_outlook_messages_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail_module, "MAX_ATTACHMENT_BYTES", 1000)
    assert any("过大" in note for note in corpus("outlook-unicode.msg").notes)
    monkeypatch.setattr(mail_module, "MAX_MESSAGE_BYTES", 1000)
    mail = corpus("outlook-unicode.msg")
    assert mail.notes == [TOO_BIG_MESSAGE] and not mail.attachments and mail.subject  # still named in status


def test_messages_inside_messages_are_followed_only_so_deep() -> None:
    nested = MsgMessage("最里面", "a", "a@b.example", SENT, attachments=[MsgAttachment("表.xlsx", data=b"x")])
    for depth in range(25):
        nested = MsgMessage(f"转发 {depth}", "a", "a@b.example", SENT, attachments=[MsgAttachment(embedded=nested)])
    deep = read_mail(RawMail("deep.msg", outlook_message(nested), outlook=True))
    assert deep.notes == [TOO_DEEP] and not deep.attachments


BROKEN_CODES = {
    "truncated.msg": "MSG_TRUNCATED",
    "not-outlook.msg": "MSG_NOT_OUTLOOK",
    "no-message.msg": "MSG_NO_MESSAGE",
    "cyclic-fat.msg": "MSG_DAMAGED",
}


@pytest.mark.parametrize("name", sorted(BROKEN_CODES))
def test_a_damaged_file_is_refused_with_what_is_wrong(name: str) -> None:
    with pytest.raises(UnreadableMessage) as caught:
        read_mail(RawMail(name, (BROKEN / name).read_bytes(), outlook=True))
    assert caught.value.code == BROKEN_CODES[name] and str(caught.value) == refusal(BROKEN_CODES[name])


def test_a_cyclic_chain_is_damage_not_repeated_data() -> None:
    whole = (CORPUS / "outlook-unicode.msg").read_bytes()
    looped = (BROKEN / "cyclic-fat.msg").read_bytes()
    assert len(whole) == len(looped) and whole != looped
    olefile.OleFileIO(io.BytesIO(looped), raise_defects=olefile.DEFECT_INCORRECT)  # olefile alone would take it


def test_receiving_outlook_files_among_damaged_ones(tmp_path: Path) -> None:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, deadline="2026-01-20", unit_id="210922", unit_name="彰武县")
    inbox = tmp_path / "Outlook 导出"
    shutil.copytree(BROKEN, inbox)
    town = MsgMessage("彰武镇年报", "彰武镇 朱镕喆", "zwz@town.example", SENT, "<zwz@town.example>")
    town.attachments = [MsgAttachment("彰武镇年报.xlsx", "彰武镇~1.XLS", data=sample("210922100"), mime=XLSX)]
    (inbox / "彰武镇.msg").write_bytes(outlook_message(town))
    old = MsgMessage("冯家镇年报", "冯家镇", "fjz@town.example", SENT, "<fjz@town.example>", codepage=936)
    old.attachments = [MsgAttachment("冯家镇统计表.xlsx", data=sample("210922103"))]
    forward = MsgMessage("转发：冯家镇年报", "办公室", "bgs@town.example", SENT)
    forward.attachments = [MsgAttachment(embedded=old)]
    (inbox / "子目录").mkdir()
    (inbox / "子目录" / "转发.MSG").write_bytes(outlook_message(forward))

    done = run("receive", "--mail", inbox, "-w", ws.root)
    assert done.exit_code == 0, done.output
    for name, code in BROKEN_CODES.items():  # each damaged file named once, with what is wrong with it
        assert done.output.count(f"{name}：{refusal(code)}") == 1, done.output
    assert "新 2 封" in done.output and "无法读取 4 封" in done.output
    units = {u.unit_id: u for u in ws.status().units}
    assert units["210922100"].state == PASSED and units["210922103"].state == PASSED
    counted = units["210922100"].counted
    assert counted is not None and counted.sender == "zwz@town.example"
    assert datetime.fromisoformat(counted.received_at) == SENT
    row = ws.db.execute("SELECT subject, message_id FROM files WHERE id = ?", (counted.id,)).fetchone()
    assert (row["subject"], row["message_id"]) == ("彰武镇年报", "<zwz@town.example>")
    sender = ws.db.execute("SELECT sender, sender_name FROM messages WHERE subject = '转发：冯家镇年报'").fetchone()
    assert tuple(sender) == ("bgs@town.example", "办公室")

    again = run("receive", "--mail", inbox, "-w", ws.root)  # a message without a Message-ID is known by its bytes
    assert "新 0 封" in again.output and "已收过 2 封" in again.output, again.output


# -- damage: whatever happens to the bytes, the answer is a Mail or the one expected error --------------

SOUND = [(CORPUS / name).read_bytes() for name in sorted(p.name for p in CORPUS.glob("outlook-*.msg"))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SOUND), st.data())
def test_truncated_or_flipped_bytes_never_raise_anything_else(raw: bytes, data: st.DataObject) -> None:
    if data.draw(st.booleans(), label="truncate"):
        damaged = raw[: data.draw(st.integers(0, len(raw) - 1), label="length")]
    else:
        flipped = bytearray(raw)
        # anywhere, or where the header, the directory and the FAT are (the writer puts the last two at the end)
        end = len(raw) - 1
        places = st.one_of(st.integers(0, end), st.integers(0, 511), st.integers(end - 2047, end))
        for _ in range(data.draw(st.integers(1, 8), label="flips")):
            at = data.draw(places, label="at")
            flipped[at] ^= data.draw(st.integers(1, 255), label="xor")
        damaged = bytes(flipped)
    try:
        mail = read_mail(RawMail("x.msg", damaged, outlook=True))
    except UnreadableMessage as exc:
        assert exc.code in BROKEN_CODES.values()
        return
    assert mail.message_id
    for attachment in mail.attachments:
        assert attachment.name and "/" not in attachment.name and "\\" not in attachment.name


# -- the test writer: its compound files read back with olefile, strictly ---------------------------------

NAMES = st.text(alphabet="abcXYZ_0.彰武镇年报", min_size=1, max_size=31)
SIZES = st.sampled_from([0, 1, 63, 64, 65, 511, 512, 513, 4095, 4096, 4097, 70_000])


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> Tree:
    names = draw(st.lists(NAMES, max_size=12, unique_by=str.upper))
    tree: Tree = {}
    for i, name in enumerate(names):
        if depth < 3 and draw(st.booleans()):
            tree[name] = draw(trees(depth + 1))
        else:
            tree[name] = bytes((i + n) % 251 for n in range(draw(SIZES)))
    return tree


def _read_back(ole: olefile.OleFileIO, tree: Tree, path: list[str]) -> Tree:
    out: Tree = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            assert ole.get_type([*path, name]) == olefile.STGTY_STORAGE
            out[name] = _read_back(ole, value, [*path, name])
        else:
            out[name] = ole.openstream([*path, name]).read()
    return out


@settings(max_examples=60, deadline=None)
@given(trees())
def test_the_writers_compound_files_read_back_the_same(tree: Tree) -> None:
    ole = olefile.OleFileIO(io.BytesIO(compound_file(tree)), raise_defects=olefile.DEFECT_INCORRECT)
    assert _read_back(ole, tree, []) == tree
    assert len(ole.listdir(streams=True, storages=True)) == _count(tree)


def _count(tree: Tree) -> int:
    return sum(1 + (_count(value) if isinstance(value, dict) else 0) for value in tree.values())


def test_when_an_outlook_message_reached_the_mailbox_is_its_delivery_time() -> None:
    delivered = datetime(2026, 1, 14, 8, 0, tzinfo=CHINA)
    clock_ahead = datetime(2026, 3, 1, tzinfo=CHINA)
    sent = MsgMessage("年报", "彰武镇", "zwz@town.example", clock_ahead, delivered=delivered)
    mail = parse_msg(outlook_message(sent))
    assert mail.arrived == delivered and mail.date == clock_ahead
