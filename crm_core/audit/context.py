"""Who is acting, from where: the signed-in user, a CLI user, a worker, or an explicit actor.

The operation log asks this for every entry. Order of precedence: an actor set with
``acting_as`` (a job working on behalf of the user who started it; ``system:<reason>`` inside
``rbac.system.system_context``), the signed-in user of
the current request, ``"system"`` inside a Celery task, ``"cli:<os user>"`` inside a ``crm``
command, else ``"system"``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import click
from flask import g, has_app_context, has_request_context, request


@dataclass(frozen=True)
class Actor:
    """Who an entry is about: a user id (None for no user) and the name shown in the log."""

    user_id: int | None
    username: str


@dataclass(frozen=True)
class Origin:
    """The actor plus where the action came from: request id and client IP."""

    actor: Actor
    request_id: str = ""
    ip: str = ""


_acting_as: ContextVar[Actor | None] = ContextVar("crm_audit_acting_as", default=None)


@contextmanager
def acting_as(user_id: int | None, username: str) -> Iterator[Actor]:
    """Record everything written inside the block as done by this user.

    For work done on someone's behalf outside their request, e.g. an import job started by
    a user: ``with acting_as(job.owner_id, owner_name): ...``.
    """
    actor = Actor(user_id, username)
    token = _acting_as.set(actor)
    try:
        yield actor
    finally:
        _acting_as.reset(token)


def actor_of(user: object) -> Actor:
    """The actor for a user object (``id`` and ``username``) or a bare user name."""
    if isinstance(user, str):
        return Actor(None, user)
    return Actor(getattr(user, "id", None), str(getattr(user, "username", "") or ""))


def _signed_in_user() -> object | None:
    from flask_login import current_user

    try:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
    except AttributeError:  # this app has no login manager: nobody can be signed in
        return None
    return user if getattr(user, "is_authenticated", False) else None


def _in_celery_task() -> bool:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return False
    return bool(current_task and getattr(current_task.request, "id", None))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment (containers): the uid
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def current_actor() -> Actor:
    """Who is acting right now (see the module docstring for the order)."""
    explicit = _acting_as.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        user = _signed_in_user()
        if user is not None:
            return actor_of(user)
        return Actor(None, "anonymous")
    if _in_celery_task():
        return Actor(None, "system")
    if click.get_current_context(silent=True) is not None:
        return Actor(None, f"cli:{_os_user()}")
    return Actor(None, "system")


def current_origin(actor: Actor | None = None) -> Origin:
    """``actor`` (default: ``current_actor()``) with the request id and client IP, if any."""
    request_id = str(g.get("request_id", "") or "") if has_app_context() else ""
    ip = (request.remote_addr or "") if has_request_context() else ""
    return Origin(actor or current_actor(), request_id, ip)
