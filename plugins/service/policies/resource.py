"""SLA policies declared as a ``toolkit.Resource``: ``/service/sla_policies`` and its API,
for holders of ``service.sla.manage``. A policy sets first-response and resolution targets
in working minutes for a priority and, optionally, a request type and a customer level
(empty: any); one policy per combination. A part of the service plugin: ``resources()``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm_core.toolkit import DomainError, Field, Filter, Resource

from ..models import REQUEST_TYPES, SlaPolicy
from ..models.choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS
from ..permissions import SLA_MANAGE

MANAGED = {action: SLA_MANAGE for action in ("view", "create", "edit", "delete", "export")}
#: A year of working time is far less; a target beyond it is a typing mistake.
MINUTES_MAX = 525_600
ANY = _l("Any")


class PolicyError(DomainError):
    """A refused policy; ``field`` names the field (422 in the API)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _minutes(label: Any) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(1, MINUTES_MAX)])


class PolicyForm(FlaskForm):
    """A policy's form: "Any" request type is a choice of its own (stored empty)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       render_kw={"maxlength": 100})
    priority = SelectField(_l("Priority"), choices=[
        SelectChoice(value, label) for value, label in PRIORITY_LABELS.items()])
    request_type = SelectField(_l("Request type"), choices=[
        SelectChoice("", ANY), *(SelectChoice(value, label)
                                 for value, label in REQUEST_TYPE_LABELS.items())])
    customer_level = StringField(_l("Customer level"), validators=[Optional(), Length(max=20)],
                                 description=_l("A customer's level as the customer page "
                                                "shows it; empty: any."),
                                 render_kw={"maxlength": 20})
    first_response_minutes = _minutes(_l("First response (working minutes)"))
    resolution_minutes = _minutes(_l("Resolution (working minutes)"))
    is_active = BooleanField(_l("Active"), default=True)


def _clean(session: Session, values: dict[str, Any], policy: SlaPolicy | None) -> dict[str, Any]:
    values = {**values}
    for name in ("request_type", "customer_level"):
        if name in values:
            values[name] = (values[name] or "").strip()
    merged = {name: values.get(name, getattr(policy, name, None))
              for name in ("priority", "request_type", "customer_level",
                           "first_response_minutes", "resolution_minutes")}
    first, resolution = merged["first_response_minutes"], merged["resolution_minutes"]
    if first is not None and resolution is not None and first > resolution:
        raise PolicyError("first_response_minutes", _("The first response cannot be due "
                                                      "after the resolution."))
    taken = select(SlaPolicy.id).where(
        SlaPolicy.priority == merged["priority"],
        SlaPolicy.request_type == (merged["request_type"] or ""),
        SlaPolicy.customer_level == (merged["customer_level"] or ""))
    if policy is not None:
        taken = taken.where(SlaPolicy.id != policy.id)
    if session.scalar(taken.limit(1)) is not None:
        raise PolicyError("priority", _("Another policy has this priority, request type and "
                                        "customer level."))
    return values


def create_policy(session: Session, values: dict[str, Any], user: Any) -> SlaPolicy:
    """A new policy (the Resource's create)."""
    policy = SlaPolicy(**_clean(session, values, None))
    session.add(policy)
    session.flush()
    return policy


def update_policy(session: Session, policy: SlaPolicy, values: dict[str, Any],
                  user: Any) -> SlaPolicy:
    """Change a policy (the Resource's update); tickets keep the due times they have."""
    for name, value in _clean(session, values, policy).items():
        setattr(policy, name, value)
    session.flush()
    return policy


def _minutes_api() -> Any:
    return fields.Integer(required=True, validate=validate.Range(1, MINUTES_MAX))


_RESOURCE: list[Resource] = []


def policies_resource() -> Resource:
    """The SLA policies Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=SlaPolicy, name="sla_policies", label=_l("SLA policies"),
            label_one=_l("SLA policy"),
            fields=[Field("name", _l("Name")),
                    Field("priority", _l("Priority"), choices=list(PRIORITY_LABELS.items())),
                    Field("request_type", _l("Request type"),
                          choices=[("", ANY), *REQUEST_TYPE_LABELS.items()]),
                    Field("customer_level", _l("Customer level")),
                    Field("first_response_minutes", _l("First response (working minutes)")),
                    Field("resolution_minutes", _l("Resolution (working minutes)")),
                    Field("is_active", _l("Active"))],
            columns=["name", "priority", "request_type", "customer_level",
                     "first_response_minutes", "resolution_minutes", "is_active"],
            filters=[Filter("priority", "choice")],
            sorts=["name"], default_sort="name", search=["name"],
            form_class=PolicyForm,
            api_overrides={"request_type": fields.String(
                validate=validate.OneOf(["", *REQUEST_TYPES])),
                "first_response_minutes": _minutes_api(),
                "resolution_minutes": _minutes_api()},
            create=create_policy, update=update_policy, soft_delete=None,
            permissions=MANAGED, actions=tuple(MANAGED), icon="stopwatch", order=404,
            parent="service.teams"))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The SLA policies Resource."""
    return [policies_resource()]
