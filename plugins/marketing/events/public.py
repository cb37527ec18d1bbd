"""The public pages of an event (活动报名, no sign-in): the registration form at
``/m/events/<key>`` and a registrant's ticket behind its signed link at
``/m/events/ticket/<token>``. A part of the marketing plugin (through ``part``).

Every post spends the visitor's address's budget (``CRM_MARKETING_EVENT_RATE_LIMIT``,
default ``10 per minute; 100 per day``). The blueprint is exempt from the kernel's session
CSRF check: the form carries its own signed token (see ``public_form``). A second
registration of the same e-mail or phone answers "already registered" and mails the ticket
again to the address on file; it never shows that person's ticket to whoever typed their
address.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    LinkExpired,
    LinkInvalid,
    asked_language,
    get_session,
    over_budget,
    page_language,
    plugin_config,
    public,
)

from ..models import Campaign
from . import confirm, services
from .models import Event, Registration
from .public_form import HONEYPOT, form_for, question_fields
from .register import register

log = logging.getLogger(__name__)

bp = Blueprint("marketing_event_public", __name__, template_folder="../templates")
DEFAULT_RATE = "10 per minute; 100 per day"
BUDGET = "marketing.event_registration"
FIELDS = ("name", "phone", "email", "company")


@bp.record_once
def _exempt_from_session_csrf(state: Any) -> None:
    state.app.extensions["csrf"].exempt(bp)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, lang=asked_language(), **context), status=status,
                    mimetype="text/html")


def _message(status: int, title: str, message: str) -> Response:
    return _page("marketing/events/message.html", status, title=title, message=message)


def _spent() -> int | None:
    """Count this post against each budget of the visitor's address; the seconds to wait
    when one is spent, else None."""
    budgets = str(plugin_config("marketing", "event_rate_limit", DEFAULT_RATE))
    waits = [over_budget(BUDGET, request.remote_addr or "unknown", budget.strip())
             for budget in budgets.split(";") if budget.strip()]
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def _ticket_url(registration: Registration) -> str:
    lang = asked_language()
    return url_for("marketing_event_public.ticket", token=confirm.ticket_token(registration),
                   _external=True,
                   **({"lang": "zh-CN" if lang == "zh_CN" else lang} if lang else {}))


def masked(email: str | None) -> str:
    """An address shown to whoever typed it: ``l***@example.com``."""
    if not email or "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


@bp.route("/m/events/<key>", methods=["GET", "POST"])
@public
def register_page(key: str) -> Response:
    """An event's registration form."""
    with page_language():
        session = get_session()
        try:
            event, campaign = services.find_event(session, key[:100])
        except services.EventNotFound as missing:
            return _message(404, _("Event not found"), str(missing))
        if request.method == "POST":
            wait = _spent()
            if wait is not None:
                response = _message(429, _("Please wait a moment"), _(
                    "Too many requests from your address. Please try again in %(n)d "
                    "seconds.", n=wait))
                response.headers["Retry-After"] = str(wait)
                return response
        return _serve(session, event, campaign)


def _form_page(event: Event, campaign: Campaign, page: Any, status: int = 200,
               general: list[str] | None = None) -> Response:
    counts = services.counts(get_session(), event)
    return _page("marketing/events/register.html", status, event=event, campaign=campaign,
                 page=page, questions=question_fields(page, event), counts=counts,
                 general=general or [])


def _serve(session: Any, event: Event, campaign: Campaign) -> Response:
    page = form_for(event)
    closed = services.closed_reason(session, event)
    if request.method == "GET":
        if closed is not None:
            return _page("marketing/events/closed.html", event=event, campaign=campaign,
                         reason=closed.reason, message=str(closed))
        return _form_page(event, campaign, page)
    if not page.validate_on_submit():
        return _form_page(event, campaign, page, 400)
    if (page[HONEYPOT].data or "").strip():
        log.warning("event %s: honeypot filled from %s; nothing saved", event.id,
                    request.remote_addr or "unknown")
        return _page("marketing/events/done.html", event=event, campaign=campaign,
                     registration=None, ticket_url=None, qr=None)
    values = {name: request.form.get(name) for name in FIELDS}
    values["consent"] = bool(page.consent.data)
    values.update({question["id"]: request.form.get(question["id"])
                   for question in event.questions or []})
    try:
        outcome = register(session, event, campaign, values)
    except services.RegistrationError as refused:
        session.rollback()
        general = []
        for name, messages in refused.errors.items():
            if name in page._fields and name != "csrf_token":
                page[name].errors = list(messages)
            else:
                general.extend(messages)
        return _form_page(event, campaign, page, 400, general)
    except services.RegistrationClosed as closed_now:
        session.rollback()
        return _page("marketing/events/closed.html", 409, event=event, campaign=campaign,
                     reason=closed_now.reason, message=str(closed_now))
    registration = outcome.registration
    url = _ticket_url(registration)
    confirm.send_confirmation(registration, event, campaign.name, url, again=outcome.duplicate)
    session.commit()
    if outcome.duplicate:
        return _page("marketing/events/already.html", event=event, campaign=campaign,
                     registration=registration, email=masked(registration.email))
    return _page("marketing/events/done.html", 201, event=event, campaign=campaign,
                 registration=registration, ticket_url=url,
                 qr=confirm.qr_svg(registration.code))


@bp.get("/m/events/ticket/<token>")
@public
def ticket(token: str) -> Response:
    """A registrant's ticket: the code, its QR code, the event, whether checked in."""
    with page_language():
        session = get_session()
        try:
            registration_id, code = confirm.ticket_of(token)
        except (LinkInvalid, LinkExpired) as invalid:
            return _message(404, _("This link is not valid"), str(invalid))
        row = session.execute(
            select(Registration, Event, Campaign)
            .join(Event, Event.id == Registration.event_id)
            .join(Campaign, Campaign.id == Registration.campaign_id)
            .where(Registration.id == registration_id, Registration.code == code,
                   Campaign.deleted_at.is_(None))).first()
        if row is None:
            return _message(404, _("This link is not valid"),
                            _("This registration no longer exists."))
        registration, event, campaign = row
        return _page("marketing/events/ticket.html", registration=registration, event=event,
                     campaign=campaign, qr=confirm.qr_svg(registration.code))
