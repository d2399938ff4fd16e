"""Running the pages: waitress (pure Python, threads, runs on Windows as it does on Linux) serving the app."""

from __future__ import annotations

import errno
import multiprocessing
import threading
import webbrowser
from contextlib import suppress
from pathlib import Path

from waitress.server import BaseWSGIServer, create_server

from nianbao.collection.accounts import users
from nianbao.collection.workspace import Workspace
from nianbao.problems import MESSAGES, NianbaoError
from nianbao.web.app import LOCAL_NAMES, Settings, create_app

THREADS = 8
PASSWORD_NEEDED = (
    "在局域网上开放网页必须设置登录：先用 nianbao user add 姓名 为每位同事设置密码（推荐），"
    "或加 --password 设置共用密码（也可用环境变量 NIANBAO_WEB_PASSWORD）；只在本机使用则不写 --host"
)


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8765, password: str | None = None) -> BaseWSGIServer:
    """The server, bound and ready to ``run()``; refused on another host than this computer when nobody could log
    in (no colleague in the record, no shared password)."""
    local = host in LOCAL_NAMES
    if not local and not password and not login_of(root, password):
        raise NianbaoError(PASSWORD_NEEDED)
    if not 0 <= port <= 65535:  # the socket would silently take the port modulo 65536
        raise NianbaoError(MESSAGES["WEB_PORT"].format(port=port))
    app = create_app(Settings(root=root, password=password or None, local=local))
    try:
        server = create_server(app, host=host, port=port, threads=THREADS, ident="nianbao")
    except ValueError:  # not an address, nor a name that resolves
        raise NianbaoError(MESSAGES["WEB_HOST"].format(host=host)) from None
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            raise NianbaoError(MESSAGES["WEB_HOST_ELSEWHERE"].format(host=host)) from None
        raise NianbaoError(
            f"无法在 {host}:{port} 上开启网页（{exc.strerror or exc}）；端口可能已被占用，请用 --port 换一个"
        ) from None
    assert isinstance(server, BaseWSGIServer)  # one host and port: one socket
    return server


def login_of(root: Path, password: str | None) -> str:
    """How one logs in to the page now, in words ('' when nobody does: bound to this computer, no login)."""
    workspace = Workspace.open(root)
    try:
        colleagues = len(users(workspace))
    finally:
        workspace.close()
    if colleagues:
        ignored = "；共用密码不再使用" if password else ""
        return f"登录：工作区的 {colleagues} 位同事各用自己的姓名和密码{ignored}"
    return "登录：填写姓名和共用密码" if password else ""


def address(server: BaseWSGIServer) -> str:
    host = server.effective_host
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{'127.0.0.1' if shown in ('0.0.0.0', '[::]') else shown}:{server.effective_port}/"


def serve(server: BaseWSGIServer, open_browser: bool = False) -> None:
    """Serve until Ctrl-C; open the default browser on the pages first if asked."""
    with suppress(RuntimeError):  # already chosen: keep it
        # Checking many files uses worker processes; forking a process that runs threads can deadlock a worker.
        multiprocessing.set_start_method("spawn")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [address(server)]).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
