"""Read a roster of reporting units: CSV (UTF-8 with or without BOM, GBK/GB18030) or XLSX."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from nianbao.io.files import decode_chinese_text
from nianbao.problems import NianbaoError, RosterError

ID_HEADERS = ("unit_id", "单位编码", "单位代码", "编码")
NAME_HEADERS = ("unit_name", "单位名称", "名称")
KIND_HEADERS = ("类型", "单位类型", "kind", "unit_kind")  # optional: units are reviewed against their own kind
MAX_ROSTER_BYTES = 20 * 1024 * 1024
HEADER_SEARCH_ROWS = 10  # non-empty rows in which the header is looked for


@dataclass(frozen=True)
class Unit:
    unit_id: str
    unit_name: str
    line: int = 0  # line of the roster it came from, for messages
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    kind: str = field(default="", compare=False)  # 镇, 乡, 部门 …: the roster's 类型 column, if it has one


def read_roster(path: str | Path) -> list[Unit]:
    """Every unit of the roster, in order; a RosterError listing every problem if any."""
    path = Path(path)
    if not path.is_file():
        raise NianbaoError(f"找不到名单文件 {path}")
    if path.stat().st_size > MAX_ROSTER_BYTES:
        raise RosterError(path.name, ["文件过大，不像是单位名单"])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheet, rows = _xlsx_rows(path)
        return _units(f"{path.name}（工作表“{sheet}”）" if sheet else path.name, rows)
    if path.suffix.lower() in (".csv", ".txt"):
        return _units(path.name, _csv_rows(path))
    raise RosterError(path.name, [f"不支持 {path.suffix or '无扩展名'} 格式，请用 .csv 或 .xlsx"])


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    text = decode_chinese_text(path.read_bytes())
    if text is None:
        raise RosterError(path.name, ["无法识别文件编码（应为 UTF-8 或 GBK），请在 Excel 中另存为“CSV UTF-8”"])
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    # Copied out of Excel into Notepad a table is tab-separated; some European settings write semicolons.
    delimiter = next((d for d in ("\t", ";") if d in first and "," not in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(reader.line_num, row) for row in reader]


def _xlsx_rows(path: Path) -> tuple[str, list[tuple[int, list[str]]]]:
    """The rows of the first sheet with a header of both columns (a 说明 sheet may come first), else of the
    first sheet; and that sheet's name when the workbook has more than one, for the messages."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RosterError(path.name, [f"无法作为 Excel 文件打开：{type(exc).__name__}"]) from None
    try:
        sheets = []
        for ws in wb.worksheets:
            ws.reset_dimensions()  # WPS may write a wrong <dimension>
            rows = [(i, [_cell_text(v) for v in row]) for i, row in enumerate(ws.iter_rows(values_only=True), 1)]
            if _has_header(rows):
                return (ws.title if len(wb.worksheets) > 1 else ""), rows
            sheets.append((ws.title, rows))
        return (sheets[0][0] if len(sheets) > 1 else ""), sheets[0][1]
    finally:
        wb.close()


def _has_header(rows: list[tuple[int, list[str]]]) -> bool:
    filled = [(n, [c.strip() for c in row]) for n, row in rows if any(c.strip() for c in row)]
    return _header_row(filled, all) is not None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 210922100 typed as a number
    if isinstance(value, (bool, datetime, date, time)):
        return f"{_NOT_AN_ID}{value}"  # a code Excel turned into a date or a truth value: said below
    return str(value)


def _units(source: str, rows: list[tuple[int, list[str]]]) -> list[Unit]:
    rows = [(n, [c.strip() for c in row]) for n, row in rows if any(c.strip() for c in row)]
    if not rows:
        raise RosterError(source, ["文件是空的"])
    start = _header_index(rows)
    header_line, header = rows[start]
    id_col = _find(header, ID_HEADERS)
    name_col = _find(header, NAME_HEADERS)
    kind_col = _find(header, KIND_HEADERS)
    missing = [
        names[0] + "/" + names[1] for col, names in ((id_col, ID_HEADERS), (name_col, NAME_HEADERS)) if col is None
    ]
    if missing:
        raise RosterError(source, [f"第 {header_line} 行（表头）缺少列：{'、'.join(missing)}"])
    assert id_col is not None and name_col is not None

    columns = _column_names(header)
    problems: list[str] = []
    units: list[Unit] = []
    first_line: dict[str, int] = {}
    for line, row in rows[start + 1 :]:
        row = row + [""] * (len(header) - len(row))
        unit_id, unit_name = row[id_col], row[name_col]
        if not unit_id:
            problems.append(f"第 {line} 行：单位编码为空")
        if not unit_name:
            problems.append(f"第 {line} 行：单位名称为空")
        wrong = _wrong_id(unit_id)
        if wrong:
            problems.append(f"第 {line} 行：单位编码“{marked(unit_id.removeprefix(_NOT_AN_ID))}”{wrong}")
        if _hidden(unit_name):
            problems.append(
                f"第 {line} 行：单位名称“{marked(unit_name)}”中有控制字符或改变文字方向的字符（以 <U+…> 标出），"
                "请删除后重新输入"
            )
        same = _same_code(unit_id)  # ２１０９２２１００ and 210922100 are one code typed twice
        if unit_id and same in first_line:
            problems.append(f"第 {line} 行：单位编码 {unit_id} 与第 {first_line[same]} 行重复")
        if unit_id and unit_name and same not in first_line:
            extra = {
                column: v
                for i, (column, h, v) in enumerate(zip(columns, header, row, strict=False))
                if i not in (id_col, name_col) and (h or v)
            }
            units.append(Unit(unit_id, unit_name, line, extra, row[kind_col] if kind_col is not None else ""))
        if unit_id:
            first_line.setdefault(same, line)
    if problems:
        raise RosterError(source, problems)
    if not units:
        raise RosterError(source, ["名单里没有任何单位"])
    return units


def _same_code(unit_id: str) -> str:
    """A code as compared for duplicates: full-width characters as half-width, no spaces."""
    return "".join(unicodedata.normalize("NFKC", unit_id).split())


_NOT_AN_ID = "\x00"
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE][+-]?\d+$")


# Characters that change how a line reads without being seen: controls, and the marks that reverse its direction.
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
_CODE = re.compile(r"[A-Za-z0-9_-]+")


def _hidden(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" or ch in _BIDI for ch in text)


def marked(text: str) -> str:
    """Text with its hidden characters shown as <U+…>, so that a message about it can be read."""
    return "".join(f"<U+{ord(ch):04X}>" if unicodedata.category(ch) == "Cc" or ch in _BIDI else ch for ch in text)


def _wrong_id(unit_id: str) -> str:
    """What is wrong with a unit code that Excel has changed, or that no file name or address can carry, or ''
    if nothing."""
    if unit_id.startswith(_NOT_AN_ID):
        return "被 Excel 当成了日期或逻辑值；请把这一列设为“文本”格式后重新输入编码"
    if _SCIENTIFIC.match(unit_id):
        return "被 Excel 改成了科学计数法，原来的编码已丢失；请把这一列设为“文本”格式后重新输入编码"
    if re.fullmatch(r"\d+\.\d+", unit_id):
        return "带小数，不像单位编码；请核对"
    if unit_id and not _CODE.fullmatch(_same_code(unit_id)):
        return "中有字母、数字、- 和 _ 以外的字符，不能作为单位编码（文件名、网页地址都要用到它）；请核对"
    return ""


def _header_index(rows: list[tuple[int, list[str]]]) -> int:
    """The header among the first rows (a title and a date may come first, as in a printed list): the first
    with both an id and a name column, else the first with either (to say what is missing), else the first."""
    for wanted in (all, any):
        found = _header_row(rows, wanted)
        if found is not None:
            return found
    return 0


def _header_row(rows: list[tuple[int, list[str]]], wanted: Callable[[Iterable[bool]], bool]) -> int | None:
    """The first of the first rows with both (``all``) or either (``any``) of the id and name columns."""
    for i, (_, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if wanted(_find(row, names) is not None for names in (ID_HEADERS, NAME_HEADERS)):
            return i
    return None


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    normalized = [h.strip().lower().lstrip("\ufeff") for h in header]
    for name in names:
        if name in normalized:
            return normalized.index(name)
    return None


def may_have_column(path: Path, headers: tuple[str, ...]) -> bool:
    """Whether a roster may have one of these columns, from a look at the start of the file: False only
    when a CSV roster's first lines (where the header is) name none of them."""
    if path.suffix.lower() != ".csv":
        return True
    try:
        with path.open("rb") as f:
            start = f.read(64 * 1024)
    except OSError:
        return True
    text = decode_chinese_text(start) or decode_chinese_text(start[:-3]) or ""  # a character cut at the end
    head = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS * 3])
    return any(header.lower() in head.lower() for header in headers)


# -- contact columns ----------------------------------------------------------------------------------------

MAIL_COLUMN_WORDS = ("邮箱", "mail")  # a column whose header has one of these holds mail addresses
_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+")
_NOTHING = {"无", "暂无", "没有", "-", "—", "/", "——"}


def _column_names(header: Sequence[str]) -> list[str]:
    """The roster's other columns by name: one under no header is named by its place (第5列), a header met
    again is numbered (邮箱（2）), so that no value is lost to another."""
    names, seen = [], Counter[str]()
    for i, h in enumerate(header):
        h = h or f"第{i + 1}列"
        seen[h] += 1
        names.append(h if seen[h] == 1 else f"{h}（{seen[h]}）")
    return names


def is_mail_column(header: str) -> bool:
    return any(word in header.lower() for word in MAIL_COLUMN_WORDS)


def mail_addresses(text: str) -> tuple[list[str], list[str]]:
    """The addresses in a roster's mail cell (several, separated as people do: , ; 、 spaces, full-width too;
    “李四 <ls@a.cn>” too), lower-case, and the pieces that are no address (“无” and the like are nothing)."""
    text = unicodedata.normalize("NFKC", text)  # ＠ ； ， → @ ; ,
    text = re.sub(r"[^<>,;、]*<([^<>]*)>", r" \1 ", text)  # a name before <address>: the address
    found, wrong = [], []
    for piece in re.split(r"[,;、\s]+", text):
        piece = piece.strip("\"'")
        if not piece or piece in _NOTHING:
            continue
        if _ADDRESS.fullmatch(piece):
            found.append(piece.lower())
        else:
            wrong.append(piece)
    return found, wrong
