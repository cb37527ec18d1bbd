"""The customers plugin's blueprint: every page of the plugin is a route on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("customers", __name__, template_folder="templates", url_prefix="/customers")
