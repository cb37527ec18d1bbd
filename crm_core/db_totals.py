"""Kept totals (``toolkit.bump_total``): one UPDATE of a row's counters, an INSERT when it
is new; and ``FlushTotals``, which keeps an aggregate exact on every flush by writing the
difference of what the touched records added before and after it. Sales and service keep
their widgets' aggregates with them.

Aggregates are derived numbers, so they are written with Core statements (not audited, like
a cache) in the session of the change that caused them: they commit or roll back with it.
A flush hook passes the session's connection instead (the session is flushing: its
``begin_nested`` would flush again).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from itertools import zip_longest
from typing import Any

from sqlalchemy import Connection, Table, event, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

#: what a flush touches: the ids of stored records, and the new records (no id yet)
Touched = tuple[set[int], list[Any]]
#: what records add to an aggregate: counters per aggregate key
Contributions = Mapping[Hashable, Sequence[int]]


def _matches(table: Table, key: dict[str, Any]) -> list[Any]:
    return [table.c[name].is_(None) if value is None else table.c[name] == value
            for name, value in key.items()]


def bump_total(session: Session | Connection, table: Table, key: dict[str, Any],
         deltas: dict[str, int]) -> None:
    """Add ``deltas`` to the counters of the row of ``table`` named by ``key`` (created with
    the deltas when missing). Two writers creating the same row at once: the loser's INSERT
    fails on the unique key inside its savepoint and it adds to the winner's row instead."""
    deltas = {name: int(value) for name, value in deltas.items() if value}
    if not deltas:
        return
    change = update(table).where(*_matches(table, key)).values(
        {name: table.c[name] + value for name, value in deltas.items()})
    if session.execute(change).rowcount:
        return
    try:
        with session.begin_nested():
            session.execute(insert(table).values({**key, **deltas}))
    except IntegrityError:
        session.execute(change)


class FlushTotals:
    """Keeps an aggregate exact whatever path changed its records: before each flush,
    ``touched(session)`` names the stored records the flush may change and its new records;
    ``added(session, ids)`` reads what records ``ids`` add to the aggregate per key (a
    statement over the stored rows); after the flush the same read over the same records
    (and the new ones, now with ids) is compared, and ``write(connection, key, deltas)``
    adds each key's difference (usually through ``bump_total``).

    ``name`` keeps the keeper's pending state apart from other keepers in ``session.info``.
    Call ``install()`` once per process (it is idempotent).
    """

    def __init__(self, name: str, *, touched: Callable[[Session], Touched],
                 added: Callable[[Session, set[int]], Contributions],
                 write: Callable[[Connection, Any, list[int]], None]) -> None:
        self.name = name
        self.touched = touched
        self.added = added
        self.write = write
        self._pending = f"crm.flush_totals.{name}"

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        ids, new_records = self.touched(session)
        if ids or new_records:
            session.info[self._pending] = (ids, new_records, self.added(session, ids))
        else:
            session.info.pop(self._pending, None)

    def _after_flush(self, session: Session, _context: Any) -> None:
        pending = session.info.pop(self._pending, None)
        if pending is None:
            return
        ids, new_records, before = pending
        after = self.added(session, ids | {record.id for record in new_records
                                           if record.id is not None})
        connection = session.connection()  # the flush is under way: no ORM writes, no autoflush
        for key in set(before) | set(after):
            deltas = [now - then for now, then in
                      zip_longest(after.get(key, ()), before.get(key, ()), fillvalue=0)]
            if any(deltas):
                self.write(connection, key, deltas)

    def install(self) -> None:
        """Listen to every session's flushes (once per process)."""
        if not event.contains(Session, "before_flush", self._before_flush):
            event.listen(Session, "before_flush", self._before_flush)
            event.listen(Session, "after_flush", self._after_flush)
