"""The kernel registers its own models, routes and permissions through the platform hooks."""

from __future__ import annotations

from typing import Any

import pluggy

from .auth.models import User
from .auth.views import bp as auth_bp
from .health import bp as health_bp
from .jobs.models import Job
from .jobs.views import bp as jobs_bp
from .registry import Permission
from .ui.search import bp as search_bp
from .ui.views import bp as ui_bp

hookimpl = pluggy.HookimplMarker("crm")


@hookimpl
def crm_models() -> list[type]:
    return [User, Job]


@hookimpl
def crm_blueprints() -> list[Any]:
    return [health_bp, auth_bp, ui_bp, search_bp, jobs_bp]


@hookimpl
def crm_permissions() -> list[Permission]:
    return [Permission("core.job.view", "View own background jobs", "System")]
