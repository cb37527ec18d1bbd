"""What each sales widget draws, as the viewer may see it (their data scope for the records
the numbers sum). Every function reads the maintained aggregates: a few hundred rows (the
receivables: one per due date and owner) at most, whatever the number of opportunities,
orders and instalments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..aggregates.periods import add_months, month_of
from ..aggregates.scope import scoped_totals
from ..forecast.services import forecast
from ..models import (
    Contract,
    MonthlyTotal,
    Pipeline,
    Product,
    ProductMonthlyTotal,
    ReceivableTotal,
    Stage,
    StageTotal,
)
from ..receivables.ageing import BUCKET_LABELS, BUCKETS, bucket_expression

MONTHS = 12
TOP = 10


def _yuan(fen: Any) -> float:
    return int(fen or 0) / 100


def _months(today: dt.date | None) -> list[dt.date]:
    last = month_of(today or dt.date.today())
    return [add_months(last, step) for step in range(1 - MONTHS, 1)]


def _labels(months: list[dt.date]) -> list[str]:
    return [month.strftime("%Y-%m") for month in months]


def funnel(session: Session, user: Any) -> dict[str, Any]:
    """The default pipeline's open stages: each stage's amount, its count in the label."""
    pipeline = session.scalar(select(Pipeline.id).where(Pipeline.active.is_(True))
                              .order_by(Pipeline.is_default.desc(), Pipeline.position,
                                        Pipeline.id).limit(1))
    stages = session.execute(select(Stage.id, Stage.name)
                             .where(Stage.pipeline_id == pipeline, Stage.kind == "open")
                             .order_by(Stage.position, Stage.id)).all()
    totals = {stage_id: (int(count or 0), int(amount or 0)) for stage_id, count, amount
              in session.execute(scoped_totals(
                  select(StageTotal.stage_id, func.sum(StageTotal.count),
                         func.sum(StageTotal.amount))
                  .where(StageTotal.stage_id.in_([stage_id for stage_id, _name in stages]))
                  .group_by(StageTotal.stage_id), StageTotal, "sales.opportunity", user))}
    labels, values = [], []
    for stage_id, name in stages:
        count, amount = totals.get(stage_id, (0, 0))
        labels.append(_("%(stage)s (%(count)d)", stage=name, count=count))
        values.append(_yuan(amount))
    return {"labels": labels, "values": values}


def _monthly(session: Session, user: Any, kind: str, months: list[dt.date],
             *columns: str) -> dict[dt.date, tuple[int, ...]]:
    query = select(MonthlyTotal.month, *(func.sum(getattr(MonthlyTotal, name))
                                         for name in columns)) \
        .where(MonthlyTotal.month >= months[0], MonthlyTotal.month <= months[-1]) \
        .group_by(MonthlyTotal.month)
    return {month_of(row[0]): tuple(int(value or 0) for value in row[1:])
            for row in session.execute(scoped_totals(query, MonthlyTotal, kind, user))}


def revenue(session: Session, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    """Confirmed orders and payments received per month, the last twelve months (yuan)."""
    months = _months(today)
    orders = _monthly(session, user, "sales.order", months, "order_amount")
    payments = _monthly(session, user, "sales.payment", months, "payment_amount")
    return {"labels": _labels(months), "series": [
        {"name": _("Orders confirmed"),
         "values": [_yuan(orders.get(month, (0,))[0]) for month in months]},
        {"name": _("Payments received"),
         "values": [_yuan(payments.get(month, (0,))[0]) for month in months]}]}


def win_rate(session: Session, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    """Won ÷ (won + lost) per month in percent, the last twelve months."""
    months = _months(today)
    counts = _monthly(session, user, "sales.opportunity", months, "won_count", "lost_count")
    values = []
    for month in months:
        won, lost = counts.get(month, (0, 0))
        values.append(round(100 * won / (won + lost), 1) if won + lost else 0)
    return {"labels": _labels(months), "values": values}


def top_products(session: Session, user: Any, today: dt.date | None = None
                 ) -> dict[str, Any]:
    """The ten products with the largest untaxed sales of the last twelve months (yuan)."""
    first = _months(today)[0]
    total = func.sum(ProductMonthlyTotal.amount)
    query = (select(ProductMonthlyTotal.product_id, total)
             .where(ProductMonthlyTotal.month >= first)
             .group_by(ProductMonthlyTotal.product_id).order_by(total.desc()).limit(TOP))
    rows = [(row[0], int(row[1] or 0)) for row in session.execute(
        scoped_totals(query, ProductMonthlyTotal, "sales.order", user))]
    rows = [(product_id, amount) for product_id, amount in rows if amount > 0]
    names = dict(session.execute(select(Product.id, Product.name).where(
        Product.id.in_([product_id for product_id, _amount in rows]))).all())
    return {"labels": [names.get(product_id, "") for product_id, _amount in rows],
            "values": [_yuan(amount) for _product_id, amount in rows]}


def forecast_against_target(session: Session, user: Any, today: dt.date | None = None,
                            months: int = 3) -> dict[str, Any]:
    """This month and the next two: won, commit and best case against the target (yuan)."""
    result = forecast(session, user, today or dt.date.today(), months)

    def series(name: str) -> list[float]:
        return [_yuan(getattr(result.by_month[month], name)) for month in result.months]

    return {"labels": _labels(result.months), "series": [
        {"name": _("Won"), "values": series("won")},
        {"name": _("Commit"), "values": series("commit")},
        {"name": _("Best case"), "values": series("best_case")},
        {"name": _("Target"), "values": series("target")}]}


def receivables_ageing(session: Session, user: Any, today: dt.date | None = None
                       ) -> dict[str, Any]:
    """What the unpaid instalments of collecting contracts still owe, by days overdue
    (yuan): the kept ``ReceivableTotal`` rows grouped by how long ago their due date was."""
    bucket = bucket_expression(today or dt.date.today(), ReceivableTotal.due_date)
    query = select(bucket, func.sum(ReceivableTotal.amount)).group_by(bucket)
    amounts = {name: int(amount or 0) for name, amount in session.execute(
        scoped_totals(query, ReceivableTotal, Contract.__data_scope__.kind, user))}
    return {"labels": [str(BUCKET_LABELS[name]) for name in BUCKETS],
            "values": [_yuan(amounts.get(name, 0)) for name in BUCKETS]}
