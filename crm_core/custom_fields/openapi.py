"""The custom fields in the OpenAPI document, as administrators add them: every ``custom``
object a schema marks with ``x-crm-custom-fields: <kind>`` gets the kind's fields as
properties, and the kind's API list its ``custom.<key>`` filters. The document itself is
built once per app; this is laid over a copy per request (definitions change at run time).
"""

from __future__ import annotations

import copy
from typing import Any

from ..db import get_session
from .models import CustomField
from .storage import kind_of_model, record_kinds
from .values import active_fields, filter_args, locale

MARK = "x-crm-custom-fields"


def field_schema(item: CustomField) -> dict[str, Any]:
    """The JSON schema of a field's value in the API."""
    kind = item.type
    schema: dict[str, Any]
    if kind == "integer" or kind == "user":
        schema = {"type": "integer"}
    elif kind == "decimal":
        schema = {"type": "number"}
    elif kind == "money":
        schema = {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$",
                  "example": "1234.50"}
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "datetime":
        schema = {"type": "string", "format": "date-time"}
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "choice":
        schema = {"type": "string", "enum": item.option_values()}
    elif kind == "multi_choice":
        schema = {"type": "array", "items": {"type": "string",
                                             "enum": item.option_values()}}
    elif kind == "email":
        schema = {"type": "string", "format": "email"}
    elif kind == "url":
        schema = {"type": "string", "format": "uri"}
    else:
        schema = {"type": "string"}
    labels = item.labels or {}
    title = " / ".join(text for text in (labels.get("zh_CN"), labels.get("en")) if text)
    schema.update({"nullable": True, "title": title or item.key})
    help_text = item.help_text(locale())
    if help_text:
        schema["description"] = help_text
    return schema


def _parameter(name: str, item: CustomField, op: str) -> dict[str, Any]:
    texts = {"eq": "Equal to", "min": "At least", "max": "At most", "from": "From (day)",
             "to": "Up to (day)"}
    schema = {"type": "string", "format": "date"} if op in ("from", "to") else \
        {"type": "string"}
    if op == "eq" and item.type in ("choice", "multi_choice"):
        schema["enum"] = item.option_values()
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": f"{texts[op]}: custom field {item.label('en')} ({item.type})."}


def describe(app: Any, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the custom fields of every record kind laid in (a copy; the
    document itself when no kind takes custom fields)."""
    kinds = record_kinds(app)
    if not kinds:
        return document
    session = get_session()
    fields = {key: active_fields(session, key) for key in kinds}
    document = copy.deepcopy(document)
    for schema in document.get("components", {}).get("schemas", {}).values():
        for prop in schema.get("properties", {}).values():
            kind = prop.get(MARK) if isinstance(prop, dict) else None
            if kind in fields:
                prop["properties"] = {item.key: field_schema(item) for item in fields[kind]}
    paths = document.get("paths", {})
    lists = [(kind.key, kind.api_path) for kind in kinds.values() if kind.api_path]
    from ..resources.registration import resources

    for plugin, resource in resources(app.extensions["crm"].pm):
        kind = kind_of_model(resource.model)
        if kind is not None and resource.api and kind.key in kinds:
            lists.append((kind.key, f"/api/v1/{plugin}/{resource.name}"))
    for key, path in lists:
        operation = paths.get(path, {}).get("get")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        parameters += [_parameter(name, item, op)
                       for name, (item, op) in filter_args(fields[key]).items()]
    return document
