"""The sales plugin's public services: what other plugins may call (``__all__``).

Services take a session and plain arguments, flush (the caller commits) and raise
``DomainError`` with a message the user understands. Reads for a user go through the data
scope. Amounts are integer fen; ``money`` converts. No module of this plugin imports this
one: it is the door for others (the ERP bridge syncs orders, products and invoice requests
through it; marketing reads won business through the sales events in ``hookspecs.py``).
"""

from __future__ import annotations

from .catalog.pricing import unit_price_for
from .catalog.products import sync_product
from .invoicing.services import (
    InvoiceRequestNotFound,
    mark_issued,
    mark_synced,
    pending_invoice_requests,
)
from .marketing_link import campaign_opportunity_totals, opportunity_campaigns, order_campaigns
from .money import line_amounts, to_fen, yuan
from .opportunities.services import change_stage, create_opportunity
from .orders.services import (
    cancel_order,
    confirm_order,
    confirmed_orders,
    create_order,
    get_order,
    order_lines,
)
from .receivables.payments import record_erp_payment

__all__ = [
    "CONTRACT_TABLE",
    "InvoiceRequestNotFound",
    "OPPORTUNITY_TABLE",
    "ORDER_TABLE",
    "PRODUCT_TABLE",
    "campaign_opportunity_totals",
    "cancel_order",
    "change_stage",
    "confirm_order",
    "confirmed_orders",
    "create_opportunity",
    "create_order",
    "get_order",
    "line_amounts",
    "mark_issued",
    "mark_synced",
    "opportunity_campaigns",
    "order_campaigns",
    "order_lines",
    "pending_invoice_requests",
    "record_erp_payment",
    "sync_product",
    "to_fen",
    "unit_price_for",
    "yuan",
]

# Tables other plugins may point a foreign key at; the names never change without a major
# version.
OPPORTUNITY_TABLE = "sales_opportunity"
"""Opportunities (``ForeignKey("sales_opportunity.id", ondelete="SET NULL")``)."""
ORDER_TABLE = "sales_order"
"""Sales orders."""
CONTRACT_TABLE = "sales_contract"
"""Contracts."""
PRODUCT_TABLE = "sales_product"
"""Products."""
