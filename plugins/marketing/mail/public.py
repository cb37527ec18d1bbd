"""The public unsubscribe page ``/m/u/<token>`` (no sign-in) and its RFC 8058 one-click POST.

GET shows the address and a confirm button (Chinese or English, ``?lang=``; fits a phone).
POST unsubscribes: the button's form, or a mail provider's one-click request (body
``List-Unsubscribe=One-Click``), which gets a short 200 text. Both write a withdrawal into
the consent ledger and mark the member unsubscribed; repeating it changes nothing. A forged
or altered token answers 404 and writes nothing. The blueprint is exempt from the session
CSRF check: the machine POST carries no session, and the signed token is what authorises
the one thing the POST can do. Every POST spends the caller's address's budget
(``CRM_MARKETING_UNSUBSCRIBE_RATE_LIMIT``, default 30 per minute).
A part of the marketing plugin: ``blueprints()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    LinkExpired,
    LinkInvalid,
    get_session,
    over_budget,
    page_language,
    plugin_config,
    public,
)

from . import links

bp = Blueprint("marketing_unsubscribe", __name__)
BUDGET = "marketing.unsubscribe"


@bp.record_once
def _exempt_from_session_csrf(state: Any) -> None:
    state.app.extensions["csrf"].exempt(bp)


def _page(status: int, **context: Any) -> tuple[str, int]:
    with page_language():
        return render_template("marketing/mail/unsubscribe.html", **context), status


def _not_found() -> tuple[str, int]:
    return _page(404, title=_("This link is not valid"), member=None,
                 message=_("The unsubscribe link is not valid. Please use the link in the "
                           "latest e-mail you received."))


def _masked(email: str) -> str:
    name, _at, domain = email.partition("@")
    return f"{name[:2]}{'*' * max(1, len(name) - 2)}@{domain}"


@bp.get("/m/u/<token>")
@public
def unsubscribe_page(token: str) -> Any:
    """The page asking to confirm the unsubscribe."""
    session = get_session()
    try:
        member = links.member_of_token(session, token)
    except (LinkInvalid, LinkExpired):
        return _not_found()
    with page_language():
        title = _("Unsubscribe")
    return _page(200, title=title, member=member, email=_masked(member.email),
                 campaign=links.campaign_name(session, member),
                 done=member.unsubscribed_at is not None)


@bp.post("/m/u/<token>")
@public
def unsubscribe_post(token: str) -> Any:
    """Unsubscribe: the page's button, or a mail provider's one-click POST (RFC 8058)."""
    wait = over_budget(BUDGET, request.remote_addr or "unknown",
                       str(plugin_config("marketing", "unsubscribe_rate_limit",
                                         "30 per minute")))
    if wait is not None:
        return Response("Too many requests\n", 429, {"Retry-After": str(wait)},
                        mimetype="text/plain")
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    session = get_session()
    try:
        member = links.member_of_token(session, token)
    except (LinkInvalid, LinkExpired):
        if one_click:
            return Response("Not found\n", 404, mimetype="text/plain")
        return _not_found()
    links.unsubscribe(session, member, "one-click" if one_click else "unsubscribe")
    session.commit()
    if one_click:
        return Response("Unsubscribed\n", 200, mimetype="text/plain")
    with page_language():
        title = _("You are unsubscribed")
    return _page(200, title=title, member=member, email=_masked(member.email),
                 campaign=links.campaign_name(session, member), done=True)


def blueprints() -> list[Blueprint]:
    """The public unsubscribe page."""
    return [bp]
