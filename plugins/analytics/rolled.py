"""Which rollups answer the days of a query before the cutoff, and reading them.

A query's *own* dimensions are its dimensions and filtered dimensions other than the date
buckets and the owner and department (every rollup row keeps those two, so any rollup
answers them). With none or one, the day rollup of that dimension covers it; with two, the
month rollup of the pair when the source declares it. Whole months are read from the month
rollups unless the query groups by day or week; the days of a partial month at either end
of the range from the day rollups (or, for a pair, from the records). The month rollups
hold the days before the cutoff, so the cutoff's month counts as whole when the range
reaches the day before the cutoff ("this year" reads months only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DataScope, scoped

from .models import Rollup, RollupMonth
from .sources import DATE_DIMENSIONS, Measure, Source

#: The filters every source takes besides its dimensions' names.
FIXED_FILTERS = ("date_from", "date_to", "owner_id", "department_id")


def shift(day: str, days: int) -> str:
    """The day ``days`` after (or before) ``day``."""
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def _month_end(day: str) -> str:
    first = dt.date.fromisoformat(day[:7] + "-01")
    return ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            - dt.timedelta(days=1)).isoformat()


def own_dimensions(source: Source, dimensions: list[str], filters: dict[str, Any]) -> list[str]:
    """The query's dimensions a rollup must hold as its own (see the module's docstring)."""
    names = [*dimensions, *(name for name in filters if name not in FIXED_FILTERS)]
    return [name for name in dict.fromkeys(names)
            if name not in DATE_DIMENSIONS and source.scope_key(name) is None]


def plan(source: Source, dimensions: list[str], filters: dict[str, Any],
         state: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]] | None:
    """The parts of the days before the cutoff: ``(table, key, first, last)`` with table
    ``"day"``, ``"month"`` (first and last are months) or ``"records"``; None when no rollup
    covers the query (it is read from the records alone)."""
    own = own_dimensions(source, dimensions, filters)
    if any(name not in state.get("dimensions", ()) for name in own):
        return None
    day_key = own[0] if len(own) == 1 else ("" if not own else None)
    # the month rollups, once a rebuild wrote them, hold every month's days before the cutoff
    month_key = day_key if state.get("months") else None
    if len(own) == 2 and state.get("months"):
        pair = source.pair_key(*own)
        month_key = pair if pair in state.get("pairs", ()) else None
    first = str(filters["date_from"]) if "date_from" in filters else None
    before_cutoff = shift(state["cutoff"], -1)
    last = min(before_cutoff, str(filters["date_to"])) if "date_to" in filters \
        else before_cutoff
    if first is not None and first > last:
        return []
    whole_from = first if first is None or first.endswith("-01") \
        else shift(_month_end(first), 1)
    # the cutoff's month holds its days before the cutoff: whole when the range ends there
    whole_to = last if last in (_month_end(last), before_cutoff) \
        else shift(last[:7] + "-01", -1)
    if month_key is None or "day" in dimensions or "week" in dimensions \
            or (whole_from is not None and whole_from > whole_to):
        return None if day_key is None else [("day", day_key, first, last)]
    edge = "day" if day_key is not None else "records"
    parts = [("month", month_key, whole_from and whole_from[:7], whole_to[:7])]
    if first is not None and first < whole_from:
        parts.append((edge, day_key or "", first, shift(whole_from, -1)))
    if whole_to < last:
        parts.append((edge, day_key or "", shift(whole_to, 1), last))
    return parts


def scope_proxy(scope_model: type, model: type) -> type:
    """A stand-in model over ``model``'s ``owner_id`` and ``department_id`` columns (a
    rollup's, a kept count's) that declares ``scope_model``'s record kind, so
    ``toolkit.scoped`` limits those rows exactly as it limits the records."""
    spec = scope_model.__data_scope__
    return type("RollupScope", (), {
        "__data_scope__": DataScope(kind=spec.kind, owner="owner_id",
                                    department="department_id" if spec.department else None),
        "owner_id": model.owner_id, "department_id": model.department_id})


def _as_id(value: Any) -> int | None:
    """An id given as a filter's value, when its text is exactly an integer's."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if str(number) == str(value) else None


def read(session: Session, source: Source, measure: Measure, table: str, key: str,
         first: str | None, last: str | None, dimensions: list[str], filters: dict[str, Any],
         user: Any) -> list[tuple]:
    """``(dimension values..., total, n)`` from the day or month rollup ``key`` (``""``,
    a dimension or a pair ``"a|b"``) between ``first`` and ``last`` (days or months)."""
    model = Rollup if table == "day" else RollupMonth
    names = key.split("|") if key else []

    def column(name: str) -> Any:
        if name in DATE_DIMENSIONS:
            return getattr(model, name)
        scope = source.scope_key(name)
        if scope is not None:
            return getattr(model, scope)
        return model.value2 if len(names) == 2 and name == names[1] else model.value

    columns = [column(name).label(name) for name in dimensions]
    bucket = model.day if table == "day" else model.month
    statement = select(*columns, func.coalesce(func.sum(model.total), 0),
                       func.coalesce(func.sum(model.n), 0)) \
        .where(model.source == source.id, model.measure == measure.id, model.dimension == key)
    if first is not None:
        statement = statement.where(bucket >= first)
    if last is not None:
        statement = statement.where(bucket <= last)
    statement = scoped(statement, scope_proxy(source.scope_model, model), user)
    for name, value in filters.items():
        if name in ("date_from", "date_to"):
            continue
        if name in ("owner_id", "department_id"):
            statement = statement.where(getattr(model, name) == value)
        elif source.scope_key(name) is not None:
            number = _as_id(value)
            statement = statement.where(false() if number is None else column(name) == number)
        else:
            statement = statement.where(column(name) == str(value))
    if columns:
        statement = statement.group_by(*columns)
    return [tuple(row) for row in session.execute(statement)]
