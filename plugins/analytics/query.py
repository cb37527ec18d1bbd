"""Answer a query (source, measure, up to two dimensions, filters) within the reader's scope.

Days before the rollups' cutoff (the day of the last rebuild) are read from the rollups when
they cover the query (whole months from the month rollups, other days from the day rollups:
rolled.py); the days from the cutoff on, and every query no rollup covers, are read from the
records directly. Both parts answer ``(dimension values..., total, n)`` and are
added up, so the figures are the same whichever part a day came from (``crm analytics
verify`` checks it).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import String, cast, false, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    get_setting,
    model_for_table,
    scoped,
    sql,
    user_names,
    utcnow,
)

from . import rolled
from .rolled import FIXED_FILTERS  # noqa: F401 - the API reads the names here
from .sources import DATE_DIMENSIONS, Measure, Source

ROLLUPS_KEY = "analytics.rollups"


def business_zone() -> str:
    """The IANA zone days, weeks and months are counted in (one set of figures for all)."""
    return str(current_app.config.get("CRM_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def date_expressions(source: Source) -> dict[str, Any]:
    """``{"month"|"week"|"day": label expression}`` of the source's date."""
    zone = business_zone()
    return {"month": sql.month(source.date, zone), "week": sql.week(source.date, zone),
            "day": sql.day(source.date, zone)}


def day_bounds(day: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC times a business day (``"2026-01-31"``, company zone) starts and ends."""
    zone = zoneinfo.ZoneInfo(business_zone())
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), zone)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)


def measure_columns(measure: Measure) -> tuple[Any, Any]:
    """``(total, n)`` aggregate expressions of a measure over the source's rows."""
    if measure.kind == "count":
        return func.count(), func.count()
    total = func.coalesce(func.sum(measure.expr), 0)
    return total, (func.count(measure.expr) if measure.kind == "avg" else func.count())


def check_query(source: Source, measure_id: str, dimensions: list[str],
                filters: dict[str, Any]) -> Measure:
    """The measure; a ``ValidationError`` naming each field that names something the source
    does not have."""
    errors: dict[str, list[str]] = {}
    measure = source.measure(measure_id)
    if measure is None:
        errors["measure"] = [_("%(source)s has no measure %(name)s; it has: %(names)s.",
                               source=source.id, name=measure_id,
                               names=", ".join(m.id for m in source.measures))]
    for index, name in enumerate(dimensions):
        if name not in source.dimension_ids:
            errors[f"dimensions.{index}"] = [_("%(source)s has no dimension %(name)s.",
                                               source=source.id, name=name)]
    if len(set(dimensions)) != len(dimensions):
        errors["dimensions"] = [_("Name each dimension once.")]
    for name, value in filters.items():
        if name not in FIXED_FILTERS and source.dimension(name) is None:
            errors[f"filters.{name}"] = [_("%(source)s has no filter %(name)s.",
                                           source=source.id, name=name)]
        elif name in ("date_from", "date_to"):
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                errors[f"filters.{name}"] = [_("Not a day (YYYY-MM-DD).")]
        elif name in ("owner_id", "department_id") and (
                isinstance(value, bool) or not isinstance(value, int)):
            errors[f"filters.{name}"] = [_("Not an id.")]
        elif name not in FIXED_FILTERS and (isinstance(value, bool)
                                            or not isinstance(value, str | int)):
            errors[f"filters.{name}"] = [_("Give one value (text or a number).")]
    if errors:
        raise ValidationError(errors)
    return measure  # type: ignore[return-value]


def direct_rows(session: Session, source: Source, measure: Measure, dimensions: list[str],
            filters: dict[str, Any], user: Any, since: str | None) -> list[tuple]:
    dates = date_expressions(source)
    columns = [(dates[name] if name in dates else source.dimension(name).expr).label(name)
               for name in dimensions]
    total, n = measure_columns(measure)
    day = dates["day"]
    # the UTC range comes first: the database reads the date's index, and a row outside the
    # range is dropped before the (on SQLite: Python) label function runs; the label decides
    bounds, labels = [], []
    for first in (since, filters.get("date_from")):
        if first is not None:
            bounds.append(source.date >= day_bounds(str(first))[0])
            labels.append(day >= str(first))
    if filters.get("date_to") is not None:
        bounds.append(source.date < day_bounds(str(filters["date_to"]))[1])
        labels.append(day <= str(filters["date_to"]))
    statement = select(*columns, total, n).select_from(source.table) \
        .where(*bounds, *source.where)
    if source.key is not None and (since or filters.get("date_from")):
        # the records of the range by the date's index, whatever index the scope's owner
        # condition offers (on SQLite a rep's every order otherwise); not for a range open
        # at the start (verify reads nearly every record)
        statement = statement.where(source.key.in_(select(source.key).where(*bounds)))
    statement = scoped(statement, source.scope_model, user)
    for name, value in filters.items():
        if name in ("date_from", "date_to"):
            continue
        if name == "owner_id":
            statement = statement.where(source.owner_column == value)
        elif name == "department_id":
            if source.department_column is None:
                statement = statement.where(false())
            else:
                statement = statement.where(source.department_column == value)
        else:
            statement = statement.where(cast(source.dimension(name).expr, String) == str(value))
    statement = statement.where(*labels)
    if columns:
        statement = statement.group_by(*columns)
    return [tuple(row) for row in session.execute(statement)]


def rollup_state(source_id: str) -> dict[str, str] | None:
    """``{"cutoff": day, "at": time}`` of the source's last rebuild, or None."""
    return (get_setting(ROLLUPS_KEY) or {}).get(source_id)


def format_value(measure: Measure, total: Any, n: Any) -> str | None:
    """The measure's figure as a decimal string (money: yuan to the fen); None for an
    average of nothing."""
    total, n = Decimal(int(total or 0)), int(n or 0)
    if measure.kind == "avg":
        if not n:
            return None
        total = total / n
    figure = total / measure.divisor
    return str(figure.quantize(Decimal(1).scaleb(-measure.places), rounding=ROUND_HALF_UP))


def _key(value: Any) -> str | None:
    return None if value is None else str(value)


def run_query(session: Session, source: Source, measure_id: str, dimensions: list[str],
              filters: dict[str, Any], user: Any) -> dict[str, Any]:
    """``{"rows": [{dimension: value, "<dimension>_label": label, "value": figure}],
    "as_of": ..., "rollups_as_of": ...}`` for ``user`` (their data scope always applies)."""
    measure = check_query(source, measure_id, dimensions, filters)
    state = rollup_state(source.id)
    plan = None
    if state is not None and measure.id in state.get("measures", ()):
        plan = rolled.plan(source, dimensions, filters, state)
    parts: list[tuple] = []
    if plan is not None:
        for table, key, first, last in plan:
            if table == "records":
                parts += direct_rows(session, source, measure, dimensions,
                                     {**filters, "date_from": first, "date_to": last}, user,
                                     None)
            else:
                parts += rolled.read(session, source, measure, table, key, first, last,
                                     dimensions, filters, user)
        parts += direct_rows(session, source, measure, dimensions, filters, user, state["cutoff"])
    else:
        parts += direct_rows(session, source, measure, dimensions, filters, user, None)
    used_rollups = plan is not None
    width = len(dimensions)
    sums: dict[tuple, list[int]] = {}
    for row in parts:
        key = tuple(_key(value) for value in row[:width])
        entry = sums.setdefault(key, [0, 0])
        entry[0] += int(row[width] or 0)
        entry[1] += int(row[width + 1] or 0)
    labels = {name: dimension_labels(session, source, name,
                                     {key[index] for key in sums if key[index] is not None})
              for index, name in enumerate(dimensions)}
    rows = []
    for key in sorted(sums, key=lambda k: tuple((v is None, v or "") for v in k)):
        row: dict[str, Any] = {}
        for index, name in enumerate(dimensions):
            row[name] = key[index]
            row[f"{name}_label"] = labels[name].get(key[index], key[index]) \
                if key[index] is not None else None
        row["value"] = format_value(measure, *sums[key])
        rows.append(row)
    return {"source": source.id, "measure": measure.id, "dimensions": dimensions, "rows": rows,
            "as_of": utcnow().isoformat(),
            "rollups_as_of": state["at"] if used_rollups and state else None}


def dimension_labels(session: Session, source: Source, name: str,
                     values: set[str]) -> dict[str, str]:
    """``{value: label}`` of a dimension's values (the date buckets are their own labels)."""
    if name in DATE_DIMENSIONS or not values:
        return {}
    dimension = source.dimension(name)
    if dimension.kind == "choice":
        return {value: str(dimension.choices.get(value, value)) for value in values}
    ids = [int(value) for value in values if value.lstrip("-").isdigit()]
    if dimension.kind == "user":
        return {str(key): label for key, label in user_names(session, ids).items()}
    if dimension.kind == "department":
        department = model_for_table("core_department")
        rows = session.execute(select(department.id, department.name)
                               .where(department.id.in_(ids)))
        return {str(key): label for key, label in rows}
    if dimension.kind == "labels" and dimension.labels is not None:
        return {str(key): str(label) for key, label in dimension.labels(session, ids).items()}
    return {}
