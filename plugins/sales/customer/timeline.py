"""The customer timeline's sales entries (a part: ``customer_timeline``): stage changes of
the customer's opportunities (from the stage history), orders confirmed and payments
received, each only for the records the viewer may see; one indexed query per kind.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from crm_core.toolkit import db, format_date, format_money, scoped
from crm_core.toolkit import stored_time as _aware
from plugins.customers.services import timeline_entries

from ..display import yuan_of
from ..models import Contract, Opportunity, Order, Payment, Stage, StageHistory
from .links import link


def _stage_changes(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    query = (select(StageHistory.entered_at, StageHistory.from_stage_id, Opportunity.id,
                    Opportunity.name, Stage.name)
             .join(Opportunity, Opportunity.id == StageHistory.opportunity_id)
             .join(Stage, Stage.id == StageHistory.stage_id)
             .where(Opportunity.customer_id == customer_id, Opportunity.deleted_at.is_(None))
             .order_by(StageHistory.entered_at.desc()).limit(limit))
    if before is not None:
        query = query.where(StageHistory.entered_at < before)
    entries = []
    for at, from_stage, opportunity_id, name, stage in db.session.execute(
            scoped(query, Opportunity, user)):
        title = (_("Opportunity “%(name)s” moved to %(stage)s", name=name, stage=stage)
                 if from_stage else
                 _("Opportunity “%(name)s” created in %(stage)s", name=name, stage=stage))
        entries.append({"at": _aware(at), "kind": "sales.stage", "title": title,
                        "url": link("sales_opportunities.detail",
                                    opportunity_id=opportunity_id), "plugin": "sales"})
    return entries


def _orders(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    query = (select(Order.id, Order.number, Order.total_amount, Order.confirmed_at)
             .where(Order.customer_id == customer_id, Order.confirmed_at.is_not(None),
                    Order.deleted_at.is_(None))
             .order_by(Order.confirmed_at.desc()).limit(limit))
    if before is not None:
        query = query.where(Order.confirmed_at < before)
    return [{"at": _aware(at), "kind": "sales.order",
             "title": _("Order %(number)s confirmed: %(amount)s", number=number,
                        amount=format_money(yuan_of(total))),
             "url": link("sales_orders.detail", order_id=order_id), "plugin": "sales"}
            for order_id, number, total, at in db.session.execute(scoped(query, Order, user))]


def _payments(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    query = (select(Payment.id, Payment.amount, Payment.received_on, Payment.created_at,
                    Contract.number)
             .join(Contract, Contract.id == Payment.contract_id)
             .where(Payment.customer_id == customer_id, Payment.deleted_at.is_(None))
             .order_by(Payment.created_at.desc()).limit(limit))
    if before is not None:
        query = query.where(Payment.created_at < before)
    return [{"at": _aware(at), "kind": "sales.payment",
             "title": _("Payment of %(amount)s received on %(date)s (contract %(number)s)",
                        amount=format_money(yuan_of(amount)), date=format_date(received_on),
                        number=number),
             "url": link("sales_payments.detail", payment_id=payment_id), "plugin": "sales"}
            for payment_id, amount, received_on, at, number
            in db.session.execute(scoped(query, Payment, user))]


KINDS = (("sales.opportunity.view", _stage_changes), ("sales.order.view", _orders),
         ("sales.payment.view", _payments))


def customer_timeline(customer_id: int, user: Any, before: Any, limit: int) -> list[dict]:
    """The customer's sales events the viewer may see, newest first, older than
    ``before``, at most ``limit`` of them."""
    return timeline_entries(KINDS, customer_id, user, before, limit)
