"""`nianbao serve` in a real browser (issue #13): headless Chromium driven by Selenium through the whole round
on the page — board, filter, unit page, upload, accept, pin, diff, annotated copy, refresh on a return received
by another program, summary and its download, the log. Skipped with the reason when Chromium, chromedriver or
Selenium is missing; in CI (env CI) that is a failure."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nianbao.collection.workspace import Workspace
from nianbao.form.spec import Form
from nianbao.operations.check import CheckOptions, check_file
from tests.web import LEFT_OUT, make_round, sample, serving

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
    "--window-size=1300,1000",
]


def _unavailable() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        return f"not installed: {', '.join(missing)} (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    return None


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    reason = _unavailable()
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
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    downloads = str(tmp_path / "downloads")
    options.add_experimental_option("prefs", {"download.default_directory": downloads})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)  # never Selenium Manager
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


def downloaded(folder: Path, suffix: str) -> Path:
    def done() -> Path | None:
        found = [p for p in folder.glob(f"*{suffix}")] if folder.is_dir() else []
        return found[0] if found else None

    return wait_for(done)  # type: ignore[return-value]


def test_a_round_in_the_browser(browser: object, tmp_path: Path, form: Form) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    workspace = make_round(tmp_path / "round", form)
    downloads = tmp_path / "downloads"

    def text(selector: str) -> str:
        return driver.find_element(By.CSS_SELECTOR, selector).text

    def click(by: str, selector: str) -> None:
        """Click what opens another page, and wait until it is there."""
        page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(by, selector).click()

        def replaced(_: object) -> bool:
            try:
                page.is_enabled()
            except WebDriverException:  # stale, or chromedriver's "does not belong to the document"
                return True
            return False

        WebDriverWait(driver, 30).until(replaced)

    def rows(selector: str) -> int:
        return len(driver.find_elements(By.CSS_SELECTOR, f"{selector} tbody tr"))

    with serving(workspace.root) as url:
        # 总览: 24 units in roster order, counts, filter.
        driver.get(url)
        assert rows("#units") == 24 and "已收 23/24" in text("#counts")
        assert driver.find_elements(By.CSS_SELECTOR, "#units tbody tr td:nth-child(3)")[0].text == "彰武镇"
        click(By.PARTIAL_LINK_TEXT, "待核实 1")
        assert rows("#units") == 1
        click(By.LINK_TEXT, "冯家镇")

        # 单位: the P1 warning with sheet, cell and labels; accept it with a note.
        assert "待核实" in text("#unit-state")
        problem = text("#problems tbody tr")
        assert "表二 主动公开" in problem and "D5" in problem and "规章" in problem and "P1" in problem
        Select(driver.find_element(By.NAME, "rule")).select_by_value("P1")
        driver.find_element(By.CSS_SELECTOR, "#accept textarea").send_keys("已电话核实，本镇执行 1 件省政府规章")
        click(By.CSS_SELECTOR, "#accept button")
        assert "已认可 1 个警告" in text(".flash") and "已通过" in text("#unit-state")

        # 上传: the sampled 冯家镇 (with its explanation) through the file input becomes version 2.
        click(By.LINK_TEXT, "上传")
        driver.find_element(By.ID, "files").send_keys(str(sample("210922103")))
        click(By.CSS_SELECTOR, "#upload button")
        assert "冯家镇 第 2 版：已通过" in text("#results")

        # Pin version 1, compare the two versions, download the annotated copy of version 1.
        driver.get(url + "unit/210922103")
        assert rows("#versions") == 2
        Select(driver.find_element(By.CSS_SELECTOR, "#pin select")).select_by_value("1")
        driver.find_element(By.CSS_SELECTOR, "#pin textarea").send_keys("第 1 版已核实，以它为准")
        click(By.CSS_SELECTOR, "#pin button")
        assert "已指定计入第 1 版" in text(".flash") and "（指定）" in text("#versions tr.counted")
        click(By.CSS_SELECTOR, "#diff button")
        assert "处不同" in driver.find_element(By.TAG_NAME, "main").text and "情况说明" in text("#changes")
        driver.find_elements(By.LINK_TEXT, "标注副本")[0].click()
        annotated = downloaded(downloads, "_问题标注.xlsx")
        checked = check_file(annotated, CheckOptions())  # the copy the unit gets back reads like its return
        assert checked.unit_id == "210922103" and [p.code for p in checked.warnings] == ["P1"]

        # The board refreshes by itself when another program (the CLI) receives the last return.
        driver.get(url)
        assert "已收 23/24" in text("#counts")
        Workspace.open(workspace.root).receive([sample(LEFT_OUT)])
        wait_for(lambda: "已收 24/24" in text("#counts"), 15)

        # 汇总: nothing blocks; make the summary and the reports, download the workbook.
        click(By.LINK_TEXT, "汇总")
        click(By.CSS_SELECTOR, "#merge button")
        made = text("#made")
        assert ".xlsx" in made and ".html" in made and ".docx" in made
        driver.find_element(By.CSS_SELECTOR, "#made a").click()  # a download: the page stays
        summary = downloaded(downloads, "年汇总_" + "*.xlsx")
        assert summary.name.startswith("彰武县2025年汇总_") and zipfile.is_zipfile(summary)

        # 记录: newest first, the page's actions under the web user.
        click(By.LINK_TEXT, "记录")
        first = text("#log tbody tr")
        assert "汇总" in first and "（网页）" in first
        log = text("#log")
        assert "认可警告" in log and "已电话核实" in log and "指定版本" in log
        # Last: the same figures as the command line's merge of the same workspace.
        by_cli = Workspace.open(workspace.root).merge(tmp_path / "cli.xlsx")
        assert by_cli.summary is not None and by_cli.summary.written is not None
        assert check_file(summary, CheckOptions()).figures == check_file(by_cli.summary.written, CheckOptions()).figures
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
