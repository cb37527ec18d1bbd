"""The event API: ``GET /api/v1/marketing/campaigns/<campaign_id>/registrations`` (the
registrants, a keyset page, with the counts) and ``POST …/<campaign_id>/check-in``
``{"code"}`` (answers ``{"status": "checked_in" | "already" | "unknown", "message", ...}``).
A campaign without registration settings answers 404, as one outside the caller's scope.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from crm_core.toolkit import (
    ListQuery,
    Page,
    UtcDateTime,
    api_endpoint,
    get_scoped_or_404,
    get_session,
    paginate,
    sensitive,
)

from ..models import Campaign
from . import services
from .models import Event, Registration
from .staff import check_in_answer

VIEW, EDIT = "marketing.campaign.view", "marketing.campaign.edit"
BASE = "/api/v1/marketing/campaigns/<int:campaign_id>"

api = Blueprint("marketing_event_api", __name__)


class RegistrationOut(Schema):
    """One registrant."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    company = fields.String()
    answers = fields.Dict(allow_none=True)
    consent = fields.Boolean()
    customer_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    # masked for a caller without marketing.recipient.view_sensitive
    mask_sensitive = sensitive.mask_on_dump("marketing.recipient")
    checked_in_at = UtcDateTime(allow_none=True)


class CheckInIn(Schema):
    """The code read from a ticket or typed."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CheckInOut(Schema):
    """A check-in's answer."""

    status = fields.String()
    message = fields.String()
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    checked_in_at = UtcDateTime(allow_none=True)


def _event(campaign_id: int) -> Event:
    campaign = get_scoped_or_404(Campaign, campaign_id, live_only=True)
    event = services.event_of(get_session(), campaign.id)
    if event is None:
        abort(404)
    return event


@api_endpoint(api, f"{BASE}/registrations", permission=VIEW, query=ListQuery,
              response=RegistrationOut, page=True, tags=["marketing"],
              endpoint="registrations")
def list_registrations(campaign_id: int) -> Page:
    """An event campaign's registrants in the order they registered."""
    event = _event(campaign_id)
    return paginate(get_session(), select(Registration)
                    .where(Registration.event_id == event.id))


@api_endpoint(api, f"{BASE}/check-in", methods=["POST"], permission=EDIT, body=CheckInIn,
              response=CheckInOut, tags=["marketing"], endpoint="check_in")
def check_in(body: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Check a registrant in by the code of their ticket (a second time answers
    ``already`` with the first time; a code of nobody here answers ``unknown``)."""
    session = get_session()
    event = _event(campaign_id)
    answer = check_in_answer(services.check_in(session, event, body["code"], current_user))
    session.commit()
    return answer
