"""The connections' settings pages, ``/oa/connections`` (``oa_bridge.connection.manage``):
the list, "Add a connection" and each connection's form. Secret fields are write-only: the
form never shows a stored value back, and leaving one empty keeps it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from crm_core.toolkit import MenuItem, db, record_event, require_permission

from ..models import KIND_LABELS, OaConnection
from ..permissions import CONNECTION_MANAGE
from . import services

bp = Blueprint("oa_bridge_connections", __name__, template_folder="../templates",
               url_prefix="/oa")
KEEP = _l("Leave empty to keep the stored value.")


def _text(label: Any, size: int, description: Any = None) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=size)], description=description,
                       render_kw={"maxlength": size, "autocomplete": "off"})


def _secret(label: Any, description: Any) -> PasswordField:
    return PasswordField(label, validators=[Optional(), Length(max=500)],
                         description=description, render_kw={"autocomplete": "new-password"})


class ConnectionForm(FlaskForm):
    """A connection's form (WTForms, CSRF); the secrets are PasswordFields, never filled."""

    name = _text(_l("Name"), 40, _l("Lower-case letters, digits, - or _: the callback URL "
                                    "is /oa/callback/<name>."))
    kind = SelectField(_l("OA system"), choices=[SelectChoice(value, label)
                                                 for value, label in KIND_LABELS.items()])
    app_key = _text(_l("App key"), 100, _l("DingTalk AppKey or Feishu App ID."))
    corp_id = _text(_l("Corp id"), 100, _l("The CorpId (required for WeCom)."))
    agent_id = _text(_l("Agent id"), 40)
    app_secret = _secret(_l("App secret"), _l("The app's AppSecret (WeCom: its Secret)."))
    token = _secret(_l("Callback token"), _l("The callback Token (Feishu: the Verification "
                                             "Token)."))
    aes_key = _secret(_l("AES key"), _l("The EncodingAESKey (Feishu: the Encrypt Key)."))
    base_url = _text(_l("Base URL"), 300, _l("Leave empty for the vendor's API."))
    active = BooleanField(_l("Active"), default=True)
    signin = BooleanField(_l("Offer sign-in on the login page"), default=False,
                          description=_l("Shows “Sign in with …” on the login page; it signs "
                                         "in users linked to this OA, never creates one."))


def _connection(oa_connection_id: int) -> OaConnection:
    connection = db.session.get(OaConnection, oa_connection_id)
    if connection is None:
        abort(404)
    return connection


@bp.get("/connections")
@require_permission(CONNECTION_MANAGE)
def index() -> Any:
    """The connections, with their callback URLs."""
    rows = db.session.scalars(select(OaConnection).order_by(OaConnection.name)).all()
    return render_template("oa_bridge/connections.html", rows=rows, kinds=KIND_LABELS)


def _edit(connection: OaConnection | None) -> Any:
    form = ConnectionForm(obj=connection)
    if connection is not None:
        for name in services.SECRET_NAMES:
            form[name].description = KEEP
    if form.validate_on_submit():
        values = {name: form[name].data for name in form._fields if name != "csrf_token"}
        try:
            saved = services.save_connection(db.session, values, connection)
        except services.ConnectionSettingError as refused:
            db.session.rollback()
            target = form[refused.field] if refused.field in form else None
            if target is not None:
                target.errors = [*target.errors, str(refused)]
            else:
                form.form_errors.append(str(refused))
        else:
            record_event("oa_connect", _l("OA connection %(name)s saved", name=saved.name),
                         model=OaConnection, record_id=saved.id, changes={"kind": saved.kind})
            db.session.commit()
            flash(_("Connection “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for("oa_bridge_connections.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("oa_bridge/connection_form.html", form=form,
                           connection=connection), status


@bp.route("/connections/new", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def new() -> Any:
    """Add a connection."""
    return _edit(None)


@bp.route("/connections/<int:oa_connection_id>", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def edit(oa_connection_id: int) -> Any:
    """Change a connection; secrets left empty are kept."""
    return _edit(_connection(oa_connection_id))


def blueprints() -> list[Blueprint]:
    """The settings pages' blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"OA connections" for those who manage them."""
    return [MenuItem("oa_bridge.connections", _l("OA connections"),
                     "oa_bridge_connections.index", permission=CONNECTION_MANAGE,
                     icon="plug", order=900)]
