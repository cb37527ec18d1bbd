"""Marshmallow schemas of the customers REST API (also its OpenAPI components).

Names start with ``Customer`` (or ``Contact``) so they never clash with another plugin's in
the OpenAPI document. Money is a decimal string in major units (``"12.34"``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from crm_core.toolkit import Id, ListQuery, UtcDateTime, custom_fields, sensitive

from ..models import CUSTOMER_KINDS, RECORD_KINDS
from ..records.fields import AMOUNT_MAX, TEXT_LIMITS
from ..records.queries import TEXT_FILTERS
from ..validation import (
    CONTENT_MAX,
    MAX_EMAILS,
    MAX_PHONES,
    NOTES_MAX,
    WEBSITE_MAX,
    FieldError,
    normalise_website,
)

CUSTOM_DESCRIPTION = ("The custom fields an administrator defined, by key (System → Custom "
                      "fields); money as a decimal string.")
SORT_CHOICES = ("name", "created", "updated", "amount")
# Formatted when a request is refused, so they are translated then.
_PHONES_ERROR = _l("At most %(max)d phone numbers.", max=MAX_PHONES)
_EMAILS_ERROR = _l("At most %(max)d email addresses.", max=MAX_EMAILS)


class CustomerRegionOut(Schema):
    """Where a customer is: province and city in China, and the country (ISO 3166 code)."""

    province = fields.String()
    city = fields.String()
    country = fields.String()


class CustomerTagOut(Schema):
    """A tag: its name and colour (#rrggbb)."""

    id = fields.Integer()
    name = fields.String()
    colour = fields.String()


class CustomerOwnerOut(Schema):
    """The user who owns a customer."""

    id = fields.Integer()
    name = fields.String()


class CustomerTypeRefOut(Schema):
    """A customer's type, by id and name."""

    id = fields.Integer()
    name = fields.String()


class CustomerOut(Schema):
    """A customer as the API answers it."""

    id = fields.Integer()
    code = fields.String(allow_none=True)
    name = fields.String()
    kind = fields.String(metadata={"enum": list(CUSTOMER_KINDS)})
    customer_type = fields.Nested(CustomerTypeRefOut, allow_none=True)
    industry = fields.String()
    region = fields.Nested(CustomerRegionOut)
    source = fields.String()
    level = fields.String()
    status = fields.String()
    owner = fields.Nested(CustomerOwnerOut, allow_none=True)
    department_id = fields.Integer(allow_none=True)
    phones = fields.List(fields.String(), metadata={"description": "E.164 numbers."})
    emails = fields.List(fields.String())
    address = fields.String()
    website = fields.String()
    uscc = fields.String(allow_none=True,
                         metadata={"description": "Unified social credit code."})
    id_card_number = fields.String(allow_none=True, metadata={
        "description": "A person's resident ID-card number (stored encrypted)."})
    bank_name = fields.String(allow_none=True, metadata={
        "description": "The bank and branch (开户行) for invoices (stored encrypted)."})
    bank_account = fields.String(allow_none=True, metadata={
        "description": "The bank account number (银行账号) for invoices (stored encrypted)."})
    total_amount = fields.String(metadata={"description": "Total transaction amount in major "
                                                          "units, e.g. \"1234.50\"."})
    last_contact_at = UtcDateTime(allow_none=True)
    notes = fields.String()
    tags = fields.List(fields.Nested(CustomerTagOut))
    custom = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), metadata={
        "description": CUSTOM_DESCRIPTION, "x-crm-custom-fields": "customers.customer"})
    in_trash = fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


def _text(limit: int) -> fields.String:
    return fields.String(validate=validate.Length(max=limit))


def _website(value: str) -> None:
    try:
        normalise_website(value)
    except FieldError as error:
        raise ValidationError(str(error)) from None


def _amount_in_range(value: Decimal) -> None:
    # A function, not validate.Range: the OpenAPI document would show a Decimal range as
    # strings, which is not a valid schema; the bounds are given in the metadata instead.
    if not 0 <= value <= AMOUNT_MAX:
        raise ValidationError(_l("Must be between 0 and %(max)s.", max=f"{AMOUNT_MAX}"))


def _amount(description: str) -> fields.Decimal:
    return fields.Decimal(validate=_amount_in_range, metadata={
        "description": description, "minimum": 0, "maximum": int(AMOUNT_MAX)})


class CustomerPatchIn(Schema):
    """Fields of a customer to change; those left out stay as they are."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    code = fields.String(allow_none=True, validate=validate.Length(max=40))
    kind = fields.String(validate=validate.OneOf(CUSTOMER_KINDS))
    customer_type_id = Id(allow_none=True)
    industry = _text(TEXT_LIMITS["industry"])
    province = _text(TEXT_LIMITS["province"])
    city = _text(TEXT_LIMITS["city"])
    country = fields.String(validate=validate.Length(equal=2))
    source = _text(TEXT_LIMITS["source"])
    level = _text(TEXT_LIMITS["level"])
    status = _text(TEXT_LIMITS["status"])
    owner_id = Id(allow_none=True, metadata={
        "description": "Any active user; the customer moves to the owner's department."})
    department_id = Id(allow_none=True, metadata={
        "description": "Follows the owner and cannot be set on its own: leave it out, or "
                       "send the owner's department (another value answers 422)."})
    phones = fields.List(fields.String(validate=validate.Length(max=60)),
                         validate=validate.Length(max=MAX_PHONES,
                                                  error=_PHONES_ERROR),
                         metadata={"description": "Chinese mobile or landline numbers, or "
                                                  "international ones with +."})
    emails = fields.List(fields.String(validate=validate.Length(max=254)),
                         validate=validate.Length(max=MAX_EMAILS,
                                                  error=_EMAILS_ERROR))
    address = _text(TEXT_LIMITS["address"])
    website = fields.String(validate=[validate.Length(max=WEBSITE_MAX), _website], metadata={
        "description": "An http:// or https:// address (one without a scheme gets http://)."})
    uscc = fields.String(allow_none=True, validate=validate.Length(max=60), metadata={
        "description": "Unified social credit code (18 characters, GB 32100-2015)."})
    notes = _text(NOTES_MAX)
    custom = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.Raw(allow_none=True), metadata={
                             "description": CUSTOM_DESCRIPTION + " Keys left out keep their "
                             "value; null clears one.",
                             "x-crm-custom-fields": "customers.customer"})
    id_card_number = fields.String(allow_none=True, validate=validate.Length(max=60), metadata={
        "description": "A person's resident ID-card number (18 characters, GB 11643-1999; "
                       "stored encrypted)."})
    bank_name = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "The bank and branch (开户行), stored encrypted."})
    bank_account = fields.String(allow_none=True, validate=validate.Length(max=60), metadata={
        "description": "The account number (银行账号): 8 to 32 digits, stored encrypted."})


class CustomerIn(CustomerPatchIn):
    """A new customer. Owner and department default to the caller's."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CustomerListQuery(ListQuery):
    """Filters, search and order of the customer list."""

    q = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "Search by a fragment of name, code, phone, email or contact name "
                       "(pinyin too); answers one ranked page without next_cursor."})
    sort = fields.String(load_default="-updated", validate=custom_fields.SortChoice(
        [*SORT_CHOICES, *(f"-{name}" for name in SORT_CHOICES)]), metadata={
        "description": "name, created, updated or amount, or custom.<key> of a custom "
                       "field that is filterable (indexed; customers without a value come "
                       "last); a leading - for descending."})
    customer_type_id = Id()
    industry = _text(TEXT_FILTERS["industry"])
    province = _text(TEXT_FILTERS["province"])
    city = _text(TEXT_FILTERS["city"])
    kind = fields.String(validate=validate.OneOf(CUSTOMER_KINDS))
    level = _text(TEXT_FILTERS["level"])
    status = _text(TEXT_FILTERS["status"])
    owner_id = Id()
    tag_id = Id()
    amount_min = _amount("Major units, inclusive, 0 or more.")
    amount_max = _amount("Major units, inclusive, 0 or more.")
    created_from = fields.Date()
    created_to = fields.Date()
    last_contact_from = fields.Date()
    last_contact_to = fields.Date()
    trash = fields.Boolean(load_default=False, metadata={
        "description": "List the trash instead (needs customers.customer.delete)."})


class ContactOut(Schema):
    """A person at a customer."""

    id = fields.Integer()
    customer_id = fields.Integer()
    name = fields.String()
    title = fields.String()
    phones = fields.List(fields.String())
    email = fields.String()
    is_primary = fields.Boolean()
    created_at = UtcDateTime()
    # masked for a caller without customers.customer.view_sensitive
    mask_sensitive = sensitive.mask_on_dump("customers.contact")


class ContactIn(Schema):
    """A new contact person of a customer."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(load_default="", validate=validate.Length(max=100))
    phones = fields.List(fields.String(validate=validate.Length(max=60)), load_default=list,
                         validate=validate.Length(max=MAX_PHONES,
                                                  error=_PHONES_ERROR))
    email = fields.String(load_default="", validate=validate.Length(max=254))
    is_primary = fields.Boolean(load_default=False)


class ContactRecordOut(Schema):
    """One contact with a customer: a call, visit, email, meeting or other."""

    id = fields.Integer()
    customer_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"enum": list(RECORD_KINDS)})
    content = fields.String()
    occurred_at = UtcDateTime()
    user_id = fields.Integer(allow_none=True)
    next_follow_up = fields.Date(allow_none=True)
    created_at = UtcDateTime()


class ContactRecordIn(Schema):
    """A new contact record; ``occurred_at`` defaults to now, the author is the caller."""

    kind = fields.String(required=True, validate=validate.OneOf(RECORD_KINDS))
    content = fields.String(load_default="", validate=validate.Length(max=CONTENT_MAX))
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                       default_timezone=dt.UTC, metadata={
                                           "description": "Without an offset: UTC."})
    contact_id = Id(load_default=None, allow_none=True)
    next_follow_up = fields.Date(load_default=None, allow_none=True)


class CustomerTypeOut(Schema):
    """A customer type an administrator defined."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    position = fields.Integer()


class CustomerTypeIn(Schema):
    """A new customer type."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=1000))


class CustomerTagIn(Schema):
    """A new tag."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    colour = fields.String(load_default="#6c757d", validate=validate.Length(max=7),
                           metadata={"example": "#0d6efd"})
