"""Writing sales demo data in bulk: ``fill`` adds opportunities (with stage history, and an
order and often a contract for each won one), then standalone orders, then targets for the
current quarter; rebuilds the aggregates and analyses the tables.

Rows go in through the driver, ``executemany`` on SQLite and ``COPY`` on PostgreSQL, one
transaction per batch (a batch's opportunities, orders, contracts, payments together, so a
stopped build leaves whole batches). Ids are taken up front (``_allocate``). Document numbers
follow the settings' patterns and the kernel's number series (``core_number_series`` is
advanced in the same transaction, so numbers handed out later never clash). ``fill`` is
resumable: with ``add=False`` the sizes are totals and what exists counts.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from crm_core.toolkit import next_number

from .context import load_context, targets
from .generator import (
    BOOKED,
    CONTRACT_COLUMNS,
    HISTORY_COLUMNS,
    INSTALMENT_COLUMNS,
    INVOICE_COLUMNS,
    LINE_COLUMNS,
    OPPORTUNITY_COLUMNS,
    ORDER_COLUMNS,
    PAYMENT_COLUMNS,
    Context,
    OrderPlan,
    contract,
    opportunity,
    order,
    pick_customer,
    rng,
)

BATCH = 20_000
CONTRACT_SHARE_WON = 0.6  # of booked orders from won opportunities
CONTRACT_SHARE_OTHER = 0.3  # of other booked orders
TABLES = ("sales_opportunity", "sales_stage_history", "sales_order", "sales_order_line",
          "sales_contract", "sales_instalment", "sales_payment", "sales_invoice_request")


@dataclass
class FillReport:
    """Rows added per table, and the seconds spent."""

    tables: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    seconds: float = 0.0
    first_order_id: int | None = None


# ---------------------------------------------------------------------------- writing


def _allocate(session: Session, table: str, count: int) -> list[int]:
    """``count`` new ids of ``table`` (its sequence on PostgreSQL, after the max on SQLite)."""
    connection = session.connection()
    if count <= 0:
        return []
    if connection.dialect.name == "postgresql":
        return list(connection.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
            f"FROM generate_series(1, {int(count)})").scalars())
    start = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()
    return list(range(start + 1, start + 1 + count))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # as SQLAlchemy stores it: naive UTC, microseconds
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def write(session: Session, table: str, columns: Sequence[str],
          rows: list[tuple[Any, ...]]) -> None:
    """Insert plain tuples through the driver: ``COPY`` on PostgreSQL, ``executemany`` on
    SQLite (dates, datetimes and booleans converted as SQLAlchemy stores them)."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    converted = [tuple(_sqlite_value(value) for value in row) for row in rows]
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", converted)


# ---------------------------------------------------------------------------- numbers

class Numbers:
    """Document numbers of one kernel series, taken with ``toolkit.next_number`` for each
    document's own date (in the caller's transaction, like any document's number)."""

    def __init__(self, session: Session, key: str, pattern: str) -> None:
        self.session, self.key, self.pattern = session, key, pattern

    def next(self, day: dt.date) -> str:
        """The next number for a document dated ``day``."""
        return next_number(self.session, self.key, self.pattern, when=day)

    def save(self) -> None:
        """Nothing to store: each number was counted when it was taken."""


def _pattern(kind: str, default: str) -> str:
    try:
        from ..settings.values import number_pattern
    except ImportError:
        return default
    try:
        return number_pattern(kind)
    except RuntimeError:  # outside an app
        return default


# ---------------------------------------------------------------------------- batches


class _Batch:
    """The rows of one transaction."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        self.contract_orders: list[tuple[OrderPlan, float]] = []

    def add_order(self, plan: OrderPlan, contract_share: float) -> None:
        self.rows["sales_order"].append(plan.row)
        self.rows["sales_order_line"].extend(plan.lines)
        if plan.status in BOOKED:
            self.contract_orders.append((plan, contract_share))


class _Filler:
    def __init__(self, session: Session, context: Context, seed: int, lines: float,
                 report: FillReport) -> None:
        self.session, self.context, self.seed, self.lines = session, context, seed, lines
        self.report = report
        self.orders = Numbers(session, "sales.order",
                              _pattern("order", "SO{yyyy}{mm}-{seq:04}"))
        self.contracts = Numbers(session, "sales.contract",
                                 _pattern("contract", "HT{yyyy}-{seq:04}"))

    def _names(self, customer_ids: set[int]) -> dict[int, tuple[str, str]]:
        found: dict[int, tuple[str, str]] = {}
        ids = sorted(customer_ids)
        for first in range(0, len(ids), 500):
            chunk = ids[first:first + 500]
            marks = ", ".join(str(int(number)) for number in chunk)
            for customer_id, name, uscc in self.session.execute(text(
                    f"SELECT id, name, uscc FROM customers_customer WHERE id IN ({marks})")):
                found[customer_id] = (name, uscc or "")
        return found

    def _contracts(self, batch: _Batch, first: int) -> None:
        random_ = rng(self.seed, "contracts", first)
        chosen = [plan for plan, share in batch.contract_orders if random_.random() < share]
        ids = _allocate(self.session, "sales_contract", len(chosen))
        instalment_ids = iter(_allocate(self.session, "sales_instalment", 4 * len(chosen)))
        names = self._names({plan.customer_id for plan in chosen})
        for plan, contract_id in zip(chosen, ids, strict=True):
            made = contract(self.context, random_, plan, contract_id,
                            self.contracts.next(plan.day), next(instalment_ids),
                            names.get(plan.customer_id, ("", "")))
            for _spare in range(3):
                next(instalment_ids)
            batch.rows["sales_contract"].append(made.row)
            batch.rows["sales_instalment"].extend(made.instalments)
            batch.rows["sales_payment"].extend(made.payments)
            batch.rows["sales_invoice_request"].extend(made.invoices)

    def _save(self, batch: _Batch, first: int) -> None:
        self._contracts(batch, first)
        columns = dict(zip(TABLES, (OPPORTUNITY_COLUMNS, HISTORY_COLUMNS, ORDER_COLUMNS,
                                    LINE_COLUMNS, CONTRACT_COLUMNS, INSTALMENT_COLUMNS,
                                    PAYMENT_COLUMNS, INVOICE_COLUMNS), strict=True))
        for table in TABLES:
            write(self.session, table, columns[table], batch.rows[table])
            self.report.tables[table] += len(batch.rows[table])
        self.orders.save()
        self.contracts.save()
        self.session.commit()

    def _order_ids(self, count: int) -> list[int]:
        ids = _allocate(self.session, "sales_order", count)
        if ids and self.report.first_order_id is None:
            self.report.first_order_id = ids[0]
        return ids

    def opportunities(self, first: int, count: int) -> None:
        """Opportunities ``first`` … ``first + count - 1`` (by index), one transaction."""
        random_ = rng(self.seed, "opportunities", first)
        batch = _Batch()
        ids = _allocate(self.session, "sales_opportunity", count)
        won = []
        for opportunity_id in ids:
            row, history = opportunity(self.context, random_, opportunity_id)
            batch.rows["sales_opportunity"].append(row)
            batch.rows["sales_stage_history"].extend(history)
            if row[6] == "won":
                won.append(row)
        for row, order_id in zip(won, self._order_ids(len(won)), strict=True):
            day = row[18].date()  # closed_at
            batch.add_order(order(self.context, random_, order_id, self.orders.next(day), day,
                                  customer_id=row[2], opportunity_id=row[0],
                                  owner=(row[15], row[16]), lines=self.lines),
                            CONTRACT_SHARE_WON)
        self._save(batch, first)

    def standalone_orders(self, first: int, count: int) -> None:
        """``count`` orders without an opportunity over the last year, one transaction."""
        random_ = rng(self.seed, "orders", first)
        batch = _Batch()
        today = self.context.now.date()
        for order_id in self._order_ids(count):
            customer_id, owner = pick_customer(self.context, random_)
            day = today - dt.timedelta(days=random_.randint(0, 364))
            batch.add_order(order(self.context, random_, order_id, self.orders.next(day), day,
                                  customer_id=customer_id, opportunity_id=None, owner=owner,
                                  lines=self.lines), CONTRACT_SHARE_OTHER)
        self._save(batch, first)


def _count(session: Session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0


def fill(session: Session, *, opportunities: int, orders: int, lines_per_order: float = 5.0,
         seed: int = 2026, add: bool = True, batch: int = BATCH,
         progress: Callable[[str], None] | None = None) -> FillReport:
    """Add sales demo data for the existing customers; commits every batch.

    ``add=True`` adds ``opportunities`` opportunities and ``orders`` standalone orders
    (besides the orders of the won opportunities). ``add=False`` makes them totals: what
    exists counts and only the rest is added (a resumed build). Needs customers and the
    default pipeline; adds the demo product catalogue when there is no active product.
    Ends with the targets of the current quarter, the aggregates rebuilt (when
    ``sales.aggregates`` offers ``rebuild``) and the tables analysed.
    """
    report = FillReport()
    began = time.perf_counter()
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    context = load_context(session)
    if context is None:
        say("sales demo data: no customers or no default pipeline, nothing added")
        return report
    filler = _Filler(session, context, seed, lines_per_order, report)
    have = _count(session, "sales_opportunity")
    start, end = (have, have + opportunities) if add else (have, max(opportunities, have))
    _run(filler.opportunities, start, end, batch, "opportunities", report, began, say)
    have = _count(session, "sales_order")
    start, end = (have, have + orders) if add else (have, max(orders, have))
    _run(filler.standalone_orders, start, end, batch, "orders", report, began, say)
    targets(session, context)
    session.commit()
    rebuild_aggregates(session)
    from crm_core.toolkit import analyze

    analyze([*TABLES, "sales_target"], session=session)
    session.commit()
    report.seconds = time.perf_counter() - began
    return report


def _run(step: Callable[[int, int], None], start: int, end: int, batch: int, what: str,
         report: FillReport, began: float, say: Callable[[str], None]) -> None:
    for first in range(start, end, batch):
        step_began = time.perf_counter()
        before = sum(report.tables.values())
        step(first, min(batch, end - first))
        rows = sum(report.tables.values()) - before
        seconds = time.perf_counter() - step_began
        say(f"sales demo data: {what} {min(first + batch, end):,}/{end:,}, {rows:,} rows in "
            f"{seconds:.1f} s ({rows / max(seconds, 1e-6):,.0f} rows/s), "
            f"{time.perf_counter() - began:.0f} s in all")


def rebuild_aggregates(session: Session) -> bool:
    """Rebuild the maintained aggregates through ``sales.aggregates.rebuild.rebuild(session)``
    when that part is there; commits. Returns whether it ran."""
    import importlib
    import importlib.util

    package = __package__.rpartition(".")[0]
    for name in (f"{package}.aggregates.rebuild", f"{package}.aggregates"):
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        rebuild = getattr(importlib.import_module(name), "rebuild", None) if found else None
        if callable(rebuild):
            rebuild(session)
            session.commit()
            return True
    return False
