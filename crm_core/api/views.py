"""Kernel API endpoints and the token pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("core_api", __name__)
MENU_ITEMS: list = []
