"""Sales' side of the marketing loop (marketing stays optional: sales never imports it).

- ``on_campaign_response``: marketing's hook ``campaign_response`` (implemented in
  ``plugin.py`` with ``optionalhook``): a response of a known customer opens an opportunity
  carrying the campaign id, unless the customer has an open one already: one without a
  campaign gets this campaign, one of this campaign is left as it is. Through
  ``create_opportunity`` / ``update_opportunity`` like every other writer.
- ``opportunity_campaigns`` and ``campaign_opportunity_totals``: public reads (named in
  ``services.py``) that marketing uses on sales' events to attribute won business to its
  campaigns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, get_session, model_for_table
from plugins.customers.services import CUSTOMER_TABLE

from .models import Opportunity
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


def campaign_opportunity_totals(session: Session, campaign_ids: Iterable[int]) -> \
        dict[int, dict[str, int]]:
    """Per campaign id: ``{"opportunities", "won_count", "won_amount"}`` (fen) over the live
    opportunities carrying it (one grouped read on the indexed ``campaign_id``); a campaign
    with none is left out."""
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
    return {campaign: {"opportunities": int(count), "won_count": int(won_count),
                       "won_amount": int(amount)}
            for campaign, count, won_count, amount in rows}

