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
