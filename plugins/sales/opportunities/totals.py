"""``StageTotal``: count and amount of the live (not deleted) opportunities per stage, owner
and department, the won and lost stages included.

Every write of an opportunity takes its *share* before and after the change
(``share(opportunity)``: stage, owner, department and amount while it is not deleted, else
None) and calls ``shift(session, before, after)``, inside the same unit of work; so every
kanban header and the funnel read a few rows instead of summing millions. ``live_totals``
is what the table must equal: ``crm sales rebuild-aggregates`` (``aggregates.rebuild``)
recomputes it from the opportunities with it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ..models import Opportunity, StageTotal


class Share(NamedTuple):
    """What one live opportunity adds to ``StageTotal``."""

    stage_id: int
    owner_id: int | None
    department_id: int | None
    amount: int


def share(opportunity: Opportunity) -> Share | None:
    """The opportunity's share of the totals (None: deleted)."""
    if opportunity.deleted_at is not None:
        return None
    return Share(opportunity.stage_id, opportunity.owner_id, opportunity.department_id,
                 int(opportunity.amount or 0))


def _same(column: Any, value: int | None) -> Any:
    return column.is_(None) if value is None else column == value


def _add(session: Session, key: Share, count: int, amount: int) -> None:
    changed = session.execute(
        update(StageTotal)
        .where(StageTotal.stage_id == key.stage_id, _same(StageTotal.owner_id, key.owner_id),
               _same(StageTotal.department_id, key.department_id))
        .values(count=StageTotal.count + count, amount=StageTotal.amount + amount)
        .execution_options(synchronize_session=False))
    if not changed.rowcount:
        session.execute(insert(StageTotal).values(
            stage_id=key.stage_id, owner_id=key.owner_id, department_id=key.department_id,
            count=count, amount=amount))


def shift(session: Session, before: Share | None, after: Share | None) -> None:
    """Move an opportunity's share from ``before`` to ``after`` (either may be None)."""
    if before == after:
        return
    if before is not None and after is not None and before[:3] == after[:3]:
        _add(session, after, 0, after.amount - before.amount)
        return
    if before is not None:
        _add(session, before, -1, -before.amount)
    if after is not None:
        _add(session, after, 1, after.amount)


def live_totals() -> Any:
    """``SELECT stage, owner, department, count, amount`` of the live opportunities, computed
    from the records (what the table must equal)."""
    return (select(Opportunity.stage_id, Opportunity.owner_id, Opportunity.department_id,
                   func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.amount), 0))
            .where(Opportunity.deleted_at.is_(None))
            .group_by(Opportunity.stage_id, Opportunity.owner_id, Opportunity.department_id))
