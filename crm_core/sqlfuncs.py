"""SQL expressions that mean the same on SQLite and PostgreSQL: ``toolkit.sql``.

``month(col)``, ``day(col)`` and ``week(col)`` turn a stored (UTC) time into a text label to
group and sort by: ``"2026-12"``, ``"2026-12-04"``, ``"2026-W49"`` (ISO week, Monday first,
its year the ISO year). The label is taken in a time zone: ``zone=`` (an IANA name), else
the signed-in user's, else ``CRM_DEFAULT_TIMEZONE``; daylight saving is followed on both
databases (PostgreSQL's ``AT TIME ZONE``; on SQLite a function the kernel registers on every
connection)::

    from crm_core.toolkit import sql
    rows = session.execute(select(sql.month(Order.created_at).label("month"), func.count())
                           .group_by("month").order_by("month"))
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import zoneinfo
from typing import Any

from flask import Flask
from sqlalchemy import String, event, literal_column
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from .auth.timezones import is_valid_timezone, user_timezone_name
from .errors import DomainError

SQLITE_FUNCTION = "crm_period_label"
_PG_FORMATS = {"month": "YYYY-MM", "day": "YYYY-MM-DD", "week": 'IYYY-"W"IW'}


class period_label(FunctionElement[str]):  # noqa: N801 - SQL function style
    """``period_label(unit, column, zone)``: the label of the period holding the time."""

    type = String()
    inherit_cache = True
    name = "period_label"

    def __init__(self, unit: str, column: Any, zone: str) -> None:
        # Unit and zone are SQL literals, not parameters: GROUP BY must repeat the SELECT's
        # expression exactly (PostgreSQL), and they belong in the statement cache key.
        super().__init__(literal_column(_quoted(unit)), column, literal_column(_quoted(zone)))


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parts(element: period_label) -> tuple[str, Any, str]:
    unit, column, zone = list(element.clauses)
    return unit.name.strip("'"), column, zone.name


@compiles(period_label, "postgresql")
def _period_label_pg(element: period_label, compiler: Any, **kw: Any) -> str:
    unit, column, zone = _parts(element)
    inner = compiler.process(column, **kw)
    if not getattr(column.type, "timezone", True):  # a naive column holds UTC wall times
        inner = f"({inner} AT TIME ZONE 'UTC')"
    return f"to_char(({inner} AT TIME ZONE {zone}), {_quoted(_PG_FORMATS[unit])})"


@compiles(period_label)
def _period_label_sqlite(element: period_label, compiler: Any, **kw: Any) -> str:
    unit, column, zone = _parts(element)
    return f"{SQLITE_FUNCTION}({_quoted(unit)}, {compiler.process(column, **kw)}, {zone})"


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def label_of(unit: str, stored: Any, zone: str) -> str | None:
    """The label of ``stored`` (a datetime or SQLite's text of one, UTC) in ``zone``."""
    if stored is None:
        return None
    moment = stored if isinstance(stored, dt.datetime) else \
        dt.datetime.fromisoformat(str(stored).replace(" ", "T", 1))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(_zone(zone))
    if unit == "month":
        return local.strftime("%Y-%m")
    if unit == "day":
        return local.strftime("%Y-%m-%d")
    year, week, _ = local.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _sqlite_label(unit: str, stored: Any, zone: str) -> str | None:
    try:
        return label_of(unit, stored, zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):  # not a time: no label, not an error
        return None


def _register_sqlite_function(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(SQLITE_FUNCTION, 3, _sqlite_label, deterministic=True)


def install(engine: Engine) -> None:
    """Give every new SQLite connection of ``engine`` the label function (no-op elsewhere)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _register_sqlite_function)


def init_app(app: Flask) -> None:
    """Install the SQLite function on the app's engine (before its first connection)."""
    install(app.extensions["crm_db"].engine)


def _checked_zone(zone: str | None) -> str:
    name = zone or user_timezone_name()
    if not is_valid_timezone(name):
        raise DomainError(f"{name!r} is not an IANA time zone name")
    return name


def month(column: Any, zone: str | None = None) -> ColumnElement[str]:
    """The month of a stored time as ``"2026-12"``, in ``zone`` (default: the user's)."""
    return period_label("month", column, _checked_zone(zone))


def day(column: Any, zone: str | None = None) -> ColumnElement[str]:
    """The day of a stored time as ``"2026-12-04"``, in ``zone`` (default: the user's)."""
    return period_label("day", column, _checked_zone(zone))


def week(column: Any, zone: str | None = None) -> ColumnElement[str]:
    """The ISO week of a stored time as ``"2026-W49"``, in ``zone`` (default: the user's)."""
    return period_label("week", column, _checked_zone(zone))


__all__ = ["day", "install", "label_of", "month", "week"]
