"""Admin pages: users, roles (permission matrix), departments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("core_admin", __name__, url_prefix="/admin")
MENU_ITEMS: list = []
