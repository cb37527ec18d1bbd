"""How many rows a list holds, fast at any size: exact up to a cap (a bounded count reads
``cap + 1`` rows at most), "about N" above it from the database's statistics.

Above the cap PostgreSQL answers with its planner's row estimate for the filtered statement
(``EXPLAIN``); SQLite scales the matches among a sample of the table's rows (evenly spread
runs of ids, ``SAMPLE_ROWS`` in all) to the table's size, itself estimated from how densely
the runs fill the id range (SQLite's own ``sqlite_stat1`` is sampled too coarsely: its row
counts of one 12,000-row table ranged from 5,150 to 14,749). Neither
reads more than ``cap + 1`` plus ``SAMPLE_ROWS`` rows, so a list of a million customers
never pays for a ``COUNT(*)`` of a million. An estimate is rounded to two significant digits
("about 1,000,000"), and never shown below the cap the bounded count proved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, Table, case, func, or_, select, text
from sqlalchemy.orm import Session

COUNT_CAP = 10_000
#: Rows an SQLite estimate looks at, in ``SAMPLE_WINDOWS`` runs spread over the id range.
SAMPLE_ROWS = 10_000
SAMPLE_WINDOWS = 20

__all__ = ["COUNT_CAP", "Count", "count_rows", "estimate_rows"]


@dataclass(frozen=True)
class Count:
    """How many records a list holds: ``exact``, or at least / about ``value``.

    ``estimated``: ``value`` is the database's estimate ("about"); otherwise, when not
    exact, ``value`` is the cap and the list holds more ("10,000+").
    """

    value: int
    exact: bool
    estimated: bool = False


def _id_only(found: Select[Any]) -> Select[Any]:
    return found.with_only_columns(found.selected_columns[0]).order_by(None)


def count_rows(session: Session, found: Select[Any], cap: int = COUNT_CAP) -> Count:
    """How many rows ``found`` has: exact up to ``cap``; above it the database's estimate
    (``estimate_rows``), or "more than ``cap``" when it has none."""
    bounded = _id_only(found).limit(cap + 1).subquery()
    rows = session.scalar(select(func.count()).select_from(bounded)) or 0
    if rows <= cap:
        return Count(rows, exact=True)
    estimate = estimate_rows(session, found)
    if estimate is None or estimate <= cap:
        return Count(cap, exact=False)
    return Count(_rounded(estimate), exact=False, estimated=True)


def _rounded(value: int) -> int:
    """``value`` to two significant digits: 1,003,412 → 1,000,000; 137,512 → 140,000."""
    digits = len(str(value))
    return value if digits <= 2 else round(value, 2 - digits)


def estimate_rows(session: Session, found: Select[Any]) -> int | None:
    """The database's estimate of how many rows ``found`` has (None: it has none).

    PostgreSQL: the planner's estimate of the statement. SQLite: the share of a sample of the
    table's rows that match, times the table's estimated size (None when ``found`` reads more
    than one table, or one without an integer primary key)."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        compiled = _id_only(found).compile(dialect=dialect,
                                           compile_kwargs={"literal_binds": True})
        plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])
    if dialect.name == "sqlite":
        return _sqlite_estimate(session, found)
    return None


def _single_table(found: Select[Any]) -> Table | None:
    froms = found.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], Table):
        return None
    keys = list(froms[0].primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return None
    return froms[0]


def _sqlite_estimate(session: Session, found: Select[Any]) -> int | None:
    table = _single_table(found)
    if table is None:
        return None
    key = next(iter(table.primary_key.columns))
    # two statements: SQLite reads min() or max() alone from the end of the key, both at
    # once by scanning the table
    low, high = session.scalar(select(func.min(key))), session.scalar(select(func.max(key)))
    if low is None or high is None:
        return None
    # Runs of ids (a seek each) at evenly spaced starts: rows loaded together (one import)
    # are not all in or all out of the sample. One pass over the sample counts its rows
    # (how densely they fill their ids gives the table's size: deleted rows leave gaps) and
    # the ones that match.
    span = high - low + 1
    width = max(1, min(SAMPLE_ROWS, span) // SAMPLE_WINDOWS)
    starts = sorted({low + span * index // SAMPLE_WINDOWS for index in range(SAMPLE_WINDOWS)})
    runs = [key.between(start, start + width - 1) for start in starts]
    where = found.whereclause
    matches = func.count() if where is None else func.sum(case((where, 1), else_=0))
    sampled, matched = session.execute(
        select(func.count(), matches).select_from(table).where(or_(*runs))).one()
    if not sampled:
        return None
    total = span * sampled / (width * len(starts))
    return round(total * (matched or 0) / sampled)
