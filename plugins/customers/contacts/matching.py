"""The customer and contact behind a phone number or an e-mail address, found or created:
what a public web form or another inbound channel (a service request, an event
registration) needs, so that a person who writes again is recognised instead of entered
twice.

A match is exact: the number (E.164) or the address (lower case) of a live customer, or of
a contact of one. The candidates come from the search index (which holds the customers'
and their contacts' numbers and addresses), read across every scope: the caller is a
system path (no user is signed in on a public form). Two submissions of the same person at
once must not both create: the look-up and the creation are serialised per number or
address (a PostgreSQL advisory lock; on SQLite the write lock is taken first).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from crm_core.toolkit import system_context

from ..models import Contact, Customer
from ..names import infer_kind
from ..records.services import create_customer
from ..search.services import search_customers
from ..validation import FieldError, normalise_email, normalise_phone
from .services import add_contact

__all__ = ["CustomerMatch", "match_or_create_customer"]

_CANDIDATES = 20


@dataclass(frozen=True)
class CustomerMatch:
    """The customer found or created, the contact (None for a person customer matched or
    made by its own number), and what was created."""

    customer: Customer
    contact: Contact | None
    created_customer: bool = False
    created_contact: bool = False


def _serialise(session: Session, key: str) -> None:
    """Let one transaction at a time look up and create for ``key``."""
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(),
                                "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})
    else:  # SQLite has one writer: take the write lock before reading
        session.execute(update(Customer).where(Customer.id == -1).values(id=Customer.id))


def _contact_with(contacts: list[Contact], number: str, address: str) -> Contact | None:
    for contact in contacts:
        if (number and number in (contact.phones or [])) or (
                address and (contact.email or "").lower() == address):
            return contact
    return None


def _find(session: Session, number: str, address: str) -> CustomerMatch | None:
    candidates: dict[int, Customer] = {}
    for key in (number, address):
        if key:
            for customer in search_customers(session, key, user=None, limit=_CANDIDATES):
                candidates.setdefault(customer.id, customer)
    if not candidates:
        return None
    contacts: dict[int, list[Contact]] = {}
    for contact in session.scalars(select(Contact).where(
            Contact.customer_id.in_(sorted(candidates))).order_by(Contact.id)):
        contacts.setdefault(contact.customer_id, []).append(contact)
    for customer_id in sorted(candidates):  # the oldest record first: the one people know
        contact = _contact_with(contacts.get(customer_id, []), number, address)
        if contact is not None:
            return CustomerMatch(candidates[customer_id], contact)
    for customer_id in sorted(candidates):
        customer = candidates[customer_id]
        if (number and number in customer.phones) or (address and address in customer.emails):
            return CustomerMatch(customer, None)
    return None


def match_or_create_customer(session: Session, *, name: str, phone: str = "",
                             email: str = "", company: str = "", source: str = "",
                             owner_id: int | None = None,
                             reason: str = "inbound contact") -> CustomerMatch:
    """The live customer (and contact) whose phone or e-mail is ``phone`` or ``email``, else
    a new one: a company named ``company`` with ``name`` as its primary contact, or, without
    a company, a customer named ``name`` (a person when the name reads as one, e.g. 王晓燕).
    A matched company whose own number or address was given gains ``name`` as a contact.
    Runs as the system (``reason`` names the channel in the operation log: no user is signed
    in on a public form). Refuses (``FieldError``) a missing name, or neither a phone nor an
    e-mail; the caller commits."""
    name = " ".join((name or "").split())
    company = " ".join((company or "").split())
    if not name:
        raise FieldError("name", _("Enter your name."))
    number = normalise_phone(phone, "phone") if (phone or "").strip() else ""
    address = normalise_email(email, "email") if (email or "").strip() else ""
    if not number and not address:
        raise FieldError("phone", _("Enter a phone number or an e-mail address."))
    with system_context(reason):
        _serialise(session, number or address)
        return _match_or_create(session, name, company, number, address, source, owner_id)


def _match_or_create(session: Session, name: str, company: str, number: str, address: str,
                     source: str, owner_id: int | None) -> CustomerMatch:
    phones, emails = [number] if number else [], [address] if address else []
    found = _find(session, number, address)
    if found is not None:
        if found.contact is None and found.customer.kind == "company" \
                and name != found.customer.name:
            contact = add_contact(session, found.customer.id, name, phones=phones,
                                  email=address)
            return CustomerMatch(found.customer, contact, created_contact=True)
        return found
    kind = "company" if company else infer_kind(name)
    if kind == "person":
        customer = create_customer(session, name=name, kind="person", source=source,
                                   phones=phones, emails=emails, owner_id=owner_id)
        return CustomerMatch(customer, None, created_customer=True)
    customer = create_customer(session, name=company or name, kind="company", source=source,
                               owner_id=owner_id)
    contact = add_contact(session, customer.id, name, phones=phones, email=address,
                          is_primary=True)
    return CustomerMatch(customer, contact, created_customer=True, created_contact=True)
