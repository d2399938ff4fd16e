"""Reading a mailbox folder over IMAP, read-only: EXAMINE and BODY.PEEK, so that nothing in the mailbox
changes (not even the 已读 flag). Each message is fetched once: the workspace remembers the UIDs it has
received under the folder's UIDVALIDITY, and the Message-IDs from every source. The password is asked for
or taken from NIANBAO_IMAP_PASSWORD, used to log in and then forgotten: never written, never logged."""

from __future__ import annotations

import base64
import imaplib
import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import date

from nianbao.collection.mail import RawMail
from nianbao.collection.servers import (
    NON_ASCII_PASSWORD,
    ServerAddress,
    connection_reason,
    is_loopback,
    parse_server_url,
    said,
)
from nianbao.collection.workspace import Workspace
from nianbao.problems import NianbaoError

PASSWORD_VARIABLE = "NIANBAO_IMAP_PASSWORD"
TIMEOUT_SECONDS = 60
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MailboxAddress(ServerAddress):
    """A server address whose path is the folder (INBOX when none is written)."""

    @property
    def folder(self) -> str:
        return self.path or "INBOX"

    @property
    def key(self) -> str:
        """How the workspace names the folder (no password, ever)."""
        return f"{self.user}@{self.host}/{self.folder}"


def parse_mailbox_url(url: str) -> MailboxAddress:
    """imaps://USER@HOST[:PORT]/FOLDER (the user may be a whole address: a@b.cn@host or a%40b.cn@host)."""
    a = parse_server_url(url, {"imaps": 993, "imap": 143}, "imaps://用户名@服务器/文件夹")
    return MailboxAddress(a.secure, a.user, a.host, a.port, a.path)


def since_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise NianbaoError.of("BAD_DATE", text=text) from None


def imap_folder_name(folder: str) -> str:
    """A folder name in IMAP's modified UTF-7 (收件箱 and other Chinese folder names), quoted."""
    out, pending = [], ""

    def flush() -> None:
        nonlocal pending
        if pending:
            encoded = base64.b64encode(pending.encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append(f"&{encoded}-")
            pending = ""

    for ch in folder:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending += ch
    flush()
    text = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class MailboxReader:
    """A logged-in, read-only view of one mailbox folder."""

    def __init__(self, address: MailboxAddress, connection: imaplib.IMAP4) -> None:
        self.address, self.connection = address, connection

    @classmethod
    def connect(cls, url: str, ask_password: Callable[[str], str]) -> MailboxReader:
        address = parse_mailbox_url(url)
        password = os.environ.get(PASSWORD_VARIABLE) or ask_password(f"{address.user}@{address.host} 的邮箱密码")
        where = address.where
        try:
            context = ssl.create_default_context()
            if address.secure:
                connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    address.host, address.port, ssl_context=context, timeout=TIMEOUT_SECONDS
                )
            else:
                connection = imaplib.IMAP4(address.host, address.port, timeout=TIMEOUT_SECONDS)
                if not is_loopback(address.host):
                    if "STARTTLS" not in connection.capabilities:
                        connection.shutdown()
                        raise NianbaoError(
                            f"邮箱服务器 {where} 不支持加密连接（STARTTLS），为保护密码不能登录；请改用 imaps://"
                        )
                    connection.starttls(context)
        except ssl.SSLError as exc:
            raise NianbaoError(
                f"与邮箱服务器 {where} 建立加密连接失败（{exc.reason or exc}）：请核对服务器名和端口"
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise NianbaoError(f"无法连接邮箱服务器 {where}：{connection_reason(exc)}") from None
        try:
            connection.login(address.user, password)
        except UnicodeEncodeError:
            connection.shutdown()
            raise NianbaoError(NON_ASCII_PASSWORD) from None
        except imaplib.IMAP4.error as exc:
            connection.shutdown()
            raise NianbaoError(f"邮箱 {address.user} 登录失败：用户名或密码不对（服务器说：{said(exc)}）") from None
        finally:
            del password
        return cls(address, connection)

    def messages(self, workspace: Workspace, since: date | None = None) -> Iterator[RawMail]:
        """Every message of the folder not received before, oldest first; the connection is closed at the end."""
        try:
            yield from self._messages(workspace, since)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise NianbaoError(
                f"读取邮箱 {self.address.key} 时出错：{connection_reason(exc)}（已收下的邮件已记录，可以重新运行）"
            ) from None
        finally:
            with suppress(OSError, imaplib.IMAP4.error):
                self.connection.logout()

    def _messages(self, workspace: Workspace, since: date | None) -> Iterator[RawMail]:
        connection, key = self.connection, self.address.key
        status, data = connection.select(imap_folder_name(self.address.folder), readonly=True)  # EXAMINE
        if status != "OK":
            raise NianbaoError(f"邮箱中没有文件夹“{self.address.folder}”（服务器说：{said(data)}）")
        validity = int((connection.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)
        criteria = f"SINCE {since.day}-{_MONTHS[since.month - 1]}-{since.year}" if since else "ALL"
        status, found = connection.uid("SEARCH", criteria)
        if status != "OK":
            raise NianbaoError(f"邮箱搜索失败（服务器说：{said(found)}）")
        uids = sorted(int(u) for u in (found[0] or b"").split())
        seen = workspace.seen_uids(key, validity)
        for uid in uids:
            if uid in seen:
                continue
            status, fetched = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
            body = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            if status != "OK" or not isinstance(body, bytes):
                continue  # deleted meanwhile by another client
            yield RawMail(f"{key} UID {uid}", body, key, validity, uid)
