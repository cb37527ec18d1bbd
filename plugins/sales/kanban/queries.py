"""What the kanban reads: the column headers (count and amount per stage) and one column's
cards, a keyset page at a time.

- Headers: for a user who sees every opportunity, open stages are read from ``StageTotal``
  (a few rows whatever the size); otherwise one aggregate over the user's scope, which the
  indexes ``(owner_id, stage_id, amount, id)`` and ``(department_id, stage_id)`` serve.
  Won and lost stages, which grow for ever, are counted from their rows up to
  ``CLOSED_CAP`` (then "10,000+").
- Cards: the column's opportunities by amount, largest first, ``CARDS`` at a time after a
  cursor ``amount:id`` (one index range on ``(stage_id, amount, id)``), never ``OFFSET``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from crm_core.toolkit import INT64_MAX, scoped, user_names, user_scope, utcnow

from ..models import Opportunity, Stage
from ..opportunities import totals
from ..opportunities.resource import customer_model
from ..opportunities.services import is_stale

CARDS = 20
CLOSED_CAP = 10_000
SCOPE_KIND = "sales.opportunity"


class Header(NamedTuple):
    """A column header's numbers; ``amount`` None: more than ``CLOSED_CAP`` cards."""

    count: int
    amount: int | None


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
    """``{stage id: Header}`` of the opportunities ``user`` may see."""
    counts = {stage.id: Header(0, 0) for stage in stages}
    everything = user_scope(user, SCOPE_KIND) == "all"
    open_ids = [stage.id for stage in stages if stage.kind == "open"]
    if everything and open_ids:
        counts.update({stage_id: Header(*numbers) for stage_id, numbers
                       in totals.stage_totals(session, open_ids).items()})
    elif open_ids:
        found = _live(select(Opportunity.stage_id, func.count(Opportunity.id),
                             func.coalesce(func.sum(Opportunity.amount), 0))
                      .where(Opportunity.stage_id.in_(open_ids))
                      .group_by(Opportunity.stage_id))
        for stage_id, count, amount in session.execute(scoped(found, Opportunity, user)):
            counts[stage_id] = Header(int(count), int(amount))
    for stage in stages:
        if stage.kind != "open":
            counts[stage.id] = _closed_header(session, stage, user)
    return counts


def _closed_header(session: Session, stage: Stage, user: Any) -> Header:
    """A won or lost column grows for ever: counted up to ``CLOSED_CAP`` rows (an index
    range that stops there), beyond it "10,000+" without a sum."""
    rows = scoped(_live(select(Opportunity.amount).where(Opportunity.stage_id == stage.id)),
                  Opportunity, user).limit(CLOSED_CAP + 1).subquery()
    count, amount = session.execute(select(func.count(), func.coalesce(
        func.sum(rows.c.amount), 0))).one()
    if count > CLOSED_CAP:
        return Header(CLOSED_CAP, None)
    return Header(int(count), int(amount))


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
