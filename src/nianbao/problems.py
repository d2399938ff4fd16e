"""Errors the user can act on, and problems found in files. Every message a clerk reads is Chinese and
names what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class NianbaoError(Exception):
    """A problem with the user's input or environment, shown as one line (no traceback). One made by `of` carries
    a code of MESSAGES and the message's parameters: an interface adds how to put it right in its own words (the
    command line names its option, the page its field); the library's words name neither."""

    code: str = ""
    params: Mapping[str, object] = MappingProxyType({})

    @classmethod
    def of(cls, code: str, **params: object) -> NianbaoError:
        error = cls(MESSAGES[code].format(**params))
        error.code, error.params = code, params
        return error


class SpecError(NianbaoError):
    """The form spec is malformed: refuse it rather than build a wrong workbook. ``where`` is the place in
    the file, e.g. ``tables[1].blocks[0].rows[4].span`` (empty for the file as a whole)."""

    def __init__(self, source: str, where: str, detail: str, what: str = "表格规格文件") -> None:
        self.source, self.where = source, where
        super().__init__(f"{what} {source} 有误：{where + '：' if where else ''}{detail}")


class RosterError(NianbaoError):
    """The roster cannot be used; nothing is written."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"名单文件 {source} 有 {len(problems)} 处问题，未生成任何文件：\n{lines}")


class ReadError(NianbaoError):
    """A returned file that cannot be read as a workbook: a code of MESSAGES and the message's parameters."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(MESSAGES[code].format(**params))
        self.code, self.params = code, params


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run, with what the user should know about what it leaves (a Chinese sentence; with `of`,
    a code of MESSAGES as NianbaoError has)."""

    code: str = ""

    @classmethod
    def of(cls, code: str, **params: object) -> Interrupted:
        interrupted = cls(MESSAGES[code].format(**params))
        interrupted.code = code
        return interrupted


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
    "COMMA": "“{text}”中的逗号无法确定是小数点还是千位分隔符；请直接填数字，如 1.5 或 1234",
    "TOO_LARGE": "{value} 不可能是真实的{what}（应小于 {limit}），请核对后重新填写",
    "FORMULA_ERROR": "这一格是公式“{formula}”，算出的是错误值 {error}；请改正公式或直接填入数字",
    "REJECTED": "审核退回：{note}",
    "FORMULA_ERROR_VALUE": "这一格的公式算出的是错误值 {error}；请改正公式或直接填入数字",
    "NO_RESULT": "这一格是公式“{formula}”，但文件里没有它的计算结果（用不会计算公式的程序保存的）；请用 WPS、Excel 或 LibreOffice 打开，等它算出结果后保存再发送，或直接填入数字",
    "EXTERNAL": "这一格是引用其他文件的公式“{formula}”，已按文件中保存的结果 {value} 读取；那个文件改动后这里不会跟着变，请核对后直接填入数字",
    "INVISIBLE": "填的是“{text}”，含不可见字符（以 <U+…> 标出，多由复制粘贴带入），无法确认是什么数字；请清空这一格后重新输入数字",
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
    "PREVIOUS_OTHER_YEAR": "这是 {year} 年度的表格，给出的上年数据是 {previous} 年度的，未做跨年度核对",
    "REVIEW_UNITS": "单位",  # {group} of an across-units review when the roster has no 类型 column
    "PARTIAL_SUMMARY": "这是部分汇总表（缺 {missing} 个单位），不是完整的汇总，不能作为正式数字或再次汇总",
    "TEXT_FIGURE": "正文说“{quoted}”，表三新收申请总计为 {received} 件",
    "TEXT_EMPTY": "“{section}”部分为空或只写“无”，评估时会被扣分",
    "TEXT_FEE": "“{section}”应说明信息处理费的收取情况（收取或未收取）",
    "OWN_TEXT_UNTITLED": "{file} 中找不到正文各部分的标题（{titles}）：每部分请以标题单独一行开头，标题下面写正文",
    "INTERNAL": "检查时出现意外错误（{detail}），请联系技术人员",
    "DUPLICATE_UNIT": "与 {others} 是同一单位（{unit_id}）同一年度的表格",
    "SAME_BYTES": "与 {other} 内容完全相同（同一文件的副本），只算一份",
    "ANNOTATED_COPY": "这是本工具生成的标注副本（内容未改动），不作为报表",
    "OUTSIDE_TABLE": "表格以外的格子里写了“{text}”，本工具不读取这里；如需说明，请写在“{sheet}”工作表中",
    "COVER_DIFFERS": "封面上的{field}“{found}”与表格身份信息中的“{expected}”不同（可能复制了其他单位的表格只改了封面）；以身份信息为准",
    # The collection round's decisions and requests, refused (the interfaces add where to write what is missing)
    # Outputs and folders
    "EXISTS": "{path} 已存在，未覆盖",
    "BLANKS_EXIST": "目录 {out} 中已有 {names} 文件，未覆盖任何文件",
    "GENERATE_INTERRUPTED": "{kept}生成清单（{manifest}）只在全部生成后写出，本次没有写",
    "DEMO_FOLDER_TAKEN": "{out} 已存在且不是演示目录，为免覆盖未做任何操作",
    "DEMO_FOREIGN_FILES": "演示目录 {out} 中有不是演示生成的文件（{names}），为免删除未做任何操作",
    "BAD_DATE": "日期写法不对：{text}（应写成 2026-01-01）",
    "CLOCK_BEHIND": "本机时钟显示 {now}，早于该单位已收到的最新一版（{latest}），可能时钟不准；按收到的顺序记为最新一版并计入",
    "STORED_GONE": "保存的文件已被删除",
    "STORED_CHANGED": "保存的文件已被改动（与收到时的不一致）",
    "STORED_UNREVIEWED": "{unit} 第 {version} 版{what}：{file}；未使用其中的数字，请把单位发来的原文件再收一次以恢复",
    "STALE_WAL": "工作区记录旁有一个不属于它的旧 -wal 文件（可能是复制文件夹时带来的），已移到 {wal} 保留，未使用",
    "RECORD_DISK_FULL": "磁盘空间已满，工作区记录 {path} 无法写入，这次的改动没有记下（已记下的都完好）；请清理磁盘后重新运行",
    "RECORD_BUSY": "另一个程序正在写入工作区记录 {path}，请稍后再试",
    "RECORD_DAMAGED": "工作区记录 {path} 已损坏（SQLite 报告数据库格式错误）；请不要删除它，用最近的备份或复制的工作区目录替换，并联系技术人员",
    "RECORD_FAILED": "工作区记录 {path} 读写失败（{detail}）",
    "SENDER_OTHER_UNIT": "发件人 {sender} 是名单上 {others} 的邮箱，发来的却是 {unit} 的表格；请核实确为该单位报送后认可",
    "NOT_A_WORKSPACE": "{folder} 不是工作区（找不到 {record}）",
    "NOTE_REQUIRED": "{action}必须写明{what}",
    "NO_SUCH_UNIT": "名单上没有单位“{unit}”（可以写单位编码或完整的单位名称）",
    "NO_SUCH_UNIT_ID": "名单上没有编码为“{unit_id}”的单位，未收下任何文件；请核对所指定的单位编码",
    "SAME_NAME_UNITS": "名单上有 {count} 个单位叫“{unit}”（单位编码 {codes}），请写单位编码",
    "ONE_WORD_FILE": "指定单位只能用于收一个 Word 文档，这里有 {count} 个文件",
    "NOT_SENT_YET": "{unit} 还没有报送，没有可{action}的版本",
    "NO_SUCH_VERSION": "{unit} 没有第 {number} 版",
    "ERROR_NOT_ACCEPTABLE": "{rule} 是错误，不能认可；错误只能由单位改正后重新报送",
    "NOTHING_TO_ACCEPT": "{unit} 计入的版本没有{what}待核实的警告",
    "COUNTED_CHANGED": "{unit} 现在计入的是第 {counted} 版，不是第 {seen} 版，未退回；请先看过这一版再决定",
    "NOT_REJECTED": "{unit} 计入的版本没有被退回",
    "EXTENSION_TOO_EARLY": "延期的日期应晚于本轮的截止日期 {deadline}，不是 {until}",
    "ONLY_ERRORS": "{unit} 计入的版本只有错误、没有待核实的警告；错误不能认可，只能由单位改正后重新报送",
    "NOTHING_ACCEPTED": "{unit} 没有{what}认可过的警告，无需撤销",
    "NOT_DISMISSABLE": "没有编号为 {ref} 的{kind}可以搁置（只有未识别的文件和来信无统计表的来信可以）",
    "ALREADY_SET_ASIDE": "{what} 已经搁置过了",
    "NOT_SET_ASIDE": "{what} 没有搁置，无需恢复",
    "NOT_EXTENDED": "{unit} 没有延期，无需取消",
    "NOT_AN_ADDRESS": "“{text}”不是邮箱地址（应写成 xxgk@county.gov.cn 或 县政务公开办 <xxgk@county.gov.cn>）",
    "BAD_DAYS": "{what}应是 {least} 到 {most} 之间的整数（天），不是“{value}”",
    # The command line
    "INTERRUPTED": "已中断。已写出的文件都是完整的，未写完的没有留下。{more}",
    "OS_ERROR": "文件操作失败：{reason}（{file}）",
    "INTERNAL_ERROR": "程序内部错误（{detail}）",
    # Reading a published report back (import)
    "IMPORT_SHORT": "{table}：数字不够，从 {first} 起没有数字",
    "IMPORT_LABEL": "{table}：{place} 处应为数字，却是标签“{label}”，停止读取本表",
    "IMPORT_UNEXPECTED": "{table}：此处应为“{expected}”，实为“{found}”，无法确定后面数字的位置，停止读取本表",
    "IMPORT_TRAILING": "{table}：表格后面还有无法对应的内容“{found}”等 {count} 项，已忽略",
    "IMPORT_TOTAL": "{place}：报告中印的是 {printed}，按各项相加为 {sum}",
    "IMPORT_NOTHING": "没有从 {source} 读到任何数字，未生成统计表：{reason}",
    "IMPORT_NEAR": "{table}：“{found}”与官方表述“{expected}”略有不同，按“{expected}”读取；请核对",
    "IMPORT_AMBIGUOUS": "{table}：此处应为“{expected}”，实为“{found}”，它与“{others}”也相近，无法确定是哪一项，停止读取本表",
    "IMPORT_MERGED": "{table}：“{label}”印成了一行（{values}），没有分成下面的 {rows} 行；这 {count} 格（{first}～{last}）无法分开，留空待向单位核实",
    "PRINTED_TOTAL": "导入的报告中此处印的是 {printed}，按各项相加为 {sum}；请核对原报告，改正有误的数字（若是报告中的合计印错了，请单位更正报告后重新导入）",
    # A return sent as an annual report in Word (.docx): its tables read like an imported report
    "WORD_SOURCE": "数字取自 {kind}{how}，不是县里下发的统计表；请对照原文件核对",
    "WORD_BY_TITLE": "按标题中的“{found}”认定为名单上的 {unit_id} {unit_name}",
    "WORD_BY_OPTION": "按指定的单位编码认定为 {unit_id} {unit_name}",
    "WORD_NO_UNIT": "无法确定这份 {kind}是哪个单位的（{reason}）；请让单位在标题中写明名单上的单位名称，或在检查、收取时指定单位编码",
    "WORD_NO_TITLE": "找不到“{title}”这样的标题",
    "WORD_NO_ROSTER": "标题中的单位是“{found}”，但没有名单可以对照",
    "WORD_NAME_DIFFERS": "标题中的单位名称“{found}”与指定的 {unit_id}“{expected}”不同，请确认没有指定错单位",
    "WORD_UNKNOWN_NAME": "标题中的“{found}”与名单上的单位名称都对不上",
    "WORD_AMBIGUOUS": "标题中的“{found}”与名单上的 {names} 都相符",
    "WORD_NOT_REPORT": "这份 {kind}无法作为年度报告读取：{reason}",
    "WORD_NO_YEAR": "标题中没有年度，也没有指定本次的年度，无法确定是哪一年的报告",
    "NOT_WORD": "不是 Word 文档（.docx），无法读取其中的年度报告",
    # A report published as a PDF
    "PDF_SCANNED": "这份 PDF 只有图片（扫描件或照片），没有可以读取的文字，无法导入；请找单位要由 Word/WPS 直接导出的 PDF、Word 文档，或网页上的报告",
    "PDF_NO_TEXT": "这份 PDF 中没有文字，无法读取",
    "PDF_NO_UNICODE": "这份 PDF 所用的字体没有文字编码，读出来是乱码，无法导入；请找单位要 Word 文档或网页上的报告",
    "PDF_DAMAGED": "PDF 文件已损坏或不完整，无法读取（{detail}）",
    "PDF_TOO_LONG": "这份 PDF 有 {pages} 页，不像是一份年度报告（最多读 {most} 页）",
    # What became of a unit in a merge (the 说明 column of the status sheet)
    "PREFER_NOT_INPUT": "指定采用的 {files} 不在本次汇总的输入文件中",
    "MERGE_DUPLICATE": "有 {count} 份内容不同的表格，请指定采用哪一份",
    "MERGE_INVALID": "{count} 个错误，例如：{first}",
    "MERGE_REPLACED": "由 {by} 替换",
    "MERGE_OFF_ROSTER": "单位不在名单上",
    # Files that cannot be read as workbooks
    "EMPTY": "文件是空的（0 字节），请让填报单位重新发送",
    "TOO_BIG": "文件过大（{mb} MB），不像是统计表",
    "UNREADABLE": "无法读取文件（{reason}）",
    "NO_PERMISSION": "没有读取这个文件的权限",
    "LINK_LOOP": "这是一个循环的链接（链接指向自己），无法读取",
    "LINK_BROKEN": "这是一个失效的链接（指向的文件不存在）",
    "ENCRYPTED": "文件设置了打开密码（已加密），无法读取；请取消密码后重新保存发送",
    "DAMAGED": "文件已损坏或不完整（可能是邮件附件未下载完整），请让填报单位重新发送",
    "DAMAGED_CONTENT": "文件内容已损坏，无法读取（{detail}）",
    "BOMB": "文件解压后过大或内含文件过多（疑似“压缩炸弹”），已拒绝读取",
    "XML_BOMB": "文件中的 {part} 含有 DTD 实体声明（疑似“XML 炸弹”），已拒绝读取",
    "FAR_CELLS": "工作表“{sheet}”中远在表格之外的 {cells} 格里也有内容，整张表大到无法读取；请删除这些格子的内容（或删除多余的行和列）后重新保存发送",
    "NOT_SPREADSHEET": "这是{kind}，不是统计表{advice}",
    "UNSUPPORTED": "不支持的文件格式：{kind}；{advice}",
    "RECORD_READ_ONLY": "工作区记录 {path} 是只读文件（从光盘、只读共享复制来的文件常带“只读”属性），这次的改动没有记下；请在文件属性中去掉“只读”后再运行",
    "WORKSPACE_READ_ONLY": "工作区 {folder} 不能写入（只读的文件夹、光盘或共享文件夹），无法打开；请把整个工作区目录复制到本机可以写入的位置后再运行",
    "NO_PASSWORD": "没有输入密码，未连接服务器；也可以先设置环境变量 {variable}（密码不会保存）",
    "WEB_PORT": "端口应是 0 到 65535 之间的数字，不能是 {port}",
    "WEB_HOST": "地址“{host}”写得不对；请写本机的 IP 地址（如 192.168.1.10），或 0.0.0.0（本机的所有地址）",
    "WEB_HOST_ELSEWHERE": "这台电脑上没有地址 {host}；请写本机的 IP 地址（可在网络设置中查看），或 0.0.0.0（本机的所有地址）",
    # The colleagues who log in to the page (issue #21)
    "USER_NAME_EMPTY": "请写同事的姓名（登录时填写，也是操作记录中的名字）",
    "USER_NAME_LONG": "姓名“{name}…”太长：最多 {most} 个字",
    "USER_NAME_CHARS": "姓名中不能有换行、制表符等控制字符",
    "USER_EXISTS": "已有名为“{name}”的同事，未添加",
    "NO_SUCH_USER": "没有名为“{name}”的同事（现有：{known}）",
    "PASSWORD_SHORT": "密码太短：至少 {least} 个字符",
    "PASSWORDS_DIFFER": "两次输入的密码不一样，未保存；请重新运行",
    "NO_PASSWORD_GIVEN": "没有输入密码，未保存；也可以先设置环境变量 {variable}（密码不会保存在任何文件中）",
    # Mail files
    "MSG_UNREADABLE": "无法读取这个 Outlook 邮件文件（.msg）：{why}；请在 Outlook 中打开这封邮件重新“另存为”，或保存其中的统计表后直接收下",
    "MSG_NOT_OUTLOOK": "它不是 Outlook 保存的邮件",
    "MSG_TRUNCATED": "文件不完整（可能没有下载或复制完）",
    "MSG_DAMAGED": "文件已损坏",
    "MSG_NO_MESSAGE": "文件中没有邮件内容（可能是 Word、Excel 等其他文件改名成了 .msg）",
    "MAIL_UNREADABLE": "无法读取这个邮件文件：{why}；请在邮件程序中重新导出（另存为 .eml），或保存其中的统计表后直接收下",
    "MAIL_DAMAGED": "这封邮件已作为损坏的邮件记下，未取附件：{why}；同一批的其他邮件照常收下",
    "MAIL_HEADER_TOO_BIG": "邮件头过大（{kb} KB），不像是正常的来信",
    "MAIL_TOO_MANY_PARTS": "邮件分段过多（{parts} 段，超过 {limit} 段），不像是正常的来信",
    "MAIL_TOO_DEEP": "邮件嵌套过深（{depth} 层），不像是正常的来信",
    "MAIL_TOO_MUCH": "附件总量过大（解码、解压后超过 60 MB），其余附件未收下；请让单位分开发送",
    "MAIL_STRANGE": "邮件结构异常，无法读取（{detail}）",
    "MAIL_EMPTY": "文件是空的（0 字节，可能没有保存或下载完）",
    "MAIL_NOT_MAIL": "它不是邮件（开头没有发件人、主题等邮件头，可能是其他文件改名成了 .eml）",
    "CLOUD_ATTACHMENT": "附件 {name} 只是一个链接（云附件），邮件中没有文件本身；请让单位把表格直接作为附件发送",
}

# What a file that is not a readable workbook turned out to be: (what it is, what to do), by kind.
FILE_KINDS = {
    "doc": ("Word 文档（.doc）", ""),
    "docx": ("Word 文档（.docx）", ""),
    "pptx": ("PowerPoint 文件", ""),
    "pdf": ("PDF 文件", "；请发送填好的 Excel 表格"),
    "html": ("网页文件", ""),
    "zip": ("压缩包", "；请解压后发送其中的表格"),
    "ole": ("其他 Office 文件", ""),
    "unknown": ("无法识别格式的文件", ""),
}
UNSUPPORTED_SUFFIXES = {  # (what it is, what to do: one sentence)
    ".xlsb": ("Excel 二进制工作簿（.xlsb）", "请在 Excel 中另存为 .xlsx 后重新发送"),
    ".et": ("WPS 表格专用格式（.et）", "请在 WPS 中另存为 .xlsx 后重新发送"),
    ".ett": ("WPS 表格模板（.ett）", "请在 WPS 中另存为 .xlsx 后重新发送"),
    ".numbers": ("Numbers 表格（.numbers）", "请在 Numbers 中导出为 Excel（.xlsx）后重新发送"),
    ".csv": ("CSV 文本文件（.csv），其中没有表格格式和单位身份", "请用县里下发的 .xlsx 表格填写后重新发送"),
    ".wps": ("WPS 文字文档（.wps）", "请用县里下发的 .xlsx 表格填写后重新发送"),
    ".doc": ("Word 文档（.doc）", "请用县里下发的 .xlsx 表格填写后重新发送"),
    ".jpg": ("图片（.jpg）", "请发送填好的 .xlsx 表格（不是照片）"),
    ".jpeg": ("图片（.jpeg）", "请发送填好的 .xlsx 表格（不是照片）"),
    ".png": ("图片（.png）", "请发送填好的 .xlsx 表格（不是截图）"),
    ".zip": ("压缩包（.zip）", "请解压，收下或发送其中的 .xlsx 表格"),
    ".rar": ("压缩包（.rar）", "请解压，收下或发送其中的 .xlsx 表格"),
    ".7z": ("压缩包（.7z）", "请解压，收下或发送其中的 .xlsx 表格"),
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
    params: Mapping[str, object] = field(default_factory=dict)  # what the message was made from

    @classmethod
    def of(cls, severity: str, code: str, *, where: Location | None = None, **params: object) -> Problem:
        location = where or Location()
        return cls(
            severity,
            code,
            MESSAGES[code].format(**params),
            location.sheet,
            location.cell,
            location.row_label,
            location.col_label,
            params=params,
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
        if self.params:
            data["params"] = {k: v if isinstance(v, (int, float)) else str(v) for k, v in self.params.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Problem:
        """A problem as `to_json` wrote it (the record keeps problems as JSON)."""
        left, right = data.get("left"), data.get("right")
        return cls(
            str(data["severity"]),
            str(data["code"]),
            str(data["message"]),
            str(data.get("sheet", "")),
            str(data.get("cell", "")),
            str(data.get("row_label", "")),
            str(data.get("col_label", "")),
            (left, right) if isinstance(left, (int, float)) and isinstance(right, (int, float)) else None,
            dict(data.get("params") or {}),
        )


@dataclass(frozen=True)
class Location:
    sheet: str = ""
    cell: str = ""
    row_label: str = ""
    col_label: str = ""
