"""The kernel's request and response schemas (marshmallow), also the OpenAPI components."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from .tokens import MAX_NAME_LENGTH


class UtcDateTime(fields.DateTime):
    """An ISO 8601 date-time that always carries its offset (naive values are UTC)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class ProblemSchema(Schema):
    """An error (RFC 9457 ``application/problem+json``)."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Unprocessable Content"})
    status = fields.Integer(metadata={"example": 422})
    detail = fields.String()
    instance = fields.String(metadata={"example": "/api/v1/tokens"})
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "422 (and a 400 refusing text): the messages of each refused "
                                 "field, keyed by its path: `name`, `phones.0` (the first item "
                                 "of a list), `address.city` (a nested field), `_schema` (the "
                                 "request as a whole). Always one flat object of lists of "
                                 "strings.",
                  "example": {"phones.0": ["Not a valid phone number."]}})


class MeOut(Schema):
    """Who the request is authenticated as, and what they may do."""

    username = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    permissions = fields.List(fields.String(), required=True)


class TokenIn(Schema):
    """A new API token."""

    name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME_LENGTH),
                         metadata={"description": "A label to recognise the token by."})


class TokenOut(Schema):
    """An API token as listed (never its secret)."""

    id = fields.Integer(dump_only=True)
    name = fields.String()
    prefix = fields.String(metadata={"description": "The token starts with crm_<prefix>_."})
    created_at = UtcDateTime()
    last_used_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)


class TokenCreatedOut(TokenOut):
    """A token just created: ``token`` is its text, shown this once."""

    token = fields.String(metadata={"description": "Send as 'Authorization: Bearer <token>'."})


class JobOut(Schema):
    """A background job's state and progress."""

    id = fields.Integer()
    kind = fields.String()
    about = fields.String(metadata={"description": "What the job works on, such as an "
                                                   "uploaded file's name (may be empty)."})
    task = fields.String()
    owner_id = fields.Integer(allow_none=True)
    state = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    progress = fields.Integer(metadata={"description": "0 to 100"})
    message = fields.String()
    download_url = fields.String(
        allow_none=True, dump_only=True,
        metadata={"description": "Where the job's owner downloads its file once it is done "
                                 "(null when there is none). Never a server path."})
    error = fields.String(attribute="error_text", allow_none=True, dump_only=True,
                          metadata={"description": "Why the job failed, for its user."})
    created_at = UtcDateTime()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)


class SearchQuery(Schema):
    """The global search's query string."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", metadata={"description": "Any fragment to look for."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class SearchHitOut(Schema):
    """One search result."""

    kind = fields.String()
    title = fields.String()
    url = fields.String()
    subtitle = fields.String()


class WidgetOut(Schema):
    """A dashboard widget's data."""

    id = fields.String()
    title = fields.String()
    kind = fields.String(metadata={"enum": ["bar", "pie", "line", "number", "list"]})
    data = fields.Raw(metadata={"description": "What the chart is drawn from."})
    caption = fields.String(allow_none=True, metadata={
        "description": "The line under the title, in the reader's language (\"as of 09:20\")."})
    as_of = fields.String(allow_none=True, metadata={
        "description": "When the figures were computed (UTC, ISO 8601), if the widget says."})
    date_filtered = fields.Boolean(metadata={
        "description": "Whether the figures are limited to the asked date_from/date_to "
                       "(false: the widget cannot be limited to dates, or none was asked)."})


class WidgetQuery(Schema):
    """An optional date range (inclusive) for a widget that can be limited to dates."""

    class Meta:
        unknown = EXCLUDE  # other query keys (a cache buster) are ignored, as before

    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
