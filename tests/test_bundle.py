"""The offline bundle (packaging/): which wheels each county PC gets, the scripts a clerk double-clicks, and a real
install from a bundle built for this machine.

Fast tests (no network) state wheel pools as small tables and check the Windows scripts as text, since no Windows
runs here: what cmd and PowerShell would read is checked for what breaks them (encoding, line ends, quoting,
anything that needs the administrator). The Linux shortcut is read by GLib itself (``gio launch``) and by
``desktop-file-validate``. One test builds a bundle for this machine only (its wheels cached in
~/.cache/nianbao/bundle: downloaded from PyPI the first time), installs it with install.sh into a temporary home
with the network cut off, runs the demo, opens the page through the shortcut, and uninstalls. The whole
multi-platform bundle is built only with NIANBAO_BUNDLE_FULL=1 (a minute, and 70 MB of downloads the first time)."""

from __future__ import annotations

import ast
import base64
import importlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement

from tests.conftest import REPO

PACKAGING = REPO / "packaging"
sys.path.insert(0, str(PACKAGING))
make_bundle: Any = importlib.import_module("make_bundle")
texts: Any = importlib.import_module("texts")
wheelset: Any = importlib.import_module("wheelset")
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def _script(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


installer: Any = _script("nianbao_installer", PACKAGING / "installer" / "install.py")
launcher: Any = _script("nianbao_launcher", PACKAGING / "installer" / "start.py")


def _missing(tool: str) -> None:
    reason = f"{tool} is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must have {tool}: {reason}")
    pytest.skip(reason)


# ------------------------------------------------------------------------------------------------ which wheels


def pool_of(folder: Path, table: str) -> Path:
    """Fake wheels from a table: name, version, tag, then the requirements (``&`` between them) and ``python>=…``."""
    folder.mkdir(parents=True, exist_ok=True)
    for line in table.strip().splitlines():
        head, _, needs = line.partition("|")
        name, version, tag = head.split()
        requires = [n.strip() for n in needs.split("&") if n.strip()]
        python = [r.removeprefix("python") for r in requires if r.startswith("python>")]
        meta = [f"Name: {name}", f"Version: {version}", *(f"Requires-Python: {p}" for p in python)]
        meta += [f"Requires-Dist: {r}" for r in requires if not r.startswith("python>")]
        dist = f"{name.replace('-', '_')}-{version}"
        with zipfile.ZipFile(folder / f"{dist}-{tag}.whl", "w") as archive:
            archive.writestr(f"{dist}.dist-info/METADATA", "Metadata-Version: 2.1\n" + "\n".join(meta) + "\n")
    return folder


POOL = """
click     8.1 py3-none-any                                         | colorama; platform_system == "Windows"
colorama  0.4 py2.py3-none-any                                     |
tomli     2.0 py3-none-any                                         |
winonly   1.0 py3-none-any                                         |
docs-tool 1.0 py3-none-any                                         |
newer     2.0 py3-none-any                                         | python>=3.11
newer     1.0 py3-none-any                                         |
fast      2.0 cp312-cp312-manylinux_2_34_x86_64                    |
fast      2.0 cp312-cp312-win_amd64                                |
fast      1.0 cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64 |
fast      1.0 cp310-abi3-win_amd64                                 |
"""
APP = [
    "click>=8",
    'tomli>=2; python_version < "3.11"',
    'winonly; sys_platform == "win32"',
    'docs-tool; extra == "docs"',
    "newer",
    "fast",
]


def chosen(found: Any) -> dict[str, str]:
    return {name: str(wheel.version) for name, wheel in found.chosen.items()}


def test_each_target_gets_its_own_wheels_with_markers_judged_there(tmp_path: Path) -> None:
    pool = wheelset.wheels_in(pool_of(tmp_path, POOL))
    wanted = [Requirement(r) for r in APP]
    windows_310 = wheelset.resolve(wheelset.Target("windows", "amd64", (3, 10)), wanted, pool)
    # Windows-only and 3.10-only dependencies are in, whatever machine builds the bundle; the abi3 wheel serves 3.10
    assert chosen(windows_310) == {
        **{"click": "8.1", "colorama": "0.4", "tomli": "2.0", "winonly": "1.0", "newer": "1.0", "fast": "1.0"}
    }
    assert not windows_310.missing and not windows_310.conflicts
    windows_312 = wheelset.resolve(wheelset.Target("windows", "amd64", (3, 12)), wanted, pool)
    assert chosen(windows_312)["fast"] == "2.0" and chosen(windows_312)["newer"] == "2.0"
    assert "tomli" not in chosen(windows_312)
    linux = wheelset.resolve(wheelset.Target("linux", "x86_64", (3, 12)), wanted, pool)
    # fast 2.0 needs glibc 2.34, newer than 统信UOS / 麒麟 have: the bundle takes 1.0
    assert chosen(linux) == {"click": "8.1", "newer": "2.0", "fast": "1.0"}
    arm = wheelset.resolve(wheelset.Target("linux", "aarch64", (3, 11)), wanted, pool)
    assert [str(r) for r in arm.missing] == ["fast"]


def test_a_chosen_version_that_another_requirement_refuses_is_a_conflict(tmp_path: Path) -> None:
    pool = wheelset.wheels_in(pool_of(tmp_path, POOL))
    found = wheelset.resolve(
        wheelset.Target("linux", "x86_64", (3, 12)), [Requirement("click>=8"), Requirement("click<8")], pool
    )
    assert found.conflicts == ["click<8 is not met by click-8.1-py3-none-any.whl"]


def test_what_pip_leaves_out_for_the_host_is_downloaded_for_the_target(tmp_path: Path, monkeypatch: Any) -> None:
    """pip takes the target's tags from --platform and --python-version but judges markers for the machine it runs
    on: the fake pip below does the same (this machine: Linux, 3.11). The gathering asks again, by name, for what
    the target needs and pip left out."""
    index = wheelset.wheels_in(pool_of(tmp_path / "index", POOL))
    host = wheelset.Target("linux", "x86_64", (3, 11))

    class HostMarkers(wheelset.Target):  # type: ignore[misc]
        def environment(self) -> dict[str, str]:
            return dict(host.environment())

    asked: list[list[str]] = []

    def fake_pip(*args: str, isolated: bool = False) -> subprocess.CompletedProcess[str]:
        assert args[0] == "download" and "--only-binary=:all:" in args and "win_amd64" in args
        folder, requested = Path(args[args.index("-d") + 1]), list(args[args.index("-d") + 2 :])
        asked.append(requested)
        minor = int(args[args.index("--python-version") + 1].split(".")[1])
        found = wheelset.resolve(
            HostMarkers("windows", "amd64", (3, minor)), [Requirement(r) for r in requested], index
        )
        for wheel in found.chosen.values():
            shutil.copy(wheel.path, folder)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(wheelset, "pip", fake_pip)
    pool = tmp_path / "pool"
    pool.mkdir()
    target, wanted = wheelset.Target("windows", "amd64", (3, 10)), [Requirement(r) for r in APP]
    offline = wheelset.gather(target, wanted, pool, offline=True)
    assert asked == [] and len(offline.missing) == 5  # offline: nothing asked for, everything said missing
    found = wheelset.gather(target, wanted, pool)
    assert not found.missing and {"colorama", "tomli", "winonly"} <= set(found.chosen)
    # the first round names the target's own requirements (markers judged here); pip, judging click's for Linux,
    # leaves colorama out: the second round names it
    assert asked == [["click>=8", "tomli>=2", "winonly", "newer", "fast"], ["colorama"]]
    assert not wheelset.gather(target, wanted, pool).missing and len(asked) == 2  # a second build: the pool alone


def test_the_targets_as_pip_is_told_them() -> None:
    arm = wheelset.Target("linux", "aarch64", (3, 13))
    assert arm.name == "linux_aarch64-cp313"
    platforms = arm.platforms()
    assert platforms[0] == "manylinux_2_28_aarch64" and "manylinux2014_aarch64" in platforms
    assert not [p for p in platforms if re.match(r"manylinux_2_(29|[3-9]\d)_", p)]  # nothing newer than glibc 2.28
    options = arm.pip_options()
    assert options[:5] == ["--only-binary=:all:", "--implementation", "cp", "--python-version", "3.13"]
    assert options.count("--platform") == len(platforms) and options[-6:-4] == ["--abi", "cp313"]
    windows = wheelset.Target("windows", "amd64", (3, 10))
    assert windows.platforms() == ["win_amd64"] and windows.environment()["platform_system"] == "Windows"
    assert [t.name for t in wheelset.targets(["win_amd64"])] == [f"win_amd64-cp3{n}" for n in (10, 11, 12, 13)]


# ------------------------------------------------------------------------------------------------ the scripts as text

BATCH_VARIABLES = {"~dp0", "*", "LOCALAPPDATA", "TEMP", "ERRORLEVEL", "PATH", "USERPROFILE"}
NEEDS_ADMIN = ("runas", "-verb", "reg add", "setx", "hklm", "programfiles", "program files", "system32\\", "sudo ")


def test_batch_files_are_what_cmd_reads_on_a_chinese_windows() -> None:
    for name in texts.BATCH_FILES:
        raw = texts.batch_file(name, "9.9", PYTHONS)
        assert b"\n" not in raw.replace(b"\r\n", b""), f"{name}: CRLF line ends only"
        text = raw.decode("gbk")  # cmd reads it in code page 936
        assert not re.search(r"@[A-Z_]+@", text), f"{name}: a placeholder left"
        assert "for %%v in (3.13 3.12 3.11 3.10) do (" in text
        set_here = set(re.findall(r'set "(\w+)=', text))
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{name}:{number}: {line}"
            command = line.strip()
            assert command.count('"') % 2 == 0, where
            assert not any(word in command.lower() for word in NEEDS_ADMIN), where
            for variable in re.findall(r"%([^%\s]+)%", re.sub(r"%%\w|%~dp0|%\*", "", command)):
                assert variable in BATCH_VARIABLES | set_here, where
            keyword, _, words = command.partition(" ")
            if keyword.lower() in ("rem", "echo", "title"):  # words for the clerk
                assert not set(words) & set("&|<>^()"), where  # no pipes or blocks hidden in them
            else:
                assert command.isascii(), where  # commands parse alike on any code page
        for character in set(text) - set(map(chr, range(128))):  # a GBK trail byte never reads as | or ^
            assert not set(character.encode("gbk")[1:]) & {0x7C, 0x5E}, f"{name}: {character}"
        labels = set(re.findall(r"^:(\w+)", text, re.MULTILINE))
        assert set(re.findall(r"(?:goto|call :)\s*:?(\w+)", text)) <= labels, name
        assert 'set "NIANBAO_SETUP=%~dp0setup\\install.py"' in text  # its own folder, however named
    uninstall = texts.batch_file("卸载.bat", "9.9", PYTHONS).decode("gbk")
    assert 'cd /d "%TEMP%"' in uninstall  # not inside the folder it removes
    assert "--uninstall %* & echo. & pause & exit /b" in uninstall  # one line: read before the file is gone


def test_shell_scripts_parse_and_find_the_python_first_given() -> None:
    for name in texts.SHELL_FILES:
        script = texts.shell_file(name, "9.9", PYTHONS)
        assert b"\r" not in script and not re.search(rb"@[A-Z_]+@", script)
        assert b"python3.13 python3.12 python3.11 python3.10 python3" in script
        done = subprocess.run(["bash", "-n"], input=script, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        assert not any(word in script.decode().lower() for word in ("sudo ", "su -", "/usr/local"))


def test_the_installer_runs_far_enough_on_an_old_python_to_say_what_is_wrong() -> None:
    for name in ("install.py", "start.py"):
        source = (PACKAGING / "installer" / name).read_text(encoding="utf-8")
        ast.parse(source, feature_version=(3, 7))  # 统信UOS 20 has Python 3.7
        for string in re.findall(r'"([^"\n]*[^\x00-\x7f][^"\n]*)"', source):
            string.encode("gbk")  # a Chinese Windows console shows every message
    bundle = {"pythons": PYTHONS, "platforms": ["win_amd64", "linux_x86_64", "linux_aarch64"]}
    cases = {
        ("linux_x86_64", "3.7"): "3.7 或 3.8",
        ("win_amd64", "3.9"): "python.org",
        ("linux_x86_64", "3.14"): "只带了 Python 3.10、3.11、3.12、3.13",
        ("win32", "3.12"): "32 位",
        ("linux_loongarch64", "3.12"): "不能用于这台电脑",
    }
    for python, said in cases.items():
        with pytest.raises(installer.Refused, match=said):
            installer.target_of(bundle, python)
    assert installer.target_of(bundle, ("linux_aarch64", "3.12")) == "linux_aarch64-cp312"


def test_a_damaged_copy_is_found_before_pip_runs(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "a-1-py3-none-any.whl").write_bytes(b"cut short")
    names = ["a-1-py3-none-any.whl", "b-1-py3-none-any.whl"]
    bundle = {"targets": {"t": names}, "sha256": dict.fromkeys(names, "0")}
    with pytest.raises(installer.Refused, match=re.escape(f"不完整或已损坏（{'、'.join(names)} 等 2 个文件）")):
        installer.wheels_of(bundle, "t", tmp_path)


def test_the_program_goes_into_the_users_own_folder() -> None:
    local = {"LOCALAPPDATA": r"C:\Users\张三\AppData\Local", "USERPROFILE": r"C:\Users\张三"}
    assert installer.program_folder(local, windows=True) == r"C:\Users\张三\AppData\Local\nianbao"
    assert (
        installer.program_folder({"USERPROFILE": r"D:\用户\李四"}, windows=True)
        == r"D:\用户\李四\AppData\Local\nianbao"
    )
    assert installer.program_folder({"HOME": "/home/王五"}, windows=False) == "/home/王五/.local/share/nianbao"


def test_the_linux_desktop_is_where_the_session_names_it(tmp_path: Path) -> None:
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "user-dirs.dirs").write_text('XDG_DESKTOP_DIR="$HOME/桌面"\n', encoding="utf-8")
    environ = {"HOME": str(tmp_path), "PATH": str(tmp_path / "nowhere")}  # no xdg-user-dir: its file is read
    assert installer.xdg_folder("DESKTOP", environ) == str(tmp_path / "桌面")  # 银河麒麟 names it so
    assert installer.xdg_folder("DOCUMENTS", environ) is None  # not set: the home folder, not a documents folder
    (tmp_path / ".config" / "user-dirs.dirs").unlink()
    assert installer.xdg_folder("DESKTOP", environ) == str(tmp_path / "Desktop")  # the specification's default


def test_the_windows_shortcut_line_quotes_no_data(monkeypatch: Any) -> None:
    """The PowerShell line takes every value from the environment: no path is ever quoted into it, and Windows'
    command-line quoting leaves it whole. What it would be given is checked here, as PowerShell cannot run."""
    script = installer.SHORTCUT_POWERSHELL
    assert '"' not in script and script.count("'") % 2 == 0
    assert script.count("{") == script.count("}") and script.count("(") == script.count(")")
    assert not any(word in script.lower() for word in NEEDS_ADMIN)
    assert subprocess.list2cmdline(["powershell", "-Command", script]).endswith(f'"{script}"')
    assert installer.POWERSHELL_OPTIONS == ("-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command")
    calls: list[dict[str, str]] = []

    def fake_powershell(line: str, environ: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
        assert line == script
        calls.append(environ)
        made = f"C:\\Users\\张三\\Desktop\\{environ['NIANBAO_NAME']}.lnk"
        return subprocess.CompletedProcess([], 0, base64.b64encode(made.encode()) + b"\r\n", b"")

    monkeypatch.setattr(installer, "powershell", fake_powershell)
    folder = Path("/Users/张三/AppData/Local/nianbao")
    made = installer.windows_shortcuts(folder)
    assert made == ["C:\\Users\\张三\\Desktop\\年报收集.lnk", "C:\\Users\\张三\\Desktop\\年报收集命令行.lnk"]
    used = set(re.findall(r"\$env:(\w+)", script))
    for environ in calls:
        assert used <= set(environ), used - set(environ)
    page, commands = calls
    assert page["NIANBAO_PLACES"] == "Desktop,Programs" and commands["NIANBAO_PLACES"] == "Programs"
    assert page["NIANBAO_TARGET"].endswith("python.exe")
    assert page["NIANBAO_ARGUMENTS"] == f'"{folder / "setup" / "start.py"}"'


def test_the_launcher_knows_who_holds_a_port() -> None:
    import http.server
    import threading

    class Page(http.server.BaseHTTPRequestHandler):
        name = "SimpleHTTP"

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def version_string(self) -> str:
            return self.name

        def log_message(self, *args: Any) -> None:
            pass

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: refused
        assert launcher.who_answers(closed.getsockname()[1]) == launcher.FREE
    for name, answer in (("SimpleHTTP", launcher.TAKEN), ("nianbao", launcher.OURS)):
        Page.name = name
        with http.server.HTTPServer(("127.0.0.1", 0), Page) as server:
            threading.Thread(target=server.handle_request, daemon=True).start()
            assert launcher.who_answers(server.server_address[1]) == answer


NASTY = '/tmp/年报 收集/a "b" $HOME `x` 100% \\back'


def test_the_linux_shortcut_is_read_back_by_glib_as_written(tmp_path: Path) -> None:
    if not shutil.which("desktop-file-validate"):
        _missing("desktop-file-validate (Debian: desktop-file-utils)")
    if not shutil.which("gio"):
        _missing("gio (Debian: libglib2.0-bin)")
    program = tmp_path / "bin" / "python"
    program.parent.mkdir()
    program.symlink_to("/bin/true")
    entry = tmp_path / "年报收集.desktop"
    entry.write_text(installer.desktop_entry([str(program), NASTY], "/tmp/icon.svg"), encoding="utf-8")
    done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout
    assert glib_command(entry, tmp_path) == [str(program), NASTY]


def glib_command(entry: Path, scratch: Path, environ: dict[str, str] | None = None) -> list[str]:
    """The command GLib runs for a desktop file: a fake terminal (the entry runs in one) writes down its arguments."""
    fake = scratch / "fake-terminal"
    fake.mkdir(exist_ok=True)
    (fake / "xterm").write_text('#!/bin/sh\nshift\nprintf "%s\\0" "$@" > "$(dirname "$0")/args"\n', encoding="utf-8")
    (fake / "xterm").chmod(0o755)
    env = {**(environ or os.environ), "PATH": f"{fake}:/usr/bin:/bin"}
    subprocess.run(["gio", "launch", str(entry)], check=True, env=env, capture_output=True, timeout=30)
    for _ in range(100):
        if (fake / "args").exists() and (fake / "args").read_bytes():
            break
        time.sleep(0.05)
    return (fake / "args").read_bytes().decode().split("\0")[:-1]


def test_the_guide_says_which_python_and_where_the_data_is() -> None:
    source = texts.guide_source("9.9", PYTHONS)
    text = texts.guide_text(source)
    assert text.startswith("\ufeff".encode()) and b"\n" not in text.replace(b"\r\n", b"")
    page = texts.guide_page(source).decode()
    for said in ("3.10、3.11、3.12、3.13", "python.org", "Use admin privileges", "统信UOS", "备份", "卸载", "9.9"):
        assert said in text.decode("utf-8-sig") and said in page, said
    assert page.count("<ul>") == page.count("</ul>") and page.count("<li>") == page.count("</li>")
    assert page.count("<ol>") == page.count("</ol>") and "<h2>第二步：安装年报收集</h2>" in page


# ------------------------------------------------------------------------------------------------ a real install


def _network_cut() -> list[str]:
    """A prefix that runs a command with no network at all (a new network namespace), where this machine allows."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _build_host_bundle(out: Path) -> Path:
    try:
        return make_bundle.make_bundle(out, make_bundle.default_cache(), [wheelset.host_target()])
    except make_bundle.BundleError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no bundle for this machine (PyPI unreachable and nothing cached?): {error}")


def test_install_sh_installs_offline_and_the_shortcut_opens_the_round(tmp_path: Path) -> None:
    zipped = _build_host_bundle(tmp_path / "dist")
    with zipfile.ZipFile(zipped) as archive:
        folder = zipped.name.removesuffix(".zip")
        info = {i.filename.removeprefix(f"{folder}/"): i for i in archive.infolist()}
        assert info["install.sh"].external_attr >> 16 == 0o100755 and info["安装.bat"].flag_bits & 0x800
        bundle = json.loads(archive.read(f"{folder}/setup/bundle.json"))
        archive.extractall(tmp_path)
    assert list(bundle["targets"]) == [wheelset.host_target().name]
    home = tmp_path / "home"
    (home / "Desktop").mkdir(parents=True)
    environ = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "NIANBAO_PYTHON": sys.executable}
    workspace = home / "文档" / "年报收集"
    install = [*_network_cut(), "bash", str(tmp_path / folder / "install.sh"), "--workspace", str(workspace)]
    done = subprocess.run(install, env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "安装完成" in done.stdout and "双击桌面上的“年报收集”" in done.stdout
    program = home / ".local" / "share" / "nianbao"
    nianbao = home / ".local" / "bin" / "nianbao"
    version = subprocess.run([nianbao, "--version"], env=environ, capture_output=True, text=True)
    assert bundle["version"] in version.stdout
    demo = subprocess.run([nianbao, "demo"], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    shutil.copytree(tmp_path / "nianbao-demo" / "3-收集工作区", workspace)  # a round copied from another PC
    shortcut = home / "Desktop" / "年报收集.desktop"
    if shutil.which("desktop-file-validate"):
        assert subprocess.run(["desktop-file-validate", str(shortcut)]).returncode == 0
    command = glib_command(shortcut, tmp_path, environ) if shutil.which("gio") else _exec_of(shortcut)
    assert command == [str(program / "venv" / "bin" / "python"), str(program / "setup" / "start.py")]
    page = _open_page(command, {**environ, "BROWSER": "true", "NIANBAO_PORT": str(_free_port())})
    assert "冯家镇" in page and "总览" in page
    gone = subprocess.run(["bash", str(program / "uninstall.sh")], env=environ, capture_output=True, text=True)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not program.exists() and not shortcut.exists() and not nianbao.is_symlink()
    assert (workspace / "nianbao.sqlite").is_file() and str(workspace) in gone.stdout


def _exec_of(entry: Path) -> list[str]:
    """The Exec line undone by the Desktop Entry rules (where GLib is not installed to do it)."""
    line = next(x for x in entry.read_text(encoding="utf-8").splitlines() if x.startswith("Exec="))[5:]
    line = line.replace("%%", "%").replace("\\\\", "\\")
    return [re.sub(r"\\(.)", r"\1", part) for part in re.findall(r'"((?:[^"\\]|\\.)*)"', line)]


def _open_page(command: list[str], environ: dict[str, str]) -> str:
    """Run the shortcut's command until its page answers; the page, and a second double-click that finds it."""
    process = subprocess.Popen(command, env=environ, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        address = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert address, line
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(address.group(0), timeout=30) as response:
            page = response.read().decode("utf-8")
        again = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and "已经开着" in again.stdout, again.stdout + again.stderr
        return page
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)


@pytest.mark.skipif(not os.environ.get("NIANBAO_BUNDLE_FULL"), reason="the whole bundle: NIANBAO_BUNDLE_FULL=1")
def test_the_whole_bundle_installs_on_every_target(tmp_path: Path) -> None:
    zipped = make_bundle.make_bundle(tmp_path, make_bundle.default_cache(), wheelset.targets(make_bundle.PLATFORMS))
    with zipfile.ZipFile(zipped) as archive:
        bundle = json.loads(next(archive.read(n) for n in archive.namelist() if n.endswith("bundle.json")))
    assert sorted(bundle["targets"]) == sorted(t.name for t in wheelset.targets(make_bundle.PLATFORMS))
    assert all(needed <= [2, 28] for needed in bundle["glibc"].values())
