"""Last year's figures for the cross-year rules (X1, X2) and the year-over-year review, from last year's
workbooks or summaries, or from last year's published reports read on the fly.

A summary carries every unit's figures in its breakdown sheet, so last year's county summary is enough to
check each township's 上年结转 this year. Other kinds of file plug in by suffix (``SOURCES``): a reader
gives the unit, year and figures a file holds, or says why it cannot."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.form.rules import with_totals
from nianbao.form.spec import DEFAULT_FORM, Form, load_form
from nianbao.io.breakdown import read_breakdown
from nianbao.io.files import shown
from nianbao.io.identity import SUMMARY
from nianbao.io.reading import open_spreadsheet
from nianbao.io.roster import Unit
from nianbao.operations.check import NAME_KEY, CheckOptions, check_all, check_file, find_files
from nianbao.operations.importing import match_unit, parse_report, report_lines, report_title
from nianbao.problems import NianbaoError

Figures = Mapping[str, float | None]


@dataclass
class LastYear:
    """What one file of another kind than a workbook says about last year: its unit, year and figures."""

    unit_name: str
    year: int | None
    figures: Figures
    unit_id: str = ""  # when the file names it
    notes: list[str] = field(default_factory=list)  # what could not be read (the rest is used)


# A reader of a kind of file, by suffix: (path, form) -> LastYear, or NianbaoError saying why not.
Reader = Callable[[Path, Form], LastYear]


def read_published(path: Path, form: Form) -> LastYear:
    """A published report (the page's text, the page, the Word document or the PDF): its title names the unit
    and the year."""
    lines = report_lines(path, form)
    title = report_title(lines, form)
    if title is None:
        example = form.report.title.format(unit="××", year="20××")
        raise NianbaoError(f"找不到报告标题（如“{example}”），无法确定是哪个单位哪一年的报告")
    imported = parse_report(lines, form)
    numbers = {c.code: _number(imported.figures.get(c.code)) for c in form.inputs}
    notes = [p.message for p in imported.problems]
    return LastYear(title.unit, title.year, with_totals(form.totals, numbers), notes=notes)


def _number(value: object) -> float | None:
    return value if isinstance(value, float) else None  # text where a figure should be: not a figure


SOURCES: dict[str, Reader] = {suffix: read_published for suffix in (".txt", ".html", ".htm", ".docx", ".pdf")}


def previous_figures(
    paths: Iterable[str | Path],
    form_name: str = DEFAULT_FORM,
    year: int | None = None,
    units: Iterable[Unit] | None = None,
) -> tuple[dict[str, Figures], list[str]]:
    """Figures by unit_id, and what could not be used (a sentence each, naming the file); with ``year`` (this
    year), only last year's are used (files of other years are named in one sentence, a folder may hold both
    years); without it, files of more than one year are not used at all (which is last year is not known). A
    published report is matched to ``units`` (the roster) by the name in its title; without a roster it is kept
    by that name, and check finds it by the unit's name."""
    form = load_form(form_name)
    workbooks: list[Path] = []
    others: list[Path] = []
    for path in _files(paths):
        (others if path.suffix.lower() in SOURCES else workbooks).append(path)
    found: list[tuple[int | None, str, Figures]] = []  # (year, unit key, figures)
    unusable: list[str] = []
    other_years: dict[int | None, list[str]] = {}
    for report in check_all(workbooks, CheckOptions(form_name=form_name)) if workbooks else ():
        if not any(v is not None for v in report.figures.values()):
            unread = report.errors[0].message if report.errors else "没有数字"
            reason = "一个数字也没有填" if report.figures else unread
            unusable.append(f"{report.name}：{reason}")
        elif year is not None and report.year != year - 1:
            other_years.setdefault(report.year, []).append(report.name)
        else:
            found.append((report.year, report.unit_id, report.figures))
            if report.identity.get("kind") == SUMMARY:
                breakdown = read_breakdown(open_spreadsheet(report.path).sheets)
                found += [(report.year, unit_id, figures) for unit_id, figures in breakdown.items()]
    roster = list(units) if units is not None else None
    for path in others:
        name = shown(path)
        try:
            published = SOURCES[path.suffix.lower()](path, form)
        except NianbaoError as exc:
            unusable.append(f"{name}：{exc}")
            continue
        if year is not None and published.year is not None and published.year != year - 1:
            other_years.setdefault(published.year, []).append(name)
            continue
        key = published.unit_id or _unit_key(published.unit_name, roster)
        if key is None:
            unusable.append(f"{name}：报告标题中的单位“{published.unit_name}”不在名单上（或与名单上几个单位都相近）")
            continue
        unusable.extend(f"{name}：{note}（其余数字照常使用）" for note in published.notes)
        found.append((published.year, key, published.figures))
    if year is not None:
        unusable += [_other_year(y, names, year - 1) for y, names in sorted(other_years.items(), key=str)]
    years = sorted({y for y, _, _ in found if y is not None})
    if year is None and len(years) > 1:
        shown_years = "、".join(str(y) for y in years)
        unusable.append(f"上年的文件有 {shown_years} 几个年度的，不知道哪一年是上年，都未使用；请指定本次的年度")
        return {}, unusable
    return {key: figures for _, key, figures in found}, unusable


def _other_year(found: int | None, names: list[str], last: int) -> str:
    listed = "、".join(names[:3]) + (f" 等 {len(names)} 个文件" if len(names) > 3 else "")
    return f"{listed}：是 {found} 年度的，不是上年（{last} 年度）的，未使用"


def year_of_first(paths: Iterable[str | Path], form_name: str = DEFAULT_FORM) -> int | None:
    """The year of the first file under ``paths`` that names one (its identity, or a report's title): this
    year, when it is not given, so that last year's files can be told from others."""
    for path in find_files(paths)[:20]:
        report = check_file(path, CheckOptions(form_name=form_name, keep_raw=False))
        if report.year:
            return report.year
    return None


def _unit_key(name: str, roster: list[Unit] | None) -> str | None:
    """The roster unit a report's title names (its code), or the name itself when there is no roster."""
    if roster is None:
        return NAME_KEY + name
    near = match_unit(name, roster)
    return near[0].unit_id if len(near) == 1 else None


def _files(paths: Iterable[str | Path]) -> list[Path]:
    """Workbooks (as check finds them) and files of the other kinds, under the paths given."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [p for p in find_files([path]) if p.suffix.lower() not in SOURCES]
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(root) / n for n in sorted(names) if Path(n).suffix.lower() in SOURCES]
        elif path.suffix.lower() in SOURCES:
            if not path.is_file():
                raise NianbaoError(f"找不到 {shown(path)}")
            found.append(path)
        else:
            found += find_files([path])
    return found
