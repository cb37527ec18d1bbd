"""Reading and cleaning a large import file in a second process while this one writes.

An import's time is about half Python (reading cells, each field's cleaner) and half the
database's (inserts, indexes, commits). SQLite takes one writer at a time, but the cleaning
needs no lock: for a file of at least ``PARALLEL_BYTES`` a forked child reads the table and
cleans its rows (``clean(table)`` gives batches of ``CleanRow``), and sends each batch down a
pipe while the parent resolves, checks and writes the previous one. The pipe holds about one
batch, so memory stays flat; rows arrive in file order, so reports, keys and counts are the
same as in one process.

The child opens the file anew and gets its own database session (for cleaners that look
names up); it never touches the parent's connections: it keeps them referenced, unclosed,
and leaves with ``os._exit``. An error the user should read (``TabularError``,
``DomainError``) is raised again in the parent as it was; any other becomes a RuntimeError
with the child's traceback. Where ``fork`` does not exist the rows are cleaned in-process.
"""

from __future__ import annotations

import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, has_app_context

from ..errors import DomainError
from ..tabular import TabularError

__all__ = ["PARALLEL_BYTES", "cleaned_batches", "forked_session"]

PARALLEL_BYTES = 1 << 20  # files from 1 MiB (~5,000 rows) are cleaned in a second process
_KEPT = (TabularError, DomainError)  # raised again in the parent as they are

Batches = Iterator[tuple[list[Any], float]]


def cleaned_batches(size: int, engine: Any, clean: Callable[[Any], Batches]
                    ) -> Iterator[tuple[list[Any], float]]:
    """``clean(session)``'s batches with the file's progress, from a child process when the
    file has at least ``PARALLEL_BYTES`` bytes (``size``) and the system can fork;
    else ``clean(None)`` here (the caller's own session)."""
    if size < PARALLEL_BYTES or not hasattr(os, "fork"):
        yield from clean(None)
        return
    with _child(engine, clean) as batches:
        yield from batches


@contextmanager
def _child(engine: Any, clean: Callable[[Any], Batches]) -> Iterator[Batches]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _run_child(write_end, engine, clean)
    os.close(write_end)
    reader = os.fdopen(read_end, "rb", buffering=1 << 20)
    finished = False
    try:
        yield _received(reader)
        finished = True
    finally:
        reader.close()
        if not finished:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)


def _received(reader: Any) -> Batches:
    while True:
        try:
            kind, payload = pickle.load(reader)
        except EOFError:
            raise RuntimeError("the import's cleaning process ended without a word") from None
        if kind == "batch":
            yield payload
        elif kind == "done":
            return
        elif kind == "raise":
            raise payload
        else:
            raise RuntimeError(f"the import's cleaning process failed:\n{payload}")


def _run_child(write_end: int, engine: Any, clean: Callable[[Any], Batches]) -> None:
    """Clean and send every batch, then leave without running any cleanup of the parent's
    objects (their connections belong to the parent)."""
    code = 1
    kept: list[Any] = []
    try:
        session = forked_session(engine, kept)
        with os.fdopen(write_end, "wb", buffering=1 << 20) as out:
            try:
                for batch in clean(session):
                    pickle.dump(("batch", batch), out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()  # the parent has it now, not when the buffer fills
                pickle.dump(("done", None), out)
            except _KEPT as exc:
                pickle.dump(("raise", exc), out)
            except Exception:  # noqa: BLE001 - told to the parent, which raises it
                pickle.dump(("error", traceback.format_exc()), out)
            out.flush()
        code = 0
    except BrokenPipeError:  # the parent stopped reading (it failed, or was stopped)
        code = 0
    finally:
        os._exit(code)


def forked_session(engine: Any, kept: list[Any]) -> Any:
    """In a forked child: the default SIGTERM, a fresh pool for ``engine`` and a session of
    this process on it, which is also the app context's (``get_session()`` in the child's
    code). The parent's pool and session are appended to ``kept``: referenced, so never
    closed here (their connections belong to the parent; the child leaves with
    ``os._exit``)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    kept.append(engine.pool)
    engine.dispose(close=False)
    session = engine_session(engine)
    if has_app_context():
        kept.append(g.get("crm_db_session"))
        g.crm_db_session = session
    return session


def engine_session(engine: Any) -> Any:
    """A session of this process on ``engine`` (as ``Database.new_session`` makes them)."""
    from sqlalchemy.orm import Session

    return Session(bind=engine, expire_on_commit=False)
