"""The campaign's recipients: ``/marketing/campaigns/<campaign_id>/recipients`` lists the
frozen audience with each recipient's status and stage times (in the reader's time zone),
filtered by status, in keyset pages; the campaign page's "Recipients" panel shows the counts
per status and the clicks per link. A part of the marketing plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import INT32_MAX, Panel, get_scoped_or_404, get_session, require_permission

from ..members import STAGES
from ..models import MEMBER_STATUS_LABELS, MEMBER_STATUSES, Campaign
from . import services

VIEW = "marketing.campaign.view"

bp = Blueprint("marketing_tracking_pages", __name__, template_folder="../templates")


def blueprints() -> list[Blueprint]:
    """The recipients page's blueprint."""
    return [bp]


def panel_context(campaign: Campaign) -> dict[str, Any]:
    """The Recipients panel's data: the counts per status and the clicks per link."""
    session = get_session()
    return {"counts": services.status_counts(session, campaign.id),
            "links": services.link_stats(session, campaign.id),
            "labels": MEMBER_STATUS_LABELS, "lag": tracking_lag()}


def tracking_lag() -> int:
    """Seconds the opens and clicks on a page may lag behind the hits (0: counted at once):
    the buffer's interval, or the beat's fold with Redis."""
    from .batching import batch_seconds
    from .redis_hits import FOLD_SECONDS, redis_url

    seconds = batch_seconds()
    if not seconds:
        return 0
    return max(int(seconds + 0.999), FOLD_SECONDS if redis_url(current_app) else 0)


def recipients_panel() -> Panel:
    """The campaign page's Recipients panel (the campaign Resource lists it)."""
    return Panel(_l("Recipients"), "marketing/tracking/_panel.html", panel_context)


def _after() -> int | None:
    text = request.args.get("after", "")
    if not text:
        return None
    if not text.isdigit() or len(text) > 10 or int(text) > INT32_MAX:
        abort(400)
    return int(text)


def _status() -> str:
    status = request.args.get("status", "")
    if status and status not in MEMBER_STATUSES:
        abort(400)
    return status


@bp.route("/marketing/campaigns/<int:campaign_id>/recipients")
@require_permission(VIEW)
def recipients(campaign_id: int) -> Any:
    """One page of the campaign's recipients, all or those at one status."""
    campaign = get_scoped_or_404(Campaign, campaign_id, live_only=True)
    status, after = _status(), _after()
    session = get_session()
    rows, next_after = services.recipients_page(session, campaign.id, status or None, after)
    return render_template("marketing/tracking/recipients.html", campaign=campaign,
                           rows=rows, status=status, after=after, next_after=next_after,
                           counts=services.status_counts(session, campaign.id),
                           labels=MEMBER_STATUS_LABELS, stages=STAGES)
