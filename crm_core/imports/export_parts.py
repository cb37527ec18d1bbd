"""A large CSV export written by two processes at once: each writes a slice of the records.

An export's time is Python's (reading rows, formatting cells, writing CSV), so one process
writes at one core's pace (~44,000 customers a second on the reference machine). For a
large CSV export the caller splits its records in ``parts`` consecutive slices (by id,
say); ``write_csv_in_parts`` writes the header and slice 0 here and each other slice in a
forked child into a part file next to ``path``, then appends the parts in order: the file
is the same as one process writes. XLSX cannot be appended to, so it is written in one.

Each child gets its own database session (the parent's connections are kept, unclosed, as
``imports.parallel`` does) and reports how many rows it wrote through shared memory, so
``progress`` counts every slice. A child that fails makes the export fail with its
traceback (logged) and leaves no file; part files never outlive the export. The slices
read the database in their own transactions: a change committed while the export runs may
be in one slice's rows and not in another's, as it may between the batches of one process
on PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import signal
import traceback
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.sharedctypes import RawArray
from pathlib import Path
from typing import Any

from ..db import scan_cache
from ..tabular.writers import CsvWriter
from .collector import few_collections
from .parallel import forked_session

__all__ = ["PARALLEL_EXPORT_ROWS", "can_split", "write_csv_in_parts"]

_log = logging.getLogger(__name__)

PARALLEL_EXPORT_ROWS = 200_000  # below this a second process costs more than it saves
PARTS = 2

Batches = Iterable[Sequence[Sequence[str]]]


def can_split(fmt: str, rows: int) -> bool:
    """Whether an export of ``rows`` rows in ``fmt`` is written in ``PARTS`` processes."""
    return fmt == "csv" and rows >= PARALLEL_EXPORT_ROWS and hasattr(os, "fork")


def write_csv_in_parts(path: Path, headers: Sequence[str],
                       slice_batches: Callable[[Any, int], Batches], *, engine: Any,
                       parts: int = PARTS,
                       progress: Callable[[int], None] | None = None) -> int:
    """Write ``headers`` and the batches of every slice ``0 .. parts - 1`` to the CSV
    ``path`` (UTF-8 with a BOM, formulas neutralised); returns the rows written.

    ``slice_batches(session, index)`` gives slice ``index``'s batches of rows; ``session``
    is None in this process (use your own) and a session of the child's own otherwise.
    ``progress(rows written so far, in every slice)`` is called after each batch here."""
    with few_collections():  # before the forks: the children inherit it
        return _write(Path(path), headers, slice_batches, engine, parts, progress)


def _write(path: Path, headers: Sequence[str], slice_batches: Callable[[Any, int], Batches],
           engine: Any, parts: int, progress: Callable[[int], None] | None) -> int:
    counts = RawArray("q", parts)
    children: list[tuple[int, Path]] = []
    running: set[int] = set()
    try:
        for index in range(1, parts):
            part = path.with_name(f"{path.name}.part{index}")
            pid = _fork(part, index, slice_batches, engine, counts)
            children.append((pid, part))
            running.add(pid)
        with CsvWriter(path) as writer:
            writer.write(list(headers))
            for batch in slice_batches(None, 0):
                writer.write_rows(batch)
                counts[0] += len(batch)
                if progress is not None:
                    progress(sum(counts))
        for pid, part in children:
            running.discard(pid)
            _wait(pid, part)
        with path.open("ab") as out:
            for _pid, part in children:
                with part.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        out.write(chunk)
        if progress is not None:
            progress(sum(counts))
        return sum(counts)
    except BaseException:
        path.unlink(missing_ok=True)  # never a half file
        raise
    finally:
        for pid, part in children:
            if pid in running:
                _stop(pid)
            part.unlink(missing_ok=True)
            _error_file(part).unlink(missing_ok=True)


def _error_file(part: Path) -> Path:
    return part.with_name(part.name + ".error")


def _fork(part: Path, index: int, slice_batches: Callable[[Any, int], Batches],
          engine: Any, counts: Any) -> int:
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _run_child(part, index, slice_batches, engine, counts)
    return pid


def _run_child(part: Path, index: int, slice_batches: Callable[[Any, int], Batches],
               engine: Any, counts: Any) -> None:
    code = 1
    kept: list[Any] = []
    try:
        session = forked_session(engine, kept)
        try:
            with scan_cache(session), CsvWriter(part, bom=False) as writer:
                for batch in slice_batches(session, index):
                    writer.write_rows(batch)
                    counts[index] += len(batch)
            code = 0
        except BaseException:  # noqa: BLE001 - told to the parent, which raises it
            _error_file(part).write_text(traceback.format_exc(), encoding="utf-8")
    finally:
        os._exit(code)


def _wait(pid: int, part: Path) -> None:
    """Wait for the child writing ``part``; raise its failure."""
    _pid, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        error = _error_file(part)
        told = error.read_text(encoding="utf-8") if error.exists() else "(no word)"
        _log.error("a process writing part of an export failed:\n%s", told)
        raise RuntimeError("a process writing part of the export failed")


def _stop(pid: int) -> None:
    """Stop and reap a child that is still running (the export failed here)."""
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
