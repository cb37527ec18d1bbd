"""Compute every customer's RFM scores, segment and churn risk in SQL, set-wise: one
``INSERT … SELECT`` over the purchases (``purchases.py``) after emptying the table. Runs the
same on SQLite (≥ 3.25, window functions) and PostgreSQL.

- Per customer: purchases ``n``, money ``amount`` (fen), first and last purchase.
- *Recency*: days since the last purchase (the company's calendar days, in
  ``CRM_DEFAULT_TIMEZONE``); *frequency*: ``n``; *monetary*: ``amount``.
  Each is scored 1–5 by quintile of rank: ``1 + 5 × (rank − 1) ÷ customers``
  (integer division; ``RANK`` gives equal values the same score, so a tie never splits
  between two scores). Fewer days since the last purchase score higher.
- The segment: each score high at 3 or more (segments.py).
- The rhythm: the mean gap between the customer's purchases, ``(last − first) ÷ (n − 1)``
  days, rounded, at least 1; a customer who bought on one day only (once, or several
  times that day) gets the mean of the others' rhythms (``DEFAULT_RHYTHM_DAYS`` when
  nobody bought on two days). The risk: days since the last
  purchase ÷ rhythm (in hundredths), and its level (segments.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from crm_core.toolkit import sql, utcnow

from ..query import business_zone
from .models import CustomerValue, CustomerValueCount
from .purchases import Purchases, all_purchases, purchase_rows
from .segments import (
    DEFAULT_RHYTHM_DAYS,
    HIGH_FROM,
    HIGH_SCORE,
    MEDIUM_FROM,
    SEGMENTS,
)


class day_number(FunctionElement[int]):  # noqa: N801 - SQL function style
    """``day_number(label)``: the days from 1970-01-01 to the day ``"YYYY-MM-DD"``."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(day_number)
def _day_number(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - DATE '1970-01-01')"


class whole(FunctionElement[int]):  # noqa: N801 - SQL function style
    """``whole(x)``: a non-negative number cut to its integer part (SQLite's CAST cuts,
    PostgreSQL's rounds: TRUNC first)."""

    type = Integer()
    inherit_cache = True


@compiles(whole, "sqlite")
def _whole_sqlite(element: whole, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@compiles(whole)
def _whole(element: whole, compiler: Any, **kw: Any) -> str:
    return f"CAST(TRUNC({compiler.process(element.clauses, **kw)}) AS INTEGER)"


def _at_least(value: Any, floor: int) -> Any:
    return case((value < floor, floor), else_=value)


def _per_customer(rows: Any) -> Any:
    """Per customer: purchases, money and the day numbers of the first and last purchase
    (the company's days: the label of a time is monotonic, so only the extremes need it)."""
    zone = business_zone()
    totals = select(rows.c.customer_id, func.count().label("n"),
                    func.sum(rows.c.amount).label("amount"),
                    func.min(rows.c.at).label("first_at"), func.max(rows.c.at).label("last_at")) \
        .where(rows.c.customer_id.is_not(None)).group_by(rows.c.customer_id).subquery("t")
    return select(totals.c.customer_id, totals.c.n, totals.c.amount,
                  day_number(sql.day(totals.c.first_at, zone)).label("first"),
                  day_number(sql.day(totals.c.last_at, zone)).label("last"))


def default_rhythm(session: Session, per: Any) -> int:
    """The mean rhythm in days of the customers who bought on two days at least."""
    gap = cast(per.c.last - per.c.first, Float()) / (per.c.n - 1)
    mean = session.scalar(select(func.avg(gap)).where(per.c.last > per.c.first))
    return max(1, round(mean)) if mean is not None else DEFAULT_RHYTHM_DAYS


def _scored(per: Any, today: int, fallback: int) -> Any:
    days = _at_least(literal(today, Integer()) - per.c.last, 0)
    gap = cast(per.c.last - per.c.first, Float()) / (per.c.n - 1)
    own = per.c.last > per.c.first  # bought on two days at least
    rhythm = _at_least(case((own, whole(gap + 0.5)), else_=fallback), 1)
    base = select(per.c.customer_id, per.c.n, per.c.amount, days.label("days_since"),
                  rhythm.label("rhythm_days"), own.label("own_rhythm")).subquery("b")
    everyone = func.count().over()

    def score(order: Any) -> Any:
        return 1 + (5 * (func.rank().over(order_by=order) - 1)) // everyone

    return select(base, score(base.c.days_since.desc()).label("r"),
                  score(base.c.n).label("f"), score(base.c.amount).label("m"),
                  ((base.c.days_since * 100) // base.c.rhythm_days).label("risk")) \
        .subquery("s")


def _final(scored: Any, now: dt.datetime) -> Any:
    high = {name: getattr(scored.c, name) >= HIGH_SCORE for name in ("r", "f", "m")}
    segment = case(*((and_(*(high[name] if flag else ~high[name]
                             for name, flag in zip("rfm", flags, strict=True))), code)
                     for code, *flags, _label in SEGMENTS))
    churn = case((scored.c.risk >= HIGH_FROM, "high"), (scored.c.risk >= MEDIUM_FROM, "medium"),
                 else_="low")
    return select(scored.c.customer_id, scored.c.r, scored.c.f, scored.c.m, segment,
                  scored.c.n, scored.c.amount, scored.c.days_since, scored.c.rhythm_days,
                  scored.c.risk, churn, scored.c.own_rhythm,
                  literal(now, CustomerValue.computed_at.type))


COLUMNS = ("customer_id", "r", "f", "m", "segment", "purchases", "amount", "days_since",
           "rhythm_days", "risk", "churn", "own_rhythm", "computed_at")


def compute(session: Session, now: dt.datetime | None = None) -> int:
    """Recompute the whole table as of ``now`` (default: this moment); the caller commits.
    Returns how many customers have a value (those with at least one purchase)."""
    now = now or utcnow()
    today = dt.date.fromisoformat(sql.label_of("day", now, business_zone()))
    table = CustomerValue.__table__
    session.execute(delete(table))
    session.execute(delete(CustomerValueCount.__table__))
    found = all_purchases()
    if not found:
        return 0
    per = _per_customer(purchase_rows(found)).subquery("per")
    # the window sorts run over one row per customer: set-wise, no Python loop
    scored = _scored(per, (today - dt.date(1970, 1, 1)).days, default_rhythm(session, per))
    session.execute(insert(table).from_select(list(COLUMNS), _final(scored, now)))
    _keep_counts(session, found[0])
    return session.scalar(select(func.count()).select_from(table)) or 0


def _keep_counts(session: Session, purchases: Purchases) -> None:
    """Write the customers per segment and per churn level of each owner and department
    (``CustomerValueCount``), read by the overview page within the reader's scope."""
    customer = purchases.customer
    spec = customer.__data_scope__
    owner = getattr(customer, spec.owner)
    department = getattr(customer, spec.department) if spec.department else literal(None)
    for kind, column in (("segment", CustomerValue.segment), ("churn", CustomerValue.churn)):
        counted = select(literal(kind), column, owner, department, func.count()) \
            .select_from(CustomerValue) \
            .join(customer, customer.id == CustomerValue.customer_id) \
            .group_by(column, owner, department)
        session.execute(insert(CustomerValueCount.__table__).from_select(
            ["kind", "code", "owner_id", "department_id", "customers"], counted))


def last_computed(session: Session) -> dt.datetime | None:
    """When the values were last computed (None: never, or nobody has bought yet)."""
    return session.scalar(select(func.max(CustomerValue.computed_at)))
