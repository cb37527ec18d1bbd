"""The service facts analytics may read (the ``crm_analytics_sources`` hook, an optional
hook: service works without analytics and imports nothing of it).

``service.tickets``: tickets not deleted, on the day they were opened, in the ticket's data
scope (the assignee and the ticket's department). The response time is the wall-clock
minutes from opening to the first response, rounded to the minute (shown in hours); the
working-minute SLA figures stay service's own (docs/service.md).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, case, cast, extract, func, select

from crm_core.toolkit import get_session

from .models import ServiceRequest, Team, Ticket
from .models.choices import PRIORITY_LABELS, REQUEST_TYPE_LABELS, TICKET_STATE_LABELS


def _minutes_between(start: Any, end: Any) -> Any:
    """Whole minutes from ``start`` to ``end`` (NULL when ``end`` is), on either database."""
    if get_session().get_bind().dialect.name == "postgresql":
        return cast(func.round(extract("epoch", end - start) / 60), BigInteger)
    return cast(func.round((func.julianday(end) - func.julianday(start)) * 1440), BigInteger)


def _team_names(session: Any, ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(Team.id, Team.name).where(Team.id.in_(ids)))
    return {key: name for key, name in rows}


def analytics_sources() -> list[dict[str, Any]]:
    """``service.tickets`` (docs/analytics.md, "Describing facts")."""
    response = _minutes_between(Ticket.created_at, Ticket.first_responded_at)
    request_type = select(ServiceRequest.type).where(ServiceRequest.id == Ticket.request_id) \
        .scalar_subquery()
    return [{
        "id": "service.tickets", "label": _l("Tickets"), "table": Ticket,
        "scope_model": Ticket, "date": Ticket.created_at,
        "where": (Ticket.deleted_at.is_(None),), "key": Ticket.id,
        "events": {"ticket_resolved": "ticket_id", "ticket_reopened": "ticket_id"},
        # two-dimension queries of these read the month rollups, not every ticket
        "pairs": [("priority", "ticket_type"), ("priority", "state"), ("priority", "team"),
                  ("state", "ticket_type"), ("team", "ticket_type"), ("team", "state")],
        "measures": [
            {"id": "count", "label": _l("Tickets"), "kind": "count"},
            {"id": "resolved", "label": _l("Resolved tickets"), "kind": "sum",
             "expr": case((Ticket.resolved_at.is_not(None), 1), else_=0)},
            {"id": "avg_response_hours", "label": _l("Average first response (hours)"),
             "kind": "avg", "expr": response, "divisor": 60, "places": 2, "unit": "h"},
        ],
        "dimensions": [
            {"id": "owner", "label": _l("Assignee"), "expr": Ticket.assignee_id,
             "kind": "user", "drill": "/service/tickets?assignee_id={value}"},
            {"id": "department", "label": _l("Department"), "expr": Ticket.department_id,
             "kind": "department"},
            {"id": "team", "label": _l("Team"), "expr": Ticket.team_id, "kind": "labels",
             "labels": _team_names},
            {"id": "priority", "label": _l("Priority"), "expr": Ticket.priority,
             "kind": "choice", "choices": PRIORITY_LABELS,
             "drill": "/service/tickets?priority={value}"},
            {"id": "state", "label": _l("State"), "expr": Ticket.state, "kind": "choice",
             "choices": TICKET_STATE_LABELS},
            {"id": "ticket_type", "label": _l("Ticket type"), "expr": request_type,
             "kind": "choice", "choices": REQUEST_TYPE_LABELS},
        ],
    }]
