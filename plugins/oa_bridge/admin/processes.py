"""Approval mappings, ``/oa/approvals`` (``oa_bridge.connection.manage``): which kernel
approval definition is decided in which OA process, with the OA form's field mapping — the
list, add, change and delete behind a confirmation page. ``crm oa map-approval`` does the
same from the shell.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm_core.toolkit import MenuItem, db, model_for_table, require_permission

from ..models import OaConnection, OaProcess
from ..permissions import CONNECTION_MANAGE
from . import services
from .forms import (
    ConfirmForm,
    ProcessForm,
    connection_choices,
    definition_choices,
    show_refusal,
)

bp = Blueprint("oa_bridge_processes", __name__, template_folder="../templates",
               url_prefix="/oa/approvals")


def _process(oa_process_id: int) -> OaProcess:
    process = db.session.get(OaProcess, oa_process_id)
    if process is None:
        abort(404)
    return process


def _map_text(process: OaProcess | None) -> str:
    try:
        found = json.loads(process.field_map or "{}") if process is not None else {}
    except ValueError:
        found = {}
    return "\n".join(f"{name} = {value}" for name, value in found.items())


@bp.get("/")
@require_permission(CONNECTION_MANAGE)
def index() -> Any:
    """Every mapping with its definition and connection."""
    definition = model_for_table("core_approval_definition")
    rows = db.session.execute(
        select(OaProcess, definition.name, OaConnection.name)
        .join(definition, definition.id == OaProcess.definition_id)
        .join(OaConnection, OaConnection.id == OaProcess.connection_id)
        .order_by(definition.name, OaProcess.id)).all()
    return render_template("oa_bridge/processes.html",
                           rows=[(process, name, connection, _map_text(process))
                                 for process, name, connection in rows])


def _form_page(process: OaProcess | None) -> Any:
    form = ProcessForm(obj=process)
    form.connection_id.choices = connection_choices(db.session)
    form.definition_id.choices = definition_choices(db.session)
    if process is not None and not form.is_submitted():
        form.field_map.data = _map_text(process)
    if form.validate_on_submit():
        try:
            services.save_process(db.session, process, form.connection_id.data,
                                  form.definition_id.data, form.process_code.data,
                                  services.parse_field_map(form.field_map.data))
        except services.FieldRefused as refused:
            db.session.rollback()
            show_refusal(form, refused.field, str(refused))
        else:
            db.session.commit()
            flash(_("The approval mapping is saved."), "success")
            return redirect(url_for("oa_bridge_processes.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("oa_bridge/process_form.html", form=form, process=process), status


@bp.route("/new", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def new() -> Any:
    """Map an approval definition to an OA process."""
    return _form_page(None)


@bp.route("/<int:oa_process_id>", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def edit(oa_process_id: int) -> Any:
    """Change a mapping."""
    return _form_page(_process(oa_process_id))


@bp.route("/<int:oa_process_id>/delete", methods=["GET", "POST"])
@require_permission(CONNECTION_MANAGE)
def delete(oa_process_id: int) -> Any:
    """Ask, then remove a mapping: new approvals of the definition are decided in the CRM
    again (open OA instances still come back)."""
    process = _process(oa_process_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(process)
        db.session.commit()
        flash(_("The approval mapping is removed."), "success")
        return redirect(url_for("oa_bridge_processes.index"))
    question = _("Remove the mapping to OA process %(code)s? New approvals are decided in "
                 "the CRM again.", code=process.process_code)
    return render_template("oa_bridge/confirm_delete.html", form=form, question=question,
                           back=url_for("oa_bridge_processes.index")), \
        400 if form.is_submitted() else 200


def blueprints() -> list[Blueprint]:
    """The approval mappings blueprint."""
    return [bp]


def menu_items() -> list[MenuItem]:
    """"OA approval mappings" for those who manage connections."""
    return [MenuItem("oa_bridge.processes", _l("OA approval mappings"),
                     "oa_bridge_processes.index", permission=CONNECTION_MANAGE,
                     icon="diagram-3", order=902)]
