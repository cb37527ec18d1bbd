"""Quotes as a kernel Resource: list, form, detail (lines, totals, actions), API with the
lines inline, export. The Resource is built when the hooks ask for it (its customer field
names customers' model, which exists only once the plugins are loaded).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import Field, Filter, Panel, Resource, Section, get_session

from .. import money
from ..models import Opportunity, Quote
from ..models.documents import QUOTE_STATUS_LABELS
from . import services
from .customer import customer_model
from .schemas import QuoteIn, QuoteOut

STATUS_CHOICES = list(QUOTE_STATUS_LABELS.items())
_built: dict[str, Resource] = {}


def _lines_context(quote: Quote) -> dict[str, Any]:
    return {"lines": services.quote_lines(get_session(), quote.id),
            "status": services.status_of(quote), "money": money}


def quotes_resource() -> Resource:
    """The quotes' Resource (``/sales/quotes``, ``/api/v1/sales/quotes``), built once."""
    if "quotes" not in _built:
        _built["quotes"] = Resource(
            model=Quote, name="quotes", label=_l("Quotes"), label_one=_l("Quote"),
            fields=[Field("number", _l("Number"), form=False),
                    Field("customer_id", _l("Customer"), relation=customer_model(),
                          relation_label="name"),
                    Field("opportunity_id", _l("Opportunity"), relation=Opportunity,
                          relation_label="name"),
                    Field("status", _l("Status"), choices=STATUS_CHOICES, form=False),
                    Field("valid_until", _l("Valid until"),
                          description=_l("Empty: today plus the days set in the sales "
                                         "settings.")),
                    Field("untaxed_amount", _l("Untaxed amount"), form=False,
                          format=money.yuan),
                    Field("tax_amount", _l("Tax"), form=False, format=money.yuan),
                    Field("total_amount", _l("Total"), form=False, format=money.yuan),
                    Field("owner_id", _l("Owner"), relation="user", form=False),
                    Field("order_id", _l("Order"), form=False),
                    Field("notes", _l("Notes"), textarea=True)],
            title_field="number",
            columns=["number", "customer_id", "status", "total_amount", "valid_until",
                     "owner_id"],
            filters=[Filter("status", "choice"), Filter("customer_id", "relation"),
                     Filter("valid_until", "date_range")],
            search=["number"],
            form_fields=["customer_id", "opportunity_id", "valid_until", "notes"],
            sections=[Section(_l("Quote"), ["number", "customer_id", "opportunity_id",
                                            "status", "valid_until", "owner_id", "order_id"]),
                      Section(_l("Amounts"), ["untaxed_amount", "tax_amount",
                                              "total_amount"]),
                      Section(_l("Notes"), ["notes"])],
            panels=[Panel(_l("Lines"), "sales/quotes/_lines_panel.html", _lines_context)],
            actions=("view", "create", "edit", "delete", "export"),
            create=services.create_quote, update=services.update_quote,
            api_overrides={"in": QuoteIn, "out": QuoteOut},
            templates={"detail": "sales/quotes/detail.html"},
            export_columns=["number", "customer_id", "status", "valid_until",
                            "untaxed_amount", "tax_amount", "total_amount", "owner_id"],
            icon="file-earmark-text", order=440, parent="sales.orders",
        )
    return _built["quotes"]

