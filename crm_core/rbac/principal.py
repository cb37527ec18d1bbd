"""Flask-Principal carries the signed-in user's roles and permissions as needs."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Flask, current_app
from flask_login import current_user
from flask_principal import (
    AnonymousIdentity,
    Identity,
    Need,
    Principal,
    RoleNeed,
    UserNeed,
    identity_loaded,
)
from flask_principal import Permission as PrincipalPermission

principal = Principal(use_sessions=False, skip_static=True)


def permission_need(name: str) -> Need:
    """The need a user must provide to hold permission ``name``."""
    return Need("permission", name)


def _load_identity() -> Identity:
    if current_user.is_authenticated:
        return Identity(current_user.id, "crm")
    return AnonymousIdentity()


def _on_identity_loaded(sender: Any, identity: Identity) -> None:
    if not current_user.is_authenticated or identity.id != current_user.id:
        return
    identity.user = current_user
    identity.provides.add(UserNeed(current_user.id))
    if current_user.is_superuser:
        identity.provides.add(RoleNeed("superuser"))
        names = frozenset(current_app.extensions["crm"].permissions)
    else:
        names = frozenset(current_user.permissions)
    identity.provides.update(_needs(names))


@lru_cache(maxsize=256)
def _needs(names: frozenset[str]) -> frozenset[Need]:
    """The needs of a set of permission names, made once per set (each request of an API
    client made them all again, issue 11)."""
    return frozenset(permission_need(name) for name in names)


def can(name: str) -> bool:
    """Whether the current identity provides permission ``name``."""
    return PrincipalPermission(permission_need(name)).can()


def init_app(app: Flask) -> None:
    """Install Flask-Principal on ``app`` with the user's permissions as needs."""
    principal.init_app(app)
    principal.identity_loaders.clear()
    principal.identity_loader(_load_identity)
    identity_loaded.connect_via(app)(_on_identity_loaded)
