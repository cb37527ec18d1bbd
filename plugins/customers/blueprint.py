"""The customers plugin's blueprint: every page of the plugin is a route on it."""

from __future__ import annotations

from flask import Blueprint

# Static files: /customers/static/<part>.js (no inline scripts anywhere).
bp = Blueprint("customers", __name__, template_folder="templates", static_folder="static",
               url_prefix="/customers")
