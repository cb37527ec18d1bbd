"""A customer's own writes: create, update, delete and restore, the total amount, types and tags.

Services take a session and plain arguments, flush (the caller commits) and raise
``DomainError`` (``FieldError`` naming the field) with a message the user understands. Events
(``customer_created``, ...) are called after the flush, inside the unit of work. Other plugins
call these through ``plugins.customers.services`` (its ``__all__``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT64_MAX, INT64_MIN, DomainError, utcnow

from ..events import emit
from ..models import Customer, CustomerTag, CustomerType, Tag
from ..validation import FieldError
from . import search_index
from .fields import (
    assign_code,
    checked_id,
    clean_fields,
    set_emails,
    set_name_keys,
    set_phones,
    to_minor_units,
)
from .queries import load_customer

TYPE_DESCRIPTION_MAX = 1000

# ---------------------------------------------------------------------------- customers


def create_customer(session: Session, *, name: str, **fields: Any) -> Customer:
    """Add a customer and call ``customer_created``; returns it (flushed, id and code set).

    ``fields`` are any of ``CUSTOMER_FIELDS``: phones and emails as lists (or one string with
    commas), a code (generated like C000001 when empty), a USCC (checked, unique), and
    owner_id; the department is the owner's (``ownership.department_of_owner``).
    """
    clean = clean_fields(session, {"name": name, **fields})
    phones, emails = clean.pop("phones", []), clean.pop("emails", [])
    customer = Customer(**clean)
    set_name_keys(customer)
    set_phones(customer, phones)
    set_emails(customer, emails)
    session.add(customer)
    session.flush()
    if not customer.code:
        assign_code(session, customer)
        session.flush()
    search_index.index_customers(session, [customer.id])
    emit("customer_created", session, customer_id=customer.id)
    return customer


def update_customer(session: Session, customer_id: int, changes: Mapping[str, Any], *,
                    user: Any = None) -> list[str]:
    """Change the given fields; returns the names of those whose value really changed.

    With ``user``, only a customer in that user's scope can be changed. Calls
    ``customer_updated`` when something changed.
    """
    customer = load_customer(session, customer_id, user)
    clean = clean_fields(session, changes, customer)
    changed: list[str] = []
    for key, value in clean.items():
        if key == "phones":
            if value != customer.phones:
                set_phones(customer, value)
                changed.append(key)
        elif key == "emails":
            if value != customer.emails:
                set_emails(customer, value)
                changed.append(key)
        elif getattr(customer, key) != value:
            setattr(customer, key, value)
            changed.append(key)
    if "code" in changed and not customer.code:
        assign_code(session, customer)
    if "name" in changed:
        set_name_keys(customer)
    if {"phones", "emails"} & set(changed):
        # Phones and emails live in child tables: the customer row itself says it changed
        # (an import's undo tells edits made after the import by updated_at).
        customer.updated_at = utcnow()
    if changed:
        session.flush()
        if {"name", "code", "phones", "emails"} & set(changed):
            search_index.index_customers(session, [customer.id])
        emit("customer_updated", session, customer_id=customer.id, changed=changed)
    return changed


def delete_customer(session: Session, customer_id: int, *, user: Any = None) -> Customer:
    """Move the customer to the trash (restorable); calls ``customer_deleted``."""
    customer = load_customer(session, customer_id, user)
    customer.deleted_at = utcnow()
    session.flush()
    emit("customer_deleted", session, customer_id=customer.id)
    return customer


def restore_customer(session: Session, customer_id: int, *, user: Any = None) -> Customer:
    """Take the customer out of the trash; calls ``customer_restored``."""
    customer = load_customer(session, customer_id, user, include_trash=True)
    if customer.deleted_at is None:
        raise DomainError(_("This customer is not in the trash."))
    customer.deleted_at = None
    session.flush()
    emit("customer_restored", session, customer_id=customer.id)
    return customer


def adjust_total_amount(session: Session, customer_id: int, delta: Decimal | int | str
                        ) -> int:
    """Add ``delta`` (major units, exact; negative for a refund) to the customer's total
    transaction amount; returns the new total in minor units. For plugins that book sales."""
    customer = load_customer(session, customer_id, None, include_trash=True)
    total = (customer.total_amount or 0) + to_minor_units(delta)
    if not INT64_MIN <= total <= INT64_MAX:
        raise FieldError("total_amount", _("The total amount would be too large to keep."))
    customer.total_amount = total
    session.flush()
    emit("customer_updated", session, customer_id=customer.id, changed=["total_amount"])
    return customer.total_amount


# ---------------------------------------------------------------------------- types and tags


def create_customer_type(session: Session, name: str, description: str = "") -> CustomerType:
    """Add a customer type; the name is required and unique."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise FieldError("name", _("A customer type needs a name of at most %(max)d "
                                   "characters.", max=100))
    if len(description or "") > TYPE_DESCRIPTION_MAX:
        raise FieldError("description", _("At most %(max)d characters.",
                                          max=TYPE_DESCRIPTION_MAX))
    if session.scalar(select(CustomerType.id).where(CustomerType.name == name)) is not None:
        raise FieldError("name", _("The customer type %(name)s already exists.", name=name))
    kind = CustomerType(name=name, description=description or "")
    session.add(kind)
    session.flush()
    return kind


def create_tag(session: Session, name: str, colour: str = "#6c757d") -> Tag:
    """Add a tag; the name is unique and the colour a #rrggbb value."""
    name = " ".join((name or "").split())
    if not name or len(name) > 50:
        raise FieldError("name", _("A tag needs a name of at most %(max)d characters.",
                                   max=50))
    colour = (colour or "").strip().lower()
    if len(colour) != 7 or colour[0] != "#" or any(c not in "0123456789abcdef"
                                                   for c in colour[1:]):
        raise FieldError("colour", _("Choose the colour as #rrggbb, such as #0d6efd."))
    if session.scalar(select(Tag.id).where(Tag.name == name)) is not None:
        raise FieldError("name", _("The tag %(name)s already exists.", name=name))
    tag = Tag(name=name, colour=colour)
    session.add(tag)
    session.flush()
    return tag


def add_tag(session: Session, customer_id: int, tag_id: int, *, user: Any = None) -> bool:
    """Put the tag on the customer; returns False when it was there already."""
    customer = load_customer(session, customer_id, user)
    message = _("There is no such tag.")
    if session.get(Tag, checked_id("tag_id", tag_id, message)) is None:
        raise FieldError("tag_id", message)
    if session.get(CustomerTag, (customer.id, tag_id)) is not None:
        return False
    session.add(CustomerTag(customer_id=customer.id, tag_id=tag_id))
    session.flush()
    emit("customer_updated", session, customer_id=customer.id, changed=["tags"])
    return True


def remove_tag(session: Session, customer_id: int, tag_id: int, *, user: Any = None) -> bool:
    """Take the tag off the customer; returns False when it was not there."""
    customer = load_customer(session, customer_id, user)
    link = session.get(CustomerTag, (customer.id, checked_id("tag_id", tag_id,
                                                             _("There is no such tag."))))
    if link is None:
        return False
    session.delete(link)
    session.flush()
    emit("customer_updated", session, customer_id=customer.id, changed=["tags"])
    return True
