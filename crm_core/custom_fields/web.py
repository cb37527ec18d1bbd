"""Custom fields on HTML pages: the form inputs a record's form gains (named
``custom.<key>``, so a refusal naming ``custom.<key>`` lands under its input), the values
those inputs submit, and the sections the detail page shows.

A plugin with its own form calls ``form_class_with`` on its form class, ``fill_form`` when
showing a record and ``submitted`` when saving; the generated Resource forms do it
themselves. Templates include ``core/custom_fields/_form.html`` (the inputs, by section)
and ``core/custom_fields/_detail.html`` (the values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..rbac.forms import choice
from .models import CustomField
from .types import LONG_TEXT_MAX, TEXT_MAX, as_text, display, parse
from .values import PREFIX, editable_fields, locale, option_colour, shown_values, visible_fields

USER_OPTIONS = 500
INPUT_TYPES = {"integer": "text", "decimal": "text", "money": "text", "date": "date",
               "datetime": "datetime-local", "url": "url", "email": "email", "phone": "tel"}


def _checker(item: CustomField) -> Any:
    def check(_form: Any, field: Any) -> None:
        try:
            parse(item, field.data, field.object_data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if item.required and field.data in (None, "", [], False) and item.type != "boolean":
            raise ValidationError(_("%(field)s is required.", field=item.label(locale())))
    return check


def _input(item: CustomField) -> Any:
    label, help_text = item.label(locale()), item.help_text(locale())
    options: dict[str, Any] = {"description": help_text, "validators": [_checker(item)]}
    if item.type == "boolean":
        return BooleanField(label, **options)
    if item.type in ("choice", "user"):
        return SelectField(label, validate_choice=False, **options)
    if item.type == "multi_choice":
        return SelectMultipleField(label, validate_choice=False, **options)
    if item.type == "long_text":
        return TextAreaField(label, render_kw={"maxlength": LONG_TEXT_MAX}, **options)
    render = {"maxlength": TEXT_MAX, "type": INPUT_TYPES.get(item.type, "text")}
    if item.type in ("integer", "decimal", "money"):
        render["inputmode"] = "decimal"
    return StringField(label, render_kw=render, **options)


def form_class_with(base: type, session: Session, kind: str, user: Any) -> type:
    """``base`` with an input per custom field ``user`` may edit (named ``custom.<key>``);
    the class keeps the fields as ``custom_fields``."""
    fields = editable_fields(session, kind, user)
    attributes: dict[str, Any] = {f"{PREFIX}{item.key}": _input(item) for item in fields}
    attributes["custom_fields"] = fields
    return type(f"{base.__name__}Custom", (base,), attributes)


def _form_value(item: CustomField, value: Any) -> Any:
    if value is None:
        return False if item.type == "boolean" else ([] if item.type == "multi_choice"
                                                     else "")
    if item.type in ("boolean", "multi_choice"):
        return value
    if item.type == "user":
        return str(value)
    if item.type == "datetime":
        return str(value).removesuffix("Z")[:16]
    return as_text(item, value)


def _user_choices(session: Session, selected: Any) -> list[Any]:
    from ..auth.models import User

    rows = session.execute(select(User.id, User.username).where(
        User.is_active.is_(True) | (User.id == selected)).order_by(User.username)
        .limit(USER_OPTIONS))
    return [choice("", "—"), *(choice(str(row.id), row.username) for row in rows)]


def fill_form(form: Any, session: Session, custom: Mapping[str, Any] | None, *,
              new: bool = False) -> None:
    """Fill the custom inputs' choices, and their values from ``custom`` (a record's) or
    the defaults (``new``) unless the form was submitted."""
    custom = custom or {}
    submitted = bool(form.is_submitted())
    for item in getattr(form, "custom_fields", ()):
        field = form[f"{PREFIX}{item.key}"]
        stored = custom.get(item.key, item.default if new else None)
        field.object_data = stored
        if item.type in ("choice", "multi_choice"):
            held = stored if isinstance(stored, list) else [stored]
            field.choices = ([choice("", "—")] if item.type == "choice" else []) + [
                choice(option["value"], option["value"] if not option.get("removed")
                       else _("%(value)s (removed)", value=option["value"]))
                for option in item.options or []
                if not option.get("removed") or option["value"] in held]
        elif item.type == "user":
            field.choices = _user_choices(session, stored)
        if not submitted:
            field.data = _form_value(item, stored)


def submitted(form: Any) -> dict[str, Any]:
    """The custom inputs' values as ``clean_values`` takes them (``{key: value}``). An
    input the request did not send (a page whose own template leaves the custom inputs
    out) sends none of them: then nothing is given, so the values are kept rather than
    cleared (an unticked yes/no or an empty multiple choice sends nothing by itself)."""
    fields = list(getattr(form, "custom_fields", ()))
    rendered = any(form[f"{PREFIX}{item.key}"].raw_data for item in fields) or all(
        item.type in ("boolean", "multi_choice") for item in fields)
    return {item.key: form[f"{PREFIX}{item.key}"].data for item in fields} if rendered else {}


def sections(form: Any) -> list[tuple[str, list[Any]]]:
    """The custom inputs grouped by section, in order (for the templates)."""
    grouped: dict[str, list[Any]] = {}
    for item in getattr(form, "custom_fields", ()):
        grouped.setdefault(item.section, []).append(form[f"{PREFIX}{item.key}"])
    return list(grouped.items())


def detail_sections(session: Session, kind: str, user: Any, record: Any
                    ) -> list[tuple[str, list[dict[str, Any]]]]:
    """A record's custom values by section for its detail page: ``[(section, [{label,
    text, colour, help}])]`` of the fields ``user`` may see."""
    fields = visible_fields(session, kind, user)
    texts = shown_values(session, fields, [record]).get(record.id, {})
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in fields:
        value = (record.custom or {}).get(item.key)
        grouped.setdefault(item.section, []).append({
            "key": item.key, "label": item.label(locale()), "text": texts.get(item.key, ""),
            "colour": option_colour(item, value) if not isinstance(value, list) else None,
            "help": item.help_text(locale())})
    return list(grouped.items())


def preview_text(item: CustomField) -> str:
    """The default of a field as the admin page's preview shows it."""
    return display(item, item.default)
