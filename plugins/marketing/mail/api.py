"""The send API: ``POST /api/v1/marketing/campaigns/<id>/send`` (202) starts sending a
campaign (optionally an A/B test: ``{"ab": {"subject_b", "sample_percent", "metric"}}``),
``GET …/send`` reads where it is, ``POST …/send/winner`` picks the A/B winner now.
Small sends are queued in the outbox before the answer (``crm outbox drain`` then sends
them); big ones in the job named by ``job_id``. A part of the marketing plugin.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    UtcDateTime,
    api_endpoint,
    get_scoped_or_404,
    get_session,
)

from ..models import Campaign
from . import ab, sending
from .models import METRICS, MailSend

SEND = "marketing.campaign.send"
VIEW = "marketing.campaign.view"
BASE = "/api/v1/marketing/campaigns/<int:campaign_id>/send"

api = Blueprint("marketing_mail_api", __name__)


class AbIn(Schema):
    """An A/B test of two subjects over a sample of the audience."""

    subject_b = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sample_percent = fields.Integer(required=True, validate=validate.Range(2, 100))
    metric = fields.String(load_default="opens", validate=validate.OneOf(METRICS))


class SendIn(Schema):
    """Sending a campaign (an empty body sends to everyone with the campaign's subject)."""

    ab = fields.Nested(AbIn, allow_none=True)


class VariantOut(Schema):
    """One subject variant's sample."""

    members = fields.Integer()
    sent = fields.Integer()
    opened = fields.Integer()
    clicked = fields.Integer()


class SendOut(Schema):
    """Where a campaign's send is."""

    campaign_id = fields.Integer()
    state = fields.String(metadata={"description": "queuing, waiting (A/B winner) or done"})
    phase = fields.String(metadata={"description": "all, sample or rest"})
    total = fields.Integer()
    queued = fields.Integer()
    members = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()
    unsubscribed = fields.Integer()
    subject_b = fields.String()
    sample_percent = fields.Integer()
    metric = fields.String()
    winner = fields.String()
    winner_at = UtcDateTime(allow_none=True)
    job_id = fields.Integer(allow_none=True)
    started_at = UtcDateTime()
    variants = fields.Dict(keys=fields.String(), values=fields.Nested(VariantOut))


def send_status(session: Session, send: MailSend) -> dict[str, Any]:
    """The send as ``SendOut`` shows it."""
    values = {name: getattr(send, name) for name in (
        "campaign_id", "state", "phase", "total", "queued", "subject_b", "sample_percent",
        "metric", "winner", "winner_at", "job_id", "started_at")}
    values.update(sending.counts(session, send.campaign_id))
    if send.subject_b:
        values["variants"] = ab.variant_counts(session, send.campaign_id)
    return values


def _campaign(campaign_id: int) -> Campaign:
    return get_scoped_or_404(Campaign, campaign_id, live_only=True)


def _sent(session: Session, campaign_id: int) -> MailSend:
    send = session.get(MailSend, campaign_id)
    if send is None:
        raise sending.SendError(None, _("This campaign has not been sent."), 404)
    return send


def start(session: Session, campaign: Campaign, user: Any, ab_values: dict[str, Any] | None
          ) -> MailSend:
    """Start the send, commit, and queue it (inline or in a job); the page and the API."""
    send = sending.start_send(session, campaign, user, ab_values)
    session.commit()
    job_id = ab.queue_rest(send, getattr(user, "id", None))
    if job_id is not None:
        send.job_id = job_id
        session.commit()
    session.refresh(send)
    return send


@api_endpoint(api, BASE, methods=["POST"], permission=SEND, body=SendIn, response=SendOut,
              status=202, tags=["marketing"], endpoint="send")
def send_campaign(body: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    """Send the campaign: freeze its audience and queue one mail per member."""
    session = get_session()
    send = start(session, _campaign(campaign_id), current_user, body.get("ab"))
    return send_status(session, send)


@api_endpoint(api, BASE, permission=VIEW, response=SendOut, tags=["marketing"],
              endpoint="send_status")
def send_state(campaign_id: int) -> dict[str, Any]:
    """Where the campaign's send is: queued, sent, failed; the A/B variants."""
    session = get_session()
    _campaign(campaign_id)
    return send_status(session, _sent(session, campaign_id))


@api_endpoint(api, f"{BASE}/winner", methods=["POST"], permission=SEND, response=SendOut,
              tags=["marketing"], endpoint="winner")
def pick_winner(campaign_id: int) -> dict[str, Any]:
    """Pick the A/B winner now and send it to the rest of the audience."""
    session = get_session()
    _campaign(campaign_id)
    send = _sent(session, campaign_id)
    ab.pick_winner(session, send, current_user)
    session.commit()
    send.job_id = ab.queue_rest(send, current_user.id) or send.job_id
    session.commit()
    session.refresh(send)
    return send_status(session, send)


def blueprints() -> list[Blueprint]:
    """The send API."""
    return [api]
