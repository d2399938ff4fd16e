"""Issue 25: a plain .xlsx is read in one pass (each member inflated once, the guards on those bytes, calamine given
the same bytes stored). It must read every workbook exactly as the careful way does, take the careful way for
anything unusual, and let no far-reaching sheet through to calamine."""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.form import data_dir
from nianbao.form.spec import Form, a1
from nianbao.io import reading
from nianbao.io.reading import MAX_SHEET_CELLS, OpenedFile, _reach, _surely_near, opened_from, read_sheets
from nianbao.io.unzip import inflate_plain, stored_zip
from nianbao.problems import ReadError
from tests.helpers.figures import consistent_inputs
from tests.helpers.workbooks import edited, filled_workbook

BUDGET = 100 * 1024 * 1024


def careful(path: Path, data: bytes) -> OpenedFile:
    """The file read the careful way only (zipfile, calamine on the file's own bytes)."""
    properties, links = reading._sniff(data)
    return OpenedFile(path, reading.sha256(data), read_sheets(data), properties, links, data)


def same_reading(path: Path, data: bytes) -> OpenedFile:
    quick, slow = opened_from(path, data), careful(path, data)
    assert quick.sheets == slow.sheets and quick.properties == slow.properties
    assert quick.links_other_files == slow.links_other_files and quick.sha256 == slow.sha256
    return quick


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32), st.booleans())
def test_a_workbook_reads_the_same_in_one_pass_as_the_careful_way(form: Form, seed: int, by_openpyxl: bool) -> None:
    rng = random.Random(seed)
    data = filled_workbook(form, consistent_inputs(form, rng))
    if by_openpyxl:  # another writer: openpyxl's zip and XML, a note typed beside a table
        data = edited(data, lambda wb: wb[form.narrative_sheet].__setitem__(f"C{rng.randint(1, 60)}", "备注"))
    assert same_reading(Path("x.xlsx"), data)._members is not None


def test_the_townships_samples_read_the_same(form: Form) -> None:
    """What LibreOffice, WPS and Excel wrote: the .xlsx ones in one pass, the others the careful way."""
    for path in sorted((data_dir("samples") / "filled").iterdir()):
        opened = same_reading(path, path.read_bytes())
        assert (opened._members is not None) == (path.suffix == ".xlsx"), path.name


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def test_the_stored_copy_holds_the_same_members(form: Form) -> None:
    data = filled_workbook(form, consistent_inputs(form, random.Random(3)))
    members = inflate_plain(data, 2000, BUDGET)
    assert members is not None
    copy = zipfile.ZipFile(io.BytesIO(stored_zip(members)))
    assert copy.testzip() is None and {i.compress_type for i in copy.infolist()} == {zipfile.ZIP_STORED}
    assert {i.filename: copy.read(i) for i in copy.infolist()} == _members(data)


def _patched(data: bytes, old: bytes, new: bytes) -> bytes:
    """The first ``old`` (in a local header: they come before the central directory) made ``new``."""
    assert old in data
    return data.replace(old, new, 1)


def test_anything_unusual_takes_the_careful_way(form: Form) -> None:
    data = filled_workbook(form, consistent_inputs(form, random.Random(4)))
    assert inflate_plain(data, 2000, BUDGET) is not None
    assert inflate_plain(data, 3, BUDGET) is None  # more members than allowed
    assert inflate_plain(data, 2000, 1000) is None  # more bytes than the budget
    assert inflate_plain(data[:-30], 2000, BUDGET) is None  # truncated
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("xl/workbook.xml")
    flags = info.header_offset + 6  # the local header's flags: marked encrypted
    assert inflate_plain(data[:flags] + b"\x01" + data[flags + 1 :], 2000, BUDGET) is None
    crc = info.CRC.to_bytes(4, "little")  # the central directory's CRC of a member changed
    assert inflate_plain(data.replace(crc, bytes(4)), 2000, BUDGET) is None
    renamed = _patched(data, b"xl/workbook.xml", b"xl/workbook.xmm")  # the local header's name only
    assert inflate_plain(renamed, 2000, BUDGET) is None
    with pytest.raises(ReadError) as damaged:
        opened_from(Path("x.xlsx"), renamed)
    assert damaged.value.code == "DAMAGED"


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    members = _members(data)
    members[name] = content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for member, body in members.items():
            z.writestr(member, body)
    return out.getvalue()


def test_a_part_in_utf16_without_a_byte_order_mark_is_refused(form: Form) -> None:
    """The guards read ASCII: a part they cannot read is refused, as one with a DTD is."""
    data = filled_workbook(form, consistent_inputs(form, random.Random(5)))
    part = "xl/styles.xml"
    data = _with_member(data, part, _members(data)[part].decode().replace('"UTF-8"', '"UTF-16LE"').encode("utf-16-le"))
    with pytest.raises(ReadError) as refused:
        opened_from(Path("x.xlsx"), data)
    assert refused.value.code == "XML_BOMB"


def _sheet(cells: str) -> bytes:
    return f'<worksheet xmlns="urn:x"><sheetData>{cells}</sheetData></worksheet>'.encode()


def test_a_cell_is_as_far_as_its_own_place_whatever_row_holds_it() -> None:
    """calamine puts a cell where its reference says: one at ZZ999999 written in row 1 reaches 702 × 999,999."""
    far = _sheet('<row r="1"><c r="A1"><v>1</v></c><c r="ZZ999999"><v>1</v></c></row>')
    assert not _surely_near(far)
    assert _reach(far) == (999_999, 702, "ZZ999999", "ZZ999999")


@pytest.mark.parametrize(
    "cell",
    [
        '<c\tr="ZZ999999"><v>1</v></c>',  # a tab before the place
        '<前缀:c r="ZZ999999" xmlns:前缀="urn:x"><v>1</v></c>',  # under a prefix that is not ASCII
        '<c s="1" r="ZZ999999"><v>1</v></c>',  # the place not first
        '<c r="zz999999"><v>1</v></c>',  # in lower case
        '<c r="A99999999"><v>1</v></c>',  # beyond Excel's last row
    ],
)
def test_cells_written_unusually_are_counted_exactly_and_reach_far(cell: str) -> None:
    xml = _sheet(f'<row r="1"><c r="ZZ1"><v>1</v></c>{cell}</row>')
    assert not _surely_near(xml)
    rows, cols, _, _ = _reach(xml)
    assert rows * cols > MAX_SHEET_CELLS


def test_cells_with_implied_places_are_counted_where_they_fall() -> None:
    cells = "".join("<c><v>1</v></c>" for _ in range(30))
    rows, cols, far_row, far_col = _reach(_sheet(f'<row r="1048576">{cells}</row>'))
    assert (rows, cols, far_row, far_col) == (1_048_576, 30, "A1048576", "AD1048576")


@given(st.lists(st.tuples(st.integers(1, 1_048_576), st.integers(1, 16_384), st.integers(1, 1_048_576)), min_size=1))
def test_the_quick_bound_holds_wherever_the_cells_are_written(cells: list[tuple[int, int, int]]) -> None:
    """Each cell written in some row, not necessarily its own: the quick bound never lets a far one through, and
    the exact count finds the cells' reach from their own places."""
    rows = "".join(f'<row r="{row}"><c r="{a1(r - 1, c - 1)}"><v>1</v></c></row>' for r, c, row in cells)
    xml = _sheet(rows)
    reach = max(r for r, _, _ in cells), max(c for _, c, _ in cells)
    if _surely_near(xml):
        assert reach[0] * reach[1] <= MAX_SHEET_CELLS
    assert _reach(xml)[:2] == reach


def test_a_far_cell_written_in_the_first_row_is_refused_before_calamine_reads_it(
    form: Form, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cell at XFD1048576 written inside row 1: the sheet would be read as 17 billion cells (calamine is kept
    away here: were the guards to let it through, the test would fail, not the machine)."""

    def calamine(data: bytes) -> None:
        raise AssertionError("calamine was given a sheet reaching too far")

    monkeypatch.setattr(reading, "read_sheets", calamine)
    data = filled_workbook(form, consistent_inputs(form, random.Random(6)))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheets = [ws.title for ws in wb.worksheets]
    index = sheets.index(form.narrative_sheet) + 1
    part = f"xl/worksheets/sheet{index}.xml"
    xml = _members(data)[part]
    end = xml.index(b"</row>")
    hostile = xml[:end] + b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>' + xml[end:]
    with pytest.raises(ReadError) as refused:
        opened_from(tmp_path / "x.xlsx", _with_member(data, part, hostile))
    assert refused.value.code == "FAR_CELLS" and "XFD1048576" in str(refused.value)
    assert form.narrative_sheet in str(refused.value)


def test_the_members_are_inflated_with_zlib_once_each(form: Form, monkeypatch: pytest.MonkeyPatch) -> None:
    data = filled_workbook(form, consistent_inputs(form, random.Random(7)))
    made = []
    original = zlib.decompressobj

    def counted(*args: int) -> object:
        made.append(args)
        return original(*args)

    monkeypatch.setattr(zlib, "decompressobj", counted)
    opened_from(Path("x.xlsx"), data)
    assert len(made) == len(_members(data))


def defused_properties(xml: bytes) -> dict[str, str]:
    """The custom properties as nianbao read them before issue 25 (with defusedxml's tree)."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(xml)
    except Exception:
        return {}
    props = {}
    for prop in root:
        name = prop.get("name")
        if name and len(prop):
            props[name] = prop[0].text or ""
    return props


_TEXTS = st.sampled_from(["", "2025", " 空 格 ", "a&amp;b", "&#20214;", "<![CDATA[<x>]]>", "&lt;1&gt;", "\n"])
_NAMES = st.sampled_from(["nianbao_unit_id", "nianbao_year", "", "名称", "a&quot;b"])


@st.composite
def property_documents(draw: st.DrawFn) -> bytes:
    props = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(_NAMES)
        attribute = "" if draw(st.booleans()) and not name else f' name="{name}"'
        inner = "<vt:inner>x</vt:inner>"
        values = "".join(
            f"<vt:{kind}>{draw(_TEXTS)}{inner if draw(st.booleans()) else ''}{draw(_TEXTS)}</vt:{kind}>"
            for kind in draw(st.lists(st.sampled_from(["lpwstr", "i4", "bool"]), max_size=2))
        )
        props.append(f'<property fmtid="{{D5CDD505}}" pid="2"{attribute}>{draw(_TEXTS)}{values}</property>')
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="urn:custom" xmlns:vt="urn:vt">' + "".join(props) + "</Properties>"
    )
    if draw(st.integers(0, 9)) == 0:  # damaged
        document = document[: draw(st.integers(0, len(document)))]
    return document.encode()


@given(property_documents())
def test_the_custom_properties_read_as_defusedxml_read_them(xml: bytes) -> None:
    assert reading._custom_properties(xml) == defused_properties(xml)


def test_custom_properties_with_a_dtd_or_entities_are_refused() -> None:
    for doctype in ('<!DOCTYPE p [<!ENTITY e "x">]>', '<!DOCTYPE p SYSTEM "http://example.cn/p.dtd">', "<!DOCTYPE p>"):
        xml = f'<?xml version="1.0"?>{doctype}<p><property name="a"><v>&e;</v></property></p>'.encode()
        assert reading._custom_properties(xml) == {}


def test_only_a_zip_that_ends_with_its_directory_is_read_in_one_pass(form: Form) -> None:
    """Bytes before the archive, a comment, a member needing a newer zip, a broken extra field: the careful way."""
    data = filled_workbook(form, consistent_inputs(form, random.Random(8)))
    assert inflate_plain(b"junk" + data, 2000, BUDGET) is None
    with_comment = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(with_comment, "w", zipfile.ZIP_DEFLATED) as out:
        out.comment = b"WPS"
        for info in z.infolist():
            out.writestr(info, z.read(info))
    assert inflate_plain(with_comment.getvalue(), 2000, BUDGET) is None
    same_in_one_pass = same_reading(Path("x.xlsx"), data)
    assert same_in_one_pass._members is not None
    central = data.rindex(b"PK\x01\x02")  # the last entry of the central directory: version needed 9.9
    assert inflate_plain(data[: central + 6] + bytes([99, 0]) + data[central + 8 :], 2000, BUDGET) is None
    extra = bytearray(data)
    extra[central + 30 : central + 32] = (2).to_bytes(2, "little")  # an extra field of 2 bytes: half a block
    assert inflate_plain(bytes(extra), 2000, BUDGET) is None
