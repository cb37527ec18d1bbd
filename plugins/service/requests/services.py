"""A service request's rules: enter one (with its first ticket), change it, move it to the
trash with its tickets.

A request is numbered ``SR{yyyy}{mm}-{seq:04}`` by the kernel's numbering; it belongs to its
author and the author's department (the data scope of ``service.request``). ``received_at``
is when the call or visit really happened: an aware time (a form's local time is read in
the author's time zone), not in the future; it starts the first ticket's SLA clocks.
Services flush, the caller commits; a refused value raises ``RequestError`` naming its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    model_for_table,
    next_number,
    user_timezone,
    utcnow,
)
from plugins.customers import services as customers

from ..customer.flags import sync_complaint_flag
from ..models import CHANNELS, PRIORITIES, REQUEST_TYPES, ServiceRequest, Ticket
from ..tickets.services import create_ticket

NUMBER_KEY = "service.request"
NUMBER_PATTERN = "SR{yyyy}{mm}-{seq:04}"
TEXT_LIMITS = {"subject": 200, "content": 10000}
CHOICES = {"type": REQUEST_TYPES, "channel": CHANNELS, "priority": PRIORITIES}
#: How far ahead of the server's clock a receipt may lie (clocks differ a little).
CLOCK_SKEW = dt.timedelta(minutes=5)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class RequestError(DomainError):
    """A refused request change; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(values: dict[str, Any], name: str, *, required: bool = False) -> str:
    text = str(values.get(name) or "").strip()
    if required and not text:
        raise RequestError(name, _("This field is required."))
    if len(text) > TEXT_LIMITS[name]:
        raise RequestError(name, _("At most %(n)d characters.", n=TEXT_LIMITS[name]))
    return text


def _choice(values: dict[str, Any], name: str, default: str) -> str:
    value = values.get(name) or default
    if value not in CHOICES[name]:
        raise RequestError(name, _("Not a valid choice."))
    return value


def received_time(value: Any, user: Any) -> dt.datetime:
    """When the request came in, in UTC: ``value`` (aware, or naive local time of ``user``'s
    zone, as a form sends it), default now; refused in the future or before 2000."""
    if value is None:
        return utcnow()
    if not isinstance(value, dt.datetime):
        raise RequestError("received_at", _("Not a valid date and time."))
    if value.tzinfo is None:
        value = value.replace(tzinfo=user_timezone(user))
    try:
        value = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 moved past the calendar's ends
        raise RequestError("received_at", _("Not a valid date and time.")) from None
    if value > utcnow() + CLOCK_SKEW:
        raise RequestError("received_at", _("A request cannot be received in the future."))
    if value < EARLIEST:
        raise RequestError("received_at", _("Not a valid date and time."))
    return value


def _customer(session: Session, customer_id: Any, user: Any) -> Any:
    try:
        return customers.get_customer(session, customer_id, user=user)
    except customers.CustomerNotFound:
        raise RequestError("customer_id", _("Not a valid choice.")) from None


def _contact(session: Session, contact_id: Any, customer_id: int) -> int | None:
    if contact_id is None:
        return None
    contact = model_for_table(customers.CONTACT_TABLE)
    found = session.scalar(select(contact.id).where(contact.id == contact_id,
                                                    contact.customer_id == customer_id)) \
        if isinstance(contact_id, int) else None
    if found is None:
        raise RequestError("contact_id", _("Choose one of the customer's contacts."))
    return found


def create_request(session: Session, values: dict[str, Any], user: Any, *,
                   columns: dict[str, Any] | None = None) -> ServiceRequest:
    """A new request of a customer ``user`` may see, numbered, with its first ticket (in
    the author's department's team; due by the SLA policy from ``received_at``).
    ``columns`` are set by the caller itself, never from input (the public form's
    ``department_id`` and ``requester_*``)."""
    customer = _customer(session, values.get("customer_id"), user)
    received_at = received_time(values.get("received_at"), user)
    request = ServiceRequest(**{
        "type": _choice(values, "type", "inquiry"),
        "channel": _choice(values, "channel", "phone"), "customer_id": customer.id,
        "contact_id": _contact(session, values.get("contact_id"), customer.id),
        "subject": _text(values, "subject", required=True),
        "content": _text(values, "content"), "priority": _choice(values, "priority", "normal"),
        "received_at": received_at, "owner_id": getattr(user, "id", None),
        "department_id": getattr(user, "department_id", None), **(columns or {})})
    request.number = next_number(session, NUMBER_KEY, NUMBER_PATTERN)
    session.add(request)
    session.flush()
    create_ticket(session, request, user, team_id=values.get("team_id"), start=received_at,
                  customer_level=customer.level or "")
    session.expire(request, ["tickets"])
    sync_complaint_flag(session, request)
    return request


def update_request(session: Session, request: ServiceRequest, values: dict[str, Any],
                   user: Any) -> ServiceRequest:
    """Change a request's fields (the Resource's update). A new customer is one ``user`` may
    see, and its tickets follow it; the tickets keep their own priorities."""
    previous_customer_id = request.customer_id
    if "customer_id" in values and values["customer_id"] != request.customer_id:
        request.customer_id = _customer(session, values["customer_id"], user).id
        for ticket in session.scalars(select(Ticket).where(Ticket.request_id == request.id)):
            ticket.customer_id = request.customer_id  # row by row: the log sees each
    if "contact_id" in values:
        request.contact_id = _contact(session, values["contact_id"], request.customer_id)
    for name in ("subject", "content"):
        if name in values:
            setattr(request, name, _text(values, name, required=name == "subject"))
    for name in CHOICES:
        if name in values and values[name] is not None:
            setattr(request, name, _choice(values, name, getattr(request, name)))
    if "received_at" in values and values["received_at"] is not None:
        request.received_at = received_time(values["received_at"], user)
    session.flush()
    sync_complaint_flag(session, request, previous_customer_id=previous_customer_id)
    return request


def delete_request(session: Session, request: ServiceRequest, user: Any) -> None:
    """Move the request and its tickets to the trash."""
    now = utcnow()
    request.deleted_at = now
    for ticket in session.scalars(select(Ticket).where(Ticket.request_id == request.id,
                                                       Ticket.deleted_at.is_(None))):
        ticket.deleted_at = now
    session.flush()
    sync_complaint_flag(session, request)
