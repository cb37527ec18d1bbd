"""The dashboards' changes, each a CSRF-protected POST that only the dashboard's owner may
make (a reader of a shared dashboard may copy it): create, rename, share, copy, delete; add,
size, move and remove a tile; and the whole layout at once (``/layout``, JSON from the
drag-and-drop script: ``{"tiles": [{"id", "width", "height"}, ...]}`` in the new order).
Every change is in the operation log through the kernel's row history."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from crm_core.toolkit import INT32_MAX, get_session, require_permission

from ..permissions import SHARE_DASHBOARDS, VIEW
from . import service, tiles
from .forms import ActionForm, NameForm, ShareForm, SizeForm, TileForm, role_choices, tile_choices
from .models import HEIGHTS, WIDTHS
from .views import bp, dashboard_or_404, own_data, user


def _back(dashboard_id: int, **args: Any) -> Any:
    return redirect(url_for(".show", dashboard_id=dashboard_id, **args))


def _refused(error: Exception, dashboard_id: int | None = None) -> Any:
    get_session().rollback()
    if isinstance(error, service.DashboardNotFound):
        abort(404)
    flash(str(error), "error")
    return _back(dashboard_id) if dashboard_id else redirect(url_for(".index"))


def _form_errors(form: Any) -> str:
    return " ".join(str(message) for messages in form.errors.values()
                    for message in messages) or _("The form could not be read: try again.")


@bp.post("/dashboards")
@own_data
@require_permission(VIEW)
def create() -> Any:
    """A new dashboard of the user's, then its page (with the add-tile picker)."""
    form = NameForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return redirect(url_for(".index"))
    try:
        dashboard = service.create_dashboard(get_session(), user=user(), name=form.name.data)
    except service.DashboardError as error:
        return _refused(error)
    get_session().commit()
    flash(_("Dashboard “%(name)s” created.", name=dashboard.name), "success")
    return _back(dashboard.id)


@bp.post("/dashboards/<int:dashboard_id>/rename")
@own_data
@require_permission(VIEW)
def rename(dashboard_id: int) -> Any:
    """Give the user's own dashboard a new name."""
    dashboard_or_404(dashboard_id, edit=True)
    form = NameForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _back(dashboard_id)
    try:
        service.rename_dashboard(get_session(), dashboard_id=dashboard_id,
                                 name=form.name.data, user=user())
    except service.DashboardError as error:
        return _refused(error, dashboard_id)
    get_session().commit()
    flash(_("Dashboard renamed."), "success")
    return _back(dashboard_id)


@bp.post("/dashboards/<int:dashboard_id>/delete")
@own_data
@require_permission(VIEW)
def delete(dashboard_id: int) -> Any:
    """Delete the user's own dashboard (the page asked to confirm)."""
    dashboard = dashboard_or_404(dashboard_id, edit=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = dashboard.name
    service.delete_dashboard(get_session(), dashboard_id=dashboard_id, user=user())
    get_session().commit()
    flash(_("Dashboard “%(name)s” deleted.", name=name), "success")
    return redirect(url_for(".index"))


@bp.post("/dashboards/<int:dashboard_id>/copy")
@own_data
@require_permission(VIEW)
def copy(dashboard_id: int) -> Any:
    """A private copy of a dashboard the user may open (their own or a shared one)."""
    dashboard_or_404(dashboard_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        made = service.copy_dashboard(get_session(), dashboard_id=dashboard_id, user=user())
    except service.DashboardError as error:
        return _refused(error, dashboard_id)
    get_session().commit()
    flash(_("Copied: this dashboard is yours to change."), "success")
    return _back(made.id)


@bp.post("/dashboards/<int:dashboard_id>/share")
@require_permission(SHARE_DASHBOARDS)
def share(dashboard_id: int) -> Any:
    """Share the user's own dashboard with the ticked roles (none: private)."""
    dashboard_or_404(dashboard_id, edit=True)
    form = ShareForm()
    form.role_ids.choices = role_choices(get_session())
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _back(dashboard_id)
    try:
        roles = service.share_dashboard(get_session(), dashboard_id=dashboard_id,
                                        role_ids=form.role_ids.data or [], user=user())
    except service.DashboardError as error:
        return _refused(error, dashboard_id)
    get_session().commit()
    flash(_("Shared with the chosen roles.") if roles else _("This dashboard is private now."),
          "success")
    return _back(dashboard_id)


@bp.post("/dashboards/<int:dashboard_id>/tiles")
@own_data
@require_permission(VIEW)
def add(dashboard_id: int) -> Any:
    """Add the picked widget or saved report as a tile at the end."""
    dashboard_or_404(dashboard_id, edit=True)
    session = get_session()
    form = TileForm()
    form.tile.choices = tile_choices(tiles.visible_widgets(user()),
                                     tiles.report_titles(session, user()), str)
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _back(dashboard_id)
    kind, _sep, ref = form.tile.data.partition(":")
    try:
        service.add_tile(session, dashboard_id=dashboard_id, kind=kind, ref=ref, user=user(),
                         width=form.width.data, height=form.height.data)
    except service.DashboardError as error:
        return _refused(error, dashboard_id)
    session.commit()
    flash(_("Tile added."), "success")
    return _back(dashboard_id)


def _tile_id(tile_id: int) -> int:
    if not 0 < tile_id <= INT32_MAX:
        abort(404)
    return tile_id


@bp.post("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>/delete")
@own_data
@require_permission(VIEW)
def remove(dashboard_id: int, tile_id: int) -> Any:
    """Take a tile off the user's own dashboard (the page asked to confirm)."""
    dashboard_or_404(dashboard_id, edit=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.remove_tile(get_session(), dashboard_id=dashboard_id,
                            tile_id=_tile_id(tile_id), user=user())
    except service.DashboardError as error:
        return _refused(error, dashboard_id)
    get_session().commit()
    flash(_("Tile removed."), "success")
    return _back(dashboard_id)


@bp.post("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>/move")
@own_data
@require_permission(VIEW)
def move(dashboard_id: int, tile_id: int) -> Any:
    """Move a tile one place up (``direction=up``) or down: the keyboard's way to arrange."""
    dashboard_or_404(dashboard_id, edit=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    step = -1 if request.form.get("direction") == "up" else 1
    try:
        service.move_tile(get_session(), dashboard_id=dashboard_id,
                          tile_id=_tile_id(tile_id), step=step, user=user())
    except service.DashboardError as error:
        return _refused(error, dashboard_id)
    get_session().commit()
    return redirect(url_for(".show", dashboard_id=dashboard_id) + f"#tile-{tile_id}")


@bp.post("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>/size")
@own_data
@require_permission(VIEW)
def size(dashboard_id: int, tile_id: int) -> Any:
    """Set a tile's width and height (the form beside each tile, without dragging)."""
    dashboard_or_404(dashboard_id, edit=True)
    form = SizeForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "error")
        return _back(dashboard_id)
    try:
        service.resize_tile(get_session(), dashboard_id=dashboard_id,
                            tile_id=_tile_id(tile_id), user=user(), width=form.width.data,
                            height=form.height.data)
    except service.DashboardError as error:
        return _refused(error, dashboard_id)
    get_session().commit()
    return redirect(url_for(".show", dashboard_id=dashboard_id) + f"#tile-{tile_id}")


class LayoutEntry(Schema):
    """One tile of a layout."""

    id = fields.Integer(required=True, strict=True, validate=validate.Range(1, INT32_MAX))
    width = fields.Integer(required=True, strict=True, validate=validate.OneOf(WIDTHS))
    height = fields.String(required=True, validate=validate.OneOf(HEIGHTS))


class LayoutBody(Schema):
    """A whole layout: every tile once, in the new order."""

    class Meta:
        unknown = EXCLUDE

    tiles = fields.List(fields.Nested(LayoutEntry), required=True,
                        validate=validate.Length(max=service.MAX_TILES))


def _problem(status: int, title: str, errors: Any = None) -> Any:
    body = {"type": "about:blank", "title": title, "status": status}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@bp.post("/dashboards/<int:dashboard_id>/layout")
@own_data
@require_permission(VIEW)
def layout(dashboard_id: int) -> Any:
    """Save the order and sizes the drag-and-drop script sends (CSRF token in the
    ``X-CSRFToken`` header); JSON ``{"message"}`` or a problem naming the field."""
    dashboard_or_404(dashboard_id, edit=True)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _problem(422, _("Send the layout as JSON."))
    try:
        body = LayoutBody().load(payload)
    except ValidationError as error:
        return _problem(422, _("The layout could not be read."), error.normalized_messages())
    try:
        service.save_layout(get_session(), dashboard_id=dashboard_id, layout=body["tiles"],
                            user=user())
    except service.DashboardError as error:
        get_session().rollback()
        return _problem(409 if not isinstance(error, service.DashboardNotFound) else 404,
                        str(error))
    get_session().commit()
    return jsonify({"message": _("Layout saved.")})
