"""Dashboards' business rules: who sees and edits which dashboard, tiles and their layout.

A dashboard is its owner's; only the owner edits it (rename, share, tiles, layout, delete).
Shared with roles, its readers see it and may copy it into a dashboard of their own. A
dashboard someone may not see is "not found" (404), never "forbidden". Services take a session
and plain arguments and leave the commit to the caller; each row change is in the operation
log through the kernel's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from crm_core.toolkit import INT32_MAX, DomainError, model_for_table

from .models import HEIGHTS, TILE_KINDS, WIDTHS, Dashboard, DashboardRole, Tile

__all__ = [
    "DashboardError", "DashboardNotFound", "add_tile", "copy_dashboard", "create_dashboard",
    "dashboard_report_ids", "default_dashboard", "delete_dashboard", "get_dashboard",
    "may_edit", "move_tile", "remove_tile", "rename_dashboard", "save_layout",
    "resize_tile", "share_dashboard", "shared_role_ids", "tiles_of", "user_dashboards",
    "user_role_ids",
]

MAX_DASHBOARDS = 50  # per owner
MAX_TILES = 40  # per dashboard
NAME_MAX = 120


class DashboardError(DomainError):
    """A dashboard change the rules refuse; the message says why."""


class DashboardNotFound(DashboardError):
    """No such dashboard or tile that this user may see."""

    status = 404


def user_role_ids(session: Any, user: Any) -> set[int]:
    """The ids of the roles ``user`` holds."""
    user_role = model_for_table("core_user_role")
    return set(session.scalars(select(user_role.role_id).where(user_role.user_id == user.id)))


def user_dashboards(session: Any, user: Any) -> list[Dashboard]:
    """The dashboards ``user`` may open: their own (default first, then by name), then those
    shared with one of their roles (by name)."""
    roles = user_role_ids(session, user)
    shared = select(DashboardRole.dashboard_id).where(DashboardRole.role_id.in_(roles))
    rows = session.scalars(select(Dashboard).where(or_(
        Dashboard.owner_id == user.id, Dashboard.id.in_(shared))).order_by(
        (Dashboard.owner_id != user.id), Dashboard.is_default.desc(), Dashboard.name,
        Dashboard.id))
    return list(rows)


def get_dashboard(session: Any, dashboard_id: Any, user: Any, *, edit: bool = False) -> Dashboard:
    """The dashboard ``dashboard_id`` if ``user`` may open it (``edit``: and change it);
    otherwise ``DashboardNotFound`` (a shared dashboard's reader who asks to edit gets
    ``DashboardError``: they see it, so it is no secret that it exists)."""
    if not isinstance(dashboard_id, int) or not 0 < dashboard_id <= INT32_MAX:
        raise DashboardNotFound(_l("No such dashboard."))
    dashboard = session.get(Dashboard, dashboard_id)
    if dashboard is None:
        raise DashboardNotFound(_l("No such dashboard."))
    if dashboard.owner_id != user.id:
        if not shared_role_ids(session, dashboard.id) & user_role_ids(session, user):
            raise DashboardNotFound(_l("No such dashboard."))
        if edit:
            raise DashboardError(_l("This dashboard is shared with you: only its owner can "
                                    "change it. Copy it to make your own."))
    return dashboard


def may_edit(dashboard: Dashboard, user: Any) -> bool:
    """Whether ``user`` may change ``dashboard`` (only its owner may)."""
    return dashboard.owner_id == user.id


def default_dashboard(session: Any, user: Any) -> Dashboard | None:
    """The user's own default dashboard, else their first own one, else ``None``."""
    return session.scalars(select(Dashboard).where(Dashboard.owner_id == user.id).order_by(
        Dashboard.is_default.desc(), Dashboard.id).limit(1)).first()


def _clean_name(name: Any) -> str:
    name = str(name or "").strip()
    if not name:
        raise DashboardError(_l("Give the dashboard a name."))
    if len(name) > NAME_MAX or "\x00" in name:
        raise DashboardError(_l("The name is too long or holds characters that cannot be "
                                "stored."))
    return name


def create_dashboard(session: Any, *, user: Any, name: Any) -> Dashboard:
    """A new, empty dashboard of ``user``'s (their default one if it is their first)."""
    name = _clean_name(name)
    owned = session.scalar(select(func.count()).select_from(Dashboard).where(
        Dashboard.owner_id == user.id)) or 0
    if owned >= MAX_DASHBOARDS:
        raise DashboardError(_l("You have %(n)d dashboards, the most one may have.",
                                n=MAX_DASHBOARDS))
    dashboard = Dashboard(name=name, owner_id=user.id, is_default=owned == 0)
    session.add(dashboard)
    session.flush()
    return dashboard


def rename_dashboard(session: Any, *, dashboard_id: int, name: Any, user: Any) -> Dashboard:
    """Give the user's own dashboard a new name."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    dashboard.name = _clean_name(name)
    session.flush()
    return dashboard


def delete_dashboard(session: Any, *, dashboard_id: int, user: Any) -> None:
    """Delete the user's own dashboard with its tiles and shares; another of theirs becomes
    the default if this one was."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    was_default = dashboard.is_default
    for tile in tiles_of(session, dashboard.id):
        session.delete(tile)
    for share in session.scalars(select(DashboardRole).where(
            DashboardRole.dashboard_id == dashboard.id)):
        session.delete(share)
    session.delete(dashboard)
    session.flush()
    if was_default and (other := default_dashboard(session, user)) is not None:
        other.is_default = True
        session.flush()


def shared_role_ids(session: Any, dashboard_id: int) -> set[int]:
    """The ids of the roles ``dashboard_id`` is shared with."""
    return set(session.scalars(select(DashboardRole.role_id).where(
        DashboardRole.dashboard_id == dashboard_id)))


def share_dashboard(session: Any, *, dashboard_id: int, role_ids: Iterable[int],
                    user: Any) -> set[int]:
    """Share the user's own dashboard with exactly the roles ``role_ids`` (none: private).
    Unknown role ids are refused. Returns the role ids it is now shared with."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    wanted = {int(role_id) for role_id in role_ids}
    role = model_for_table("core_role")
    known = set(session.scalars(select(role.id).where(role.id.in_(wanted)))) if wanted else set()
    if wanted - known:
        raise DashboardError(_l("Choose among the roles listed."))
    current = shared_role_ids(session, dashboard.id)
    for role_id in current - wanted:
        session.execute(delete(DashboardRole).where(DashboardRole.dashboard_id == dashboard.id,
                                                    DashboardRole.role_id == role_id))
    for role_id in sorted(wanted - current):
        session.add(DashboardRole(dashboard_id=dashboard.id, role_id=role_id))
    session.flush()
    return wanted


def copy_dashboard(session: Any, *, dashboard_id: int, user: Any,
                   name: Any = None) -> Dashboard:
    """A private copy, owned by ``user``, of a dashboard they may open (tiles and layout)."""
    source = get_dashboard(session, dashboard_id, user)
    copy = create_dashboard(session, user=user, name=name or _copy_name(source.name))
    for tile in tiles_of(session, source.id):
        session.add(Tile(dashboard_id=copy.id, kind=tile.kind, ref=tile.ref,
                         position=tile.position, width=tile.width, height=tile.height))
    session.flush()
    return copy


def _copy_name(name: str) -> str:
    return str(_l("Copy of %(name)s", name=name))[:NAME_MAX]


def tiles_of(session: Any, dashboard_id: int) -> list[Tile]:
    """The dashboard's tiles in their order."""
    return list(session.scalars(select(Tile).where(Tile.dashboard_id == dashboard_id)
                                .order_by(Tile.position, Tile.id)))


def _check_ref(kind: str, ref: Any) -> str:
    ref = str(ref if ref is not None else "").strip()
    if kind not in TILE_KINDS:
        raise DashboardError(_l("A tile shows a widget or a saved report."))
    if not ref or len(ref) > 120 or "\x00" in ref:
        raise DashboardError(_l("Choose what the tile shows."))
    if kind == "report" and not (ref.isdigit() and 0 < int(ref) <= INT32_MAX):
        raise DashboardError(_l("No such saved report."))
    if kind == "widget":
        from .tiles import widget_for

        if widget_for(ref) is None:
            raise DashboardError(_l("No such widget."))
    return ref if kind == "widget" else str(int(ref))


def add_tile(session: Any, *, dashboard_id: int, kind: str, ref: Any, user: Any,
             width: int = 6, height: str = "m") -> Tile:
    """Add a tile at the end of the user's own dashboard: ``kind`` ``"widget"`` with
    ``ref`` a kernel report widget's id (one ``user`` may see), or ``"report"`` with ``ref``
    a saved report's id."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    ref = _check_ref(kind, ref)
    if kind == "widget":
        from .tiles import widget_visible

        if not widget_visible(ref, user):
            raise DashboardError(_l("No such widget."))
    tiles = tiles_of(session, dashboard.id)
    if len(tiles) >= MAX_TILES:
        raise DashboardError(_l("A dashboard holds at most %(n)d tiles.", n=MAX_TILES))
    tile = Tile(dashboard_id=dashboard.id, kind=kind, ref=ref,
                position=(tiles[-1].position + 1) if tiles else 0,
                width=width if width in WIDTHS else 6, height=height if height in HEIGHTS
                else "m")
    session.add(tile)
    session.flush()
    return tile


def _tile(session: Any, dashboard: Dashboard, tile_id: Any) -> Tile:
    tile = session.get(Tile, tile_id) if isinstance(tile_id, int) and \
        0 < tile_id <= INT32_MAX else None
    if tile is None or tile.dashboard_id != dashboard.id:
        raise DashboardNotFound(_l("No such tile."))
    return tile


def remove_tile(session: Any, *, dashboard_id: int, tile_id: int, user: Any) -> None:
    """Take a tile off the user's own dashboard."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    session.delete(_tile(session, dashboard, tile_id))
    session.flush()


def _renumber(tiles: Sequence[Tile]) -> None:
    for position, tile in enumerate(tiles):
        if tile.position != position:
            tile.position = position


def move_tile(session: Any, *, dashboard_id: int, tile_id: int, step: int, user: Any) -> None:
    """Move a tile ``step`` places (-1: up/earlier, +1: down/later) on the user's own
    dashboard; at either end it stays."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    tile = _tile(session, dashboard, tile_id)
    tiles = tiles_of(session, dashboard.id)
    index = tiles.index(tile)
    target = max(0, min(len(tiles) - 1, index + (1 if step > 0 else -1)))
    tiles.insert(target, tiles.pop(index))
    _renumber(tiles)
    session.flush()


def save_layout(session: Any, *, dashboard_id: int, layout: Sequence[dict[str, Any]],
                user: Any) -> list[Tile]:
    """Save the order and sizes of the user's own dashboard's tiles: ``layout`` lists every
    tile once as ``{"id", "width", "height"}`` in the new order (width one of 4/6/8/12 grid
    columns, height ``s``/``m``/``l``)."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    tiles = {tile.id: tile for tile in tiles_of(session, dashboard.id)}
    ids = [entry.get("id") for entry in layout]
    if sorted(ids, key=str) != sorted(tiles, key=str) or len(set(ids)) != len(ids):
        raise DashboardError(_l("The dashboard changed meanwhile: reload the page."))
    ordered = []
    for entry in layout:
        tile = tiles[entry["id"]]
        if entry.get("width") not in WIDTHS or entry.get("height") not in HEIGHTS:
            raise DashboardError(_l("Choose a width and a height among those offered."))
        if (tile.width, tile.height) != (entry["width"], entry["height"]):
            tile.width, tile.height = entry["width"], entry["height"]
        ordered.append(tile)
    _renumber(ordered)
    session.flush()
    return ordered


def resize_tile(session: Any, *, dashboard_id: int, tile_id: int, user: Any,
                width: Any = None, height: Any = None) -> Tile:
    """Set a tile's width (grid columns) and/or height on the user's own dashboard."""
    dashboard = get_dashboard(session, dashboard_id, user, edit=True)
    tile = _tile(session, dashboard, tile_id)
    if width is not None:
        if width not in WIDTHS:
            raise DashboardError(_l("Choose a width and a height among those offered."))
        tile.width = width
    if height is not None:
        if height not in HEIGHTS:
            raise DashboardError(_l("Choose a width and a height among those offered."))
        tile.height = height
    session.flush()
    return tile


def dashboard_report_ids(session: Any, dashboard_id: int) -> list[int]:
    """The saved report ids the dashboard's report tiles show, in tile order, once each
    (no permission check: the caller decides who asks)."""
    seen: list[int] = []
    for ref in session.scalars(select(Tile.ref).where(
            Tile.dashboard_id == dashboard_id, Tile.kind == "report")
            .order_by(Tile.position, Tile.id)):
        if ref.isdigit() and int(ref) not in seen:
            seen.append(int(ref))
    return seen
