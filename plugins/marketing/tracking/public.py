"""The tracking endpoints a recipient's mail calls (no sign-in). A part of the marketing
plugin: ``blueprints()``.

- ``GET /m/o/<token>.gif``: the open pixel, a 1×1 transparent GIF, never cached
  (``no-store``); a genuine token counts an open (and the delivery it implies). A forged or
  tampered token answers 404 (a small page) and counts nothing.
- ``GET /m/c/<token>``: a click. A genuine token redirects (302) to the URL the campaign's
  mail contained under the link number it names, and counts the click; a forged or tampered
  token, or one naming no link of the campaign, answers 404 and counts nothing. The URL is
  never read from the request, so this is no open redirect.

Counting is skipped, but the answer stays the same, for a ``HEAD`` request (link scanners
and prefetchers check links with it) and when the visitor's address has spent its budget
(``CRM_MARKETING_TRACKING_RATE_LIMIT``, default "600 per minute"): a flood from one address
cannot fill the database, and a recipient behind it still reaches the page. A failure while
counting is logged and the recipient is still answered.

While hits are buffered (``CRM_MARKETING_TRACKING_BATCH_SECONDS`` > 0, the default) genuine
hits are answered before the app's request handling by ``fast.py``; these views then answer
what it passes on (forged tokens, unknown link numbers) and every hit when counting per
request.
"""

from __future__ import annotations

import base64
import logging
from html import escape
from typing import Any

from flask import Blueprint, current_app, redirect, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    LinkExpired,
    LinkInvalid,
    get_session,
    over_budget,
    plugin_config,
    public,
    read_link,
)

from . import batching, services
from .instrument import CLICK_PURPOSE, OPEN_PURPOSE

log = logging.getLogger(__name__)

bp = Blueprint("marketing_tracking", __name__)
DEFAULT_RATE = "600 per minute"
_LINKS, _LINKS_KEPT = "marketing_tracking_links", 10_000
BUDGET = "marketing.tracking"
#: the smallest transparent GIF (1×1, 43 bytes)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
# the kernel's Referrer-Policy (same-origin) already keeps this URL from the linked site
_NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


def blueprints() -> list[Blueprint]:
    """The tracking endpoints' blueprint."""
    return [bp]


def _not_found() -> Response:
    """A small page of its own: a forged link is answered without the site's layout (the
    cheapest answer to a flood of guesses)."""
    text = escape(_("This link is not valid."))
    return Response(f'<!doctype html><meta charset="utf-8"><title>404</title><p>{text}</p>',
                    status=404, mimetype="text/html", headers=_NO_STORE)


def _cached_link(campaign_id: int, number: int) -> Any:
    """The campaign's link ``number`` from the worker's memory (a link's URL never changes
    once numbered), read once from the database."""
    cache = current_app.extensions.setdefault(_LINKS, {})
    key = (campaign_id, number)
    if key not in cache:
        if len(cache) >= _LINKS_KEPT:
            cache.clear()
        cache[key] = services.link_of(get_session(), campaign_id, number)
    return cache[key]


def _payload(purpose: str, token: str, count: int) -> list[int] | None:
    try:
        return services.valid_ids(read_link(purpose, token), count)
    except (LinkInvalid, LinkExpired):
        return None


def _counts() -> bool:
    """Whether this request may count: a GET within the address's budget."""
    if request.method != "GET":
        return False
    budget = str(plugin_config("marketing", "tracking_rate_limit", DEFAULT_RATE))
    return over_budget(BUDGET, request.remote_addr or "unknown", budget) is None


def _count(work: Any, *args: Any) -> None:
    """Run a counting service and commit; a failure is logged, never shown."""
    session = get_session()
    try:
        work(session, *args)
        session.commit()
    except Exception:  # noqa: BLE001  (the recipient is answered whatever the database says)
        session.rollback()
        log.exception("a tracking count failed")


@bp.route("/m/o/<token>.gif")
@public
def pixel(token: str) -> Response:
    """The open pixel of one recipient's mail."""
    ids = _payload(OPEN_PURPOSE, token, 2)
    if ids is None:
        return _not_found()
    if _counts():
        buffer = batching.buffer_of()
        if buffer is not None:
            buffer.add_open(*ids)
        else:
            _count(services.note_open, *ids)
    return Response(PIXEL, mimetype="image/gif", headers=_NO_STORE)


@bp.route("/m/c/<token>")
@public
def click(token: str) -> Response:
    """A click on one link of one recipient's mail: off to the link's recorded URL."""
    ids = _payload(CLICK_PURPOSE, token, 3)
    if ids is None:
        return _not_found()
    campaign_id, member_id, number = ids
    buffer = batching.buffer_of()
    if buffer is not None:
        link = _cached_link(campaign_id, number)
        if link is None:
            return _not_found()
        url = link.url
        if _counts():
            buffer.add_click(campaign_id, member_id, link.id, bool(link.is_cta))
    else:
        found = services.click_of(get_session(), campaign_id, member_id, number)
        if found.url is None:
            return _not_found()
        url = found.url
        if _counts():
            _count(services.note_click, campaign_id, found)
    response = redirect(url, code=302)
    response.headers.update(_NO_STORE)
    return response
