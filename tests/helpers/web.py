"""A collection round and a live `nianbao serve` for the web tests (issue #13); a round whose roster says whom to
call (issue #23); Debian's headless Chromium driven by Selenium."""

from __future__ import annotations

import csv
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from nianbao.collection.workspace import Workspace
from nianbao.form import data_dir
from nianbao.form.spec import Form
from nianbao.web.server import address, make_server
from tests.helpers.workbooks import edited, put

FILLED = data_dir("samples") / "filled"
ROSTER = data_dir("samples") / "zhangwu-county-roster.csv"
ON_TIME = datetime(2026, 1, 10, 9, 30)
LEFT_OUT = "210922100"  # 彰武镇: not received at first
UNEXPLAINED = "210922103"  # 冯家镇: its P1 warning without the explanation, so 待核实


def sample(unit_id: str) -> Path:
    (path,) = [p for p in FILLED.iterdir() if unit_id in p.name]
    return path


def make_round(folder: Path, form: Form) -> Workspace:
    """24 townships: 22 returns as sampled, 冯家镇 without its explanation (待核实), 彰武镇 not yet (未收到)."""
    workspace, _ = Workspace.create(
        folder / "ws", ROSTER, 2025, deadline="2026-01-20", unit_id="210922", unit_name="彰武县"
    )
    inbox = folder / "inbox"
    inbox.mkdir()
    for path in FILLED.iterdir():
        if LEFT_OUT not in path.name and UNEXPLAINED not in path.name:
            (inbox / path.name).write_bytes(path.read_bytes())
    assert form.explanation is not None
    unexplained = edited(sample(UNEXPLAINED).read_bytes(), lambda wb: put(wb, form, {form.explanation.code: ""}))
    (inbox / "冯家镇.xlsx").write_bytes(unexplained)
    workspace.receive([inbox], received_at=ON_TIME)
    return workspace


@contextmanager
def serving(root: Path, host: str = "127.0.0.1", password: str | None = None) -> Iterator[str]:
    """The real server on a free port, in a thread; its address."""
    server = make_server(root, host, 0, password)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # waitress's loop finds its socket closed under it: expected once stopping
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield address(server)
    finally:
        stopping.set()
        server.close()
        thread.join(timeout=5)


# -- a round whose roster says whom to call (issue #23) -------------------------------------------------------

DEPARTMENTS = [  # six more units, so that the round has 30 (the board printed on one A4 page)
    ("210922300", "县教育局"),
    ("210922301", "县卫生健康局"),
    ("210922302", "县民政局"),
    ("210922303", "县财政局"),
    ("210922304", "县人社局"),
    ("210922305", "县住建局"),
]
NO_ADDRESS = {"210922100", "210922305"}  # 彰武镇 and 县住建局: a phone number, no mail address
NOT_SENT = {"210922100", "210922101"} | {code for code, _ in DEPARTMENTS}  # nothing received from these


def contact(code: str) -> tuple[str, str, str]:
    """A unit's 联系人, 联系电话 and 邮箱 (none for NO_ADDRESS)."""
    return f"联系人{code[-3:]}", f"0418-75{code[-3:]}01", "" if code in NO_ADDRESS else f"u{code}@town.example"


def contacts_roster(path: Path) -> Path:
    """The sample county's 24 townships and six departments, with contact person, phone and address."""
    with ROSTER.open(encoding="utf-8") as f:
        towns = [(row["单位编码"], row["单位名称"], row["单位类型"]) for row in csv.DictReader(f)]
    rows = [*towns, *((code, name, "部门") for code, name in DEPARTMENTS)]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["单位编码", "单位名称", "单位类型", "联系人", "联系电话", "邮箱"])
        writer.writerows([code, name, kind, *contact(code)] for code, name, kind in rows)
    return path


def make_contacts_round(folder: Path) -> Workspace:
    """30 units whose roster has contacts: 22 townships' returns received, 彰武镇, 哈尔套镇 and the six
    departments not (each written the blank workbook on 2026-01-05, so that a 催报 is due now)."""
    from nianbao.collection.reply import draft_replies, mark_sent

    folder.mkdir(parents=True, exist_ok=True)
    roster = contacts_roster(folder / "名单.csv")
    workspace, _ = Workspace.create(
        folder / "ws", roster, 2025, deadline="2026-01-20", unit_id="210922", unit_name="彰武县"
    )
    workspace.receive(
        [p for p in FILLED.iterdir() if not any(code in p.name for code in NOT_SENT)], received_at=ON_TIME
    )
    requests = draft_replies(workspace, sorted(NOT_SENT))
    mark_sent(workspace, requests.replies)
    workspace.db.execute("UPDATE replies SET sent_at = '2026-01-05T09:00:00+08:00'")  # as if sent then
    workspace.db.commit()
    return workspace


# -- a browser ----------------------------------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1366,900",
]


def browser_unavailable() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        return f"not installed: {', '.join(missing)} (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    return None


@contextmanager
def chromium(folder: Path) -> Iterator[object]:
    """Headless Chromium (Debian's, with its chromedriver: never Selenium Manager) downloading into
    ``folder``/downloads; skipped with the reason when missing, a failure in CI (env CI)."""
    reason = browser_unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        print(f"skipped: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={folder / 'profile'}")
    downloads = str(folder / "downloads")
    options.add_experimental_option("prefs", {"download.default_directory": downloads})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition: Callable[[], object], seconds: float = 20) -> object:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            value = condition()
        except Exception:  # the page reloaded under the lookup (stale or not yet there): look again
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s in vain")
