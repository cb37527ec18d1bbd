"""Classification: the precomputed counts (``customers_stat``) and the dashboard widgets
that read them, the periodic refresh task, and the "Customer settings" menu item.

``refresh_stats`` counts the customers outside the trash by industry, region (province),
amount band, type, level and month of creation, per owner and department, with one
``INSERT ... SELECT ... GROUP BY`` per dimension that never brings a customer into Python.
The widgets sum those rows within the viewer's data scope (``CustomerStat`` is scoped like
``Customer``), so a dashboard view never reads the customer table; the counts are as of the
last refresh (every 10 minutes, after imports and bulk actions, or "Refresh now").
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Any

import click
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, cast, delete, func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    JobHandle,
    MenuItem,
    ReportWidget,
    ScheduleEntry,
    TaskSpec,
    db,
    scoped,
    stored_time,
    utcnow,
)

from ..models import AmountBand, Customer, CustomerStat, CustomerType
from ..records import regions

__all__ = ["DIMENSIONS", "count_new_into_stats", "last_refreshed", "refresh_stats",
           "several_stat_counts", "stat_counts", "widget_data"]

DIMENSIONS = ("industry", "region", "band", "type", "level", "month")
# A row of this dimension marks each refresh, so "last refreshed" is known with no customers.
REFRESHED = "refreshed"
REFRESH_SECONDS = 600
TOP_INDUSTRIES = 10
TOP_REGIONS = 15
MONTHS = 12
VIEW = "customers.customer.view"


# ---------------------------------------------------------------------------- refresh


def _buckets(session: Session) -> dict[str, Any]:
    """Each dimension's bucket as an SQL expression over the customer table."""
    c = Customer.__table__.c
    bands = session.scalars(select(AmountBand).order_by(AmountBand.min_amount.desc())).all()
    # The band with the greatest threshold <= the amount: the first WHEN that holds.
    band = case(*[(c.total_amount >= b.min_amount, literal(str(b.id), String))
                  for b in bands], else_=literal("", String)) if bands else literal("", String)
    if session.get_bind().dialect.name == "postgresql":
        month = func.to_char(func.timezone("UTC", c.created_at), "YYYY-MM")
    else:  # SQLite keeps UTC times as "YYYY-MM-DD HH:MM:SS..." text
        month = func.strftime("%Y-%m", c.created_at)
    return {
        "industry": c.industry,
        "region": c.province,
        "band": band,
        "type": func.coalesce(cast(c.customer_type_id, String), ""),
        "level": c.level,
        "month": func.coalesce(month, ""),
    }


def _aggregate(session: Session, *conditions: Any) -> list[dict[str, Any]]:
    """One grouped count per dimension of the customers outside the trash (and meeting
    ``conditions``), read before anything is written."""
    c = Customer.__table__.c
    rows: list[dict[str, Any]] = []
    # SQLite read every customer through a list index, looking each one up in the table
    # (3.6 s a dimension at a million customers); asked for them in id order it reads the
    # table from end to end (1.2 s). PostgreSQL plans a plain scan by itself.
    whole_table = not conditions and session.get_bind().dialect.name == "sqlite"
    for dimension, bucket in _buckets(session).items():
        # Grouping by the subquery's column, not the expression: PostgreSQL cannot match a
        # CASE with bound thresholds in SELECT to the same CASE in GROUP BY.
        customers = (select(bucket.label("bucket"), c.owner_id, c.department_id,
                            c.total_amount)
                     .where(c.deleted_at.is_(None), *conditions))
        if whole_table:
            customers = customers.order_by(c.id)
        customers = customers.subquery()
        grouped = (select(customers.c.bucket, customers.c.owner_id, customers.c.department_id,
                          func.count(), func.coalesce(func.sum(customers.c.total_amount), 0))
                   .group_by(customers.c.bucket, customers.c.owner_id,
                             customers.c.department_id))
        rows += [{"dimension": dimension, "bucket": bucket_value or "", "owner_id": owner,
                  "department_id": department, "count": count, "amount": int(amount)}
                 for bucket_value, owner, department, count, amount
                 in session.execute(grouped)]
    return rows


def refresh_stats(session: Session) -> None:
    """Recompute ``customers_stat`` from the customers outside the trash.

    Reads first (one GROUP BY per dimension; the result is bounded by buckets x owners, not
    by customers), then replaces every row in the caller's transaction (delete, insert), so
    the write lock is held for milliseconds and readers see the old counts until the caller
    commits; on PostgreSQL a table lock keeps two refreshes from interleaving. Written
    through the connection, not the ORM: the counts are derived data and stay out of the
    operation log.
    """
    rows = _aggregate(session)
    now = utcnow()
    for row in rows:
        row["refreshed_at"] = now
    rows.append({"dimension": REFRESHED, "bucket": "", "owner_id": None,
                 "department_id": None, "count": 0, "amount": 0, "refreshed_at": now})
    stat = CustomerStat.__table__
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE customers_stat IN SHARE ROW EXCLUSIVE MODE"))
    connection.execute(delete(stat))
    for start in range(0, len(rows), 5000):
        connection.execute(insert(stat), rows[start:start + 5000])


def count_new_into_stats(session: Session, *conditions: Any) -> None:
    """Add the customers meeting ``conditions`` (new ones, that no refresh has counted yet:
    an import's) to ``customers_stat``, without counting the others again (``refresh_stats``
    takes seconds at a million customers). In the caller's transaction; the caller commits.
    The time of the last refresh stays."""
    stat = CustomerStat.__table__
    connection = session.connection()
    now = utcnow()
    for row in _aggregate(session, *conditions):
        same = (stat.c.dimension == row["dimension"], stat.c.bucket == row["bucket"],
                stat.c.owner_id.is_not_distinct_from(row["owner_id"]),
                stat.c.department_id.is_not_distinct_from(row["department_id"]))
        added = connection.execute(update(stat).where(*same).values(
            count=stat.c.count + row["count"], amount=stat.c.amount + row["amount"]))
        if not added.rowcount:
            connection.execute(insert(stat), {**row, "refreshed_at": now})


def last_refreshed(session: Session) -> dt.datetime | None:
    """When the counts were last refreshed (UTC), or None if never."""
    return stored_time(session.scalar(select(func.max(CustomerStat.refreshed_at))
                                      .where(CustomerStat.dimension == REFRESHED)))


def stat_counts(session: Session, dimension: str, *, user: Any) -> dict[str, int]:
    """Customers per bucket of ``dimension`` that ``user`` may see, as last refreshed."""
    return several_stat_counts(session, (dimension,), user=user)[dimension]


def several_stat_counts(session: Session, dimensions: tuple[str, ...], *, user: Any
                        ) -> dict[str, dict[str, int]]:
    """``stat_counts`` of each of ``dimensions``, in one statement (the list page's filter
    choices need three)."""
    query = scoped(select(CustomerStat.dimension, CustomerStat.bucket,
                          func.sum(CustomerStat.count))
                   .where(CustomerStat.dimension.in_(dimensions))
                   .group_by(CustomerStat.dimension, CustomerStat.bucket), CustomerStat, user)
    found: dict[str, dict[str, int]] = {dimension: {} for dimension in dimensions}
    for dimension, bucket, total in session.execute(query):
        found[dimension][bucket or ""] = int(total or 0)
    return found


# ---------------------------------------------------------------------------- widgets


def _ranked(counts: Mapping[str, int], top: int, blank: str) -> tuple[list[str], list[int]]:
    """The ``top`` biggest buckets, biggest first, then the rest as "Other"."""
    ordered = sorted(((n, b) for b, n in counts.items() if n), key=lambda x: (-x[0], x[1]))
    labels = [bucket or blank for _n, bucket in ordered[:top]]
    values = [n for n, _b in ordered[:top]]
    rest = sum(n for n, _b in ordered[top:])
    if rest:
        labels.append(_("Other"))
        values.append(rest)
    return labels, values


def _named(counts: Mapping[str, int], names: list[tuple[str, str]], blank: str
           ) -> tuple[list[str], list[int]]:
    """Buckets that are ids of a small table, in that table's order; ids no longer there
    (deleted since the last refresh) and the empty bucket count as ``blank``."""
    known = dict(names)
    labels: list[str] = []
    values: list[int] = []
    for key, name in names:
        if counts.get(key):
            labels.append(name)
            values.append(counts[key])
    unnamed = sum(n for key, n in counts.items() if key not in known)
    if unnamed:
        labels.append(blank)
        values.append(unnamed)
    return labels, values


def _months(today: dt.date) -> list[str]:
    year, month = today.year, today.month
    labels = []
    for _step in range(MONTHS):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels[::-1]


def widget_data(session: Session, dimension: str, *, user: Any,
                today: dt.date | None = None) -> dict[str, Any]:
    """The dashboard data of one widget: ``{"labels", "values", "as_of"}`` for
    ``dimension`` in industry, region, band, type or month, within ``user``'s scope;
    ``as_of`` (when ``customers_stat`` was last refreshed) is the caption "as of 09:20"."""
    counts = stat_counts(session, dimension, user=user)
    if dimension == "industry":
        labels, values = _ranked(counts, TOP_INDUSTRIES, _("Not set"))
    elif dimension == "region":
        labels, values = _ranked(counts, TOP_REGIONS, _("Not set"))
        locale = get_locale()
        if locale is not None and locale.language == "en":  # "Guangdong" for 广东省
            labels = [regions.english_name(label) for label in labels]
    elif dimension == "band":
        bands = session.scalars(select(AmountBand).order_by(AmountBand.min_amount))
        labels, values = _named(counts, [(str(b.id), b.name) for b in bands], _("No band"))
    elif dimension == "type":
        kinds = session.scalars(select(CustomerType).order_by(CustomerType.position,
                                                              CustomerType.id))
        labels, values = _named(counts, [(str(k.id), k.name) for k in kinds], _("No type"))
    elif dimension == "month":
        labels = _months(today or utcnow().date())
        values = [counts.get(label, 0) for label in labels]
    else:
        raise ValueError(f"no widget for dimension {dimension!r}")
    moment = last_refreshed(session)
    return {"labels": labels, "values": values,
            "as_of": moment.isoformat() if moment else None}


def _widget(dimension: str) -> Any:
    def data() -> dict[str, Any]:
        from flask_login import current_user

        return widget_data(db.session, dimension, user=current_user)

    return data


def report_widgets() -> list[ReportWidget]:
    """The classification charts of the dashboard (counts as of the last refresh)."""
    return [
        ReportWidget(id="customers.by_industry", title=_l("Customers by industry"),
                     kind="bar", data=_widget("industry"), permission=VIEW, order=210),
        ReportWidget(id="customers.by_region", title=_l("Customers by region"), kind="bar",
                     data=_widget("region"), permission=VIEW, order=211),
        ReportWidget(id="customers.by_band", title=_l("Customers by amount band"),
                     kind="pie", data=_widget("band"), permission=VIEW, order=212),
        ReportWidget(id="customers.by_type", title=_l("Customers by type"), kind="pie",
                     data=_widget("type"), permission=VIEW, order=213),
        ReportWidget(id="customers.new_per_month", title=_l("New customers per month"),
                     kind="line", data=_widget("month"), permission=VIEW, order=214),
    ]


# ---------------------------------------------------------------------------- tasks, menu, CLI


def _refresh_and_commit() -> float:
    started = time.perf_counter()
    refresh_stats(db.session)
    db.session.commit()
    return time.perf_counter() - started


def refresh_stats_task() -> str:
    """The periodic refresh (beat, every 10 minutes)."""
    return f"Customer counts refreshed in {_refresh_and_commit():.1f} s"


def refresh_stats_job(job: JobHandle) -> str:
    """The "Refresh now" button's job."""
    job.progress(5, "Counting customers")
    return f"Customer counts refreshed in {_refresh_and_commit():.1f} s"


def celery_tasks() -> list[TaskSpec]:
    """``customers.refresh_stats`` (periodic) and ``customers.refresh_stats_now`` (a job)."""
    return [TaskSpec("refresh_stats", refresh_stats_task),
            TaskSpec("refresh_stats_now", refresh_stats_job, job=True)]


def beat_schedule() -> list[ScheduleEntry]:
    """Refresh the counts every 10 minutes."""
    return [ScheduleEntry("refresh_stats", "refresh_stats", seconds=REFRESH_SECONDS)]


def menu_items() -> list[MenuItem]:
    """The "Customer settings" page (types, tags, amount bands)."""
    return [MenuItem(id="customers.settings", label=_l("Customer settings"),
                     endpoint="customers.settings", permission="customers.type.manage",
                     icon="sliders", order=190)]


@click.command("refresh-stats")
def refresh_stats_command() -> None:
    """Recompute the customer counts the dashboard widgets show."""
    click.echo(f"Customer counts refreshed in {_refresh_and_commit():.2f} s")


def cli_commands() -> list[Any]:
    """``crm customers refresh-stats``."""
    return [refresh_stats_command]

