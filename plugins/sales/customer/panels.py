"""The customer 360° page's sales panels: opportunities, orders, contracts and receivables
(a part: ``customer_panels``).

Each panel is a short table of the customer's newest records that the viewer may see
(the permission to view them, and their data scope), one indexed query each (the
``customer_id`` indexes), with links to the records and, when permitted, to a new
opportunity or order for this customer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from crm_core.toolkit import db, format_date, format_money, scoped

from ..display import yuan_of
from ..models import Contract, Instalment, Opportunity, Order, Stage
from ..models.contract import CONTRACT_STATUS_LABELS, INSTALMENT_STATUS_LABELS
from ..models.documents import ORDER_STATUS_LABELS
from ..permissions import RECEIVABLES_VIEW
from .links import customer_page, link

ROWS = 5


def _money(fen: int | None) -> str:
    return format_money(yuan_of(fen or 0))


def _new(user: Any, permission: str, customer_id: int, *endpoints: str) -> str | None:
    """The first of ``endpoints`` that exists, for a new record of this customer."""
    if not user.has_permission(permission):
        return None
    for endpoint in endpoints:
        if url := link(endpoint, customer_id=customer_id, next=customer_page(customer_id)):
            return url
    return None


def _render(panel_id: str, title: str, order: int, headers: list[str],
            rows: list[dict[str, Any]], new: tuple[str, str | None] | None = None,
            empty: str = "") -> dict[str, Any]:
    html = render_template("sales/customer/_panel.html", headers=headers, rows=rows,
                           new=new, empty=empty)
    return {"id": panel_id, "title": title, "html": html, "order": order}


def _opportunities(customer_id: int, user: Any) -> dict[str, Any]:
    query = scoped(select(Opportunity, Stage.name)
                   .join(Stage, Stage.id == Opportunity.stage_id)
                   .where(Opportunity.customer_id == customer_id,
                          Opportunity.deleted_at.is_(None))
                   .order_by(Opportunity.id.desc()).limit(ROWS), Opportunity, user)
    rows = [{"cells": [item.name, stage, _money(item.amount),
                       format_date(item.expected_close_date)],
             "url": link("sales_opportunities.detail", opportunity_id=item.id)}
            for item, stage in db.session.execute(query)]
    new = _new(user, "sales.opportunity.create", customer_id, "sales_opportunities.new")
    return _render("sales.opportunities", _("Opportunities"), 310,
                   [_("Name"), _("Stage"), _("Amount"), _("Expected close date")], rows,
                   (_("New opportunity"), new) if new else None, _("No opportunities yet."))


def _orders(customer_id: int, user: Any) -> dict[str, Any]:
    query = scoped(select(Order).where(Order.customer_id == customer_id,
                                       Order.deleted_at.is_(None))
                   .order_by(Order.id.desc()).limit(ROWS), Order, user)
    rows = [{"cells": [item.number, str(ORDER_STATUS_LABELS.get(item.status, item.status)),
                       _money(item.total_amount), format_date(item.order_date)],
             "url": link("sales_orders.detail", order_id=item.id)}
            for item in db.session.scalars(query)]
    new = _new(user, "sales.order.create", customer_id, "sales_order_pages.new",
               "sales_orders.new")
    return _render("sales.orders", _("Orders"), 320,
                   [_("Number"), _("Status"), _("Total"), _("Order date")], rows,
                   (_("New order"), new) if new else None, _("No orders yet."))


def _contracts(customer_id: int, user: Any) -> dict[str, Any]:
    query = scoped(select(Contract).where(Contract.customer_id == customer_id,
                                          Contract.deleted_at.is_(None))
                   .order_by(Contract.id.desc()).limit(ROWS), Contract, user)
    rows = [{"cells": [item.number,
                       str(CONTRACT_STATUS_LABELS.get(item.status, item.status)),
                       _money(item.amount), format_date(item.end_date)],
             "url": link("sales_contracts.detail", contract_id=item.id)}
            for item in db.session.scalars(query)]
    return _render("sales.contracts", _("Contracts"), 330,
                   [_("Number"), _("Status"), _("Amount"), _("End date")], rows,
                   empty=_("No contracts yet."))


def _receivables(customer_id: int, user: Any) -> dict[str, Any]:
    today = dt.date.today()
    query = scoped(select(Instalment, Contract.number)
                   .join(Contract, Contract.id == Instalment.contract_id)
                   .where(Contract.customer_id == customer_id,
                          Contract.deleted_at.is_(None),
                          Instalment.status.in_(("open", "partial")))
                   .order_by(Instalment.due_date, Instalment.id).limit(ROWS), Contract, user)
    rows = []
    for item, number in db.session.execute(query):
        overdue = item.due_date < today
        rows.append({"cells": [number, format_date(item.due_date),
                               _money(item.amount - item.received_amount),
                               str(INSTALMENT_STATUS_LABELS.get(item.status, item.status))],
                     "url": link("sales_contracts.detail", contract_id=item.contract_id),
                     "badge": _("Overdue") if overdue else None})
    return _render("sales.receivables", _("Receivables"), 340,
                   [_("Contract"), _("Due date"), _("Open amount"), _("Status")], rows,
                   empty=_("Nothing to collect."))


PANELS = (("sales.opportunity.view", _opportunities), ("sales.order.view", _orders),
          ("sales.contract.view", _contracts), (RECEIVABLES_VIEW, _receivables))


def customer_panels(customer_id: int, user: Any) -> list[dict[str, Any]]:
    """The sales panels of the customer's page that ``user`` holds the permission for."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [panel(customer_id, user) for permission, panel in PANELS
            if user.has_permission(permission)]
