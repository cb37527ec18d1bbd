"""The dashboards' pages (a part: ``blueprints()``, ``menu_items()``).

``/analytics/dashboard`` ("My dashboard" in the menu) opens the user's default dashboard, or
offers to create one; ``/analytics/dashboards`` lists the user's own dashboards and those
shared with one of their roles; ``/analytics/dashboards/<id>`` shows one, its tiles drawn by
the kernel's dashboard script from each tile's data URL: a kernel widget's own
``/api/v1/widgets/<id>`` (with the date filter when the widget can be limited to dates) or
``/analytics/dashboards/<id>/tiles/<tile id>/data`` for a saved report. The changes are in
``actions.py``. A dashboard the user may not open answers 404.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from crm_core.toolkit import (
    INT32_MAX,
    MenuItem,
    get_session,
    require_permission,
    user_names,
)

from ..permissions import SHARE_DASHBOARDS, VIEW
from . import service, tiles
from .dates import PRESETS, date_filter
from .forms import (
    ActionForm,
    NameForm,
    ShareForm,
    SizeForm,
    TileForm,
    role_choices,
    tile_choices,
)
from .models import HEIGHT_LABELS, WIDTH_LABELS, Dashboard, Tile

ANALYTICS = Path(__file__).resolve().parent.parent
bp = Blueprint("analytics_dashboards", __name__, url_prefix="/analytics",
               template_folder=str(ANALYTICS / "templates"),
               static_folder=str(ANALYTICS / "static"), static_url_path="/dashboards/static")


def blueprints() -> list[Blueprint]:
    """The dashboards' blueprint (routes of ``views`` and ``actions``)."""
    from . import actions  # noqa: F401  (registers the POST routes on ``bp``)

    return [bp]


def menu_items() -> list[MenuItem]:
    """"My dashboard" and "Dashboards"."""
    return [MenuItem("analytics.my_dashboard", _l("My dashboard"),
                     "analytics_dashboards.mine", permission=VIEW, icon="grid-1x2",
                     order=795),
            MenuItem("analytics.dashboards", _l("Dashboards"), "analytics_dashboards.index",
                     permission=VIEW, icon="grid-3x3-gap", order=796)]


def own_data(view: Any) -> Any:
    """Mark a write that changes only the signed-in user's own dashboards (as the kernel
    marks a list's saved views): any reader of analysis keeps dashboards of their own."""
    view.crm_own_data = True
    return view


def user() -> Any:
    """The signed-in user object."""
    return current_user._get_current_object()  # type: ignore[attr-defined]  # noqa: SLF001


def dashboard_or_404(dashboard_id: int, *, edit: bool = False) -> Dashboard:
    """The dashboard if the user may open it (``edit``: and change it); 404 otherwise (a
    reader of a shared one asking to change it: 403)."""
    try:
        return service.get_dashboard(get_session(), dashboard_id, user(), edit=edit)
    except service.DashboardNotFound:
        abort(404)
    except service.DashboardError:
        abort(403)


@bp.get("/dashboard")
@require_permission(VIEW)
def mine() -> Any:
    """The user's default dashboard, or a page that offers to create it."""
    found = service.default_dashboard(get_session(), user())
    if found is not None:
        kept = {key: str(request.args[key])[:20] for key in ("preset", "date_from", "date_to")
                if request.args.get(key)}
        return redirect(url_for(".show", dashboard_id=found.id, **kept))
    form = NameForm(name=_("My dashboard"))
    return render_template("analytics/dashboards/start.html", form=form,
                           shared=service.user_dashboards(get_session(), user()))


@bp.get("/dashboards")
@require_permission(VIEW)
def index() -> str:
    """The user's dashboards and those shared with their roles."""
    boards = service.user_dashboards(get_session(), user())
    return render_template("analytics/dashboards/index.html", boards=boards,
                           form=NameForm(), action=ActionForm(), me=user())


def _tile_view(session: Any, dashboard: Dashboard, tile: Tile, dates: Any) -> dict[str, Any]:
    """What the page needs of one tile: title, kind, data URL, notices."""
    view: dict[str, Any] = {"tile": tile, "url": None, "notice": None, "undated": False,
                            "kind": "bar", "title": ""}
    if tile.kind == "widget":
        widget = tiles.widget_for(tile.ref)
        if widget is None or not tiles.widget_visible(tile.ref, user()):
            view.update(title=tile.ref, notice=_("This widget is no longer available (its "
                                                 "plugin was disabled, or you may not see "
                                                 "it)."))
            return view
        # the line under the title until the data says when its figures are of
        view.update(title=widget.title, kind=widget.kind, caption=widget.caption,
                    undated=dates.active and not tiles.filters_by_date(widget))
    else:
        title = tiles.report_title(session, int(tile.ref), user()) \
            if tile.ref.isdigit() else None
        if title is None:
            view.update(title=_("Saved report"), notice=_(
                "This saved report was deleted or is no longer shared with you: remove the "
                "tile or pick another report."))
            return view
        view["title"] = title
    view["url"] = url_for(".tile_data", dashboard_id=dashboard.id, tile_id=tile.id,
                          **dates.args())
    return view


@bp.get("/dashboards/<int:dashboard_id>")
@require_permission(VIEW)
def show(dashboard_id: int) -> str:
    """One dashboard: the date filter, its tiles and (for its owner) the editing tools."""
    session = get_session()
    dashboard = dashboard_or_404(dashboard_id)
    dates = date_filter(request.args)
    editable = service.may_edit(dashboard, user())
    views = [_tile_view(session, dashboard, tile, dates)
             for tile in service.tiles_of(session, dashboard.id)]
    picker = None
    if editable:
        picker = TileForm()
        picker.tile.choices = tile_choices(tiles.visible_widgets(user()),
                                           tiles.report_titles(session, user()), _text)
    share = None
    if editable and user().has_permission(SHARE_DASHBOARDS):
        share = ShareForm(role_ids=sorted(service.shared_role_ids(session, dashboard.id)))
        share.role_ids.choices = [SelectChoice(rid, label)
                                  for rid, label in role_choices(session)]
    owner_name = None
    if not editable:
        owner_name = user_names(session, [dashboard.owner_id]).get(dashboard.owner_id)
    return render_template(
        "analytics/dashboards/show.html", dashboard=dashboard, tiles=views, dates=dates,
        presets=PRESETS, editable=editable, picker=picker, share=share,
        rename=NameForm(name=dashboard.name), action=ActionForm(), size=SizeForm(),
        widths=WIDTH_LABELS, heights=HEIGHT_LABELS, owner_name=owner_name,
        boards=service.user_dashboards(session, user()),
        suggestions=tiles.visible_widgets(user())[:4] if editable and not views else [])


def _text(value: Any) -> str:
    return str(value)


@bp.get("/dashboards/<int:dashboard_id>/tiles/<int:tile_id>/data")
@require_permission(VIEW)
def tile_data(dashboard_id: int, tile_id: int) -> Any:
    """A tile's data as the kernel's dashboard script draws it (JSON): a widget's (404 when
    the reader may not see it) or a saved report's, with its "as of" caption."""
    session = get_session()
    dashboard = dashboard_or_404(dashboard_id)
    tile = session.get(Tile, tile_id) if tile_id <= INT32_MAX else None
    if tile is None or tile.dashboard_id != dashboard.id:
        abort(404)
    dates = date_filter(request.args)
    if tile.kind == "widget":
        if not tiles.widget_visible(tile.ref, user()):
            abort(404)
        return jsonify(tiles.widget_tile(tiles.widget_for(tile.ref), date_from=dates.date_from,
                                         date_to=dates.date_to))
    body = tiles.report_tile(session, int(tile.ref), user(),
                             date_from=(dates.date_from.isoformat() if dates.date_from
                                        else None),
                             date_to=dates.date_to.isoformat() if dates.date_to else None)
    return jsonify(body)
