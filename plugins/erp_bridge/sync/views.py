"""The sync pages (``erp_bridge.connection.manage``): ``/erp/sync`` sets each object's
direction, field mapping and conflict policy, the install's or (``?connection=<name>``) one
connection's own, which win over the install's for it; ``/erp/sync/log`` shows per connection and
object what was pushed and pulled, the records the ERP refused and the last error, and
replays a refused record. A part of the plugin: ``blueprints()``, ``menu_items()``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length

from crm_core.toolkit import MenuItem, SettingError, db, require_permission

from ..permissions import CONNECTION_MANAGE
from . import log, settings

bp = Blueprint("erp_bridge_sync", __name__, template_folder="../templates",
               url_prefix="/erp/sync")


class ObjectForm(FlaskForm):
    """One object's settings (WTForms, CSRF); ``fields`` one ``erp_field = crm_field`` a
    line."""

    direction = SelectField(_l("Direction"))
    policy = SelectField(_l("When both changed"), choices=[
        SelectChoice(value, label) for value, label in settings.POLICY_LABELS.items()])
    fields = TextAreaField(_l("Field mapping"), validators=[Length(max=2000)],
                           description=_l("One line per field: ERP field = CRM field. "
                                          "Empty: the defaults."))


class ReplayForm(FlaskForm):
    """"Send again" (CSRF only)."""


def _connection() -> str | None:
    """The connection named by ``?connection=`` (404 when there is none of that name)."""
    name = request.args.get("connection", "")[:40]
    if not name:
        return None
    from ..connections.services import find_connection

    if find_connection(db.session, name) is None:
        abort(404)
    return name


def _page(forms: dict[str, Any], connection: str | None) -> str:
    from ..connections.services import all_connections

    return render_template(
        "erp_bridge/sync_settings.html", forms=forms, labels=settings.OBJECT_LABELS,
        choices=settings.CHOICES, connection=connection, reset=ReplayForm(),
        connections=[found.name for found in all_connections(db.session)],
        own={obj: connection is not None and settings.has_own_settings(obj, connection)
             for obj in settings.OBJECTS})


def _form(obj: str, current: settings.ObjectSettings, submitted: bool) -> ObjectForm:
    form = ObjectForm(prefix=obj) if submitted else ObjectForm(
        prefix=obj, formdata=None, direction=current.direction, policy=current.policy,
        fields="\n".join(f"{erp} = {crm}" for erp, crm in current.fields.items()))
    form.direction.choices = [SelectChoice(value, settings.DIRECTION_LABELS[value])
                              for value in settings.ALLOWED[obj]]
    return form


def _parse(text: str) -> dict[str, str] | None:
    pairs = [line.split("=", 1) for line in (text or "").splitlines() if line.strip()]
    if not pairs:
        return None
    if any(len(pair) != 2 for pair in pairs):
        raise SettingError(_("Write each field as: ERP field = CRM field."))
    return {erp.strip(): crm.strip() for erp, crm in pairs}


@bp.route("/", methods=["GET"])
@require_permission(CONNECTION_MANAGE)
def index() -> Any:
    """Every object's settings (the install's, or one connection's), one form each."""
    connection = _connection()
    forms = {obj: _form(obj, settings.object_settings(obj, connection), False)
             for obj in settings.OBJECTS}
    return _page(forms, connection)


@bp.post("/<obj>")
@require_permission(CONNECTION_MANAGE)
def save(obj: str) -> Any:
    """Store one object's settings (the install's, or one connection's own)."""
    if obj not in settings.OBJECTS:
        abort(404)
    connection = _connection()
    form = _form(obj, settings.object_settings(obj, connection), True)
    if form.validate_on_submit():
        try:
            settings.save_object_settings(db.session, obj, form.direction.data,
                                          form.policy.data, _parse(form.fields.data),
                                          connection=connection)
        except SettingError as refused:
            db.session.rollback()
            form.fields.errors = [*form.fields.errors, str(refused)]
        else:
            db.session.commit()
            flash(_("The sync settings of %(object)s are saved.",
                    object=settings.OBJECT_LABELS[obj]), "success")
            return redirect(url_for("erp_bridge_sync.index", connection=connection))
    forms = {name: form if name == obj else
             _form(name, settings.object_settings(name, connection), False)
             for name in settings.OBJECTS}
    return _page(forms, connection), 400


@bp.post("/<obj>/reset")
@require_permission(CONNECTION_MANAGE)
def reset(obj: str) -> Any:
    """Drop a connection's own settings of ``obj``: it follows the install's again."""
    connection = _connection()
    if obj not in settings.OBJECTS or connection is None:
        abort(404)
    if not ReplayForm().validate_on_submit():
        abort(400)
    settings.forget_object_settings(db.session, obj, connection)
    db.session.commit()
    flash(_("%(connection)s follows the install's settings of %(object)s again.",
            connection=connection, object=settings.OBJECT_LABELS[obj]), "success")
    return redirect(url_for("erp_bridge_sync.index", connection=connection))


@bp.get("/log")
@require_permission(CONNECTION_MANAGE)
def sync_log() -> Any:
    """Counts per connection and object, the last error, the refused records."""
    return render_template("erp_bridge/sync_log.html", rows=log.sync_log(db.session),
                           refused=log.refused_records(db.session),
                           labels=settings.OBJECT_LABELS, replay=ReplayForm())


@bp.post("/log/<int:mapping_id>/replay")
@require_permission(CONNECTION_MANAGE)
def replay(mapping_id: int) -> Any:
    """Send a refused record again with its current values."""
    if not ReplayForm().validate_on_submit():
        abort(400)
    if not log.replay(db.session, mapping_id):
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("Queued again: it is sent in a moment."), "success")
    return redirect(url_for("erp_bridge_sync.sync_log"))


def blueprints() -> list[Blueprint]:
    """The sync pages' blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"ERP sync" and "ERP sync log" under the administration menu."""
    return [MenuItem("erp_bridge.sync", _l("ERP sync settings"), "erp_bridge_sync.index",
                     permission=CONNECTION_MANAGE, icon="arrow-left-right", order=71,
                     parent="core.admin"),
            MenuItem("erp_bridge.sync_log", _l("ERP sync log"), "erp_bridge_sync.sync_log",
                     permission=CONNECTION_MANAGE, icon="journal-text", order=72,
                     parent="core.admin")]
