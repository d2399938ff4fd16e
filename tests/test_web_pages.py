"""The page runs the whole round (issue #23), over HTTP: no rule code or option name on any page of the demo
round; a web upload answered at the unit's roster address, never at the colleague who uploaded it; upload results
that lead to the unit, an empty upload said and not logged, junk set aside with a note; the settings; the mailbox
read from the page; the log naming units; the summary's latest marked; the board of 5,000 units in under half a
second. The browser's side is in test_web_reminders.py."""

from __future__ import annotations

import csv
import io
import re
import statistics
import time
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from nianbao.collection.workspace import HAS_ERRORS, Workspace
from nianbao.form.spec import Form
from nianbao.operations.demo import ROUND, run_demo
from nianbao.problems import MESSAGES
from nianbao.web.app import Settings, create_app
from nianbao.web.overview import FILTERS, SORTS
from tests.helpers.mailbuild import message
from tests.helpers.mailservers import PASSWORD, Dovecot, dovecot  # noqa: F401 (the fixture)
from tests.helpers.web import contact, make_contacts_round, make_round, sample
from tests.helpers.workbooks import edited, put

UPLOAD = "multipart/form-data"


def _client(root: Path) -> FlaskClient:
    app = create_app(Settings(root))
    app.config["SERVER_NAME"] = "127.0.0.1:8765"
    return app.test_client()


def _token(client: FlaskClient, page: str = "/") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(page).get_data(as_text=True))
    assert found
    return found[1]


class _Text(HTMLParser):
    """What a page shows: its text, and the words shown on hovering or in an empty field."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style")
        self.parts += [v or "" for k, v in attrs if k in ("title", "placeholder", "aria-label", "alt")]

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def shown_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(parser.parts)


def _typo(code: str, form: Form) -> bytes:
    return edited(sample(code).read_bytes(), lambda wb: put(wb, form, {"T3.R01.C1": "5件"}))


def test_no_rule_code_or_option_name_appears_on_any_page(tmp_path: Path, form: Form) -> None:
    root = tmp_path / "demo" / ROUND
    run_demo(tmp_path / "demo")
    client = _client(root)
    workspace = Workspace.open(root)
    codes = {r.id for r in form.rules} | form.review.ids | set(MESSAGES)
    internal = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(codes, key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
    option = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
    pages: dict[str, str] = {}

    def seen(name: str, answer: object) -> None:
        pages[name] = answer.get_data(as_text=True)  # type: ignore[attr-defined]

    for address in ("/", "/upload", "/summary", "/log", "/settings"):
        seen(address, client.get(address))
    for shown in FILTERS:
        seen(f"/?state={shown}", client.get("/", query_string={"state": shown}))
    for key in SORTS:
        seen(f"/?sort={key}", client.get("/", query_string={"sort": key, "desc": "1"}))
    for unit in workspace.units:
        seen(f"/unit/{unit.unit_id}", client.get(f"/unit/{unit.unit_id}"))
    token = _token(client)
    refused = {"csrf": token, "rule": "S1", "note": "已核实"}  # an error: refused, in words
    seen("accept S1", client.post("/unit/210922101/accept", data=refused))
    seen("accept nothing", client.post("/unit/210922102/accept", data={**refused, "rule": "P1"}))
    files = [
        (io.BytesIO(_typo("210922105", form)), "东六家子镇.xlsx"),
        (io.BytesIO(b"\x00" * 10), "五峰镇_2025年报.et"),
        (io.BytesIO(b"hello"), "说明.txt"),
        (io.BytesIO(b"From a@b Mon Jan 12 09:30:00 2026\n\n"), "收件箱.mbox"),
    ]
    seen("upload", client.post("/upload", data={"csrf": token, "files": files}, content_type=UPLOAD))
    seen("upload nothing", client.post("/upload", data={"csrf": token}, content_type=UPLOAD))
    seen("partial summary", client.post("/summary", data={"csrf": token, "partial": "1"}))
    seen("settings refused", client.post("/settings", data={"csrf": token, "sender": "不是邮箱", "remind_every": "0"}))
    client.post("/replies", data={"csrf": token, "scope": "missing", "do": "zip"})
    client.post("/replies", data={"csrf": token, "scope": "missing", "do": "sent"})
    for address in ("/", "/log", "/unit/210922101", "/unit/210922102", "/unit/210922114"):
        seen(f"{address} after", client.get(address))
    assert len(pages) > 40
    for name, page in pages.items():
        text = shown_text(page)
        assert not internal.findall(text), (name, internal.findall(text))
        assert not option.findall(text), (name, option.findall(text))
    assert "规章一般应为 0" in shown_text(pages["/unit/210922103"])  # the rule by its name
    assert "退回" in MESSAGES["REJECTED"]


def test_a_web_upload_is_answered_at_the_roster_address_never_the_colleague(tmp_path: Path, form: Form) -> None:
    workspace = make_contacts_round(tmp_path)
    client = _client(workspace.root)
    token = _token(client)
    files = [(io.BytesIO(_typo(code, form)), f"{code}.xlsx") for code in ("210922100", "210922101")]
    assert client.post("/upload", data={"csrf": token, "files": files}, content_type=UPLOAD).status_code == 200
    for code in ("210922100", "210922101"):
        state = workspace.state_of(code)
        assert state.state == HAS_ERRORS and state.counted is not None
        assert state.counted.sender == "" and state.counted.source.startswith("网页上传（")
        draft = message_from_bytes(client.get(f"/unit/{code}/reply").data, policy=policy.default)
        assert str(draft.get("To", "")) == contact(code)[2]  # 彰武镇 has no address: nobody, not the clerk
    page = shown_text(client.get("/unit/210922100").get_data(as_text=True))
    assert contact("210922100")[1] in page and "草稿没有收件人" in page
    # A version recorded before with the colleague as its sender (as the page used to): answered at nobody.
    older = Workspace.open(workspace.root, user="张三（网页）")
    older.receive([sample("210922102")], source="网页上传", sender="张三（网页）")
    older.reject("210922102", "表三与台账不符")
    draft = message_from_bytes(client.get("/unit/210922102/reply").data, policy=policy.default)
    assert str(draft["To"]) == contact("210922102")[2] and "张三" not in str(draft["To"])


def test_upload_results_lead_to_the_unit_and_junk_is_set_aside(tmp_path: Path, form: Form) -> None:
    workspace = make_round(tmp_path, form)
    client = _client(workspace.root)
    token = _token(client)
    before = workspace.revision()
    empty = client.post("/upload", data={"csrf": token}, content_type=UPLOAD)
    assert empty.status_code == 422 and '<p class="error"' in empty.get_data(as_text=True)
    assert "没有选择文件" in empty.get_data(as_text=True) and workspace.revision() == before  # nothing logged
    files = [
        (io.BytesIO(_typo("210922101", form)), "哈尔套镇.xlsx"),
        (io.BytesIO(b"\x00" * 10), "五峰镇_2025年报.et"),
        (io.BytesIO(b"hello"), "说明.txt"),
    ]
    page = client.post("/upload", data={"csrf": token, "files": files}, content_type=UPLOAD).get_data(as_text=True)
    typo = page[page.index("哈尔套镇.xlsx") :].split("</li>")[0]
    assert "填的是“5件”" in typo and 'href="/unit/210922101"' in typo and 'href="/unit/210922101/reply"' in typo
    wps = page[page.index("五峰镇_2025年报.et") :].split("</li>")[0]
    assert "另存为 .xlsx" in wps and 'href="/unit/210922102"' in wps  # listed under the unit its name names
    board = client.get("/").get_data(as_text=True)
    assert "文件名像是" in board and "另有 1 个文件未能读取" in board
    assert "五峰镇_2025年报.et" in client.get("/unit/210922102").get_data(as_text=True)
    junk = next(v for v in workspace.status().unidentified if v.name == "说明.txt")
    refused = client.post("/dismiss", data={"csrf": token, "kind": "file", "ref": str(junk.id), "note": " "})
    assert "理由" in client.get(refused.headers["Location"]).get_data(as_text=True)
    done = {"csrf": token, "kind": "file", "ref": str(junk.id), "note": "误传的说明文件"}
    board = client.post("/dismiss", data=done, follow_redirects=True).get_data(as_text=True)
    assert "已搁置：说明.txt" in board and f'href="/file/{junk.id}"' not in board
    assert "误传的说明文件" in client.get("/log").get_data(as_text=True)
    wrong = {"csrf": token, "kind": "file", "ref": "²", "note": "n"}
    assert 'class="error"' in client.post("/dismiss", data=wrong, follow_redirects=True).get_data(as_text=True)


def test_the_settings_page_keeps_no_password_and_what_was_typed(tmp_path: Path, form: Form) -> None:
    workspace = make_round(tmp_path, form)
    client = _client(workspace.root)
    token = _token(client, "/settings")
    wrong = {"csrf": token, "sender": "县政务公开办 <xxgk@county.example>", "smtp": "smtps://u:secret@smtp.example"}
    refused = client.post("/settings", data=wrong)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "不要写密码" in page and 'value="smtps://u:secret@smtp.example"' in page
    assert workspace.settings.smtp == "" and workspace.settings.sender == ""  # nothing kept
    right = {**wrong, "smtp": "smtps://xxgk@county.example@smtp.example", "imap": "imaps://xxgk@imap.example/INBOX"}
    page = client.post("/settings", data=right, follow_redirects=True).get_data(as_text=True)
    assert "已修改发信服务器" in page and "已修改收信邮箱" in page
    settings = Workspace.open(workspace.root).settings
    assert settings.smtp == right["smtp"] and settings.imap == right["imap"] and settings.sender.endswith(">")
    days = client.post("/settings", data={**right, "remind_every": "0"})
    assert days.status_code == 422 and "催报间隔天数" in days.get_data(as_text=True)
    assert "修改设置" in client.get("/log").get_data(as_text=True)
    board = client.get("/").get_data(as_text=True)
    assert 'id="bulk-send"' in board and 'type="password"' in board  # now the board can send


def test_the_mailbox_is_read_from_the_page(tmp_path: Path, form: Form, dovecot: Dovecot) -> None:  # noqa: F811
    workspace = make_round(tmp_path, form)
    workspace.change_settings(imap=dovecot.url())
    dovecot.append(
        message("彰武镇 <zwz@town.example>", "年报", [("彰武镇.xlsx", sample("210922100").read_bytes())]).as_bytes()
    )
    client = _client(workspace.root)
    token = _token(client, "/upload")
    assert 'id="imap"' in client.get("/upload").get_data(as_text=True)
    wrong = client.post("/upload/mail", data={"csrf": token, "password": "猜的"}, follow_redirects=True)
    assert "未能收取邮箱" in wrong.get_data(as_text=True) and workspace.status().received == 23
    page = client.post("/upload/mail", data={"csrf": token, "password": PASSWORD}).get_data(as_text=True)
    assert "《年报》" in page and "彰武镇 第 1 版" in page and 'href="/unit/210922100"' in page
    assert workspace.status().received == 24
    again = client.post("/upload/mail", data={"csrf": token, "password": PASSWORD}, follow_redirects=True)
    assert "没有新的邮件" in again.get_data(as_text=True)
    assert PASSWORD not in (workspace.root / "nianbao.sqlite").read_bytes().decode("utf-8", "replace")


def test_the_log_names_units_and_what_was_done_to_whom(tmp_path: Path, form: Form) -> None:
    workspace = make_round(tmp_path, form)
    client = _client(workspace.root)
    token = _token(client)
    client.post("/unit/210922103/accept", data={"csrf": token, "rule": "P1", "note": "已电话核实"})
    client.post("/replies", data={"csrf": token, "scope": "missing", "do": "zip"})
    log = shown_text(client.get("/log").get_data(as_text=True))
    assert "认可警告：冯家镇（210922103） 第 1 版“规章一般应为 0”" in log
    assert "写回复草稿：彰武镇（210922100）（1 份）" in log


def test_the_summary_marks_the_preliminary_and_the_latest_final(tmp_path: Path, form: Form) -> None:
    workspace = make_round(tmp_path, form)
    client = _client(workspace.root)
    token = _token(client, "/summary")
    page = client.post("/summary", data={"csrf": token, "partial": "1"}).get_data(as_text=True)
    (made,) = re.findall(r'<p class="flash" id="made">已生成：<a href="[^"]+">([^<]+)</a></p>', page)
    assert "不完整（22／24）" in made and made.endswith(".xlsx")  # no report of a preliminary summary
    assert client.get(f"/summary/{made}").status_code == 200
    workspace.receive([sample("210922100")])
    workspace.accept("210922103", "已电话核实")
    client.post("/summary", data={"csrf": token})
    time.sleep(1.1)  # a later moment: another file name
    page = client.post("/summary", data={"csrf": token}).get_data(as_text=True)
    listed = page[page.index('id="outputs"') :]
    items = re.findall(r"<li[^>]*>(.*?)</li>", listed, re.S)
    assert len(items) == 3 and "最新的正式汇总" in items[0] and ".docx" in items[0] and "较早的" in items[1]
    assert "不完整" in items[2] and "最新" not in items[1] + items[2]


def test_the_board_of_5000_units_answers_in_half_a_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nianbao.operations.generate as generate

    monkeypatch.setattr(generate, "generate", lambda *_, **__: None)  # no blank workbooks: not what is timed
    roster = tmp_path / "名单.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["单位编码", "单位名称", "联系人", "联系电话", "邮箱"])
        towns = [("210922100", "彰武镇"), ("210922101", "哈尔套镇"), ("210922102", "五峰镇")]
        units = [*towns, *((f"U{i:05d}", f"测试县第{i}乡镇") for i in range(5000 - len(towns)))]
        writer.writerows(
            [code, name, f"联系人{i}", f"0418-{i:07d}", f"u{i}@town.example"] for i, (code, name) in enumerate(units)
        )
    (tmp_path / "ws").mkdir()
    workspace, _ = Workspace.create(tmp_path / "ws", roster, 2025, deadline="2026-01-20")
    workspace.receive([sample(code) for code, _ in towns])
    client = _client(workspace.root)
    times = {}
    for address in ("/", "/?sort=state&desc=1", "/?q=%E4%BA%94%E5%B3%B0"):
        client.get(address)  # the template loaded, the status kept (as a clerk meets it)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            answer = client.get(address)
            runs.append(time.perf_counter() - start)
            assert answer.status_code == 200
        times[address] = statistics.median(runs)
    print({a: f"{t:.3f} s" for a, t in times.items()})
    assert answer.get_data(as_text=True).count('class="name"') == 1  # the search found 五峰镇
    assert max(times.values()) < 0.5, times


def _contrast(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_text_colour_meets_the_aa_contrast() -> None:
    """WCAG AA (4.5:1) for every text colour of the style sheet on every light background it uses; white on the
    header's blue and on the red of 迟交 and 逾期未报."""
    import nianbao.web

    css = (Path(nianbao.web.__file__).parent / "static" / "nianbao.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-f]{6})", css))
    screen = css.split("@media")[0]
    backgrounds = set(re.findall(r"background:\s*(#[0-9a-f]{6})", screen)) | {colours["page"], "#ffffff"}
    light = {b for b in backgrounds if _contrast(b, "#000000") > 10}  # those dark text is written on
    assert len(light) >= 6
    for name in ("ink", "muted", "grey", "red", "amber", "green", "link"):
        for background in light:
            assert _contrast(colours[name], background) >= 4.5, (name, background)
    assert _contrast("#ffffff", colours["blue"]) >= 4.5 and _contrast("#ffffff", colours["red"]) >= 4.5
    assert _contrast("#777777", "#ffffff") < 4.5  # the grey 未收到 was once, for the record
