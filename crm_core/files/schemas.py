"""The attachments API's schemas (marshmallow); also the OpenAPI components."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import EXCLUDE, Schema, fields, validate

from ..api.pagination import ListQuery
from ..api.schemas import UtcDateTime
from ..edge.ints import Id

KIND_FIELD = {"description": "The record kind, e.g. customers.customer.",
              "example": "customers.customer"}


def content_url(attachment: Any) -> str:
    """Where the file's bytes are downloaded."""
    return url_for("core_files_api.content", attachment_id=attachment.id)


class AttachmentOut(Schema):
    """A file attached to a record (its bytes are at ``content_url``)."""

    id = fields.Integer()
    kind = fields.String(metadata=KIND_FIELD)
    record_id = fields.Integer()
    file_name = fields.String(metadata={"description": "The uploaded name, cleaned for display."})
    size = fields.Integer(metadata={"description": "In bytes."})
    content_type = fields.String(metadata={"description": "Sniffed from the bytes."})
    sha256 = fields.String(metadata={"description": "SHA-256 of the bytes, hex."})
    uploaded_by_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    content_url = fields.Function(content_url, dump_only=True)


class AttachmentQuery(ListQuery):
    """The files of one record: ``?kind=&record_id=`` (and ``limit``, ``cursor``)."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.Length(min=1, max=120),
                         metadata=KIND_FIELD)
    record_id = Id(required=True, metadata={"description": "The record's id."})


class UploadFields(Schema):
    """The form fields of an upload, beside the ``file`` part."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.Length(min=1, max=120),
                         metadata=KIND_FIELD)
    record_id = Id(required=True)


#: The multipart body of ``POST /api/v1/attachments`` for the OpenAPI document.
UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["kind", "record_id", "file"],
        "properties": {
            "kind": {"type": "string", "minLength": 1, "maxLength": 120, **KIND_FIELD},
            "record_id": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
            "file": {"type": "string", "format": "binary",
                     "description": "The file; at most CRM_MAX_UPLOAD_MB (default 20 MB)."},
        }}}},
}
