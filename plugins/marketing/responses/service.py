"""Recording responses to campaigns: the one writer of ``marketing_response``.

``record_response`` is called by the tracking (a call to action clicked), the event
registrations and the staff form "log a response". It stamps the recipient ``responded``
(``members.advance``), adds one to the campaign's kept total, announces the response with
marketing's hook ``campaign_response`` (sales opens or updates an opportunity that carries
the campaign id) and then refreshes the business sales attributes to the campaign. A click or
a registration of the same recipient (or address) counts once; responses logged by staff
always count. The caller commits.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, bump_total, emit, get_session, utcnow

from ..members import advance
from ..models import Campaign, CampaignMember
from .models import KINDS, CampaignTotal, Response

__all__ = ["ResponseError", "campaign_of_customer", "record_response"]

#: kinds that count once per recipient (a second click or registration is the same response)
ONCE = ("click", "registration")
NOTE_MAX = 2000


class ResponseError(DomainError):
    """A response refused; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _member(session: Session, campaign_id: int, member_id: int | None, email: str,
            contact_id: int | None, customer_id: int | None) -> CampaignMember | None:
    member_table = CampaignMember
    if member_id is not None:
        member = session.get(member_table, member_id)
        return member if member is not None and member.campaign_id == campaign_id else None
    query = select(member_table).where(member_table.campaign_id == campaign_id)
    if email:
        return session.scalar(query.where(member_table.email == email).limit(1))
    if contact_id is not None:
        return session.scalar(query.where(member_table.contact_id == contact_id)
                              .order_by(member_table.id).limit(1))
    if customer_id is not None:
        return session.scalar(query.where(member_table.customer_id == customer_id)
                              .order_by(member_table.id).limit(1))
    return None


def _earlier(session: Session, campaign_id: int, kind: str, member: CampaignMember | None,
             email: str) -> Response | None:
    if kind not in ONCE:
        return None
    if member is not None:
        return session.scalar(select(Response).where(Response.member_id == member.id,
                                                     Response.kind == kind).limit(1))
    if email:
        return session.scalar(select(Response).where(Response.campaign_id == campaign_id,
                                                     Response.email == email,
                                                     Response.kind == kind).limit(1))
    return None


def record_response(session: Session, *, campaign_id: int, kind: str,
                    email: str | None = None, customer_id: int | None = None,
                    contact_id: int | None = None, member_id: int | None = None,
                    user_id: int | None = None, note: str = "") -> Response:
    """Record that somebody responded to campaign ``campaign_id`` (``kind``: ``click``,
    ``registration`` or ``manual``) and answer the response row. The recipient is found from
    ``member_id``, else the address, contact or customer among the campaign's frozen
    audience (a response from outside the audience is kept without one). A repeated click or
    registration answers the first row and announces nothing again. Flushes; the caller
    commits. ``ResponseError`` for an unknown kind or campaign."""
    if kind not in KINDS:
        raise ResponseError("kind", _("Not a valid choice."))
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.deleted_at is not None:
        raise ResponseError("campaign_id", _("This campaign does not exist."))
    address = str(email or "").strip().lower()[:254]
    member = _member(session, campaign_id, member_id, address, contact_id, customer_id)
    if member is not None:
        address = address or member.email
        contact_id = contact_id if contact_id is not None else member.contact_id
        customer_id = customer_id if customer_id is not None else member.customer_id
    earlier = _earlier(session, campaign_id, kind, member, address)
    if earlier is not None:
        return earlier
    response = Response(campaign_id=campaign_id, kind=kind,
                        member_id=member.id if member is not None else None,
                        customer_id=customer_id, contact_id=contact_id, email=address,
                        user_id=user_id, note=str(note or "").strip()[:NOTE_MAX])
    session.add(response)
    session.flush()
    bump_total(session, CampaignTotal.__table__, {"campaign_id": campaign_id},
               {"responses": 1})
    if member is not None:
        advance(session, [member.id], "responded")
    emit("campaign_response", session, campaign_id=campaign_id, response_id=response.id,
         kind=kind, customer_id=customer_id, contact_id=contact_id, email=address)
    from ..evaluation.totals import refresh_sales_totals

    refresh_sales_totals(session, [campaign_id])
    return response


#: a new opportunity is attributed to the customer's latest response within this many days
ATTRIBUTION_DAYS = 90


def campaign_of_customer(customer_id: int | None, session: Session | None = None) -> int | None:
    """The campaign the customer responded to last within ``ATTRIBUTION_DAYS`` (sales asks
    it through ``sales_opportunity_campaign`` for an opportunity made without one)."""
    if not isinstance(customer_id, int) or isinstance(customer_id, bool):
        return None
    session = session or get_session()
    since = utcnow() - dt.timedelta(days=ATTRIBUTION_DAYS)
    return session.scalar(
        select(Response.campaign_id).join(Campaign, Campaign.id == Response.campaign_id)
        .where(Response.customer_id == customer_id, Response.created_at >= since,
               Campaign.deleted_at.is_(None))
        .order_by(Response.created_at.desc(), Response.id.desc()).limit(1))
