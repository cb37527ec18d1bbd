"""Route guards: every view declares the permission it needs, or that it is public."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request
from flask_login import current_user, login_url

from ..errors import RegistryError
from ..rbac.principal import can

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ENDPOINTS = {"static"}


def require_permission(name: str | None = None) -> Callable[[F], F]:
    """Guard a view: the user must be signed in and, when ``name`` is given, hold it.

    Anonymous users are sent to the login page (HTML) or answered 401 (API); users without the
    permission get 403. The permission is recorded on the view so tests can walk every route.
    """
    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401)
                return redirect(login_url("core_auth.login", next_url=request.full_path))
            if name is not None and not can(name):
                abort(403)
            return view(*args, **kwargs)

        guarded.crm_permission = name or "authenticated"  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]
    return decorate


def public(view: F) -> F:
    """Mark a view as open to everyone (login, health checks)."""
    view.crm_permission = "public"  # type: ignore[attr-defined]
    return view


def route_permission(app: Flask, endpoint: str) -> str | None:
    """The permission an endpoint declared, ``"public"``, or None when it declared nothing."""
    if endpoint in PUBLIC_ENDPOINTS or endpoint.endswith(".static"):
        return "public"
    return getattr(app.view_functions[endpoint], "crm_permission", None)


def check_every_route_guarded(app: Flask) -> None:
    """Refuse to start (strict mode) when a route declares no permission."""
    missing = sorted(rule.rule for rule in app.url_map.iter_rules()
                     if route_permission(app, rule.endpoint) is None)
    if missing:
        raise RegistryError("routes without a declared permission (use "
                            "toolkit.require_permission or toolkit.public): " + ", ".join(missing))
