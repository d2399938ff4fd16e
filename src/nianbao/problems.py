"""Errors the user can act on, and problems found in files. Every message a clerk reads is Chinese and
names what to fix."""

from __future__ import annotations

from dataclasses import dataclass


class NianbaoError(Exception):
    """A problem with the user's input or environment, shown as one line (no traceback)."""


class SpecError(NianbaoError):
    """The form spec is malformed: refuse it rather than build a wrong workbook. ``where`` is the place in
    the file, e.g. ``tables[1].blocks[0].rows[4].span`` (empty for the file as a whole)."""

    def __init__(self, source: str, where: str, detail: str) -> None:
        self.source, self.where = source, where
        super().__init__(f"表格规格文件 {source} 有误：{where + '：' if where else ''}{detail}")


class RosterError(NianbaoError):
    """The roster cannot be used; nothing is written."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"名单文件 {source} 有 {len(problems)} 处问题，未生成任何文件：\n{lines}")


class ReadError(NianbaoError):
    """A returned file that cannot be read as a workbook; ``code`` is stable, the message is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


ERROR, WARNING = "error", "warning"
SEVERITY_NAMES = {ERROR: "错误", WARNING: "警告"}

# Every message about a file's content, by stable code. Rule messages live in the form spec.
MESSAGES = {
    "BLANK": "未填写；没有发生请填 0",
    "TEXT": "填的是“{text}”，这里只能填数字{hint}",
    "NEGATIVE": "不能是负数（填的是 {value}）",
    "FRACTION": "件数应为整数（填的是 {value}）",
    "DECIMALS": "金额（{unit}）最多 {decimals} 位小数（填的是 {value}）",
    "NOT_NUMBER": "应填数字，这里是{what}",
    "AS_TEXT": "“{text}”已按数字 {value} 读取；请直接填数字",
    "TOTAL_DIFFERS": "表中显示 {shown}，按各项重新计算为 {value}，以重新计算的为准",
    "NO_IDENTITY": "找不到表格身份信息：不是本工具生成的统计表，或隐藏的“{sheet}”工作表被删除；请使用县里下发的表格填报",
    "IDENTITY_MISMATCH": "表格身份信息前后不一致（{detail}），可能拼接了其他单位的表格",
    "UNKNOWN_FORM": "表格格式 {form} 不是本工具认识的格式",
    "FORM_VERSION": "表格格式为 {found}，本次应使用 {expected}；请使用县里下发的新表格",
    "FINGERPRINT": "表格版式与 {form} 格式不一致（版式指纹 {found}，应为 {expected}），请使用县里下发的表格",
    "MISSING_SHEET": "缺少工作表“{sheet}”（工作表被删除或改名），请使用县里下发的原表格",
    "EXTRA_SHEET": "多出工作表“{sheet}”，已忽略",
    "LAYOUT": "表格版式被改动（共 {count} 处表头或标签与原表不符，可能插入、删除或移动了行列）：{examples}；不读取本表数字，请使用县里下发的原表格",
    "YEAR": "报告年度为 {found} 年，本次应为 {expected} 年（可能发来了往年的表格）",
    "NOT_ON_ROSTER": "单位编码 {unit_id}（{unit_name}）不在名单上",
    "NAME_DIFFERS": "表内单位名称“{found}”与名单上的“{expected}”不同",
    "NO_PREVIOUS": "没有找到该单位的上年数据，未做跨年度核对",
    "PARTIAL_SUMMARY": "这是部分汇总表（缺 {missing} 个单位），不是完整的汇总，不能作为正式数字或再次汇总",
    "TEXT_FIGURE": "正文说“{quoted}”，表三新收申请总计为 {received} 件",
    "TEXT_EMPTY": "“{section}”部分为空或只写“无”，评估时会被扣分",
    "TEXT_FEE": "“{section}”应说明信息处理费的收取情况（收取或未收取）",
    "DUPLICATE_UNIT": "与 {others} 是同一单位（{unit_id}）同一年度的表格",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: what, where (sheet, cell and its labels), how bad."""

    severity: str
    code: str  # a rule id of the form spec (S1, I1, …) or a code of MESSAGES
    message: str
    sheet: str = ""
    cell: str = ""
    row_label: str = ""
    col_label: str = ""
    figures: tuple[float, float] | None = None  # both sides of a broken rule

    @classmethod
    def of(cls, severity: str, code: str, *, where: Location | None = None, **fields: object) -> Problem:
        location = where or Location()
        return cls(
            severity,
            code,
            MESSAGES[code].format(**fields),
            location.sheet,
            location.cell,
            location.row_label,
            location.col_label,
        )

    @property
    def place(self) -> str:
        labels = "／".join(x for x in (self.row_label, self.col_label) if x)
        cell = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{cell}（{labels}）" if labels else cell

    def describe(self) -> str:
        place = f"{self.place}：" if self.place else ""
        return f"[{SEVERITY_NAMES[self.severity]}] {place}{self.message}"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "severity": self.severity,
            "code": self.code,
            "sheet": self.sheet,
            "cell": self.cell,
            "row_label": self.row_label,
            "col_label": self.col_label,
            "message": self.message,
        }
        if self.figures:
            data["left"], data["right"] = self.figures
        return data


@dataclass(frozen=True)
class Location:
    sheet: str = ""
    cell: str = ""
    row_label: str = ""
    col_label: str = ""
