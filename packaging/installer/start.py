"""What the shortcut 年报收集 runs: the round's pages in the browser, started unless they are running already.

Run by the program's own Python (``venv``), in a console window (Windows) or a terminal (Linux): the window shows
the page's address, and closing it stops the pages. The workspace is the one chosen at installation (kept in
install.json beside the program), or the folder given as the argument. A second double-click opens the pages that
are already running instead of failing on a port in use; a port held by another program is stepped over.
``NIANBAO_PORT`` sets the first port tried (8765). Standard library only."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

PROGRAM = Path(__file__).resolve().parent.parent
FIRST_PORT = 8765
PORTS_TRIED = 10
FREE, OURS, TAKEN = "free", "ours", "taken"
# 127.0.0.1 directly: an office's proxy settings must not send the question elsewhere.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def workspace(argv: list[str]) -> str:
    if argv:
        return argv[0]
    try:
        record = json.loads((PROGRAM / "install.json").read_text(encoding="utf-8"))
        return str(record["workspace"])
    except (OSError, ValueError, KeyError):
        return str(Path.home() / "年报收集")


def who_answers(port: int) -> str:
    """Whether the port is free, nianbao's pages (its server says ``nianbao``), or another program's."""
    try:
        with DIRECT.open(f"http://127.0.0.1:{port}/version", timeout=3) as response:
            server = response.headers.get("Server", "")
    except urllib.error.HTTPError as error:  # a login page, say: still an answer
        server = error.headers.get("Server", "")
    except urllib.error.URLError as error:
        return FREE if isinstance(error.reason, ConnectionRefusedError) else TAKEN
    except OSError:
        return TAKEN
    return OURS if server == "nianbao" else TAKEN


def nianbao() -> list[str]:
    script = Path(sys.executable).with_name("nianbao.exe" if os.name == "nt" else "nianbao")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nianbao.cli"]


def wait_for_reader() -> None:
    """Keep the window open on a problem, so that the clerk can read it."""
    if sys.stdin is not None and sys.stdin.isatty():
        with contextlib.suppress(EOFError, KeyboardInterrupt):
            input("按回车键关闭此窗口……")


def main(argv: list[str]) -> int:
    folder = workspace(argv)
    first = int(os.environ.get("NIANBAO_PORT") or FIRST_PORT)
    for port in range(first, first + PORTS_TRIED):
        answer = who_answers(port)
        if answer == OURS:
            address = f"http://127.0.0.1:{port}/"
            print(f"年报收集的网页已经开着，正在浏览器中打开：{address}", flush=True)
            webbrowser.open(address)
            return 0
        if answer == FREE:
            break
    else:
        print(f"端口 {first} 到 {first + PORTS_TRIED - 1} 都被其他程序占用，无法开启网页。", flush=True)
        wait_for_reader()
        return 1
    process = subprocess.Popen([*nianbao(), "serve", "--open", "--port", str(port), "-w", folder])
    try:
        code = process.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches both: the pages stop on their own
        code = process.wait()
    if code not in (0, 130):
        wait_for_reader()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
