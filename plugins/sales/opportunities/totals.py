"""``StageTotal``: count and amount of the OPEN opportunities per stage, owner and department.

Every write of an opportunity takes its *share* before and after the change
(``share(opportunity)``: stage, owner, department and amount while it is open and not
deleted, else None) and calls ``shift(session, before, after)``, inside the same unit of
work; so the kanban's headers and the funnel read a few rows instead of summing millions.
``rebuild`` recomputes the table from the opportunities (``crm sales rebuild-totals``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..models import Opportunity, StageTotal


class Share(NamedTuple):
    """What one open opportunity adds to ``StageTotal``."""

    stage_id: int
    owner_id: int | None
    department_id: int | None
    amount: int


def share(opportunity: Opportunity) -> Share | None:
    """The opportunity's share of the totals (None: closed or deleted)."""
    if opportunity.status != "open" or opportunity.deleted_at is not None:
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


def open_totals(session: Session) -> Any:
    """``SELECT stage, owner, department, count, amount`` of the open opportunities, computed
    from the records (what the table must equal)."""
    return (select(Opportunity.stage_id, Opportunity.owner_id, Opportunity.department_id,
                   func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.amount), 0))
            .where(Opportunity.status == "open", Opportunity.deleted_at.is_(None))
            .group_by(Opportunity.stage_id, Opportunity.owner_id, Opportunity.department_id))


def rebuild(session: Session) -> int:
    """Recompute ``StageTotal`` from the opportunities; returns the number of rows."""
    rows = session.execute(open_totals(session)).all()
    session.execute(delete(StageTotal))
    if rows:
        session.execute(insert(StageTotal), [
            {"stage_id": row[0], "owner_id": row[1], "department_id": row[2],
             "count": row[3], "amount": row[4]} for row in rows])
    session.flush()
    return len(rows)


def stage_totals(session: Session, stage_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{stage id: (count, amount)}`` of every open opportunity, from the table."""
    rows = session.execute(select(StageTotal.stage_id, func.sum(StageTotal.count),
                                  func.sum(StageTotal.amount))
                           .where(StageTotal.stage_id.in_(stage_ids))
                           .group_by(StageTotal.stage_id))
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}
