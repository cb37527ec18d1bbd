"""Tickets declared once as a ``toolkit.Resource``: the list at ``/service/tickets`` (keyset
pages; filters by state, priority, SLA state, team and assignee), the forms (another ticket
for a request; subject, priority and team), the detail page with the state buttons, and the
API at ``/api/v1/service/tickets``. Writes go through ``tickets.services``; states move
through ``tickets.states`` (``tickets.api`` and ``tickets.views``). A part of the service
plugin: ``resources()``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm_core.toolkit import Field, Filter, Panel, Resource, Section, get_session, model_for_table
from plugins.customers.services import CUSTOMER_TABLE

from ..assignment.panel import assignment_context
from ..assignment.queues import queue_presets
from ..models import ServiceRequest, Team, Ticket
from ..models.choices import PRIORITY_LABELS, SLA_STATE_LABELS, TICKET_STATE_LABELS
from ..surveys.report import survey_panel
from ..thread.panel import thread_context
from . import services, states
from .merge import merge_candidates
from .schemas import ServiceTicketIn, ServiceTicketOut


def _state_context(ticket: Ticket) -> dict[str, Any]:
    """What the state panel offers: the moves allowed now and whom to assign to."""
    moves = states.next_states(ticket)
    choices = states.assignee_choices(get_session(), ticket) if "assigned" in moves else []
    return {"moves": moves, "labels": TICKET_STATE_LABELS, "assignees": choices,
            "merge_into": merge_candidates(get_session(), ticket, current_user)}


def _create(session: Any, values: dict[str, Any], user: Any) -> Ticket:
    return services.add_ticket(session, values, user)


def _update(session: Any, ticket: Ticket, values: dict[str, Any], user: Any) -> Ticket:
    return services.update_ticket(session, ticket, values, user)


_RESOURCE: list[Resource] = []


def tickets_resource() -> Resource:
    """The tickets Resource (built once, when the app asks for the hooks)."""
    if not _RESOURCE:
        _RESOURCE.append(Resource(
            model=Ticket, name="tickets", label=_l("Tickets"), label_one=_l("Ticket"),
            fields=[Field("number", _l("Number"), form=False),
                    Field("request_id", _l("Service request"), relation=ServiceRequest,
                          relation_label="number"),
                    Field("subject", _l("Subject")),
                    Field("customer_id", _l("Customer"),
                          relation=model_for_table(CUSTOMER_TABLE), relation_label="name",
                          form=False),
                    Field("state", _l("State"), choices=list(TICKET_STATE_LABELS.items()),
                          form=False),
                    Field("priority", _l("Priority"), choices=list(PRIORITY_LABELS.items())),
                    Field("team_id", _l("Team"), relation=Team),
                    Field("assignee_id", _l("Assignee"), relation="user", form=False),
                    Field("first_response_due", _l("First response due"), form=False),
                    Field("resolution_due", _l("Resolution due"), form=False),
                    Field("sla_state", _l("SLA"), choices=list(SLA_STATE_LABELS.items()),
                          form=False),
                    Field("first_responded_at", _l("First response"), form=False),
                    Field("resolved_at", _l("Resolved"), form=False),
                    Field("closed_at", _l("Closed"), form=False)],
            title_field="number",
            columns=["number", "subject", "state", "priority", "assignee_id",
                     "resolution_due", "sla_state"],
            filters=[Filter("state", "choice"), Filter("priority", "choice"),
                     Filter("sla_state", "choice"), Filter("team_id", "relation"),
                     Filter("assignee_id", "relation")],
            sorts=["number", "updated_at"], search=["number", "subject"],
            presets=queue_presets(),
            sections=[Section(_l("Ticket"), ["number", "request_id", "customer_id",
                                             "subject", "state", "priority", "team_id",
                                             "assignee_id"]),
                      Section(_l("Service level"), ["first_response_due", "resolution_due",
                                                    "sla_state", "first_responded_at",
                                                    "resolved_at", "closed_at"])],
            panels=[Panel(_l("Work on it"), "service/tickets/_state.html", _state_context),
                    Panel(_l("Assignee"), "service/assignment/_assign.html",
                          assignment_context),
                    Panel(_l("Conversation"), "service/thread/_panel.html", thread_context),
                    survey_panel()],
            api_overrides={"in": ServiceTicketIn, "out": ServiceTicketOut},
            create=_create, update=_update, delete=services.delete_ticket,
            templates={"list": "service/tickets/list.html"},
            export_columns=["id", "number", "request_id", "subject", "state", "priority",
                            "team_id", "assignee_id", "first_response_due",
                            "resolution_due", "sla_state", "resolved_at"],
            actions=("view", "create", "edit", "delete", "export"),
            icon="ticket-perforated", order=401))
    return _RESOURCE[0]


def resources() -> list[Resource]:
    """The tickets Resource."""
    return [tickets_resource()]
