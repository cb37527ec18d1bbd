"""The callback URL of each connection, ``/oa/callback/<name>`` (public, CSRF-exempt: the
vendor signs its requests; nothing here reads a session or acts for a signed-in user).

Every refusal (unknown or inactive connection, bad signature, stale timestamp, wrong owner
trailer, malformed body) gets the same 403 answer; the reason goes to the app log and, for
a known connection and within ``REFUSAL_LOG_RATE``, to the operation log
(``oa_callback_refused``). A repeat of an event
already taken is answered as a success, so the vendor stops retrying, and is not processed
again.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from crm_core.toolkit import db, over_budget, plugin_config, public, record_event

from ..approvals.decisions import NotYetKnown
from ..connections.services import callback_cryptos, connection_secrets, find_connection
from ..models import OaConnection
from ..protocol import CallbackRefused, MalformedCallback
from ..protocol.freshness import DEFAULT_SEEN_TTL_SECONDS
from . import vendors
from .dispatch import dispatch
from .seen import DbSeenIds

log = logging.getLogger(__name__)
bp = Blueprint("oa_bridge_callbacks", __name__, url_prefix="/oa")
#: A callback body is a small envelope; anything bigger is not one.
MAX_BODY = 256 * 1024
#: Refusals written to the operation log per connection (``CRM_OA_BRIDGE_REFUSAL_LOG_RATE``);
#: past it a flood of forged callbacks reaches only the app log.
REFUSAL_LOG_RATE = "30 per minute"


@bp.record_once
def _exempt_from_session_csrf(state: Any) -> None:
    state.app.extensions["csrf"].exempt(bp)


def _refused() -> Response:
    return Response("refused", status=403, mimetype="text/plain")


def _open(connection: OaConnection, body: bytes) -> vendors.Opened:
    if connection.kind == "dingtalk":
        if request.method != "POST":
            raise MalformedCallback("DingTalk posts its callbacks")
        return vendors.dingtalk(callback_cryptos(connection), request.args, body)
    if connection.kind == "wecom":
        crypto = callback_cryptos(connection)[0]
        if request.method == "GET":
            return vendors.wecom_get(crypto, request.args)
        return vendors.wecom_post(crypto, request.args, body)
    if request.method != "POST":
        raise MalformedCallback("Feishu posts its events")
    secrets = connection_secrets(connection)
    return vendors.feishu(connection, secrets.token, secrets.aes_key, request.headers, body)


@bp.route("/callback/<name>", methods=["GET", "POST"])
@public
def callback(name: str) -> Response:
    """Verify, open and answer one vendor callback; dispatch its event once."""
    session = db.session
    connection = find_connection(session, name[:40])
    if connection is None:
        log.warning("OA callback for unknown connection refused")
        return _refused()
    body = request.get_data(cache=False)[:MAX_BODY + 1]
    try:
        if len(body) > MAX_BODY:
            raise MalformedCallback("body too large")
        opened = _open(connection, body)
    except CallbackRefused as refused:
        session.rollback()
        log.warning("OA callback refused for %s: %s", connection.name, refused.reason)
        budget = str(plugin_config("oa_bridge", "refusal_log_rate", REFUSAL_LOG_RATE))
        if over_budget("oa_bridge.refused", connection.name, budget) is None:
            record_event("oa_callback_refused", _l("OA callback refused"), model=OaConnection,
                         record_id=connection.id,
                         changes={"reason": refused.reason, "ip": request.remote_addr or ""},
                         user=f"oa:{connection.name}")
            session.commit()
        return _refused()
    if opened.event_type:
        seen = DbSeenIds(session)
        event_id = opened.event_id or ""
        if event_id and seen.add_if_new(str(connection.id), event_id,
                                        ttl_seconds=DEFAULT_SEEN_TTL_SECONDS):
            try:
                dispatch(session, connection, opened.event_type, opened.payload)
            except NotYetKnown:
                session.rollback()  # forget the id too: the vendor's retry is processed
                return Response("retry later", status=503, mimetype="text/plain")
            session.commit()
        elif event_id:
            session.rollback()
            log.info("OA callback for %s: event already taken", connection.name)
        else:
            log.warning("OA callback for %s: event without id not processed", connection.name)
    return Response(opened.body, status=200, mimetype=opened.mimetype)


def blueprints() -> list[Blueprint]:
    """The callback blueprint."""
    return [bp]
