"""The dashboard widget "Campaigns by state" (a part: ``report_widgets``): the campaigns the
viewer may see, counted per state in one grouped statement (campaigns are hundreds, not
millions)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import ReportWidget, get_session, scoped

from .models import STATE_LABELS, STATES, Campaign


def campaigns_by_state(session: Session, user: Any) -> dict[str, Any]:
    """``{"labels", "values"}``: how many live campaigns ``user`` may see are in each state
    (every state, in the order of the campaign's life)."""
    counts = dict(session.execute(
        scoped(select(Campaign.state, func.count(Campaign.id)), Campaign, user)
        .where(Campaign.deleted_at.is_(None)).group_by(Campaign.state)).all())
    return {"labels": [str(STATE_LABELS[state]) for state in STATES],
            "values": [counts.get(state, 0) for state in STATES]}


def report_widgets() -> list[ReportWidget]:
    """Campaigns by state (a bar)."""
    return [ReportWidget(id="marketing.campaigns_by_state", title=_l("Campaigns by state"),
                         kind="bar", permission="marketing.campaign.view",
                         data=lambda: campaigns_by_state(get_session(), current_user))]
