"""The admin pages' forms (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .models import SCOPES

try:  # WTForms 3.3 wants SelectChoice and warns about plain tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choice(value: Any, label: Any) -> Any:
    """One option of a select or checkbox list."""
    return SelectChoice(value, label) if SelectChoice is not None else (value, label)


def choices(pairs: list[tuple[Any, Any]]) -> list[Any]:
    """Options from ``(value, label)`` pairs."""
    return [choice(value, label) for value, label in pairs]


def optional_int(value: Any) -> int | None:
    """Coerce a select's value: "" (none chosen) is None, anything else an int."""
    if value in (None, "", "None"):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def scope_labels() -> dict[str, Any]:
    """The data scopes as a user reads them."""
    return {"own": _l("Own records"), "department": _l("Department and sub-departments"),
            "all": _l("All records")}


class ConfirmForm(FlaskForm):
    """An empty form: the confirmation step of a destructive action (CSRF only)."""


class _ProfileFields(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)],
                        render_kw={"type": "email", "autocomplete": "off"})
    department = SelectField(_l("Department"), coerce=optional_int, validate_choice=True)
    roles = MultiCheckboxField(_l("Roles"))
    # Checked by the service (a FieldError on this field), so a forged zone is a field error.
    timezone = SelectField(_l("Time zone"), validate_choice=False)

    def set_choices(self, departments: list[tuple[int, str]],
                    roles: list[tuple[str, str]]) -> None:
        """Fill the department, role and time zone choices."""
        from flask_babel import gettext

        from ..auth.timezones import default_timezone_name, timezone_choices

        self.department.choices = choices([("", _l("(no department)")), *departments])
        self.roles.choices = choices(roles)
        self.timezone.choices = choices(timezone_choices(
            gettext("Default (%(zone)s)", zone=default_timezone_name())))


class UserCreateForm(_ProfileFields):
    """A new user: name, profile, department, roles and a first password."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "off"})
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class UserEditForm(_ProfileFields):
    """An existing user's profile, department, roles and whether they may sign in."""

    active = BooleanField(_l("Active (may sign in)"))


class PasswordResetForm(FlaskForm):
    """A new password an administrator types for a user."""

    password = PasswordField(_l("New password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class RoleCreateForm(FlaskForm):
    """A new custom role."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Lower-case letters, digits, “_”, “.” or “-”; "
                                      "it never changes."))
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])


class RoleEditForm(FlaskForm):
    """A role's label, description, permission grants and data scope per record kind.

    Build it with ``role_edit_form(kinds, ...)``: the scope fields depend on the record kinds
    the enabled plugins declare.
    """

    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
    permissions = MultiCheckboxField(_l("Permissions"))
    scope_fields: list[tuple[str, Any]]

    def scopes(self) -> dict[str, str | None]:
        """The chosen scope per kind ("" for "as the default")."""
        return {kind: field.data or None for kind, field in self.scope_fields}


def role_edit_form(kinds: list[str], **kwargs: Any) -> RoleEditForm:
    """A ``RoleEditForm`` with one scope select for ``*`` and one per record kind."""
    labels = scope_labels()

    class Form(RoleEditForm):
        pass

    names = []
    for index, kind in enumerate(["*", *kinds]):
        pairs: list[tuple[str, Any]] = [(scope, labels[scope]) for scope in SCOPES]
        if kind != "*":
            pairs.insert(0, ("", _l("As the default")))
        name = f"scope_{index}"
        setattr(Form, name, SelectField(_l("Default for every kind") if kind == "*" else kind,
                                        choices=choices(pairs),
                                        default="" if kind != "*" else "own"))
        names.append((kind, name))
    form = Form(**kwargs)
    form.scope_fields = [(kind, form[name]) for kind, name in names]
    return form


class DepartmentForm(FlaskForm):
    """A department's name and where it sits in the tree."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    parent = SelectField(_l("Parent department"), coerce=optional_int)
    head = SelectField(_l("Head"), coerce=optional_int, validate_choice=True,
                       description=_l("Decides the approval steps that ask for the "
                                      "requester's department head."))

    def set_choices(self, departments: list[tuple[int, str]],
                    users: list[tuple[int, str]] | None = None) -> None:
        """Fill the parent choices (the caller leaves out the department's own subtree)."""
        self.parent.choices = choices([("", _l("(top level)")), *departments])
        self.head.choices = choices([("", _l("(no head)")), *(users or [])])
