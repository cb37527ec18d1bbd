"""Segments: saved list filters, private to their owner or shared with everyone.

A segment stores the ``filters`` argument of ``services.list_customers`` as JSON: dates as ISO
strings (``"2026-11-27"``) and amounts as decimal strings (``"12.34"``), so the stored value is
exact and readable on SQLite and PostgreSQL alike. ``segment_filters(segment)`` turns it back
into the dict ``list_customers`` takes (dates as ``datetime.date``). Only known filter keys
are accepted. A segment only names criteria: whoever applies it still sees only the customers
of their own data scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm_core.toolkit import INT32_MAX, DomainError

from ..models import Segment
from ..records.queries import (
    AMOUNT_FILTERS,
    DATE_FILTERS,
    FILTER_KEYS,
    ID_FILTERS,
    TEXT_FILTERS,
    check_filter,
)
from ..validation import FieldError

__all__ = [
    "FILTER_KEYS",
    "SegmentNotFound",
    "delete_segment",
    "filters_from_json",
    "filters_to_json",
    "get_segment",
    "list_segments",
    "save_segment",
    "segment_filters",
    "update_segment",
]

# The filter keys and their checks are the list's own (customer_queries): a segment stores
# only filters the list accepts, so it can never fail for the people it is shared with.
INT_KEYS = ID_FILTERS
TEXT_KEYS = tuple(TEXT_FILTERS)
AMOUNT_KEYS = AMOUNT_FILTERS
DATE_KEYS = DATE_FILTERS
NAME_MAX = 100


class SegmentNotFound(DomainError):
    """No such segment, or one the user may not see (views answer 404)."""

    status = 404


def _user_id(user: Any) -> int:
    return user if isinstance(user, int) else user.id


def _filter_value(key: str, value: Any) -> Any:
    """``value`` checked for ``key``, in its JSON form (None: the filter is not set)."""
    checked = check_filter(key, value)
    if isinstance(checked, dt.date):
        return checked.isoformat()
    if isinstance(checked, Decimal):
        return str(checked)
    return checked


def filters_to_json(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The list filters as stored in a segment: known keys only, empty ones dropped, dates as
    ISO strings and amounts as decimal strings. Raises DomainError for an unknown key and
    FieldError for a bad value."""
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise DomainError(_("Unknown filter: %(name)s.", name=", ".join(unknown)))
    stored = {key: _filter_value(key, value) for key, value in filters.items()}
    return {key: stored[key] for key in FILTER_KEYS if stored.get(key) is not None}


def filters_from_json(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The ``filters`` argument of ``services.list_customers`` from a stored dict (dates back
    to ``datetime.date``); the inverse of ``filters_to_json``."""
    clean = filters_to_json(stored)
    return {key: dt.date.fromisoformat(value) if key in DATE_KEYS else value
            for key, value in clean.items()}


def segment_filters(segment: Segment) -> dict[str, Any]:
    """The segment's filters as ``services.list_customers`` takes them.

    A segment stored before its values were checked may hold one the list refuses: that
    raises ``FieldError`` naming the filter (a DomainError, 422), never widening the
    segment by leaving the filter out."""
    return filters_from_json(segment.filters or {})


def list_segments(session: Session, *, user: Any) -> list[Segment]:
    """The user's own segments and those others shared, by name."""
    query = (select(Segment)
             .where(or_(Segment.owner_id == _user_id(user), Segment.shared.is_(True)))
             .order_by(Segment.name, Segment.id))
    return list(session.scalars(query))


def get_segment(session: Session, segment_id: int, *, user: Any) -> Segment:
    """The segment if it is the user's own or shared; SegmentNotFound (404) otherwise."""
    segment = session.get(Segment, segment_id) \
        if isinstance(segment_id, int) and 0 < segment_id <= INT32_MAX else None
    if segment is None or not (segment.shared or segment.owner_id == _user_id(user)):
        raise SegmentNotFound(_("There is no such segment, or you may not see it."))
    return segment


def _own(session: Session, segment_id: int, user: Any) -> Segment:
    segment = get_segment(session, segment_id, user=user)
    if segment.owner_id != _user_id(user):
        raise SegmentNotFound(_("Only the owner of a segment may change or delete it."))
    return segment


def _clean_name(session: Session, name: str, owner_id: int, segment_id: int | None) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise FieldError("name", _("A segment needs a name of at most %(max)d characters.",
                                   max=NAME_MAX))
    query = select(Segment.id).where(Segment.owner_id == owner_id, Segment.name == name)
    if segment_id is not None:
        query = query.where(Segment.id != segment_id)
    if session.scalar(query) is not None:
        raise FieldError("name", _("You already have a segment named %(name)s.", name=name))
    return name


def save_segment(session: Session, *, user: Any, name: str, filters: Mapping[str, Any],
                 shared: bool = False) -> Segment:
    """Save ``filters`` (as ``list_customers`` takes them) as a new segment of ``user``."""
    owner_id = _user_id(user)
    segment = Segment(name=_clean_name(session, name, owner_id, None), owner_id=owner_id,
                      shared=bool(shared), filters=filters_to_json(filters))
    session.add(segment)
    session.flush()
    return segment


def update_segment(session: Session, segment_id: int, *, user: Any, name: str | None = None,
                   filters: Mapping[str, Any] | None = None, shared: bool | None = None
                   ) -> Segment:
    """Rename, refilter or (un)share one of the user's own segments."""
    segment = _own(session, segment_id, user)
    if name is not None:
        segment.name = _clean_name(session, name, segment.owner_id, segment.id)
    if filters is not None:
        segment.filters = filters_to_json(filters)
    if shared is not None:
        segment.shared = bool(shared)
    session.flush()
    return segment


def delete_segment(session: Session, segment_id: int, *, user: Any) -> None:
    """Delete one of the user's own segments (the customers it names are untouched)."""
    session.delete(_own(session, segment_id, user))
    session.flush()
