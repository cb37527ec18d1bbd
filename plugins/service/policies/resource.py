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
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from crm_core.toolkit import Field, Filter, Resource

from .. import criteria
from ..models import SlaPolicy
from ..permissions import SLA_MANAGE

#: A year of working time is far less; a target beyond it is a typing mistake.
MINUTES_MAX = 525_600


class PolicyError(criteria.CriteriaError):
    """A refused policy; ``field`` names the field (422 in the API)."""


def _minutes(label: Any) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(1, MINUTES_MAX)])


class PolicyForm(FlaskForm):
    """A policy's form: "Any" request type is a choice of its own (stored empty)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)],
                       render_kw={"maxlength": 100})
    priority = criteria.priority_select(any_choice=False)
    request_type = criteria.request_type_select()
    customer_level = criteria.customer_level_input()
    first_response_minutes = _minutes(_l("First response (working minutes)"))
    resolution_minutes = _minutes(_l("Resolution (working minutes)"))
    is_active = criteria.active_checkbox()


def _clean(session: Session, values: dict[str, Any], policy: SlaPolicy | None) -> dict[str, Any]:
    values = criteria.stripped(values, ("request_type", "customer_level"))
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


#: The Resource's create and update: a new policy; a changed one (tickets keep the due times
#: they have).
create_policy, update_policy = criteria.writers(SlaPolicy, _clean)


def _minutes_api() -> Any:
    return fields.Integer(required=True, validate=validate.Range(1, MINUTES_MAX))


_RESOURCE: list[Resource] = []


def policies_resource() -> Resource:
    """The SLA policies Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(criteria.admin_resource(
            SLA_MANAGE, model=SlaPolicy, name="sla_policies", label=_l("SLA policies"),
            label_one=_l("SLA policy"),
            fields=[Field("name", _l("Name")),
                    criteria.priority_field(any_choice=False), criteria.request_type_field(),
                    criteria.customer_level_field(),
                    Field("first_response_minutes", _l("First response (working minutes)")),
                    Field("resolution_minutes", _l("Resolution (working minutes)")),
                    criteria.active_field()],
            columns=["name", "priority", "request_type", "customer_level",
                     "first_response_minutes", "resolution_minutes", "is_active"],
            filters=[Filter("priority", "choice")],
            sorts=["name"], default_sort="name", search=["name"],
            form_class=PolicyForm,
            api_overrides={"request_type": criteria.request_type_api(),
                           "first_response_minutes": _minutes_api(),
                           "resolution_minutes": _minutes_api()},
            create=create_policy, update=update_policy, icon="stopwatch", order=404))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The SLA policies Resource."""
    return [policies_resource()]
