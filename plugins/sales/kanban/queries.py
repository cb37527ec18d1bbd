"""What the kanban reads: the column headers (count and amount per stage) and one column's
cards, a keyset page at a time.

- Headers: every column, open, won and lost, from ``StageTotal`` (kept by every write of an
  opportunity) limited to the user's data scope (``scoped_totals``: the owner and department
  columns the records carry): a few rows whatever the number of opportunities.
- Cards: the column's opportunities by amount, largest first, ``CARDS`` at a time after a
  cursor ``amount:id`` (one index range on ``(stage_id, amount, id)``), never ``OFFSET``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from crm_core.toolkit import INT64_MAX, scoped, user_names, utcnow

from ..aggregates.scope import scoped_totals
from ..models import Opportunity, Stage, StageTotal
from ..opportunities.resource import customer_model
from ..opportunities.services import is_stale

CARDS = 20
SCOPE_KIND = "sales.opportunity"


class Header(NamedTuple):
    """A column header's numbers: how many cards and their amount (fen)."""

    count: int
    amount: int


@dataclass(frozen=True)
class Card:
    """One card: the opportunity and the names it shows."""

    opportunity: Opportunity
    customer: str
    owner: str
    stale: bool


def _live(found: Any) -> Any:
    return found.where(Opportunity.deleted_at.is_(None))


def headers(session: Session, stages: list[Stage], user: Any) -> dict[int, Header]:
    """``{stage id: Header}`` of the opportunities ``user`` may see, in one statement."""
    counts = {stage.id: Header(0, 0) for stage in stages}
    if not counts:
        return counts
    found = (select(StageTotal.stage_id, func.sum(StageTotal.count),
                    func.sum(StageTotal.amount))
             .where(StageTotal.stage_id.in_(list(counts)))
             .group_by(StageTotal.stage_id))
    for stage_id, count, amount in session.execute(
            scoped_totals(found, StageTotal, SCOPE_KIND, user)):
        counts[stage_id] = Header(int(count or 0), int(amount or 0))
    return counts


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    """``"amount:id"`` as numbers; None for none or a malformed one."""
    if not cursor or len(cursor) > 40:
        return None
    amount, _sep, record_id = cursor.partition(":")
    try:
        parsed = int(amount), int(record_id)
    except ValueError:
        return None
    if not (-INT64_MAX <= parsed[0] <= INT64_MAX and 0 < parsed[1] <= INT64_MAX):
        return None
    return parsed


def cards(session: Session, stage: Stage, user: Any, cursor: str | None = None,
          stale_only: bool = False, limit: int = CARDS) -> tuple[list[Card], str | None]:
    """A page of the column's cards and the cursor of the next (None: no more)."""
    found = _live(select(Opportunity).where(Opportunity.stage_id == stage.id))
    after = parse_cursor(cursor)
    if after is not None:
        found = found.where(tuple_(Opportunity.amount, Opportunity.id) < after)
    if stale_only:
        if stage.kind != "open" or not stage.rot_days:
            return [], None
        found = found.where(Opportunity.stage_entered_at
                            < utcnow() - dt.timedelta(days=stage.rot_days))
    rows = list(session.scalars(scoped(found, Opportunity, user)
                                .order_by(Opportunity.amount.desc(), Opportunity.id.desc())
                                .limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return present(session, rows, {stage.id: stage.rot_days}), \
        (f"{rows[-1].amount}:{rows[-1].id}" if more and rows else None)


def present(session: Session, rows: list[Opportunity],
            rot_days: dict[int, int | None]) -> list[Card]:
    """Cards of ``rows``: customer and owner names in one statement each."""
    if not rows:
        return []
    customer = customer_model()
    names = dict(session.execute(select(customer.id, customer.name).where(
        customer.id.in_({row.customer_id for row in rows}))).all())
    owners = user_names(session, [row.owner_id for row in rows])
    now = utcnow()
    return [Card(row, names.get(row.customer_id, ""), owners.get(row.owner_id, ""),
                 is_stale(row, rot_days.get(row.stage_id), now)) for row in rows]
