"""Assignment rules declared as a ``toolkit.Resource``: ``/service/assignment_rules`` and its
API, for holders of ``service.team.manage``. A rule sends new tickets of a request type,
priority and customer level (each empty: any) to a team, optionally to one of its members;
the active rules are tried in order and the first that matches wins. A part of the service
plugin: ``resources()``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from crm_core.toolkit import INT32_MAX, Field, Filter, Resource

from .. import criteria
from ..models import PRIORITIES, REQUEST_TYPES, AssignmentRule, Team, TeamMember
from ..permissions import TEAM_MANAGE

POSITION_MAX = 100_000


class RuleError(criteria.CriteriaError):
    """A refused rule; ``field`` names the field (422 in the API, beside it on the form)."""


def _id_or_none(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 10 and int(text) <= INT32_MAX \
        else None


class RuleForm(FlaskForm):
    """A rule's form: "Any" is a choice of its own (stored empty); the team and member
    selects are filled by the kernel (the relation fields)."""

    position = IntegerField(_l("Order"), default=100,
                            validators=[InputRequired(), NumberRange(0, POSITION_MAX)],
                            description=_l("Rules are tried from the lowest number up; the "
                                           "first that matches routes the ticket."))
    request_type = criteria.request_type_select()
    priority = criteria.priority_select(any_choice=True)
    customer_level = criteria.customer_level_input()
    team_id = SelectField(_l("Team"), coerce=_id_or_none, validate_choice=False,
                          validators=[InputRequired()])
    assignee_id = SelectField(_l("Member"), coerce=_id_or_none, validate_choice=False,
                              description=_l("Empty: the team's assignment mode picks an "
                                             "available member."))
    is_active = criteria.active_checkbox()


def _clean(session: Session, values: dict[str, Any], rule: AssignmentRule | None
           ) -> dict[str, Any]:
    values = criteria.stripped(values, ("request_type", "priority", "customer_level"))
    if values.get("request_type") not in (None, "", *REQUEST_TYPES):
        raise RuleError("request_type", _("Not a valid choice."))
    if values.get("priority") not in (None, "", *PRIORITIES):
        raise RuleError("priority", _("Not a valid choice."))
    team_id = values.get("team_id", getattr(rule, "team_id", None))
    team = session.get(Team, team_id) if isinstance(team_id, int) else None
    if team is None:
        raise RuleError("team_id", _("Choose the team the tickets go to."))
    assignee_id = values.get("assignee_id", getattr(rule, "assignee_id", None))
    if assignee_id is not None and session.scalar(select(TeamMember.id).where(
            TeamMember.team_id == team.id, TeamMember.user_id == assignee_id)) is None:
        raise RuleError("assignee_id", _("Choose a member of the team, or nobody."))
    return values


#: The Resource's create and update: a new rule; a changed one (tickets already routed stay
#: where they are).
create_rule, update_rule = criteria.writers(AssignmentRule, _clean)


_RESOURCE: list[Resource] = []


def rules_resource() -> Resource:
    """The assignment rules Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(criteria.admin_resource(
            TEAM_MANAGE, model=AssignmentRule, name="assignment_rules",
            label=_l("Assignment rules"), label_one=_l("Assignment rule"),
            fields=[Field("position", _l("Order")),
                    criteria.request_type_field(), criteria.priority_field(any_choice=True),
                    criteria.customer_level_field(),
                    Field("team_id", _l("Team"), relation=Team),
                    Field("assignee_id", _l("Member"), relation="user"),
                    criteria.active_field()],
            title_field="position",
            columns=["position", "request_type", "priority", "customer_level", "team_id",
                     "assignee_id", "is_active"],
            filters=[Filter("team_id", "relation")],
            sorts=["position"], default_sort="position",
            form_class=RuleForm,
            api_overrides={
                "request_type": criteria.request_type_api(),
                "priority": fields.String(validate=validate.OneOf(["", *PRIORITIES])),
                "position": fields.Integer(validate=validate.Range(0, POSITION_MAX))},
            create=create_rule, update=update_rule, icon="signpost-split", order=405))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The assignment rules Resource."""
    return [rules_resource()]
