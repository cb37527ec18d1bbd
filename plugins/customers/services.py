"""Business rules of the customers plugin: the only module that writes customers.

Services take a session and plain arguments, flush (the caller commits) and raise
``DomainError`` (``FieldError`` naming the field) with a message the user understands. Every
read a user asks for goes through ``scoped(...)``; customers in the trash are left out unless
asked for. Events (``customer_created``, ...) are called after the flush, inside the unit of
work. Other plugins may call the functions named in ``__all__``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError, Page, paginate, scoped, utcnow

from . import search as search_index
from .events import emit
from .models import (
    CUSTOMER_KINDS,
    MINOR_UNITS,
    RECORD_KINDS,
    Contact,
    ContactRecord,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    CustomerType,
    Tag,
)
from .names import name_key, pinyin
from .validation import FieldError, normalise_email, normalise_phone, normalise_uscc

__all__ = [
    "CONTACT_FIELDS",
    "CUSTOMER_FIELDS",
    "CustomerNotFound",
    "NotYourRecord",
    "RECORD_FIELDS",
    "SORTS",
    "add_contact",
    "add_contact_record",
    "add_tag",
    "adjust_total_amount",
    "create_customer",
    "create_customer_type",
    "create_tag",
    "delete_contact",
    "delete_contact_record",
    "delete_customer",
    "filter_conditions",
    "find_likely_duplicates",
    "get_customer",
    "get_segment",
    "list_customers",
    "list_segments",
    "may_change_record",
    "merge_customers",
    "remove_tag",
    "restore_customer",
    "search_customers",
    "segment_filters",
    "to_minor_units",
    "update_contact",
    "update_contact_record",
    "update_customer",
]

# The fields a user may set on create and update (total_amount and last_contact_at are
# maintained by the platform, not typed in).
CUSTOMER_FIELDS = ("name", "code", "kind", "customer_type_id", "industry", "province", "city",
                   "country", "source", "level", "status", "owner_id", "department_id",
                   "phones", "emails", "address", "website", "uscc", "notes")
_TEXT_LIMITS = {"industry": 100, "province": 50, "city": 50, "source": 50, "level": 20,
                "status": 20, "address": 300, "website": 200}
SORTS = {"name": Customer.name, "created": Customer.created_at,
         "updated": Customer.updated_at, "amount": Customer.total_amount}


class CustomerNotFound(DomainError):
    """No such customer, or not one the user may see (views answer 404)."""

    status = 404


# ---------------------------------------------------------------------------- helpers


def to_minor_units(value: Decimal | int | str, field: str = "total_amount") -> int:
    """An amount in major units (``"12.34"``, ``Decimal("12.34")``, ``12``) as exact minor
    units (``1234``); refuses floats, more than two decimals and text that is no number."""
    if isinstance(value, float):
        raise TypeError("pass money as Decimal, int or str, never float")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise FieldError(field, _("\"%(value)s\" is not an amount.", value=value)) from None
    if not amount.is_finite():
        raise FieldError(field, _("\"%(value)s\" is not an amount.", value=value))
    minor = amount * MINOR_UNITS
    if minor != minor.to_integral_value():
        raise FieldError(field, _("An amount has at most two decimals: \"%(value)s\".",
                                  value=value))
    return int(minor)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they are UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _unique_list(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in (piece.strip() for piece in value.replace("；", ";")
                                  .replace(";", ",").replace("，", ",").split(","))
                if part]
    return [str(part).strip() for part in value if str(part).strip()]


def _clean(session: Session, values: Mapping[str, Any],
           customer: Customer | None = None) -> dict[str, Any]:
    """Check and normalise the given fields; raises FieldError on the first bad one."""
    unknown = sorted(set(values) - set(CUSTOMER_FIELDS))
    if unknown:
        raise DomainError(_("Unknown customer fields: %(names)s.", names=", ".join(unknown)))
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key == "name":
            name = " ".join((value or "").split())
            if not name:
                raise FieldError("name", _("A customer needs a name."))
            if len(name) > 200:
                raise FieldError("name", _("A customer name has at most %(max)d characters.",
                                           max=200))
            clean["name"] = name
        elif key == "code":
            code = (value or "").strip().upper() or None
            if code and len(code) > 40:
                raise FieldError("code", _("A customer code has at most %(max)d characters.",
                                           max=40))
            if code and _taken(session, Customer.code == code, customer):
                raise FieldError("code", _("The code %(code)s is already used by another "
                                           "customer.", code=code))
            clean["code"] = code
        elif key == "kind":
            if value not in CUSTOMER_KINDS:
                raise FieldError("kind", _("A customer is either a company or a person."))
            clean["kind"] = value
        elif key == "customer_type_id":
            if value is not None and session.get(CustomerType, value) is None:
                raise FieldError("customer_type_id", _("There is no such customer type."))
            clean["customer_type_id"] = value
        elif key == "country":
            country = (value or "CN").strip().upper()
            if len(country) != 2 or not country.isalpha():
                raise FieldError("country", _("Enter the country as its two-letter code, "
                                              "such as CN or US."))
            clean["country"] = country
        elif key == "uscc":
            text = (value or "").strip()
            uscc = normalise_uscc(text) if text else None
            if uscc and _taken(session, Customer.uscc == uscc, customer):
                raise FieldError("uscc", _("Another customer already has the unified social "
                                           "credit code %(code)s.", code=uscc))
            clean["uscc"] = uscc
        elif key == "phones":
            clean["phones"] = _unique_list(normalise_phone(raw) for raw in _as_list(value))
        elif key == "emails":
            clean["emails"] = _unique_list(normalise_email(raw) for raw in _as_list(value))
        elif key in ("owner_id", "department_id"):
            if value is not None and not _referenced_exists(session, key, value):
                raise FieldError(key, _("There is no such user.") if key == "owner_id"
                                 else _("There is no such department."))
            clean[key] = value
        elif key == "notes":
            clean["notes"] = value or ""
        else:
            text = (value or "").strip()
            if len(text) > _TEXT_LIMITS[key]:
                raise FieldError(key, _("At most %(max)d characters.", max=_TEXT_LIMITS[key]))
            clean[key] = text
    return clean


def _referenced_exists(session: Session, column: str, value: int) -> bool:
    """Whether the row that ``Customer.<column>`` points at exists (a kernel table)."""
    (foreign_key,) = Customer.__table__.c[column].foreign_keys
    target = foreign_key.column
    return session.scalar(select(target).where(target == value)) is not None


def _taken(session: Session, condition: ColumnElement[bool], customer: Customer | None) -> bool:
    query = select(Customer.id).where(condition)
    if customer is not None:
        query = query.where(Customer.id != customer.id)
    return session.scalar(query.limit(1)) is not None


def _set_phones(customer: Customer, numbers: list[str]) -> None:
    customer.phone_rows = [CustomerPhone(number=number, position=index)
                           for index, number in enumerate(numbers)]


def _set_emails(customer: Customer, emails: list[str]) -> None:
    customer.email_rows = [CustomerEmail(email=email, position=index)
                           for index, email in enumerate(emails)]


def _set_name_keys(customer: Customer) -> None:
    """Keep the duplicate keys (normalised name, its pinyin) in step with the name."""
    customer.name_key = name_key(customer.name)
    customer.pinyin_key = pinyin(customer.name_key)


def _assign_code(session: Session, customer: Customer) -> None:
    """Give a customer without a code the next one of the form C000001 (from its id)."""
    code, suffix = f"C{customer.id:06d}", 0
    while _taken(session, Customer.code == code, customer):
        suffix += 1
        code = f"C{customer.id:06d}-{suffix}"
    customer.code = code


# ---------------------------------------------------------------------------- customers


def create_customer(session: Session, *, name: str, **fields: Any) -> Customer:
    """Add a customer and call ``customer_created``; returns it (flushed, id and code set).

    ``fields`` are any of ``CUSTOMER_FIELDS``: phones and emails as lists (or one string with
    commas), a code (generated like C000001 when empty), a USCC (checked, unique), owner_id
    and department_id for the data scope.
    """
    clean = _clean(session, {"name": name, **fields})
    phones, emails = clean.pop("phones", []), clean.pop("emails", [])
    customer = Customer(**clean)
    _set_name_keys(customer)
    _set_phones(customer, phones)
    _set_emails(customer, emails)
    session.add(customer)
    session.flush()
    if not customer.code:
        _assign_code(session, customer)
        session.flush()
    search_index.index_customers(session, [customer.id])
    emit("customer_created", session, customer_id=customer.id)
    return customer


def get_customer(session: Session, customer_id: int, *, user: Any = None,
                 include_trash: bool = False) -> Customer:
    """The customer if ``user`` may see it (None: the signed-in user), else CustomerNotFound.

    A customer in the trash counts as missing unless ``include_trash``.
    """
    query = scoped(select(Customer), Customer, user).where(Customer.id == customer_id)
    if not include_trash:
        query = query.where(Customer.deleted_at.is_(None))
    customer = session.scalar(query)
    if customer is None:
        raise CustomerNotFound(_("There is no such customer, or you may not see it."))
    return customer


def _load(session: Session, customer_id: int, user: Any, include_trash: bool = False
          ) -> Customer:
    """The customer, through the scope when a user is given (None: a trusted caller)."""
    if user is not None:
        return get_customer(session, customer_id, user=user, include_trash=include_trash)
    customer = session.get(Customer, customer_id)
    if customer is None or (customer.deleted_at is not None and not include_trash):
        raise CustomerNotFound(_("There is no such customer, or you may not see it."))
    return customer


def update_customer(session: Session, customer_id: int, changes: Mapping[str, Any], *,
                    user: Any = None) -> list[str]:
    """Change the given fields; returns the names of those whose value really changed.

    With ``user``, only a customer in that user's scope can be changed. Calls
    ``customer_updated`` when something changed.
    """
    customer = _load(session, customer_id, user)
    clean = _clean(session, changes, customer)
    changed: list[str] = []
    for key, value in clean.items():
        if key == "phones":
            if value != customer.phones:
                _set_phones(customer, value)
                changed.append(key)
        elif key == "emails":
            if value != customer.emails:
                _set_emails(customer, value)
                changed.append(key)
        elif getattr(customer, key) != value:
            setattr(customer, key, value)
            changed.append(key)
    if "code" in changed and not customer.code:
        _assign_code(session, customer)
    if "name" in changed:
        _set_name_keys(customer)
    if changed:
        session.flush()
        if {"name", "code", "phones", "emails"} & set(changed):
            search_index.index_customers(session, [customer.id])
        emit("customer_updated", session, customer_id=customer.id, changed=changed)
    return changed


def delete_customer(session: Session, customer_id: int, *, user: Any = None) -> Customer:
    """Move the customer to the trash (restorable); calls ``customer_deleted``."""
    customer = _load(session, customer_id, user)
    customer.deleted_at = utcnow()
    session.flush()
    emit("customer_deleted", session, customer_id=customer.id)
    return customer


def restore_customer(session: Session, customer_id: int, *, user: Any = None) -> Customer:
    """Take the customer out of the trash; calls ``customer_restored``."""
    customer = _load(session, customer_id, user, include_trash=True)
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
    customer = _load(session, customer_id, None, include_trash=True)
    customer.total_amount = (customer.total_amount or 0) + to_minor_units(delta)
    session.flush()
    emit("customer_updated", session, customer_id=customer.id, changed=["total_amount"])
    return customer.total_amount


def _as_date(value: dt.date | str, field: str) -> dt.date:
    """A filter's date: a ``date`` or ISO text (``"2026-11-27"``, as saved segments hold it)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError(field, _("\"%(value)s\" is not a date (YYYY-MM-DD).",
                                  value=value)) from None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def list_customers(session: Session, *, user: Any = None, filters: Mapping[str, Any] | None
                   = None, sort: str = "updated", descending: bool = True, limit: int = 50,
                   cursor: str | None = None) -> Page:
    """One page of the customers ``user`` may see, by keyset on ``(sort, id)``.

    ``sort`` is one of ``SORTS`` (name, created, updated, amount). ``filters`` may hold:
    customer_type_id, industry, province, city, kind, level, status, owner_id, tag_id,
    amount_min / amount_max (major units, inclusive), created_from / created_to and
    last_contact_from / last_contact_to (dates, inclusive), and trash=True for the trash only.
    """
    if sort not in SORTS:
        raise FieldError("sort", _("Sort by one of: %(names)s.", names=", ".join(SORTS)))
    query = scoped(select(Customer), Customer, user)
    filters = dict(filters or {})
    query = query.where(Customer.deleted_at.is_not(None) if filters.pop("trash", False)
                        else Customer.deleted_at.is_(None))
    for condition in filter_conditions(filters):
        query = query.where(condition)
    return paginate(session, query, sort=SORTS[sort], descending=descending, limit=limit,
                    cursor=cursor)


def filter_conditions(filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``list_customers``'s ``filters`` (without ``trash``); search
    reuses them."""
    conditions: list[ColumnElement[bool]] = []
    equal = {"customer_type_id": Customer.customer_type_id, "industry": Customer.industry,
             "province": Customer.province, "city": Customer.city, "kind": Customer.kind,
             "level": Customer.level, "status": Customer.status, "owner_id": Customer.owner_id}
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if key in equal:
            conditions.append(equal[key] == value)
        elif key == "tag_id":
            conditions.append(exists().where(and_(CustomerTag.customer_id == Customer.id,
                                                  CustomerTag.tag_id == value)))
        elif key == "amount_min":
            conditions.append(Customer.total_amount >= to_minor_units(value, key))
        elif key == "amount_max":
            conditions.append(Customer.total_amount <= to_minor_units(value, key))
        elif key == "created_from":
            conditions.append(Customer.created_at >= _day_start(_as_date(value, key)))
        elif key == "created_to":
            conditions.append(Customer.created_at
                              < _day_start(_as_date(value, key) + dt.timedelta(days=1)))
        elif key == "last_contact_from":
            conditions.append(Customer.last_contact_at >= _day_start(_as_date(value, key)))
        elif key == "last_contact_to":
            conditions.append(Customer.last_contact_at
                              < _day_start(_as_date(value, key) + dt.timedelta(days=1)))
        else:
            raise DomainError(_("Unknown filter: %(name)s.", name=key))
    return conditions


# ---------------------------------------------------------------------------- types and tags


def create_customer_type(session: Session, name: str, description: str = "") -> CustomerType:
    """Add a customer type; the name is required and unique."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise FieldError("name", _("A customer type needs a name of at most %(max)d "
                                   "characters.", max=100))
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
    customer = _load(session, customer_id, user)
    if session.get(Tag, tag_id) is None:
        raise FieldError("tag_id", _("There is no such tag."))
    if session.get(CustomerTag, (customer.id, tag_id)) is not None:
        return False
    session.add(CustomerTag(customer_id=customer.id, tag_id=tag_id))
    session.flush()
    emit("customer_updated", session, customer_id=customer.id, changed=["tags"])
    return True


def remove_tag(session: Session, customer_id: int, tag_id: int, *, user: Any = None) -> bool:
    """Take the tag off the customer; returns False when it was not there."""
    customer = _load(session, customer_id, user)
    link = session.get(CustomerTag, (customer.id, tag_id))
    if link is None:
        return False
    session.delete(link)
    session.flush()
    emit("customer_updated", session, customer_id=customer.id, changed=["tags"])
    return True


# ---------------------------------------------------------------------------- contacts


def add_contact(session: Session, customer_id: int, name: str, *, title: str = "",
                phones: Iterable[str] | str = (), email: str = "", is_primary: bool = False,
                user: Any = None) -> Contact:
    """Add a person at the customer; a primary contact makes the others non-primary."""
    customer = _load(session, customer_id, user)
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise FieldError("name", _("A contact needs a name of at most %(max)d characters.",
                                   max=100))
    if len(title or "") > 100:
        raise FieldError("title", _("At most %(max)d characters.", max=100))
    numbers = _unique_list(normalise_phone(raw) for raw in _as_list(phones))
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
    customer = _load(session, customer_id, user)
    if kind not in RECORD_KINDS:
        raise FieldError("kind", _("Choose call, visit, email, meeting or other."))
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer.id:
            raise FieldError("contact_id", _("That contact does not belong to this "
                                             "customer."))
    moment = _aware(occurred_at) or utcnow()
    record = ContactRecord(customer_id=customer.id, contact_id=contact_id, kind=kind,
                           content=content or "", occurred_at=moment, user_id=user_id,
                           next_follow_up=next_follow_up)
    session.add(record)
    last = _aware(customer.last_contact_at)
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

CONTACT_FIELDS = ("name", "title", "phones", "email", "is_primary")
RECORD_FIELDS = ("kind", "content", "occurred_at", "contact_id", "next_follow_up")


class NotYourRecord(DomainError):
    """A user tried to change a contact record someone else made (views answer 403)."""

    status = 403


def _reindex(session: Session, customer_id: int) -> None:
    """Refresh the customer's search document (contact names are in it), once search exists."""
    from . import search

    index = getattr(search, "index_customers", None)
    if index is not None:
        index(session, [customer_id])


def _load_contact(session: Session, contact_id: int, user: Any) -> tuple[Contact, Customer]:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise CustomerNotFound(_("There is no such contact, or you may not see it."))
    return contact, _load(session, contact.customer_id, user)


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
        clean["phones"] = _unique_list(normalise_phone(raw)
                                       for raw in _as_list(changes["phones"]))
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
    record = session.get(ContactRecord, record_id)
    if record is None:
        raise CustomerNotFound(_("There is no such contact record, or you may not see it."))
    customer = _load(session, record.customer_id, user)
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
    if _aware(moment) != _aware(customer.last_contact_at):
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
        contact = session.get(Contact, clean["contact_id"])
        if contact is None or contact.customer_id != customer.id:
            raise FieldError("contact_id", _("That contact does not belong to this "
                                             "customer."))
    if "content" in clean:
        clean["content"] = clean["content"] or ""
    if "occurred_at" in clean:
        clean["occurred_at"] = _aware(clean["occurred_at"]) or utcnow()
    changed = []
    for key, value in clean.items():
        current = getattr(record, key)
        if (_aware(current) if key == "occurred_at" else current) != value:
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


# ---------------------------------------------------------------------------- other parts
# Re-exported for other plugins (marketing targets segments; every plugin may search);
# imported last because those modules use this one.
from .dedupe import find_likely_duplicates  # noqa: E402
from .merge import merge_customers  # noqa: E402
from .search import search_customers  # noqa: E402
from .segments import get_segment, list_segments, segment_filters  # noqa: E402
