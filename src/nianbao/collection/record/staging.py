"""The record's part for receiving thousands of files at once (issue 25): what checking a file records on its row,
the checked rows kept aside in a temporary table until the receive's one transaction records them, and each unit's
last version read in one query. `Record` has these methods; collection/intake.py says what they mean."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

# The order of a unit's versions from the latest: when each came (received_at, with its UTC offset), then the
# order of recording (a file and a mail of the same second).
LATEST_FIRST = "julianday(received_at) DESC, version DESC"
EARLIEST_FIRST = "julianday(received_at), version"

# What checking a file records on its row (the same for a new file and for one recognised later).
CHECKED_COLUMNS = (
    "unit_id",
    "unit_name",
    "version",
    "errors",
    "warnings",
    "explanation",
    "problems",
    "figures",
    "texts",
    "headline",
)


@dataclass(frozen=True)
class CheckedRow:
    """What checking a file found, as its row keeps it (JSON text for problems, figures, texts, headline)."""

    unit_id: str | None
    unit_name: str
    version: int | None
    errors: int
    warnings: int
    explanation: str
    problems: str
    figures: str
    texts: str
    headline: str


class StagedFiles:
    """Receiving's methods of `Record`."""

    db: sqlite3.Connection

    def last_versions(self) -> dict[str, tuple[int, str]]:
        """Each unit's last version number and when its latest version came (received_at), in one query: what
        a receive of thousands numbers its new versions from."""
        rows = self.db.execute(
            f"""SELECT unit_id, last, received_at FROM (SELECT unit_id, received_at,
               MAX(version) OVER (PARTITION BY unit_id) AS last,
               ROW_NUMBER() OVER (PARTITION BY unit_id ORDER BY {LATEST_FIRST}) AS r
               FROM files WHERE version IS NOT NULL) WHERE r = 1"""
        )
        return {unit_id: (int(last), str(at)) for unit_id, last, at in rows}

    # A receive's checked files wait here until it records them (a temporary table of this connection: it takes
    # no lock on the record and holds thousands of files' figures on disk, not in memory).
    _STAGED = "temp.staged_files"

    def stage(self, rows: Sequence[tuple[int, CheckedRow]]) -> None:
        """Keep checked files aside, by their position in a receive (outside any transaction of the record)."""
        if not rows:
            return
        columns = ", ".join(CHECKED_COLUMNS)
        self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS staged_files (position INTEGER PRIMARY KEY, {columns})")
        places = ", ".join("?" for _ in range(len(CHECKED_COLUMNS) + 1))
        self.db.execute("BEGIN")  # the temporary table only: the record itself is not locked
        try:
            self.db.executemany(
                f"INSERT OR REPLACE INTO {self._STAGED} VALUES ({places})",
                [(position, *(getattr(row, c) for c in CHECKED_COLUMNS)) for position, row in rows],
            )
        finally:
            self.db.execute("COMMIT")

    def staged(self, position: int) -> CheckedRow:
        row = self.db.execute(f"SELECT * FROM {self._STAGED} WHERE position = ?", (position,)).fetchone()
        return CheckedRow(**{c: row[c] for c in CHECKED_COLUMNS})

    def unstage(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS temp.staged_files")
