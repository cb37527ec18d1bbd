"""``ForecastTotal`` kept as opportunities change: the open deals per expected close
month, owner, department and forecast category (count, amount, Σ amount × probability).

No sales event says that an amount, a probability, a close date, a category or an owner
changed, and every path (form, API, kanban, bulk actions, import, merge) changes them, so
the table is kept by one ORM hook instead: before each flush, every new, changed or deleted
opportunity takes its old share out and puts its new share in, in the same transaction.
Writes that bypass the ORM (the demo's bulk load) end with ``rebuild``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from crm_core.toolkit import bump_total

from ..models import ForecastTotal, Opportunity

FIELDS = ("status", "deleted_at", "expected_close_date", "owner_id", "department_id",
          "forecast_category", "amount", "probability")
Share = tuple[tuple[Any, ...], tuple[int, int, int]]


def share(values: dict[str, Any]) -> Share | None:
    """What one opportunity with ``values`` adds: its key (first day of the close month,
    owner, department, category) and (1, amount, amount × probability); None when it is
    not an open, dated deal."""
    close = values.get("expected_close_date")
    if values.get("status") != "open" or values.get("deleted_at") is not None \
            or not isinstance(close, dt.date):
        return None
    amount, probability = int(values.get("amount") or 0), int(values.get("probability") or 0)
    key = (close.replace(day=1), values.get("owner_id"), values.get("department_id"),
           values.get("forecast_category") or "pipeline")
    return key, (1, amount, amount * probability)


def _before(opportunity: Opportunity) -> dict[str, Any]:
    state = inspect(opportunity)
    values = {}
    for name in FIELDS:
        history = state.attrs[name].history
        if history.has_changes():  # an old None leaves ``deleted`` empty
            values[name] = history.deleted[0] if history.deleted else None
        else:
            values[name] = getattr(opportunity, name)
    return values


def _after(opportunity: Opportunity) -> dict[str, Any]:
    return {name: getattr(opportunity, name) for name in FIELDS}


def _track(session: Session, _context: Any, _instances: Any) -> None:
    changes: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(found: Share | None, sign: int) -> None:
        if found is not None:
            key, numbers = found
            for index, number in enumerate(numbers):
                changes[key][index] += sign * number

    for item in session.new:
        if isinstance(item, Opportunity):
            add(share(_after(item)), 1)
    for item in session.dirty:
        if isinstance(item, Opportunity) and session.is_modified(item):
            add(share(_before(item)), -1)
            add(share(_after(item)), 1)
    for item in session.deleted:
        if isinstance(item, Opportunity):
            add(share(_before(item)), -1)
    table = ForecastTotal.__table__
    for (month, owner, department, category), (count, amount, weighted) in changes.items():
        bump_total(session, table, {"month": month, "owner_id": owner,
                                    "department_id": department, "category": category},
                   {"count": count, "amount": amount, "weighted": weighted})


def install() -> None:
    """Keep ``ForecastTotal`` on every session's flush (once per process)."""
    if not event.contains(Session, "before_flush", _track):
        event.listen(Session, "before_flush", _track)


install()  # a part: imported when the app gathers its offers, never at plugin discovery
