"""The service dashboard widgets (a part: ``report_widgets``): open tickets by state and
priority, and the open tickets each agent holds. Both count only the tickets the viewer may
see (the ticket scope) and read the kept ``OpenTicketTotal`` (``aggregates/tickets.py``: the
open tickets per day, team, department, assignee, priority and state), never the tickets.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import ReportWidget, db, user_names

from ..aggregates.scope import scoped_totals
from ..models import OpenTicketTotal
from ..models.choices import OPEN_STATES, PRIORITY_LABELS, TICKET_STATE_LABELS
from ..permissions import TICKET_VIEW

#: Agents shown in the workload chart (the busiest first).
AGENTS = 10


def _open(statement: Any, user: Any) -> Any:
    return scoped_totals(statement, OpenTicketTotal, user)


def open_tickets(session: Session, user: Any) -> dict[str, Any]:
    """Open tickets per state (the bars), one series per priority."""
    counts = {(state, priority): int(count) for state, priority, count in session.execute(
        _open(select(OpenTicketTotal.state, OpenTicketTotal.priority,
                     func.sum(OpenTicketTotal.count))
              .group_by(OpenTicketTotal.state, OpenTicketTotal.priority), user))}
    return {"labels": [str(TICKET_STATE_LABELS[state]) for state in OPEN_STATES],
            "series": [{"name": str(label),
                        "values": [counts.get((state, priority), 0) for state in OPEN_STATES]}
                       for priority, label in PRIORITY_LABELS.items()]}


def workload(session: Session, user: Any) -> dict[str, Any]:
    """The open tickets each agent holds (the busiest ten), and those nobody holds yet."""
    held = func.sum(OpenTicketTotal.count)
    rows = session.execute(_open(select(OpenTicketTotal.assignee_id, held)
                                 .group_by(OpenTicketTotal.assignee_id)
                                 .order_by(held.desc(), OpenTicketTotal.assignee_id),
                                 user)).all()
    agents = [(assignee, int(count)) for assignee, count in rows
              if assignee is not None and count]
    agents = agents[:AGENTS]
    names = user_names(session, [assignee for assignee, _count in agents])
    unassigned = sum(int(count) for assignee, count in rows if assignee is None)
    labels = [names.get(assignee, f"#{assignee}") for assignee, _count in agents]
    values = [count for _assignee, count in agents]
    if unassigned:
        labels.append(_("Unassigned"))
        values.append(unassigned)
    return {"labels": labels, "values": values}


def report_widgets() -> list[ReportWidget]:
    """The two service widgets, for holders of ``service.ticket.view``."""
    return [
        ReportWidget(id="service.open_tickets", title=_l("Open tickets"), kind="bar",
                     data=lambda: open_tickets(db.session, current_user),
                     permission=TICKET_VIEW, order=400,
                     caption=_l("By state, one colour per priority")),
        ReportWidget(id="service.workload", title=_l("Agent workload"), kind="bar",
                     data=lambda: workload(db.session, current_user),
                     permission=TICKET_VIEW, order=401,
                     caption=_l("Open tickets each agent holds")),
    ]
