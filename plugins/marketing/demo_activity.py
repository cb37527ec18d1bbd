"""Demo activity of the seeded campaigns (``demo.py`` calls it): recipients, the funnel's
stamps, responses and, with sales enabled, won opportunities.

Recipients are contacts with an address (up to ``RECIPIENTS`` per campaign, a different
slice each); of those sent, about 40 % open, a quarter of the openers click, a third of the
clickers respond (a call to action) and one in a hundred unsubscribes. Responses open
opportunities through sales' ``campaign_response``; half of those of completed and
evaluated campaigns are won (sales' public ``change_stage`` into its won stage).
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, model_for_table, plugin_enabled
from plugins.customers.services import CONTACT_TABLE

from .members import advance
from .models import Campaign, CampaignMember
from .responses.models import Response
from .responses.service import record_response

log = logging.getLogger(__name__)
RECIPIENTS = 40
RAN = ("running", "completed", "evaluated")
WON_STAGE = "赢单"  # the default pipeline's won stage (sales' migration)


def _moment(campaign: Campaign, rng: random.Random) -> dt.datetime:
    start = campaign.start_date or dt.date.today()
    day = min(dt.date.today(), start + dt.timedelta(days=rng.randint(0, 20)))
    return dt.datetime.combine(day, dt.time(rng.randint(8, 20), rng.randint(0, 59)), dt.UTC)


def _recipients(session: Session, campaign: Campaign, offset: int) -> list[CampaignMember]:
    contact = model_for_table(CONTACT_TABLE)
    rows = session.execute(select(contact.id, contact.customer_id, contact.email)
                           .where(contact.email != "").order_by(contact.id)
                           .offset(offset).limit(RECIPIENTS)).all()
    seen: set[str] = set()
    members = []
    for contact_id, customer_id, email in rows:
        address = email.strip().lower()
        if address in seen:
            continue
        seen.add(address)
        members.append(CampaignMember(campaign_id=campaign.id, contact_id=contact_id,
                                      customer_id=customer_id, email=address,
                                      created_at=_moment(campaign, random.Random(contact_id))))
    session.add_all(members)
    campaign.frozen_at = members[0].created_at if members else None
    session.flush()
    return members


def _win(session: Session, campaign: Campaign, rng: random.Random) -> None:
    if campaign.state not in ("completed", "evaluated") or not plugin_enabled("sales"):
        return
    from plugins.sales.services import OPPORTUNITY_TABLE, change_stage

    opportunity = model_for_table(OPPORTUNITY_TABLE)
    for row in session.scalars(select(opportunity).where(
            opportunity.campaign_id == campaign.id, opportunity.status == "open")):
        if rng.random() < 0.5:
            try:
                change_stage(session, row, WON_STAGE, None,
                             {"amount": str(rng.choice((12_000, 38_000, 65_000, 120_000)))})
            except DomainError as error:
                log.info("Demo opportunity %s not won: %s", row.id, error)


def add_activity(session: Session, campaigns: list[Campaign], rng: random.Random) -> int:
    """Recipients, stamps and responses for the ``campaigns`` that ran; how many responses."""
    responses = 0
    for number, campaign in enumerate(campaigns):
        if campaign.state not in RAN:
            continue
        members = _recipients(session, campaign, (number * 7) % 200)
        sent = [member.id for member in members]
        advance(session, sent, "sent", _moment(campaign, rng))
        opened = [member_id for member_id in sent if rng.random() < 0.4]
        advance(session, opened, "opened", _moment(campaign, rng))
        clicked = [member_id for member_id in opened if rng.random() < 0.25]
        advance(session, clicked, "clicked", _moment(campaign, rng))
        advance(session, [member_id for member_id in sent if rng.random() < 0.01],
                "unsubscribed", _moment(campaign, rng))
        for member_id in clicked:
            if rng.random() < 0.34 or member_id == clicked[0]:
                response = record_response(session, campaign_id=campaign.id, kind="click",
                                           member_id=member_id)
                session.execute(update(Response).where(Response.id == response.id)
                                .values(created_at=_moment(campaign, rng)))
                responses += 1
        _win(session, campaign, rng)
    session.flush()
    return responses
