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
    and its ticket (in the team, so in the department) with a note, and a second ticket
    (what the first could be merged into); and the first SLA policy
    and a canned reply (every department's); a public form routed to the team."""
    from sqlalchemy import select

    from plugins.service.models import (
        AssignmentRule,
        CannedReply,
        CompanyDay,
        PublicForm,
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
    # a second open ticket of the customer: the ticket page offers to merge into it
    duplicate = Ticket(request_id=request.id, number=f"SR-{label}-1-2",
                       customer_id=customer_id, subject=f"{label} again {secret}".strip(),
                       priority="normal", team_id=team.id, department_id=department_id)
    session.add_all([ticket, duplicate])
    session.flush()
    member = TeamMember(team_id=team.id, user_id=owner.id)
    session.add_all([member, TicketMessage(ticket_id=ticket.id, kind="note",
                                           body=f"{label} note {secret}".strip(),
                                           author_id=owner.id)])
    session.flush()
    policy_id = session.scalar(select(SlaPolicy.id).order_by(SlaPolicy.id).limit(1))
    # every department's texts (SHARED_RECORDS): no secret in it
    canned = CannedReply(title=f"{label} canned reply", body="{{ contact.name }}您好")
    form = PublicForm(name=f"{label} public form {department_id}",
                      key=f"form-{department_id}", team_id=team.id)
    # a company day off: administrators' (service.sla.manage), one per date
    day = CompanyDay(day=dt.date(2040, 1, 1) + dt.timedelta(days=department_id),
                     name=f"{label} 公司年会", kind="off")
    # an assignment rule to the team: administrators' (service.team.manage); its customer
    # level is no customer's, so it routes none of the walk's tickets
    rule = AssignmentRule(team_id=team.id, assignee_id=owner.id,
                          customer_level=f"walk-{department_id}")
    session.add_all([canned, form, day, rule])
    session.flush()
    surveys = _survey_records(session, ticket, label, secret)
    return {**surveys, "request_id": request.id, "ticket_id": ticket.id, "team_id": team.id,
            "team_member_id": member.id, "sla_policy_id": policy_id,
            "canned_reply_id": canned.id, "public_form_id": form.id, "form_key": form.key,
            "day_off_id": day.id,
            "assignment_rule_id": rule.id}


def _survey_records(session: Any, ticket: Any, label: str, secret: str) -> dict[str, Any]:
    """The ticket's answered satisfaction survey, a survey still open (its signed link is
    ``survey_token``: the public page's form) and a manager's evaluation."""
    from crm_core.toolkit import sign_link
    from plugins.service.models import Evaluation, Survey

    now = dt.datetime.now(dt.UTC)
    common = {"ticket_id": ticket.id, "team_id": ticket.team_id, "customer_id":
              ticket.customer_id, "department_id": ticket.department_id,
              "sent_to": f"{label.lower()}@example.com", "language": "zh_CN", "sent_at": now,
              "expires_at": now + dt.timedelta(days=14)}
    answered = Survey(**common, answered_at=now, stars=2, resolved=False,
                      comment=f"{label} survey {secret}".strip())
    waiting = Survey(**common)
    evaluation = Evaluation(ticket_id=ticket.id, speed=3, professionalism=4, result=2,
                            comment=f"{label} evaluation {secret}".strip())
    session.add_all([answered, waiting, evaluation])
    session.flush()
    return {"survey_id": answered.id,
            "survey_token": sign_link("service.survey", {"survey": waiting.id})}
