"""The low-score alert (a part: ``notification_kinds()``): an answer of two stars or fewer,
or one saying the problem is not resolved, tells the ticket's team lead (kind
``service.low_score``), in the lead's language (lazy texts, written per recipient)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import NotificationKind, notify

from ..models import Survey, Team, Ticket

LOW_SCORE_KIND = "service.low_score"
LOW_STARS = 2


def notification_kinds() -> list[NotificationKind]:
    """The low-score alert, in the CRM and by e-mail unless the lead chooses otherwise."""
    return [NotificationKind(LOW_SCORE_KIND, _l("Low satisfaction scores of my team"),
                             default_channels=("in_app", "email"),
                             description=_l("A customer gave two stars or fewer, or said "
                                            "the problem is not resolved."))]


def is_low(survey: Survey) -> bool:
    """Whether the answer calls for the team lead: two stars or fewer, or not resolved."""
    return (survey.stars is not None and survey.stars <= LOW_STARS) or survey.resolved is False


def tell_lead_if_low(session: Session, survey: Survey) -> bool:
    """Notify the survey's team lead about a low answer; whether anyone was told."""
    if not is_low(survey) or survey.team_id is None:
        return False
    lead_id = session.scalar(select(Team.lead_id).where(Team.id == survey.team_id))
    ticket = session.get(Ticket, survey.ticket_id)
    if lead_id is None or ticket is None:
        return False
    comment = f" “{survey.comment[:300]}”" if survey.comment else ""
    if survey.resolved is False:
        body = _l("%(stars)d of 5 stars; the customer says the problem is not resolved."
                  "%(comment)s", stars=survey.stars or 0, comment=comment)
    else:
        body = _l("%(stars)d of 5 stars.%(comment)s", stars=survey.stars or 0,
                  comment=comment)
    notify([lead_id], LOW_SCORE_KIND,
           _l("Ticket %(number)s: a low satisfaction score", number=ticket.number), body,
           f"/service/tickets/{ticket.id}", session=session)
    return True
