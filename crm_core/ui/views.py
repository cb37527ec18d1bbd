"""The home page and the menu every page shows."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, url_for
from flask_login import current_user

from ..auth.permissions import require_permission

bp = Blueprint("core_ui", __name__)


def visible_menu() -> list[dict[str, Any]]:
    """The sidebar: menu items the current user may see, sorted, children under parents."""
    if not current_user.is_authenticated:
        return []
    items = [item for _plugin, item in current_app.extensions["crm"].menu_items.values()
             if item.permission is None or current_user.has_permission(item.permission)]
    items.sort(key=lambda item: (item.order, item.label))
    nodes = {item.id: {"item": item, "url": url_for(item.endpoint), "children": []}
             for item in items}
    roots = []
    for item in items:
        parent = nodes.get(item.parent) if item.parent else None
        (parent["children"] if parent else roots).append(nodes[item.id])
    return roots


@bp.app_context_processor
def inject_menu() -> dict[str, Any]:
    return {"crm_menu": visible_menu}


@bp.get("/")
@require_permission()
def home():  # type: ignore[no-untyped-def]
    """The home page: the dashboard of the widgets the user may see."""
    widgets = [widget for _plugin, widget in current_app.extensions["crm"].widgets.values()
               if widget.permission is None or current_user.has_permission(widget.permission)]
    widgets.sort(key=lambda widget: (widget.order, widget.title))
    return render_template("core/home.html", widgets=widgets)


@bp.get("/api/v1/widgets/<widget_id>")
@require_permission()
def widget_data(widget_id: str):  # type: ignore[no-untyped-def]
    """A dashboard widget's data as JSON: ``{"id", "title", "kind", "data"}``."""
    entry = current_app.extensions["crm"].widgets.get(widget_id)
    if entry is None:
        abort(404)
    widget = entry[1]
    if widget.permission is not None and not current_user.has_permission(widget.permission):
        abort(404)
    return jsonify(id=widget.id, title=widget.title, kind=widget.kind, data=widget.data())
