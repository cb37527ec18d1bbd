"""The evaluation pages (活动效果评估).

- ``/marketing/campaigns/<campaign_id>/evaluation``: the funnel (audience → sent → opened →
  clicked → responded → opportunities → won) as an ECharts funnel, cost, cost per response,
  attributed revenue, ROI, the latest responses; a completed campaign is marked evaluated
  here (``POST …/evaluation/done``).
- ``/marketing/campaigns/compare?ids=…``: campaigns side by side (a table and a bar chart);
  without ids, the latest campaigns that ran.

A part of the marketing plugin: ``blueprints()`` and ``menu_items()``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as WebResponse

from crm_core.toolkit import (
    INT32_MAX,
    MenuItem,
    get_scoped_or_404,
    get_session,
    model_for_table,
    require_permission,
    scoped,
)
from plugins.customers.services import CUSTOMER_TABLE

from .. import campaigns as campaign_rules
from ..models import STATE_LABELS, Campaign
from ..money import money_text, yuan
from ..responses.models import KIND_LABELS, Response
from ..tracking.pages import tracking_lag
from .report import campaign_reports

VIEW, EDIT = "marketing.campaign.view", "marketing.campaign.edit"
COMPARE_MAX = 12
PICKABLE = 50
RECENT = 20

bp = Blueprint("marketing_evaluation", __name__, template_folder="../templates",
               static_folder="../static", static_url_path="/marketing/evaluation/assets")


def funnel_steps() -> list[tuple[str, str]]:
    """The funnel's steps: ``(report key, label)`` in order."""
    return [("members", str(_l("Audience"))), ("sent", str(_l("Sent"))),
            ("opened", str(_l("Opened"))), ("clicked", str(_l("Clicked"))),
            ("responded", str(_l("Responded"))), ("opportunities", str(_l("Opportunities"))),
            ("won_count", str(_l("Won")))]


def roi_text(value: Decimal | None) -> str:
    """ROI as pages show it: ``1.50 (150.0%)``; ``—`` when nothing was spent."""
    if value is None:
        return "—"
    percent = (value * 100).quantize(Decimal("0.1"))
    return f"{value.quantize(Decimal('0.01'))} ({percent}%)"


def _recent(session: Any, campaign_id: int) -> list[dict[str, Any]]:
    rows = list(session.scalars(select(Response).where(Response.campaign_id == campaign_id)
                                .order_by(Response.created_at.desc(), Response.id.desc())
                                .limit(RECENT)))
    customer = model_for_table(CUSTOMER_TABLE)
    ids = {row.customer_id for row in rows if row.customer_id}
    # only the customers the viewer may see are named (the others stay "—")
    names = dict(session.execute(scoped(select(customer.id, customer.name), customer,
                                        current_user)
                                 .where(customer.id.in_(ids))).all()) if ids else {}
    return [{"at": row.created_at, "kind": KIND_LABELS.get(row.kind, row.kind),
             "email": row.email, "customer_id": row.customer_id if row.customer_id in names
             else None, "customer": names.get(row.customer_id, "—"), "note": row.note}
            for row in rows]


@bp.get("/marketing/campaigns/<int:campaign_id>/evaluation")
@require_permission(VIEW)
def page(campaign_id: int) -> str:
    """One campaign's effect."""
    session = get_session()
    campaign = get_scoped_or_404(Campaign, campaign_id, live_only=True)
    report = campaign_reports(session, [campaign])[campaign.id]
    session.commit()  # keeps the audience's size counted on a first read
    steps = funnel_steps()
    chart = {"labels": [label for _key, label in steps],
             "values": [report[key] for key, _label in steps]}
    return render_template("marketing/evaluation.html", campaign=campaign, report=report,
                           steps=steps, chart=chart, money=money_text, roi_text=roi_text,
                           recent=_recent(session, campaign.id), lag=tracking_lag(),
                           state_label=STATE_LABELS.get(campaign.state, campaign.state))


@bp.post("/marketing/campaigns/<int:campaign_id>/evaluation/done")
@require_permission(EDIT)
def done(campaign_id: int) -> WebResponse:
    """Mark a completed campaign evaluated."""
    session = get_session()
    campaign = get_scoped_or_404(Campaign, campaign_id, live_only=True)
    try:
        campaign_rules.change_state(session, campaign, "evaluated", current_user)
    except campaign_rules.CampaignError as error:
        session.rollback()
        flash(str(error), "danger")
    else:
        session.commit()
        flash(_("The campaign is now evaluated."), "success")
    return redirect(url_for("marketing_evaluation.page", campaign_id=campaign_id))


def _wanted_ids() -> list[int]:
    ids = []
    for value in request.args.getlist("ids")[:COMPARE_MAX * 2]:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= INT32_MAX:
            ids.append(int(text))
    return list(dict.fromkeys(ids))[:COMPARE_MAX]


@bp.get("/marketing/campaigns/compare")
@require_permission(VIEW)
def compare() -> str:
    """Campaigns side by side: the chosen ones, else the latest that ran."""
    session = get_session()
    visible = scoped(select(Campaign), Campaign, current_user).where(
        Campaign.deleted_at.is_(None))
    pickable = list(session.scalars(visible.order_by(Campaign.id.desc()).limit(PICKABLE)))
    ids = _wanted_ids()
    if ids:
        chosen = list(session.scalars(visible.where(Campaign.id.in_(ids))
                                      .order_by(Campaign.id.desc())))
    else:
        chosen = [campaign for campaign in pickable
                  if campaign.state in ("running", "completed", "evaluated")][:5]
    reports = campaign_reports(session, chosen)
    session.commit()
    chart = {"labels": [campaign.name for campaign in chosen],
             "series": [{"name": str(_l("Cost (yuan)")),
                         "values": [float(yuan(reports[c.id]["cost"])) for c in chosen]},
                        {"name": str(_l("Revenue (yuan)")),
                         "values": [float(yuan(reports[c.id]["won_amount"]))
                                    for c in chosen]}]}
    return render_template("marketing/compare.html", chosen=chosen, reports=reports,
                           pickable=pickable, chosen_ids={c.id for c in chosen},
                           steps=funnel_steps(), chart=chart, money=money_text,
                           roi_text=roi_text, state_labels=STATE_LABELS)


def blueprints() -> list[Blueprint]:
    """The evaluation and comparison pages."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"Campaign comparison" in the sidebar."""
    return [MenuItem(id="marketing.compare", label=_l("Campaign comparison"),
                     endpoint="marketing_evaluation.compare", permission=VIEW,
                     icon="bar-chart-line", order=401)]
