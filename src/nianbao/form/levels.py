"""The levels of government a unit may be at (``[[levels]]`` of the spec), and so which rules apply to it: only
the governments of cities with districts (and above) make 规章, so the rule that a 规章 figure should be 0 holds
for a township, a county or a department, not for a city.

A unit's level is the one whose ``kinds`` list the roster's 类型 of the unit; else the one whose ``endings`` its name
ends with (the longest ending wins: 淮安市人民政府 is a city, 淮安市交通运输局 is not); else the ``default`` level.
The name is all an imported report or a Word return has: its title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao.form.raw import Raw


@dataclass(frozen=True)
class Level:
    id: str
    title: str  # as a clerk reads it, e.g. 设区的市级及以上
    kinds: tuple[str, ...]  # the roster's 类型 values of units at this level
    endings: tuple[str, ...]  # what the names of units at this level end with
    default: bool  # the level of a unit whose kind and name say nothing


@dataclass(frozen=True)
class Levels:
    levels: tuple[Level, ...] = ()

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(level.id for level in self.levels)

    def of(self, kind: str, name: str) -> str:
        """The level of a unit of ``kind`` (the roster's 类型, '' if none) named ``name``; '' when the spec has no
        levels (every rule applies)."""
        kind = _bare(kind)
        for level in self.levels:
            if kind and kind in level.kinds:
                return level.id
        bare = _bare(name)
        endings = [(len(e), level.id) for level in self.levels for e in level.endings if bare.endswith(e)]
        if endings:
            return max(endings)[1]
        return next((level.id for level in self.levels if level.default), "")


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def parse_levels(raw: Raw) -> Levels:
    """The ``[[levels]]`` of a spec (none: every rule applies to every unit)."""
    levels: list[Level] = []
    for node in raw.items(optional=True):
        node = node.table(keys=("id", "title", "kinds", "endings", "default"))
        level = Level(
            id=node["id"].text(),
            title=node["title"].text(),
            kinds=tuple(_bare(k) for k in node["kinds"].texts(optional=True)),
            endings=tuple(_bare(e) for e in node["endings"].texts(optional=True)),
            default=node["default"].flag(False),
        )
        if level.id in {known.id for known in levels}:
            raise node["id"].error(f"层级 {level.id} 重复")
        levels.append(level)
    if levels and sum(level.default for level in levels) != 1:
        raise raw.error("应有且只有一个层级写 default = true（类型和名称都看不出层级的单位属于它）")
    return Levels(tuple(levels))
