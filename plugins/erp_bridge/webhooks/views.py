"""The inbound webhook endpoint, ``POST /erp/webhooks/<connection>`` (no sign-in).

The sender proves itself with the Standard Webhooks signature over the raw body (never the
session), so the blueprint is exempt from the kernel's session CSRF check, and nothing here
reads the signed-in user. Answers: 204 taken; 401 a missing or wrong signature; 400 an old or
future timestamp, a malformed header or a body that is not JSON; 409 an id already taken;
404 no such webhook connection; 403 a stopped one; 413 a body over 1 MiB; 429 over the
address's budget (``CRM_ERP_BRIDGE_WEBHOOK_RATE_LIMIT``). Every refusal but 404 and 429 is
written to the operation log (``erp_webhook_refused``), with the reason and the address,
never the body or a signature.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from crm_core.toolkit import (
    emit,
    get_session,
    over_budget,
    plugin_config,
    public,
    record_event,
    upload_limit,
)

from ..models import ErpConnection
from . import inbound, signing

bp = Blueprint("erp_bridge_webhooks", __name__, url_prefix="/erp")
DEFAULT_RATE = "600 per minute"
SENDER = "webhook"


@bp.record_once
def _exempt_from_session_csrf(state: Any) -> None:
    state.app.extensions["csrf"].exempt(bp)


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"),
            "status": status, "detail": detail, "instance": request.path}
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/problem+json")


def _detail(refused: signing.WebhookRefused) -> str:
    if isinstance(refused, signing.BadSignature):
        return _("The webhook signature is missing or does not match the secret.")
    if isinstance(refused, signing.StaleTimestamp):
        return _("The webhook timestamp is more than five minutes away from this server's "
                 "clock.")
    if isinstance(refused, signing.Replayed):
        return _("This webhook-id was already received; it is not processed again.")
    if isinstance(refused, inbound.UnknownConnection):
        return _("There is no webhook connection at this address.")
    if isinstance(refused, inbound.ConnectionStopped):
        return _("This webhook connection is stopped.")
    return _("The webhook headers or body are malformed: %(reason)s.", reason=refused.reason)


@bp.post("/webhooks/<connection>")
@public
@upload_limit(1)  # MiB: a larger body is the kernel's 413 before this runs
def receive(connection: str) -> Response:
    """Take one signed webhook for ``connection``."""
    budget = str(plugin_config("erp_bridge", "webhook_rate_limit", DEFAULT_RATE))
    wait = over_budget("erp_bridge.webhook", request.remote_addr or "unknown", budget)
    if wait is not None:
        return _problem(429, _("Too many webhooks; try again later."),
                        headers={"Retry-After": str(wait)})
    body = request.get_data(cache=False)
    session = get_session()
    try:
        found, message_id, payload = inbound.receive(session, connection[:40],
                                                     request.headers, body)
    except signing.WebhookRefused as refused:
        session.rollback()
        known = getattr(refused, "connection", None)
        if known is not None:
            record_event("erp_webhook_refused",
                         _l("A webhook to %(connection)s was refused: %(reason)s",
                            connection=known.name, reason=refused.reason),
                         model=ErpConnection, record_id=known.id, user=SENDER,
                         changes={"reason": refused.reason, "status": refused.status,
                                  "address": request.remote_addr or ""},
                         session=session)
            session.commit()
        return _problem(refused.status, _detail(refused))
    emit("erp_webhook_received", session, connection=found.name, webhook_id=message_id,
         payload=payload)
    session.commit()
    return Response(status=204)


def blueprints() -> list[Blueprint]:
    """The inbound webhook blueprint."""
    return [bp]
