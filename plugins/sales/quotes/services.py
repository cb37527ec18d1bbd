"""A quote's rules: create and change it with its lines, move it through its states, turn it
into an order. The only module that writes quotes; the caller commits.

States: draft → sent → accepted or rejected; a draft or sent quote past its validity date
is *expired* (``status_of`` says so at once; the daily task ``sales.expire_quotes`` stores
it); an accepted (or still open) quote turned into an order is *ordered*, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, next_number, scoped, to_user_time, utcnow

from .. import money
from ..models import Opportunity, Quote, QuoteLine
from ..settings import values as settings
from . import lines as line_input

OPEN = ("draft", "sent")
#: status → the statuses a user may move it to by hand
MOVES = {"draft": ("sent", "accepted", "rejected"), "sent": ("accepted", "rejected", "draft"),
         "accepted": ("sent",), "rejected": ("sent",), "expired": (), "ordered": ()}
CONVERTIBLE = ("draft", "sent", "accepted")
WRITABLE = ("customer_id", "opportunity_id", "valid_until", "notes")


class QuoteFieldError(DomainError):
    """A value refused under ``field`` (the form shows it there, the API names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class QuoteStateError(DomainError):
    """A change the quote's state does not allow (409)."""

    status = 409
    field = "status"


def today() -> dt.date:
    """Today in the signed-in user's time zone (else ``CRM_DEFAULT_TIMEZONE``): the day a
    validity date is counted from and compared with."""
    return to_user_time(utcnow()).date()


def status_of(quote: Quote, on: dt.date | None = None) -> str:
    """The quote's status as a user should see it: ``expired`` once an open quote's validity
    date is past, else the stored one."""
    if quote.status in OPEN and quote.valid_until is not None \
            and quote.valid_until < (on or today()):
        return "expired"
    return quote.status


def quote_lines(session: Session, quote_id: int) -> list[QuoteLine]:
    """The quote's lines in order."""
    return list(session.scalars(select(QuoteLine).where(QuoteLine.quote_id == quote_id)
                                .order_by(QuoteLine.position, QuoteLine.id)))


def _set_lines(session: Session, quote: Quote, raw_lines: Any, user: Any) -> None:
    rows = line_input.read_lines(session, raw_lines, quote.customer_id, user)
    session.execute(delete(QuoteLine).where(QuoteLine.quote_id == quote.id))
    session.add_all([QuoteLine(quote_id=quote.id, **row.columns()) for row in rows])
    amounts = money.document_amounts(row.amounts() for row in rows)
    quote.untaxed_amount, quote.tax_amount = amounts.untaxed, amounts.tax
    quote.total_amount = amounts.total


def _opportunity(session: Session, opportunity_id: int | None, user: Any) -> Any:
    if opportunity_id is None:
        return None
    found = session.scalar(scoped(select(Opportunity), Opportunity, user)
                           .where(Opportunity.id == opportunity_id,
                                  Opportunity.deleted_at.is_(None)))
    if found is None:
        raise QuoteFieldError("opportunity_id", _("Not a valid choice."))
    return found


def _check_customer(opportunity: Any, customer_id: int | None) -> None:
    if opportunity is not None and customer_id is not None \
            and opportunity.customer_id != customer_id:
        raise QuoteFieldError("opportunity_id",
                              _("The opportunity belongs to another customer."))


def create_quote(session: Session, values: Mapping[str, Any], user: Any) -> Quote:
    """A new draft quote for ``values["customer_id"]`` (or the opportunity's customer), owned
    by ``user`` in their department, numbered from the quote series, valid for the
    settings' days unless ``valid_until`` is given; ``values["lines"]`` are its lines."""
    opportunity = _opportunity(session, values.get("opportunity_id"), user)
    customer_id = values.get("customer_id") or (opportunity.customer_id if opportunity
                                                else None)
    if customer_id is None:
        raise QuoteFieldError("customer_id", _("Choose a customer."))
    _check_customer(opportunity, customer_id)
    valid_until = values.get("valid_until") or \
        today() + dt.timedelta(days=settings.quote_validity_days())
    quote = Quote(number=next_number(session, "sales.quote", settings.number_pattern("quote")),
                  customer_id=customer_id, opportunity_id=values.get("opportunity_id"),
                  valid_until=valid_until, notes=values.get("notes") or "", status="draft",
                  owner_id=getattr(user, "id", None),
                  department_id=getattr(user, "department_id", None))
    session.add(quote)
    session.flush()
    _set_lines(session, quote, values.get("lines") or [], user)
    session.flush()
    return quote


def update_quote(session: Session, quote: Quote, values: Mapping[str, Any],
                 user: Any) -> Quote:
    """Change an open quote's customer, opportunity, validity, notes and (when given) lines;
    an ordered, accepted, rejected or expired quote is refused."""
    if status_of(quote) not in OPEN:
        raise QuoteStateError(_("Only a draft or sent quote can be changed."))
    changes = {name: values[name] for name in WRITABLE if name in values}
    if "opportunity_id" in changes:
        opportunity = _opportunity(session, changes["opportunity_id"], user)
        _check_customer(opportunity, changes.get("customer_id", quote.customer_id))
    elif "customer_id" in changes and quote.opportunity_id is not None:
        _check_customer(session.get(Opportunity, quote.opportunity_id),
                        changes["customer_id"])
    for name, value in changes.items():
        if name == "notes":
            value = value or ""
        if name == "valid_until" and value is None:
            continue
        setattr(quote, name, value)
    if "lines" in values and values["lines"] is not None:
        _set_lines(session, quote, values["lines"], user)
    session.flush()
    return quote


def move(session: Session, quote: Quote, status: str) -> Quote:
    """Move the quote to ``status`` by hand (sent, accepted, rejected, back to draft)."""
    current = status_of(quote)
    if status not in MOVES.get(current, ()):
        raise QuoteStateError(_("A quote that is “%(now)s” cannot become “%(then)s”.",
                                now=_status_label(current), then=_status_label(status)))
    quote.status = status
    session.flush()
    return quote


def _status_label(status: str) -> str:
    from ..models.documents import QUOTE_STATUS_LABELS

    return str(QUOTE_STATUS_LABELS.get(status, status))


def convert_to_order(session: Session, quote: Quote, user: Any) -> Any:
    """Create the order of ``quote`` with the same lines (``orders.services.create_order``),
    link them both ways and mark the quote ordered. Refused once the quote is ordered,
    rejected or expired; the version lock stops two conversions at once."""
    if quote.order_id is not None or status_of(quote) not in CONVERTIBLE:
        raise QuoteStateError(_("This quote was already turned into an order.")
                              if quote.order_id is not None or quote.status == "ordered"
                              else _("Only a draft, sent or accepted quote can become an "
                                     "order."))
    lines = quote_lines(session, quote.id)
    if not lines:
        raise QuoteStateError(_("A quote without lines cannot become an order."))
    from ..orders.services import create_order

    order = create_order(session, quote.customer_id, line_input.line_values(lines), user,
                         quote_id=quote.id, opportunity_id=quote.opportunity_id,
                         notes=quote.notes, owner_id=quote.owner_id,
                         department_id=quote.department_id)
    quote.order_id = order.id
    quote.status = "ordered"
    session.flush()
    return order


def expire_quotes(session: Session, on: dt.date | None = None) -> int:
    """Store ``expired`` on every open quote past its validity date; how many changed."""
    # row by row through the ORM, so the operation log records each change
    expired = session.scalars(select(Quote).where(
        Quote.status.in_(OPEN), Quote.valid_until < (on or today()),
        Quote.deleted_at.is_(None)).order_by(Quote.id)).all()
    for quote in expired:
        quote.status = "expired"
    session.flush()
    return len(expired)
