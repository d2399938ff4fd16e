"""Receiving returns by mail (issue #12): mail files, names as Chinese mail programs write them, zips,
forwards, quoted blank workbooks, messages without a workbook, and receiving the same mail twice."""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nianbao.cli import main
from nianbao.collection.mail import (
    RawMail,
    decode_header_text,
    iter_mail_files,
    iter_mbox,
    parse_mail,
    read_mail,
    safe_attachment_name,
)
from nianbao.collection.workspace import NEW, NO_WORKBOOK, PASSED, Workspace
from nianbao.form import data_dir
from nianbao.problems import MESSAGES
from tests.helpers.mailbuild import CHINA, forwarded, gbk_zip, message, write_mbox
from tests.helpers.workbooks import edited

CORPUS = Path(__file__).parent / "data" / "mail"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
SAMPLES = data_dir("samples")
ROSTER = SAMPLES / "zhangwu-county-roster.csv"
FILLED = SAMPLES / "filled"


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def sample(unit_id: str) -> bytes:
    (path,) = [p for p in FILLED.iterdir() if unit_id in p.name and p.suffix == ".xlsx"]
    return path.read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_corpus_yields_the_names_the_townships_meant(name: str) -> None:
    mail = read_mail(RawMail(name, (CORPUS / name).read_bytes(), outlook=name.endswith(".msg")))
    assert [a.name for a in mail.attachments] == EXPECTED[name]["names"]
    assert mail.others == EXPECTED[name]["others"]
    assert mail.sender.endswith("zhangwu.gov.cn") and mail.date is not None and mail.subject
    for attachment in mail.attachments:
        assert "/" not in attachment.name and "\\" not in attachment.name and "\x00" not in attachment.name


def test_raw_8bit_headers_are_read_as_gbk_or_utf8() -> None:
    mail = parse_mail((CORPUS / "raw-8bit-gbk.eml").read_bytes())
    assert mail.subject == "年报" and mail.sender_name == "乡镇"


def test_an_address_inside_an_encoded_display_name_is_not_the_sender() -> None:
    def b(text: str) -> str:
        return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="

    subject = b("年报\r\nX-Evil: 1")
    for name in ("五峰镇 <other@qq.example>", "五峰镇\r\nBcc: evil@attacker.example"):
        raw = f"From: {b(name)} <wfz@town.example>\nSubject: {subject}\n\n正文\n".encode()
        mail = parse_mail(raw)  # decoding before parsing took the address out of the name
        assert mail.sender == "wfz@town.example", name
        assert "\n" not in mail.sender_name + mail.subject and mail.subject == "年报 X-Evil: 1"
    whole = parse_mail(f"From: {b('乡镇 <xz@town.example>')}\n\n".encode())  # some clients encode it all
    assert (whole.sender, whole.sender_name) == ("xz@town.example", "乡镇")
    assert parse_mail(b'From: "=?gb2312?B?z+fV8g==?=" <xz@town.example>\n\n').sender_name == "乡镇"


# Names: any text that the label's codec can carry comes back the same, however the mail program wrote it.
NAMES = st.text(
    alphabet=st.sampled_from("彰武镇冯家乡年度报表统计喆镕𠀀（）()_-— 2025abcXYZ."), min_size=1, max_size=30
).map(lambda s: s.strip() or "表")


@settings(max_examples=300, deadline=None)
@given(NAMES, st.sampled_from(["gb2312", "gbk", "gb18030", "utf-8", "GB2312", "UTF-8"]), st.data())
def test_encoded_word_names_round_trip(name: str, label: str, data: st.DataObject) -> None:
    codec = "utf-8" if label.lower() == "utf-8" else "gb18030"  # gb2312 labels on GB18030 bytes, as sent
    raw = name.encode(codec)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(raw) - 1)), max_size=3)))
    pieces = [raw[i:j] for i, j in zip([0, *cuts], [*cuts, len(raw)], strict=True) if raw[i:j]]
    if data.draw(st.booleans()):
        words = [f"=?{label}?B?{base64.b64encode(p).decode()}?=" for p in pieces]
    else:
        words = [f"=?{label}?Q?{''.join(f'={b:02X}' for b in p)}?=" for p in pieces]
    assert decode_header_text(" ".join(words)) == name.strip()


@settings(max_examples=200, deadline=None)
@given(NAMES, st.sampled_from(["gbk", "gb18030", "utf-8"]))
def test_rfc2231_and_raw_8bit_names_round_trip(name: str, codec: str) -> None:
    assume("𠀀" not in name or codec != "gbk")
    raw = name.encode(codec)
    assert decode_header_text((codec, "", raw.decode("latin-1"))) == name
    assert decode_header_text(raw.decode("ascii", "surrogateescape")) == name


@given(st.text(min_size=1, max_size=60))
def test_an_attachment_name_is_never_a_path(name: str) -> None:
    safe = safe_attachment_name(name)
    assert safe and "/" not in safe and "\\" not in safe and "\x00" not in safe and safe not in (".", "..")
    assert safe.split(".")[0].upper() not in ("CON", "NUL", "AUX", "PRN", "COM1", "LPT1")


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws, _ = Workspace.create(tmp_path / "ws", ROSTER, 2025, deadline="2026-01-20", unit_id="210922", unit_name="彰武县")
    return ws


def test_receiving_mail_files_and_an_mbox(tmp_path: Path, workspace: Workspace) -> None:
    blank = next((workspace.root / "空白表格").glob("*210922101*.xlsx")).read_bytes()
    inbox = tmp_path / "邮件"
    inbox.mkdir()
    first = message("彰武镇 <zwz@town.example>", "彰武镇2025年报", [("彰武镇年报.xlsx", sample("210922100"))])
    (inbox / "1.eml").write_bytes(first.as_bytes())
    zipped = gbk_zip({"年报/东六家子镇.xlsx": sample("210922105"), "年报/两家子乡.xlsx": sample("210922203")})
    forward = forwarded(
        "办公室 <bgs@town.example>",
        "转发：冯家镇年报",
        message("冯家镇 <fjz@town.example>", "冯家镇年报", [("冯家镇.xlsx", sample("210922103"))], charset="utf-8"),
    )
    quoting = message("哈尔套镇 <hrt@town.example>", "回复：请报送年报", [("哈尔套镇.xlsx", blank)])
    link_only = message("五峰镇 <wfz@town.example>", "年报已上传", body="请到网盘下载：https://pan.example/s/1")
    mbox = inbox / "收件箱.mbox"
    write_mbox(
        mbox,
        [
            message("乡镇 <x@town.example>", "两个乡的年报", [("年报.zip", zipped)]).as_bytes(),
            forward.as_bytes(),
            quoting.as_bytes(),
            link_only.as_bytes(),
        ],
    )
    (inbox / "旧邮件.msg").write_bytes(b"\xd0\xcf\x11\xe0 not an Outlook message")

    forgot = run("receive", inbox, "-w", workspace.root)  # without --mail: nothing taken, and said why
    assert "收到 0 个文件" in forgot.output and "另有 3 个邮件文件" in forgot.output and "--mail" in forgot.output
    done = run("receive", "--mail", inbox, "-w", workspace.root)
    assert done.exit_code == 0, done.output
    assert "第 1 版" in done.output and NO_WORKBOOK in done.output and "空白表格" in done.output
    assert f"旧邮件.msg：{MESSAGES['MSG_UNREADABLE'].format(why=MESSAGES['MSG_NOT_OUTLOOK'])}" in done.output
    assert "新 5 封" in done.output and "已收过 0 封" in done.output
    status = workspace.status()
    passed = {u.unit_id for u in status.units if u.state == PASSED}
    assert passed == {"210922100", "210922105", "210922203", "210922103"}
    assert "210922101" not in {u.unit_id for u in status.units if u.counted}  # the quoted blank is no return
    counted = next(u.counted for u in status.units if u.unit_id == "210922100")
    assert counted is not None and counted.sender == "zwz@town.example"
    assert datetime.fromisoformat(counted.received_at) == datetime(2026, 1, 12, 9, 30, tzinfo=CHINA)
    assert counted.stored.endswith("_彰武镇年报.xlsx")
    row = workspace.db.execute("SELECT subject, message_id FROM files WHERE id = ?", (counted.id,)).fetchone()
    assert row["subject"] == "彰武镇2025年报" and row["message_id"] == first["Message-ID"]
    letters = [(m.sender, m.subject) for m in status.without_workbook]  # a reply quoting the blank brought none
    assert letters == [("hrt@town.example", "回复：请报送年报"), ("wfz@town.example", "年报已上传")]
    shown = run("status", "-w", workspace.root)
    assert NO_WORKBOOK in shown.output and "wfz@town.example《年报已上传》" in shown.output

    again = run("receive", "--mail", inbox, "-w", workspace.root)
    assert "新 0 封" in again.output and "已收过 5 封" in again.output, again.output
    assert workspace.db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 4


def test_the_same_message_from_two_sources_is_received_once(tmp_path: Path, workspace: Workspace) -> None:
    raw = message("彰武镇 <zwz@town.example>", "年报", [("彰武镇.xlsx", sample("210922100"))]).as_bytes()
    (tmp_path / "a.eml").write_bytes(raw)
    write_mbox(tmp_path / "b.mbox", [raw])
    results = list(workspace.receive_mail(iter_mail_files([tmp_path / "a.eml", tmp_path / "b.mbox"])))
    assert [r.outcome for r in results] == [NEW, "known"]


def test_an_mbox_is_streamed_and_from_quoting_undone(tmp_path: Path) -> None:
    bodies = [
        f"From: a@b\nSubject: {i}\n\nFrom here on {i}\n>From quoted\n\nFrom the end\n".encode() for i in range(50)
    ]
    write_mbox(tmp_path / "x.mbox", bodies)
    read = list(iter_mail_files([tmp_path / "x.mbox"]))
    assert len(read) == 50 and read[7].source.endswith("第 8 封")
    assert [r.data for r in read] == bodies


def test_limits_and_damage_are_notes_not_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.collection import mail as mail_module

    monkeypatch.setattr(mail_module, "MAX_ATTACHMENT_BYTES", 1000)
    big = message("a@b", "大", [("大表.xlsx", b"x" * 5000), ("坏.zip", b"PK\x03\x04 broken")])
    parsed = parse_mail(big.as_bytes())
    assert not parsed.attachments and any("过大" in n for n in parsed.notes) and any("损坏" in n for n in parsed.notes)
    monkeypatch.setattr(mail_module, "MAX_MESSAGE_BYTES", 1000)
    assert any("邮件过大" in n for n in parse_mail(big.as_bytes()).notes)
    broken = parse_mail(b"\xff\xfe not mail at all \x00\x01")
    assert broken.message_id and not broken.attachments


def test_a_return_from_an_address_that_is_not_the_units_is_a_warning(tmp_path: Path) -> None:
    lines = ROSTER.read_text(encoding="utf-8-sig").splitlines()
    contacts = {"210922100": "zwz@town.example", "210922103": "fjz@town.example; fjz2@town.example"}
    roster = tmp_path / "名单.csv"
    rows = [f"{lines[0]},联系人,邮箱,电话"]
    rows += [f"{line},张三,{contacts.get(line.split(',')[0], '')},0418-1234567" for line in lines[1:]]
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ws, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(
        message("某人 <someone@qq.example>", "年报", [("彰武镇.xlsx", sample("210922100"))]).as_bytes()
    )
    (inbox / "2.eml").write_bytes(
        message("冯家镇 <FJZ2@town.example>", "年报", [("冯家镇.xlsx", sample("210922103"))]).as_bytes()
    )
    run("receive", "--mail", inbox, "-w", ws.root)
    states = {u.unit_id: u for u in ws.status().units}
    assert states["210922100"].state == PASSED  # recorded and counted, never refused …
    assert "someone@qq.example" in states["210922100"].sender_warning  # … but never silently trusted
    assert states["210922103"].sender_warning == ""
    shown = run("status", "-w", ws.root).output
    assert "发件人 someone@qq.example 不是名单上该单位的邮箱（zwz@town.example）" in shown
    assert "someone@qq.example" in run("history", "210922100", "-w", ws.root).output


def test_an_mbox_taken_by_worker_processes_in_batches_is_received_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nianbao.operations import parallel

    returns = sorted(p for p in FILLED.iterdir() if p.suffix == ".xlsx")
    messages = [
        message(f"乡镇{i} <t{i}@town.example>", p.stem, [(p.name, p.read_bytes())]) for i, p in enumerate(returns)
    ]
    first = messages[0]
    again = message("办公室 <bgs@town.example>", "再发一次", [("再发.xlsx", (returns[0]).read_bytes())])
    link = message("五峰镇 <wfz@town.example>", "年报已上传", body="请到网盘下载")
    mbox = tmp_path / "收件箱.mbox"
    write_mbox(mbox, [m.as_bytes() for m in [*messages, again, link, first]])  # the first message comes twice

    def received(folder: str, workers: int) -> list[object]:
        monkeypatch.setattr(parallel, "workers_wanted", lambda: workers)
        ws, _ = Workspace.create(tmp_path / folder, ROSTER, 2025, unit_id="210922", unit_name="彰武县")
        results = list(ws.receive_mail(iter_mail_files([mbox]), batch=5))
        files = [
            [(f.outcome, f.version and (f.version.unit_id, f.version.version), f.reason) for f in r.files]
            for r in results
        ]
        return [[r.outcome for r in results], files, [s.state for s in ws.status().units]]

    by_workers, one_by_one = received("a", 2), received("b", 1)
    assert by_workers == one_by_one
    outcomes, files, _ = by_workers
    assert outcomes == [NEW] * (len(messages) + 2) + ["known"]
    assert [f[0][0] for f in files[: len(messages)]] == [NEW] * len(messages)
    assert files[len(messages)][0][0] == "known" and files[len(messages) + 1] == []


def _mbox_by_lines(data: bytes) -> list[bytes]:
    """The mbox rule, line by line, as a reference for iter_mbox's reading in blocks."""
    found: list[bytes] = []
    messages: list[list[bytes]] = []
    current: list[bytes] = []
    for line in io.BytesIO(data):
        if line.startswith(b"From ") and (not current or current[-1] in (b"\n", b"\r\n")):
            if current:
                messages.append(current)
            current = []
            continue
        current.append(line)
    if current:
        messages.append(current)
    for message_lines in messages:
        if message_lines[-1] in (b"\n", b"\r\n"):
            message_lines = message_lines[:-1]
        found.append(
            b"".join(
                line[1:] if line.startswith(b">") and line.lstrip(b">").startswith(b"From ") else line
                for line in message_lines
            )
        )
    return found


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"From a@b Mon\n", b">From x\n", b">>From y\r\n", b"\n", b"\r\n", b"text\n", b"Fro", b"m \n", b"x"]
        ),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=20),
)
def test_an_mbox_read_in_blocks_splits_as_line_by_line(
    tmp_path_factory: pytest.TempPathFactory, parts: list[bytes], block: int
) -> None:
    data = b"".join(parts)
    path = tmp_path_factory.mktemp("mbox") / "x.mbox"
    path.write_bytes(data)
    assert [m.data for m in iter_mbox(path, block)] == _mbox_by_lines(data)


@settings(max_examples=50)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()))
def test_when_a_message_reached_the_mailbox_is_the_topmost_received_stamp(when: datetime) -> None:
    assume(when.utcoffset() is not None and when.utcoffset().seconds % 60 == 0)
    when = when.replace(microsecond=0)
    sent = message("x <x@town.example>", "年报", arrived=when, when=datetime(2001, 1, 1, tzinfo=CHINA))
    sent["Received"] = "from relay.example by mail.town.example; Mon, 1 Jan 2001 00:00:00 +0800"  # an earlier hop
    arrived = parse_mail(sent.as_bytes()).arrived
    assert arrived is not None and arrived.timestamp() == when.timestamp()  # == is False in a DST fold (PEP 495)
    assert parse_mail(message("x <x@town.example>", "年报").as_bytes()).arrived is None
    broken = message("x <x@town.example>", "年报")
    broken["Received"] = "from somewhere; yesterday afternoon"
    assert parse_mail(broken.as_bytes()).arrived is None


def test_the_version_that_reached_the_mailbox_last_counts_in_whatever_order_mails_are_read(
    tmp_path: Path, workspace: Workspace
) -> None:
    unit = "210922100"
    corrected = edited(sample(unit), lambda wb: None)  # other bytes, the same return: a second version
    assert corrected != sample(unit)
    first = message(  # the sender's clock is a month ahead: its Date says February
        "彰武镇 <zwz@town.example>",
        "彰武镇年报",
        [("彰武镇.xlsx", sample(unit))],
        when=datetime(2026, 2, 12, 9, 0, tzinfo=CHINA),
        arrived=datetime(2026, 1, 12, 9, 0, tzinfo=CHINA),
    )
    second = message(
        "彰武镇 <zwz@town.example>",
        "彰武镇年报（更正）",
        [("彰武镇更正.xlsx", corrected)],
        when=datetime(2026, 2, 14, 9, 0, tzinfo=CHINA),
        arrived=datetime(2026, 1, 14, 9, 0, tzinfo=CHINA),
    )
    (tmp_path / "更正.eml").write_bytes(second.as_bytes())
    (tmp_path / "原件.eml").write_bytes(first.as_bytes())
    assert run("receive", "--mail", tmp_path / "更正.eml", "-w", workspace.root).exit_code == 0
    older = run("receive", "--mail", tmp_path / "原件.eml", "-w", workspace.root)  # read later, came earlier
    assert "第 2 版" in older.output and "不是计入的版本；计入的是第 1 版" in older.output, older.output
    (state,) = [s for s in workspace.status().units if s.unit_id == unit]
    assert state.counted is not None and state.counted.version == 1 and state.counted.name == "彰武镇更正.xlsx"
    assert datetime.fromisoformat(state.counted.received_at) == datetime(2026, 1, 14, 9, 0, tzinfo=CHINA)
    assert not state.late  # the deadline is 2026-01-20: the mailbox's stamp, not the sender's clock, says so
    history = run("history", unit, "-w", workspace.root)
    counted_line = next(line for line in history.output.splitlines() if "← 计入" in line)
    assert counted_line.lstrip().startswith("第 1 版"), history.output


def test_a_mail_dated_in_the_future_counts_as_come_now(tmp_path: Path, workspace: Workspace) -> None:
    unit = "210922100"
    future = message("彰武镇 <zwz@town.example>", "年报", [("彰武镇.xlsx", sample(unit))], when=datetime(2099, 1, 1))
    (tmp_path / "未来.eml").write_bytes(future.as_bytes())
    before = datetime.now().astimezone().replace(microsecond=0)
    run("receive", "--mail", tmp_path / "未来.eml", "-w", workspace.root)
    corrected = tmp_path / "更正.xlsx"
    corrected.write_bytes(edited(sample(unit), lambda wb: None))
    run("receive", corrected, "-w", workspace.root)  # a correction handed over later on a USB stick
    (state,) = [s for s in workspace.status().units if s.unit_id == unit]
    versions = workspace.history(unit)[1]
    assert before <= datetime.fromisoformat(versions[0].received_at) <= datetime.now().astimezone()
    assert state.counted is not None and state.counted.version == 2 and state.late


def test_an_empty_or_headerless_mail_file_is_refused_not_a_letter_without_a_workbook(
    tmp_path: Path, workspace: Workspace
) -> None:
    (tmp_path / "空.eml").write_bytes(b"")  # a download that never finished
    (tmp_path / "表格.eml").write_bytes(sample("210922100"))  # a workbook saved under a mail name
    write_mbox(tmp_path / "乱码.mbox", [b"\x00\xff\xfe not mail at all"])
    done = run("receive", "--mail", tmp_path, "-w", workspace.root)
    assert "无法读取 3 封" in done.output and "新 0 封" in done.output, done.output
    assert MESSAGES["MAIL_EMPTY"] in done.output and MESSAGES["MAIL_NOT_MAIL"] in done.output
    assert not workspace.status().without_workbook
    mbox_headers = iter_mail_files([tmp_path / "乱码.mbox"])
    assert read_mail(RawMail("x", b"From - Mon Jan 12 2026\nSubject: a\n\nbody")).subject == "a"  # Thunderbird's
    assert len(list(mbox_headers)) == 1


def test_a_mail_dated_at_the_end_of_time_is_received_as_undated(tmp_path: Path, workspace: Workspace) -> None:
    """Year 9999 west of Greenwich is past the last date a computer can show in China's time: the whole
    receive stopped with an internal error; such a date is no date."""
    unit = "210922100"
    odd = message("彰武镇 <zwz@town.example>", "年报", [("彰武镇.xlsx", sample(unit))])
    del odd["Date"]
    odd["Date"] = "Fri, 31 Dec 9999 23:59:59 -1200"
    odd["Received"] = "from relay by mail.town.example; Fri, 31 Dec 9999 23:59:59 -1200"
    assert parse_mail(odd.as_bytes()).date is None and parse_mail(odd.as_bytes()).arrived is None
    (tmp_path / "odd.eml").write_bytes(odd.as_bytes())
    done = run("receive", "--mail", tmp_path / "odd.eml", "-w", workspace.root)
    assert done.exit_code == 0 and "内部错误" not in done.output, done.output
    assert workspace.history(unit)[1]
