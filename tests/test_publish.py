"""Each unit's report to publish (issue #22, part 3): `nianbao publish` writes, for every passed unit, its annual
report (Word and web page) from the version the county counted, into 发布稿/; a unit that has not passed gets none,
and says why. The page offers them on the unit's page."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from docx import Document

from nianbao.cli import main
from nianbao.collection.layout import PUBLISH_DIR
from nianbao.collection.workspace import NEW, PASSED, REFUSED, Workspace
from nianbao.operations.demo import NOT_YET, ROUND, TYPO, UNEXPLAINED, run_demo
from nianbao.web.app import Settings, create_app


def run(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output and "程序内部错误" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def round_(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's round: 20 townships passed, one with an error, one to verify, two that sent nothing."""
    out = tmp_path_factory.mktemp("demo")
    run_demo(out)
    return out / ROUND


def test_every_passed_unit_gets_its_report_with_the_counted_figures(round_: Path) -> None:
    workspace = Workspace.open(round_)
    done = workspace.publish()
    assert [p.state.unit_id for p in done] == [u.unit_id for u in workspace.units]  # roster order
    published = [p for p in done if p.published]
    assert len(published) == 20 and all(p.state.state == PASSED for p in published)
    assert {p.state.unit_id for p in done if not p.published} == {TYPO, UNEXPLAINED, *NOT_YET}
    for publication in published:
        counted = publication.state.counted
        assert counted is not None
        docx, page = publication.files
        assert docx.parent == round_ / PUBLISH_DIR and docx.suffix == ".docx" and page.suffix == ".html"
        text = page.read_text(encoding="utf-8")
        shown = {code: unescape(v) for code, v in re.findall(r'data-code="([^"]+)">([^<]*)<', text)}
        assert set(shown) == set(counted.figures)
        assert all(float(shown[c]) == pytest.approx(v) for c, v in counted.figures.items() if v is not None)
        assert counted.texts["N1"].splitlines()[0] in text  # its own words
        paragraphs = [p.text for p in Document(str(docx)).paragraphs]
        assert paragraphs[0] == f"{publication.state.unit_name}2025年政府信息公开工作年度报告"
        assert paragraphs[-2] == publication.state.unit_name and paragraphs[-1].endswith("日")
    assert "写发布稿：20 个单位" in run("log", "-w", round_).output
    again = workspace.receive([round_ / PUBLISH_DIR])  # the workspace's own: never a return
    assert again and all(r.outcome == REFUSED for r in again) and not [r for r in again if r.outcome == NEW]
    workspace.close()


def test_the_command_says_why_a_unit_gets_none(round_: Path) -> None:
    named = run("publish", TYPO, "彰武镇", "--date", "2026-01-25", "-w", round_)
    assert named.exit_code == 1, named.output
    assert "✗ 210922101 哈尔套镇：有错误" in named.output and "未生成发布稿" in named.output
    assert "✓ 210922100 彰武镇：彰武镇2025年政府信息公开工作年度报告（.docx、.html）" in named.output
    docx = round_ / PUBLISH_DIR / "彰武镇2025年政府信息公开工作年度报告.docx"
    assert Document(str(docx)).paragraphs[-1].text == "2026年1月25日"
    assert run("publish", "彰武镇", "-w", round_).exit_code == 0
    assert run("publish", "--date", "明天", "-w", round_).exit_code == 2


def test_the_unit_page_offers_the_reports_to_publish(round_: Path) -> None:
    client = create_app(Settings(round_)).test_client()
    host = {"Host": "127.0.0.1:8765"}
    page = client.get("/unit/210922100", headers=host).get_data(as_text=True)
    assert 'id="publish"' in page and "/unit/210922100/publish/docx" in page
    word = client.get("/unit/210922100/publish/docx", headers=host)
    assert word.status_code == 200 and word.data.startswith(b"PK")
    assert "发布稿" not in client.get(f"/unit/{TYPO}", headers=host).get_data(as_text=True)
    refused = client.get(f"/unit/{TYPO}/publish/html", headers=host)
    assert refused.status_code == 409 and "有错误" in refused.get_data(as_text=True)
    assert client.get("/unit/210922100/publish/pdf", headers=host).status_code == 404
