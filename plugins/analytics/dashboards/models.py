"""Dashboards: a user's arrangement of tiles, private or shared with roles.

A ``Dashboard`` belongs to its owner; ``DashboardRole`` rows share it (read only) with the
users of a role. A ``Tile`` shows one kernel report widget (``kind`` ``"widget"``, ``ref`` the
widget id) or one saved report (``kind`` ``"report"``, ``ref`` the report id), ``width``
grid columns wide (of 12) and ``height`` small, medium or large, at ``position``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.toolkit import Model, TimestampMixin

TILE_KINDS = ("widget", "report")
WIDTHS = (4, 6, 8, 12)
HEIGHTS = ("s", "m", "l")
WIDTH_LABELS = {4: _l("One third"), 6: _l("Half"), 8: _l("Two thirds"), 12: _l("Full width")}
HEIGHT_LABELS = {"s": _l("Small"), "m": _l("Medium"), "l": _l("Large")}
KIND_LABELS = {"widget": _l("Widget"), "report": _l("Saved report")}


class Dashboard(TimestampMixin, Model):
    """One dashboard: its name, owner and whether it is the owner's default one."""

    __tablename__ = "analytics_dashboard"
    __table_args__ = (Index("ix_analytics_dashboard_owner_id", "owner_id"),)
    __audit_label__ = _l("Dashboard")
    __audit_labels__ = {"name": _l("Name"), "owner_id": _l("Owner"),
                        "is_default": _l("Default")}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class DashboardRole(Model):
    """Shares one dashboard (read only) with the users of one role."""

    __tablename__ = "analytics_dashboard_role"
    __audit_label__ = _l("Role a dashboard is shared with")
    __audit_labels__ = {"dashboard_id": _l("Dashboard"), "role_id": _l("Role")}

    dashboard_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_dashboard.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True, index=True)


class Tile(Model):
    """One tile of a dashboard: a widget or a saved report, its place and size."""

    __tablename__ = "analytics_dashboard_tile"
    __table_args__ = (Index("ix_analytics_dashboard_tile_dashboard_position", "dashboard_id",
                            "position"),)
    __audit_label__ = _l("Dashboard tile")
    __audit_labels__ = {"dashboard_id": _l("Dashboard"), "kind": _l("Kind"),
                        "ref": _l("Shows"), "position": _l("Position"), "width": _l("Width"),
                        "height": _l("Height")}
    __audit_choices__ = {"kind": KIND_LABELS, "height": HEIGHT_LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_dashboard.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    ref: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    width: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    height: Mapped[str] = mapped_column(String(1), default="m", server_default="m")


MODELS = (Dashboard, DashboardRole, Tile)
