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
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from crm_core.toolkit import INT32_MAX, DomainError, Field, Filter, Resource

from ..models import PRIORITIES, REQUEST_TYPES, AssignmentRule, Team, TeamMember
from ..models.choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS
from ..permissions import TEAM_MANAGE

MANAGED = {action: TEAM_MANAGE for action in ("view", "create", "edit", "delete", "export")}
POSITION_MAX = 100_000
ANY = _l("Any")


class RuleError(DomainError):
    """A refused rule; ``field`` names the field (422 in the API, beside it on the form)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


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
    request_type = SelectField(_l("Request type"), choices=[
        SelectChoice("", ANY), *(SelectChoice(value, label)
                                 for value, label in REQUEST_TYPE_LABELS.items())])
    priority = SelectField(_l("Priority"), choices=[
        SelectChoice("", ANY), *(SelectChoice(value, label)
                                 for value, label in PRIORITY_LABELS.items())])
    customer_level = StringField(_l("Customer level"), validators=[Optional(), Length(max=20)],
                                 description=_l("A customer's level as the customer page "
                                                "shows it; empty: any."),
                                 render_kw={"maxlength": 20})
    team_id = SelectField(_l("Team"), coerce=_id_or_none, validate_choice=False,
                          validators=[InputRequired()])
    assignee_id = SelectField(_l("Member"), coerce=_id_or_none, validate_choice=False,
                              description=_l("Empty: the team's assignment mode picks an "
                                             "available member."))
    is_active = BooleanField(_l("Active"), default=True)


def _clean(session: Session, values: dict[str, Any], rule: AssignmentRule | None
           ) -> dict[str, Any]:
    values = {**values}
    for name in ("request_type", "priority", "customer_level"):
        if name in values:
            values[name] = str(values[name] or "").strip()
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


def create_rule(session: Session, values: dict[str, Any], user: Any) -> AssignmentRule:
    """A new rule (the Resource's create)."""
    rule = AssignmentRule(**_clean(session, values, None))
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, rule: AssignmentRule, values: dict[str, Any],
                user: Any) -> AssignmentRule:
    """Change a rule (the Resource's update); tickets already routed stay where they are."""
    for name, value in _clean(session, values, rule).items():
        setattr(rule, name, value)
    session.flush()
    return rule


_RESOURCE: list[Resource] = []


def rules_resource() -> Resource:
    """The assignment rules Resource (built once)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=AssignmentRule, name="assignment_rules", label=_l("Assignment rules"),
            label_one=_l("Assignment rule"),
            fields=[Field("position", _l("Order")),
                    Field("request_type", _l("Request type"),
                          choices=[("", ANY), *REQUEST_TYPE_LABELS.items()]),
                    Field("priority", _l("Priority"),
                          choices=[("", ANY), *PRIORITY_LABELS.items()]),
                    Field("customer_level", _l("Customer level")),
                    Field("team_id", _l("Team"), relation=Team),
                    Field("assignee_id", _l("Member"), relation="user"),
                    Field("is_active", _l("Active"))],
            title_field="position",
            columns=["position", "request_type", "priority", "customer_level", "team_id",
                     "assignee_id", "is_active"],
            filters=[Filter("team_id", "relation")],
            sorts=["position"], default_sort="position",
            form_class=RuleForm,
            api_overrides={
                "request_type": fields.String(validate=validate.OneOf(["", *REQUEST_TYPES])),
                "priority": fields.String(validate=validate.OneOf(["", *PRIORITIES])),
                "position": fields.Integer(validate=validate.Range(0, POSITION_MAX))},
            create=create_rule, update=update_rule, soft_delete=None,
            permissions=MANAGED, actions=tuple(MANAGED), icon="signpost-split", order=405,
            parent="service.teams"))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The assignment rules Resource."""
    return [rules_resource()]
