"""Who sees sensitive values in clear, and masking records, rows and single values for the
others. Every page, API answer, export and search suggestion that shows a declared field
goes through one of these.

``user`` is whom the values are shown to: by default the one ``viewing_as`` set (an export
job sets its owner), else the signed-in user of the request, else nobody (the CLI and
system jobs: clear). A user id is looked up; an anonymous visitor sees masks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app, has_app_context, has_request_context

from .masks import mask, masker
from .registry import SensitiveFields, declared

__all__ = ["CURRENT", "declaration", "field_masker", "mask_record", "mask_rows",
           "mask_value", "may_reveal", "may_see", "sensitive_fields", "viewing_as"]


class _Current:
    def __repr__(self) -> str:
        return "CURRENT"


#: "Whoever is viewing now" (the default of every ``user`` argument).
CURRENT: Any = _Current()
_UNSET = object()
_viewer: ContextVar[Any] = ContextVar("crm_sensitive_viewer", default=_UNSET)


@contextmanager
def viewing_as(user: Any) -> Iterator[None]:
    """Show values as ``user`` (a user, a user id, or None for clear values) inside the
    block: what an export job does for its owner."""
    token = _viewer.set(user)
    try:
        yield
    finally:
        _viewer.reset(token)


def _resolve(user: Any) -> Any:
    if user is CURRENT:
        user = _viewer.get()
        if user is _UNSET:
            if not has_request_context():
                return None
            from flask_login import current_user

            user = current_user._get_current_object()  # noqa: SLF001 - Flask-Login's proxy
    if isinstance(user, int) and not isinstance(user, bool):
        from ..auth.models import User
        from ..db import get_session

        user = get_session().get(User, user)
        if user is None:
            return False  # a user that is gone sees masks
    return user


def declaration(kind: str) -> SensitiveFields | None:
    """The declaration of ``kind`` in the running app, or None."""
    if not has_app_context():
        return None
    return declared(current_app).get(kind)


def sensitive_fields(kind: str) -> dict[str, str]:
    """The sensitive fields of ``kind`` and their kinds of value ({} when none)."""
    spec = declaration(kind)
    return dict(spec.fields) if spec is not None else {}


def _holds(user: Any, permission: str) -> bool:
    if user is None:
        return True  # the CLI, a system job: no one to hide from
    if user is False or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.has_permission(permission))


def may_see(kind: str, user: Any = CURRENT) -> bool:
    """Whether ``user`` sees the sensitive values of ``kind`` in clear (holds
    ``<kind>.view_sensitive``, or ``kind`` declares none)."""
    spec = declaration(kind)
    if spec is None:
        return True
    return _holds(_resolve(user), spec.view_sensitive)


def may_reveal(kind: str, user: Any = CURRENT) -> bool:
    """Whether ``user`` may reveal masked values of ``kind`` one at a time (holds
    ``<kind>.reveal_sensitive`` or ``view_sensitive``). The record's own view permission and
    the user's data scope are checked by the reveal route."""
    spec = declaration(kind)
    if spec is None:
        return False
    found = _resolve(user)
    return _holds(found, spec.view_sensitive) or _holds(found, spec.reveal_sensitive)


def mask_value(kind: str, field: str, value: Any, user: Any = CURRENT) -> Any:
    """``value`` of field ``field`` as ``user`` may see it."""
    spec = declaration(kind)
    if spec is None or field not in spec.fields or may_see(kind, user):
        return value
    return mask(spec.fields[field], value)


def field_masker(kind: str, field: str, user: Any = CURRENT) -> Callable[[Any], Any] | None:
    """A function masking values of ``field`` for ``user``, or None when ``user`` sees them
    in clear (decided once: for the rows of a list or a file)."""
    spec = declaration(kind)
    if spec is None or field not in spec.fields or may_see(kind, user):
        return None
    return masker(spec.fields[field])


def mask_record(kind: str, data: Mapping[str, Any], user: Any = CURRENT) -> Any:
    """``data`` (an API answer's dict) with its sensitive keys masked for ``user``: the
    same dict when nothing is hidden, else a masked copy."""
    spec = declaration(kind)
    if spec is None or may_see(kind, user):
        return data
    return _masked(spec, data)


def _masked(spec: SensitiveFields, data: Mapping[str, Any], into: Any = None) -> Any:
    """``data`` with its declared fields masked (None, "" and [] stay as they are), written
    into ``into`` (the row itself: in place) or, when None, into a copy made at the first
    value to mask (``data`` itself when there is none)."""
    for name, masked in spec.maskers:
        value = data.get(name)
        if value:
            if into is None:
                into = dict(data)
            into[name] = masked(value)
    return data if into is None else into


def mask_rows(kind: str, rows: Iterable[Mapping[str, Any]], user: Any = CURRENT, *,
              in_place: bool = False) -> list[Any]:
    """``mask_record`` of each row, the permission checked once. ``in_place``: the rows are
    the caller's own dicts (an answer just built), masked as they are instead of copied."""
    rows = list(rows)
    spec = declaration(kind)
    if spec is None or not rows or may_see(kind, user):
        return rows
    return [_masked(spec, row, row if in_place else None) for row in rows]
