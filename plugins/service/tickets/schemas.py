"""The tickets API's bodies: a new ticket for a request, a ticket as answered (its due times
with their offsets, the SLA state as of now), and a state move."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from crm_core.toolkit import INT32_MAX, Id, UtcDateTime, custom_fields, get_session

from ..models import PRIORITIES, TICKET_STATES
from .due import sla_state_now

#: the tickets' kind of custom fields (``toolkit.custom_column`` on ``Ticket.custom``)
CUSTOM_KIND = "service.ticket"
CUSTOM_TEXT = ("The custom fields an administrator defined, by key (money as a decimal "
               "string); the list filters by them with ?custom.<key>=.")


class ServiceTicketIn(Schema):
    """Another ticket for a request you may see (the first one comes with the request)."""

    class Meta:
        unknown = EXCLUDE

    request_id = Id(required=True)
    subject = fields.String(validate=validate.Length(min=1, max=200),
                            metadata={"description": "Default: the request's subject."})
    priority = fields.String(validate=validate.OneOf(PRIORITIES),
                             metadata={"description": "Default: the request's priority."})
    team_id = Id(allow_none=True, metadata={"description": "Default: a team of your "
                                                           "department."})
    custom = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.Raw(allow_none=True), metadata={
                             "description": CUSTOM_TEXT + " Keys left out keep their value.",
                             "x-crm-custom-fields": CUSTOM_KIND})


class ServiceTicketOut(Schema):
    """A ticket: its state, assignee, team, due times and SLA state."""

    id = fields.Integer()
    number = fields.String()
    request_id = fields.Integer()
    customer_id = fields.Integer()
    subject = fields.String()
    state = fields.String(metadata={"enum": list(TICKET_STATES)})
    priority = fields.String()
    team_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    first_response_due = UtcDateTime(allow_none=True)
    resolution_due = UtcDateTime(allow_none=True)
    first_responded_at = UtcDateTime(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    paused_at = UtcDateTime(allow_none=True, metadata={
        "description": "Since when the SLA clocks stand still (waiting on the customer)."})
    paused_minutes = fields.Integer(metadata={
        "description": "Working minutes of the ended pauses, added to the due times."})
    sla_state = fields.Method("_sla_state", metadata={
        "description": "ok, warning, breached (open and past a due time), met or missed "
                       "(settled when resolved), none (no SLA policy)."})
    version = fields.Integer(metadata={"description": "Send it back with a state move to "
                                                      "detect a conflicting change (409)."})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    custom = fields.Method("_custom", metadata={"description": CUSTOM_TEXT,
                                                "x-crm-custom-fields": CUSTOM_KIND})

    def _sla_state(self, ticket: Any) -> str:
        return sla_state_now(ticket)

    def _custom(self, ticket: Any) -> dict[str, Any]:
        from flask_login import current_user

        user = current_user if current_user and current_user.is_authenticated else None
        shown = custom_fields.visible_fields(get_session(), CUSTOM_KIND, user)
        return custom_fields.api_values(shown, ticket.custom)


class StateIn(Schema):
    """A state move: the new state, an assignee (needed to assign), the version read."""

    state = fields.String(required=True, validate=validate.OneOf(TICKET_STATES))
    assignee_id = Id(allow_none=True, load_default=None)
    version = fields.Integer(load_default=None, allow_none=True,
                             validate=validate.Range(1, INT32_MAX))
