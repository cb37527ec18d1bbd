"""``create_app``: the one factory for the web app, the CLI, workers and tests."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask_wtf import CSRFProtect
from werkzeug.exceptions import HTTPException

from . import config as config_module
from . import core_plugin
from .auth.permissions import check_every_route_guarded
from .auth.views import login_manager
from .db import Database
from .jobs.celery_app import make_celery
from .platform import Platform
from .plugins import build_manager, call_each, discover, resolve

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, plugins in dependency order, database, Celery, routes.

    ``config`` overrides any other source (``CRM_*`` names). Raises ``CrmError`` with one
    clear line when a setting or a plugin is wrong; the CLI turns that into exit code 2.
    """
    settings = config_module.load(config)
    app = Flask("crm_core", instance_path=settings["CRM_INSTANCE_PATH"])
    app.config.update(settings)
    app.config["SECRET_KEY"] = settings["CRM_SECRET_KEY"]
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    known = discover()
    enabled = resolve(known, settings["CRM_PLUGINS"])
    platform = Platform(build_manager(core_plugin, enabled), known, enabled)
    app.extensions["crm"] = platform

    Database(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    platform.register_blueprints(app)
    make_celery(app)
    platform.register_cli(app)
    _register_error_handlers(app)
    if settings["CRM_STRICT"]:
        check_every_route_guarded(app)
    call_each(platform.pm, "crm_startup", app=app)
    return app


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return error
        body = {"type": "about:blank", "title": error.name, "status": error.code,
                "detail": error.description}
        response = jsonify(body)
        response.status_code = error.code or 500
        response.content_type = "application/problem+json"
        return response
