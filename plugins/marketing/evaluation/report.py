"""A campaign's effect in figures: the funnel, cost, responses, attributed revenue and ROI.

Every figure comes from kept rows (``stage_totals``, ``totals``) and the campaign's few cost
lines, so a report costs the same at 500,000 recipients as at 50. Money is fen here; ROI is
``(won amount − cost) / cost`` as a ``Decimal`` with four places, None when nothing was spent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Campaign, CampaignCost
from .stage_totals import stage_counts
from .totals import campaign_totals

__all__ = ["FUNNEL", "campaign_reports", "roi"]

#: the funnel's steps in order (the report's keys)
FUNNEL = ("members", "sent", "opened", "clicked", "responded", "opportunities", "won_count")
PLACES = Decimal("0.0001")


def roi(revenue: int, cost: int) -> Decimal | None:
    """``(revenue − cost) / cost`` (both fen) with four places; None when ``cost`` is 0."""
    if not cost:
        return None
    return (Decimal(revenue - cost) / Decimal(cost)).quantize(PLACES, ROUND_HALF_UP)


def _costs(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return {campaign_id: int(total or 0) for campaign_id, total in session.execute(
        select(CampaignCost.campaign_id, func.sum(CampaignCost.amount))
        .where(CampaignCost.campaign_id.in_(ids)).group_by(CampaignCost.campaign_id))}


def campaign_reports(session: Session, campaigns: list[Campaign]) -> dict[int, dict[str, Any]]:
    """Per campaign id: the funnel counts (``members`` the frozen audience, ``sent``,
    ``delivered``, ``opened``, ``clicked``, ``unsubscribed``, ``registered``, ``responded``
    — the responses recorded —, ``opportunities``, ``won_count``), ``won_amount`` (the
    attributed revenue: won opportunities and the orders carrying the campaign that those do
    not count already, ``order_amount`` of it in ``order_count`` orders) and
    ``cost`` (fen), ``cost_per_response`` (fen, None without responses) and ``roi``."""
    ids = [campaign.id for campaign in campaigns]
    stages = stage_counts(session, ids)
    totals = campaign_totals(session, campaigns)
    costs = _costs(session, ids)
    reports: dict[int, dict[str, Any]] = {}
    for campaign_id in ids:
        kept = totals[campaign_id]
        report: dict[str, Any] = {**stages[campaign_id], "members": kept["members"],
                                  "responded": kept["responses"],
                                  "opportunities": kept["opportunities"],
                                  "won_count": kept["won_count"],
                                  # attributed revenue: won opportunities, and
                                  # orders their won opportunity does not count
                                  "won_amount": kept["won_amount"] + kept["order_amount"],
                                  "order_count": kept["order_count"],
                                  "order_amount": kept["order_amount"],
                                  "cost": costs.get(campaign_id, 0)}
        report["cost_per_response"] = (round(report["cost"] / report["responded"])
                                       if report["responded"] else None)
        report["roi"] = roi(report["won_amount"], report["cost"])
        reports[campaign_id] = report
    return reports
