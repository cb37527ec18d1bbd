"""The "ERP connections" settings pages (``erp_bridge.connection.manage``).

``/erp/connections`` lists the connections (state, why one stopped, key expiry) with a form
for a new one; ``/erp/connections/<connection>`` (by its name) changes one. The API key or webhook
secret is write-only: the field is always empty, leaving it empty keeps the stored value,
and the operation log shows it as ``***`` (``__audit_sensitive__``). A part of the plugin:
``blueprints()``, ``menu_items()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from crm_core.toolkit import MenuItem, db, require_permission

from ..models import KIND_LABELS, TRANSPORT_LABELS, ErpConnection
from ..permissions import CONNECTION_MANAGE
from . import services

bp = Blueprint("erp_bridge_connections", __name__, template_folder="../templates",
               url_prefix="/erp")


class ConnectionForm(FlaskForm):
    """One connection (WTForms, CSRF). ``secret`` is never filled in from the database."""

    name = StringField(_l("Name"), validators=[Length(max=40)],
                       description=_l("Lower-case letters, digits, - or _; the webhook "
                                      "address ends with it."))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(value, label)
                                              for value, label in KIND_LABELS.items()])
    url = StringField(_l("Address"), validators=[Length(max=300)],
                      description=_l("Odoo: https://erp.example.com. Webhooks: where "
                                     "outbound messages go (optional)."))
    database = StringField(_l("Database"), validators=[Length(max=100)])
    login = StringField(_l("Login"), validators=[Length(max=100)],
                        description=_l("The Odoo user the key belongs to (a dedicated bot "
                                       "user with the least rights)."))
    secret = PasswordField(_l("API key or webhook secret"), validators=[Length(max=200)],
                           description=_l("Write-only: leave it empty to keep the stored "
                                          "one. Webhook secrets start with whsec_."))
    key_expires_on = DateField(_l("Key expires on"), validators=[Optional()],
                               description=_l("Odoo 19 keys last at most three months; you "
                                              "are warned two weeks before."))
    transport = SelectField(_l("Transport"), choices=[
        SelectChoice(value, label) for value, label in TRANSPORT_LABELS.items()])


class CheckForm(FlaskForm):
    """"Test and start" (CSRF only)."""


def _values(form: ConnectionForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in
            ("name", "kind", "url", "database", "login", "secret", "key_expires_on",
             "transport")}


def _save(form: ConnectionForm, connection: ErpConnection | None) -> ErpConnection | None:
    try:
        saved = services.save_connection(db.session, _values(form), connection)
    except services.ConnectionError_ as refused:
        db.session.rollback()
        target = getattr(form, refused.field or "", None)
        (target.errors if target is not None else form.form_errors).append(str(refused))
        return None
    db.session.commit()
    return saved


@bp.route("/connections", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def index() -> Any:
    """The connections and the form for a new one."""
    form = ConnectionForm()
    if form.validate_on_submit() and (saved := _save(form, None)) is not None:
        flash(_("Connection %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("erp_bridge_connections.index"))
    rows = [(connection, services.status(connection))
            for connection in services.all_connections(db.session)]
    status = 400 if form.is_submitted() else 200
    return render_template("erp_bridge/connections.html", form=form, rows=rows,
                           kinds=KIND_LABELS), status


@bp.route("/connections/<connection>", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def edit(connection: str) -> Any:
    """Change the connection named ``connection`` (the secret only when one is typed)."""
    found = services.find_connection(db.session, connection[:40])
    if found is None:
        abort(404)
    form = ConnectionForm(obj=found)
    if form.validate_on_submit() and _save(form, found) is not None:
        flash(_("Connection %(name)s saved.", name=found.name), "success")
        return redirect(url_for("erp_bridge_connections.index"))
    form.secret.data = ""
    status = 400 if form.is_submitted() else 200
    return render_template("erp_bridge/connection.html", form=form, connection=found,
                           info=services.status(found), check=CheckForm()), status


@bp.post("/connections/<connection>/check")
@require_permission(CONNECTION_MANAGE)
def check(connection: str) -> Any:
    """Try the connection now (probe and prove the key), starting it when it works."""
    found = services.find_connection(db.session, connection[:40])
    if found is None:
        abort(404)
    if not CheckForm().validate_on_submit():
        abort(400)
    problem = services.check_connection(db.session, found)
    db.session.commit()
    if problem is None:
        flash(_("Connection %(name)s works and is active.", name=found.name), "success")
    else:
        flash(_("The ERP answered: %(problem)s", problem=problem), "danger")
    return redirect(url_for("erp_bridge_connections.edit", connection=found.name))


@bp.post("/connections/<connection>/hold")
@require_permission(CONNECTION_MANAGE)
def hold(connection: str) -> Any:
    """Pause the connection: its messages wait in the outbox until it is released."""
    return _hold(connection, True)


@bp.post("/connections/<connection>/release")
@require_permission(CONNECTION_MANAGE)
def release(connection: str) -> Any:
    """End the hold: the waiting messages go out at the outbox's next run."""
    return _hold(connection, False)


def _hold(connection: str, held: bool) -> Any:
    found = services.find_connection(db.session, connection[:40])
    if found is None:
        abort(404)
    if not CheckForm().validate_on_submit():
        abort(400)
    (services.hold_connection if held else services.release_connection)(db.session, found)
    db.session.commit()
    flash(_("Connection %(name)s is held: nothing goes to the ERP until you release it.",
            name=found.name) if held else
          _("Connection %(name)s is released: waiting messages go out now.", name=found.name),
          "success")
    return redirect(url_for("erp_bridge_connections.edit", connection=found.name))


def blueprints() -> list[Blueprint]:
    """The settings pages' blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"ERP connections" under the administration menu."""
    return [MenuItem("erp_bridge.connections", _l("ERP connections"),
                     "erp_bridge_connections.index", permission=CONNECTION_MANAGE,
                     icon="plug", order=70, parent="core.admin")]
