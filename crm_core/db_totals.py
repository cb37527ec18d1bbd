"""Kept totals (``toolkit.bump_total``): one UPDATE of a row's counters, an INSERT when it
is new. Sales and service keep their widgets' aggregates with it.

Aggregates are derived numbers, so they are written with Core statements (not audited, like
a cache) in the session of the change that caused them: they commit or roll back with it.
A flush hook passes the session's connection instead (the session is flushing: its
``begin_nested`` would flush again).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


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
