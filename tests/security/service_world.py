"""One service record of every kind for a department of the security walk (no tests here).

Ids are keyed by the URL variable that names them (``<object>_id``, as Resources name their
routes). The records carry the West marker in their text when the department is West's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def service_records(session: Any, owner: Any, department_id: int, label: str, secret: str,
                    customer_id: int) -> dict[str, Any]:
    """A team of the department with ``owner`` in it, a service request entered by ``owner``
    and its ticket (in the team, so in the department) with a note; and the first SLA policy
    (every department's)."""
    from sqlalchemy import select

    from plugins.service.models import (
        ServiceRequest,
        SlaPolicy,
        Team,
        TeamMember,
        Ticket,
        TicketMessage,
    )

    now = dt.datetime.now(dt.UTC)
    team = Team(name=f"{label} service team", department_id=department_id, lead_id=owner.id)
    request = ServiceRequest(number=f"SR-{label}-1", type="complaint", channel="phone",
                             customer_id=customer_id, subject=f"{label} complaint {secret}".strip(),
                             content=f"{label} says {secret}".strip(), priority="high",
                             received_at=now, owner_id=owner.id, department_id=department_id)
    session.add_all([team, request])
    session.flush()
    ticket = Ticket(request_id=request.id, number=f"SR-{label}-1-1", customer_id=customer_id,
                    subject=f"{label} ticket {secret}".strip(), priority="high",
                    team_id=team.id, department_id=department_id,
                    first_response_due=now + dt.timedelta(hours=2),
                    resolution_due=now + dt.timedelta(hours=8))
    session.add(ticket)
    session.flush()
    member = TeamMember(team_id=team.id, user_id=owner.id)
    session.add_all([member, TicketMessage(ticket_id=ticket.id, kind="note",
                                           body=f"{label} note {secret}".strip(),
                                           author_id=owner.id)])
    session.flush()
    policy_id = session.scalar(select(SlaPolicy.id).order_by(SlaPolicy.id).limit(1))
    return {"request_id": request.id, "ticket_id": ticket.id, "team_id": team.id,
            "team_member_id": member.id, "sla_policy_id": policy_id}
