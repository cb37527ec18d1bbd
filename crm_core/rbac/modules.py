"""The Modules page (System → Modules): every installed plugin, its version, requirements,
state (enabled, disabled or broken, with the reason) and what it registers.

Read-only on purpose: a change of the enabled set is a deployment step (it migrates the
database and needs every web and worker process restarted), so it is made with
``crm plugins enable|disable`` on the server, and this page says so.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from ..auth.permissions import require_permission
from ..plugin_policy import plugin_rows
from ..plugins import KERNEL_NAME
from ..registry import MenuItem, Permission
from .service import N_

bp = Blueprint("core_modules", __name__, url_prefix="/admin/modules")

VIEW = "core.module.view"
PERMISSIONS = [Permission(VIEW, N_("View installed modules (plugins)"), N_("System"))]
MENU_ITEMS = [
    MenuItem(id="core.admin.modules", label=_l("Modules"), endpoint="core_modules.index",
             permission=VIEW, icon="puzzle", order=90, parent="core.admin"),
]

# The registration kinds the page lists, in order, with their headings.
KINDS = [
    ("models", _l("Tables")), ("routes", _l("Routes")), ("permissions", _l("Permissions")),
    ("menu_items", _l("Menu items")), ("widgets", _l("Widgets")), ("tasks", _l("Tasks")),
    ("beat", _l("Schedules")), ("commands", _l("CLI commands")),
]


def _rows() -> list[dict[str, Any]]:
    platform = current_app.extensions["crm"]
    rows = plugin_rows(platform, platform.known)
    for row in rows:
        row["registered"] = platform.registrations(row["name"]) if row["enabled"] else {}
    kernel = {"name": KERNEL_NAME, "version": None, "title": "Kernel", "enabled": True,
              "state": "enabled", "error": None, "requires": [], "source": "kernel",
              "registered": platform.registrations(KERNEL_NAME)}
    return [kernel, *rows]


@bp.get("/")
@require_permission(VIEW)
def index():  # type: ignore[no-untyped-def]
    """Every installed plugin and what it registers."""
    rows = _rows()
    return render_template("core/admin/modules.html", rows=rows, kinds=KINDS)
