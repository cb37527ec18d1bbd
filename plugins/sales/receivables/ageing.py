"""Receivables ageing: what is still owed on the instalments of the contracts a user may see,
by how long it is past due.

Buckets: not yet due, 0–30, 31–60, 61–90 and over 90 days past due (an instalment due
yesterday is 1 day past due). One grouped statement over the open and partly paid
instalments of collecting contracts (``aggregates.receivables.receivable_clauses``; covering
index ``ix_sales_instalment_owed``), joined to the contracts in the user's scope; the page
groups the rows by customer. The dashboard widget reads the same numbers kept per due date
(``ReceivableTotal``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm_core.toolkit import model_for_table, scoped
from plugins.customers.services import CUSTOMER_TABLE

from ..aggregates.receivables import receivable_clauses
from ..models import Contract, Instalment

BUCKETS = ("current", "d30", "d60", "d90", "over90")
BUCKET_LABELS = {"current": _l("Not yet due"), "d30": _l("0–30 days"),
                 "d60": _l("31–60 days"), "d90": _l("61–90 days"),
                 "over90": _l("Over 90 days")}
ROW_LIMIT = 500


@dataclass
class AgeingRow:
    """One contract's outstanding amounts (fen) by bucket."""

    contract_id: int
    number: str
    customer_id: int
    customer_name: str
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))

    @property
    def total(self) -> int:
        """Everything outstanding on the contract's plan."""
        return sum(self.buckets.values())

    @property
    def overdue(self) -> int:
        """What is past due."""
        return self.total - self.buckets["current"]


@dataclass
class Ageing:
    """The page's numbers: rows by customer then contract, and the totals per bucket."""

    rows: list[AgeingRow]
    totals: dict[str, int]
    truncated: bool = False

    @property
    def total(self) -> int:
        """Everything outstanding."""
        return sum(self.totals.values())


def bucket_expression(today: dt.date, due_date: Any = Instalment.due_date) -> Any:
    """The SQL bucket name of a due date (an instalment's by default), seen on ``today``."""
    day = dt.timedelta(days=1)
    return case((due_date >= today, "current"), (due_date >= today - 30 * day, "d30"),
                (due_date >= today - 60 * day, "d60"), (due_date >= today - 90 * day, "d90"),
                else_="over90")


def ageing(session: Session, user: Any, today: dt.date | None = None,
           customer_id: int | None = None) -> Ageing:
    """The outstanding amounts of the contracts ``user`` may see, by contract and bucket
    (at most ``ROW_LIMIT`` contracts, the largest debts first)."""
    today = today or dt.date.today()
    bucket = bucket_expression(today).label("bucket")
    owed = func.sum(Instalment.amount - Instalment.received_amount).label("owed")
    query = (select(Contract.id, Contract.number, Contract.customer_id, bucket, owed)
             .join(Contract, Contract.id == Instalment.contract_id)
             .where(*receivable_clauses())
             .group_by(Contract.id, Contract.number, Contract.customer_id, bucket))
    if customer_id is not None:
        query = query.where(Contract.customer_id == customer_id)
    rows: dict[int, AgeingRow] = {}
    totals = dict.fromkeys(BUCKETS, 0)
    for contract_id, number, owner_customer, name, amount in session.execute(
            scoped(query, Contract, user)):
        row = rows.setdefault(contract_id, AgeingRow(contract_id, number, owner_customer, ""))
        row.buckets[name] += int(amount or 0)
        totals[name] += int(amount or 0)
    ordered = sorted(rows.values(), key=lambda row: (-row.overdue, -row.total, row.number))
    truncated = len(ordered) > ROW_LIMIT
    ordered = ordered[:ROW_LIMIT]
    names = _customer_names(session, {row.customer_id for row in ordered})
    for row in ordered:
        row.customer_name = names.get(row.customer_id, f"#{row.customer_id}")
    ordered.sort(key=lambda row: (row.customer_name, row.number))
    return Ageing(ordered, totals, truncated)


def _customer_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    # customers' model by its public table name: sales never imports customers' models
    customer = model_for_table(CUSTOMER_TABLE)
    return dict(session.execute(select(customer.id, customer.name)
                                .where(customer.id.in_(sorted(ids)))).all())


def chart_data(result: Ageing) -> dict[str, Any]:
    """The bar chart of the buckets (yuan), as the kernel's dashboard script draws it."""
    return {"labels": [str(BUCKET_LABELS[name]) for name in BUCKETS],
            "values": [round(result.totals[name] / 100, 2) for name in BUCKETS]}
