"""Install 年报收集 (nianbao) from the offline bundle this file came in, or remove it (``--uninstall``).

Run by 安装.bat / install.sh (卸载.bat / uninstall.sh) with the computer's own Python. Nothing here needs the
administrator or the network: the program goes into a virtual environment in the user's own folder
(``%LOCALAPPDATA%\\nianbao`` on Windows, ``~/.local/share/nianbao`` on Linux), installed by pip from the bundle's
wheels only; the shortcut 年报收集 goes on the desktop (and in the start menu). The round's data, the workspace, is
never inside the program's folder: removing the program leaves it where it is.

Standard library only, and written so that an old Python (3.7, as 统信UOS 20 has) can still run it far enough to say
what is wrong. Every message is Chinese and GBK can show it (the console of a Chinese Windows)."""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import ntpath
import os
import platform
import posixpath
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

SETUP = Path(__file__).resolve().parent
NAME = "年报收集"
RECORD = "install.json"  # in the program's folder: what was installed where, read by the launcher and --uninstall
WINDOWS = os.name == "nt"
COPIED = ("install.py", "start.py", "bundle.json", "nianbao.svg")  # the setup files the program keeps
UNINSTALLER = "卸载.bat" if WINDOWS else "uninstall.sh"
NO_ADMIN_NEEDED = "本程序装在您自己的文件夹中，不需要管理员权限"

# A Windows shortcut (.lnk) is made by the shell's COM object, which PowerShell reaches in one line. Every value comes
# in through an environment variable, so nothing in the line is quoted from data; each shortcut made is printed as
# base64 of its UTF-8 path, which no console code page can garble.
SHORTCUT_POWERSHELL = (
    "$ErrorActionPreference='Stop';"
    "$shell=New-Object -ComObject WScript.Shell;"
    "foreach($place in $env:NIANBAO_PLACES.Split(',')){"
    "$folder=[Environment]::GetFolderPath($place);"
    "if(-not $folder){continue};"
    "$link=$shell.CreateShortcut((Join-Path $folder ($env:NIANBAO_NAME+'.lnk')));"
    "$link.TargetPath=$env:NIANBAO_TARGET;"
    "$link.Arguments=$env:NIANBAO_ARGUMENTS;"
    "$link.WorkingDirectory=$env:NIANBAO_FOLDER;"
    "$link.Description=$env:NIANBAO_DESCRIPTION;"
    "$link.Save();"
    "[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($link.FullName))}"
)
FOLDER_POWERSHELL = (
    "[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([Environment]::GetFolderPath($env:NIANBAO_PLACES)))"
)
POWERSHELL_OPTIONS = ("-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command")

# 命令行.bat: a command window where `nianbao` is a command. GBK with CRLF, as cmd reads a batch file on a Chinese PC.
COMMAND_WINDOW = (
    "@echo off\r\n"
    'set "PATH=%~dp0venv\\Scripts;%PATH%"\r\n'
    'cd /d "%USERPROFILE%"\r\n'
    "echo 在这个窗口中可以使用 nianbao 命令，如：nianbao --help\r\n"
    "cmd /k\r\n"
)
LAUNCHER_BAT = '@"%~dp0venv\\Scripts\\python.exe" "%~dp0setup\\start.py" %*\r\n'


class Refused(Exception):
    """What stops the installation, said to the clerk (Chinese, one paragraph)."""


def say(text: str = "") -> None:
    print(text, flush=True)


# ------------------------------------------------------------------------------------------------ where things go


def program_folder(environ: dict[str, str], windows: bool = WINDOWS) -> str:
    """The program's own folder: the user's, never one that needs the administrator."""
    if windows:
        local = environ.get("LOCALAPPDATA") or ntpath.join(environ.get("USERPROFILE", ""), "AppData", "Local")
        return ntpath.join(local, "nianbao")
    data = environ.get("XDG_DATA_HOME") or posixpath.join(environ.get("HOME", ""), ".local", "share")
    return posixpath.join(data, "nianbao")


def xdg_folder(kind: str, environ: dict[str, str]) -> str | None:
    """A folder of the Linux desktop (DESKTOP, DOCUMENTS) as the user's session names it (~/桌面, ~/Desktop …);
    None when it is not set (xdg-user-dir then answers the home folder)."""
    home = environ.get("HOME", "")
    try:
        done = subprocess.run(["xdg-user-dir", kind], capture_output=True, env=environ, timeout=10)
        found = done.stdout.decode("utf-8", "replace").strip() if done.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):  # no xdg-user-dir: its file, else the default it would give
        found = _from_user_dirs(kind, environ) or (os.path.join(home, "Desktop") if kind == "DESKTOP" else "")
    if not found or os.path.normpath(found) == os.path.normpath(home):
        return None
    return found


def _from_user_dirs(kind: str, environ: dict[str, str]) -> str:
    home = environ.get("HOME", "")
    config = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    try:
        lines = Path(config, "user-dirs.dirs").read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == f"XDG_{kind}_DIR":
            return value.strip().strip('"').replace("$HOME", home)
    return ""


def windows_folder(place: str, environ: dict[str, str]) -> str | None:
    """A Windows known folder (MyDocuments, Desktop …), wherever the office has moved it (say, to drive D:)."""
    done = powershell(FOLDER_POWERSHELL, {**environ, "NIANBAO_PLACES": place})
    return decoded_lines(done)[0] if done and decoded_lines(done) else None


def default_workspace(environ: dict[str, str]) -> str:
    """Where the round's data goes unless the clerk says otherwise: 年报收集 in the user's documents."""
    if WINDOWS:
        documents = windows_folder("MyDocuments", environ)
        return os.path.join(documents or os.path.join(environ.get("USERPROFILE", ""), "Documents"), NAME)
    return os.path.join(xdg_folder("DOCUMENTS", environ) or environ.get("HOME", ""), NAME)


# ------------------------------------------------------------------------------------------------ the bundle, checked


def read_bundle(setup: Path = SETUP) -> dict[str, Any]:
    try:
        bundle: dict[str, Any] = json.loads((setup / "bundle.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Refused("安装包不完整（缺少 setup/bundle.json）：请重新解压或重新复制整个安装包") from None
    return bundle


def this_python() -> tuple[str, str]:
    """This Python's platform and version as the bundle names them: ("win_amd64", "3.12")."""
    return sysconfig.get_platform().replace("-", "_").replace(".", "_"), "{}.{}".format(*sys.version_info[:2])


def target_of(bundle: dict[str, Any], python: tuple[str, str] | None = None) -> str:
    """The bundle's name for this computer (``win_amd64-cp312``), or why it has no wheels for it."""
    where, version = python or this_python()
    pythons, platforms = list(bundle["pythons"]), list(bundle["platforms"])
    covered = "、".join(pythons)
    if tuple(int(n) for n in version.split(".")) < (3, 10):
        raise Refused(
            f"这台电脑的 Python 是 {version}，年报收集需要 Python {covered} 中的一个。"
            + (_OLD_WINDOWS if where.startswith("win") else _OLD_LINUX)
        )
    if version not in pythons:
        raise Refused(f"这台电脑的 Python 是 {version}，本安装包只带了 Python {covered} 用的文件。{_OTHER_VERSION}")
    if where not in platforms:
        raise Refused(_unsupported_platform(where, platforms))
    if sys.implementation.name != "cpython" or sysconfig.get_config_var("Py_GIL_DISABLED"):
        raise Refused("请用 python.org 的标准 Python（CPython，不是“自由线程”版本）运行安装程序。")
    return f"{where}-cp{version.replace('.', '')}"


_OLD_WINDOWS = (
    "请先安装新的 Python：在 python.org 下载 Windows installer (64-bit)，安装时勾选“Add python.exe to PATH”，"
    "取消勾选“Use admin privileges when installing py.exe”（这样不需要管理员），然后重新运行“安装.bat”。"
)
_OLD_LINUX = (
    "统信UOS、银河麒麟较早的版本自带的 python3 是 3.7 或 3.8，不能使用。办法：在应用商店或请信息中心安装 "
    "python3.10 以上的版本（装好后重新运行 install.sh，它会找到 python3.11 这样的命令）；Python 装在其他位置的，"
    "运行 NIANBAO_PYTHON=/那个位置/bin/python3 bash install.sh；也可以在 Windows 电脑上使用年报收集。"
)
_OTHER_VERSION = "请安装其中一个版本的 Python（Windows 上可以同时装几个版本，安装程序会自动选用合适的）。"


def _unsupported_platform(where: str, platforms: list[str]) -> str:
    names = {"win_amd64": "64 位 Windows", "linux_x86_64": "x86_64 的 Linux", "linux_aarch64": "ARM64 的 Linux"}
    wanted = "、".join(names.get(p, p) for p in platforms)
    if where == "win32":
        return (
            f"这台电脑上的 Python 是 32 位的，安装包用于{wanted}：请安装 64 位的 Python（Windows installer (64-bit)）。"
        )
    return f"本安装包用于{wanted}，不能用于这台电脑（{where}，{platform.machine()}）。"


def linux_too_old(bundle: dict[str, Any], target: str) -> str | None:
    """Why this Linux's C library is older than the bundle's wheels need, if it is."""
    needed = bundle.get("glibc", {}).get(target)
    family, version = platform.libc_ver()
    if not needed or WINDOWS or not version:
        return None
    have = tuple(int(n) for n in version.split(".")[:2])
    if family == "glibc" and have >= tuple(needed):
        return None
    return (
        f"这台电脑的 C 库（{family or '未知'} {version}）比安装包中的文件需要的（glibc "
        f"{needed[0]}.{needed[1]}）旧，请在更新的系统上使用（统信UOS 20、银河麒麟 V10 及以后的版本都可以）。"
    )


def wheels_of(bundle: dict[str, Any], target: str, setup: Path = SETUP) -> list[Path]:
    """The target's wheels, each present and whole (a copy cut short on a USB stick is found here, not by pip)."""
    names = bundle["targets"][target]
    sums = bundle["sha256"]
    bad = []
    for name in names:
        path = setup / "wheels" / name
        try:
            whole = hashlib.sha256(path.read_bytes()).hexdigest() == sums[name]
        except OSError:
            whole = False
        if not whole:
            bad.append(name)
    if bad:
        raise Refused(
            f"安装包不完整或已损坏（{'、'.join(bad[:3])} 等 {len(bad)} 个文件）：请重新解压或重新复制整个安装包。"
        )
    return [setup / "wheels" / name for name in names]


# ------------------------------------------------------------------------------------------------ installing


def clean_environment() -> dict[str, str]:
    """The environment for pip and the new program: nothing of another Python's setup leaks in."""
    leaking = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "PYTHONNOUSERSITE")
    return {k: v for k, v in os.environ.items() if k not in leaking and not k.startswith("PIP_")}


def make_environment(folder: Path) -> Path:
    """A fresh virtual environment (an older one, from an earlier version, is replaced); its python."""
    import venv

    if folder.exists():
        try:
            shutil.rmtree(folder)
        except OSError as error:
            raise Refused(
                f"无法替换旧的程序文件（{error.strerror or error}）：年报收集可能正开着，请关闭它的窗口后重新安装。"
            ) from None
    # Without pip: the bundle's pip wheel installs into it (Debian's python3 lacks ensurepip without python3-venv).
    venv.EnvBuilder(with_pip=False, symlinks=not WINDOWS).create(str(folder))
    return folder / ("Scripts/python.exe" if WINDOWS else "bin/python")


def pip_install(python: Path, wheels: list[Path], version: str) -> None:
    """nianbao and its dependencies from the bundle's wheels, and from nowhere else."""
    (pip_wheel,) = [w for w in wheels if w.name.startswith("pip-")]
    command = [str(python), os.path.join(str(pip_wheel), "pip"), "install", "--isolated", "--no-index"]
    command += ["--find-links", str(pip_wheel.parent), "--only-binary=:all:", "--no-cache-dir"]
    command += ["--disable-pip-version-check", "--no-warn-script-location", "-q", f"nianbao=={version}"]
    done = subprocess.run(command, capture_output=True, text=True, env=clean_environment())
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Refused("从安装包安装没有成功：" + " / ".join(detail))


def program_command(folder: Path) -> Path:
    return folder / "venv" / ("Scripts/nianbao.exe" if WINDOWS else "bin/nianbao")


def check_program(folder: Path, version: str) -> None:
    done = subprocess.run(
        [str(program_command(folder)), "--version"], capture_output=True, text=True, env=clean_environment()
    )
    if done.returncode != 0 or version not in done.stdout:
        raise Refused(f"装好的程序不能运行：{(done.stderr or done.stdout).strip()[-300:]}")


def copy_setup(folder: Path) -> None:
    """What the program's folder keeps of the bundle: the launcher, this installer (for --uninstall) and the
    uninstall scripts."""
    (folder / "setup").mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        if (SETUP / name).exists():
            shutil.copy2(SETUP / name, folder / "setup" / name)
    if (SETUP.parent / UNINSTALLER).exists():
        shutil.copy2(SETUP.parent / UNINSTALLER, folder / UNINSTALLER)
    if WINDOWS:
        (folder / f"{NAME}.bat").write_bytes(LAUNCHER_BAT.encode("ascii"))
        (folder / "命令行.bat").write_bytes(COMMAND_WINDOW.encode("gbk"))


# ------------------------------------------------------------------------------------------------ shortcuts


def powershell(script: str, environ: dict[str, str]) -> subprocess.CompletedProcess[bytes] | None:
    root = os.environ.get("SYSTEMROOT", r"C:\Windows")
    executable = os.path.join(root, "System32", "WindowsPowerShell", "v1.0", "powershell.exe")
    if not os.path.exists(executable):
        executable = "powershell"
    try:
        done = subprocess.run([executable, *POWERSHELL_OPTIONS, script], capture_output=True, env=environ, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return done if done.returncode == 0 else None


def decoded_lines(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    lines = done.stdout.decode("ascii", "replace").split()
    return [base64.b64decode(line).decode("utf-8") for line in lines if line]


def windows_shortcuts(folder: Path) -> list[str]:
    """年报收集.lnk on the desktop and in the start menu: python.exe of the program runs the launcher (a console
    window: closing it stops the pages); and 年报收集命令行 in the start menu."""
    made = []
    for places, name, target, arguments, description in (
        (
            "Desktop,Programs",
            NAME,
            folder / "venv" / "Scripts" / "python.exe",
            f'"{folder / "setup" / "start.py"}"',
            "打开年报收集的网页（关闭窗口即停止）",
        ),
        ("Programs", f"{NAME}命令行", folder / "命令行.bat", "", "可以使用 nianbao 命令的窗口"),
    ):
        environ = {**os.environ, "NIANBAO_PLACES": places, "NIANBAO_NAME": name, "NIANBAO_TARGET": str(target)}
        environ.update(NIANBAO_ARGUMENTS=arguments, NIANBAO_FOLDER=str(folder), NIANBAO_DESCRIPTION=description)
        done = powershell(SHORTCUT_POWERSHELL, environ)
        made += decoded_lines(done) if done else []
    return made


def desktop_argument(text: str) -> str:
    """One argument of a .desktop file's Exec line (Desktop Entry Specification: quoted, with ``"`$\\`` escaped;
    then the string's own escaping doubles each backslash, and ``%`` is written ``%%``)."""
    if any(c in text for c in "\n\r\t"):
        raise Refused(f"文件夹的名称中不能有换行或制表符：{text!r}")
    quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in text) + '"'
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(command: list[str], icon: str) -> str:
    """The Linux shortcut: in a terminal window, which shows the page's address, and closing it stops the page."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.0",
            f"Name={NAME}",
            "Comment=政府信息公开工作年度报告：打开本轮收集的网页",
            "Exec=" + " ".join(desktop_argument(part) for part in command),
            f"Icon={icon}",
            "Terminal=true",
            "Categories=Office;",
            "StartupNotify=false",
            "",
        ]
    )


def linux_shortcuts(folder: Path, environ: dict[str, str]) -> list[str]:
    """年报收集 on the desktop and in the applications menu (marked trusted where the desktop asks for it)."""
    entry = desktop_entry(
        [str(folder / "venv" / "bin" / "python"), str(folder / "setup" / "start.py")],
        str(folder / "setup" / "nianbao.svg"),
    )
    data = environ.get("XDG_DATA_HOME") or os.path.join(environ.get("HOME", ""), ".local", "share")
    places = [os.path.join(data, "applications", "nianbao.desktop")]
    desktop = xdg_folder("DESKTOP", environ)
    if desktop and os.path.isdir(desktop):
        places.append(os.path.join(desktop, f"{NAME}.desktop"))
    for place in places:
        os.makedirs(os.path.dirname(place), exist_ok=True)
        Path(place).write_text(entry, encoding="utf-8")
        os.chmod(place, 0o755)
        with contextlib.suppress(OSError, subprocess.SubprocessError):  # GNOME-like desktops run a launcher
            subprocess.run(["gio", "set", place, "metadata::trusted", "true"], capture_output=True, timeout=10)
    return places


def command_link(folder: Path, environ: dict[str, str]) -> list[str]:
    """``nianbao`` as a command in a terminal (Linux): ~/.local/bin/nianbao, unless something else is there."""
    bin_folder = os.path.join(environ.get("HOME", ""), ".local", "bin")
    link = os.path.join(bin_folder, "nianbao")
    if os.path.lexists(link) and not _ours(link, folder):
        return []
    os.makedirs(bin_folder, exist_ok=True)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(str(program_command(folder)), link)
    return [link]


def _ours(link: str, folder: Path) -> bool:
    return os.path.islink(link) and os.readlink(link).startswith(str(folder))


# ------------------------------------------------------------------------------------------------ the two jobs


def ask_workspace(suggested: str) -> str:
    say("本轮收集的数据（工作区：名单、收到的表格、记录）放在哪个文件夹？")
    say(f"直接按回车使用：{suggested}")
    try:
        answer = input("或者输入（或把文件夹拖进本窗口）另一个文件夹：").strip().strip('"').strip("'")
    except EOFError:
        answer = ""
    return answer or suggested


def install(workspace: str | None, ask: bool) -> None:
    bundle = read_bundle()
    target = target_of(bundle)
    too_old = linux_too_old(bundle, target)
    if too_old:
        raise Refused(too_old)
    wheels = wheels_of(bundle, target)
    environ = dict(os.environ)
    folder = Path(program_folder(environ))
    earlier = read_record(folder)
    suggested = earlier.get("workspace") or default_workspace(environ)
    chosen = workspace or (ask_workspace(suggested) if ask else suggested)
    version = str(bundle["version"])
    say(f"正在安装年报收集 {version}（{NO_ADMIN_NEEDED}，也不需要网络）……")
    pip_install(make_environment(folder / "venv"), wheels, version)
    check_program(folder, version)
    copy_setup(folder)
    shortcuts = windows_shortcuts(folder) if WINDOWS else linux_shortcuts(folder, environ)
    links = [] if WINDOWS else command_link(folder, environ)
    workspace_path = os.path.abspath(os.path.expanduser(chosen))
    write_record(folder, {"version": version, "workspace": workspace_path, "shortcuts": shortcuts, "links": links})
    say_installed(folder, workspace_path, shortcuts)


def say_installed(folder: Path, workspace: str, shortcuts: list[str]) -> None:
    say("")
    say(f"安装完成。程序在：{folder}")
    say(f"工作区（本轮收集的数据）：{workspace}")
    menus = ("applications", "Programs")  # the others are on the desktop (whatever its name: 桌面, D:\\桌面 …)
    if any(os.path.basename(os.path.dirname(s)) not in menus and NAME + "." in s for s in shortcuts):
        say(f"双击桌面上的“{NAME}”打开网页；用完关闭那个窗口即可。")
    else:
        launcher = folder / (f"{NAME}.bat" if WINDOWS else "setup/start.py")
        say(f"没能在桌面上建立“{NAME}”图标；可以打开 {launcher} 启动，或从开始菜单（应用菜单）中找到“{NAME}”。")
    if WINDOWS:
        say(f"要在命令行中使用 nianbao 命令，双击 {folder / '命令行.bat'}。")
    say(f"卸载：运行 {folder / UNINSTALLER}（工作区不会被删除）。")


def read_record(folder: Path) -> dict[str, Any]:
    try:
        record: dict[str, Any] = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record


def write_record(folder: Path, record: dict[str, Any]) -> None:
    (folder / RECORD).write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def uninstall() -> None:
    folder = Path(program_folder(dict(os.environ)))
    record = read_record(folder)
    if not folder.exists():
        say(f"这台电脑上（{folder}）没有安装年报收集，不用卸载。")
        return
    for place in record.get("shortcuts") or []:
        if os.path.isfile(place) and place.endswith((".lnk", ".desktop")):
            os.remove(place)
    for link in record.get("links") or []:
        if _ours(link, folder):
            os.remove(link)
    try:
        shutil.rmtree(folder)
    except OSError as error:
        raise Refused(f"有些文件没能删除（{error.strerror or error}）：请关闭“年报收集”的窗口后再卸载一次。") from None
    say(f"年报收集已卸载（删除了 {folder} 和“{NAME}”图标）。")
    if record.get("workspace") and os.path.isdir(record["workspace"]):
        say(f"工作区（本轮收集的数据）没有删除，仍在：{record['workspace']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="安装或卸载年报收集（nianbao）")
    parser.add_argument("--workspace", help="工作区（本轮收集的数据）所在的文件夹")
    parser.add_argument("--yes", action="store_true", help="不询问，工作区用默认的（或上次安装时的）文件夹")
    parser.add_argument("--uninstall", action="store_true", help="卸载（工作区不删除）")
    options = parser.parse_args(argv)
    try:
        if options.uninstall:
            uninstall()
        else:
            ask = not options.yes and sys.stdin is not None and sys.stdin.isatty()
            install(options.workspace, ask)
    except Refused as refusal:
        say(f"{'卸载' if options.uninstall else '安装'}没有完成：{refusal}")
        return 1
    except (OSError, subprocess.SubprocessError) as error:
        say(f"{'卸载' if options.uninstall else '安装'}没有完成：{error}")
        return 1
    except KeyboardInterrupt:
        say("已取消。")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
