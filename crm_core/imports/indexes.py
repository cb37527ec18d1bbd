"""A large import into a small table builds the table's list indexes after the load.

Each row of a load pays for every index of its table: at a million customers the list
indexes (orders and filters of the list pages) cost a third of the writing process, while
building them afterwards from the finished table takes seconds (docs/PERFORMANCE.md,
issue 11). An import spec names the indexes its writing pass never reads
(``ImportSpec.deferred_indexes``); on SQLite, for a file of at least ``DEFER_BYTES`` that
holds more rows than the table (a first import into a new install), the writing pass drops
them, loads, and builds them again whatever happens (a failure included). Meanwhile the
lists of that table are slower, as they are on a table of that size without indexes; the
keys the import looks rows up by stay indexed.

A worker killed during such a load leaves the indexes missing: ``restore_indexes`` builds
what is missing, and runs before every writing pass of the spec and when a dead import is
reset from its page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Index, Table
from sqlalchemy.orm import Session

from ..db_maintenance import analyze, index_names

__all__ = ["DEFER_BYTES", "ROW_BYTES", "deferred_indexes", "restore_indexes"]

DEFER_BYTES = 32 << 20  # files from 32 MiB (~170,000 customer rows of CSV)
ROW_BYTES = 200  # a customer row of CSV; other formats hold more per byte: fewer deferrals


def _declared(table: Table, names: Sequence[str]) -> list[Index]:
    """The table's declared indexes among ``names`` (an unknown name is a spec's mistake)."""
    found = {index.name: index for index in table.indexes}
    unknown = [name for name in names if name not in found]
    if unknown:
        raise ValueError(f"{table.name} declares no index {', '.join(unknown)}")
    return [found[name] for name in names]


def restore_indexes(session: Session, table: Table, names: Sequence[str]) -> list[str]:
    """Build those of the indexes ``names`` of ``table`` that are missing (after a load that
    stopped half way) and commit; returns the names built."""
    if not names:
        return []
    present = index_names(session.connection(), table.name)
    missing = [index for index in _declared(table, names) if index.name not in present]
    connection = session.connection()
    for index in missing:
        index.create(connection, checkfirst=True)
    if missing:
        session.commit()
    return [str(index.name) for index in missing]


def _worth_it(session: Session, table: Table, file_bytes: int) -> bool:
    """A file of at least ``DEFER_BYTES`` with (by its size) more rows than the table has
    ids so far, on SQLite."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or file_bytes < DEFER_BYTES:
        return False
    highest = connection.exec_driver_sql(
        f"SELECT max(rowid) FROM {connection.dialect.identifier_preparer.quote(table.name)}"
    ).scalar() or 0
    return highest < file_bytes // ROW_BYTES


@contextmanager
def deferred_indexes(session: Session, table: Table, names: Sequence[str],
                     file_bytes: int) -> Iterator[bool]:
    """Around a writing pass that commits as it goes: drop the indexes ``names`` of ``table``
    when the load is worth it (yields whether they were dropped), and build them again
    at the end, after a failure too (what was not committed is rolled back first)."""
    if not names or not _worth_it(session, table, file_bytes):
        yield False
        return
    present = index_names(session.connection(), table.name)
    dropped = [index for index in _declared(table, names) if index.name in present]
    connection = session.connection()
    for index in dropped:
        index.drop(connection)
    session.commit()
    try:
        yield True
    except BaseException:
        session.rollback()
        raise
    finally:
        restore_indexes(session, table, [str(index.name) for index in dropped])
        # dropping an index drops its statistics: the planner gets them back even when the
        # load wrote nothing (the spec's after_run analyses only after created rows)
        analyze([table.name], session=session)
        session.commit()
