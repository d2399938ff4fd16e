"""What the IMAP and SMTP sides share: server addresses written as URLs (imaps://USER@HOST[:PORT]/…, never
with a password), the rule that only this computer may be reached without TLS, and the words for what went
wrong with a connection."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from nianbao.problems import NianbaoError

NON_ASCII_PASSWORD = (
    "密码中有汉字或全角字符，邮件服务器的登录方式只能用英文字母、数字和符号；"
    "请改用邮箱设置中生成的“授权码”（客户端专用密码）"
)


@dataclass(frozen=True)
class ServerAddress:
    secure: bool  # the TLS scheme (imaps, smtps): TLS from the start; otherwise STARTTLS, or plain on loopback
    user: str
    host: str
    port: int
    path: str  # what follows the host, without the leading /; unquoted

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def parse_server_url(url: str, schemes: dict[str, int], example: str) -> ServerAddress:
    """``schemes``: the TLS scheme first, then the plain one, each with its default port. The user may be a
    whole address: a@b.cn@host or a%40b.cn@host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # an unclosed [ of an IPv6 address
        raise NianbaoError(f"服务器地址写得不对：{url}（应写成 {example}）") from None
    secure_scheme = next(iter(schemes))
    if parts.scheme not in schemes:
        raise NianbaoError(f"服务器地址应写成 {example}，不是 {url}")
    user, at, hostport = parts.netloc.rpartition("@")
    if not at or not user or ":" in user:
        raise NianbaoError(f"服务器地址中要写用户名（{example}），但不要写密码")
    host, _, port_text = hostport.partition(":") if not hostport.startswith("[") else _bracketed(hostport)
    if not host:
        raise NianbaoError(f"服务器地址中缺少服务器名：{url}")
    if port_text and not port_text.isdigit():
        raise NianbaoError(f"服务器地址中的端口应是数字：{port_text}")
    port = int(port_text) if port_text else schemes[parts.scheme]
    if not 0 < port < 65536:
        raise NianbaoError(f"服务器地址中的端口应是 1 到 65535 之间的数字：{port_text}")
    return ServerAddress(parts.scheme == secure_scheme, unquote(user), host, port, unquote(parts.path.lstrip("/")))


def _bracketed(hostport: str) -> tuple[str, str, str]:
    host, _, rest = hostport[1:].partition("]")
    return host, ":", rest.lstrip(":")


def is_loopback(host: str) -> bool:
    """This computer itself: the only place where mail may travel without TLS."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def said(data: object) -> str:
    """What a server answered, as one short line."""
    text = data.args[0] if isinstance(data, Exception) and data.args else data
    if isinstance(text, list) and text:
        text = text[0]
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return re.sub(r"\s+", " ", str(text)).strip()[:200]


def connection_reason(exc: BaseException) -> str:
    """Why a connection failed, in words a clerk can act on."""
    if isinstance(exc, socket.timeout | TimeoutError):
        return "连接超时"
    if isinstance(exc, ConnectionRefusedError):
        return "服务器拒绝连接（端口不对，或服务器没有开启这项服务）"
    if isinstance(exc, socket.gaierror):
        return "找不到这个服务器（请核对服务器名和网络）"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return said(exc)


class PossiblySent(NianbaoError):
    """A message's content went out and the connection failed before the server answered: it may have been kept
    and delivered. Never sent again by itself; the clerk checks and says (`reply --mark-sent`)."""
