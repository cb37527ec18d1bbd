"""What assignment rules and SLA policies share: both are admin tables under "Teams", managed
by one permission each, that match new tickets by request type, priority and customer level
("Any" is a choice of its own, stored empty). Their Resources (``assignment/resource.py``,
``policies/resource.py``) take the common form fields, Resource fields, API overrides, write
functions and declaration from here, so the two stay alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from crm_core.toolkit import DomainError, Field, Resource

from .models import REQUEST_TYPES
from .models.choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS

__all__ = ["ANY", "CriteriaError", "active_checkbox", "active_field", "admin_resource",
           "customer_level_field", "customer_level_input", "managed", "priority_field",
           "priority_select", "request_type_api", "request_type_field", "request_type_select",
           "stripped", "writers"]

ANY = _l("Any")
ACTIONS = ("view", "create", "edit", "delete", "export")
CUSTOMER_LEVEL_MAX = 20

Clean = Callable[[Session, dict[str, Any], Any], dict[str, Any]]


class CriteriaError(DomainError):
    """A refused rule or policy; ``field`` names the field (422 in the API, beside it on the
    form)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def managed(permission: str) -> dict[str, str]:
    """Every action of the table behind one permission."""
    return {action: permission for action in ACTIONS}


def _choices(labels: dict[str, Any], any_choice: bool) -> list[SelectChoice]:
    return [*([SelectChoice("", ANY)] if any_choice else []),
            *(SelectChoice(value, label) for value, label in labels.items())]


# -- form fields (each call a new field, in the order the form class declares them)

def request_type_select() -> Any:
    """The request type select, "Any" first."""
    return SelectField(_l("Request type"), choices=_choices(REQUEST_TYPE_LABELS, True))


def priority_select(any_choice: bool) -> Any:
    """The priority select, "Any" first when ``any_choice``."""
    return SelectField(_l("Priority"), choices=_choices(PRIORITY_LABELS, any_choice))


def customer_level_input() -> Any:
    """The customer level text (empty: any)."""
    return StringField(_l("Customer level"),
                       validators=[Optional(), Length(max=CUSTOMER_LEVEL_MAX)],
                       description=_l("A customer's level as the customer page shows it; "
                                      "empty: any."),
                       render_kw={"maxlength": CUSTOMER_LEVEL_MAX})


def active_checkbox() -> Any:
    """The "Active" checkbox, ticked for a new record."""
    return BooleanField(_l("Active"), default=True)


# -- Resource fields and API

def request_type_field() -> Field:
    """The request type as lists, details and exports show it."""
    return Field("request_type", _l("Request type"),
                 choices=[("", ANY), *REQUEST_TYPE_LABELS.items()])


def priority_field(any_choice: bool) -> Field:
    """The priority as lists, details and exports show it."""
    labels = list(PRIORITY_LABELS.items())
    return Field("priority", _l("Priority"), choices=[("", ANY), *labels] if any_choice
                 else labels)


def customer_level_field() -> Field:
    """The customer level column."""
    return Field("customer_level", _l("Customer level"))


def active_field() -> Field:
    """The "Active" column."""
    return Field("is_active", _l("Active"))


def request_type_api() -> Any:
    """The API's request type: one of the types, or empty for any."""
    return fields.String(validate=validate.OneOf(["", *REQUEST_TYPES]))


# -- writes

def stripped(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``values`` with the given text criteria stripped (None: empty)."""
    values = {**values}
    for name in names:
        if name in values:
            values[name] = str(values[name] or "").strip()
    return values


def writers(model: type, clean: Clean) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The Resource's ``create(session, values, user)`` and ``update(session, record,
    values, user)`` for ``model``, both through ``clean(session, values, record_or_None)``."""

    def create(session: Session, values: dict[str, Any], user: Any) -> Any:
        record = model(**clean(session, values, None))
        session.add(record)
        session.flush()
        return record

    def update(session: Session, record: Any, values: dict[str, Any], user: Any) -> Any:
        for name, value in clean(session, values, record).items():
            setattr(record, name, value)
        session.flush()
        return record

    return create, update


def admin_resource(permission: str, **declaration: Any) -> Resource:
    """A Resource of these admin tables: every action behind ``permission``, hard delete,
    listed under "Teams"; ``declaration`` holds the rest of ``Resource``'s arguments."""
    permissions = managed(permission)
    return Resource(soft_delete=None, permissions=permissions, actions=tuple(permissions),
                    parent="service.teams", **declaration)
