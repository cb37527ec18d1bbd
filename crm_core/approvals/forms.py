"""The approval forms: a definition with its ordered steps (admin), and a decision."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..rbac.forms import choices
from .definitions import MAX_STEPS


def kind_labels() -> dict[str, Any]:
    """Who decides a step, as an admin reads it."""
    return {"role": _l("Everyone with a role"), "head": _l("The requester's department head"),
            "users": _l("Named users")}


def mode_labels() -> dict[str, Any]:
    """Any or all, as an admin reads it."""
    return {"any": _l("Any one of them"), "all": _l("All of them")}


class StepForm(Form):
    """One step row (no CSRF token of its own: the definition form carries it)."""

    label = StringField(_l("Step label"), validators=[Optional(), Length(max=120)])
    approver_kind = SelectField(_l("Decided by"), validate_choice=True)
    role_name = SelectField(_l("Role"), validate_choice=False)
    user_ids = SelectMultipleField(_l("Users"), coerce=int, validate_choice=False)
    mode = SelectField(_l("Needs"), validate_choice=True)


class DefinitionForm(FlaskForm):
    """A definition: what it covers, when it applies, and its steps in order."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    subject_kind = SelectField(_l("Applies to"), validate_choice=True)
    min_amount = StringField(_l("From amount"), validators=[Optional(), Length(max=30)],
                             description=_l("Requests of at least this amount need approval; "
                                            "leave empty for any amount."),
                             render_kw={"inputmode": "decimal"})
    condition = SelectField(_l("Condition"), validate_choice=True)
    priority = IntegerField(_l("Priority"), default=100,
                            validators=[Optional(), NumberRange(min=0, max=10_000)],
                            description=_l("When several definitions apply, the lowest "
                                           "number wins."))
    active = BooleanField(_l("Active"), default=True)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
    steps = FieldList(FormField(StepForm), min_entries=1, max_entries=MAX_STEPS)

    def set_choices(self, kinds: list[tuple[str, str]], conditions: list[tuple[str, str]],
                    roles: list[tuple[str, str]], users: list[tuple[int, str]]) -> None:
        """Fill the selects from what the enabled plugins declare and the database holds."""
        self.subject_kind.choices = choices(kinds)
        self.condition.choices = choices([("", _l("(no condition)")), *conditions])
        for entry in self.steps:
            entry.approver_kind.choices = choices(list(kind_labels().items()))
            entry.role_name.choices = choices([("", _l("(choose a role)")), *roles])
            entry.user_ids.choices = choices(users)
            entry.mode.choices = choices(list(mode_labels().items()))


class DecisionForm(FlaskForm):
    """Approve or reject, with a comment."""

    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class WithdrawForm(FlaskForm):
    """The requester takes a request back, with a reason."""

    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
