"""WTForms generated from a resource's model: a field per editable column, validators from
the column (required, length, number range), the declared ``validators`` added.

Forms are Flask-WTF forms, so every POST carries its CSRF token. A resource may give its own
``form_class`` instead; it is used as it is (its fields named after the model's columns).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, Text
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..edge.ints import INT32_MAX, INT64_MAX, INT64_MIN
from ..rbac.forms import choice
from .declaration import Field, Resource
from .query import relation_choices

TEXT_MAX = 10_000


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _required(column: Any) -> bool:
    return not column.nullable and column.default is None and column.server_default is None


def _choice_coerce(column: Any) -> Any:
    return int if isinstance(column.type, Integer) else str


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def _form_field(item: Field, column: Any) -> Any:
    """The WTForms field of one declared field."""
    label, required = item.title(), _required(column)
    validators: list[Any] = [DataRequired() if required else Optional()]
    kind = column.type
    kwargs: dict[str, Any] = {"description": item.description}
    if item.relation is not None:
        return SelectField(label, coerce=_optional_int if not required else int,
                           validators=[InputRequired() if required else Optional(),
                                       *item.validators], validate_choice=False, **kwargs)
    if item.choices is not None:
        coerce = _choice_coerce(column)
        choices = [choice(coerce(value), text) for value, text in item.choices]
        if not required:
            choices = [choice("", "—"), *choices]
        return SelectField(label, choices=choices, coerce=coerce if required else
                           (lambda value: coerce(value) if value not in (None, "") else None),
                           validators=[validators[0], *item.validators], **kwargs)
    if isinstance(kind, Boolean):
        return BooleanField(label, validators=list(item.validators), **kwargs)
    if isinstance(kind, Integer):
        low, high = (-INT32_MAX - 1, INT32_MAX) if type(kind) is Integer else (INT64_MIN,
                                                                               INT64_MAX)
        return IntegerField(label, validators=[validators[0], NumberRange(low, high),
                                               *item.validators], **kwargs)
    if isinstance(kind, Numeric):
        return DecimalField(label, validators=[validators[0], NumberRange(-10**15, 10**15),
                                               *item.validators], **kwargs)
    if isinstance(kind, DateTime):
        return DateTimeLocalField(label, validators=[validators[0], *item.validators],
                                  **kwargs)
    if isinstance(kind, Date):
        return DateField(label, validators=[validators[0], *item.validators], **kwargs)
    length = getattr(kind, "length", None) or TEXT_MAX
    field_class = TextAreaField if item.textarea or isinstance(kind, Text) else StringField
    return field_class(label, validators=[validators[0], Length(max=length), *item.validators],
                       filters=[_strip], render_kw={"maxlength": length}, **kwargs)


def form_class(resource: Resource) -> type[FlaskForm]:
    """The resource's form class (declared, or generated once and kept)."""
    if resource.form_class is not None:
        return resource.form_class
    cached = resource.__dict__.get("_form_class")
    if cached is None:
        columns = resource.model.__table__.columns  # type: ignore[attr-defined]
        attributes = {item.name: _form_field(item, columns[item.name])
                      for item in resource.editable()}
        cached = type(f"{resource.model.__name__}Form", (FlaskForm,), attributes)
        resource.__dict__["_form_class"] = cached
    return cached


def make_form(resource: Resource, session: Session, record: Any = None,
              formdata: Any = "request") -> FlaskForm:
    """A form for a new record or for ``record``, with the relation choices filled in."""
    cls = form_class(resource)
    kwargs: dict[str, Any] = {"obj": record}
    if formdata != "request":
        kwargs["formdata"] = formdata
    form = cls(**kwargs)
    columns = resource.model.__table__.columns  # type: ignore[attr-defined]
    for item in resource.editable():
        if item.relation is not None and item.name in form:
            choices = [choice(value, text) for value, text in relation_choices(session, item)]
            if not _required(columns[item.name]):
                choices = [choice("", "—"), *choices]
            form[item.name].choices = choices
    return form


def form_values(resource: Resource, form: FlaskForm) -> dict[str, Any]:
    """The submitted values of the editable fields."""
    return {item.name: form[item.name].data for item in resource.editable()
            if item.name in form}
