"""``create_app``: the one factory for the web app, the CLI, workers and tests."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect

from . import config as config_module
from . import core_plugin, db_maintenance, edge, i18n, logs, metrics, sqlfuncs
from .api import kit as api_kit
from .audit import service as audit_service
from .auth import timezones
from .auth.permissions import check_every_route_guarded
from .auth.views import login_manager
from .db import Database
from .jobs.celery_app import make_celery
from .platform import Platform
from .plugins import call_each, discover
from .plugins import load as load_plugins
from .rbac import principal
from .routing import SharedBuilderRule
from .ui import formatting, templating

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, plugins in dependency order, database, Celery, routes.

    ``config`` overrides any other source (``CRM_*`` names). Raises ``CrmError`` with one
    clear line when a setting or a plugin is wrong; the CLI turns that into exit code 2.
    """
    settings = config_module.load(config)
    app = Flask("crm_core", instance_path=settings["CRM_INSTANCE_PATH"])
    app.url_rule_class = SharedBuilderRule  # url_for's compiled builders, once a process
    app.config.update(settings)
    app.config["SECRET_KEY"] = settings["CRM_SECRET_KEY"]
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")

    known = discover()
    # All installed and not strict: a broken third-party plugin is disabled, not fatal.
    pm, enabled = load_plugins(core_plugin, known, settings["CRM_PLUGINS"],
                               lenient=not settings["CRM_STRICT"])
    platform = Platform(pm, known, enabled)
    app.extensions["crm"] = platform

    Database(app)
    sqlfuncs.init_app(app)  # before the engine's first connection
    db_maintenance.init_app(app)  # SQLite: PRAGMA optimize on pooled connections
    logs.init_app(app)
    edge.init_app(app)  # before anything that reads the request or adds a URL rule
    metrics.init_app(app)  # after the edge: its timer goes first, refused requests count
    login_manager.init_app(app)
    principal.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    timezones.init_app(app)  # after i18n: Flask-Babel follows each user's zone
    formatting.init_app(app)
    audit_service.init_app(app)
    api_kit.init_app(app)
    platform.register_blueprints(app)
    templating.init_app(app)  # plugins' templates before the kernel's
    make_celery(app)
    platform.register_cli(app)
    if settings["CRM_STRICT"]:
        check_every_route_guarded(app)
    call_each(platform.pm, "crm_startup", app=app)
    return app
