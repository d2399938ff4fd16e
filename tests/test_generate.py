"""`nianbao generate`: one workbook per unit, safe names, a manifest, no overwrite, nothing on bad input."""

from __future__ import annotations

import csv
import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.form.spec import IDENTITY_SHEET
from nianbao.io.files import safe_name
from nianbao.operations.generate import MANIFEST_NAME, PASSWORD_NAME, parse_deadline
from nianbao.problems import NianbaoError
from tests.helpers.workbooks import write_roster

AWKWARD = [
    ("210922100", '彰武县/阜新市:彰武镇"人民政府"'),
    ("210922101", "辽宁省阜新市彰武县哈尔套镇人民政府政务公开办公室与便民服务中心联合工作组（临时）"),
    ("CON", "CON"),
    ("210922103", "县教育局.."),
    ("210922104", "<县>|司法局?*"),
    ("210922106", "彰武镇"),  # the same name as another unit
    ("a-B_7", "彰武镇"),
]
# Refused (issue #21): a line break or a direction mark in a name misleads every listing; a code with a slash or
# dots makes odd file names and dead links.
REFUSED = [("210922105", "彰武\n镇"), ("210922107", "彰武\u202e镇"), ("A/B", "彰武镇"), ("../../etc", "某镇")]
WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    return write_roster(tmp_path / "roster.csv", AWKWARD, encoding="utf-8-sig")


def test_names_with_hidden_characters_and_codes_with_odd_ones_are_refused_with_the_row(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", [AWKWARD[0], *REFUSED], encoding="utf-8-sig")
    code, output = run("generate", "--roster", str(roster), "--year", "2025", "--out", str(tmp_path / "out"))
    assert code != 0 and not (tmp_path / "out").exists(), output
    assert "<U+000A>" in output and "<U+202E>" in output and "“A/B”" in output and "“../../etc”" in output
    assert output.count("第 ") >= 4  # each refused row named


def test_one_workbook_per_unit_with_safe_readable_names(tmp_path: Path, roster: Path) -> None:
    out = tmp_path / "out"
    code, output = run("generate", "--roster", str(roster), "--year", "2025", "--out", str(out), "--password", "x")
    assert code == 0, output
    assert f"已为 {len(AWKWARD)} 个单位生成" in output
    with (out / MANIFEST_NAME).open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["单位编码"], r["单位名称"]) for r in rows] == AWKWARD
    names = [r["文件名"] for r in rows]
    assert len({n.casefold() for n in names}) == len(AWKWARD)
    for row in rows:
        name = row["文件名"]
        assert not WINDOWS_FORBIDDEN.search(name) and len(name) <= 90, name
        assert name.endswith(".xlsx") and not name[:-5].endswith((".", " ")) and "_2025年_" in name
        data = (out / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        wb = openpyxl.load_workbook(out / name)
        identity = {k: v for k, v in wb[IDENTITY_SHEET].iter_rows(values_only=True)}
        assert (identity["unit_id"], identity["unit_name"]) == (row["单位编码"], row["单位名称"])
        assert wb[IDENTITY_SHEET].sheet_state == "veryHidden"
    assert names[0].startswith("彰武县_阜新市_彰武镇_人民政府_")
    assert not (out / PASSWORD_NAME).exists(), "a password the user chose is not written down"
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, MANIFEST_NAME])


def test_same_roster_year_and_options_give_identical_files(tmp_path: Path, roster: Path) -> None:
    for name in ("a", "b"):
        args = ["--roster", str(roster), "--year", "2025", "--out", str(tmp_path / name), "--password", "pw"]
        assert run("generate", *args, "--deadline", "2026-01-20")[0] == 0
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_generated_password_is_recorded_outside_the_workbooks(tmp_path: Path, roster: Path) -> None:
    out = tmp_path / "out"
    code, output = run("generate", "--roster", str(roster), "--year", "2025", "--out", str(out))
    assert code == 0 and PASSWORD_NAME in output
    password = re.search(r"\n\n(\w+)\n\n", (out / PASSWORD_NAME).read_text(encoding="utf-8-sig"))[1]
    assert len(password) >= 8
    for book in out.glob("*.xlsx"):
        with zipfile.ZipFile(book) as z:
            for info in z.infolist():
                assert password.encode() not in z.read(info), f"{book.name}:{info.filename}"


def test_refuses_to_overwrite_unless_forced(tmp_path: Path, roster: Path) -> None:
    out = tmp_path / "out"
    args = ["generate", "--roster", str(roster), "--year", "2025", "--out", str(out), "--password", "p"]
    assert run(*args)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / next(iter(before))).write_bytes(b"edited by the county")
    code, output = run(*args[:-1], "q")
    assert code == 1 and "--force" in output and "Traceback" not in output
    assert (out / next(iter(before))).read_bytes() == b"edited by the county"
    assert run(*args, "--force")[0] == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    ("roster_text", "extra", "message"),
    [
        ("单位编码,单位名称\n1,甲\n1,乙\n", [], "第 3 行：单位编码 1 与第 2 行重复"),
        ("单位编码,单位名称\n1,\n", [], "第 2 行：单位名称为空"),
        ("单位编码,单位名称\n1,甲\n", ["--deadline", "明年一月"], "截止日期"),
        ("单位编码,单位名称\n1,甲\n", ["--form", "gov-info-disclosure-2019"], "找不到表格规格"),
    ],
)
def test_bad_input_writes_nothing_and_says_why(
    tmp_path: Path, roster_text: str, extra: list[str], message: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(roster_text, encoding="utf-8")
    out = tmp_path / "out"
    code, output = run("generate", "--roster", str(path), "--year", "2025", "--out", str(out), *extra)
    assert code == 1 and message in output and "Traceback" not in output
    assert not out.exists()


def test_year_before_the_format_and_usage_errors(tmp_path: Path, roster: Path) -> None:
    code, output = run("generate", "--roster", str(roster), "--year", "2019", "--out", str(tmp_path / "o"))
    assert code == 1 and "2021" in output
    code, output = run("generate", "--roster", str(roster), "--out", str(tmp_path / "o"))
    assert code == 2 and "--year" in output


def test_deadline_formats() -> None:
    assert parse_deadline("2027-01-15") == parse_deadline("2027/1/15") == "2027年1月15日"
    assert parse_deadline("2027年1月15日") == "2027年1月15日"
    with pytest.raises(NianbaoError):
        parse_deadline("2027-02-30")


@pytest.mark.parametrize("text", ["a/b", "CON", "nul.txt", " .. ", "名" * 60, "x\ty", 'q"?*<>|'])
def test_safe_name_is_valid_on_windows(text: str) -> None:
    name = safe_name(text)
    assert name and not WINDOWS_FORBIDDEN.search(name) and len(name) <= 40
    assert not name.endswith((".", " ")) and name.split(".")[0].upper() not in {"CON", "NUL"}


def test_an_unexpected_failure_is_one_line_without_traceback(tmp_path: Path, roster: Path, monkeypatch) -> None:
    import nianbao.operations.generate

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(nianbao.operations.generate, "generate", broken)  # the command imports it when it runs
    code, output = run("generate", "--roster", str(roster), "--year", "2025", "--out", str(tmp_path / "o"))
    assert code == 1 and "程序内部错误（RuntimeError: boom）" in output and "--debug" in output
    assert "Traceback" not in output
    result = CliRunner().invoke(
        main, ["--debug", "generate", "--roster", str(roster), "--year", "2025", "--out", str(tmp_path / "o")]
    )
    assert isinstance(result.exception, RuntimeError), "--debug lets the traceback through"


def test_cli_reference_is_current() -> None:
    import importlib.util

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("make_cli_reference", REPO / "docs" / "make_cli_reference.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == module.reference(), (
        "run: python docs/make_cli_reference.py"
    )
