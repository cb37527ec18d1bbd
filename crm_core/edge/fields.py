"""Defaults for the schemas ``api_endpoint`` loads: no field is unbounded.

An ``Integer`` without a ``Range`` takes only what a PostgreSQL ``bigint`` holds; a
``String`` without a ``Length`` takes at most ``DEFAULT_MAX_STRING`` characters. A field that
declares its own validator of that kind keeps it (it may allow more). The validators are real
``validate.Range`` / ``validate.Length`` objects, so the OpenAPI document shows the bounds.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from .ints import INT64_MAX, INT64_MIN

DEFAULT_MAX_STRING = 10_000


def bound_schema(schema: Schema, seen: set[int] | None = None) -> Schema:
    """Add the default bounds to every field of ``schema``, nested ones included."""
    seen = set() if seen is None else seen
    if id(schema) in seen:
        return schema
    seen.add(id(schema))
    for field in schema.fields.values():
        bound_field(field, seen)
    return schema


def _has(field: fields.Field, kind: type) -> bool:
    return any(isinstance(check, kind) for check in field.validators)


def bound_field(field: Any, seen: set[int]) -> None:
    """Add the default bound to ``field`` (and the fields inside a list, dict or nested)."""
    if isinstance(field, fields.Nested):
        nested = field.schema
        if isinstance(nested, Schema):
            bound_schema(nested, seen)
    elif isinstance(field, fields.List):
        bound_field(field.inner, seen)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            bound_field(inner, seen)
    elif isinstance(field, fields.Mapping):
        for inner in (field.key_field, field.value_field):
            if inner is not None:
                bound_field(inner, seen)
    elif isinstance(field, fields.Integer):
        if not _has(field, validate.Range):
            field.validators.append(validate.Range(min=INT64_MIN, max=INT64_MAX))
    elif isinstance(field, fields.String):
        if not _has(field, validate.Length):
            field.validators.append(validate.Length(max=DEFAULT_MAX_STRING))
