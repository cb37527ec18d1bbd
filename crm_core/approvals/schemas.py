"""The approvals API's schemas (marshmallow), also its OpenAPI components."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ..api.pagination import ListQuery
from ..api.schemas import UtcDateTime
from .models import STATUSES
from .service import MAX_COMMENT


class ApprovalListQuery(ListQuery):
    """Filters of ``GET /api/v1/approvals``."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES),
                           metadata={"description": "Only approvals in this state."})
    mine = fields.Boolean(load_default=False, metadata={
        "description": "1: only the approvals waiting for your decision."})
    requested = fields.Boolean(load_default=False, metadata={
        "description": "1: only the approvals you asked for."})
    subject_kind = fields.String(load_default=None, validate=validate.Length(max=120))
    subject_id = fields.Integer(load_default=None)


class VoteOut(Schema):
    """One approver of a step and their decision (null while they have not decided)."""

    user_id = fields.Integer()
    name = fields.String()
    decision = fields.String(allow_none=True, metadata={"example": "approved"})
    comment = fields.String()
    decided_at = UtcDateTime(allow_none=True)


class StepOut(Schema):
    """A step: position, who decides it (role, head, users), any or all, its state."""

    position = fields.Integer()
    label = fields.String()
    approver_kind = fields.String(metadata={"example": "role"})
    mode = fields.String(metadata={"example": "any"})
    status = fields.String(metadata={"description": "waiting, open, approved, rejected or "
                                                    "cancelled"})
    opened_at = UtcDateTime(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    approvers = fields.List(fields.Nested(VoteOut))


class ApprovalOut(Schema):
    """An approval with its steps."""

    id = fields.Integer()
    subject_kind = fields.String(metadata={"example": "sales.contract"})
    subject_id = fields.Integer()
    title = fields.String()
    details = fields.String()
    amount = fields.Decimal(as_string=True, allow_none=True)
    status = fields.String(metadata={"description": "pending, approved, rejected, withdrawn "
                                                    "or closed"})
    reason = fields.String(metadata={"description": "Why it was withdrawn or closed."})
    requester_id = fields.Integer(allow_none=True)
    provider = fields.String(allow_none=True, metadata={
        "description": "The plugin deciding it (an OA system), or null: people decide."})
    created_at = UtcDateTime()
    decided_at = UtcDateTime(allow_none=True)
    steps = fields.List(fields.Nested(StepOut))


class DecisionIn(Schema):
    """A decision's comment."""

    class Meta:
        unknown = EXCLUDE

    comment = fields.String(load_default="", validate=validate.Length(max=MAX_COMMENT))
