"""The customers' custom fields (kernel ``toolkit.custom_fields``): checking the values a
form, the API or an import sends, the API's ``custom`` object and its filters.

The record kind is ``customers.customer``; its values live in ``Customer.custom``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from crm_core.toolkit import custom_fields, db

from ..models import Customer
from ..validation import FieldError

KIND = "customers.customer"


def clean_custom(session: Session, value: Any, customer: Customer | None) -> dict[str, Any]:
    """A customer's new ``custom`` values: the current ones with ``value`` (a dict of keys
    and values) checked into them; a new customer gets the fields' defaults. A refusal
    names ``custom.<key>``."""
    return custom_fields.clean_values(session, KIND, value,
                                      customer.custom if customer is not None else None,
                                      new=customer is None)


def check_api_values(session: Session, value: Any, user: Any, customer: Customer | None
                     ) -> None:
    """Refuse, before the service runs, what ``user`` may not send through the API: a field
    they may not edit, or a new customer without a required field."""
    custom_fields.clean_values(session, KIND, value or {},
                               customer.custom if customer is not None else None,
                               user=user, new=customer is None)


def api_custom(session: Session, user: Any, customers: Iterable[Customer]
               ) -> dict[int, dict[str, Any]]:
    """``{customer id: custom object}`` of the fields ``user`` may see."""
    fields = custom_fields.visible_fields(session, KIND, user)
    return {customer.id: custom_fields.api_values(fields, customer.custom)
            for customer in customers}


FILTERS_MAX, FILTER_TEXT_MAX = 20, 200


#: The ``custom.<...>`` arguments of a query string that are set (the kernel's).
custom_args = custom_fields.set_custom_args


def check_custom_filters(value: Any) -> dict[str, str] | None:
    """The ``custom`` list filter (``{"custom.<key>": text}``) checked for its shape (the
    values are checked against the fields when the list is read); None when empty."""
    if not isinstance(value, Mapping):
        raise FieldError("custom", _("Custom filters are a set of custom.<key> values."))
    raw = custom_args(value)
    if len(raw) > FILTERS_MAX or any(len(text) > FILTER_TEXT_MAX or len(key) > 60
                                     for key, text in raw.items()):
        raise FieldError("custom", _("Too many or too long custom filters."))
    return raw or None


def custom_conditions(raw: Mapping[str, str], *, walk_order: bool = False) -> list[Any]:
    """The WHERE conditions of checked ``custom`` filters; a filter of a field that no
    longer exists raises ``CustomValueError`` naming it (never a wider list). ``walk_order``:
    for a page in the list's order (a wide range is walked on SQLite, see the kernel's
    ``custom_fields.conditions``)."""
    from flask import current_app

    session = db.session
    found = custom_fields.parse_filters(session, KIND, raw)
    kind = custom_fields.record_kinds(current_app)[KIND]
    return custom_fields.conditions(session, kind, found, walk_order=walk_order)


def api_filters(session: Session, args: Mapping[str, Any], user: Any) -> dict[str, str] | None:
    """The ``custom`` list filter of an API query string, checked against the fields
    ``user`` may see (a refused one raises ``CustomValueError`` naming it: 422)."""
    raw = custom_args(args)
    if not raw:
        return None
    custom_fields.parse_filters(session, KIND, raw, user)
    return check_custom_filters(raw)


def add_custom_to_items(session: Session, user: Any, items: list[dict[str, Any]]) -> None:
    """Give the API list's items (plain dicts) their ``custom`` object: one statement for
    the page, none when no field is defined."""
    fields = custom_fields.visible_fields(session, KIND, user)
    if not fields:
        for item in items:
            item["custom"] = {}
        return
    from sqlalchemy import select

    ids = [item["id"] for item in items]
    stored = dict(session.execute(select(Customer.id, Customer.custom)
                                  .where(Customer.id.in_(ids))).all()) if ids else {}
    for item in items:
        item["custom"] = custom_fields.api_values(fields, stored.get(item["id"]))
