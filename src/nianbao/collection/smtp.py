"""Sending the replies over SMTP: smtps://USER@HOST[:PORT] (TLS from the start, port 465) or
smtp://USER@HOST[:PORT] (STARTTLS, port 587). TLS is required unless the server is this computer. The password
is asked for or taken from NIANBAO_SMTP_PASSWORD, used to log in and forgotten: never written, never logged."""

from __future__ import annotations

import email.utils
import os
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from contextlib import suppress
from email.message import Message
from email.policy import compat32

from nianbao.collection.servers import (
    NON_ASCII_PASSWORD,
    PossiblySent,
    ServerAddress,
    connection_reason,
    is_loopback,
    parse_server_url,
)
from nianbao.problems import NianbaoError

PASSWORD_VARIABLE = "NIANBAO_SMTP_PASSWORD"
TIMEOUT_SECONDS = 60


def parse_smtp_url(url: str) -> ServerAddress:
    return parse_server_url(url, {"smtps": 465, "smtp": 587}, "smtps://用户名@服务器[:端口]")


class SmtpOutbox:
    """A logged-in SMTP connection; use it in a ``with`` block."""

    def __init__(self, address: ServerAddress, connection: smtplib.SMTP) -> None:
        self.address, self.connection = address, connection

    @classmethod
    def connect(cls, url: str, ask_password: Callable[[str], str]) -> SmtpOutbox:
        address = parse_smtp_url(url)
        password = os.environ.get(PASSWORD_VARIABLE) or ask_password(f"{address.user}@{address.host} 的发信密码")
        where = address.where
        try:
            context = ssl.create_default_context()
            if address.secure:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    address.host, address.port, context=context, timeout=TIMEOUT_SECONDS
                )
            else:
                connection = smtplib.SMTP(address.host, address.port, timeout=TIMEOUT_SECONDS)
                connection.ehlo()
                if connection.has_extn("starttls"):
                    connection.starttls(context=context)
                    connection.ehlo()
                elif not is_loopback(address.host):
                    connection.close()
                    raise NianbaoError(
                        f"发信服务器 {where} 不支持加密连接（STARTTLS），为保护密码不能登录；请改用 smtps://"
                    )
        except ssl.SSLError as exc:
            raise NianbaoError(
                f"与发信服务器 {where} 建立加密连接失败（{exc.reason or exc}）：请核对服务器名和端口"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise NianbaoError(f"无法连接发信服务器 {where}：{_reason(exc)}") from None
        try:
            if connection.has_extn("auth") or not is_loopback(address.host):
                connection.login(address.user, password)
        except UnicodeEncodeError:
            connection.close()
            raise NianbaoError(NON_ASCII_PASSWORD) from None
        except smtplib.SMTPAuthenticationError as exc:
            connection.close()
            said = _reason(exc)
            raise NianbaoError(f"发信邮箱 {address.user} 登录失败：用户名或密码不对（服务器说：{said}）") from None
        except (OSError, smtplib.SMTPException) as exc:
            connection.close()
            raise NianbaoError(f"发信邮箱 {address.user} 登录失败：{_reason(exc)}") from None
        finally:
            del password
        return cls(address, connection)

    def send(self, message: Message, recipients: Sequence[str]) -> dict[str, str]:
        """Send ``message``: the recipients the server refused (address: why) when it took it for the others;
        NianbaoError when it was not taken (an explicit refusal, or a failure before its content went out);
        PossiblySent when the connection failed after the content went out (the server may have kept it)."""
        connection = self.connection
        sender = str(message.get("From", ""))
        address = email.utils.parseaddr(sender)[1] or sender
        try:
            connection.ehlo_or_helo_if_needed()
            code, said = connection.mail(address)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, said, address)
            refused = {}
            for recipient in recipients:
                code, said = connection.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = (code, said)
            if len(refused) == len(recipients):
                raise smtplib.SMTPRecipientsRefused(refused)
            connection.putcmd("data")
            code, said = connection.getreply()
            if code != 354:
                raise smtplib.SMTPDataError(code, said)
        except smtplib.SMTPRecipientsRefused as exc:
            with suppress(OSError, smtplib.SMTPException):
                connection.rset()
            said_all = "；".join(f"{a}（{why}）" for a, why in _refused(exc.recipients).items())
            raise NianbaoError(f"发信服务器拒收全部收件人：{said_all}") from None
        except (OSError, smtplib.SMTPException) as exc:  # nothing of the content has gone out
            with suppress(OSError, smtplib.SMTPException):
                connection.rset()
            raise NianbaoError(f"发送失败：{_reason(exc)}") from None
        try:
            connection.send(_dot_stuffed(message.as_bytes(policy=SMTP_POLICY)))
            code, said = connection.getreply()
        except (OSError, smtplib.SMTPException) as exc:  # the content went out, its answer did not come
            raise PossiblySent(f"发出邮件内容后连接中断（{_reason(exc)}），服务器可能已经收下") from None
        if code != 250:
            raise NianbaoError(f"发送失败：发信服务器拒收了邮件内容（{code} {said.decode('utf-8', 'replace')}）")
        return _refused(refused)

    def __enter__(self) -> SmtpOutbox:
        return self

    def __exit__(self, *_: object) -> None:
        with suppress(OSError, smtplib.SMTPException):
            self.connection.quit()


SMTP_POLICY = compat32.clone(linesep="\r\n", max_line_length=998)


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA content as RFC 5321 sends it: CRLF line ends, a dot doubled at a line's start, ended by a dot."""
    data = re.sub(rb"(?m)^\.", b"..", re.sub(rb"(?<!\r)\n", b"\r\n", data))
    return data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _refused(recipients: dict[str, tuple[int, bytes]]) -> dict[str, str]:
    return {address: f"{code} {text.decode('utf-8', 'replace')}" for address, (code, text) in recipients.items()}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "服务器断开了连接"
    return connection_reason(exc)
