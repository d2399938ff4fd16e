"""Hostile mail, changed files, a connection cut after the data (issue #21): nothing stops the round, nothing
unreviewed is summed, no reply goes out twice. Real programs: the command line in a process of its own (its
peak memory measured), Dovecot for IMAP, a socket server that drops the connection, the upload page."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nianbao.cli import main
from nianbao.collection.workspace import HAS_ERRORS, PASSED, Workspace
from nianbao.web.app import Settings, create_app
from tests.helpers.mailbuild import message
from tests.helpers.mailservers import PASSWORD, Dovecot, dovecot  # noqa: F401 (the fixture)
from tests.test_workspace import ROSTER, sample

GOOD = ("210922100", "210922101")  # two townships whose returns come in the same batch as the hostile mail
HEAD = b"From: <x@outside.example>\r\nTo: <nianbao@county.example>\r\nMIME-Version: 1.0\r\n"


def deep(levels: int) -> bytes:
    """Multipart nested ``levels`` deep (the parser would recurse past Python's limit)."""
    body = [HEAD, b"Subject: deep\r\nMessage-ID: <deep@outside.example>\r\n"]
    body.append(b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n')
    for i in range(1, levels):
        body.append(f'--b{i - 1}\r\nContent-Type: multipart/mixed; boundary="b{i}"\r\n\r\n'.encode())
    body.append(f"--b{levels - 1}\r\nContent-Type: text/plain\r\n\r\nhi\r\n".encode())
    body += [f"--b{i}--\r\n".encode() for i in reversed(range(levels))]
    return b"".join(body)


def many_parts(parts: int) -> bytes:
    body = [
        HEAD,
        b'Subject: parts\r\nMessage-ID: <parts@outside.example>\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n',
    ]
    body += [b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n"] * parts
    return b"".join([*body, b"--p--\r\n"])


def huge_header() -> bytes:
    return (
        HEAD
        + b"Subject: header\r\nMessage-ID: <header@outside.example>\r\n"
        + b"X-Junk: "
        + b"a" * 998
        + b"\r\n" * 1
        + (b"X-Junk: " + b"a" * 998 + b"\r\n") * 1500
        + b"\r\nhi\r\n"
    )


def zip_bomb(members: int = 40, size: int = 5 << 20) -> bytes:
    """A small mail carrying a zip of workbooks by name only, each ``size`` bytes of nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(members):
            archive.writestr(f"表{i}.xlsx", bytes(size))
    return message("<bomb@outside.example>", "年报", [("年报.zip", buffer.getvalue())]).as_bytes()


def good(unit_id: str) -> bytes:
    path = sample(unit_id)
    return message(f"<{unit_id}@town.example>", "年报", [(path.name, path.read_bytes())]).as_bytes()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "mails"
    folder.mkdir()
    mails = {"1-deep.eml": deep(1000), "2-parts.eml": many_parts(5000), "3-header.eml": huge_header()}
    mails |= {"4-bomb.eml": zip_bomb(), "5-good.eml": good(GOOD[0]), "6-good.eml": good(GOOD[1])}
    for name, data in mails.items():
        (folder / name).write_bytes(data)
    return folder


def workspace(root: Path) -> Workspace:
    ws, _ = Workspace.create(root, ROSTER, 2025, deadline="2026-01-20", password="x")
    return ws


def run(*args: object, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


REASONS = ("嵌套过深", "分段过多", "邮件头过大", "附件总量过大")


def test_hostile_mail_files_are_each_refused_with_the_reason_and_the_good_ones_arrive(
    corpus: Path, tmp_path: Path
) -> None:
    ws = workspace(tmp_path / "ws")
    received = ws.root / "收到的文件"
    before = size_of(received)
    script = (
        "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(done.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(done.stdout)"
    )
    command = [sys.executable, "-m", "nianbao.cli", "receive", "--mail", str(corpus), "-w", str(ws.root)]
    shown = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True, check=True)
    code, peak, output = shown.stdout.split("\n", 2)
    assert code == "0" and "Traceback" not in output and "程序内部错误" not in output, output
    assert all(reason in output for reason in REASONS), output
    assert int(peak) < 300 * 1024, f"peak memory {int(peak) >> 10} MB"  # ru_maxrss: KB on Linux
    assert size_of(received) - before < 2 * size_of(corpus)  # the bomb's members were not kept
    states = {u.unit_id: u.state for u in Workspace.open(ws.root).status().units}
    assert all(states[unit_id] == PASSED for unit_id in GOOD)


def test_hostile_mail_in_the_mailbox_is_handled_once_and_never_stops_intake(
    corpus: Path,
    tmp_path: Path,
    dovecot: Dovecot,  # noqa: F811
) -> None:
    ws = workspace(tmp_path / "ws")
    for mail in sorted(corpus.iterdir()):
        dovecot.append(mail.read_bytes())
    env = {"NIANBAO_IMAP_PASSWORD": PASSWORD}
    first = run("receive", "--imap", dovecot.url(), "-w", ws.root, env=env)
    assert first.exit_code == 0 and all(reason in first.output for reason in REASONS[:3]), first.output
    assert all(Workspace.open(ws.root).state_of(unit_id).state == PASSED for unit_id in GOOD)
    again = run("receive", "--imap", dovecot.url(), "-w", ws.root, env=env)
    assert again.exit_code == 0 and "✗" not in again.output and "新 0 封" in again.output, again.output


def test_hostile_uploads_on_the_page_are_refused_in_words(corpus: Path, tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    client = create_app(Settings(ws.root)).test_client()
    client.application.config["SERVER_NAME"] = "127.0.0.1:8765"
    page = client.get("/upload").get_data(as_text=True)
    token = page.split('name="csrf" value="')[1].split('"')[0]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(60):
            archive.writestr(f"表{i}.xlsx", bytes(5 << 20))
    files = [
        (io.BytesIO((corpus / "1-deep.eml").read_bytes()), "deep.eml"),
        (io.BytesIO(bomb.getvalue()), "表格.zip"),
        (io.BytesIO(sample(GOOD[0]).read_bytes()), sample(GOOD[0]).name),
    ]
    before = size_of(ws.root / "收到的文件")
    answer = client.post("/upload", data={"csrf": token, "files": files}, content_type="multipart/form-data")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "嵌套过深" in text and "超过 200 MB" in text, text[-2000:]
    assert size_of(ws.root / "收到的文件") - before < 1 << 20  # the good workbook only
    assert Workspace.open(ws.root).state_of(GOOD[0]).state == PASSED


class DroppingServer:
    """An SMTP server that takes a message's data and then drops the connection without its "250"."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.messages: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection, connection.makefile("rb") as lines:
                connection.sendall(b"220 drop.example ESMTP\r\n")
                self._session(connection, lines)

    def _session(self, connection: socket.socket, lines: io.BufferedReader) -> None:
        for line in lines:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                connection.sendall(b"250-drop.example\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                connection.sendall(b"354 go on\r\n")
                data = b"".join(iter(lines.readline, b".\r\n"))
                self.messages.append(data)
                return  # kept, and the connection dropped before the answer
            elif verb == b"QUIT":
                connection.sendall(b"221 bye\r\n")
                return
            else:
                connection.sendall(b"250 ok\r\n")

    def url(self) -> str:
        return f"smtp://clerk@127.0.0.1:{self.port}"


def test_a_reply_cut_off_after_its_data_is_never_sent_twice(tmp_path: Path) -> None:
    from tests.test_reply import roster

    ws, _ = Workspace.create(tmp_path / "ws", roster(tmp_path / "名单.csv"), 2025, deadline="2026-01-20")
    server = DroppingServer()
    send = ("reply", "-w", ws.root, "--send", "--smtp", server.url(), "--from", "xxgk@county.example")
    env = {"NIANBAO_SMTP_PASSWORD": "x"}
    first = run(*send, env=env)
    assert "可能已经收下" in first.output and "不会自动重发" in first.output, first.output
    for _ in range(3):  # each run: one more reply goes out before the connection drops again
        again = run(*send, env=env)
        assert "发送中断，可能已发出" in again.output, again.output
    ids = [line for data in server.messages for line in data.splitlines() if line.lower().startswith(b"message-id:")]
    assert len(ids) == 3 and len(set(ids)) == len(ids), ids  # the three with addresses, each once
    confirmed = run("reply", "-w", ws.root, "--mark-sent")
    assert confirmed.output.count("记为已由邮件程序发给") == 3, confirmed.output
    assert (
        "发送中断"
        not in run("reply", "-w", ws.root, "--send", "--smtp", server.url(), "--from", "a@b.cn", env=env).output
    )


def test_a_stored_file_changed_after_review_is_never_summed(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    ws.receive([sample(unit_id) for unit_id in GOOD])
    counted = ws.state_of(GOOD[0]).counted
    assert counted is not None
    stored = ws.root / counted.stored
    stored.write_bytes(stored.read_bytes() + b"\0")  # opened and saved by someone, or replaced
    state = Workspace.open(ws.root).state_of(GOOD[0])
    assert state.state == HAS_ERRORS and state.damaged == "保存的文件已被改动（与收到时的不一致）"
    assert "已被改动" in run("status", "-w", ws.root).output
    merged = run("merge", "-w", ws.root, "--allow-missing", "--out", tmp_path / "汇总.xlsx")
    assert merged.exit_code == 1 and f"{GOOD[0]}" in merged.output and "已被改动" in merged.output
    client = create_app(Settings(ws.root)).test_client()
    download = client.get(f"/file/{counted.id}", headers={"Host": "127.0.0.1:8765"})
    assert download.status_code == 400 and "已被改动" in download.get_data(as_text=True)
    restored = run("receive", sample(GOOD[0]), "-w", ws.root)
    assert "已用这一份恢复" in restored.output, restored.output
    assert Workspace.open(ws.root).state_of(GOOD[0]).state == PASSED
