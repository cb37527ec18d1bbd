"""The home page, the menu every page shows, and the routes of the UI shell."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..api.endpoint import api_endpoint
from ..api.schemas import WidgetOut, WidgetQuery
from ..auth.permissions import require_permission, route_permission
from . import errors, language, search_pages
from .widget_captions import split_caption

bp = Blueprint("core_ui", __name__)

# The user menu's links to pages other parts of the kernel provide; a link whose page is
# not there (or that the user may not open) is left out rather than breaking every page.
USER_LINKS = (
    ("core_account.preferences", _l("Preferences"), "sliders"),
    ("core_auth.change_password", _l("Change password"), "key"),
    ("core_api.tokens_page", _l("API tokens"), "braces-asterisk"),
    ("core_jobs.jobs_page", _l("My jobs"), "hourglass-split"),
)


def _may_open(endpoint: str) -> bool:
    if endpoint not in current_app.view_functions:
        return False
    needed = route_permission(current_app, endpoint)
    return needed in ("public", "authenticated") or (
        needed is not None and current_user.has_permission(needed))


def _menu_entries() -> list[tuple[Any, str]]:
    """Every menu item and its URL in menu order (order, then label in the page's language).

    The same for every user of the app, so kept per app, per language and mount point; who
    sees which item is decided per request.
    """
    key = (str(get_locale()), request.script_root)
    cache = current_app.extensions.setdefault("crm_menu_entries", {})
    found = cache.get(key)
    if found is None:
        entries = current_app.extensions["crm"].menu_items.values()
        items = sorted((item for _plugin, item in entries),
                       key=lambda item: (item.order, str(item.label)))
        found = cache[key] = [(item, url_for(item.endpoint)) for item in items]
    return found


def visible_menu() -> list[dict[str, Any]]:
    """The sidebar: menu items the current user may see, sorted, children under parents.

    Each node is ``{"item", "url", "active", "children"}``; ``active`` marks the item whose
    page (or a page below it) is being shown.
    """
    if not current_user.is_authenticated:
        return []
    user, path = current_user._get_current_object(), request.path  # type: ignore[attr-defined]
    items = [(item, url) for item, url in _menu_entries()
             if item.permission is None or user.has_permission(item.permission)]
    nodes = {}
    for item, url in items:
        active = path == url or (url != "/" and path.startswith(url + "/"))
        nodes[item.id] = {"item": item, "url": url, "active": active, "children": []}
    roots = []
    for item, _url in items:
        parent = nodes.get(item.parent) if item.parent else None
        (parent["children"] if parent else roots).append(nodes[item.id])
    return roots


def user_links() -> list[dict[str, Any]]:
    """The user menu's links the current user may open: ``{"url", "label", "icon"}``."""
    if not current_user.is_authenticated:
        return []
    return [{"url": url_for(endpoint), "label": label, "icon": icon}
            for endpoint, label, icon in USER_LINKS if _may_open(endpoint)]


@bp.app_context_processor
def inject_menu() -> dict[str, Any]:
    return {"crm_menu": visible_menu, "crm_user_links": user_links,
            "crm_error_text": errors.error_text}


def visible_widgets() -> list[Any]:
    """The report widgets the current user may see, in dashboard order."""
    widgets = [widget for _plugin, widget in current_app.extensions["crm"].widgets.values()
               if widget.permission is None or current_user.has_permission(widget.permission)]
    widgets.sort(key=lambda widget: (widget.order, str(widget.title)))
    return widgets


@bp.get("/")
@require_permission()
def home():  # type: ignore[no-untyped-def]
    """The home page: the dashboard of the widgets the user may see."""
    return render_template("core/home.html", widgets=visible_widgets())


@api_endpoint(bp, "/api/v1/widgets/<widget_id>", response=WidgetOut, query=WidgetQuery,
              tags=["dashboard"])
def widget_data(widget_id: str, query: dict[str, Any]) -> Any:
    """A dashboard widget's data: ``{"id", "title", "kind", "data", "caption", "as_of",
    "date_filtered"}``.

    A widget the caller may not see answers 404, as if it did not exist. ``date_from`` and
    ``date_to`` (inclusive) limit a widget that declares ``date_range``; any other widget
    ignores them and answers ``"date_filtered": false``.
    """
    entry = current_app.extensions["crm"].widgets.get(widget_id)
    if entry is None:
        abort(404)
    widget = entry[1]
    if widget.permission is not None and not current_user.has_permission(widget.permission):
        abort(404)
    dates = {key: query.get(key) for key in ("date_from", "date_to")}
    filtered = bool(getattr(widget, "date_range", False)) and any(dates.values())
    data, caption, as_of = split_caption(widget, widget.data(**dates) if filtered
                                         else widget.data())
    return {"id": widget.id, "title": widget.title, "kind": widget.kind, "data": data,
            "caption": caption, "as_of": as_of, "date_filtered": filtered}


bp.add_url_rule("/language", view_func=language.switch_language, methods=["POST"])
bp.add_url_rule("/search", view_func=search_pages.search_page, methods=["GET"])
bp.add_url_rule("/search/suggest", view_func=search_pages.search_suggest, methods=["GET"])
