"""The letter and its annotated copy (issue #20): over a whole round, every 审核意见 lists exactly the problems the
问题清单 of the copy attached to it lists and marks: the errors and the clerk's rejections, then the warnings the
unit must act on, the comparison with the other units (U1) among them; nothing accepted or explained. The page's
标注副本 of a counted version is the same copy."""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from nianbao.collection.reply import PROBLEMS, Reply, draft_replies, texts_of
from nianbao.collection.workspace import Workspace
from nianbao.form.spec import Form
from nianbao.io.roster import Unit
from nianbao.operations.annotate import FILLS, SUFFIX, WHOLE_FILE
from nianbao.operations.check import PROBLEM_SHEET
from nianbao.problems import ERROR, SEVERITY_NAMES, WARNING
from nianbao.web.app import Settings, create_app
from tests.helpers.figures import township_inputs
from tests.helpers.workbooks import filled_workbook, write, write_roster

TOWNS = [Unit(f"2109221{i:02d}", f"第{i}镇") for i in range(7)]
REVIEW_ONLY, ACCEPTED, WITH_ERRORS, EXPLAINED, REJECTED, REJECTED_WARNED, PASSES = TOWNS
WHY = "表三与登记台账不符，请核对"
# What each letter lists, by code: errors, then warnings.
LISTED = {
    REVIEW_ONLY: ([], ["U1"]),  # its file has no problem: the comparison with the other units only
    ACCEPTED: ([], ["P1"]),  # its U1 accepted by the clerk
    WITH_ERRORS: (["TEXT"], ["P1"]),
    EXPLAINED: (["TEXT"], []),  # its P1 explained in its 情况说明
    REJECTED: (["REJECTED"], []),  # every rule holds; sent back by the clerk
    REJECTED_WARNED: (["REJECTED"], ["P1"]),
}


@dataclass(frozen=True)
class Letter:
    errors: list[str]  # the letter's lines, as it words them
    warnings: list[str]
    text: str
    copy: bytes | None  # the annotated copy attached


@pytest.fixture(scope="module")
def round_drafted(tmp_path_factory: pytest.TempPathFactory, form: Form) -> tuple[Workspace, list[Reply]]:
    """Seven townships as they really report; two received 600 more applications than the others (U1); the clerk
    accepts one's, and sends two back. 第0镇 sent a first version with a P1 warning, then corrected it."""
    root = tmp_path_factory.mktemp("letters")
    folder, first = root / "returned", root / "first"
    folder.mkdir()
    first.mkdir()
    assert form.explanation is not None
    for i, unit in enumerate(TOWNS):
        figures = township_inputs(form, random.Random(i))
        if unit in (REVIEW_ONLY, ACCEPTED):
            figures["T3.R01.C1"] += 600
            figures["T3.R03.C1"] += 600
        values: dict[str, object] = dict(figures)
        if unit in (ACCEPTED, WITH_ERRORS, EXPLAINED, REJECTED_WARNED):
            values["T2.R01.C1"] = 1  # a 规章: P1
        if unit in (WITH_ERRORS, EXPLAINED):
            values["T3.R01.C1"] = "5件"
        said = "本镇去年承接了县里的一件规章" if unit == EXPLAINED else ""
        texts = {form.explanation.code: said}
        write(folder, f"{unit.unit_name}.xlsx", filled_workbook(form, values, unit=unit, texts=texts))
        if unit == REVIEW_ONLY:
            earlier = filled_workbook(form, {**values, "T2.R01.C1": 1}, unit=unit, texts=texts)
            write(first, f"{unit.unit_name}.xlsx", earlier)
    ws, _ = Workspace.create(root / "ws", write_roster(root / "名单.csv", TOWNS), 2025, unit_name="彰武县")
    ws.receive([first])
    ws.receive([folder])
    ws.accept(ACCEPTED.unit_id, "已电话核实：本镇征地，申请确实多", rule="U1")
    ws.reject(REJECTED.unit_id, WHY)
    ws.reject(REJECTED_WARNED.unit_id, WHY)
    return ws, draft_replies(ws).replies


def letter_of(reply: Reply) -> Letter:
    message = message_from_bytes(reply.draft.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    blocks: dict[str, list[str]] = {ERROR: [], WARNING: []}
    block, count = None, 0
    for line in text.splitlines():
        if heading := re.match(r"(需要改正的错误|需要核实的数字)（(\d+) 个", line):
            block = ERROR if heading[1] == "需要改正的错误" else WARNING
            count = int(heading[2])
        elif block and (found := re.fullmatch(r"  (\d+)\. (.+)", line)):
            blocks[block].append(found[2])
            assert int(found[1]) == len(blocks[block]) <= count
    copies = [p.get_content() for p in message.iter_attachments() if str(p.get_filename()).endswith(SUFFIX)]
    assert len(copies) <= 1
    return Letter(blocks[ERROR], blocks[WARNING], text, copies[0] if copies else None)


@dataclass(frozen=True)
class Row:
    severity: str
    place: str  # sheet!cell, or 整个文件
    line: str  # the row as a letter words it: place (labels)：message
    message: str
    code: str


def copy_rows(data: bytes) -> tuple[str, list[Row], openpyxl.Workbook]:
    """The 问题清单 of an annotated copy: its headline and its rows (the unit's 情况说明 under them left out)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet: Worksheet = book[PROBLEM_SHEET]
    assert book.sheetnames[0] == PROBLEM_SHEET
    rows = []
    for number, severity, place, row_label, col_label, message, code in sheet.iter_rows(min_row=4, values_only=True):
        if severity == "说明":
            continue
        assert number == len(rows) + 1
        labels = "／".join(str(x) for x in (row_label, col_label) if x)
        where = str(place).replace("!", " ")
        line = f"{where}（{labels}）" if labels else where
        kind = next(k for k, name in SEVERITY_NAMES.items() if name == severity)
        rows.append(Row(kind, str(place), f"{line}：{message}", str(message), str(code)))
    return str(sheet["A1"].value), rows, book


def test_every_letter_lists_what_its_annotated_copy_lists_and_marks(
    round_drafted: tuple[Workspace, list[Reply]],
) -> None:
    ws, replies = round_drafted
    texts = texts_of(ws).sections[PROBLEMS]
    letters = {r.unit_id: r for r in replies if r.kind == PROBLEMS}
    assert set(letters) == {u.unit_id for u in LISTED}  # 第6镇 passed: no letter
    for unit, (errors, warnings) in LISTED.items():
        letter = letter_of(letters[unit.unit_id])
        assert (len(letter.errors), len(letter.warnings)) == (len(errors), len(warnings)), letter.text
        if letter.copy is None:  # a copy of whole-file problems only would mark nothing: the file goes alone
            assert all(line.startswith("整个文件：") for line in letter.errors + letter.warnings), letter.text
            assert texts["no_annotated_copy"] in letter.text and texts["attachments"] not in letter.text
            continue
        assert texts["attachments"] in letter.text, letter.text
        headline, rows, book = copy_rows(letter.copy)
        assert headline == f"{unit.unit_name}：{len(errors)} 个错误，{len(warnings)} 个警告"
        assert [r.line for r in rows if r.severity == ERROR] == letter.errors
        assert [r.line for r in rows if r.severity == WARNING] == letter.warnings
        assert [r.code for r in rows] == errors + warnings
        # Each problem with a cell is marked on it, in its colour, with its words; no other cell is.
        marked = {}
        for sheet in book.worksheets[1:]:
            for line in sheet.iter_rows():
                marked.update({f"{sheet.title}!{c.coordinate}": c for c in line if c.comment})
        assert set(marked) == {r.place for r in rows if "!" in r.place}
        for row in rows:
            if "!" in row.place:
                cell = marked[row.place]
                assert f"[{SEVERITY_NAMES[row.severity]}] {row.message}" in cell.comment.text
                red = any(r.place == row.place and r.severity == ERROR for r in rows)  # red wins over yellow
                assert cell.fill.fgColor.rgb[-6:] == FILLS[ERROR if red else WARNING].fgColor.rgb[-6:]
    # The comparison with the other units is on the copy of a unit whose own file has no problem at all.
    _, rows, _ = copy_rows(letter_of(letters[REVIEW_ONLY.unit_id]).copy or b"")
    assert "中位数" in rows[0].message and "请核实" in rows[0].message
    _, rows, book = copy_rows(letter_of(letters[REJECTED_WARNED.unit_id]).copy or b"")
    assert rows[0].place == WHOLE_FILE and rows[0].line == f"{WHOLE_FILE}：审核退回：{WHY}"
    assert book[PROBLEM_SHEET].row_dimensions[5].height >= 2 * 16  # P1's long words: the row grown to show them


def test_the_pages_copy_of_a_counted_version_is_the_letters_and_of_an_earlier_one_its_own(
    round_drafted: tuple[Workspace, list[Reply]],
) -> None:
    ws, replies = round_drafted
    app = create_app(Settings(ws.root))
    app.config["SERVER_NAME"] = "127.0.0.1:8765"
    client = app.test_client()
    for reply in replies:
        copy = letter_of(reply).copy
        if reply.kind != PROBLEMS or copy is None:
            continue
        state = ws.state_of(reply.unit_id)
        assert state.counted is not None and reply.version == state.counted.version
        page = client.get(f"/file/{state.counted.id}/annotated")
        assert page.status_code == 200
        assert copy_rows(page.data)[:2] == copy_rows(copy)[:2]
    unit_page = client.get(f"/unit/{REVIEW_ONLY.unit_id}").get_data(as_text=True)
    assert unit_page.count("标注副本</a>") == 2  # the first version's P1, the counted one's U1
    earlier = ws.history(REVIEW_ONLY.unit_id)[1][0]
    _, rows, _ = copy_rows(client.get(f"/file/{earlier.id}/annotated").data)
    assert [r.code for r in rows] == ["P1"]  # the file's own problems: the letter answers the counted version
