"""The REST API of custom field definitions: ``/api/v1/custom-fields`` (list, add) and
``/api/v1/custom-fields/<id>`` (read, change, archive), ``.../restore``. Permission
``core.custom_field.manage``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app
from marshmallow import Schema, fields, validate

from ..api.endpoint import api_endpoint
from ..api.pagination import ListQuery, Page, paginate
from ..api.schemas import UtcDateTime
from ..db import get_session
from ..edge.ints import INT32_MAX
from . import service, storage
from .models import CustomField
from .types import TYPES
from .values import forget

MANAGE = "core.custom_field.manage"
bp = Blueprint("core_custom_fields_api", __name__)
TAGS = ["core"]


class CustomFieldOut(Schema):
    """A custom field's definition."""

    id = fields.Integer()
    record_kind = fields.String(metadata={"example": "customers.customer"})
    key = fields.String()
    type = fields.String(metadata={"enum": list(TYPES)})
    labels = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"example": {"zh_CN": "细分行业", "en": "Segment"}})
    help = fields.Dict(keys=fields.String(), values=fields.String())
    section = fields.String()
    position = fields.Integer()
    required = fields.Boolean()
    default = fields.Raw(allow_none=True)
    options = fields.List(fields.Dict(), metadata={
        "description": "Choice options: value, colour (#rrggbb), removed."})
    view_roles = fields.List(fields.String())
    edit_roles = fields.List(fields.String())
    filterable = fields.Boolean()
    archived = fields.Function(lambda field: field.archived_at is not None)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class CustomFieldPatchIn(Schema):
    """What may change: every attribute but the record kind and the key."""

    type = fields.String(validate=validate.OneOf(list(TYPES)))
    labels = fields.Dict(keys=fields.String(validate=validate.OneOf(["zh_CN", "en"])),
                         values=fields.String(validate=validate.Length(max=100)))
    help = fields.Dict(keys=fields.String(validate=validate.OneOf(["zh_CN", "en"])),
                       values=fields.String(validate=validate.Length(max=500)))
    section = fields.String(validate=validate.Length(max=100))
    position = fields.Integer(validate=validate.Range(-100_000, 100_000))
    required = fields.Boolean()
    default = fields.Raw(allow_none=True)
    options = fields.List(fields.Raw(), validate=validate.Length(max=service.OPTIONS_MAX),
                          metadata={"description": "Texts, or objects with value, colour "
                                                   "and was (the old value: renamed in "
                                                   "place). An option left out is removed; "
                                                   "records keep it."})
    view_roles = fields.List(fields.String(validate=validate.Length(max=80)))
    edit_roles = fields.List(fields.String(validate=validate.Length(max=80)))
    filterable = fields.Boolean(metadata={"description": "Indexed: filters and sorts."})


class CustomFieldIn(CustomFieldPatchIn):
    """A new custom field of a record kind."""

    record_kind = fields.String(required=True, validate=validate.Length(max=80))
    key = fields.String(required=True, validate=validate.Length(max=40), metadata={
        "description": "Lower-case letters, digits and _; never changes."})
    type = fields.String(required=True, validate=validate.OneOf(list(TYPES)))
    labels = fields.Dict(required=True, keys=fields.String(validate=validate.OneOf(
        ["zh_CN", "en"])), values=fields.String(validate=validate.Length(max=100)))


class CustomFieldQuery(ListQuery):
    """Which definitions to list."""

    record_kind = fields.String(load_default=None, validate=validate.Length(max=80))
    archived = fields.Boolean(load_default=False)


def kind_or_422(name: str) -> storage.RecordKind:
    kind = storage.record_kinds(current_app).get(name)
    if kind is None:
        raise service.DefinitionError("record_kind", "No record kind takes custom fields "
                                      f"under the name {name[:80]!r}.")
    return kind


def _field(field_id: int) -> tuple[CustomField, storage.RecordKind]:
    if not 1 <= field_id <= INT32_MAX:  # a bigger id names nothing (and overflows)
        abort(404)
    field = get_session().get(CustomField, field_id)
    kind = storage.record_kinds(current_app).get(field.record_kind) if field else None
    if field is None or kind is None:
        abort(404)
    return field, kind


@api_endpoint(bp, "/api/v1/custom-fields", permission=MANAGE, query=CustomFieldQuery,
              response=CustomFieldOut, page=True, tags=TAGS)
def list_fields(query: dict[str, Any]) -> Page:
    """The custom fields, by record kind and order; `archived=true` lists the archived."""
    from sqlalchemy import select

    found = select(CustomField)
    if query.get("record_kind"):
        found = found.where(CustomField.record_kind == query["record_kind"])
    found = found.where(CustomField.archived_at.is_not(None) if query["archived"]
                        else CustomField.archived_at.is_(None))
    return paginate(get_session(), found, limit=query["limit"], cursor=query.get("cursor"))


@api_endpoint(bp, "/api/v1/custom-fields", methods=["POST"], permission=MANAGE,
              body=CustomFieldIn, response=CustomFieldOut, status=201, tags=TAGS)
def create_field(body: dict[str, Any]) -> CustomField:
    """Add a custom field to a record kind (`customers.customer`...).

    A filterable field gets an index; a refused attribute answers 422 naming it."""
    session = get_session()
    kind = kind_or_422(body.pop("record_kind"))
    field = service.create_field(session, kind, body)
    session.commit()
    forget(kind.key)
    return field


@api_endpoint(bp, "/api/v1/custom-fields/<int:field_id>", permission=MANAGE,
              response=CustomFieldOut, tags=TAGS)
def get_field(field_id: int) -> CustomField:
    """One custom field's definition."""
    return _field(field_id)[0]


@api_endpoint(bp, "/api/v1/custom-fields/<int:field_id>", methods=["PATCH"],
              permission=MANAGE, body=CustomFieldPatchIn, response=CustomFieldOut, tags=TAGS)
def update_field(field_id: int, body: dict[str, Any]) -> CustomField:
    """Change a custom field; a type change its stored values would not survive answers
    422 saying how many and showing examples."""
    session = get_session()
    field, kind = _field(field_id)
    service.update_field(session, kind, field, body)
    session.commit()
    forget(kind.key)
    return field


@api_endpoint(bp, "/api/v1/custom-fields/<int:field_id>", methods=["DELETE"],
              permission=MANAGE, status=204, tags=TAGS)
def archive_field(field_id: int) -> None:
    """Archive a custom field: hidden everywhere, its values kept for a restore."""
    session = get_session()
    field, kind = _field(field_id)
    service.archive_field(session, kind, field)
    session.commit()
    forget(kind.key)


@api_endpoint(bp, "/api/v1/custom-fields/<int:field_id>/restore", methods=["POST"],
              permission=MANAGE, response=CustomFieldOut, tags=TAGS)
def restore_field(field_id: int) -> CustomField:
    """Restore an archived custom field with the values its records kept."""
    session = get_session()
    field, kind = _field(field_id)
    service.restore_field(session, kind, field)
    session.commit()
    forget(kind.key)
    return field
