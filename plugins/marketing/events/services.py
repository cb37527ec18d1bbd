"""An event's rules: its registration settings, whether it takes registrations, its counts,
and checking a registrant in by the code of their ticket.

Services flush, the caller commits; refused input raises an ``EventError`` naming its field
(``RegistrationError`` carries messages per field). Registering lives in ``register``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, DomainError, stored_time, utcnow

from ..models import Campaign
from .models import Event, Registration
from .questions import parse_questions

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
#: ticket codes: no 0/O or 1/I/L, so a code read aloud or typed from paper is not mistaken
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
TEXT_LIMITS = {"place": 200, "schedule": 200, "intro": 5000}
LIST_MAX = 5000


class EventError(DomainError):
    """A refused event change; ``field`` names the field."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class EventNotFound(DomainError):
    """No event has this address (or its campaign is gone)."""

    status = 404


class RegistrationError(DomainError):
    """Refused registration input: ``errors`` maps each field to its messages."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(_("Please correct the marked fields."))
        self.errors = errors


class RegistrationClosed(DomainError):
    """The event takes no registrations now (closed, past its deadline, or full)."""

    status = 409

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def new_key() -> str:
    """A fresh public key for an event's page (96 random bits)."""
    return secrets.token_urlsafe(12)


def new_code(session: Session) -> str:
    """A ticket code no registration has yet."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if session.scalar(select(Registration.id).where(Registration.code == code)) is None:
            return code


def normal_code(text: Any) -> str:
    """A typed or scanned code as stored: upper case, spaces and hyphens dropped ("" for
    anything that cannot be one)."""
    code = re.sub(r"[\s-]", "", str(text or "")[:100]).upper()
    return code if re.fullmatch(r"[A-Z0-9]{4,16}", code) else ""


def event_of(session: Session, campaign_id: int) -> Event | None:
    """The campaign's event settings, None before they are first saved."""
    return session.scalar(select(Event).where(Event.campaign_id == campaign_id))


def _clean_settings(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "capacity" in values:
        capacity = values["capacity"]
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                     or not 1 <= capacity <= INT32_MAX):
            raise EventError("capacity", _("Enter a whole number of seats, or leave it "
                                           "empty for no limit."))
        clean["capacity"] = capacity
    if "deadline" in values:
        deadline = values["deadline"]
        if deadline is not None and (not isinstance(deadline, dt.datetime)
                                     or deadline.tzinfo is None):
            raise EventError("deadline", _("Enter a date and time."))
        clean["deadline"] = deadline.astimezone(dt.UTC) if deadline else None
    for name, limit in TEXT_LIMITS.items():
        if name in values:
            text = str(values[name] or "").strip()
            if len(text) > limit or not text.replace("\n", " ").replace("\r", "").isprintable():
                raise EventError(name, _("At most %(n)d characters of text.", n=limit))
            clean[name] = text
    if "questions" in values:
        questions = values["questions"]
        clean["questions"] = parse_questions(questions) if isinstance(questions, str) \
            else questions
    if "is_open" in values:
        clean["is_open"] = bool(values["is_open"])
    return clean


def save_settings(session: Session, campaign: Campaign, values: dict[str, Any]) -> Event:
    """Create or change the registration settings of an event campaign (``capacity``,
    ``deadline`` aware, ``place``, ``schedule``, ``intro``, ``questions`` as text or a list,
    ``is_open``). The public key is made once and never changes."""
    if campaign.type != "event":
        raise EventError("type", _("Only a campaign of type event takes registrations."))
    clean = _clean_settings(values)
    event = event_of(session, campaign.id)
    if event is None:
        event = Event(campaign_id=campaign.id, key=new_key(), questions=[], is_open=False)
        session.add(event)
    if "capacity" in clean and clean["capacity"] is not None:
        taken = registered_count(session, event) if event.id else 0
        if clean["capacity"] < taken:
            raise EventError("capacity", _("%(n)d people have registered already: the "
                                           "capacity cannot be lower.", n=taken))
    for name, value in clean.items():
        setattr(event, name, value)
    session.flush()
    return event


def find_event(session: Session, key: Any) -> tuple[Event, Campaign]:
    """The event at ``/m/events/<key>`` and its campaign, else ``EventNotFound``."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise EventNotFound(_("There is no such event."))
    row = session.execute(select(Event, Campaign).join(Campaign, Campaign.id == Event.campaign_id)
                          .where(Event.key == key, Campaign.deleted_at.is_(None),
                                 Campaign.type == "event")).first()
    if row is None:
        raise EventNotFound(_("There is no such event."))
    return row[0], row[1]


def registered_count(session: Session, event: Event) -> int:
    """How many people have registered for ``event``."""
    return session.scalar(select(func.count()).select_from(Registration)
                          .where(Registration.event_id == event.id)) or 0


@dataclass(frozen=True)
class Counts:
    """An event's figures: registered, capacity (None: no limit), checked in."""

    registered: int
    capacity: int | None
    checked_in: int

    @property
    def left(self) -> int | None:
        """Seats left (None: no limit)."""
        return None if self.capacity is None else max(0, self.capacity - self.registered)


def counts(session: Session, event: Event) -> Counts:
    """The event's registered / capacity / checked-in figures."""
    registered, checked = session.execute(
        select(func.count(), func.count(Registration.checked_in_at))
        .where(Registration.event_id == event.id)).one()
    return Counts(registered or 0, event.capacity, checked or 0)


def closed_reason(session: Session, event: Event, now: dt.datetime | None = None
                  ) -> RegistrationClosed | None:
    """Why the event takes no registration now (None: it does)."""
    if not event.is_open:
        return RegistrationClosed("closed", _("Registration for this event is closed."))
    deadline = stored_time(event.deadline)
    if deadline is not None and (now or utcnow()) > deadline:
        return RegistrationClosed("deadline", _("The registration deadline has passed."))
    if event.capacity is not None and registered_count(session, event) >= event.capacity:
        return RegistrationClosed("full", _("This event is full: all %(n)d seats are taken.",
                                            n=event.capacity))
    return None


def registrations(session: Session, event: Event, limit: int = LIST_MAX, offset: int = 0
                  ) -> list[Registration]:
    """The event's registrants, in the order they registered."""
    return list(session.scalars(select(Registration).where(Registration.event_id == event.id)
                                .order_by(Registration.id).offset(offset).limit(limit)))


@dataclass(frozen=True)
class CheckIn:
    """A check-in's answer: ``checked_in`` now, ``already`` (at ``registration.
    checked_in_at``) or ``unknown`` (no registrant of this event has the code)."""

    status: str
    registration: Registration | None = None


def check_in(session: Session, event: Event, code: Any, user: Any) -> CheckIn:
    """Check the registrant with ``code`` in at ``event`` (once: a second scan answers
    ``already`` with the first time)."""
    clean = normal_code(code)
    registration = session.scalar(select(Registration).where(
        Registration.event_id == event.id, Registration.code == clean)) if clean else None
    if registration is None:
        return CheckIn("unknown")
    if registration.checked_in_at is not None:
        return CheckIn("already", registration)
    # conditional: of two phones scanning the same ticket at once, one checks it in
    done = session.execute(update(Registration).where(
        Registration.id == registration.id, Registration.checked_in_at.is_(None)).values(
        checked_in_at=utcnow(), checked_in_by=getattr(user, "id", None)))
    session.refresh(registration)
    return CheckIn("checked_in" if done.rowcount else "already", registration)
