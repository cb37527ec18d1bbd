"""Sign in with DingTalk, WeCom or Feishu: ``/oa/signin/<name>`` sends the browser to the
connection's OA with a fresh ``state`` kept in the session; ``/oa/signin/<name>/done`` checks
the state (constant time, once), turns the code into the OA identity and signs in the CRM
user linked to it: by OA user id, else by the mobile number the OA reports (a link made by
``crm oa link-user --mobile`` or the org sync). Nobody is created here, so sign-in never
makes an account, let alone an admin; a person without a link, or a disabled user, is sent
back to the login page with a message. Both pages are public and rate-limited per address.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm_core.toolkit import db, over_budget, public, sign_in_user

from ..connections.services import find_connection
from ..models import KIND_LABELS, OaConnection, OaUserLink
from ..protocol.api_errors import VendorError
from .oauth import Identity, authorization_url, identify, new_state

log = logging.getLogger(__name__)
bp = Blueprint("oa_bridge_signin", __name__, url_prefix="/oa/signin")
KEY = "oa_bridge_signin"
BUDGET = "30 per minute"


def _back(message: str) -> Response:
    flash(message, "danger")
    return redirect(url_for("core_auth.login"))


def _connection(name: str) -> OaConnection | None:
    found = find_connection(db.session, name, active_only=True)
    return found if found is not None and found.signin else None


def _too_many() -> Response | None:
    wait = over_budget("oa_bridge.signin", request.remote_addr or "-", BUDGET)
    if wait is None:
        return None
    return Response(_("Too many tries. Wait a minute and try again."), status=429,
                    headers={"Retry-After": str(wait)}, mimetype="text/plain")


@bp.route("/<name>")
@public
def start(name: str) -> Response:
    """Go to the OA's sign-in page."""
    refused = _too_many()
    if refused is not None:
        return refused
    connection = _connection(name)
    if connection is None:
        return _back(_("Sign-in with this OA is not set up."))
    state = new_state()
    session[KEY] = {"state": state, "connection": connection.name}
    done = url_for("oa_bridge_signin.done", name=connection.name, _external=True)
    return redirect(authorization_url(connection, done, state))


def _linked_user(connection: OaConnection, identity: Identity) -> int | None:
    user_id = db.session.scalar(select(OaUserLink.user_id).where(
        OaUserLink.connection_id == connection.id,
        OaUserLink.oa_user_id == identity.oa_user_id))
    if user_id is None and identity.mobile:
        found = db.session.scalars(select(OaUserLink.user_id).where(
            OaUserLink.connection_id == connection.id,
            OaUserLink.mobile == identity.mobile)).all()
        user_id = found[0] if len(found) == 1 else None  # never guess between two
    return user_id


@bp.route("/<name>/done")
@public
def done(name: str) -> Response:
    """Back from the OA: check the state, learn who it is, sign the linked user in."""
    refused = _too_many()
    if refused is not None:
        return refused
    expected = session.pop(KEY, None) or {}
    state = request.args.get("state", "")
    connection = _connection(name)
    if connection is None or expected.get("connection") != name or not state or \
            not hmac.compare_digest(str(expected.get("state", "")), state):
        return _back(_("That sign-in link has expired. Please try again."))
    code = request.args.get("authCode") or request.args.get("code") or ""
    done_url = url_for("oa_bridge_signin.done", name=connection.name, _external=True)
    try:
        identity = identify(db.session, connection, code, done_url)
    except VendorError as failed:
        db.session.rollback()
        log.warning("OA sign-in with %s refused: %s", name, failed)
        return _back(_("The OA did not confirm who you are. Please try again."))
    user_id = _linked_user(connection, identity)
    label = str(KIND_LABELS[connection.kind])
    if user_id is None:
        db.session.commit()  # the token cache
        return _back(_("Your %(oa)s account is not linked to a user of this CRM. Ask an "
                       "administrator to link it.", oa=label))
    if not sign_in_user(user_id, method=label):
        return _back(_("This account is disabled."))
    return redirect(url_for("core_ui.home"))


#: The login button's text per OA system (a Bootstrap icon beside it).
BUTTONS = {"dingtalk": _l("Sign in with DingTalk"), "wecom": _l("Sign in with WeCom"),
           "feishu": _l("Sign in with Feishu")}


def login_options() -> list[dict[str, str]]:
    """The kernel's ``crm_login_options``: one button per active connection whose sign-in is
    enabled (one query); the connection's name is added when two share an OA system."""
    rows = db.session.execute(select(OaConnection.name, OaConnection.kind).where(
        OaConnection.active.is_(True), OaConnection.signin.is_(True))
        .order_by(OaConnection.name)).all()
    kinds = [kind for _name, kind in rows]
    return [{"label": str(BUTTONS[kind]) + (f" ({name})" if kinds.count(kind) > 1 else ""),
             "url": url_for("oa_bridge_signin.start", name=name), "icon": "box-arrow-in-right"}
            for name, kind in rows if kind in BUTTONS]


def blueprints() -> list[Blueprint]:
    """The sign-in blueprint."""
    return [bp]
