"""The sales plugin's tables, one module per area; every table name starts with ``sales_``.

Money is integer fen in ``BigInteger`` columns, quantities thousandths of a unit, tax rates
and discounts basis points of a percent (``sales.money`` converts and computes).
"""

from __future__ import annotations

from .catalog import VAT_RATES, PriceList, PriceListItem, Product
from .contract import (
    CONTRACT_STATUSES,
    INVOICE_STATUSES,
    INVOICE_TYPES,
    PAYMENT_METHODS,
    Contract,
    Instalment,
    InvoiceRequest,
    Payment,
)
from .documents import ORDER_STATUSES, QUOTE_STATUSES, Order, OrderLine, Quote, QuoteLine
from .opportunity import (
    FORECAST_CATEGORIES,
    OPPORTUNITY_TYPES,
    Opportunity,
    StageHistory,
)
from .pipeline import STAGE_KINDS, Pipeline, Stage
from .planning import (
    PERIOD_KINDS,
    ForecastTotal,
    MonthlyTotal,
    ProductMonthlyTotal,
    ReceivableTotal,
    StageTotal,
    Target,
)

MODELS = (Pipeline, Stage, Opportunity, StageHistory, Product, PriceList, PriceListItem,
          Quote, QuoteLine, Order, OrderLine, Contract, Instalment, Payment, InvoiceRequest,
          Target, StageTotal, MonthlyTotal, ProductMonthlyTotal, ForecastTotal,
          ReceivableTotal)

__all__ = [
    "CONTRACT_STATUSES", "FORECAST_CATEGORIES", "INVOICE_STATUSES", "INVOICE_TYPES",
    "MODELS", "OPPORTUNITY_TYPES", "ORDER_STATUSES", "PAYMENT_METHODS", "PERIOD_KINDS",
    "QUOTE_STATUSES", "STAGE_KINDS", "VAT_RATES",
    "Contract", "ForecastTotal", "Instalment", "InvoiceRequest", "MonthlyTotal",
    "Opportunity", "Order",
    "OrderLine", "Payment", "Pipeline", "PriceList", "PriceListItem", "Product",
    "ProductMonthlyTotal", "Quote", "QuoteLine", "ReceivableTotal", "Stage", "StageHistory",
    "StageTotal", "Target",
]
