"""`nianbao serve` in a real browser (issue #13): headless Chromium driven by Selenium through the whole round
on the page — board, filter, unit page, upload, accept, pin, diff, annotated copy, refresh on a return received
by another program, summary and its download, the log. Skipped with the reason when Chromium, chromedriver or
Selenium is missing; in CI (env CI) that is a failure."""

from __future__ import annotations

import os
import random
import shutil
import zipfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from nianbao.collection.workspace import Workspace
from nianbao.form.spec import Form
from nianbao.io.roster import Unit
from nianbao.operations.check import CheckOptions, check_file
from tests.helpers.figures import consistent_inputs
from tests.helpers.web import LEFT_OUT, chromium, make_round, sample, serving, wait_for
from tests.helpers.workbooks import edited, filled_workbook, put, write

PICTURES = "NIANBAO_PICTURES"  # a folder for the screenshots of the board and a unit page


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    with chromium(tmp_path) as driver:
        yield driver


def downloaded(folder: Path, suffix: str) -> Path:
    def done() -> Path | None:
        found = [p for p in folder.glob(f"*{suffix}")] if folder.is_dir() else []
        return found[0] if found else None

    return wait_for(done)  # type: ignore[return-value]


def _gone(element: object) -> bool:
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()  # type: ignore[attr-defined]
    except WebDriverException:  # stale, or chromedriver's "does not belong to the document"
        return True
    return False


def test_a_round_in_the_browser(browser: object, tmp_path: Path, form: Form) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    workspace = make_round(tmp_path / "round", form)
    downloads = tmp_path / "downloads"
    pictures = Path(os.environ.get(PICTURES, tmp_path))  # the README's pictures: docs/make_pictures.py

    def drop(paths: list[Path]) -> None:
        """Drag files onto the page's drop area, as a clerk does from the file manager: the files are picked
        into a stand-in input, then dropped on #drop in a DataTransfer (the browser's own drag events)."""
        picked = driver.execute_script(
            "var i = document.createElement('input'); i.type = 'file'; i.multiple = true;"
            "document.body.appendChild(i); return i;"
        )
        picked.send_keys("\n".join(str(p) for p in paths))
        page = driver.find_element(By.TAG_NAME, "html")
        driver.execute_script(
            "var dt = new DataTransfer(), files = arguments[0].files, drop = document.getElementById('drop');"
            "for (var k = 0; k < files.length; k++) dt.items.add(files[k]);"
            "['dragenter', 'dragover', 'drop'].forEach(function (name) {"
            "  drop.dispatchEvent(new DragEvent(name, {bubbles: true, cancelable: true, dataTransfer: dt})); });",
            picked,
        )
        WebDriverWait(driver, 60).until(lambda _: _gone(page))

    def text(selector: str) -> str:
        return driver.find_element(By.CSS_SELECTOR, selector).text

    def click(by: str, selector: str) -> None:
        """Click what opens another page, and wait until it is there."""
        page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(by, selector).click()

        WebDriverWait(driver, 30).until(lambda _: _gone(page))

    def rows(selector: str) -> int:
        return len(driver.find_elements(By.CSS_SELECTOR, f"{selector} tbody tr"))

    with serving(workspace.root) as url:
        # 总览: 24 units in roster order, counts, filter.
        driver.get(url)
        assert rows("#units") == 24 and "已收 23/24" in text("#counts")
        driver.save_screenshot(str(pictures / "board.png"))
        assert driver.find_elements(By.CSS_SELECTOR, "#units tbody tr td.name")[0].text == "彰武镇"
        click(By.PARTIAL_LINK_TEXT, "待核实 1")
        assert rows("#units") == 1
        click(By.LINK_TEXT, "冯家镇")

        # 单位: the P1 warning with sheet, cell and labels; accept it with a note.
        assert "待核实" in text("#unit-state")
        driver.save_screenshot(str(pictures / "unit.png"))
        problem = text("#problems tbody tr")
        assert "表二 主动公开" in problem and "D5" in problem and "规章一般应为 0" in problem and "P1" not in problem
        Select(driver.find_element(By.NAME, "rule")).select_by_value("P1")
        driver.find_element(By.CSS_SELECTOR, "#accept textarea").send_keys("已电话核实，本镇执行 1 件省政府规章")
        click(By.CSS_SELECTOR, "#accept button")
        assert "已认可 1 个警告" in text(".flash") and "已通过" in text("#unit-state")

        # 上传: three workbooks dropped on the page at once: 冯家镇 with its explanation, 哈尔套镇 with a typing
        # error, 兴隆堡镇 with an unexplained warning; each becomes the unit's version 2 and its state changes.
        click(By.LINK_TEXT, "上传")
        typo = edited(sample("210922101").read_bytes(), lambda wb: put(wb, form, {"T3.R01.C1": "5件"}))
        wrong = write(tmp_path, "哈尔套镇.xlsx", typo)
        good = consistent_inputs(form, random.Random(3))
        one_rule = filled_workbook(form, {**good, "T2.R01.C1": 1}, Unit("210922109", "兴隆堡镇"))
        warned = write(tmp_path, "兴隆堡镇.xlsx", one_rule)
        drop([sample("210922103"), wrong, warned])
        results = text("#results")
        assert "冯家镇 第 2 版：已通过" in results and "哈尔套镇 第 2 版：有错误" in results
        assert "兴隆堡镇 第 2 版：待核实" in results
        driver.get(url)
        assert "有错误 1" in text(".filters") and "待核实 1" in text(".filters")

        # 哈尔套镇: its reply draft (the problems, the annotated copy attached); then version 1 counts again.
        driver.get(url + "unit/210922101")
        driver.find_element(By.PARTIAL_LINK_TEXT, "下载回复草稿").click()
        draft = message_from_bytes(downloaded(downloads, ".eml").read_bytes(), policy=policy.default)
        assert "审核意见" in str(draft["Subject"]) and "5件" in str(draft.get_body(("plain",)).get_content())
        Select(driver.find_element(By.CSS_SELECTOR, "#pin select")).select_by_value("1")
        driver.find_element(By.CSS_SELECTOR, "#pin textarea").send_keys("第 2 版误填，仍以第 1 版为准，已通知重报")
        click(By.CSS_SELECTOR, "#pin button")
        assert "已通过" in text("#unit-state")
        # 兴隆堡镇: its warnings accepted, the rule's and the review's (its figures stand far above the others').
        driver.get(url + "unit/210922109")
        assert "中位数" in text("#problems")
        Select(driver.find_element(By.NAME, "rule")).select_by_value("全部")
        driver.find_element(By.CSS_SELECTOR, "#accept textarea").send_keys("已电话核实")
        click(By.CSS_SELECTOR, "#accept button")
        assert "已通过" in text("#unit-state")

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


def test_a_colleague_logs_in_and_out_in_the_browser(
    browser: object, tmp_path: Path, form: Form, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #21: the named login in a real browser; the page's script still runs under the Content-Security-Policy
    (the board refreshes itself); after 退出 the pages ask for the login again."""
    from click.testing import CliRunner
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    from nianbao.cli import main

    driver: WebDriver = browser  # type: ignore[assignment]
    workspace = make_round(tmp_path / "round", form)
    monkeypatch.setenv("NIANBAO_WEB_PASSWORD", "张三的密码123")
    assert CliRunner().invoke(main, ["user", "add", "张三", "-w", str(workspace.root)]).exit_code == 0
    with serving(workspace.root) as url:
        driver.get(url)
        assert "登录" in driver.title
        driver.find_element(By.NAME, "name").send_keys("张三")
        driver.find_element(By.NAME, "password").send_keys("张三的密码123")
        driver.find_element(By.CSS_SELECTOR, "form button").click()
        wait_for(lambda: "张三（网页）" in driver.find_element(By.CSS_SELECTOR, ".who").text)
        Workspace.open(workspace.root).receive([sample(LEFT_OUT)])
        wait_for(lambda: "已收 24/24" in driver.find_element(By.ID, "counts").text, 15)  # the script ran
        driver.find_element(By.CSS_SELECTOR, ".who button").click()
        wait_for(lambda: driver.find_elements(By.NAME, "password"))
        driver.get(url + "log")
        assert driver.find_elements(By.NAME, "password")
        assert "张三" not in driver.find_element(By.TAG_NAME, "header").text
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
