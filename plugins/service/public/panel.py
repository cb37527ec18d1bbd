"""Panels for the request's page (``requests/resource.py`` puts them in its ``panels``): who
wrote in through the public form, as they typed it, and the files they sent."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import Panel, attachments_panel

from .services import ATTACHMENT_KIND


def _requester_context(request: Any) -> dict[str, Any]:
    return {"id": request.id, "name": request.requester_name,
            "email": request.requester_email, "phone": request.requester_phone}


def request_panels() -> list[Panel]:
    """The requester (empty for requests entered by staff) and the request's files."""
    return [Panel(_l("From the public form"), "service/public/_requester.html",
                  _requester_context),
            attachments_panel(ATTACHMENT_KIND, _l("Files"))]
