"""The fields of a customer: which a user may set, how each is checked and normalised, and
the small writers that keep derived columns (phones, emails, name keys, code) in step.

``clean_fields`` is the one gate every write of a customer passes (form, bulk, API, merge;
the import checks rows with the same rules and calls ``ownership.department_of_owner``): it
refuses a bad value with a ``FieldError`` naming its field and sets the department from the
owner, so no path can put a customer in another department than its owner's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, INT64_MAX, DomainError
from crm_core.toolkit import stored_time as aware

from ..models import (
    CUSTOMER_KINDS,
    MINOR_UNITS,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerType,
)
from ..names import name_key, pinyin
from ..validation import (
    NOTES_MAX,
    FieldError,
    check_list_size,
    normalise_email,
    normalise_phone,
    normalise_uscc,
    normalise_website,
)
from .custom import clean_custom
from .ownership import department_of_owner, user_table
from .sensitive import SENSITIVE_CLEANERS

__all__ = ["AMOUNT_MAX", "CUSTOMER_FIELDS", "TEXT_LIMITS", "as_list", "aware", "assign_code",
           "checked_id", "clean_fields", "set_emails", "set_name_keys", "set_phones",
           "taken", "to_minor_units", "unique_list"]

# The fields a user may set on create and update (total_amount and last_contact_at are
# maintained by the platform, not typed in; the department follows the owner).
CUSTOMER_FIELDS = ("name", "code", "kind", "customer_type_id", "industry", "province", "city",
                   "country", "source", "level", "status", "owner_id", "phones", "emails",
                   "address", "website", "uscc", "notes", "id_card_number", "bank_name",
                   "bank_account")
TEXT_LIMITS = {"industry": 100, "province": 50, "city": 50, "source": 50, "level": 20,
               "status": 20, "address": 300}
# The largest amount in major units whose minor units fit the BIGINT column.
AMOUNT_MAX = Decimal(INT64_MAX // MINOR_UNITS)


def to_minor_units(value: Decimal | int | str, field: str = "total_amount") -> int:
    """An amount in major units (``"12.34"``, ``Decimal("12.34")``, ``12``) as exact minor
    units (``1234``); refuses floats, more than two decimals, text that is no number and
    amounts whose minor units do not fit a BIGINT."""
    if isinstance(value, float):
        raise TypeError("pass money as Decimal, int or str, never float")
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text) if len(text) <= 40 else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise FieldError(field, _("\"%(value)s\" is not an amount.", value=text[:40]))
    if abs(amount) > AMOUNT_MAX:
        raise FieldError(field, _("An amount is at most %(max)s.", max=f"{AMOUNT_MAX:,}"))
    minor = amount * MINOR_UNITS
    if minor != minor.to_integral_value():
        raise FieldError(field, _("An amount has at most two decimals: \"%(value)s\".",
                                  value=text))
    return int(minor)


def checked_id(field: str, value: Any, message: str) -> int:
    """``value`` as a record id (1..``INT32_MAX``), else FieldError(field, message): an id no
    row can have is refused before it reaches the database (PostgreSQL would fail on it)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT32_MAX:
        raise FieldError(field, message)
    return value



def unique_list(values: Iterable[str]) -> list[str]:
    """The values without repeats, in their first order."""
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def as_list(value: Any) -> list[str]:
    """A list field's values: a list, or one text separated by commas or semicolons."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in (piece.strip() for piece in value.replace("；", ";")
                                  .replace(";", ",").replace("，", ",").split(","))
                if part]
    return [str(part).strip() for part in value if str(part).strip()]


def _many(value: Any, field: str, check: Any) -> list[str]:
    # The cap is checked on the raw values first: 10,000 numbers are refused before any
    # is parsed.
    raw = check_list_size(as_list(value), field)
    return check_list_size(unique_list(check(item, field) for item in raw), field)


def _owner(session: Session, value: Any, customer: Customer | None) -> int | None:
    """The owner id, checked: an existing user, and an active one when it changes (a record
    handed to a disabled account would be seen by nobody of its department)."""
    if value is None:
        return None
    owner_id = checked_id("owner_id", value, _("There is no such user."))
    if customer is not None and customer.owner_id == owner_id:
        return owner_id
    users = user_table()
    active = session.scalar(select(users.c.is_active).where(users.c.id == owner_id))
    if active is None:
        raise FieldError("owner_id", _("There is no such user."))
    if not active:
        raise FieldError("owner_id", _("That user is disabled; choose an active owner."))
    return owner_id


def _department(session: Session, values: Mapping[str, Any], clean: dict[str, Any],
                customer: Customer | None) -> None:
    """Set ``clean["department_id"]`` from the owner whenever the owner is given, and refuse
    a department given beside it that is not the owner's."""
    if "owner_id" not in clean and "department_id" not in values:
        if customer is None:
            clean["department_id"] = None
        return
    owner_id = clean["owner_id"] if "owner_id" in clean else \
        (customer.owner_id if customer is not None else None)
    department = department_of_owner(session, owner_id)
    if "department_id" in values and values["department_id"] != department:
        raise FieldError("department_id", _("A customer belongs to its owner's department; "
                                            "choose an owner of that department instead."))
    clean["department_id"] = department


def clean_fields(session: Session, values: Mapping[str, Any],
                 customer: Customer | None = None) -> dict[str, Any]:
    """Check and normalise the given fields (``customer``: the one being changed, None for
    a new one); raises FieldError on the first bad one.

    ``department_id`` is not a field one sets: it is derived from the owner. It may be given
    only to assert that value (a different one is refused), so an old client that sends the
    owner's department keeps working.
    """
    unknown = sorted(set(values) - set(CUSTOMER_FIELDS) - {"department_id", "custom"})
    if unknown:
        raise DomainError(_("Unknown customer fields: %(names)s.", names=", ".join(unknown)))
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key == "department_id":
            continue
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
            if code and taken(session, Customer.code == code, customer):
                raise FieldError("code", _("The code %(code)s is already used by another "
                                           "customer.", code=code))
            clean["code"] = code
        elif key == "kind":
            if value not in CUSTOMER_KINDS:
                raise FieldError("kind", _("A customer is either a company or a person."))
            clean["kind"] = value
        elif key == "customer_type_id":
            message = _("There is no such customer type.")
            if value is not None and session.get(
                    CustomerType, checked_id(key, value, message)) is None:
                raise FieldError("customer_type_id", message)
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
            if uscc and taken(session, Customer.uscc == uscc, customer):
                raise FieldError("uscc", _("Another customer already has the unified social "
                                           "credit code %(code)s.", code=uscc))
            clean["uscc"] = uscc
        elif key == "custom":  # the custom fields an administrator defined (custom.py)
            clean["custom"] = clean_custom(session, value, customer)
        elif key in SENSITIVE_CLEANERS:  # encrypted at rest (identity.py)
            clean[key] = SENSITIVE_CLEANERS[key](value)
        elif key == "phones":
            clean["phones"] = _many(value, "phones", normalise_phone)
        elif key == "emails":
            clean["emails"] = _many(value, "emails", normalise_email)
        elif key == "owner_id":
            clean["owner_id"] = _owner(session, value, customer)
        elif key == "website":
            clean["website"] = normalise_website(value)
        elif key == "notes":
            if len(value or "") > NOTES_MAX:
                raise FieldError("notes", _("At most %(max)d characters.", max=NOTES_MAX))
            clean["notes"] = value or ""
        else:
            text = (value or "").strip()
            if len(text) > TEXT_LIMITS[key]:
                raise FieldError(key, _("At most %(max)d characters.", max=TEXT_LIMITS[key]))
            clean[key] = text
    _department(session, values, clean, customer)
    return clean


def taken(session: Session, condition: ColumnElement[bool], customer: Customer | None) -> bool:
    """Whether another customer than ``customer`` matches ``condition`` (a unique value)."""
    query = select(Customer.id).where(condition)
    if customer is not None:
        query = query.where(Customer.id != customer.id)
    return session.scalar(query.limit(1)) is not None


def set_phones(customer: Customer, numbers: list[str]) -> None:
    """Replace the customer's phone rows, in this order."""
    customer.phone_rows = [CustomerPhone(number=number, position=index)
                           for index, number in enumerate(numbers)]


def set_emails(customer: Customer, emails: list[str]) -> None:
    """Replace the customer's email rows, in this order."""
    customer.email_rows = [CustomerEmail(email=email, position=index)
                           for index, email in enumerate(emails)]


def set_name_keys(customer: Customer) -> None:
    """Keep the duplicate keys (normalised name, its pinyin) in step with the name."""
    customer.name_key = name_key(customer.name)
    customer.pinyin_key = pinyin(customer.name_key)


def assign_code(session: Session, customer: Customer) -> None:
    """Give a customer without a code the next one of the form C000001 (from its id)."""
    code, suffix = f"C{customer.id:06d}", 0
    while taken(session, Customer.code == code, customer):
        suffix += 1
        code = f"C{customer.id:06d}-{suffix}"
    customer.code = code
