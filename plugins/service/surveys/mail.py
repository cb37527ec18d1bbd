"""The survey mail: a short text and a simple HTML version, in the survey's language, queued
in the outbox with the ticket's change (nothing leaves before the commit)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from crm_core.toolkit import format_date, send_mail

from ..models import Survey, Ticket


def survey_mail(survey: Survey, ticket: Ticket, recipient: Any, url: str) -> Any:
    """Queue the mail asking ``recipient`` to answer ``survey`` at ``url``; the outbox row.

    The idempotency key is the survey's: a retried unit of work never sends it twice."""
    with force_locale(survey.language):
        name = recipient.name or _("customer")
        until = format_date(survey.expires_at)
        subject = _("How did we do? Ticket %(number)s", number=ticket.number)
        hello = _("Hello %(name)s,", name=name)
        done = _("your request “%(subject)s” (ticket %(number)s) has been resolved.",
                 subject=ticket.subject, number=ticket.number)
        ask = _("Please tell us how satisfied you are: three questions, one minute.")
        once = _("The link can be used once, until %(date)s.", date=until)
        button = _("Rate our service")
        thanks = _("Thank you!")
    text = f"{hello}\n\n{done}\n{ask}\n\n{url}\n\n{once}\n\n{thanks}\n"
    html = (f"<p>{escape(hello)}</p><p>{escape(done)}<br>{escape(ask)}</p>"
            f'<p><a href="{escape(url)}" style="display:inline-block;padding:10px 18px;'
            f'background:#0d6efd;color:#fff;text-decoration:none;border-radius:6px">'
            f"{escape(button)}</a></p><p>{escape(url)}</p>"
            f"<p>{escape(once)}</p><p>{escape(thanks)}</p>")
    return send_mail(recipient.email, subject, text, html=html,
                     idempotency_key=f"service.survey:{survey.id}")

