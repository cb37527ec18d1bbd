"""The campaign's own API and page actions beyond the Resource's.

API: ``POST /api/v1/marketing/campaigns/<campaign_id>/state`` ``{"state"}`` moves a
campaign (409 names a move its state does not allow); ``GET …/<campaign_id>/audience``
previews the audience (``{"eligible", "excluded": {...}}``) and ``POST …/audience`` freezes
it (201, ``{"members"}``; 409 when frozen already). Pages: the same two actions as buttons on
the campaign's page (``POST /marketing/campaigns/<campaign_id>/state`` and ``…/audience``).
A part of the marketing plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    UtcDateTime,
    api_endpoint,
    get_scoped_or_404,
    get_session,
    require_permission,
)

from . import audience, campaigns
from .models import STATE_LABELS, STATES, Campaign
from .money import Yuan

VIEW, EDIT = "marketing.campaign.view", "marketing.campaign.edit"
BASE = "/api/v1/marketing/campaigns/<int:campaign_id>"

api = Blueprint("marketing_campaign_api", __name__)
pages = Blueprint("marketing_campaign_pages", __name__, template_folder="templates")


class StateIn(Schema):
    """The state to move to."""

    state = fields.String(required=True, validate=validate.OneOf(STATES))


class CampaignStateOut(Schema):
    """The campaign after a move."""

    id = fields.Integer()
    name = fields.String()
    state = fields.String()
    budget = Yuan()
    approval_id = fields.Integer(allow_none=True)
    approval_comment = fields.String()


class ExcludedOut(Schema):
    """Why addresses were dropped."""

    no_consent = fields.Integer()
    unsubscribed = fields.Integer()
    no_email = fields.Integer()
    listed = fields.Integer()


class AudienceOut(Schema):
    """The audience's counts (distinct addresses; contacts without one)."""

    eligible = fields.Integer()
    frozen = fields.Boolean()
    excluded = fields.Nested(ExcludedOut)


class FrozenOut(Schema):
    """A frozen audience."""

    members = fields.Integer()
    frozen_at = UtcDateTime()


def _campaign(campaign_id: int) -> Campaign:
    return get_scoped_or_404(Campaign, campaign_id, live_only=True)


@api_endpoint(api, f"{BASE}/state", methods=["POST"], permission=EDIT, body=StateIn,
              response=CampaignStateOut, tags=["marketing"], endpoint="state")
def move_state(body: dict[str, Any], campaign_id: int) -> Campaign:
    """Move a campaign along its states (approving may wait for a budget approval)."""
    session = get_session()
    campaign = _campaign(campaign_id)
    campaigns.change_state(session, campaign, body["state"], current_user)
    session.commit()
    return campaign


@api_endpoint(api, f"{BASE}/audience", permission=VIEW, response=AudienceOut,
              tags=["marketing"], endpoint="audience")
def audience_preview(campaign_id: int) -> dict[str, Any]:
    """How many addresses the campaign's audience reaches, and why others are dropped."""
    return audience.preview(get_session(), _campaign(campaign_id), current_user)


@api_endpoint(api, f"{BASE}/audience", methods=["POST"], permission=EDIT,
              response=FrozenOut, status=201, tags=["marketing"], endpoint="freeze")
def audience_freeze(campaign_id: int) -> dict[str, Any]:
    """Freeze the audience into the campaign's members (a snapshot)."""
    session = get_session()
    campaign = _campaign(campaign_id)
    members = audience.freeze(session, campaign, current_user)
    session.commit()
    return {"members": members, "frozen_at": campaign.frozen_at}


def _back(campaign_id: int) -> Response:
    return redirect(url_for("marketing_campaigns.detail", campaign_id=campaign_id))


@pages.post("/marketing/campaigns/<int:campaign_id>/state")
@require_permission(EDIT)
def state_page(campaign_id: int) -> Response:
    """Move the campaign to the state of the button pressed."""
    session = get_session()
    campaign = _campaign(campaign_id)
    try:
        campaigns.change_state(session, campaign, request.form.get("state", ""), current_user)
    except campaigns.CampaignError as error:
        session.rollback()
        flash(str(error), "danger")
    else:
        session.commit()
        flash(_("The campaign is now %(state)s.",
                state=str(STATE_LABELS[campaign.state]).lower()), "success")
    return _back(campaign_id)


@pages.post("/marketing/campaigns/<int:campaign_id>/audience")
@require_permission(EDIT)
def freeze_page(campaign_id: int) -> Response:
    """Freeze the audience from the campaign's page."""
    session = get_session()
    campaign = _campaign(campaign_id)
    try:
        members = audience.freeze(session, campaign, current_user)
    except audience.AudienceError as error:
        session.rollback()
        flash(str(error), "danger")
    else:
        session.commit()
        flash(_("Audience frozen: %(n)d addresses.", n=members), "success")
    return _back(campaign_id)


def blueprints() -> list[Blueprint]:
    """The campaign API and page actions (the page blueprint carries the templates)."""
    return [api, pages]
