"""Building township messages for the mail tests, with the standard `email` package."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import datetime, timedelta, timezone
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from pathlib import Path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHINA = timezone(timedelta(hours=8))


def encoded_name(name: str, charset: str = "gb2312", codec: str = "gb18030") -> str:
    return f"=?{charset}?B?{base64.b64encode(name.encode(codec)).decode()}?="


def message(
    sender: str,
    subject: str,
    attachments: list[tuple[str, bytes]] | None = None,
    *,
    when: datetime | None = None,
    charset: str = "gb2312",
    body: str = "请查收。",
    message_id: str | None = None,
    reply_to: str = "",
    arrived: datetime | None = None,
) -> MIMEMultipart:
    m = MIMEMultipart()
    if arrived is not None:  # as the county's mail server stamps what it takes
        m["Received"] = f"from mail.town.example by mx.county.example with ESMTPS; {format_datetime(arrived)}"
    m["From"] = sender
    m["To"] = "nianbao@county.example"
    m["Subject"] = subject
    m["Date"] = format_datetime(when or datetime(2026, 1, 12, 9, 30, tzinfo=CHINA))
    m["Message-ID"] = message_id or make_msgid(domain="town.example")
    if reply_to:
        m["In-Reply-To"] = reply_to
    m.attach(MIMEText(body, "plain", "utf-8"))
    for name, data in attachments or []:
        kind = {".zip": "application/zip", ".xlsx": XLSX}.get(Path(name).suffix, "application/vnd.ms-excel")
        part = MIMEBase(*kind.split("/"))
        part.set_payload(base64.encodebytes(data).decode())
        part["Content-Transfer-Encoding"] = "base64"
        codec = "utf-8" if charset == "utf-8" else "gb18030"
        part["Content-Disposition"] = f'attachment; filename="{encoded_name(name, charset, codec)}"'
        m.attach(part)
    return m


def forwarded(sender: str, subject: str, inner: MIMEMultipart) -> MIMEMultipart:
    outer = message(sender, subject)
    outer.attach(MIMEMessage(inner))
    return outer


def gbk_zip(members: dict[str, bytes]) -> bytes:
    """A .zip whose member names are GBK without the UTF-8 flag (Windows' compressed folders)."""

    class GbkInfo(zipfile.ZipInfo):
        def _encodeFilenameFlags(self) -> tuple[bytes, int]:
            return self.filename.encode("gbk"), self.flag_bits

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(GbkInfo(name), data)
    return buffer.getvalue()


def write_mbox(path: Path, messages: list[bytes]) -> None:
    with path.open("wb") as f:
        for raw in messages:
            f.write(b"From town@example Mon Jan 12 09:30:00 2026\n")
            for line in raw.replace(b"\r\n", b"\n").splitlines(keepends=True):
                f.write(b">" + line if line.lstrip(b">").startswith(b"From ") else line)
            f.write(b"\n")
