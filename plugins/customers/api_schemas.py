"""Marshmallow schemas of the customers REST API (also its OpenAPI components).

Names start with ``Customer`` (or ``Contact``) so they never clash with another plugin's in
the OpenAPI document. Money is a decimal string in major units (``"12.34"``).
"""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from crm_core.toolkit import ListQuery, UtcDateTime

from .models import CUSTOMER_KINDS, RECORD_KINDS

SORT_CHOICES = ("name", "created", "updated", "amount")


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
    total_amount = fields.String(metadata={"description": "Total transaction amount in major "
                                                          "units, e.g. \"1234.50\"."})
    last_contact_at = UtcDateTime(allow_none=True)
    notes = fields.String()
    tags = fields.List(fields.Nested(CustomerTagOut))
    in_trash = fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


def _text(limit: int) -> fields.String:
    return fields.String(validate=validate.Length(max=limit))


class CustomerPatchIn(Schema):
    """Fields of a customer to change; those left out stay as they are."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    code = fields.String(allow_none=True, validate=validate.Length(max=40))
    kind = fields.String(validate=validate.OneOf(CUSTOMER_KINDS))
    customer_type_id = fields.Integer(allow_none=True)
    industry = _text(100)
    province = _text(50)
    city = _text(50)
    country = fields.String(validate=validate.Length(equal=2))
    source = _text(50)
    level = _text(20)
    status = _text(20)
    owner_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    phones = fields.List(fields.String(), metadata={
        "description": "Chinese mobile or landline numbers, or international ones with +."})
    emails = fields.List(fields.String())
    address = _text(300)
    website = _text(200)
    uscc = fields.String(allow_none=True, metadata={
        "description": "Unified social credit code (18 characters, GB 32100-2015)."})
    notes = fields.String()


class CustomerIn(CustomerPatchIn):
    """A new customer. Owner and department default to the caller's."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CustomerListQuery(ListQuery):
    """Filters, search and order of the customer list."""

    q = fields.String(load_default=None, metadata={
        "description": "Search by a fragment of name, code, phone, email or contact name "
                       "(pinyin too); answers one ranked page without next_cursor."})
    sort = fields.String(load_default="-updated", validate=validate.OneOf(
        [*SORT_CHOICES, *(f"-{name}" for name in SORT_CHOICES)]), metadata={
        "description": "name, created, updated or amount; a leading - for descending."})
    customer_type_id = fields.Integer()
    industry = fields.String()
    province = fields.String()
    city = fields.String()
    kind = fields.String(validate=validate.OneOf(CUSTOMER_KINDS))
    level = fields.String()
    status = fields.String()
    owner_id = fields.Integer()
    tag_id = fields.Integer()
    amount_min = fields.Decimal(metadata={"description": "Major units, inclusive."})
    amount_max = fields.Decimal(metadata={"description": "Major units, inclusive."})
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


class ContactIn(Schema):
    """A new contact person of a customer."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(load_default="", validate=validate.Length(max=100))
    phones = fields.List(fields.String(), load_default=list)
    email = fields.String(load_default="")
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
    content = fields.String(load_default="")
    occurred_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                       default_timezone=dt.UTC, metadata={
                                           "description": "Without an offset: UTC."})
    contact_id = fields.Integer(load_default=None, allow_none=True)
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
    description = fields.String(load_default="")


class CustomerTagIn(Schema):
    """A new tag."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    colour = fields.String(load_default="#6c757d", metadata={"example": "#0d6efd"})
