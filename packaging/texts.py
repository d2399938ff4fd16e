"""The bundle's own files as a clerk's computer reads them: the Windows batch files in GBK with CRLF (cmd reads a
batch file in the console's code page, 936 on a Chinese Windows), the shell scripts with LF, the guide as text
(UTF-8 with a BOM and CRLF, which every Notepad opens) and as a web page, made from one source."""

from __future__ import annotations

import html
import unicodedata
from pathlib import Path

INSTALLER = Path(__file__).resolve().parent / "installer"
BATCH_FILES = ("安装.bat", "卸载.bat")
SHELL_FILES = ("install.sh", "uninstall.sh")
SETUP_FILES = ("install.py", "start.py", "nianbao.svg")
GUIDE = "使用说明.md"


def filled(text: str, version: str, pythons: list[str]) -> str:
    newest_first = sorted(pythons, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    for key, value in {
        "@VERSION@": version,
        "@PYTHONS_SHOWN@": "、".join(pythons),
        "@PYTHONS_NEWEST_FIRST@": " ".join(newest_first),
        "@PYTHON_COMMANDS@": " ".join(f"python{v}" for v in newest_first),
    }.items():
        text = text.replace(key, value)
    return text


def batch_file(name: str, version: str, pythons: list[str]) -> bytes:
    text = filled((INSTALLER / name).read_text(encoding="utf-8"), version, pythons)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("gbk")


def shell_file(name: str, version: str, pythons: list[str]) -> bytes:
    return filled((INSTALLER / name).read_text(encoding="utf-8"), version, pythons).encode("utf-8")


def guide_source(version: str, pythons: list[str]) -> str:
    return filled((INSTALLER / GUIDE).read_text(encoding="utf-8"), version, pythons)


def guide_text(source: str) -> bytes:
    """使用说明.txt: the headings underlined, the rest as written."""
    lines = []
    for line in source.splitlines():
        level = len(line) - len(line.lstrip("#"))
        if level and line[level : level + 1] == " ":
            title = line[level + 1 :]
            width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in title)
            lines += [title, ("=" if level == 1 else "-" if level == 2 else "~") * width]
        else:
            lines.append(line)
    return "\ufeff".encode() + "\r\n".join(lines).encode("utf-8") + b"\r\n"


def guide_page(source: str) -> bytes:
    """使用说明.html: headings, paragraphs, lists ("- " or "1. ", nested by indentation) and commands (indented)."""
    title = source.splitlines()[0].lstrip("# ")
    page = _Page()
    for line in source.splitlines():
        page.add(line)
    page.close_lists(-1)
    page.close_paragraph()
    return "\n".join(
        [*HEAD, f"<title>{html.escape(title)}</title>", "</head><body>", *page.body, "</body></html>", ""]
    ).encode()


HEAD = [
    "<!DOCTYPE html>",
    '<html lang="zh-CN"><head><meta charset="utf-8">',
    "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.7;padding:0 1em}"
    "code{display:block;background:#f4f4f4;padding:.5em;white-space:pre-wrap;word-break:break-all}</style>",
]


class _Page:
    def __init__(self) -> None:
        self.body: list[str] = []
        self.lists: list[tuple[int, str]] = []  # each open list: the indentation of its items, ul or ol
        self.paragraph = False

    def add(self, line: str) -> None:
        stripped, indent = line.strip(), len(line) - len(line.lstrip(" "))
        kind, text = _item(stripped)
        if not stripped:
            self.close_paragraph()
        elif stripped.startswith("#") and not indent:
            self.close_lists(-1)
            level = len(stripped) - len(stripped.lstrip("#"))
            self.body.append(f"<h{level}>{html.escape(stripped[level:].strip())}</h{level}>")
        elif kind:
            self.item(indent, kind, text)
        elif indent >= 8 or (indent >= 4 and not self.lists):
            self.close_paragraph()
            self.body.append(f"<code>{html.escape(stripped)}</code>")
        elif (self.lists and indent) or self.paragraph:  # the text goes on (Chinese runs on without a space)
            self.body[-1] += html.escape(stripped)
        else:
            self.close_lists(-1)
            self.body.append(f"<p>{html.escape(stripped)}")
            self.paragraph = True

    def item(self, indent: int, kind: str, text: str) -> None:
        self.close_lists(indent)
        if self.lists and self.lists[-1][0] == indent:
            self.body.append("</li><li>")
        else:
            self.lists.append((indent, kind))
            self.body.append(f"<{kind}><li>")
        self.body[-1] += html.escape(text)

    def close_lists(self, indent: int) -> None:
        self.close_paragraph()
        while self.lists and self.lists[-1][0] > indent:
            self.body.append(f"</li></{self.lists.pop()[1]}>")

    def close_paragraph(self) -> None:
        if self.paragraph:
            self.body[-1] += "</p>"
            self.paragraph = False


def _item(stripped: str) -> tuple[str, str]:
    if stripped.startswith("- "):
        return "ul", stripped[2:]
    number, dot, rest = stripped.partition(". ")
    return ("ol", rest) if dot and number.isdigit() else ("", stripped)
