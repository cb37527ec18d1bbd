"""``rebuild(session)``: every aggregate table recomputed from the records, and the
``crm sales rebuild-aggregates`` command (a part: ``cli_commands``).

Set-based SQL only: for each table one ``DELETE`` and one ``INSERT ... SELECT ... GROUP BY``
over the records (a union of the four sources for ``MonthlyTotal``), so the database does
the work in a few passes, whatever the size (seconds at millions of rows, no rows through
Python). Used by the demo generator and the benchmark after bulk loads, and to repair the
numbers after changes no event reports (an edited amount, a deleted record, a new owner).
"""

from __future__ import annotations

import time
from typing import Any

import click
from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.orm import Session

from crm_core.toolkit import db

from ..models import (
    ForecastTotal,
    MonthlyTotal,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    ProductMonthlyTotal,
    ReceivableTotal,
    StageTotal,
)
from ..opportunities.totals import live_totals
from .listeners import CONFIRMED
from .periods import sql_month_of_date, sql_month_of_time
from .receivables import rebuild_rows as receivable_rows

MONTHLY_COUNTERS = ("won_count", "won_amount", "lost_count", "order_count", "order_amount",
                    "payment_amount")


def _rows(session: Session, table: Any) -> int:
    """How many rows ``table`` holds (drivers do not all count an INSERT ... SELECT)."""
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _stage_totals(session: Session) -> int:
    table = StageTotal.__table__
    session.execute(delete(table))
    session.execute(insert(table).from_select(
        ["stage_id", "owner_id", "department_id", "count", "amount"], live_totals()))
    return _rows(session, table)


def _forecast_totals(session: Session, dialect: str) -> int:
    month = sql_month_of_date(Opportunity.expected_close_date, dialect)
    rows = (select(month, Opportunity.owner_id, Opportunity.department_id,
                   Opportunity.forecast_category, func.count(),
                   func.coalesce(func.sum(Opportunity.amount), 0),
                   func.coalesce(func.sum(Opportunity.amount * Opportunity.probability), 0))
            .where(Opportunity.status == "open", Opportunity.deleted_at.is_(None),
                   Opportunity.expected_close_date.is_not(None))
            .group_by(month, Opportunity.owner_id, Opportunity.department_id,
                      Opportunity.forecast_category))
    table = ForecastTotal.__table__
    session.execute(delete(table))
    session.execute(insert(table).from_select(
        ["month", "owner_id", "department_id", "category", "count", "amount", "weighted"],
        rows))
    return _rows(session, table)


def _source(month: Any, owner: Any, department: Any, **counters: Any) -> Any:
    """One source of the monthly union: the month, owner, department and all six counters
    (those it does not count are 0)."""
    columns = [month.label("month"), owner.label("owner_id"),
               department.label("department_id")]
    columns += [(counters.get(name, literal(0))).label(name) for name in MONTHLY_COUNTERS]
    return select(*columns)


def _monthly_totals(session: Session, dialect: str) -> int:
    closed = sql_month_of_time(Opportunity.closed_at, dialect)
    confirmed = sql_month_of_time(Order.confirmed_at, dialect)
    received = sql_month_of_date(Payment.received_on, dialect)
    live = Opportunity.deleted_at.is_(None), Opportunity.closed_at.is_not(None)
    won = _source(closed, Opportunity.owner_id, Opportunity.department_id,
                  won_count=func.count(), won_amount=func.sum(Opportunity.amount)) \
        .where(Opportunity.status == "won", *live) \
        .group_by(closed, Opportunity.owner_id, Opportunity.department_id)
    lost = _source(closed, Opportunity.owner_id, Opportunity.department_id,
                   lost_count=func.count()) \
        .where(Opportunity.status == "lost", *live) \
        .group_by(closed, Opportunity.owner_id, Opportunity.department_id)
    orders = _source(confirmed, Order.owner_id, Order.department_id,
                     order_count=func.count(), order_amount=func.sum(Order.total_amount)) \
        .where(Order.status.in_(CONFIRMED), Order.deleted_at.is_(None),
               Order.confirmed_at.is_not(None)) \
        .group_by(confirmed, Order.owner_id, Order.department_id)
    payments = _source(received, Payment.owner_id, Payment.department_id,
                       payment_amount=func.sum(Payment.amount)) \
        .where(Payment.deleted_at.is_(None)) \
        .group_by(received, Payment.owner_id, Payment.department_id)
    union = union_all(won, lost, orders, payments).subquery()
    rows = select(union.c.month, union.c.owner_id, union.c.department_id,
                  *(func.sum(union.c[name]) for name in MONTHLY_COUNTERS)) \
        .group_by(union.c.month, union.c.owner_id, union.c.department_id)
    table = MonthlyTotal.__table__
    session.execute(delete(table))
    session.execute(insert(table).from_select(
        ["month", "owner_id", "department_id", *MONTHLY_COUNTERS], rows))
    return _rows(session, table)


def _product_totals(session: Session, dialect: str) -> int:
    month = sql_month_of_time(Order.confirmed_at, dialect)
    rows = (select(month, OrderLine.product_id, Order.owner_id, Order.department_id,
                   func.sum(OrderLine.quantity), func.sum(OrderLine.subtotal))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.status.in_(CONFIRMED), Order.deleted_at.is_(None),
                   Order.confirmed_at.is_not(None), OrderLine.product_id.is_not(None))
            .group_by(month, OrderLine.product_id, Order.owner_id, Order.department_id))
    table = ProductMonthlyTotal.__table__
    session.execute(delete(table))
    session.execute(insert(table).from_select(
        ["month", "product_id", "owner_id", "department_id", "quantity", "amount"], rows))
    return _rows(session, table)


def _receivable_totals(session: Session) -> int:
    table = ReceivableTotal.__table__
    session.execute(delete(table))
    session.execute(insert(table).from_select(
        ["due_date", "owner_id", "department_id", "count", "amount"], receivable_rows()))
    return _rows(session, table)


def rebuild(session: Session) -> dict[str, int]:
    """Recompute ``StageTotal``, ``ForecastTotal``, ``MonthlyTotal``,
    ``ProductMonthlyTotal`` and ``ReceivableTotal`` from the records (the caller commits);
    returns the rows written per table."""
    dialect = session.get_bind().dialect.name
    session.flush()
    return {"stage_totals": _stage_totals(session),
            "forecast_totals": _forecast_totals(session, dialect),
            "monthly_totals": _monthly_totals(session, dialect),
            "product_monthly_totals": _product_totals(session, dialect),
            "receivable_totals": _receivable_totals(session)}


@click.command("rebuild-aggregates")
def rebuild_aggregates() -> None:
    """Recompute the sales aggregates (funnel, forecast, monthly totals, products,
    receivables) from the records."""
    started = time.perf_counter()
    written = rebuild(db.session)
    db.session.commit()
    click.echo(f"Sales aggregates rebuilt in {time.perf_counter() - started:.1f} s: "
               + ", ".join(f"{name} {count}" for name, count in written.items()) + ".")


def cli_commands() -> list[Any]:
    """``crm sales rebuild-aggregates``."""
    return [rebuild_aggregates]

