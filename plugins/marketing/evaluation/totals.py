"""Keeping a campaign's totals beside it (``marketing_campaign_total``), so that the
evaluation page and the report read one row, never the 500,000 recipients.

- The business sales attributes to a campaign (opportunities carrying its id, how many won
  and their amount) is read through sales' events: on ``opportunity_stage_changed`` and
  ``opportunity_won`` marketing asks sales' public services which campaign the opportunity
  carries and takes that campaign's totals again (a grouped read on sales' indexed
  ``campaign_id``), so a reopened or trashed opportunity leaves the figures too. Orders
  carrying the campaign (made from its opportunities) are read the same way on
  ``order_confirmed`` and ``order_cancelled``; sales leaves out an order whose own
  opportunity is won with the campaign, so that business counts once.
- The audience's size is counted once per freeze (a frozen audience is a snapshot).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_core.toolkit import get_session, plugin_enabled, stored_time

from ..models import Campaign, CampaignMember
from ..responses.models import CampaignTotal

__all__ = ["campaign_totals", "on_opportunity_event", "on_order_event", "refresh_sales_totals"]

SALES_FIELDS = ("opportunities", "won_count", "won_amount", "order_count", "order_amount")


def _set(session: Session, campaign_id: int, values: dict[str, Any]) -> None:
    table = CampaignTotal.__table__
    change = update(table).where(table.c.campaign_id == campaign_id).values(values)
    if session.execute(change).rowcount:
        return
    try:
        with session.begin_nested():
            session.execute(insert(table).values({"campaign_id": campaign_id, **values}))
    except IntegrityError:
        session.execute(change)


def refresh_sales_totals(session: Session, campaign_ids: Iterable[int]) -> None:
    """Take the opportunities, won count and won amount of ``campaign_ids`` from sales again
    (nothing when sales is not enabled)."""
    ids = sorted({int(value) for value in campaign_ids if value})
    if not ids or not plugin_enabled("sales"):
        return
    from plugins.sales.services import campaign_opportunity_totals

    found = campaign_opportunity_totals(session, ids)
    known = set(session.scalars(select(Campaign.id).where(Campaign.id.in_(ids))))
    for campaign_id in ids:
        if campaign_id in known:
            values = found.get(campaign_id, {})
            _set(session, campaign_id, {key: int(values.get(key, 0)) for key in SALES_FIELDS})


def on_opportunity_event(opportunity_id: int) -> None:
    """Sales changed opportunity ``opportunity_id`` (a stage, a win): the campaign it
    carries takes its sales totals again."""
    if not plugin_enabled("sales"):
        return
    from plugins.sales.services import opportunity_campaigns

    session = get_session()
    refresh_sales_totals(session, opportunity_campaigns(session, [opportunity_id]).values())


def on_order_event(order_id: int) -> None:
    """Sales confirmed or cancelled order ``order_id``: the campaign it carries takes its
    sales totals again (its orders are part of the attributed revenue)."""
    if not plugin_enabled("sales"):
        return
    from plugins.sales.services import order_campaigns

    session = get_session()
    refresh_sales_totals(session, order_campaigns(session, [order_id]).values())


def _members(session: Session, campaign: Campaign, row: CampaignTotal | None) -> int:
    frozen = stored_time(campaign.frozen_at)
    if frozen is not None and row is not None and stored_time(row.members_frozen_at) == frozen:
        return row.members
    count = session.scalar(select(func.count()).select_from(CampaignMember)
                           .where(CampaignMember.campaign_id == campaign.id)) or 0
    if frozen is not None:  # a snapshot: counted once; without one, members are few
        _set(session, campaign.id, {"members": count, "members_frozen_at": frozen})
    return count


def campaign_totals(session: Session, campaigns: list[Campaign]) -> dict[int, dict[str, int]]:
    """Per campaign: ``members`` (the frozen audience), ``responses``, ``opportunities``,
    ``won_count`` and ``won_amount`` (fen). The first read after a freeze counts the audience
    once and keeps it (the caller commits when it wants the count kept)."""
    ids = [campaign.id for campaign in campaigns]
    rows = {row.campaign_id: row for row in session.scalars(
        select(CampaignTotal).where(CampaignTotal.campaign_id.in_(ids)))} if ids else {}
    answer = {}
    for campaign in campaigns:
        row = rows.get(campaign.id)
        answer[campaign.id] = {
            "members": _members(session, campaign, row),
            "responses": row.responses if row is not None else 0,
            "opportunities": row.opportunities if row is not None else 0,
            "won_count": row.won_count if row is not None else 0,
            "won_amount": row.won_amount if row is not None else 0,
            "order_count": row.order_count if row is not None else 0,
            "order_amount": row.order_amount if row is not None else 0}
    return answer
