"""``create_app``: the one factory for the web app, the CLI, workers and tests."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_wtf import CSRFProtect
from werkzeug.exceptions import HTTPException

from . import config as config_module
from . import core_plugin, i18n, logs
from .api import kit as api_kit
from .api import problems
from .audit import service as audit_service
from .auth.permissions import check_every_route_guarded
from .auth.views import login_manager
from .db import Database
from .errors import DomainError
from .jobs.celery_app import make_celery
from .platform import Platform
from .plugins import build_manager, call_each, discover, resolve
from .rbac import principal

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
    logs.init_app(app)
    login_manager.init_app(app)
    principal.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    audit_service.init_app(app)
    api_kit.init_app(app)
    platform.register_blueprints(app)
    make_celery(app)
    platform.register_cli(app)
    _register_error_handlers(app)
    if settings["CRM_STRICT"]:
        check_every_route_guarded(app)
    call_each(platform.pm, "crm_startup", app=app)
    return app


def _register_error_handlers(app: Flask) -> None:
    """API errors as ``application/problem+json``; HTML errors as pages; never a bare 500."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if code < 400:
            return error
        if problems.is_api_request():
            return problems.http_problem(error)
        return render_template("core/error.html", code=code, title=error.name,
                               detail=error.description), code

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Any:
        if problems.is_api_request():
            return problems.domain_problem(error)
        status = getattr(error, "status", 422)
        title = "Not found" if status == 404 else "Cannot do that"
        return render_template("core/error.html", code=status, title=title,
                               detail=str(error)), status

    @app.errorhandler(500)
    def server_error(error: Exception) -> Any:
        if problems.is_api_request():
            return problems.server_problem()
        return render_template("core/error.html", code=500, title="Something went wrong",
                               detail="The error was logged. Please try again later."), 500
