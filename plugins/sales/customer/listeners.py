"""The customer's side of sales' events (a part: ``on_<event>`` listeners).

- The customers plugin's maintained "total transaction amount" follows confirmed orders:
  confirming adds the order's total, cancelling a confirmed order takes it back, through
  customers' public ``services.adjust_total_amount`` (major units: fen are turned into yuan
  exactly with ``Decimal.scaleb``, never a float).
- A customer merge moves the merged customers' opportunities, quotes, orders, contracts,
  payments and invoice requests to the customer they were merged into (ORM writes, so the
  operation log records each move).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import get_session
from plugins.customers import services as customers

from ..display import yuan_of
from ..models import Contract, InvoiceRequest, Opportunity, Order, Payment, Quote

#: The sales records that name a customer, moved by a merge.
CUSTOMER_RECORDS = (Opportunity, Quote, Order, Contract, Payment, InvoiceRequest)


def on_order_confirmed(order_id: int, customer_id: int, total_amount: int) -> None:
    """Add the confirmed order's total to the customer's total transaction amount."""
    if total_amount:
        customers.adjust_total_amount(get_session(), customer_id, yuan_of(total_amount))


def on_order_cancelled(order_id: int, customer_id: int, total_amount: int,
                       was_confirmed: bool) -> None:
    """Take a cancelled order's total back, when it had been confirmed (and so counted)."""
    if was_confirmed and total_amount:
        customers.adjust_total_amount(get_session(), customer_id, yuan_of(-total_amount))


def move_customer_records(session: Session, target_id: int, merged_ids: list[int]) -> int:
    """Point every sales record of ``merged_ids`` at ``target_id``; returns how many moved."""
    merged = [int(customer_id) for customer_id in merged_ids if customer_id != target_id]
    if not merged:
        return 0
    moved = 0
    for model in CUSTOMER_RECORDS:
        for record in session.scalars(select(model).where(model.customer_id.in_(merged))):
            record.customer_id = target_id
            moved += 1
    session.flush()
    return moved


def on_customer_merged(target_id: int, merged_ids: list[int]) -> None:
    """Move the merged customers' sales records to the customer they became."""
    move_customer_records(get_session(), target_id, merged_ids)
