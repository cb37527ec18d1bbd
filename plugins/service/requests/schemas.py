"""The requests API's bodies: what ``POST /api/v1/service/requests`` takes (and PATCH, in
part) and what a request answers, with its tickets' ids."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from crm_core.toolkit import Id, UtcDateTime

from ..models import CHANNELS, PRIORITIES, REQUEST_TYPES


class ServiceRequestIn(Schema):
    """A request as staff enter it; ``received_at`` is when the call or visit happened.
    Left out: ``channel`` phone, ``priority`` normal, ``content`` empty."""

    class Meta:
        unknown = EXCLUDE

    customer_id = Id(required=True)
    contact_id = Id(allow_none=True)
    type = fields.String(required=True, validate=validate.OneOf(REQUEST_TYPES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(validate=validate.Length(max=10000))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    received_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "ISO 8601 with an offset, e.g. 2026-09-30T17:00:00+08:00; "
                                 "default: now."})
    team_id = Id(allow_none=True,
                 metadata={"description": "The first ticket's team; default: a team of "
                                          "your department."})


class ServiceRequestOut(Schema):
    """A request and the ids of its tickets."""

    id = fields.Integer()
    number = fields.String(metadata={"description": "The reference, e.g. SR202612-0001."})
    type = fields.String()
    channel = fields.String()
    customer_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    subject = fields.String()
    content = fields.String()
    priority = fields.String()
    received_at = UtcDateTime()
    owner_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    ticket_ids = fields.List(fields.Integer())
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
