"""Drafts of the report's text sections made from the figures alone (``[report.draft]`` of the spec), for the
sections nobody has written: marked as drafts, saying only what the tables say.

A sentence of a draft names figures as ``{T3.R01.C7}``; ``{change:T3.R01.C7}`` is its change against last year's
figure in the spec's words (``change.rise`` …) when last year's figures are known, else nothing; ``{units}`` is
how many units a summary sums. A sentence whose figure is blank or not a number, or that names ``{units}`` in a
unit's own report, is left out: a draft never says what the figures do not."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nianbao.form.raw import Raw, template
from nianbao.form.review import figure_text

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
CHANGE = "change:"
UNITS = "units"
CHANGE_WORDS = ("rise", "fall", "same")
CHANGE_PLACEHOLDERS = ("diff", "unit")


@dataclass(frozen=True)
class Drafts:
    mark: str = ""  # what begins a drafted section, e.g. 【草稿】
    note: str = ""  # said after the mark: how the draft was made and what to do with it
    change: Mapping[str, str] = field(default_factory=dict)  # rise, fall, same: with {diff} and {unit}
    sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # a text section's code: its sentences


def parse_drafts(raw: Raw, units: Mapping[str, str], sections: Sequence[str]) -> Drafts:
    """``[report.draft]`` (absent: no drafts). ``units`` gives each figure cell's unit (件, 万元); ``sections`` are
    the text sections' codes."""
    raw = raw.table(optional=True, keys=("mark", "note", "change", "sections"))
    if not raw["sections"].present:
        return Drafts()
    change = raw["change"].table(keys=CHANGE_WORDS)
    words = {word: template(change[word], CHANGE_PLACEHOLDERS) for word in CHANGE_WORDS}
    drafted: dict[str, tuple[str, ...]] = {}
    for code, node in raw["sections"].entries():
        if code not in sections:
            raise node.error(f"{code} 不是文字部分的编号（可用：{'、'.join(sections)}）")
        for item in node.items(non_empty=True):
            for name in _PLACEHOLDER.findall(item.text()):
                if name != UNITS and name.removeprefix(CHANGE) not in units:
                    raise item.error(f"{{{name}}} 不是单元格编码，也不是 {{{UNITS}}} 或 {{{CHANGE}单元格编码}}")
        drafted[code] = tuple(node.texts())
    return Drafts(raw["mark"].text(), raw["note"].text(""), words, drafted)


def draft(
    drafts: Drafts,
    code: str,
    figures: Mapping[str, object],
    units: Mapping[str, str],
    previous: Mapping[str, float | None] | None = None,
    count: int | None = None,
) -> str:
    """The draft of the text section ``code`` ('' if the spec has none): the mark and note, then each sentence
    the figures can fill, a paragraph each. ``units`` gives each cell's unit; ``count`` the units a summary sums."""
    filled = (_filled(text, figures, units, previous, count, drafts) for text in drafts.sections.get(code, ()))
    said = [sentence for sentence in filled if sentence is not None]
    if not said:
        return ""
    return "\n".join([drafts.mark + drafts.note, *said])


def _filled(
    sentence: str,
    figures: Mapping[str, object],
    units: Mapping[str, str],
    previous: Mapping[str, float | None] | None,
    count: int | None,
    drafts: Drafts,
) -> str | None:
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match[1]
        if name == UNITS:
            missing |= count is None
            return str(count)
        now = figures.get(name.removeprefix(CHANGE))
        if not isinstance(now, (int, float)) or isinstance(now, bool):
            missing = True
            return ""
        if name.startswith(CHANGE):
            return _change(float(now), previous, name.removeprefix(CHANGE), units, drafts)
        return figure_text(float(now))

    text = _PLACEHOLDER.sub(value, sentence)
    return None if missing else text


def _change(
    now: float, previous: Mapping[str, float | None] | None, code: str, units: Mapping[str, str], drafts: Drafts
) -> str:
    before = previous.get(code) if previous is not None else None
    if before is None:
        return ""
    word = "rise" if now > before else "fall" if now < before else "same"
    return drafts.change[word].format(diff=figure_text(abs(now - before)), unit=units.get(code, ""))
