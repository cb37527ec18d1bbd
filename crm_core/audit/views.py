"""The operation log pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("core_audit", __name__)
MENU_ITEMS: list = []
