"""Values of a spec file read with checks: every missing or wrong value is a SpecError naming its place in
the file (``tables[1].blocks[0].rows[4].span``), in words a spec author understands."""

from __future__ import annotations

import json
from typing import TypeVar

from nianbao.problems import SpecError

T = TypeVar("T")
_ABSENT = object()


class Raw:
    """One value of the parsed TOML and where it is: ``raw["tables"].items()[1]["id"].text()``."""

    __slots__ = ("path", "source", "value")

    def __init__(self, value: object, source: str, path: str = "") -> None:
        self.value, self.source, self.path = value, source, path

    def __getitem__(self, key: str) -> Raw:
        """The value under ``key`` of this table (absent when this is not a table or has no such key)."""
        value = self.value.get(key, _ABSENT) if isinstance(self.value, dict) else _ABSENT
        return Raw(value, self.source, f"{self.path}.{key}" if self.path else key)

    @property
    def present(self) -> bool:
        return self.value is not _ABSENT

    def error(self, detail: str) -> SpecError:
        return SpecError(self.source, self.path, detail)

    def text(self, default: str | None = None) -> str:
        return self._expect(str, "文字", default)

    def integer(self, default: int | None = None, minimum: int | None = None) -> int:
        value = self._expect(int, "整数", default)
        if minimum is not None and value < minimum:
            raise self.error(f"应不小于 {minimum}，实为 {value}")
        return value

    def number(self) -> float:
        if not self.present:
            raise self.error("缺少必填项")
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise self._wrong("数字")
        return float(self.value)

    def flag(self, default: bool) -> bool:
        return self._expect(bool, "true 或 false", default)

    def choice(self, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(default)
        if value not in choices:
            raise self.error(f"只能是 {'、'.join(json.dumps(c) for c in choices)}，实为 {shown(value)}")
        return value

    def items(self, optional: bool = False, non_empty: bool = False) -> list[Raw]:
        """The elements of a list (an absent optional list is empty)."""
        values = self._expect(list, "列表", [] if optional else None)
        if non_empty and not values:
            raise self.error("不能是空列表")
        return [Raw(v, self.source, f"{self.path}[{i}]") for i, v in enumerate(values)]

    def texts(self, optional: bool = False) -> list[str]:
        return [item.text() for item in self.items(optional)]

    def table(self, optional: bool = False, keys: tuple[str, ...] | None = None) -> Raw:
        """This value as a table (an absent optional table is empty); with ``keys``, no other key is allowed."""
        value = self._expect(dict, "表", {} if optional else None)
        node = Raw(value, self.source, self.path)
        unknown = [key for key in value if keys is not None and key not in keys]
        if unknown:
            raise node[unknown[0]].error(f"不认识的项（这里可用的项：{'、'.join(keys or ())}）")
        return node

    def entries(self) -> list[tuple[str, Raw]]:
        """The keys of a table with their values, in the file's order."""
        return [(key, self[key]) for key in self._expect(dict, "表", None)]

    def _expect(self, kind: type[T], name: str, default: T | None) -> T:
        if not self.present:
            if default is None:
                raise self.error("缺少必填项")
            return default
        if not isinstance(self.value, kind) or (kind is int and isinstance(self.value, bool)):
            raise self._wrong(name)
        return self.value

    def _wrong(self, expected: str) -> SpecError:
        return self.error(f"应为{expected}，实为 {shown(self.value)}")


def shown(value: object) -> str:
    """A value as its TOML text, short: "x", 3, true; a table or a list by its kind."""
    if isinstance(value, dict):
        return "一个表"
    if isinstance(value, list):
        return "一个列表"
    if isinstance(value, (str, int, float, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def template(raw: Raw, names: tuple[str, ...]) -> str:
    """A text with placeholders such as {unit}: only ``names`` may be used."""
    text = raw.text()
    try:
        text.format(**dict.fromkeys(names, ""))
    except (KeyError, IndexError, ValueError):
        allowed = "、".join(f"{{{n}}}" for n in names)
        raise raw.error(f"只能使用占位符 {allowed}（其他花括号写成 {{{{ 和 }}}}）") from None
    return text
