"""Real mail servers for the tests: Dovecot (IMAP) started on 127.0.0.1 with its own configuration in a
temporary folder. Skipped with the reason printed when Dovecot is not installed here; a failure under CI
(env CI set), where .ci/run installs it."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER, PASSWORD = "clerk@county.example", "Mailbox-Pass-7391"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(program: str, package: str) -> str:
    found = shutil.which(program) or next(
        (p for p in (f"/usr/sbin/{program}", f"/usr/bin/{program}") if os.access(p, os.X_OK)), None
    )
    if found is None:
        reason = f"{program} 未安装（Debian: apt-get install {package}）"
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须有 {reason}")
        print(f"跳过：{reason}")
        pytest.skip(reason)
    return found


@dataclass
class Dovecot:
    port: int
    root: Path

    def client(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port)
        connection.login(USER, PASSWORD)
        return connection

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        connection = self.client()
        status, _ = connection.append(folder, None, None, raw)
        assert status == "OK"
        connection.logout()

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{USER.replace('@', '%40')}@127.0.0.1:{self.port}/{folder}"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    binary = need("dovecot", "dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="nianbao-dovecot-"))
    root.chmod(0o755)  # the mail processes run as an ordinary user (Dovecot refuses root for mail)
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("nobody")
        internal, login = "dovecot", "dovenull"
    else:
        mail_user = pwd.getpwuid(os.geteuid())
        internal = login = mail_user.pw_name
    for folder in ("run", "state", "mail", "home"):
        (root / folder).mkdir()
    for folder in ("mail", "home"):
        os.chown(root / folder, mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    (root / "dovecot.conf").write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""
    )
    config = str(root / "dovecot.conf")
    # Dovecot daemonizes: its children must hold none of our pipes, or run() would wait for them forever.
    with (root / "start.log").open("wb") as log:
        started = subprocess.run([binary, "-c", config], stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=60)
    assert started.returncode == 0, (root / "start.log").read_text(errors="replace")
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Dovecot(port, root)
    finally:
        subprocess.run(
            [binary, "-c", config, "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


# -- SMTP ---------------------------------------------------------------------------------------------------


@dataclass
class Delivered:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1 that requires STARTTLS (a certificate made for the test, trusted through
    SSL_CERT_FILE) and a login before it takes mail; what it takes is in ``delivered``."""

    port: int
    delivered: list[Delivered]
    refuse: set[str]  # recipients it answers 550 for

    def url(self) -> str:
        return f"smtp://{USER.replace('@', '%40')}@127.0.0.1:{self.port}"


def _certificate(folder: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, private


@pytest.fixture
def smtp_server(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    folder = tmp_path_factory.mktemp("smtp")
    cert, key = _certificate(folder)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test's certificate, and only it
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer(free_port(), [], set())

    class Handler:
        async def handle_RCPT(self, _server, _session, envelope, address, _options):  # type: ignore[no-untyped-def]
            if address in server.refuse:
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, _server, _session, envelope):  # type: ignore[no-untyped-def]
            server.delivered.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            return "250 OK"

    def authenticate(_server, _session, _envelope, _mechanism, data):  # type: ignore[no-untyped-def]
        ok = isinstance(data, LoginPassword) and data.login.decode() == USER and data.password.decode() == PASSWORD
        return AuthResult(success=ok)

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=server.port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
