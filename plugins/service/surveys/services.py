"""The survey's rules: sent when a ticket is resolved, read back from its signed link,
answered once.

- ``send_survey`` (the ``ticket_resolved`` listener) closes a survey of the ticket still
  open, makes a new one for the ticket's team, assignee and department and queues its mail
  in the outbox (``survey_mail``); a customer without an e-mail address gets none, which
  the ticket's operation log says.
- ``open_survey`` reads a link: forged or of a survey that is gone → ``LinkInvalid`` (404),
  older than ``CRM_SERVICE_SURVEY_DAYS`` or replaced → ``SurveyClosed`` (410); an answered
  one comes back with ``answered_at`` set.
- ``answer_survey`` stores the answer once (a second → ``AlreadyAnswered``, 409; two at the
  same moment: the row's version lets only one write), tells the team lead about a low
  score and emits ``survey_answered``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import (
    DomainError,
    LinkExpired,
    LinkInvalid,
    emit,
    model_for_table,
    plugin_config,
    read_link,
    record_event,
    sign_link,
    stored_time,
    utcnow,
)

from ..models import ServiceRequest, Survey, Ticket
from ..thread.recipients import CONTACT_TABLE, customer_address
from .alerts import tell_lead_if_low
from .mail import survey_mail

log = logging.getLogger(__name__)

PURPOSE = "service.survey"
DEFAULT_DAYS = 14
COMMENT_MAX = 2000
_HAN = re.compile(r"[\u3400-\u9fff]")


class SurveyClosed(LinkExpired):
    """The survey may no longer be answered: too old, or replaced by a newer one."""


class AlreadyAnswered(DomainError):
    """The survey was answered already (each link answers once)."""

    status = 409


def survey_days() -> int:
    """How many days a survey link stays open (``CRM_SERVICE_SURVEY_DAYS``, default 14)."""
    try:
        days = int(plugin_config("service", "survey_days", DEFAULT_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_DAYS
    return max(1, min(days, 365))


def survey_path(survey: Survey) -> str:
    """The survey's signed page, a path on this site."""
    return f"/service/survey/{sign_link(PURPOSE, {'survey': survey.id})}"


def site_url(path: str) -> str:
    """``path`` as a full URL (``CRM_BASE_URL``, else the request's host) for a mail."""
    base = current_app.config.get("CRM_BASE_URL") or (
        request.host_url if has_request_context() else "")
    return (str(base).rstrip("/") + path) if base else path


def survey_language(session: Session, ticket: Ticket) -> str:
    """``zh_CN`` when the customer wrote (or is named) in Chinese, else ``en`` when they
    wrote in Latin letters, else the app's default language."""
    contact = model_for_table(CONTACT_TABLE)
    row = session.execute(select(ServiceRequest.subject, ServiceRequest.content,
                                 contact.name)
                          .outerjoin(contact, contact.id == ServiceRequest.contact_id)
                          .where(ServiceRequest.id == ticket.request_id)).first()
    words = " ".join(str(part or "") for part in (row or ())) + " " + ticket.subject
    if _HAN.search(words):
        return "zh_CN"
    if re.search(r"[A-Za-z]", words):
        return "en"
    return str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")


def close_open_surveys(session: Session, ticket_id: int, now: dt.datetime) -> int:
    """Close the ticket's surveys not answered and still open (a newer one replaces them);
    how many."""
    found = session.scalars(select(Survey).where(
        Survey.ticket_id == ticket_id, Survey.answered_at.is_(None),
        Survey.expires_at > now)).all()
    for survey in found:
        survey.expires_at = now
    return len(found)


def send_survey(session: Session, ticket_id: int) -> Survey | None:
    """Make the resolved ticket's survey and queue its mail (the caller commits); None when
    the customer has no e-mail address (the ticket's log says so)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.deleted_at is not None:
        return None
    now = utcnow()
    close_open_surveys(session, ticket.id, now)
    recipient = customer_address(session, ticket)
    if recipient is None:
        record_event("survey_not_sent", _("No satisfaction survey was sent for ticket "
                                          "%(number)s: the customer has no e-mail address.",
                                          number=ticket.number),
                     model=Ticket, record_id=ticket.id, session=session)
        log.info("ticket %s resolved: no survey, the customer has no e-mail address",
                 ticket.id)
        return None
    survey = Survey(ticket_id=ticket.id, team_id=ticket.team_id, agent_id=ticket.assignee_id,
                    customer_id=ticket.customer_id, department_id=ticket.department_id,
                    sent_to=recipient.email[:254], language=survey_language(session, ticket),
                    sent_at=now, expires_at=now + dt.timedelta(days=survey_days()))
    session.add(survey)
    session.flush()
    survey_mail(survey, ticket, recipient, site_url(survey_path(survey)))
    return survey


def open_survey(session: Session, token: str) -> Survey:
    """The survey a link names. ``LinkInvalid`` (404) for a forged link or a survey that is
    gone, ``LinkExpired`` / ``SurveyClosed`` (410) for one that may no longer be answered;
    an answered survey is returned (its page thanks the customer)."""
    payload = read_link(PURPOSE, token, max_age=dt.timedelta(days=survey_days()))
    survey_id = payload.get("survey") if isinstance(payload, dict) else None
    survey = session.get(Survey, survey_id) if isinstance(survey_id, int) else None
    if survey is None:
        raise LinkInvalid(_("This link is not valid."))
    ticket_gone = session.scalar(select(Ticket.deleted_at).where(Ticket.id == survey.ticket_id))
    if ticket_gone is not None:
        raise LinkInvalid(_("This link is not valid."))
    if survey.answered_at is None and stored_time(survey.expires_at) <= utcnow():
        raise SurveyClosed(_("This survey has closed."))
    return survey


def answer_survey(session: Session, survey: Survey, stars: int, resolved: bool | None,
                  comment: str = "") -> Survey:
    """Store the customer's answer (the caller commits); ``AlreadyAnswered`` for a second."""
    if survey.answered_at is not None:
        raise AlreadyAnswered(_("This survey was answered already. Thank you!"))
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DomainError(_("Choose from one to five stars."))
    survey.stars = stars
    survey.resolved = resolved
    survey.comment = (comment or "").strip()[:COMMENT_MAX]
    survey.answered_at = utcnow()
    session.flush()
    tell_lead_if_low(session, survey)
    emit("survey_answered", session, survey_id=survey.id, ticket_id=survey.ticket_id,
         customer_id=survey.customer_id, stars=survey.stars, resolved=survey.resolved)
    return survey


def ticket_surveys(session: Session, ticket_id: int, limit: int = 5) -> list[Survey]:
    """The ticket's newest surveys, newest first."""
    return list(session.scalars(select(Survey).where(Survey.ticket_id == ticket_id)
                                .order_by(Survey.id.desc()).limit(limit)))


def describe(survey: Survey, now: dt.datetime | None = None) -> str:
    """``answered``, ``open`` or ``closed``: where a survey stands."""
    if survey.answered_at is not None:
        return "answered"
    return "open" if stored_time(survey.expires_at) > (now or utcnow()) else "closed"

