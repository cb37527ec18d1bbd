"""Write a source's rollups set-based: its rows are *staged* once (a temporary table, one row
per record: its business day, owner, department, the text of each rolled dimension and the
value of each measure), then the stage is grouped per dimension into the day rollups and per
month into the month rollups (one dimension, or a declared pair).

The day label is the only per-row function (on SQLite a Python function the kernel
registers) and it runs once per record, and a correlated dimension (the order's customer's
region) is read once per record, instead of once per measure and dimension. Every other step
is ``INSERT … SELECT … GROUP BY`` over the temporary tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Null

from .models import Rollup, RollupMonth
from .query import date_expressions, day_bounds
from .sources import Measure, Source

_DAY_COLUMNS = ("source", "measure", "dimension", "value", "day", "week", "month", "owner_id",
                "department_id", "total", "n")
_MONTH_COLUMNS = ("source", "measure", "dimension", "value", "value2", "month", "owner_id",
                  "department_id", "total", "n")


def week_label(day: str) -> str:
    """The ISO week (``"2026-W05"``) of a business day (``"2026-01-31"``)."""
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year:04d}-W{week:02d}"


def _temporary(name: str, *columns: Column) -> Table:
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])


def _drop(connection: Connection, table: Table) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")


def _replace(connection: Connection, table: Table) -> None:
    _drop(connection, table)
    table.create(connection)


class Stage:
    """The staged rows of one source (between ``start`` and ``end``, UTC, when given)."""

    def __init__(self, session: Session, source: Source, start: Any = None,
                 end: Any = None) -> None:
        self.source, self.connection = source, session.connection()
        self.dimensions = {name: f"d{index}"
                           for index, name in enumerate(source.rolled_dimensions)}
        self.measures = {m.id: f"m{index}" for index, m in enumerate(source.measures)
                         if m.kind != "count"}
        self.table = _temporary(
            "analytics_stage", Column("day", String(10)), Column("owner_id", Integer),
            Column("department_id", Integer),
            *(Column(name, String(200)) for name in self.dimensions.values()),
            *(Column(name, BigInteger) for name in self.measures.values()))
        _replace(self.connection, self.table)
        department = source.department_column if source.department_column is not None \
            else null()
        rows = select(date_expressions(source)["day"], source.owner_column, department,
                      *(cast(source.dimension(name).expr, String) for name in self.dimensions),
                      *(source.measure(name).expr for name in self.measures)) \
            .select_from(source.table).where(*source.where)
        if start is not None:
            rows = rows.where(source.date >= start, source.date < end)
        self.connection.execute(insert(self.table).from_select(
            [column.name for column in self.table.columns], rows))
        self.calendar = _temporary("analytics_stage_days", Column("day", String(10)),
                                   Column("week", String(8)))
        _replace(self.connection, self.calendar)
        days = [day for day in self.connection.scalars(select(self.table.c.day).distinct())
                if day is not None]
        if days:
            self.connection.execute(insert(self.calendar),
                                    [{"day": day, "week": week_label(day)} for day in days])

    def close(self) -> None:
        """Drop the temporary tables."""
        for table in (self.table, self.calendar):
            _drop(self.connection, table)

    def _aggregates(self) -> list[Any]:
        """``t<i>, n<i>`` per measure over the stage."""
        columns = []
        for measure in self.source.measures:
            columns += list(_measure_aggregates(measure, self.table,
                                                self.measures.get(measure.id)))
        return columns

    def _grouped(self, keys: list[tuple[str, Any, Any]], where: tuple[Any, ...] = ()) -> Table:
        """A temporary table of the stage grouped by ``keys`` (name, type, expression)."""
        grouped = _temporary(
            "analytics_stage_grouped", *(Column(name, kind) for name, kind, _ in keys),
            *(Column(f"{part}{index}", BigInteger) for index in range(len(self.source.measures))
              for part in ("t", "n")))
        _replace(self.connection, grouped)
        expressions = [expression for _, _, expression in keys]
        self.connection.execute(insert(grouped).from_select(
            [column.name for column in grouped.columns],
            select(*expressions, *self._aggregates()).where(*where)
            .group_by(*(e for e in expressions if not isinstance(e, Null)))))
        return grouped

    def _value(self, name: str) -> Any:
        return self.table.c[self.dimensions[name]] if name else null()

    def write_days(self, day: str | None = None, before: str | None = None) -> None:
        """The day rollups (of one day when given) and, when no day is given, from them the
        month rollups of single dimensions (of the days before ``before``)."""
        stage, source = self.table, self.source
        where = (stage.c.day == day,) if day is not None else ()
        for name in ("", *self.dimensions):
            grouped = self._grouped([("day", String(10), stage.c.day),
                                     ("owner_id", Integer, stage.c.owner_id),
                                     ("department_id", Integer, stage.c.department_id),
                                     ("value", String(200), self._value(name))], where)
            for index, measure in enumerate(source.measures):
                self.connection.execute(insert(Rollup.__table__).from_select(
                    list(_DAY_COLUMNS),
                    select(literal(source.id, String()), literal(measure.id, String()),
                           literal(name, String()), grouped.c.value, grouped.c.day,
                           self.calendar.c.week, func.substr(grouped.c.day, 1, 7),
                           grouped.c.owner_id, grouped.c.department_id,
                           grouped.c[f"t{index}"], grouped.c[f"n{index}"])
                    .select_from(grouped.join(self.calendar,
                                              self.calendar.c.day == grouped.c.day))))
            if day is None:
                self._write_months(grouped, name, before)
            _drop(self.connection, grouped)

    def _write_months(self, grouped: Table, name: str, before: str | None) -> None:
        month = func.substr(grouped.c.day, 1, 7)
        where = (grouped.c.day < before,) if before is not None else ()
        keys = [month, grouped.c.owner_id, grouped.c.department_id]
        if name:
            keys.append(grouped.c.value)
        for index, measure in enumerate(self.source.measures):
            self.connection.execute(insert(RollupMonth.__table__).from_select(
                list(_MONTH_COLUMNS),
                select(literal(self.source.id, String()), literal(measure.id, String()),
                       literal(name, String()), grouped.c.value if name else null(), null(),
                       month,
                       grouped.c.owner_id, grouped.c.department_id,
                       func.sum(grouped.c[f"t{index}"]), func.sum(grouped.c[f"n{index}"]))
                .where(*where).group_by(*keys)))

    def write_months(self, month: str | None = None, before: str | None = None) -> None:
        """The month rollups of the days before ``before`` (the cutoff: the cutoff's month
        then holds exactly its days before the cutoff): single dimensions (only when
        ``month`` is given: a rebuild writes them with the days) and the declared pairs."""
        stage = self.table
        month_of = func.substr(stage.c.day, 1, 7)
        where = (stage.c.day < before,) if before is not None else ()
        names = [("", None)] + [(name, None) for name in self.dimensions] if month else []
        names += [pair for pair in self.source.pairs]
        for first, second in names:
            grouped = self._grouped([("month", String(7), month_of),
                                     ("owner_id", Integer, stage.c.owner_id),
                                     ("department_id", Integer, stage.c.department_id),
                                     ("value", String(200), self._value(first)),
                                     ("value2", String(200),
                                      self._value(second) if second else null())],
                                    where)
            key = f"{first}|{second}" if second else first
            for index, measure in enumerate(self.source.measures):
                self.connection.execute(insert(RollupMonth.__table__).from_select(
                    list(_MONTH_COLUMNS),
                    select(literal(self.source.id, String()), literal(measure.id, String()),
                           literal(key, String()), grouped.c.value, grouped.c.value2,
                           grouped.c.month, grouped.c.owner_id, grouped.c.department_id,
                           grouped.c[f"t{index}"], grouped.c[f"n{index}"])))
            _drop(self.connection, grouped)


def _measure_aggregates(measure: Measure, table: Table, column: str | None) -> tuple[Any, Any]:
    if measure.kind == "count":
        return func.count(), func.count()
    value = table.c[column]
    total = func.coalesce(func.sum(value), 0)
    return total, (func.count(value) if measure.kind == "avg" else func.count())


def rebuild_source(session: Session, source: Source, cutoff: str) -> int:
    """Empty and rewrite every rollup of ``source`` (the month rollups of the days before
    ``cutoff``); the rows written."""
    for model in (Rollup, RollupMonth):
        session.execute(delete(model.__table__).where(model.__table__.c.source == source.id))
    stage = Stage(session, source)
    try:
        stage.write_days(before=cutoff)
        stage.write_months(before=cutoff)
    finally:
        stage.close()
    return sum(session.scalar(select(func.count()).select_from(model)
                              .where(model.source == source.id)) or 0
               for model in (Rollup, RollupMonth))


def month_bounds(month: str) -> tuple[str, str]:
    """The first and last business day of a month (``"2026-02"``)."""
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first.isoformat(), (following - dt.timedelta(days=1)).isoformat()


def refresh_source_day(session: Session, source: Source, day: str, cutoff: str) -> None:
    """Recompute one day's rollups of ``source`` and its month's (a record of that day
    changed): the records of that month are staged, not the whole source."""
    month = day[:7]
    first, last = month_bounds(month)
    day_table, month_table = Rollup.__table__, RollupMonth.__table__
    session.execute(delete(day_table).where(day_table.c.source == source.id,
                                            day_table.c.day == day))
    session.execute(delete(month_table).where(month_table.c.source == source.id,
                                              month_table.c.month == month))
    stage = Stage(session, source, day_bounds(first)[0], day_bounds(last)[1])
    try:
        stage.write_days(day)
        stage.write_months(month, before=cutoff)
    finally:
        stage.close()
