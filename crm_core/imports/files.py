"""An import's files: its folder, the bad-rows report, the check list, and seen keys.

The bad-rows file (``errors.csv``) holds the original cells plus ``Row`` and ``Reason``, in
UTF-8 with a BOM (Excel on Chinese Windows), every formula starter neutralised by the
kernel's writer; fix it and import it again (the two extra columns are ignored, the ``'`` is
taken off). ``checks.csv`` is what the result page lists (row, level, reason: an
``error`` or a ``warning``), and ``undo.csv`` what an undo left alone (record, name, reason);
both neutralise formula starters too, as any file a user may open. ``SeenKeys`` keeps
the keys of earlier rows in a scratch SQLite file, so a check of a million rows names "same
as row N" in flat memory.
"""

from __future__ import annotations

import csv
import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from ..jobs.service import job_files_dir
from ..tabular import CsvWriter, Row, Table, unneutralise_row
from ..tabular.writers import neutralise_row

__all__ = ["ERRORS", "UNDONE", "BadRows", "SeenKeys", "import_folder", "import_rows",
           "read_checks", "read_undone", "write_undone"]

ERRORS = "errors.csv"
CHECKS = "checks.csv"
UNDONE = "undo.csv"


def import_folder(import_id: int, prefix: str = "imports") -> Path:
    """Where import ``import_id`` keeps its upload and reports (in the job files folder)."""
    folder = job_files_dir() / prefix / str(import_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def import_rows(table: Table) -> Iterator[Row]:
    """The table's data rows as the user typed them: the ``'`` a bad-rows report put before
    a formula starter (``'=1+1``) is taken off, so that report imports again."""
    for row in table.rows():
        cells = unneutralise_row(row.cells)
        yield row if cells is row.cells else Row(row.number, cells, row.total)


class BadRows:
    """The bad-rows report and the check list of one pass over a file."""

    def __init__(self, folder: Path, headers: list[str], *, resume: bool = False) -> None:
        """``resume``: a run going on after its worker died keeps the rows listed so far."""
        self.errors_path = folder / ERRORS
        self.checks_path = folder / CHECKS
        earlier = _listed(self.errors_path) if resume else []
        self._errors = CsvWriter(self.errors_path)
        self._checks = open(self.checks_path, "a" if resume else "w",  # noqa: SIM115
                            encoding="utf-8", newline="")
        self._errors.write_rows(earlier or [[*headers, _("Row"), _("Reason")]])
        self._check_writer = csv.writer(self._checks)

    def add(self, rows: Iterable[tuple[Row, list[str]]]) -> None:
        """Add bad rows, each with its reasons."""
        rows = list(rows)
        self._errors.write_rows([[*row.cells, str(row.number), "; ".join(reasons)]
                                 for row, reasons in rows])
        self._check_writer.writerows(neutralise_row([str(row.number), "error",
                                                     "; ".join(reasons)])
                                     for row, reasons in rows)

    def warn(self, rows: Iterable[tuple[Row, list[str]]]) -> None:
        """List good rows with warnings (likely duplicates) on the check page only."""
        self._check_writer.writerows(neutralise_row([str(row.number), "warning",
                                                     "; ".join(warnings)])
                                     for row, warnings in rows)

    def close(self) -> None:
        """Close both files."""
        self._errors.close()
        self._checks.close()


def _listed(path: Path) -> list[list[str]]:
    """The rows of a bad-rows report (its header first), or none when there is no file."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def read_checks(folder: Path, start: int = 0, count: int = 100
                ) -> list[tuple[str, str, str]]:
    """``count`` of the check list's ``(row, level, reason)`` lines from line ``start``."""
    return _read(folder / CHECKS, start, count)


def _read(path: Path, start: int, count: int) -> list[tuple[str, str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [(line[0], line[1], line[2]) for line in itertools.islice(
            csv.reader(handle), start, start + count) if len(line) >= 3]


def write_undone(folder: Path, left: Iterable[tuple[Any, str, str]]) -> None:
    """Write what an undo left alone: ``(record id or "", name or "", reason)`` lines."""
    with (folder / UNDONE).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(neutralise_row([str(record), name or "", reason])
                                     for record, name, reason in left)


def read_undone(folder: Path, count: int = 500) -> list[tuple[str, str, str]]:
    """The first ``count`` lines of what an undo left alone."""
    return _read(folder / UNDONE, 0, count)


class SeenKeys:
    """Keys of rows already checked, in a scratch SQLite file (flat memory at any size).

    ``earlier(kind, values)`` names the first row that had each value; ``add`` records rows.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (kind TEXT, value TEXT, row INTEGER, "
                        "PRIMARY KEY (kind, value)) WITHOUT ROWID")

    def earlier(self, kind: str, values: Iterable[Any]) -> dict[Any, int]:
        """For each of ``values`` already seen: the row number where it was first seen."""
        wanted = list(dict.fromkeys(values))
        found: dict[Any, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(
                f"SELECT value, row FROM seen WHERE kind = ? AND value IN ({marks})",  # noqa: S608
                [kind, *chunk]))
        return found

    def add(self, kind: str, pairs: Iterable[tuple[Any, int]]) -> None:
        """Remember ``(value, row number)`` pairs; the first row of a value wins."""
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)",
                            ((kind, value, number) for value, number in pairs))

    def close(self) -> None:
        """Close and delete the scratch file."""
        self.db.close()
        self.path.unlink(missing_ok=True)
