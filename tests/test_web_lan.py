"""`nianbao serve` on the office network (issue #21): colleagues by name with their own passwords, failed logins
throttled without a request thread waiting, sessions kept on the server (logging out ends them), the security
headers, one acceptance for simultaneous 认可, numbers in forms in ASCII digits only."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from nianbao.cli import main
from nianbao.collection.layout import SUMMARY_DIR
from nianbao.collection.workspace import Workspace
from nianbao.form.spec import Form
from nianbao.web.app import HEADERS, Settings, create_app
from nianbao.web.throttle import CHECKING, FIRST_LOCK, LONGEST_LOCK, MOST_FAILURES, Throttle
from tests.helpers.web import UNEXPLAINED, make_round, serving
from tests.test_web import _client, csrf

PASSWORD = "张三的密码123"


@pytest.fixture
def root(tmp_path: Path, form: Form, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A round with one colleague, 张三, added on the command line as a script adds one."""
    root = make_round(tmp_path, form).root
    monkeypatch.setenv("NIANBAO_WEB_PASSWORD", PASSWORD)
    added = run("user", "add", "张三", "-w", root)
    assert added.exit_code == 0 and "已添加同事：张三" in added.output
    monkeypatch.delenv("NIANBAO_WEB_PASSWORD")
    return root


def run(*args: object, typed: str | None = None) -> Result:
    """A command, with what is typed on the terminal."""
    result = CliRunner().invoke(main, [str(a) for a in args], input=typed)
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def log_in(client: FlaskClient, name: str = "张三", password: str = PASSWORD) -> int:
    return client.post("/login", data={"csrf": csrf(client, "/login"), "name": name, "password": password}).status_code


def test_colleagues_log_in_by_name_and_the_log_names_them(root: Path, tmp_path: Path) -> None:
    listed = run("user", "list", "-w", root)
    assert "张三" in listed.output and "登录中 0 处" in listed.output
    for kept in root.glob("nianbao.sqlite*"):  # the record keeps a hash: the password is in no file
        assert PASSWORD.encode() not in kept.read_bytes()
    assert run("user", "add", "李四", "-w", root, typed="短\n").exit_code == 1  # too short, asked on the terminal
    typed = run("user", "add", "李四", "-w", root, typed="李四的密码abc\n李四的密码abc\n")
    assert typed.exit_code == 0 and "李四的密码abc" not in typed.output
    differ = run("user", "password", "李四", "-w", root, typed="新密码12345\n新密码54321\n")
    assert differ.exit_code == 1 and "两次输入的密码不一样" in differ.output
    assert "已有名为“张三”的同事" in run("user", "add", "张三", "-w", root).output
    assert "现有：张三、李四" in run("user", "remove", "王五", "-w", root).output

    # Bound to this computer and given a shared password: colleagues log in all the same, the password is not theirs.
    client = _client(create_app(Settings(root, password="共用的密码")))
    assert client.get("/").status_code == 302
    assert 'autocomplete="username"' in client.get("/login").get_data(as_text=True)
    wrong = client.post("/login", data={"csrf": csrf(client, "/login"), "name": "张三", "password": "共用的密码"})
    assert "姓名或密码不对" in wrong.get_data(as_text=True)
    assert log_in(client, "无此人", PASSWORD) == 200  # a name nobody has: refused like a wrong password
    assert log_in(client) == 302
    assert "张三（网页）" in client.get("/").get_data(as_text=True)
    note = {"csrf": csrf(client, f"/unit/{UNEXPLAINED}"), "rule": "P1", "note": "已电话核实"}
    assert "已认可 1 个警告" in client.post(f"/unit/{UNEXPLAINED}/accept", data=note, follow_redirects=True).get_data(
        as_text=True
    )
    log = Workspace.open(root).log()
    assert (log[0].action, log[0].user) == ("accept", "张三（网页）")
    assert [(e.action, e.user, e.detail["address"]) for e in log if e.action == "login"] == [
        ("login", "张三（网页）", "127.0.0.1")
    ]
    failed = [e for e in log if e.action == "login_failed"]
    assert [e.detail["name"] for e in failed] == ["无此人", "张三"]
    assert {e.user for e in failed} == {"未登录的访问（网页）"}
    assert not any(PASSWORD in str(e.detail) or "共用的密码" in str(e.detail) for e in log)
    assert "登录失败：来自 127.0.0.1，姓名“张三”" in client.get("/log").get_data(as_text=True)
    assert "添加同事：张三" in run("log", "-w", root).output


def test_logging_out_a_new_password_or_a_removal_ends_the_session(root: Path, tmp_path: Path) -> None:
    client = _client(create_app(Settings(root)))
    assert log_in(client) == 302
    cookie = client.get_cookie("nianbao_session", domain="127.0.0.1")
    assert cookie is not None and re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie.value)  # a token, nothing else
    client.post("/logout", data={"csrf": csrf(client, "/")})
    stolen = _client(create_app(Settings(root)))  # the old cookie, kept by someone, opens nothing any more
    stolen.set_cookie("nianbao_session", cookie.value, domain="127.0.0.1")
    assert stolen.get("/").status_code == 302 and client.get("/").status_code == 302

    # A new password, a removal: the colleague's sessions end (made by the command line, another process).
    client = _client(create_app(Settings(root, password="共用的密码")))
    for command, password in ((("user", "password", "张三"), PASSWORD), (("user", "remove", "张三"), "另一个密码123")):
        assert log_in(client, "张三", password) == 302 and client.get("/").status_code == 200
        done = run(*command, "-w", root, typed="另一个密码123\n另一个密码123\n")
        assert done.exit_code == 0 and "已退出其 1 处登录" in done.output, done.output
        assert client.get("/").status_code == 302
    # No colleague left: the shared password again, with the name one gives.
    assert log_in(client, "李四", "共用的密码") == 302 and "李四（网页）" in client.get("/").get_data(as_text=True)
    assert run("user", "add", "王五", "-w", root, typed="王五的密码123\n王五的密码123\n").exit_code == 0
    assert client.get("/").status_code == 302  # a colleague added: the shared password's sessions are over
    assert run("user", "remove", "王五", "-w", root).exit_code == 0
    # No colleague left, bound to the network without a shared password: nobody gets in, said in words.
    closed = _client(create_app(Settings(root, local=False)))
    refused = closed.get("/")
    assert refused.status_code == 403 and "nianbao user add" in refused.get_data(as_text=True)


def test_failed_logins_lock_the_address_out_at_once_and_are_logged(root: Path) -> None:
    now = [1000.0]
    app = create_app(Settings(root))
    app.extensions["nianbao_throttle"] = Throttle(lambda: now[0])
    client = _client(app)
    token = csrf(client, "/login")
    answers = [
        client.post("/login", data={"csrf": token, "name": "张三", "password": f"猜{i}"}) for i in range(MOST_FAILURES)
    ]
    assert [a.status_code for a in answers] == [200] * (MOST_FAILURES - 1) + [429]
    started = time.monotonic()
    refused = client.post("/login", data={"csrf": token, "name": "张三", "password": PASSWORD})  # right, not checked
    assert time.monotonic() - started < 0.2  # answered at once: no sleep, no hash
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "登录失败的次数太多" in page and "分钟后" in page
    assert refused.headers["Retry-After"] == str(FIRST_LOCK)
    assert client.get("/login").status_code == 200  # the login page itself answers
    failed = [e for e in Workspace.open(root).log() if e.action == "login_failed"]
    assert len(failed) == MOST_FAILURES and {e.detail["address"] for e in failed} == {"127.0.0.1"}
    assert failed[0].detail["locked_seconds"] == FIRST_LOCK  # the newest: the one that locked it
    now[0] += FIRST_LOCK + 1
    throttle: Throttle = app.extensions["nianbao_throttle"]
    for _ in range(CHECKING):  # every checker busy (guesses from many addresses): asked to try again, not counted
        throttle.checking.acquire()
    busy = client.post("/login", data={"csrf": token, "name": "张三", "password": PASSWORD})
    assert busy.status_code == 503 and "请过几秒" in busy.get_data(as_text=True)
    for _ in range(CHECKING):
        throttle.checking.release()
    assert log_in(client) == 302 and client.get("/").status_code == 200
    assert len([e for e in Workspace.open(root).log() if e.action == "login_failed"]) == MOST_FAILURES


def test_lockouts_grow_from_a_minute_to_a_quarter_hour() -> None:
    now = [0.0]
    throttle = Throttle(lambda: now[0])
    keys = ["地址 10.0.0.9"]
    lockouts = []
    for _ in range(6):
        for _ in range(MOST_FAILURES):
            assert throttle.begin(keys) == 0
            locked = throttle.end(keys, succeeded=False)
        lockouts.append(locked)
        assert throttle.begin(keys) == locked
        now[0] += locked
    assert lockouts == [60, 120, 240, 480, LONGEST_LOCK, LONGEST_LOCK]
    burst = Throttle(lambda: now[0])  # simultaneous attempts: counted before checking, so only five are checked
    assert sum(burst.begin(keys) == 0 for _ in range(64)) == MOST_FAILURES
    assert burst.begin(["姓名 别人"]) == 0  # another name from another address: not held up


def test_64_simultaneous_wrong_passwords_leave_the_board_quick(root: Path) -> None:
    with serving(root, host="127.0.0.1") as url:
        colleague = _opener()
        _live_login(colleague, url, "张三", PASSWORD)
        assert "张三（网页）" in colleague.open(url).read().decode()
        stop, codes = threading.Event(), []

        def guess(number: int) -> None:
            guesser = _opener()
            token = _token(guesser.open(url + "login").read().decode())
            while not stop.is_set():
                codes.append(_post(guesser, url + "login", {"csrf": token, "name": "张三", "password": f"猜{number}"}))

        guessers = [threading.Thread(target=guess, args=(i,), daemon=True) for i in range(64)]
        for thread in guessers:
            thread.start()
        board = []
        end = time.monotonic() + 3
        while time.monotonic() < end:
            board.append(_timed(lambda: colleague.open(url).read()))
            time.sleep(0.05)
        stop.set()
        for thread in guessers:
            thread.join(10)
    checked = [e for e in Workspace.open(root).log() if e.action == "login_failed"]
    print(f"board: {len(board)} loads, slowest {max(board):.3f} s; {len(codes)} guesses, {codes.count(429)} refused")
    assert len(checked) == MOST_FAILURES and codes.count(200) == MOST_FAILURES - 1  # the fifth is told it is locked
    assert set(codes) <= {200, 429, 503} and codes.count(429) > 100  # 503: the checkers were busy, try again
    assert max(board) < 0.5


def test_every_answer_carries_the_security_headers_and_downloads_are_not_stored(root: Path) -> None:
    client = _client(create_app(Settings(root)))
    login = client.get("/login")
    assert all(login.headers[k] == v for k, v in HEADERS.items()) and login.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in HEADERS["Content-Security-Policy"]
    assert "<script>" not in login.get_data(as_text=True) and " style=" not in login.get_data(as_text=True)
    log_in(client)
    counted = next(u.counted for u in Workspace.open(root).status().units if u.counted)
    assert counted is not None
    (root / SUMMARY_DIR).mkdir(exist_ok=True)
    (root / SUMMARY_DIR / "汇总.html").write_text("<p>汇总</p>", encoding="utf-8")
    pages = ["/", f"/unit/{UNEXPLAINED}", f"/file/{counted.id}", f"/file/{counted.id}/annotated", "/status.xlsx"]
    for page in [*pages, f"/unit/{UNEXPLAINED}/reply", "/summary/汇总.html", "/version", "/nowhere"]:
        answer = client.get(page)
        assert answer.headers["Cache-Control"] == "no-store", page
        assert all(answer.headers[k] == v for k, v in HEADERS.items()), page
    style = client.get("/static/nianbao.css")
    assert style.headers["X-Content-Type-Options"] == "nosniff" and "no-store" not in style.headers["Cache-Control"]


def test_three_simultaneous_acceptances_are_recorded_once(root: Path) -> None:
    with serving(root) as url:
        opener = _opener()
        _live_login(opener, url, "张三", PASSWORD)
        token = _token(opener.open(url + f"unit/{UNEXPLAINED}").read().decode())
        start = threading.Barrier(3)

        def press() -> None:
            start.wait()
            _post(opener, url + f"unit/{UNEXPLAINED}/accept", {"csrf": token, "rule": "P1", "note": "已电话核实"})

        clicks = [threading.Thread(target=press) for _ in range(3)]
        for thread in clicks:
            thread.start()
        for thread in clicks:
            thread.join(30)
        page = opener.open(url + f"unit/{UNEXPLAINED}").read().decode()
    workspace = Workspace.open(root)
    assert len(workspace.acceptances(UNEXPLAINED)) == 1
    assert [e.action for e in workspace.log()].count("accept") == 1
    assert "已通过" in page
    assert workspace.accept(UNEXPLAINED, "再认可一次", "P1") == []  # the library: nothing new, nothing recorded
    assert len(workspace.acceptances(UNEXPLAINED)) == 1


def test_numbers_in_forms_and_addresses_are_ascii_digits(root: Path) -> None:
    client = _client(create_app(Settings(root)))
    log_in(client)
    token = csrf(client, f"/unit/{UNEXPLAINED}")
    for action in ("use", "reject"):
        for version in ("²", "١", "1_0", " 1"):
            done = client.post(
                f"/unit/{UNEXPLAINED}/{action}",
                data={"csrf": token, "version": version, "note": "n"},
                follow_redirects=True,
            )
            assert done.status_code == 422 and 'class="error"' in done.get_data(as_text=True), (action, version)
    assert Workspace.open(root).state_of(UNEXPLAINED).rejections == []
    for query in ("a=²&b=1", "a=1&b=١", "a=1&b=99999999999999999999"):
        assert client.get(f"/unit/{UNEXPLAINED}?{query}").status_code == 400, query
    for page in ("/file/²", "/file/١", "/file/1_0", "/file/%C2%B2/annotated"):
        assert client.get(page).status_code == 404, page


# -- a browser of sorts, for the live server -------------------------------------------------------------


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def _token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found[1]


def _post(opener: urllib.request.OpenerDirector, url: str, form: dict[str, str]) -> int:
    try:
        return int(opener.open(url, urllib.parse.urlencode(form).encode(), timeout=30).status)
    except urllib.error.HTTPError as refused:
        return refused.code


def _live_login(opener: urllib.request.OpenerDirector, url: str, name: str, password: str) -> None:
    token = _token(opener.open(url + "login").read().decode())
    assert _post(opener, url + "login", {"csrf": token, "name": name, "password": password}) == 200


def _timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started
