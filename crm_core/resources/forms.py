"""WTForms generated from a resource's model: a field per editable column, validators from
the column (required, length, number range), the declared ``validators`` added.

- A relation is a select of at most ``RELATION_OPTIONS`` targets the user may see (their data
  scope; deleted and inactive ones left out), with a search box above it when there are more
  (``relations.SearchSelect``): never a select of every row of a big table.
- A ``JSON`` column holds a list of texts: one text input of values separated by commas,
  semicolons or lines (``ListTextField``).
- A new record's form takes initial values from the query string (``?customer_id=3``).

Forms are Flask-WTF forms, so every POST carries its CSRF token. A resource may give its own
``form_class`` instead; it is used as it is (its fields named after the model's columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Numeric, Text
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
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import ColorInput

from ..edge.ints import INT32_MAX, INT64_MAX, INT64_MIN
from ..rbac.forms import choice
from .declaration import Field, Resource
from .relations import ListTextField, RelationField, relation_options

TEXT_MAX = 10_000
COLOUR = r"^#[0-9a-fA-F]{6}$"
COLOUR_ERROR = _l("Choose the colour as #rrggbb, such as #0d6efd.")


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
        return RelationField(label, coerce=_optional_int,
                             validators=[InputRequired() if required else Optional(),
                                         *item.validators], validate_choice=False, **kwargs)
    if isinstance(kind, JSON):
        return ListTextField(label, validators=[Optional(), *item.validators], **kwargs)
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
    if item.colour:
        default = getattr(column.default, "arg", None)
        return StringField(label, widget=ColorInput(), filters=[_strip],
                           default=default if isinstance(default, str) else None,
                           validators=[validators[0], Regexp(COLOUR, message=COLOUR_ERROR),
                                       *item.validators], **kwargs)
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
              formdata: Any = "request", *, user: Any = None,
              initial: Mapping[str, Any] | None = None) -> FlaskForm:
    """A form for a new record or for ``record``, with the relation choices filled in (the
    targets ``user`` may see). ``initial`` (a new record's query string) presets the
    editable fields it names, each read as the field reads a submitted value; a value the
    field refuses is left out."""
    from ..custom_fields import storage as custom_storage
    from ..custom_fields import web as custom_web

    cls = form_class(resource)
    kind = custom_storage.kind_of_model(resource.model)
    if kind is not None:  # the custom fields the user may edit, after the declared ones
        cls = custom_web.form_class_with(cls, session, kind.key, user)
    kwargs: dict[str, Any] = {"obj": record}
    if formdata != "request":
        kwargs["formdata"] = formdata
    form = cls(**kwargs)
    if initial and record is None and formdata is None:
        _preset(resource, form, initial)
    if kind is not None:
        custom_web.fill_form(form, session, getattr(record, "custom", None), new=record is None)
    columns = resource.model.__table__.columns  # type: ignore[attr-defined]
    for item in resource.editable():
        if item.relation is not None and item.name in form:
            field = form[item.name]
            options, more = relation_options(session, item, user, field.data)
            choices = [choice(value, text) for value, text in options]
            # a required one not chosen yet starts blank: never a first row chosen unseen
            if not _required(columns[item.name]) or field.data is None:
                choices = [choice("", "—"), *choices]
            field.choices = choices
            if more and isinstance(field, RelationField):
                field.search = (resource.endpoint, item.name)
    return form


def _preset(resource: Resource, form: FlaskForm, initial: Mapping[str, Any]) -> None:
    for item in resource.editable():
        raw = initial.get(item.name)
        if item.name not in form or not isinstance(raw, str) or len(raw) > TEXT_MAX:
            continue
        field = form[item.name]
        try:
            field.process_formdata([raw])
        except ValueError:
            field.data = field.default
        field.raw_data = None


def form_values(resource: Resource, form: FlaskForm) -> dict[str, Any]:
    """The submitted values of the editable fields."""
    values = {item.name: form[item.name].data for item in resource.editable()
              if item.name in form}
    if getattr(form, "custom_fields", None) is not None:
        from ..custom_fields.web import submitted

        values["custom"] = submitted(form)
    return values
