"""Which month a sale counts in, computed alike in Python (listeners) and in SQL (rebuild).

A time (won, confirmed) counts in the month of the company's time zone
(``CRM_DEFAULT_TIMEZONE``, Shanghai by default), not the reader's: the aggregates are one set
of numbers for everyone. A date (received on, expected close) counts in its own month. The
aggregate tables keep the month as the date of its first day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import Date, cast, func, literal_column

from crm_core.toolkit import sql, utcnow


def business_zone() -> str:
    """The IANA zone months are counted in."""
    return str(current_app.config.get("CRM_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def month_of(moment: dt.datetime | dt.date | str | None) -> dt.date:
    """The first day of the month holding ``moment`` (a stored UTC time, or a date); now's
    month when it is None."""
    if moment is None:
        moment = utcnow()
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        return moment.replace(day=1)
    label = sql.label_of("month", moment, business_zone())
    year, month = (int(part) for part in str(label).split("-"))
    return dt.date(year, month, 1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _text(constant: str) -> Any:
    """A constant written into the SQL, not a parameter: PostgreSQL accepts ``GROUP BY``
    of an expression only when it repeats the selected one exactly, parameters included."""
    return literal_column(f"'{constant}'")


def sql_month_of_time(column: Any, dialect: str) -> Any:
    """SQL: the first day of the business month holding the stored time ``column``."""
    label = sql.month(column, business_zone())
    if dialect == "postgresql":
        return func.to_date(label, _text("YYYY-MM"))
    return label.op("||")(_text("-01"))  # SQLite keeps a date as ISO text


def sql_month_of_date(column: Any, dialect: str) -> Any:
    """SQL: the first day of the month holding the date ``column``."""
    if dialect == "postgresql":
        return cast(func.date_trunc(_text("month"), column), Date)
    return func.strftime(_text("%Y-%m-01"), column)
