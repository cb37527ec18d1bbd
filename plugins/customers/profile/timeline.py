"""Another plugin's entries for the customer timeline (``crm_customer_timeline``), gathered
the same way by every plugin: each kind of entry the viewer holds the permission for, newest
first, at most ``limit`` in all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: ``kind(customer_id, user, before, limit) -> [entry, ...]``, each a timeline dict.
TimelineKind = Callable[[int, Any, Any, int], list[dict]]


def timeline_entries(kinds: Iterable[tuple[str, TimelineKind]], customer_id: int, user: Any,
                     before: Any, limit: Any) -> list[dict]:
    """The entries of ``kinds`` (``(permission, kind)`` pairs) the signed-in ``user`` may see
    about the customer, newest first, older than ``before``, at most ``limit`` (1-100,
    default 20): what a plugin's ``crm_customer_timeline`` returns."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    limit = max(1, min(int(limit or 20), 100))
    entries: list[dict] = []
    for permission, kind in kinds:
        if user.has_permission(permission):
            entries.extend(kind(customer_id, user, before, limit))
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries[:limit]
