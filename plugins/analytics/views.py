"""The analysis pages (a part: ``blueprints()``, ``menu_items()``): sales at
``/analytics/sales`` (revenue per month, owner, department, product), service at
``/analytics/service`` (tickets and first response per month, per priority, type, assignee)
and customers at ``/analytics/customers`` (new customers per month, region, industry,
level) for a date range, each chart beside the previous period of the same length, as a
chart and a table, and as CSV or XLSX (``/analytics/export?page=…&chart=…&format=xlsx``).
Every figure comes from the query API's service (``query.run_query``): the reader's data
scope applies, money in yuan to the fen. A page whose sources' plugin is not enabled says so.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm_core.toolkit import (
    TABLE_FORMATS,
    MenuItem,
    get_session,
    require_permission,
    sql,
    utcnow,
    write_table,
)

from .permissions import VIEW
from .query import business_zone, run_query
from .sources import all_sources

bp = Blueprint("analytics", __name__, template_folder="templates", static_folder="static",
               static_url_path="/analytics/assets")


@dataclass(frozen=True)
class Chart:
    """One chart of a page: a measure of a source by one dimension."""

    id: str
    source: str
    measure: str
    dimension: str
    kind: str
    title: Any


@dataclass(frozen=True)
class Page:
    """An analysis page: its title, what it shows and its charts."""

    id: str
    title: Any
    intro: Any
    charts: tuple[Chart, ...]
    order: int


PAGES = {page.id: page for page in (
    Page("sales", _l("Sales analysis"), _l("Revenue of the confirmed orders you may see."), (
        Chart("month", "sales.orders", "sum_total", "month", "bar", _l("Revenue per month")),
        Chart("owner", "sales.orders", "sum_total", "owner", "bar", _l("Revenue per owner")),
        Chart("department", "sales.orders", "sum_total", "department", "bar",
              _l("Revenue per department")),
        Chart("product", "sales.order_lines", "sum_total", "product", "pie",
              _l("Revenue per product"))), 800),
    Page("service", _l("Service analysis"), _l("The tickets you may see, by the day they "
                                                "were opened."), (
        Chart("month", "service.tickets", "count", "month", "bar", _l("Tickets per month")),
        Chart("response", "service.tickets", "avg_response_hours", "month", "line",
              _l("Average first response per month (hours)")),
        Chart("priority", "service.tickets", "count", "priority", "pie",
              _l("Tickets per priority")),
        Chart("type", "service.tickets", "count", "ticket_type", "pie",
              _l("Tickets per type")),
        Chart("owner", "service.tickets", "count", "owner", "bar",
              _l("Tickets per assignee"))), 801),
    Page("customers", _l("Customer analysis"), _l("The customers you may see, by the day "
                                                   "they were created."), (
        Chart("month", "customers.customers", "count", "month", "bar",
              _l("New customers per month")),
        Chart("region", "customers.customers", "count", "region", "bar",
              _l("Customers per region")),
        Chart("industry", "customers.customers", "count", "industry", "pie",
              _l("Customers per industry")),
        Chart("level", "customers.customers", "count", "level", "pie",
              _l("Customers per level"))), 802),
)}


def blueprints() -> list[Blueprint]:
    """The pages' blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Sales analysis", "Service analysis", "Customer analysis"."""
    return [MenuItem(f"analytics.{page.id}", page.title, f"analytics.{page.id}",
                     permission=VIEW, icon="bar-chart", order=page.order)
            for page in PAGES.values()]


def period(args: Any) -> tuple[dt.date, dt.date, str | None]:
    """``(date_from, date_to, error)`` from the query string; this year to today by default
    (days in the company's time zone)."""
    today = dt.date.fromisoformat(sql.label_of("day", utcnow(), business_zone()))
    start, end, error = today.replace(month=1, day=1), today, None
    try:
        if args.get("date_from"):
            start = dt.date.fromisoformat(args["date_from"])
        if args.get("date_to"):
            end = dt.date.fromisoformat(args["date_to"])
    except ValueError:
        return today.replace(month=1, day=1), today, _("Enter days as YYYY-MM-DD.")
    if end < start:
        return today.replace(month=1, day=1), today, _("The end comes before the start.")
    return start, end, error


def _previous(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    length = end - start
    return start - length - dt.timedelta(days=1), start - dt.timedelta(days=1)


#: The shared filters a page offers beside the dates: a dimension id of the sources, typed
#: as text (a chart whose source lacks the dimension is drawn unfiltered, and says so).
SHARED_FILTERS = {"region": _l("Region"), "industry": _l("Industry")}


def shared_filters(args: Any) -> dict[str, str]:
    """The shared filters typed in the query string (blank ones left out)."""
    return {name: args.get(name, "").strip()[:100] for name in SHARED_FILTERS
            if args.get(name, "").strip()}


def _rows(source: str, measure: str, dimension: str, start: dt.date, end: dt.date,
          filters: dict[str, str]) -> list[dict[str, Any]]:
    answer = run_query(get_session(), all_sources()[source], measure, [dimension],
                       {"date_from": start.isoformat(), "date_to": end.isoformat(),
                        **filters}, current_user._get_current_object())  # noqa: SLF001
    return answer["rows"]


def chart(spec: Chart, start: dt.date, end: dt.date,
          filters: dict[str, str] | None = None) -> dict[str, Any]:
    """One chart's figures: rows ``{key, label, value, previous, change, drill}`` (the
    previous period's figure for the same key; months are matched by their place in the
    period) and, for sums and counts, the totals."""
    source = all_sources()[spec.source]
    measure, dimension = source.measure(spec.measure), spec.dimension
    wanted = filters or {}
    applied = {name: value for name, value in wanted.items() if source.dimension(name)}
    current = _rows(spec.source, spec.measure, dimension, start, end, applied)
    before = _rows(spec.source, spec.measure, dimension, *_previous(start, end), applied)
    if dimension == "month":
        shift = _months(start) - _months(_previous(start, end)[0])
        earlier = {_month_plus(row["month"], shift): row["value"] for row in before}
    else:
        earlier = {row[dimension]: row["value"] for row in before}
    drill = getattr(source.dimension(dimension), "drill", "")
    rows = []
    for row in current:
        key = row[dimension]
        previous = earlier.get(key)
        rows.append({"key": key, "label": row.get(f"{dimension}_label") or _("(none)"),
                     "value": row["value"], "previous": previous,
                     "change": _change(row["value"], previous),
                     "drill": drill.replace("{value}", quote(key)) if drill and key else None})
    figures = {"id": spec.id, "kind": spec.kind, "title": str(spec.title),
               "dimension": dimension, "rows": rows, "measure": str(measure.label),
               "money": measure.unit == "CNY", "total": None,
               "unfiltered": [str(SHARED_FILTERS[name]) for name in wanted
                              if name not in applied]}
    if measure.kind != "avg":
        zero = Decimal(1).scaleb(-measure.places) * 0  # "0.00" for money, "0" for counts
        total = sum((Decimal(r["value"]) for r in current), zero)
        previous_total = sum((Decimal(r["value"]) for r in before), zero)
        figures.update(total=str(total), previous_total=str(previous_total),
                       change=_change(str(total), str(previous_total)))
    return figures


def _months(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_plus(label: str, count: int) -> str:
    year, month = (int(part) for part in label.split("-"))
    index = year * 12 + month - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _change(value: str | None, previous: str | None) -> str | None:
    """The change in per cent, one decimal; None without a previous figure."""
    if value is None or previous is None or Decimal(previous) == 0:
        return None
    change = (Decimal(value) - Decimal(previous)) / Decimal(previous) * 100
    return str(change.quantize(Decimal("0.1")))


def _available(page: Page) -> bool:
    sources = all_sources()
    return all(spec.source in sources for spec in page.charts)


def _page(page_id: str) -> str:
    page = PAGES[page_id]
    start, end, error = period(request.args)
    available = _available(page)
    filters = shared_filters(request.args)
    charts = [chart(spec, start, end, filters) for spec in page.charts] if available else []
    return render_template("analytics/page.html", page=page, charts=charts, start=start,
                           end=end, previous=_previous(start, end), error=error,
                           filters=filters, shared=SHARED_FILTERS,
                           export_args={"date_from": start.isoformat(),
                                        "date_to": end.isoformat(), **filters},
                           available=available, as_of=utcnow())


@bp.get("/analytics/sales")
@require_permission(VIEW)
def sales() -> str:
    """The sales analysis page."""
    return _page("sales")


@bp.get("/analytics/service")
@require_permission(VIEW)
def service() -> str:
    """The service analysis page."""
    return _page("service")


@bp.get("/analytics/customers")
@require_permission(VIEW)
def customers() -> str:
    """The customer analysis page."""
    return _page("customers")


@bp.get("/analytics/export")
@require_permission(VIEW)
def export() -> Response:
    """One chart's table as CSV (UTF-8 with BOM, so Excel reads the Chinese names) or XLSX
    (``?format=xlsx``), cells neutralised against formulas."""
    page = PAGES.get(request.args.get("page", ""))
    spec = next((c for c in page.charts if c.id == request.args.get("chart")), None) \
        if page else None
    fmt = request.args.get("format", "csv")
    if spec is None or not _available(page) or fmt not in TABLE_FORMATS:
        abort(404)
    start, end, _error = period(request.args)
    figures = chart(spec, start, end, shared_filters(request.args))
    rows = [[str(row["label"]), row["value"] or "", row["previous"] or "", row["change"] or ""]
            for row in figures["rows"]]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"chart.{fmt}"
        write_table(path, fmt, [_("Name"), figures["measure"], _("Previous period"),
                                _("Change")], [rows], sheet_title=str(spec.title)[:31],
                    number_columns=(1, 2, 3))
        content = path.read_bytes()
    name = f"{page.id}-{spec.id}-{start.isoformat()}-{end.isoformat()}.{fmt}"
    mimetype = "text/csv" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
