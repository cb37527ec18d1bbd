"""The dashboard widgets (a part: ``report_widgets``), each over the campaigns the viewer may
see: campaigns by state (a bar), the funnel of the latest campaign that froze its audience
(a bar), ROI by campaign (a bar, in %) and responses per week (a line). Every figure is a
kept total or a grouped read of a few hundred rows (see ``evaluation``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import ReportWidget, get_session, scoped, utcnow

from .evaluation.report import campaign_reports
from .models import STATE_LABELS, STATES, Campaign
from .responses.models import Response

VIEW = "marketing.campaign.view"
WEEKS = 12
ROI_CAMPAIGNS = 10


def campaigns_by_state(session: Session, user: Any) -> dict[str, Any]:
    """``{"labels", "values"}``: how many live campaigns ``user`` may see are in each state
    (every state, in the order of the campaign's life)."""
    counts = dict(session.execute(
        scoped(select(Campaign.state, func.count(Campaign.id)), Campaign, user)
        .where(Campaign.deleted_at.is_(None)).group_by(Campaign.state)).all())
    return {"labels": [str(STATE_LABELS[state]) for state in STATES],
            "values": [counts.get(state, 0) for state in STATES]}


def _visible(user: Any) -> Any:
    return scoped(select(Campaign), Campaign, user).where(Campaign.deleted_at.is_(None))


def latest_funnel(session: Session, user: Any) -> dict[str, Any]:
    """The funnel of the newest campaign with a frozen audience (``caption``: its name)."""
    from .evaluation.views import funnel_steps

    campaign = session.scalar(_visible(user).where(Campaign.frozen_at.is_not(None))
                              .order_by(Campaign.frozen_at.desc(), Campaign.id.desc())
                              .limit(1))
    if campaign is None:
        return {"labels": [], "values": []}
    report = campaign_reports(session, [campaign])[campaign.id]
    session.commit()  # keeps the audience's size counted on a first read
    steps = funnel_steps()
    return {"labels": [label for _key, label in steps],
            "values": [report[key] for key, _label in steps], "caption": campaign.name}


def roi_by_campaign(session: Session, user: Any) -> dict[str, Any]:
    """ROI in % of the latest campaigns that ran and spent something (oldest first)."""
    chosen = list(session.scalars(
        _visible(user).where(Campaign.state.in_(("running", "completed", "evaluated")))
        .order_by(Campaign.start_date.desc(), Campaign.id.desc()).limit(ROI_CAMPAIGNS * 3)))
    reports = campaign_reports(session, chosen)
    session.commit()
    spent = [campaign for campaign in chosen
             if reports[campaign.id]["roi"] is not None][:ROI_CAMPAIGNS]
    spent.reverse()
    return {"labels": [campaign.name for campaign in spent],
            "values": [float(reports[campaign.id]["roi"] * 100) for campaign in spent]}


def responses_per_week(session: Session, user: Any, now: dt.datetime | None = None) -> \
        dict[str, Any]:
    """Responses to the campaigns ``user`` may see in each of the last ``WEEKS`` weeks
    (weeks start on Monday, UTC; labelled by their Monday)."""
    today = (now or utcnow()).date()
    first = today - dt.timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    day = func.date(Response.created_at)
    rows = session.execute(
        select(day, func.count(Response.id))
        .join(Campaign, Campaign.id == Response.campaign_id)
        .where(Response.created_at >= dt.datetime.combine(first, dt.time(), dt.UTC),
               Campaign.id.in_(_visible(user).with_only_columns(Campaign.id)))
        .group_by(day)).all()
    weeks = [first + dt.timedelta(days=7 * number) for number in range(WEEKS)]
    counts = dict.fromkeys(weeks, 0)
    for value, count in rows:
        date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        monday = date - dt.timedelta(days=date.weekday())
        if monday in counts:
            counts[monday] += count
    return {"labels": [week.strftime("%m-%d") for week in weeks],
            "values": [counts[week] for week in weeks]}


def report_widgets() -> list[ReportWidget]:
    """Campaigns by state, the latest funnel, ROI by campaign, responses per week."""
    return [ReportWidget(id="marketing.campaigns_by_state", title=_l("Campaigns by state"),
                         kind="bar", permission=VIEW,
                         data=lambda: campaigns_by_state(get_session(), current_user)),
            ReportWidget(id="marketing.latest_funnel", title=_l("Funnel of the latest campaign"),
                         kind="bar", permission=VIEW,
                         data=lambda: latest_funnel(get_session(), current_user)),
            ReportWidget(id="marketing.roi_by_campaign", title=_l("ROI by campaign (%)"),
                         kind="bar", permission=VIEW,
                         caption=_l("(revenue − cost) / cost of the latest campaigns"),
                         data=lambda: roi_by_campaign(get_session(), current_user)),
            ReportWidget(id="marketing.responses_per_week", title=_l("Responses per week"),
                         kind="line", permission=VIEW, caption=_l("Last 12 weeks"),
                         data=lambda: responses_per_week(get_session(), current_user))]
