"""Errors the user can act on. Every message a clerk reads is Chinese and names what to fix."""

from __future__ import annotations


class NianbaoError(Exception):
    """A problem with the user's input or environment, shown as one line (no traceback)."""


class SpecError(NianbaoError):
    """The form spec in templates/ is malformed: refuse it rather than build a wrong workbook."""

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(f"表格规格文件 {source} 有误：{detail}")


class RosterError(NianbaoError):
    """The roster cannot be used; nothing is written."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"名单文件 {source} 有 {len(problems)} 处问题，未生成任何文件：\n{lines}")
