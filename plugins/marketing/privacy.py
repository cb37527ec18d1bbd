"""Personal data requests (PIPL) for marketing: consents, campaign recipients, event
registrations and logged responses.

Erasure keeps the rows campaigns are measured by (a recipient's stages, a consent event, a
registration's check-in) and blanks who they were: a recipient's and a consent event's
address become a placeholder that can never be delivered, the consent state of the address
goes (nothing is granted any more), a registration loses name, e-mail, phone, company and
answers, a response its address and the mention in its note. The kernel's suppression list
keeps the person out of every audience frozen later (``drop_suppressed``), even if their
address comes back with a new contact or a new consent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import privacy

from .events.models import Event, Registration
from .models import Campaign, CampaignMember, Consent, ConsentState
from .responses.models import Response


def _email_is(column: Any, person: Any) -> Any:
    return func.lower(column).in_(person.emails) if person.emails else None


def _either(*conditions: Any) -> Any:
    found = [condition for condition in conditions if condition is not None]
    if not found:
        return None
    condition = found[0]
    for more in found[1:]:
        condition = condition | more
    return condition


def _registration_condition(person: Any) -> Any:
    table = Registration.__table__
    contacts = person.ids("customers.contact")
    return _either(_email_is(table.c.email, person),
                   table.c.phone.in_(person.phones) if person.phones else None,
                   table.c.contact_id.in_(contacts) if contacts else None)


def _response_condition(person: Any) -> Any:
    table = Response.__table__
    customers = person.ids("customers.person")
    return _either(_email_is(table.c.email, person),
                   table.c.customer_id.in_(customers) if customers else None,
                   privacy.mentions(table.c.note, person))


def export(person: Any, session: Session) -> dict[str, list[dict[str, Any]]]:
    """Consent events, campaigns received, event registrations and responses."""
    consents = Consent.__table__
    members, campaigns = CampaignMember.__table__, Campaign.__table__
    registrations, events = Registration.__table__, Event.__table__
    responses = Response.__table__
    received = [] if not person.emails else [dict(row) for row in session.execute(
        select(campaigns.c.name.label("campaign"), members.c.status, members.c.sent_at,
               members.c.opened_at, members.c.clicked_at, members.c.unsubscribed_at)
        .join(campaigns, campaigns.c.id == members.c.campaign_id)
        .where(_email_is(members.c.email, person)).order_by(members.c.id)).mappings()]
    condition = _registration_condition(person)
    registered = [] if condition is None else [dict(row) for row in session.execute(
        select(registrations.c.id, campaigns.c.name.label("campaign"), events.c.place,
               registrations.c.name, registrations.c.email, registrations.c.phone,
               registrations.c.company, registrations.c.answers, registrations.c.consent,
               registrations.c.created_at, registrations.c.checked_in_at)
        .join(events, events.c.id == registrations.c.event_id)
        .join(campaigns, campaigns.c.id == registrations.c.campaign_id)
        .where(condition).order_by(registrations.c.id)).mappings()]
    return {
        "consents": privacy.rows(session, [consents.c.id, consents.c.email, consents.c.purpose,
                                           consents.c.granted, consents.c.source,
                                           consents.c.at], _email_is(consents.c.email, person)),
        "campaigns_received": received,
        "event_registrations": registered,
        "responses": privacy.rows(session, [responses.c.id, responses.c.campaign_id,
                                            responses.c.kind, responses.c.email,
                                            responses.c.note, responses.c.created_at],
                                  _response_condition(person)),
    }


def _placeholders(session: Session, erasure: Any, table: Any, condition: Any) -> int:
    """Give each matching row's ``email`` the erasure's undeliverable placeholder."""
    changed = 0
    for row_id in session.scalars(select(table.c.id).where(condition)):
        changed += privacy.write(session, update(table).where(table.c.id == row_id).values(
            email=erasure.placeholder_email(f"{table.name.rsplit('_', 1)[-1]}{row_id}")))
    return changed


def erase(person: Any, erasure: Any, session: Session) -> dict[str, int]:
    """Blank the person's consents, recipients, registrations and responses."""
    counts: dict[str, int] = {}
    consents, states = Consent.__table__, ConsentState.__table__
    if person.emails:
        counts["campaign_recipients"] = _placeholders(
            session, erasure, CampaignMember.__table__,
            _email_is(CampaignMember.__table__.c.email, person))
        counts["consents"] = _placeholders(session, erasure, consents,
                                           _email_is(consents.c.email, person))
        counts["consent_states"] = privacy.write(session, delete(states).where(
            _email_is(states.c.email, person)))
    condition = _registration_condition(person)
    if condition is not None:
        counts["event_registrations"] = privacy.write(
            session, update(Registration.__table__).where(condition).values(
                name=privacy.ERASED, email=None, phone=None, company="", answers=None))
    responses = Response.__table__
    counts["responses"] = 0
    for row in privacy.rows(session, [responses.c.id, responses.c.email, responses.c.note],
                            _response_condition(person)):
        values = {"note": person.scrub_names(person.scrub(row["note"])),
                  "email": "" if person.matches_email(row["email"]) else row["email"]}
        counts["responses"] += privacy.write(session, update(responses).where(
            responses.c.id == row["id"]).values(values))
    return counts


def drop_suppressed(session: Session, campaign_id: int) -> int:
    """Remove from a campaign's just-frozen audience every address on the kernel's
    suppression list (people whose data was erased); returns how many went."""
    if not privacy.any_suppressed(session, "email"):
        return 0  # nobody was erased: no need to hash the whole audience (half a million)
    table = CampaignMember.__table__
    rows = session.execute(select(table.c.id, table.c.email)
                           .where(table.c.campaign_id == campaign_id)).all()
    gone = privacy.suppressed_emails(session, [row.email for row in rows])
    doomed = [row.id for row in rows if row.email in gone]
    for start in range(0, len(doomed), 500):
        session.execute(delete(CampaignMember).where(
            CampaignMember.id.in_(doomed[start:start + 500])))
    return len(doomed)
