"""The listeners that keep ``MonthlyTotal`` and ``ProductMonthlyTotal`` (a part: sales'
events reach it as ``on_<event>``).

Each event adds to the month it belongs to, so that the kept numbers equal what
``rebuild.rebuild`` computes from the records:

- won and lost opportunities count in the month of ``closed_at``, under the opportunity's
  owner and department; leaving a won or lost stage takes it back from the month its stay
  there began (the stage history; the opportunities feature sets ``closed_at`` to that
  moment);
- a confirmed order counts (count, total, and its lines per product: quantity and untaxed
  amount) in the month of ``confirmed_at``; cancelling a confirmed order takes it back;
- a payment counts in the month of ``received_on``, under the payment's owner.

``StageTotal`` is kept by the opportunities feature (``rebuild`` recomputes it too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import bump_total, get_session

from ..models import (
    MonthlyTotal,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    ProductMonthlyTotal,
    Stage,
    StageHistory,
)
from .periods import month_of

CONFIRMED = ("confirmed", "delivered", "completed")


def add_monthly(session: Session, month: dt.date, owner_id: int | None,
                department_id: int | None, **deltas: int) -> None:
    """Add ``deltas`` (``won_count=1``, ``order_amount=-500``...) to one MonthlyTotal row."""
    bump_total(session, MonthlyTotal.__table__,
               {"month": month, "owner_id": owner_id, "department_id": department_id}, deltas)


def _closed_month(opportunity: Opportunity) -> dt.date:
    """The month an opportunity that just closed counts in: its ``closed_at``."""
    return month_of(opportunity.closed_at)


def _left_month(session: Session, opportunity: Opportunity, stage_id: int) -> dt.date:
    """The month an opportunity that just left the closing stage ``stage_id`` had counted
    in: when its last stay there began (its stage history), else its ``closed_at``."""
    entered = session.scalar(
        select(StageHistory.entered_at)
        .where(StageHistory.opportunity_id == opportunity.id,
               StageHistory.stage_id == stage_id)
        .order_by(StageHistory.entered_at.desc()).limit(1))
    return month_of(entered if entered is not None else opportunity.closed_at)


def on_opportunity_won(opportunity_id: int, amount: int, customer_id: int) -> None:
    """A won opportunity: +1 won and its amount in the month it closed."""
    session = get_session()
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        return
    add_monthly(session, _closed_month(opportunity),
                opportunity.owner_id, opportunity.department_id,
                won_count=1, won_amount=opportunity.amount or 0)


def on_opportunity_lost(opportunity_id: int, reason: str, customer_id: int) -> None:
    """A lost opportunity: +1 lost in the month it closed."""
    session = get_session()
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        return
    add_monthly(session, _closed_month(opportunity),
                opportunity.owner_id, opportunity.department_id, lost_count=1)


def on_opportunity_stage_changed(opportunity_id: int, from_stage_id: int | None,
                                 to_stage_id: int, user_id: int | None = None) -> None:
    """Leaving a won or lost stage for a stage of another kind (reopened, or won after
    lost) takes the opportunity back from the month it had closed in."""
    if from_stage_id is None:
        return
    session = get_session()
    kinds = dict(session.execute(select(Stage.id, Stage.kind)
                                 .where(Stage.id.in_((from_stage_id, to_stage_id)))).all())
    left, entered = kinds.get(from_stage_id), kinds.get(to_stage_id)
    if left not in ("won", "lost") or left == entered:
        return
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None:
        return
    month = _left_month(session, opportunity, from_stage_id)
    if left == "won":
        add_monthly(session, month, opportunity.owner_id, opportunity.department_id,
                    won_count=-1, won_amount=-(opportunity.amount or 0))
    else:
        add_monthly(session, month, opportunity.owner_id, opportunity.department_id,
                    lost_count=-1)


def _order_totals(session: Session, order: Order, sign: int) -> None:
    month = month_of(order.confirmed_at)
    add_monthly(session, month, order.owner_id, order.department_id,
                order_count=sign, order_amount=sign * (order.total_amount or 0))
    rows = session.execute(
        select(OrderLine.product_id, func.sum(OrderLine.quantity), func.sum(OrderLine.subtotal))
        .where(OrderLine.order_id == order.id, OrderLine.product_id.is_not(None))
        .group_by(OrderLine.product_id)).all()
    table = ProductMonthlyTotal.__table__
    for product_id, quantity, amount in rows:
        bump_total(session, table, {"month": month, "product_id": product_id,
                                    "owner_id": order.owner_id,
                                    "department_id": order.department_id},
                   {"quantity": sign * int(quantity or 0), "amount": sign * int(amount or 0)})


def on_order_confirmed(order_id: int, customer_id: int, total_amount: int) -> None:
    """A confirmed order: +1 order, its total and its lines' products in its month."""
    session = get_session()
    order = session.get(Order, order_id)
    if order is not None:
        _order_totals(session, order, 1)


def on_order_cancelled(order_id: int, customer_id: int, total_amount: int,
                       was_confirmed: bool) -> None:
    """A cancelled order that had been confirmed: everything it added is taken back."""
    if not was_confirmed:
        return
    session = get_session()
    order = session.get(Order, order_id)
    if order is not None:
        _order_totals(session, order, -1)


def on_payment_received(payment_id: int, contract_id: int, customer_id: int,
                        amount: int, **_: Any) -> None:
    """A payment: its amount in the month it was received, under the payment's owner."""
    session = get_session()
    payment = session.get(Payment, payment_id)
    if payment is None:
        return
    add_monthly(session, month_of(payment.received_on), payment.owner_id,
                payment.department_id, payment_amount=payment.amount or 0)
