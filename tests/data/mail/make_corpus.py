"""Writes the mail corpus beside this file: messages as Chinese mail programs send them, and expected.json
(the attachment names each must yield). Most are built with the standard `email` package; the raw 8-bit
and broken ones are written byte by byte, as no library would write them. The Outlook .msg files are written by
tests/helpers/msgbuild.py (no tool here writes them), the damaged ones in broken/ from them.
Run: python tests/data/mail/make_corpus.py
"""

from __future__ import annotations

import base64
import io
import json
import struct
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
from tests.helpers.msgbuild import MsgAttachment, MsgMessage, compound_file, outlook_message  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAYLOAD = b"PK\x03\x04 not really a workbook"  # names are what this corpus is about
EXPECTED: dict[str, dict[str, list[str]]] = {}


def b_word(text: str, charset: str, codec: str | None = None) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(codec or charset)).decode()}?="


def q_word(text: str, charset: str) -> str:
    data = text.encode(charset)
    encoded = "".join(chr(b) if chr(b).isalnum() and b < 128 else f"={b:02X}" for b in data)
    return f"=?{charset}?Q?{encoded}?="


def base(subject: str, sender: str = "彰武镇 <zwz@zhangwu.gov.cn>") -> MIMEMultipart:
    message = MIMEMultipart()
    message["From"] = sender
    message["To"] = "nianbao@zhangwu.gov.cn"
    message["Subject"] = subject
    message["Date"] = "Mon, 12 Jan 2026 09:30:00 +0800"
    message["Message-ID"] = f"<{abs(hash(subject)) % 10**12}@corpus.example>"
    message.attach(MIMEText("请查收。", "plain", "utf-8"))
    return message


def attach(
    message: MIMEMultipart,
    disposition: str | None,
    content_type: str = XLSX,
    data: bytes = PAYLOAD,
    name_param: str | None = None,
) -> None:
    part = MIMEBase(*content_type.split("/"))
    part.set_payload(base64.encodebytes(data).decode())
    part["Content-Transfer-Encoding"] = "base64"
    if name_param is not None:
        part.set_param("name", name_param)
    if disposition is not None:
        part["Content-Disposition"] = disposition
    message.attach(part)


def gbk_zip() -> bytes:
    """Member names in GBK without the UTF-8 flag, as Windows' own "send to compressed folder" writes them."""

    class GbkInfo(zipfile.ZipInfo):
        def _encodeFilenameFlags(self) -> tuple[bytes, int]:
            return self.filename.encode("gbk"), self.flag_bits

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(GbkInfo("年报/四合城镇.xlsx", (2026, 1, 12, 9, 0, 0)), PAYLOAD)
        z.writestr(GbkInfo("年报/说明.txt", (2026, 1, 12, 9, 0, 0)), "说明".encode("gbk"))
        z.writestr(GbkInfo("__MACOSX/._x.xlsx", (2026, 1, 12, 9, 0, 0)), b"junk")
    return archive.getvalue()


def save(name: str, data: bytes | Message, names: list[str], others: list[str] | None = None) -> None:
    raw = data if isinstance(data, bytes) else data.as_bytes()
    (HERE / name).write_bytes(raw)
    EXPECTED[name] = {"names": names, "others": others or []}


def main() -> None:
    m = base("2025年报")
    attach(m, f'attachment; filename="{b_word("彰武镇年报.xlsx", "gb2312")}"')
    save("b-gb2312.eml", m, ["彰武镇年报.xlsx"])

    m = base("2025年报")
    attach(m, f'attachment; filename="{q_word("哈尔套镇 统计表.xlsx", "gbk")}"')
    save("q-gbk.eml", m, ["哈尔套镇 统计表.xlsx"])

    m = base("2025年报")
    attach(m, f'attachment; filename="{b_word("冯家镇_2025年.xls", "utf-8")}"')
    save("b-utf8.eml", m, ["冯家镇_2025年.xls"])

    # 喆 and 镕 are not in GB2312, only in GBK/GB18030; 𠀀 needs GB18030's four bytes. Foxmail still says gb2312.
    m = base("2025年报")
    attach(m, f'attachment; filename="{b_word("喆镕村𠀀年报.xlsx", "gb2312", "gb18030")}"')
    save("gb2312-label-really-gb18030.eml", m, ["喆镕村𠀀年报.xlsx"])

    # A name split into two encoded words in the middle of a character (each word alone is not valid GBK).
    data = "大德乡年度报表.xlsx".encode("gbk")
    words = [f"=?gbk?B?{base64.b64encode(data[i:j]).decode()}?=" for i, j in ((0, 5), (5, len(data)))]
    m = base("2025年报")
    attach(m, f'attachment; filename="{" ".join(words)}"')
    save("b-split-inside-a-character.eml", m, ["大德乡年度报表.xlsx"])

    m = base("2025年报")
    attach(m, "attachment; filename*=UTF-8''%E4%B8%B0%E7%94%B0%E4%B9%A1.xlsx")
    save("rfc2231-utf8.eml", m, ["丰田乡.xlsx"])

    gbk = "".join(f"%{b:02X}" for b in "平安乡统计表".encode("gbk"))
    m = base("2025年报")
    attach(m, f"attachment; filename*0*=gb2312''{gbk[:12]}; filename*1*={gbk[12:]}; filename*2=.xls")
    save("rfc2231-gbk-continued.eml", m, ["平安乡统计表.xls"])

    m = base("2025年报")
    attach(m, None, name_param=b_word("双庙乡.ods", "gbk"))
    save("name-only-in-content-type.eml", m, ["双庙乡.ods"])

    m = base("2025年报")
    attach(m, f'attachment; filename="{b_word("统计表", "utf-8")}"')
    attach(m, "attachment", content_type="application/vnd.ms-excel")
    save("no-extension.eml", m, ["统计表.xlsx", "未命名附件.xls"])

    m = base("2025年报")
    attach(m, f'attachment; filename="{b_word("年报.zip", "gbk")}"', "application/x-zip-compressed", gbk_zip())
    save("zip-gbk-names.eml", m, ["四合城镇.xlsx"])

    inner = base("2025年报（转发）", "办公室 <bgs@zhangwu.gov.cn>")
    attach(inner, f'attachment; filename="{b_word("章古台镇.xlsx", "utf-8")}"')
    outer = base("转发：2025年报")
    outer.attach(MIMEMessage(inner))
    save("forwarded.eml", outer, ["章古台镇.xlsx"])

    m = base("2025年报")
    for hostile in ("../../etc/passwd.xlsx", "/tmp/abs.xls", "CON.xlsx", "C:\\Windows\\win.ini.xlsx"):
        attach(m, f'attachment; filename="{b_word(hostile, "utf-8")}"')
    attach(m, f'attachment; filename="{b_word("a" + chr(0) + "b.xlsx", "utf-8")}"')
    save("hostile-names.eml", m, ["passwd.xlsx", "abs.xls", "_CON.xlsx", "win.ini.xlsx", "ab.xlsx"])

    m = EmailMessage()
    m["From"] = "五峰镇 <wfz@zhangwu.gov.cn>"
    m["To"] = "nianbao@zhangwu.gov.cn"
    m["Subject"] = "年报请查收"
    m["Date"] = "Tue, 13 Jan 2026 10:00:00 +0800"
    m["Message-ID"] = "<no-workbook@corpus.example>"
    m.set_content("请查收。表格已上传到 https://pan.example.cn/s/abc")
    m.add_attachment(b"PK\x03\x04 word", maintype="application", subtype="msword", filename="2025年报告.docx")
    save("no-workbook.eml", m, [], ["2025年报告.docx"])

    m = base("2025年报")
    image = MIMEImage(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "png")
    image["Content-ID"] = "<sig>"
    image["Content-Disposition"] = 'inline; filename="logo.png"'
    m.attach(image)
    m.attach(MIMEApplication(b"-----BEGIN PGP SIGNATURE-----", "pgp-signature"))
    attach(m, f'attachment; filename="{b_word("兴隆堡镇.xlsx", "gb18030")}"')
    save("inline-image-and-signature.eml", m, ["兴隆堡镇.xlsx"])

    # Raw 8-bit names, as some webmail and old Outlook send them: no encoding at all.
    for label, codec, unit in (("raw-8bit-gbk.eml", "gbk", "满堂红镇"), ("raw-8bit-utf8.eml", "utf-8", "后新秋镇")):
        raw = (
            b"From: =?gbk?B?" + base64.b64encode("乡镇".encode("gbk")) + b"?= <town@zhangwu.gov.cn>\r\n"
            b"To: nianbao@zhangwu.gov.cn\r\nSubject: " + "年报".encode(codec) + b"\r\n"
            b"Date: Wed, 14 Jan 2026 08:00:00 +0800\r\nMessage-ID: <" + label.encode() + b"@corpus.example>\r\n"
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain; charset="
            + codec.encode()
            + b"\r\n\r\n"
            + "请查收".encode(codec)
            + b'\r\n--b\r\nContent-Type: application/vnd.ms-excel; name="'
            + f"{unit}.xls".encode(codec)
            + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + f"{unit}.xls".encode(codec) + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(PAYLOAD) + b"\r\n--b--\r\n"
        )
        save(label, raw, [f"{unit}.xls"])

    outlook()
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


CHINA = timezone(timedelta(hours=8))
SENT = datetime(2026, 1, 12, 9, 30, tzinfo=CHINA)
BIG = PAYLOAD + bytes(range(256)) * 40  # over 4096 bytes: in sectors of its own, not the mini stream
BODY = "请查收。\r\n\r\n彰武镇党政办公室\r\n电话：0418-1234567"


def outlook() -> None:
    """Outlook .msg files as Chinese Outlook saves them (File → Save As → Outlook Message Format)."""
    xlsx, png = XLSX, "image/png"
    m = MsgMessage(
        "彰武镇2025年政府信息公开工作年度报告统计表",
        "朱镕喆",  # 镕 and 喆 are GBK, not GB2312
        "zhurongzhe@zhangwu.gov.cn",
        SENT,
        "<outlook-unicode@corpus.example>",
        BODY,
        [
            MsgAttachment("彰武镇政府信息公开年报（2025）.xlsx", "彰武镇~1.XLS", data=BIG, mime=xlsx),
            MsgAttachment(
                "image001.png", data=b"\x89PNG\r\n\x1a\n", mime=png, content_id="image001.png@01DA", hidden=True
            ),
            MsgAttachment("说明.docx", data=b"PK\x03\x04 word"),
        ],
    )
    save_msg("outlook-unicode.msg", m, ["彰武镇政府信息公开年报（2025）.xlsx"], ["说明.docx"])

    m = MsgMessage(
        "两个乡镇的年报",
        "四合城镇",
        "shc@zhangwu.gov.cn",
        SENT,
        "<outlook-zip@corpus.example>",
        "附件是压缩包。",
        [MsgAttachment("年报.zip", "年报.ZIP", data=gbk_zip(), mime="application/x-zip-compressed")],
        exchange=True,  # from inside an Exchange organisation: an X.500 name, the SMTP address apart
    )
    save_msg("outlook-zip.msg", m, ["四合城镇.xlsx"])

    inner = MsgMessage(
        "章古台镇2025年报",
        "章古台镇",
        "zgt@zhangwu.gov.cn",
        SENT - timedelta(days=1),
        "<outlook-inner@corpus.example>",
        "请查收",
        [MsgAttachment("章古台镇.xlsx", data=PAYLOAD, mime=xlsx)],
    )
    m = MsgMessage(
        "转发：章古台镇2025年报",
        "县政府办公室",
        "bgs@zhangwu.gov.cn",
        SENT,
        "<outlook-forwarded@corpus.example>",
        "转给你，请收下。",
        [MsgAttachment(embedded=inner)],
    )
    save_msg("outlook-forwarded.msg", m, ["章古台镇.xlsx"])

    m = MsgMessage(
        "满堂红镇年报（请查收）",
        "满堂红镇 王镕",
        "mth@zhangwu.gov.cn",
        SENT,
        "<outlook-cp936@corpus.example>",
        "请查收。满堂红镇",
        [MsgAttachment("满堂红镇统计表.xls", "满堂红~1.XLS", data=PAYLOAD, mime="application/vnd.ms-excel")],
        codepage=936,  # every string 8-bit in GBK, as Outlook 2003 on Chinese Windows wrote them
        smtp_properties=False,  # the address only in PidTagSenderEmailAddress, as then
    )
    save_msg("outlook-cp936.msg", m, ["满堂红镇统计表.xls"])

    m = MsgMessage(
        "年报（附件名不全）",
        "东六家子镇",
        "dljz@zhangwu.gov.cn",
        SENT,
        "<outlook-fallback-names@corpus.example>",
        attachments=[
            MsgAttachment(short_name="东六家~1.XLS", data=PAYLOAD),  # only the 8.3 name
            MsgAttachment(display_name="两家子乡.xlsx", data=PAYLOAD),  # only the name shown
            MsgAttachment("冯家镇年报.xlsx", mime=xlsx),  # a cloud attachment: a link, no file
        ],
    )
    save_msg("outlook-fallback-names.msg", m, ["东六家~1.XLS", "两家子乡.xlsx"])

    # Received from the Internet: Message-ID and Date only in the headers Outlook kept.
    headers = (
        "Received: from mail.zhangwu.gov.cn\r\nFrom: =?gbk?B?"
        + base64.b64encode("五峰镇".encode("gbk")).decode()
        + "?= <wfz@zhangwu.gov.cn>\r\nDate: Tue, 13 Jan 2026 10:00:00 +0800\r\n"
        "Message-ID: <outlook-no-workbook@corpus.example>\r\nSubject: =?utf-8?B?"
        + base64.b64encode("年报已上传".encode()).decode()
        + "?=\r\n"
    )
    m = MsgMessage(
        "年报已上传",
        "五峰镇",
        "wfz@zhangwu.gov.cn",
        None,
        "",
        "表格已上传到 https://pan.example.cn/s/abc",
        [MsgAttachment("2025年报告.docx", data=b"PK\x03\x04 word")],
        headers=headers,
    )
    save_msg("outlook-no-workbook.msg", m, [], ["2025年报告.docx"])
    broken()


def save_msg(name: str, message: MsgMessage, names: list[str], others: list[str] | None = None) -> None:
    save(name, outlook_message(message), names, others)


def broken() -> None:
    """Damaged .msg files: each must be refused with one clear message, the run going on."""
    folder = HERE / "broken"
    folder.mkdir(exist_ok=True)
    whole = (HERE / "outlook-unicode.msg").read_bytes()
    (folder / "truncated.msg").write_bytes(whole[: len(whole) * 3 // 5 + 100])  # a download cut short
    (folder / "not-outlook.msg").write_bytes("<html><body>邮件已过期</body></html>".encode())
    word = compound_file({"WordDocument": b"\xec\xa5" + bytes(600), "\x05SummaryInformation": bytes(200)})
    (folder / "no-message.msg").write_bytes(word)
    (folder / "cyclic-fat.msg").write_bytes(loop_a_chain(whole))


def loop_a_chain(data: bytes) -> bytes:
    """The file with its first chain of several sectors made to run round: its second sector leads back
    to its first (the FAT is the one sector the header names first)."""
    fat_sector = struct.unpack_from("<I", data, 76)[0]
    at = 512 + fat_sector * 512
    fat = list(struct.unpack_from("<128I", data, at))
    first = next(s for s, following in enumerate(fat) if following == s + 1)
    fat[first + 1] = first
    return data[:at] + struct.pack("<128I", *fat) + data[at + 512 :]


if __name__ == "__main__":
    main()
