"""Sales demo data (a part of the sales plugin): ``crm seed --sales N``.

``crm seed --sales N`` (the kernel's seed command gives each plugin with demo data its own
``--<plugin> N`` option) adds N opportunities across the default pipeline's stages for the
existing customers (seed the customers first, or in the same run: ``crm seed --customers
1000 --sales 500``; ``--size 0 --sales 500`` adds sales data alone), an order with lines for
each won one plus N/5 orders without an opportunity, contracts with payment plans, payments
(some instalments overdue) and invoice requests for part of the booked orders, the current
quarter's targets, and products when there are none. Chinese words unless ``--language en``.
The customers' total transaction amounts follow the booked orders (customers'
``add_to_total_amounts``, one statement run for all) and the sales aggregates are rebuilt.

``bulk.fill`` does the writing, also for ``bench/sales_data.py`` at millions of rows.
"""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["demo_data", "follow_customer_totals"]

DEFAULT_SEED = 2026
ORDERS_PER_OPPORTUNITY = 0.2  # standalone orders besides those of won opportunities


def demo_data(size: int, session: Session) -> list[Any]:
    """``crm seed --sales N``: add ``size`` demo opportunities and what follows from them
    (see the module docstring); commits; returns nothing to gather."""
    from crm_core.toolkit import plugin_config

    from .bulk import fill

    if size <= 0:
        return []
    seed = int(plugin_config("sales", "demo_seed", DEFAULT_SEED))
    report = fill(session, opportunities=size, orders=int(size * ORDERS_PER_OPPORTUNITY),
                  seed=seed, add=True, progress=_quiet if size < 20_000 else None)
    if report.first_order_id is not None:
        follow_customer_totals(session, report.first_order_id)
        session.commit()
    print("sales demo data: " + ", ".join(f"{rows:,} {table.removeprefix('sales_')}"
                                          for table, rows in report.tables.items())
          + f" in {report.seconds:.1f} s", file=sys.stderr, flush=True)
    return []


def _quiet(_message: str) -> None:
    return None


def follow_customer_totals(session: Session, first_order_id: int) -> int:
    """Add the booked (confirmed, delivered, completed) orders from ``first_order_id`` on to
    their customers' total transaction amounts, through customers' public bulk
    ``add_to_total_amounts`` (sales sums its own orders; customers' tables stay theirs);
    returns how many customers changed. The caller commits."""
    from plugins.customers.services import add_to_total_amounts

    sums = session.execute(text(
        "SELECT customer_id, sum(total_amount) FROM sales_order WHERE id >= :first AND "
        "status IN ('confirmed', 'delivered', 'completed') AND deleted_at IS NULL "
        "GROUP BY customer_id ORDER BY customer_id"), {"first": first_order_id}).all()
    return add_to_total_amounts(session, {int(customer_id): int(total)
                                          for customer_id, total in sums})
