"""Sales' side of the marketing loop (marketing stays optional: sales never imports it).

- ``on_campaign_response``: marketing's hook ``campaign_response`` (implemented in
  ``plugin.py`` with ``optionalhook``): a response of a known customer opens an opportunity
  carrying the campaign id, unless the customer has an open one already: one without a
  campaign gets this campaign, one of this campaign is left as it is. Through
  ``create_opportunity`` / ``update_opportunity`` like every other writer.
- ``opportunity_campaigns``, ``order_campaigns`` and ``campaign_opportunity_totals``:
  public reads (named in ``services.py``) that marketing uses on sales' events to attribute
  won business to its campaigns. An order made from an opportunity carries the
  opportunity's campaign (``orders.services.create_order``); a live order (confirmed,
  delivered or completed) counts unless its own opportunity is won and carries the same
  campaign (then the opportunity's amount counts: never both).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, get_session, model_for_table
from plugins.customers.services import CUSTOMER_TABLE

from .models import Opportunity, Order
from .opportunities.services import create_opportunity, update_opportunity

log = logging.getLogger(__name__)
SOURCE = "campaign"


def _open_opportunities(session: Session, customer_id: int) -> list[Opportunity]:
    return list(session.scalars(
        select(Opportunity).where(Opportunity.customer_id == customer_id,
                                  Opportunity.status == "open",
                                  Opportunity.deleted_at.is_(None))
        .order_by(Opportunity.id.desc()).limit(50)))


def answer_response(session: Session, campaign_id: int, customer_id: int | None) -> \
        Opportunity | None:
    """The opportunity a campaign response of ``customer_id`` lands on (created or updated;
    None without a customer, or when the customer is gone). Flushes; the caller commits."""
    if customer_id is None:
        return None
    customer = session.get(model_for_table(CUSTOMER_TABLE), customer_id)
    if customer is None or getattr(customer, "deleted_at", None) is not None:
        return None
    open_ones = _open_opportunities(session, customer_id)
    for opportunity in open_ones:
        if opportunity.campaign_id == campaign_id:
            return opportunity
    for opportunity in open_ones:
        if opportunity.campaign_id is None:
            return update_opportunity(session, opportunity, {"campaign_id": campaign_id}, None)
    values = {"name": _("%(customer)s: campaign response", customer=customer.name),
              "customer_id": customer_id, "campaign_id": campaign_id, "source": SOURCE,
              "owner_id": getattr(customer, "owner_id", None)}
    return create_opportunity(session, values, None)


def on_campaign_response(campaign_id: int, customer_id: int | None) -> None:
    """Marketing's ``campaign_response``: see ``answer_response`` (a refusal, such as no
    pipeline yet, is logged and leaves the response recorded)."""
    try:
        answer_response(get_session(), campaign_id, customer_id)
    except DomainError as error:
        log.warning("No opportunity for the response to campaign %s: %s", campaign_id, error)


def opportunity_campaigns(session: Session, opportunity_ids: Iterable[int]) -> dict[int, int]:
    """``{opportunity id: campaign id}`` for those of ``opportunity_ids`` that carry one."""
    ids = [int(value) for value in opportunity_ids][:1000]
    if not ids:
        return {}
    rows = session.execute(select(Opportunity.id, Opportunity.campaign_id).where(
        Opportunity.id.in_(ids), Opportunity.campaign_id.is_not(None)))
    return {row.id: row.campaign_id for row in rows}


#: the order states that are business done (a draft is not yet, a cancelled one no more)
LIVE_ORDERS = ("confirmed", "delivered", "completed")


def order_campaigns(session: Session, order_ids: Iterable[int]) -> dict[int, int]:
    """``{order id: campaign id}`` for those of ``order_ids`` that carry one."""
    ids = [int(value) for value in order_ids][:1000]
    if not ids:
        return {}
    rows = session.execute(select(Order.id, Order.campaign_id).where(
        Order.id.in_(ids), Order.campaign_id.is_not(None)))
    return {row.id: row.campaign_id for row in rows}


def _order_totals(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per campaign: (orders, their total in fen) over the live orders carrying it whose
    own opportunity is not a won one of the same campaign (that one counts already)."""
    counted_already = (select(Opportunity.id).where(
        Opportunity.id == Order.opportunity_id, Opportunity.status == "won",
        Opportunity.campaign_id == Order.campaign_id, Opportunity.deleted_at.is_(None))
        .exists())
    rows = session.execute(
        select(Order.campaign_id, func.count(Order.id),
               func.coalesce(func.sum(Order.total_amount), 0))
        .where(Order.campaign_id.in_(ids), Order.deleted_at.is_(None),
               Order.status.in_(LIVE_ORDERS), ~counted_already)
        .group_by(Order.campaign_id))
    return {campaign: (int(count), int(amount)) for campaign, count, amount in rows}


def campaign_opportunity_totals(session: Session, campaign_ids: Iterable[int]) -> \
        dict[int, dict[str, int]]:
    """Per campaign id: ``{"opportunities", "won_count", "won_amount", "order_count",
    "order_amount"}`` (fen) over the live opportunities and orders carrying it (grouped
    reads on the indexed ``campaign_id``s); a campaign with neither is left out.
    ``order_*`` leave out an order whose own opportunity is won with the same campaign, so
    ``won_amount + order_amount`` counts that business once."""
    ids = [int(value) for value in campaign_ids][:1000]
    if not ids:
        return {}
    won = Opportunity.status == "won"
    rows = session.execute(
        select(Opportunity.campaign_id, func.count(Opportunity.id),
               func.coalesce(func.sum(case((won, 1), else_=0)), 0),
               func.coalesce(func.sum(case((won, Opportunity.amount), else_=0)), 0))
        .where(Opportunity.campaign_id.in_(ids), Opportunity.deleted_at.is_(None))
        .group_by(Opportunity.campaign_id))
    answer = {campaign: {"opportunities": int(count), "won_count": int(won_count),
                         "won_amount": int(amount), "order_count": 0, "order_amount": 0}
              for campaign, count, won_count, amount in rows}
    for campaign, (count, amount) in _order_totals(session, ids).items():
        found = answer.setdefault(campaign, {"opportunities": 0, "won_count": 0,
                                             "won_amount": 0})
        found.update(order_count=count, order_amount=amount)
    return answer

