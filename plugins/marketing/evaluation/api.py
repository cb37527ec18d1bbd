"""The campaign's report in the API: ``GET /api/v1/marketing/campaigns/<campaign_id>/report``
answers ``{"sent", "opened", "clicked", "unsubscribed", "responded", "opportunities",
"won_amount", "cost", "roi"}``: counts as integers, money as yuan strings (``"12000.00"``),
ROI as a decimal string (``"1.5000"``) or null when nothing was spent. A part of the
marketing plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields

from crm_core.toolkit import api_endpoint, get_scoped_or_404, get_session

from ..models import Campaign
from ..money import Yuan
from .report import campaign_reports

VIEW = "marketing.campaign.view"
api = Blueprint("marketing_evaluation_api", __name__)


class DecimalText(fields.String):
    """A decimal as its exact text ("-0.2500"): the API's numbers that are not money."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)


class ReportOut(Schema):
    """A campaign's effect (see docs/marketing.md, "Evaluation")."""

    sent = fields.Integer()
    opened = fields.Integer()
    clicked = fields.Integer()
    unsubscribed = fields.Integer()
    responded = fields.Integer(metadata={"description": "Responses recorded."})
    opportunities = fields.Integer(metadata={"description": "Opportunities carrying the "
                                                            "campaign id."})
    won_amount = Yuan(metadata={"description": "Attributed revenue, yuan: won opportunities "
                                               "and live orders carrying the campaign (an "
                                               "order of a won opportunity counts once)."})
    cost = Yuan(metadata={"description": "The sum of the cost lines, yuan."})
    roi = DecimalText(allow_none=True, metadata={
        "description": "(won_amount − cost) / cost with four places, e.g. \"-1.0000\"; null "
                       "when the cost is 0.", "pattern": r"^-?\d+\.\d{4}$"})


@api_endpoint(api, "/api/v1/marketing/campaigns/<int:campaign_id>/report", permission=VIEW,
              response=ReportOut, tags=["marketing"], endpoint="report")
def campaign_report(campaign_id: int) -> dict[str, Any]:
    """The campaign's funnel counts, cost, attributed revenue and ROI."""
    campaign = get_scoped_or_404(Campaign, campaign_id, live_only=True)
    session = get_session()
    report = campaign_reports(session, [campaign])[campaign.id]
    session.commit()  # keeps the audience's size counted on a first read
    return report


def blueprints() -> list[Blueprint]:
    """The report API."""
    return [api]
