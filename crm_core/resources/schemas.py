"""Marshmallow schemas generated from a resource's model for its API: ``out`` (what a record
answers: the id, every declared field, the timestamps) and ``in`` (what create takes; update
takes it ``partial``), with validators from the columns. A ``JSON`` column is a list of
texts (as the form's ``ListTextField``).

``out`` masks the sensitive fields (``crm_sensitive_fields``) for a caller without
``view_sensitive``. ``api_overrides`` replaces them: ``{"out": Schema, "in": Schema}`` for
whole schemas, or ``{"<field>": marshmallow field}`` for single fields of both.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Numeric

from ..api.schemas import UtcDateTime
from ..custom_fields.records import custom_schema_fields
from ..edge.ints import INT32_MAX, INT64_MAX, INT64_MIN, Id
from ..sensitive.resources import resource_kind
from ..sensitive.schemas import mask_on_dump
from .declaration import Field, Resource
from .forms import COLOUR, COLOUR_ERROR, TEXT_MAX, _required
from .relations import LIST_ITEM_MAX, LIST_MAX


def _field(item: Field, column: Any, *, dump: bool) -> Any:
    kind, required = column.type, _required(column) and not dump
    options: dict[str, Any] = {"required": required, "allow_none": column.nullable,
                               "metadata": {"description": str(item.title())}}
    if item.relation is not None:
        return Id(**options)
    if item.choices is not None:
        options["validate"] = validate.OneOf([value for value, _label in item.choices])
        return (fields.Integer if isinstance(kind, Integer) else fields.String)(**options)
    if isinstance(kind, JSON):
        return fields.List(fields.String(validate=validate.Length(max=LIST_ITEM_MAX)),
                           validate=validate.Length(max=LIST_MAX), **options)
    if isinstance(kind, Boolean):
        return fields.Boolean(**options)
    if isinstance(kind, Integer):
        high = INT32_MAX if type(kind) is Integer else INT64_MAX
        low = -INT32_MAX - 1 if type(kind) is Integer else INT64_MIN
        return fields.Integer(validate=validate.Range(low, high), **options)
    if isinstance(kind, Numeric):
        return fields.Decimal(as_string=True, validate=validate.Range(-10**15, 10**15),
                              **options)
    if isinstance(kind, DateTime):
        return UtcDateTime(**options)
    if isinstance(kind, Date):
        return fields.Date(**options)
    if item.colour:
        return fields.String(validate=validate.Regexp(COLOUR, error=str(COLOUR_ERROR)),
                             **options)
    length = getattr(kind, "length", None) or TEXT_MAX
    minimum = 1 if required else 0
    return fields.String(validate=validate.Length(min=minimum, max=length), **options)


def _name(resource: Resource, suffix: str) -> str:
    return "".join(part.capitalize() for part in f"{resource.plugin}_{resource.name}"
                   .split("_")) + suffix


def _build(resource: Resource, suffix: str) -> type[Schema]:
    columns = resource.model.__table__.columns  # type: ignore[attr-defined]
    dump = suffix == "Out"
    chosen = resource.fields if dump else resource.editable()
    attributes: dict[str, Any] = {}
    if dump:
        attributes["id"] = fields.Integer(dump_only=True)
    for item in chosen:
        attributes[item.name] = resource.api_overrides.get(item.name) or \
            _field(item, columns[item.name], dump=dump)
    attributes.update(custom_schema_fields(resource.model, dump=dump))  # ``custom``
    if dump:
        for stamp in ("created_at", "updated_at"):
            if stamp in columns:
                attributes[stamp] = UtcDateTime(dump_only=True)
        attributes["mask_sensitive"] = mask_on_dump(resource_kind(resource))
    else:
        attributes["Meta"] = type("Meta", (), {"unknown": EXCLUDE})
    return type(_name(resource, suffix), (Schema,), attributes)


def schema(resource: Resource, kind: str) -> type[Schema]:
    """The ``"out"``, ``"in"`` or ``"patch"`` schema class of ``resource`` (built once and
    kept). ``patch`` is ``in`` under its own name, used ``partial`` (the OpenAPI document
    names each once)."""
    if kind == "patch":
        key = "_schema_patch"
        if key not in resource.__dict__:
            body_in = schema(resource, "in")
            resource.__dict__[key] = type(f"{body_in.__name__.removesuffix('In')}Patch",
                                          (body_in,), {})
        return resource.__dict__[key]
    declared = resource.api_overrides.get(kind)
    if declared is not None:
        return declared
    key = f"_schema_{kind}"
    cached = resource.__dict__.get(key)
    if cached is None:
        cached = resource.__dict__[key] = _build(resource, "Out" if kind == "out" else "In")
    return cached


def list_query(resource: Resource) -> type[Schema]:
    """The API list's query string: ``limit``, ``cursor``, ``q``, ``sort`` and the filters
    (checked by ``query.parse_filters``, which names a refused one)."""
    from ..api.pagination import ListQuery
    from .query import PRESET_ARG, filter_args

    key = "_schema_query"
    cached = resource.__dict__.get(key)
    if cached is None:
        sorts = ["id", "-id", *resource.sorts, *(f"-{name}" for name in resource.sorts)]
        attributes: dict[str, Any] = {
            "q": fields.String(load_default="", validate=validate.Length(max=100),
                               metadata={"description": "Quick search."}),
            "sort": _sort_field(resource, sorts),
        }
        for arg in filter_args(resource):
            attributes[arg] = fields.String(load_default=None,
                                            validate=validate.Length(max=40),
                                            metadata={"description": "A filter."})
        if resource.presets:
            names = ", ".join(item.name for item in resource.presets)
            attributes[PRESET_ARG] = fields.String(
                load_default=None, validate=validate.OneOf(
                    ["all", *(item.name for item in resource.presets)]),
                metadata={"description": f"A named view: {names} (default: all)."})
        cached = resource.__dict__[key] = type(_name(resource, "Query"), (ListQuery,),
                                               attributes)
    return cached


def _sort_field(resource: Resource, sorts: list[str]) -> Any:
    """The list's ``sort``: a declared one, or (a model with custom fields) ``custom.<key>``
    of a sortable custom field, which the endpoint checks (``query.sort_error``)."""
    from ..custom_fields.sorting import SortChoice
    from ..custom_fields.storage import kind_of_model

    if kind_of_model(resource.model) is None:
        return fields.String(load_default=None, validate=validate.OneOf(sorts),
                             metadata={"description": "A sort; '-' descends."})
    names = ", ".join(name for name in sorts if not name.startswith("-"))
    return fields.String(load_default=None, validate=SortChoice(sorts), metadata={
        "description": f"A sort: {names}, or custom.<key> of a custom field that is "
                       "filterable (indexed); '-' descends."})
