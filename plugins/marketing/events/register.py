"""A person registers for an event on its public page.

One registration at a time per event: the event's row is locked first (an UPDATE that
changes nothing: PostgreSQL locks the row, SQLite takes its one write lock), so two people
racing for the last seat get one seat and one "full", and the same person sending twice gets
the first registration back, not a second one. Then the registrant is matched to a customer
and contact (customers' ``match_or_create_customer``), their consent to marketing e-mail is
written to the ledger, their audience member (if the address was in the campaign's frozen
audience) moves to "registered", and a response is recorded for the campaign's report.

A visitor is nobody: the writes run as the system (``system_context``); the operation log
names ``system:public event registration``. The caller commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import phonenumbers
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, system_context
from plugins.customers.services import match_or_create_customer

from ..consents import ConsentError, normal_email, record_consent
from ..members import advance
from ..models import Campaign, CampaignMember
from .models import Event, Registration
from .questions import check_answers
from .services import RegistrationError, closed_reason, new_code

log = logging.getLogger(__name__)

REASON = "public event registration"
LIMITS = {"name": 100, "phone": 40, "email": 254, "company": 200}


@dataclass(frozen=True)
class Outcome:
    """A registration: the new one, or (``duplicate``) the one this person already had."""

    registration: Registration
    duplicate: bool = False


def _phone(text: str) -> str:
    """The number in E.164 (a Chinese number without its +86 works); ValueError if none."""
    number = phonenumbers.parse(text, "CN")
    if not phonenumbers.is_possible_number(number):
        raise ValueError(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_values(event: Event, values: dict[str, Any]) -> dict[str, Any]:
    """The form's values cleaned: ``name``, ``phone`` (E.164) and ``email`` (lower case;
    "" when not given), ``company``, ``consent`` and ``answers``; else ``RegistrationError``
    naming every refused field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        raw = values.get(name)
        if raw is not None and not isinstance(raw, str):
            errors[name] = [_("Send text here.")]
            continue
        text = " ".join((raw or "").split())
        if len(text) > limit or not text.isprintable():
            errors[name] = [_("At most %(n)d characters of text.", n=limit)]
        clean[name] = text
    if not errors.get("name") and not clean.get("name"):
        errors["name"] = [_("Enter your name.")]
    if clean.get("email"):
        try:
            clean["email"] = normal_email(clean["email"])
        except ConsentError as error:
            errors["email"] = [str(error)]
    if clean.get("phone"):
        try:
            clean["phone"] = _phone(clean["phone"])
        except (phonenumbers.NumberParseException, ValueError):
            errors["phone"] = [_("Enter a phone number such as 138 1234 5678.")]
    if not errors and not clean.get("phone") and not clean.get("email"):
        errors["email"] = [_("Enter an e-mail address or a phone number.")]
    clean["consent"] = values.get("consent") in (True, "y", "yes", "on", "1", "true")
    if clean["consent"] and not clean.get("email") and "email" not in errors:
        errors["consent"] = [_("Enter your e-mail address to receive our e-mails.")]
    clean["answers"], answer_errors = check_answers(event.questions, values)
    errors.update(answer_errors)
    if errors:
        raise RegistrationError(errors)
    return clean


def _lock(session: Session, event: Event) -> None:
    session.execute(update(Event).where(Event.id == event.id)
                    .values(key=Event.key, updated_at=Event.updated_at)
                    .execution_options(synchronize_session=False))


def existing_registration(session: Session, event: Event, email: str, phone: str
                          ) -> Registration | None:
    """This person's registration for ``event`` (same e-mail or same phone), if any."""
    keys = [column == value for column, value in ((Registration.email, email),
                                                   (Registration.phone, phone)) if value]
    if not keys:
        return None
    return session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                     or_(*keys))
                          .order_by(Registration.id).limit(1))


def register(session: Session, event: Event, campaign: Campaign, values: dict[str, Any]
             ) -> Outcome:
    """Register a person (``name``, ``phone``, ``email``, ``company``, ``consent``, and the
    answers by question id) for ``event``: their earlier registration when they have one,
    else a new one with its ticket code. Raises ``RegistrationError`` (input) or
    ``RegistrationClosed`` (closed, past the deadline, full); the caller commits."""
    clean = check_values(event, values)
    with system_context(REASON):
        _lock(session, event)
        earlier = existing_registration(session, event, clean["email"], clean["phone"])
        if earlier is not None:
            return Outcome(earlier, duplicate=True)
        closed = closed_reason(session, event)
        if closed is not None:
            raise closed
        try:
            match = match_or_create_customer(
                session, name=clean["name"], phone=clean["phone"], email=clean["email"],
                company=clean["company"], source=campaign.name[:50], reason=REASON)
        except DomainError as error:
            raise RegistrationError({getattr(error, "field", None) or "name": [str(error)]}
                                    ) from error
        member_id = session.scalar(select(CampaignMember.id).where(
            CampaignMember.campaign_id == campaign.id,
            CampaignMember.email == clean["email"])) if clean["email"] else None
        registration = Registration(
            event_id=event.id, campaign_id=campaign.id, code=new_code(session),
            name=clean["name"], email=clean["email"] or None, phone=clean["phone"] or None,
            company=clean["company"], answers=clean["answers"], consent=clean["consent"],
            customer_id=match.customer.id, contact_id=match.contact.id if match.contact else None,
            member_id=member_id)
        session.add(registration)
        session.flush()
        if clean["consent"]:
            record_consent(session, {"email": clean["email"], "granted": True,
                                     "contact_id": registration.contact_id,
                                     "source": f"event registration {campaign.id}"[:100]}, None)
        if member_id is not None:
            advance(session, [member_id], "registered")
        _record_response(session, registration)
    log.info("event %s: registration %s (customer %s)", event.id, registration.id,
             registration.customer_id)
    return Outcome(registration)


def _record_response(session: Session, registration: Registration) -> None:
    """The registration as a response of the campaign (responses are the ROI part's)."""
    try:
        from ..responses.service import record_response
    except ImportError:  # the responses part is not installed yet: nothing to record
        log.warning("marketing responses are not available; registration %s not recorded "
                    "as a response", registration.id)
        return
    record_response(session, campaign_id=registration.campaign_id, kind="registration",
                    email=registration.email, customer_id=registration.customer_id,
                    contact_id=registration.contact_id, member_id=registration.member_id)
