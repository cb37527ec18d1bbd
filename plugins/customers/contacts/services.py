"""Contacts (the people at a customer) and contact records (联系记录: calls, visits, emails,
meetings): adding, changing and deleting them, and keeping the customer's last contact time
and open follow-up in step. Re-exported by ``services`` (other plugins call them there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, DomainError, utcnow

from ..events import emit
from ..models import RECORD_KINDS, Contact, ContactRecord, Customer
from ..records.fields import as_list, aware, checked_id, unique_list
from ..records.queries import CustomerNotFound, load_customer
from ..search import services as search_index
from ..validation import (
    CONTENT_MAX,
    FieldError,
    check_list_size,
    normalise_email,
    normalise_phone,
)

__all__ = ["CONTACT_FIELDS", "RECORD_FIELDS", "NotYourRecord", "add_contact",
           "add_contact_record", "delete_contact", "delete_contact_record",
           "may_change_record", "refresh_contact_summary", "update_contact",
           "update_contact_record"]


def _phones(value: Any) -> list[str]:
    raw = check_list_size(as_list(value), "phones")
    return unique_list(normalise_phone(item) for item in raw)


def _content(value: str | None) -> str:
    if len(value or "") > CONTENT_MAX:
        raise FieldError("content", _("At most %(max)d characters.", max=CONTENT_MAX))
    return value or ""


def _contact_of(session: Session, contact_id: Any, customer: Customer) -> None:
    """Refuse a contact id that is not one of the customer's contacts."""
    message = _("That contact does not belong to this customer.")
    contact = session.get(Contact, checked_id("contact_id", contact_id, message))
    if contact is None or contact.customer_id != customer.id:
        raise FieldError("contact_id", message)


# ---------------------------------------------------------------------------- contacts


def add_contact(session: Session, customer_id: int, name: str, *, title: str = "",
                phones: Iterable[str] | str = (), email: str = "", is_primary: bool = False,
                user: Any = None) -> Contact:
    """Add a person at the customer; a primary contact makes the others non-primary."""
    customer = load_customer(session, customer_id, user)
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise FieldError("name", _("A contact needs a name of at most %(max)d characters.",
                                   max=100))
    if len(title or "") > 100:
        raise FieldError("title", _("At most %(max)d characters.", max=100))
    numbers = _phones(phones)
    address = normalise_email(email, "email") if (email or "").strip() else ""
    if is_primary:
        for other in session.scalars(select(Contact).where(
                Contact.customer_id == customer.id, Contact.is_primary.is_(True))):
            other.is_primary = False
    contact = Contact(customer_id=customer.id, name=name, title=(title or "").strip(),
                      phones=numbers, email=address, is_primary=is_primary)
    session.add(contact)
    session.flush()
    search_index.index_customers(session, [customer.id])
    return contact


def add_contact_record(session: Session, customer_id: int, *, kind: str, content: str = "",
                       occurred_at: dt.datetime | None = None, contact_id: int | None = None,
                       user_id: int | None = None, next_follow_up: dt.date | None = None,
                       user: Any = None) -> ContactRecord:
    """Record a call, visit, email, meeting or other contact with the customer.

    Moves the customer's ``last_contact_at`` forward to ``occurred_at`` (default: now) when it
    is newer, and calls ``customer_updated`` with ``["last_contact_at"]`` then.
    """
    customer = load_customer(session, customer_id, user)
    if kind not in RECORD_KINDS:
        raise FieldError("kind", _("Choose call, visit, email, meeting or other."))
    if contact_id is not None:
        _contact_of(session, contact_id, customer)
    moment = aware(occurred_at) or utcnow()
    record = ContactRecord(customer_id=customer.id, contact_id=contact_id, kind=kind,
                           content=_content(content), occurred_at=moment, user_id=user_id,
                           next_follow_up=next_follow_up)
    session.add(record)
    last = aware(customer.last_contact_at)
    moved = last is None or moment > last
    if moved:
        customer.last_contact_at = moment
    if last is None or moment >= last:  # the newest record now: its follow-up is the open one
        customer.follow_up_on, customer.follow_up_by = next_follow_up, user_id
    session.flush()
    if moved:
        emit("customer_updated", session, customer_id=customer.id, changed=["last_contact_at"])
    return record


# ---------------------------------------------------------------------------- contact edits

#: The fields ``update_contact`` accepts (``add_contact`` takes them as keywords).
CONTACT_FIELDS = ("name", "title", "phones", "email", "is_primary")
#: The fields ``update_contact_record`` accepts (``add_contact_record`` takes them as keywords).
RECORD_FIELDS = ("kind", "content", "occurred_at", "contact_id", "next_follow_up")


class NotYourRecord(DomainError):
    """A user tried to change a contact record someone else made (views answer 403)."""

    status = 403


def _reindex(session: Session, customer_id: int) -> None:
    """Refresh the customer's search document (contact names are in it), once search exists."""
    from ..search import services as search

    index = getattr(search, "index_customers", None)
    if index is not None:
        index(session, [customer_id])


def _load_contact(session: Session, contact_id: int, user: Any) -> tuple[Contact, Customer]:
    contact = session.get(Contact, contact_id) \
        if isinstance(contact_id, int) and 0 < contact_id <= INT32_MAX else None
    if contact is None:
        raise CustomerNotFound(_("There is no such contact, or you may not see it."))
    return contact, load_customer(session, contact.customer_id, user)


def update_contact(session: Session, contact_id: int, changes: Mapping[str, Any], *,
                   user: Any = None) -> list[str]:
    """Change a contact's fields (any of ``CONTACT_FIELDS``); returns the changed names.

    With ``user``, only a contact of a customer in that user's scope can be changed. Making a
    contact primary makes the customer's other contacts non-primary.
    """
    unknown = sorted(set(changes) - set(CONTACT_FIELDS))
    if unknown:
        raise DomainError(_("Unknown contact fields: %(names)s.", names=", ".join(unknown)))
    contact, customer = _load_contact(session, contact_id, user)
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = " ".join((changes["name"] or "").split())
        if not clean["name"] or len(clean["name"]) > 100:
            raise FieldError("name", _("A contact needs a name of at most %(max)d "
                                       "characters.", max=100))
    if "title" in changes:
        clean["title"] = (changes["title"] or "").strip()
        if len(clean["title"]) > 100:
            raise FieldError("title", _("At most %(max)d characters.", max=100))
    if "phones" in changes:
        clean["phones"] = _phones(changes["phones"])
    if "email" in changes:
        text = (changes["email"] or "").strip()
        clean["email"] = normalise_email(text, "email") if text else ""
    if "is_primary" in changes:
        clean["is_primary"] = bool(changes["is_primary"])
    changed = [key for key, value in clean.items() if getattr(contact, key) != value]
    if clean.get("is_primary") and "is_primary" in changed:
        for other in session.scalars(select(Contact).where(
                Contact.customer_id == customer.id, Contact.is_primary.is_(True),
                Contact.id != contact.id)):
            other.is_primary = False
    for key in changed:
        setattr(contact, key, clean[key])
    if changed:
        session.flush()
        _reindex(session, customer.id)
    return changed


def delete_contact(session: Session, contact_id: int, *, user: Any = None) -> None:
    """Delete a contact; the contact records that named it stay, without a contact."""
    contact, customer = _load_contact(session, contact_id, user)
    # Explicit, since SQLite only honours ON DELETE SET NULL with foreign keys switched on.
    for record in session.scalars(select(ContactRecord).where(
            ContactRecord.contact_id == contact.id)):
        record.contact_id = None
    session.delete(contact)
    session.flush()
    _reindex(session, customer.id)


def may_change_record(user: Any, record: ContactRecord) -> bool:
    """The author of a record may change it; so may whoever may delete customers."""
    user_id = getattr(user, "id", user)
    if record.user_id is not None and record.user_id == user_id:
        return True
    has_permission = getattr(user, "has_permission", None)
    return bool(has_permission and has_permission("customers.customer.delete"))


def _load_record(session: Session, record_id: int, user: Any) -> tuple[ContactRecord,
                                                                       Customer]:
    record = session.get(ContactRecord, record_id) \
        if isinstance(record_id, int) and 0 < record_id <= INT32_MAX else None
    if record is None:
        raise CustomerNotFound(_("There is no such contact record, or you may not see it."))
    customer = load_customer(session, record.customer_id, user)
    if user is not None and not may_change_record(user, record):
        raise NotYourRecord(_("Only the person who made a contact record may change it."))
    return record, customer


def refresh_contact_summary(session: Session, customer: Customer) -> None:
    """Set ``last_contact_at`` and the open follow-up (``follow_up_on``, ``follow_up_by``)
    from the customer's newest remaining record (one indexed query). For this plugin's own
    modules that move or delete records (merge)."""
    newest = session.execute(
        select(ContactRecord.occurred_at, ContactRecord.next_follow_up, ContactRecord.user_id)
        .where(ContactRecord.customer_id == customer.id)
        .order_by(ContactRecord.occurred_at.desc(), ContactRecord.id.desc()).limit(1)).first()
    moment, follow_up_on, follow_up_by = newest or (None, None, None)
    customer.follow_up_on, customer.follow_up_by = follow_up_on, follow_up_by
    if aware(moment) != aware(customer.last_contact_at):
        customer.last_contact_at = moment
        session.flush()
        emit("customer_updated", session, customer_id=customer.id, changed=["last_contact_at"])


def update_contact_record(session: Session, record_id: int, changes: Mapping[str, Any], *,
                          user: Any = None) -> list[str]:
    """Change a contact record (any of ``RECORD_FIELDS``); returns the changed names.

    With ``user``, the customer must be in their scope and the record theirs (or they hold
    customers.customer.delete), else ``CustomerNotFound`` / ``NotYourRecord``.
    """
    unknown = sorted(set(changes) - set(RECORD_FIELDS))
    if unknown:
        raise DomainError(_("Unknown contact record fields: %(names)s.",
                            names=", ".join(unknown)))
    record, customer = _load_record(session, record_id, user)
    clean = dict(changes)
    if "kind" in clean and clean["kind"] not in RECORD_KINDS:
        raise FieldError("kind", _("Choose call, visit, email, meeting or other."))
    if clean.get("contact_id") is not None:
        _contact_of(session, clean["contact_id"], customer)
    if "content" in clean:
        clean["content"] = _content(clean["content"])
    if "occurred_at" in clean:
        clean["occurred_at"] = aware(clean["occurred_at"]) or utcnow()
    changed = []
    for key, value in clean.items():
        current = getattr(record, key)
        if (aware(current) if key == "occurred_at" else current) != value:
            setattr(record, key, value)
            changed.append(key)
    if changed:
        session.flush()
        if "occurred_at" in changed or "next_follow_up" in changed:
            refresh_contact_summary(session, customer)
    return changed


def delete_contact_record(session: Session, record_id: int, *, user: Any = None) -> None:
    """Delete a contact record (same rights as ``update_contact_record``); the customer's
    last contact time falls back to its newest remaining record."""
    record, customer = _load_record(session, record_id, user)
    session.delete(record)
    session.flush()
    refresh_contact_summary(session, customer)

