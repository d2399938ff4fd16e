"""Issue 25: a receive numbers its versions from one query and keeps checked rows aside until its one transaction.
The numbers and the latest arrivals read in one go are those read unit by unit; a staged row comes back as it
went in; a version read back from its insert is the one the record holds."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.collection.record import CheckedRow, Record

UNITS = ["A", "B", "C"]
START = datetime(2026, 1, 10, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def _row(unit_id: str | None, version: int | None, n: int) -> CheckedRow:
    figures = json.dumps({"T3.R01.C1": float(n)})
    return CheckedRow(unit_id, f"单位{unit_id}", version, n % 2, n % 3, "", "[]", figures, "{}", "")


def _arrived(n: int, at: datetime) -> tuple[object, ...]:
    return (f"{n:064x}", f"收到的文件/{n}.xlsx", f"{n}.xlsx", "inbox", "", at.isoformat(timespec="seconds"), n, "", "")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([*UNITS, None]), st.integers(-3000, 3000), st.sampled_from([8, 0, -5])), max_size=25
    )
)
def test_last_versions_are_what_each_unit_says_alone(files: list[tuple[str | None, int, int]]) -> None:
    """Versions arriving in any order, at times given with any offset (a mail's date): one query for all."""
    with tempfile.TemporaryDirectory() as folder:
        record = Record.create(Path(folder) / "record.sqlite")
        numbers: dict[str, int] = {}
        for n, (unit_id, minutes, offset) in enumerate(files):
            at = (START + timedelta(minutes=minutes)).astimezone(timezone(timedelta(hours=offset)))
            version = None
            if unit_id is not None:
                version = numbers[unit_id] = numbers.get(unit_id, 0) + 1
            added = record.add_file(_arrived(n, at), _row(unit_id, version, n))
            assert added == record.version_by_sha(f"{n:064x}")
        last = record.last_versions()
        for unit_id in UNITS:
            latest = record.latest_arrival(unit_id)
            expected = (record.next_version(unit_id) - 1, latest) if latest is not None else None
            assert last.get(unit_id) == expected
        record.close()


def test_staged_rows_come_back_as_they_went_in_and_go_away() -> None:
    with tempfile.TemporaryDirectory() as folder:
        record = Record.create(Path(folder) / "record.sqlite")
        rows = [(i * 3, _row("A" if i % 2 else None, None, i)) for i in range(150)]
        record.stage(rows[:64])
        record.stage(rows[64:])
        assert all(record.staged(position) == row for position, row in rows)
        record.unstage()
        record.stage([(1, _row("B", None, 7))])
        assert record.staged(1) == _row("B", None, 7)
        record.unstage()
        record.close()
