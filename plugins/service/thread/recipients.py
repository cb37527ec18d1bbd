"""Whom a ticket's mail goes to: the customer's person for this request.

The request's contact when it has an e-mail address, else the customer's primary contact's,
else any of its contacts' (the oldest). Read through the contacts table the customers plugin
names for other plugins (``CONTACT_TABLE``); mail to a customer without an address is not
sent (the caller says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import model_for_table

from ..models import ServiceRequest, Ticket

CONTACT_TABLE = "customers_contact"


@dataclass(frozen=True)
class Recipient:
    """A name and an e-mail address to write to."""

    name: str
    email: str


def customer_address(session: Session, ticket: Ticket) -> Recipient | None:
    """Who receives the customer's mail about ``ticket``, or None when nobody has an
    address."""
    contact = model_for_table(CONTACT_TABLE)
    contact_id = session.scalar(select(ServiceRequest.contact_id).where(
        ServiceRequest.id == ticket.request_id))
    if contact_id is not None:
        row = session.execute(select(contact.name, contact.email).where(
            contact.id == contact_id)).first()
        if row is not None and row.email:
            return Recipient(row.name, row.email)
    row = session.execute(
        select(contact.name, contact.email)
        .where(contact.customer_id == ticket.customer_id, contact.email != "")
        .order_by(contact.is_primary.desc(), contact.id).limit(1)).first()
    return Recipient(row.name, row.email) if row is not None else None
