"""The page runs the whole round (issue #23), in Debian's headless Chromium: a roster with contacts; the 催报 of
every unit not received downloaded as one zip and opened, then sent through a real SMTP server (aiosmtpd) exactly
once; 我已发出 for the unit without an address; search, sort and filters; a preliminary summary marked 不完整; the
pages at a phone's width without sideways scrolling; the board printed on one A4 page. One browser, one round."""

from __future__ import annotations

import base64
import os
import re
import zipfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from tests.helpers.mailservers import PASSWORD, SmtpServer, smtp_server  # noqa: F401 (the fixture)
from tests.helpers.web import NO_ADDRESS, NOT_SENT, chromium, contact, make_contacts_round, serving, wait_for

PICTURES = "NIANBAO_PICTURES"  # a folder to keep the screenshots in (else the test's own)
PHONE, DESKTOP = (390, 844), (1366, 900)
PAGES = ("", "unit/210922101", "upload", "summary", "log", "settings")


@pytest.fixture(scope="module")
def round_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_contacts_round(tmp_path_factory.mktemp("contacts")).root


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Path]]:
    """The browser, and the folder its downloads go to."""
    folder = tmp_path_factory.mktemp("chromium")
    with chromium(folder) as driver:
        yield driver, folder / "downloads"


def test_reminders_search_summary_phone_and_print(
    browser: tuple[object, Path],
    round_root: Path,
    smtp_server: SmtpServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    web: WebDriver = browser[0]  # type: ignore[assignment]
    downloads, pictures = browser[1], Path(os.environ.get(PICTURES, tmp_path))

    def text(selector: str) -> str:
        return str(web.find_element(By.CSS_SELECTOR, selector).text)

    def names() -> list[str]:
        return [e.text for e in web.find_elements(By.CSS_SELECTOR, "#units tbody td.name")]

    def submit(selector: str) -> None:
        """Press a button that loads another page, and wait for it."""
        page = web.find_element(By.TAG_NAME, "html")
        web.find_element(By.CSS_SELECTOR, selector).click()
        wait_for(lambda: page.id != web.find_element(By.TAG_NAME, "html").id)

    def downloaded(pattern: str) -> Path:
        found = wait_for(lambda: [p for p in downloads.glob(pattern) if not p.name.endswith(".crdownload")])
        return found[0]  # type: ignore[index,no-any-return]

    with serving(round_root) as url:
        web.set_window_size(*DESKTOP)
        web.get(url)
        # Whom to call, on the board: contact person, phone, and the 下发通知 sent in January.
        row = web.find_element(By.XPATH, "//tr[td[@class='name']/a[text()='哈尔套镇']]")
        person, phone, _ = contact("210922101")
        assert person in row.text and phone in row.text and "已下发通知 01-05" in row.text
        assert len(names()) == 30 and "已收 22/30" in text("#counts")
        web.save_screenshot(str(pictures / "board-1366.png"))

        # Search, filters and sorting change the rows.
        web.find_element(By.ID, "q").send_keys("哈尔套\n")
        wait_for(lambda: names() == ["哈尔套镇"])
        web.get(url + "?state=%E6%9C%AA%E6%94%B6%E5%88%B0")  # 未收到
        assert len(names()) == len(NOT_SENT)
        web.find_element(By.LINK_TEXT, "单位名称").click()
        wait_for(lambda: names() == sorted(names()) and len(names()) == len(NOT_SENT))
        web.find_element(By.PARTIAL_LINK_TEXT, "逾期未报").click()
        wait_for(
            lambda: (
                len(names()) == len(NOT_SENT)
                and "here" in str(web.find_element(By.ID, "overdue").get_attribute("class"))
            )
        )

        # The 催报 of every unit not received, as one zip of drafts: each to its roster address, or to nobody.
        web.get(url)
        web.find_element(By.CSS_SELECTOR, "input[name=scope][value=missing]").click()
        web.find_element(By.ID, "bulk-zip").click()
        archive = zipfile.ZipFile(downloaded("回复草稿_*.zip"))
        drafts = {
            n: message_from_bytes(archive.read(n), policy=policy.default)
            for n in archive.namelist()
            if n.endswith(".eml")
        }
        assert len(drafts) == len(NOT_SENT) and all("催报" in n for n in drafts)
        for name, draft in drafts.items():
            code = name.split("_")[0]
            assert isinstance(draft, EmailMessage) and "催报" in str(draft["Subject"])
            assert str(draft.get("To", "")) == contact(code)[2], name  # never the colleague who uploaded
        call = archive.read("请电话联系的单位.txt").decode("utf-8-sig")
        assert all(contact(code)[1] in call for code in NO_ADDRESS)

        # The settings: who sends, and through which server (no password kept).
        web.get(url + "settings")
        for name, value in (("sender", "县政务公开办 <xxgk@county.example>"), ("smtp", smtp_server.url())):
            field = web.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        submit("#settings button")
        assert "已修改发信服务器" in text("main")

        # Sent through the server: each unit with an address once, however often the button is pressed.
        for _ in range(2):
            web.get(url)
            web.find_element(By.CSS_SELECTOR, "input[name=scope][value=missing]").click()
            web.find_element(By.ID, "bulk-password").send_keys(PASSWORD)
            submit("#bulk-send")
        with_address = NOT_SENT - NO_ADDRESS
        assert sorted(r for d in smtp_server.delivered for r in d.recipients) == sorted(
            contact(c)[2] for c in with_address
        )
        assert "发出 0 封" in text("#sent-count")  # the second time: all sent before

        # 我已发出: the unit without an address was reminded from the clerk's own mail program.
        web.get(url)
        web.find_element(By.CSS_SELECTOR, "input[name=unit][value='210922100']").click()
        assert text("#ticked") == "1"  # the page's script runs under the Content-Security-Policy
        web.find_element(By.CSS_SELECTOR, "button[data-copy=missing-list]").click()
        wait_for(lambda: "复制" in text("#copied"))
        assert "联系人100" in str(web.find_element(By.ID, "missing-list").get_attribute("value"))
        submit("#bulk-sent")
        row = web.find_element(By.XPATH, "//tr[td[@class='name']/a[text()='彰武镇']]")
        assert "已催报" in row.text and "已记下 1 份" in text("main")
        assert "已催报" in web.find_element(By.XPATH, "//tr[td[@class='name']/a[text()='县教育局']]").text

        # A preliminary summary of the 22 that have passed, marked 不完整 in its name and on its cover.
        web.get(url + "summary")
        submit("#partial button")
        link = web.find_element(By.CSS_SELECTOR, "#made a")
        assert "不完整（22／30）" in link.text
        link.click()
        book = openpyxl.load_workbook(downloaded("*不完整*.xlsx"), read_only=True)
        cover = " ".join(str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c)
        assert "不完整（22/30）" in cover

        # A phone's width: every page without sideways scrolling (the board's rows become cards).
        for width, height in (PHONE, DESKTOP):
            web.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
            )
            for page in PAGES:
                web.get(url + page)
                wide, shown = web.execute_script(
                    "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                assert wide <= shown == width, (page, width, wide)
                web.save_screenshot(str(pictures / f"{page.replace('/', '-') or 'board'}-{width}.png"))
        web.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # Printed: the title and the moment, no controls, the 30 units on one A4 page.
        web.get(url)
        web.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        printed = text(".printed")
        assert "彰武县 2025 年度" in printed and re.search(r"截至 \d{4}-\d\d-\d\d \d\d:\d\d", printed)
        assert not web.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
        assert not web.find_element(By.ID, "bulk").is_displayed()
        web.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        pdf = base64.b64decode(
            web.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69})["data"]
        )
        (pictures / "board.pdf").write_bytes(pdf)
        assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) == 1
