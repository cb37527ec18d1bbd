"""The dashboard's date filter: a preset (this month, last 30 days, this year, last month,
last year) or a custom from/to, as ISO days in the company's calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import sql, utcnow

from ..query import business_zone

PRESETS = {"this_month": _l("This month"), "last_30_days": _l("Last 30 days"),
           "this_year": _l("This year"), "last_month": _l("Last month"),
           "last_year": _l("Last year")}


@dataclass(frozen=True)
class DateFilter:
    """The dates every tile that can be limited to dates is limited to (None: open)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    preset: str = ""
    error: str | None = None

    @property
    def active(self) -> bool:
        """Whether any date is set."""
        return self.date_from is not None or self.date_to is not None

    def args(self) -> dict[str, str]:
        """The query-string arguments of the filter (for tile data URLs)."""
        return {key: value.isoformat() for key, value in
                (("date_from", self.date_from), ("date_to", self.date_to)) if value}


def today() -> dt.date:
    """Today in the company's time zone."""
    return dt.date.fromisoformat(sql.label_of("day", utcnow(), business_zone()))


def preset_bounds(preset: str, day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day of ``preset`` seen on ``day`` (None: no such preset)."""
    first = day.replace(day=1)
    if preset == "this_month":
        return first, day
    if preset == "last_30_days":
        return day - dt.timedelta(days=29), day
    if preset == "this_year":
        return day.replace(month=1, day=1), day
    if preset == "last_month":
        end = first - dt.timedelta(days=1)
        return end.replace(day=1), end
    if preset == "last_year":
        return dt.date(day.year - 1, 1, 1), dt.date(day.year - 1, 12, 31)
    return None


def _day(text: Any) -> dt.date | None:
    text = str(text or "").strip()[:10]
    return dt.date.fromisoformat(text) if text else None


def date_filter(args: Any) -> DateFilter:
    """The filter the query string asks: ``preset`` wins over ``date_from``/``date_to``;
    a wrong day or an end before the start gives no filter and an ``error``."""
    preset = str(args.get("preset") or "")
    if preset in PRESETS:
        start, end = preset_bounds(preset, today()) or (None, None)
        return DateFilter(start, end, preset)
    try:
        start, end = _day(args.get("date_from")), _day(args.get("date_to"))
    except ValueError:
        return DateFilter(error=_("Enter days as YYYY-MM-DD."))
    if start and end and end < start:
        return DateFilter(error=_("The end comes before the start."))
    return DateFilter(start, end)
