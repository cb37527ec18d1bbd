"""The "Event registration" panel of a campaign's page: the public page's address, the
counts, and the links to the settings, the registrants and the check-in page."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import Panel, get_session

from ..models import Campaign
from . import services


def _context(campaign: Campaign) -> dict[str, Any]:
    if campaign.type != "event":
        return {"is_event": False, "event": None}
    session = get_session()
    event = services.event_of(session, campaign.id)
    if event is None:
        return {"is_event": True, "event": None}
    return {"is_event": True, "event": event, "counts": services.counts(session, event),
            "public_url": url_for("marketing_event_public.register_page", key=event.key,
                                  _external=True)}


def event_panel() -> Panel:
    """The panel for the campaigns Resource (``panels=[..., event_panel()]``)."""
    return Panel(_l("Event registration"), "marketing/events/_panel.html", _context)
