"""`nianbao serve` over plain HTTP (issue #13): the pages, CSRF, the password off this computer, escaping,
downloads by number only, upload limits and zips. The browser's side is in test_web_browser.py."""

from __future__ import annotations

import html
import io
import re
import urllib.error
import urllib.request
import zipfile
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from nianbao.collection.workspace import Workspace
from nianbao.form.spec import Form
from nianbao.problems import NianbaoError, RosterError
from nianbao.web.app import Settings, create_app
from nianbao.web.server import PASSWORD_NEEDED, make_server
from nianbao.web.uploads import MAIL_NOTE, unpack
from tests.helpers.msgbuild import MsgAttachment, MsgMessage, outlook_message
from tests.helpers.web import make_round, sample, serving
from tests.helpers.workbooks import edited, write_roster
from tests.test_workspace import run

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def round_root(tmp_path_factory: pytest.TempPathFactory, form: Form) -> Path:
    return make_round(tmp_path_factory.mktemp("web"), form).root


@pytest.fixture
def client(round_root: Path) -> FlaskClient:
    return _client(create_app(Settings(round_root)))


def _client(app: Flask) -> FlaskClient:
    app.config["SERVER_NAME"] = "127.0.0.1:8765"
    return app.test_client()


def csrf(client: FlaskClient, page: str = "/upload") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(page).get_data(as_text=True))
    assert found
    return found[1]


def test_the_pages_over_a_live_server(round_root: Path) -> None:
    with serving(round_root) as url:
        board = urllib.request.urlopen(url).read().decode()
        assert "已收 <strong>23/24</strong>" in board and board.count('href="/unit/') == 24
        assert "冯家镇" in board and "待核实 1" in board and "未收到 1" in board
        filtered = urllib.request.urlopen(url + "?state=%E5%BE%85%E6%A0%B8%E5%AE%9E").read().decode()
        assert filtered.count('href="/unit/') == 1
        unit = urllib.request.urlopen(url + "unit/210922103").read().decode()
        assert "P1" in unit and "表二 主动公开" in unit and "D5" in unit and 'id="accept"' in unit
        assert urllib.request.urlopen(url + "version").read().decode().isdigit()
        for page in ("upload", "summary", "log"):
            assert "<h1>" in urllib.request.urlopen(url + page).read().decode()


def test_a_post_without_the_csrf_token_is_refused(round_root: Path, client: FlaskClient) -> None:
    before = Workspace.open(round_root).revision()
    for form in ({"rule": "P1", "note": "核实过"}, {"rule": "P1", "note": "核实过", "csrf": "forged"}):
        refused = client.post("/unit/210922103/accept", data=form)
        assert refused.status_code == 403 and "操作未执行" in refused.get_data(as_text=True)
    with serving(round_root) as url:  # the real server too: a form posted from another site carries no token
        request = urllib.request.Request(url + "summary", data=b"x=1", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused_live:
            urllib.request.urlopen(request)
        assert refused_live.value.code == 403
    assert Workspace.open(round_root).revision() == before


def test_a_decision_without_a_note_is_refused_on_the_unit_page(round_root: Path, client: FlaskClient) -> None:
    token = csrf(client)
    for action, form in (("accept", {"rule": "P1"}), ("use", {"version": "1"}), ("use", {"version": "x", "note": "n"})):
        sent = {"csrf": token, "note": " ", **form}
        done = client.post(f"/unit/210922103/{action}", data=sent)
        page = done.get_data(as_text=True)
        assert done.status_code == 422 and 'class="error"' in page and ("理由" in page or "请选择" in page), action
        assert not re.search(r"--[a-z]", page) and ("理由”一栏" in page or "请选择" in page), action
    typed = {"csrf": token, "rule": "S1", "note": "已电话核实，表三数字无误"}  # an error: never accepted
    page = client.post("/unit/210922103/accept", data=typed).get_data(as_text=True)
    assert "不能认可" in page and f">{typed['note']}</textarea>" in page  # the clerk's words kept in the form
    assert "S1" not in page and "一＋二≠三＋四" in page  # the rule by name
    assert next(u for u in Workspace.open(round_root).status().units if u.unit_id == "210922103").state == "待核实"


def test_another_host_name_is_refused_on_this_computer(client: FlaskClient) -> None:
    rebound = client.get("/", headers={"Host": "attacker.example:8765"})
    assert rebound.status_code == 400 and "只接受本机的访问" in rebound.get_data(as_text=True)


def test_off_this_computer_a_password_is_required(round_root: Path, form: Form) -> None:
    with pytest.raises(NianbaoError) as refused:
        make_server(round_root, "0.0.0.0", 0, None)
    assert str(refused.value) == PASSWORD_NEEDED
    done = run("serve", "-w", round_root, "--host", "0.0.0.0", "--port", "0")
    assert done.exit_code == 1 and "必须设置登录" in done.output and "nianbao user add" in done.output
    client = _client(create_app(Settings(round_root, password="秘密123", local=False)))
    assert client.get("/").status_code == 302 and client.get("/version").status_code == 302
    token = csrf(client, "/login")
    wrong = client.post("/login", data={"csrf": token, "name": "李四", "password": "猜"})
    assert "密码不对" in wrong.get_data(as_text=True)
    right = client.post("/login", data={"csrf": token, "name": "李四", "password": "秘密123"})
    assert right.status_code == 302
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "李四（网页）" in client.get("/").get_data(as_text=True)


def test_a_wrong_host_or_port_is_said_not_an_internal_error_nor_another_port(round_root: Path) -> None:
    for host, port, says in (
        ("127.0.0.1", 80000, "0 到 65535"),  # the server bound 80000 % 65536 = 14464 and said so
        ("nosuch.invalid", 0, "写得不对"),
        ("192.168.1.999", 0, "写得不对"),
        ("10.9.9.9", 0, "这台电脑上没有"),
    ):
        with pytest.raises(NianbaoError, match=says):
            make_server(round_root, host, port, "秘密")
    with serving(round_root) as url, pytest.raises(NianbaoError, match="已被占用"):
        make_server(round_root, "127.0.0.1", int(url.rsplit(":", 1)[1].strip("/")))


def test_a_unit_name_is_shown_as_text(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "名单.csv", [("1001", HOSTILE), ("1002", "甲镇")])
    workspace, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    client = _client(create_app(Settings(workspace.root)))
    for page in ("/", "/unit/1001", "/summary"):
        text = client.get(page).get_data(as_text=True)
        assert HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text, page


def test_a_unit_code_with_a_slash_or_quotes_is_refused_and_odd_ones_have_their_page_and_forms(tmp_path: Path) -> None:
    refused = ["A/1", "x\"y'z", "..", "%2F", "a?b#c", "甲/", "B//2"]
    roster = write_roster(tmp_path / "坏名单.csv", [(code, f"单位{i}") for i, code in enumerate(refused)])
    with pytest.raises(RosterError) as wrong:
        Workspace.create(tmp_path / "bad", roster, 2025)
    assert len(wrong.value.problems) == len(refused) and not (tmp_path / "bad").exists()
    codes = ["A-1", "_x_", "-", "B--2", "0"]
    roster = write_roster(tmp_path / "名单.csv", [(code, f"单位{i}") for i, code in enumerate(codes)])
    workspace, _ = Workspace.create(tmp_path / "ws", roster, 2025)
    client = _client(create_app(Settings(workspace.root)))
    links = re.findall(r'href="(/unit/[^"]+)"', client.get("/").get_data(as_text=True))
    assert len(links) == len(codes)
    token = csrf(client)
    for code, link in zip(codes, links, strict=True):
        page = client.get(html.unescape(link))
        assert page.status_code == 200 and f"单位{codes.index(code)}" in page.get_data(as_text=True), code
        reply = re.search(r'href="([^"]*/reply)"', page.get_data(as_text=True))
        assert reply and client.get(html.unescape(reply[1])).mimetype == "message/rfc822", code
        used = client.post(f"{html.unescape(link)}/use", data={"csrf": token, "version": "最新", "note": "n"})
        assert used.status_code == 302 and unquote(used.headers["Location"]).endswith(unquote(html.unescape(link)))


def test_downloads_only_of_files_the_workspace_holds(round_root: Path, client: FlaskClient) -> None:
    workspace = Workspace.open(round_root)
    counted = next(u.counted for u in workspace.status().units if u.counted)
    assert counted is not None
    got = client.get(f"/file/{counted.id}")
    assert got.status_code == 200 and got.data == workspace.stored_path(counted).read_bytes()
    assert counted.name in got.headers["Content-Disposition"] or "filename*" in got.headers["Content-Disposition"]
    huge = "/file/99999999999999999999999"  # more than SQLite's integers hold
    pages = ("/file/99999", "/file/99999/annotated", "/file/-1", huge, f"{huge}/annotated")
    for page in (*pages, "/summary/nianbao.sqlite", "/summary/名单.csv"):
        assert client.get(page).status_code == 404, page
    assert client.get("/unit/210922103?a=99999999999999999999&b=1").status_code == 400
    assert client.get("/summary/..%2Fnianbao.sqlite").status_code == 404
    assert client.get("/unit/不存在的镇").status_code == 400


def test_an_oversized_upload_is_refused_in_chinese(round_root: Path) -> None:
    client = _client(create_app(Settings(round_root, max_upload_bytes=1 << 20)))
    token = csrf(client)
    big = (io.BytesIO(b"0" * (2 << 20)), "大文件.xlsx")
    refused = client.post("/upload", data={"csrf": token, "files": big}, content_type="multipart/form-data")
    assert refused.status_code == 413 and "上传的内容太大" in refused.get_data(as_text=True)


def test_upload_of_a_zip_and_a_mail(tmp_path: Path, form: Form) -> None:
    workspace = make_round(tmp_path, form)
    client = _client(create_app(Settings(workspace.root)))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../逃出去/彰武镇.xlsx", sample("210922100").read_bytes())
        zf.writestr("收件/冯家镇.xlsx", sample("210922103").read_bytes())
        zf.writestr("__MACOSX/._冯家镇.xlsx", b"junk")
        zf.writestr("里面.zip", b"PK")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "hars@example.cn", "county@example.cn", "哈尔套镇年报统计表"
    mail["Message-ID"], mail["Date"] = "<1@example.cn>", "Mon, 12 Jan 2026 09:00:00 +0800"
    mail.set_content("请查收")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    maintype, subtype = xlsx.split("/")
    mail.add_attachment(sample("210922101").read_bytes(), maintype=maintype, subtype=subtype, filename="哈尔套镇.xlsx")
    outlook = outlook_message(
        MsgMessage(
            "后新秋镇年报",
            "后新秋镇",
            "hxq@example.cn",
            None,
            "<2@example.cn>",
            attachments=[MsgAttachment("后新秋镇2025年报.xlsx", data=sample("210922104").read_bytes())],
        )
    )
    files = [
        (io.BytesIO(archive.getvalue()), "表格.zip"),
        (io.BytesIO(bytes(mail)), "哈尔套镇来信.eml"),
        (io.BytesIO(outlook), "后新秋镇来信.msg"),
        (io.BytesIO(b"\xd0\xcf\x11\xe0"), "通知.msg"),
    ]
    done = client.post("/upload", data={"csrf": csrf(client), "files": files}, content_type="multipart/form-data")
    page = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "彰武镇 第 1 版：已通过" in page and "冯家镇 第 2 版：已通过" in page
    assert MAIL_NOTE in page and "压缩包中的压缩包不展开" in page
    assert "《后新秋镇年报》" in page  # an Outlook message read, its workbook byte for byte the one received before
    assert "后新秋镇2025年报.xlsx：已收到过（210922104 后新秋镇 第 1 版）" in page
    assert "通知.msg：无法读取这个 Outlook 邮件文件" in page  # … and one that is not
    assert "《哈尔套镇年报统计表》" in page and "已收到过（210922101 哈尔套镇 第 1 版）" in page  # same bytes as before
    assert not (tmp_path / "逃出去").exists() and not (workspace.root.parent / "逃出去").exists()
    assert Workspace.open(workspace.root).status().received == 24
    assert Workspace.open(workspace.root).log()[0].user.endswith("（网页）")


def test_unpack_keeps_names_out_of_paths(tmp_path: Path) -> None:
    unpacked = unpack([("C:\\Users\\x\\..\\秘密.xlsx", io.BytesIO(b"a")), ("/etc/passwd", io.BytesIO(b"b"))], tmp_path)
    assert [p.name for p in unpacked.files] == ["秘密.xlsx", "passwd"]
    assert all(p.parent.parent == tmp_path for p in unpacked.files)
    broken = unpack([("坏.zip", io.BytesIO(b"not a zip"))], tmp_path / "b")
    assert not broken.files and "压缩包已损坏" in broken.refused[0].reason
    mailbox = unpack([("收件箱.mbox", io.BytesIO(b"From a@b Mon Jan 12 09:30:00 2026\n\n"))], tmp_path / "c")
    assert not mailbox.files and not mailbox.mails and "单封邮件（.eml）" in mailbox.refused[0].reason
    assert not re.search(r"--[a-z]", mailbox.refused[0].reason)  # the page names no option


def test_the_unit_page_offers_the_reply_draft(round_root: Path, client: FlaskClient) -> None:
    workspace = Workspace.open(round_root)
    states = {u.unit_name: u for u in workspace.status().units}
    unexplained, missing, passed = states["冯家镇"], states["彰武镇"], states["哈尔套镇"]
    page = client.get(f"/unit/{unexplained.unit_id}").get_data(as_text=True)
    assert "下载回复草稿" in page and "下载回复草稿" not in client.get(f"/unit/{passed.unit_id}").get_data(as_text=True)
    got = client.get(f"/unit/{unexplained.unit_id}/reply")
    assert got.status_code == 200 and got.mimetype == "message/rfc822"
    mail = message_from_bytes(got.data, policy=policy.default)
    assert isinstance(mail, EmailMessage) and "审核意见" in mail["Subject"]
    assert str(next(mail.iter_attachments()).get_filename()).endswith("_问题标注.xlsx")
    reminder = message_from_bytes(client.get(f"/unit/{missing.unit_id}/reply").data, policy=policy.default)
    assert "彰武镇" in reminder["Subject"] and len(list(reminder.iter_attachments())) == 1
    assert client.get(f"/unit/{passed.unit_id}/reply").status_code == 302  # back to the page: nothing to reply
    assert "审核意见（答复第 1 版）：草稿" in client.get(f"/unit/{unexplained.unit_id}").get_data(as_text=True)
    assert any(e.action == "reply" and "（网页）" in e.user for e in workspace.log())


def test_a_workspace_given_as_a_relative_folder_serves_its_files(
    round_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(round_root.parent)
    client = _client(create_app(Settings(Path(round_root.name))))  # as `nianbao serve -w ws` gives it
    counted = next(u.counted for u in Workspace.open(round_root).status().units if u.counted)
    assert counted is not None and client.get(f"/file/{counted.id}").status_code == 200


def test_the_clerk_sends_a_version_back_from_its_page_and_takes_it_back(tmp_path: Path, form: Form) -> None:
    root = make_round(tmp_path, form).root
    client = _client(create_app(Settings(root)))
    token = csrf(client, "/unit/210922105")
    page = client.get("/unit/210922105").get_data(as_text=True)
    assert 'id="reject"' in page and "退回第 1 版" in page
    why = f"表三数字与台账不符 {HOSTILE}"
    done = client.post("/unit/210922105/reject", data={"csrf": token, "note": why}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "已退回第 1 版" in page and "审核退回：表三数字与台账不符" in page and "撤销退回" in page
    assert HOSTILE not in page and html.escape(HOSTILE) in page  # the clerk's words are text on the page
    assert Workspace.open(root).state_of("210922105").state == "有错误"
    empty = client.post("/unit/210922105/reject", data={"csrf": token, "note": " ", "undo": "1"}, follow_redirects=True)
    assert 'class="error"' in empty.get_data(as_text=True)
    undone = {"csrf": token, "note": "电话核实无误", "undo": "1"}
    assert "已撤销 1 次退回" in client.post("/unit/210922105/reject", data=undone, follow_redirects=True).get_data(
        as_text=True
    )
    assert Workspace.open(root).state_of("210922105").state == "已通过"


def test_a_rejection_posted_from_a_stale_page_or_twice_sends_back_only_what_the_clerk_saw(
    tmp_path: Path, form: Form
) -> None:
    workspace = make_round(tmp_path, form)
    client = _client(create_app(Settings(workspace.root)))
    token = csrf(client, "/unit/210922105")
    page = client.get("/unit/210922105").get_data(as_text=True)
    assert 'name="version" value="1"' in page  # the form says which version the clerk is sending back
    why = {"csrf": token, "note": "表三数字与台账不符", "version": "1"}
    client.post("/unit/210922105/reject", data=why)
    client.post("/unit/210922105/reject", data=why)  # the button pressed twice, or the page posted again
    assert [r.note for r in workspace.state_of("210922105").rejections] == ["表三数字与台账不符"]

    counted = workspace.state_of("210922105").counted
    assert counted is not None
    newer = tmp_path / "新的一版.xlsx"  # the unit's correction comes while the page is open
    newer.write_bytes(edited(workspace.stored_path(counted).read_bytes(), lambda wb: None))
    workspace.receive([newer])
    stale = client.post("/unit/210922105/reject", data={**why, "note": "另一个问题"}, follow_redirects=True)
    assert "第 2 版" in stale.get_data(as_text=True) and 'class="error"' in stale.get_data(as_text=True)
    assert workspace.state_of("210922105").rejections == []  # the version the clerk has not seen is not sent back


def test_the_board_hands_on_the_status_as_a_workbook(client: FlaskClient) -> None:
    assert 'id="status-sheet"' in client.get("/").get_data(as_text=True)
    answer = client.get("/status.xlsx")
    assert answer.status_code == 200 and "报送情况" in unquote(answer.headers["Content-Disposition"])
    title, _, *rows = list(openpyxl.load_workbook(io.BytesIO(answer.get_data())).active.iter_rows(values_only=True))
    assert "报送情况表" in str(title[0]) and len(rows) == 25 and rows[0][3] == "状态"
    assert {row[3] for row in rows[1:]} == {"已通过", "待核实", "未收到"}


def test_the_clerk_grants_a_later_deadline_from_the_unit_page(tmp_path: Path, form: Form) -> None:
    root = make_round(tmp_path, form).root
    client = _client(create_app(Settings(root)))
    token = csrf(client, "/unit/210922100")
    assert 'id="extend"' in client.get("/unit/210922100").get_data(as_text=True)
    wrong = {"csrf": token, "until": "2026-13-40", "note": "镇长出差"}
    assert "无法识别" in client.post("/unit/210922100/extend", data=wrong, follow_redirects=True).get_data(as_text=True)
    granted = {"csrf": token, "until": "2026-01-31", "note": "镇长出差"}
    page = client.post("/unit/210922100/extend", data=granted, follow_redirects=True).get_data(as_text=True)
    assert "延期至 2026-01-31" in page and "取消延期" in page
    assert "延期至 2026-01-31" in client.get("/").get_data(as_text=True)
    assert Workspace.open(root).state_of("210922100").extended is not None
