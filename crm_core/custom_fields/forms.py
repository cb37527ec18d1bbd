"""The admin page's form of a custom field definition (WTForms, CSRF) and its translation
to what ``service.create_field``/``update_field`` take."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..rbac.forms import choice
from .models import CustomField
from .types import KEY, TYPES

RENAME = "=>"


class CustomFieldForm(FlaskForm):
    """A custom field: key and type (fixed once saved, the type changes only when the values
    convert), labels, help, section, order, required, default, options, roles, filterable."""

    key = StringField(_l("Field key"), validators=[DataRequired(), Length(max=40),
                                             Regexp(KEY.pattern, message=_l(
                                                 "Lower-case letters, digits and _, "
                                                 "starting with a letter."))],
                      description=_l("Names the field in the API and exports; never "
                                     "changes."))
    type = SelectField(_l("Type"), choices=[choice(name, label)
                                            for name, label in TYPES.items()])
    label_zh = StringField(_l("Label (Chinese)"), validators=[Length(max=100)])
    label_en = StringField(_l("Label (English)"), validators=[Length(max=100)])
    help_zh = StringField(_l("Help text (Chinese)"), validators=[Length(max=500)])
    help_en = StringField(_l("Help text (English)"), validators=[Length(max=500)])
    section = StringField(_l("Section"), validators=[Length(max=100)],
                          description=_l("Fields of one section are shown together."))
    position = IntegerField(_l("Order"), validators=[Optional(), NumberRange(-100000, 100000)])
    required = BooleanField(_l("Required"))
    default = StringField(_l("Default"), validators=[Length(max=500)],
                          description=_l("The value a new record starts with."))
    options = TextAreaField(_l("Options"), validators=[Length(max=20000)], description=_l(
        "Choice fields: one option per line, optionally followed by a colour (医疗器械 "
        "#0d6efd). Rename one in place with old => new. An option left out is removed: "
        "records keep it, shown as (removed)."))
    view_roles = SelectMultipleField(_l("Roles that may see it"), validate_choice=False,
                                     description=_l("None chosen: everyone who sees the "
                                                    "record."))
    edit_roles = SelectMultipleField(_l("Roles that may edit it"), validate_choice=False,
                                     description=_l("None chosen: everyone who may edit "
                                                    "the record."))
    filterable = BooleanField(_l("Filterable"), description=_l(
        "Adds a filter to the list and an index, so filtering and sorting stay fast."))


class ConfirmForm(FlaskForm):
    """Only the CSRF token: archive and restore buttons."""


def options_text(field: CustomField) -> str:
    """A field's active options as the form shows them."""
    return "\n".join(f"{option['value']} {option.get('colour', '')}".strip()
                     for option in field.options or [] if not option.get("removed"))


def parse_options(text: str) -> list[dict[str, Any]]:
    """Option lines (``value [#colour]``, ``old => new [#colour]``) as the service takes
    them."""
    options = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        colour = None
        head, _sep, tail = line.rpartition(" ")
        if tail.startswith("#") and head:
            line, colour = head.strip(), tail
        was = None
        if RENAME in line:
            was, line = (part.strip() for part in line.split(RENAME, 1))
        option: dict[str, Any] = {"value": line}
        if colour:
            option["colour"] = colour
        if was:
            option["was"] = was
        options.append(option)
    return options


def form_data(form: CustomFieldForm) -> dict[str, Any]:
    """The form's values as the service takes them."""
    return {
        "key": form.key.data, "type": form.type.data,
        "labels": {"zh_CN": form.label_zh.data or "", "en": form.label_en.data or ""},
        "help": {"zh_CN": form.help_zh.data or "", "en": form.help_en.data or ""},
        "section": form.section.data or "", "position": form.position.data,
        "required": form.required.data, "default": form.default.data,
        "options": parse_options(form.options.data or ""),
        "view_roles": list(form.view_roles.data or []),
        "edit_roles": list(form.edit_roles.data or []), "filterable": form.filterable.data,
    }


def fill(form: CustomFieldForm, field: CustomField) -> None:
    """Show ``field`` in ``form`` (a GET of the edit page)."""
    from .types import as_text

    form.key.data, form.type.data = field.key, field.type
    form.label_zh.data = (field.labels or {}).get("zh_CN", "")
    form.label_en.data = (field.labels or {}).get("en", "")
    form.help_zh.data = (field.help or {}).get("zh_CN", "")
    form.help_en.data = (field.help or {}).get("en", "")
    form.section.data, form.position.data = field.section, field.position
    form.required.data, form.filterable.data = field.required, field.filterable
    form.default.data = as_text(field, field.default)
    form.options.data = options_text(field)
    form.view_roles.data, form.edit_roles.data = field.view_roles, field.edit_roles
