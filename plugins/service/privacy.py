"""Personal data requests (PIPL) for customer service: requests, their tickets, the replies
sent to the person and the satisfaction surveys.

A request is the person's when its requester (the public form's name, e-mail, phone) is
them, or its customer is a person customer located as them (``customers.person``). Those
requests lose their requester, subject and content; their tickets' subjects and the replies
sent to the person are blanked; their surveys lose the address and the comment. Requests of a
company whose contact is the person keep their content (business correspondence) without the
person's e-mail or phone. Internal notes lose the e-mail and phone wherever they appear.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import privacy

from .models import ServiceRequest, Survey, Ticket, TicketMessage

REQUEST = "service.request"


def _requester_ids(session: Session, person: Any) -> set[int]:
    table = ServiceRequest.__table__
    condition = None
    if person.emails:
        condition = func.lower(table.c.requester_email).in_(person.emails)
    for number in person.numbers:  # typed as people type it (spaces, hyphens): the last
        # four digits narrow the rows down, and matches_phone compares the number below
        term = table.c.requester_phone.contains(number[-4:], autoescape=True)
        condition = term if condition is None else condition | term
    found = privacy.rows(session, [table.c.id, table.c.requester_email,
                                   table.c.requester_phone], condition)
    return {row["id"] for row in found if person.matches_email(row["requester_email"])
            or person.matches_phone(row["requester_phone"])}


def locate(person: Any, session: Session) -> None:
    """The requests the person made (as requester, or as the person customer)."""
    ids = _requester_ids(session, person)
    customers = person.ids("customers.person")
    if customers:
        ids |= set(session.scalars(select(ServiceRequest.id)
                                   .where(ServiceRequest.customer_id.in_(customers))))
    person.add(REQUEST, ids)


def _ticket_ids(session: Session, request_ids: set[int]) -> set[int]:
    if not request_ids:
        return set()
    return set(session.scalars(select(Ticket.id).where(Ticket.request_id.in_(request_ids))))


def _survey_condition(person: Any, ticket_ids: set[int]) -> Any:
    table = Survey.__table__
    condition = func.lower(table.c.sent_to).in_(person.emails) if person.emails else None
    if ticket_ids:
        term = table.c.ticket_id.in_(ticket_ids)
        condition = term if condition is None else condition | term
    return condition


def export(person: Any, session: Session) -> dict[str, list[dict[str, Any]]]:
    """The person's requests, their tickets, the replies sent to them and their surveys."""
    request_ids = person.ids(REQUEST)
    requests = privacy.rows(session, [ServiceRequest.__table__.c[name] for name in (
        "id", "number", "type", "channel", "subject", "content", "received_at",
        "requester_name", "requester_email", "requester_phone")],
        ServiceRequest.id.in_(request_ids) if request_ids else None)
    ticket_ids = _ticket_ids(session, request_ids)
    ticket_table = Ticket.__table__
    tickets = privacy.rows(session, [ticket_table.c[name] for name in (
        "id", "number", "request_id", "subject", "state", "created_at", "resolved_at",
        "closed_at")], ticket_table.c.id.in_(ticket_ids) if ticket_ids else None)
    messages = TicketMessage.__table__
    replies = privacy.rows(session, [messages.c.id, messages.c.ticket_id, messages.c.subject,
                                     messages.c.body, messages.c.created_at],
                           (messages.c.ticket_id.in_(ticket_ids) & (messages.c.kind == "reply"))
                           if ticket_ids else None)
    surveys = Survey.__table__
    answers = privacy.rows(session, [surveys.c.id, surveys.c.ticket_id, surveys.c.sent_to,
                                     surveys.c.sent_at, surveys.c.answered_at, surveys.c.stars,
                                     surveys.c.resolved, surveys.c.comment],
                           _survey_condition(person, ticket_ids))
    return {"requests": requests, "tickets": tickets, "replies": replies, "surveys": answers}


def erase(person: Any, erasure: Any, session: Session) -> dict[str, int]:
    """Blank the person's requests, tickets' subjects, replies and surveys; scrub notes."""
    request_ids = person.ids(REQUEST)
    ticket_ids = _ticket_ids(session, request_ids)
    requests, tickets = ServiceRequest.__table__, Ticket.__table__
    messages, surveys = TicketMessage.__table__, Survey.__table__
    counts = {"requests": 0, "tickets": 0, "replies": 0, "surveys": 0}
    if request_ids:
        counts["requests"] = privacy.write(session, update(requests).where(
            requests.c.id.in_(request_ids)).values(
            subject=privacy.ERASED, content=privacy.ERASED, requester_name="",
            requester_email="", requester_phone=""))
    if ticket_ids:
        counts["tickets"] = privacy.write(session, update(tickets).where(
            tickets.c.id.in_(ticket_ids)).values(subject=privacy.ERASED))
        counts["replies"] = privacy.write(session, update(messages).where(
            messages.c.ticket_id.in_(ticket_ids), messages.c.kind == "reply").values(
            body=privacy.ERASED, subject=privacy.ERASED))
    condition = _survey_condition(person, ticket_ids)
    if condition is not None:
        counts["surveys"] = privacy.write(session, update(surveys).where(condition).values(
            sent_to="", comment=""))
    counts["mentions"] = (privacy.scrub_column(session, requests.c.content, person)
                          + privacy.scrub_column(session, requests.c.subject, person)
                          + privacy.scrub_column(session, messages.c.body, person))
    return counts
