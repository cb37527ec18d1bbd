"""Outbound from events: customers' and sales' events queue pushes in the same transaction.

``customer_created``/``customer_updated`` queue a ``res.partner`` push, ``order_confirmed``
a ``sale.order`` with its lines and ``action_confirm``, for every Odoo connection whose
direction for the object pushes (``sync.settings``, per connection). The records are read
through customers' and sales' public services (``services.py`` ``__all__``) as the system:
the person saving may not see every customer an import assigns to others, and the ERP needs
them all. The listeners run inside the saver's unit of work (``toolkit.emit``): the outbox
message commits or rolls back with the change.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import system_context

from ..models import ErpConnection, ErpExternalId
from .external_ids import note_queued
from .push import push_customer, push_order
from .settings import object_settings

#: CRM fields a customer mapping may name, and how each is read from the customer.
_READERS = {
    "phone": lambda customer: (customer.phones or [""])[0],
    "email": lambda customer: (customer.emails or [""])[0],
    "uscc": lambda customer: customer.uscc or "",
}
#: The event's changed field names that a mapped CRM field depends on.
_CHANGED = {"phone": "phones", "email": "emails"}


def odoo_connections(session: Session) -> list[str]:
    """The names of the Odoo connections, stopped and held ones too (their messages
    wait)."""
    return list(session.scalars(select(ErpConnection.name).where(
        ErpConnection.kind == "odoo").order_by(ErpConnection.name)))


def customer_values(customer: Any, fields: dict[str, str]) -> dict[str, Any]:
    """The ``res.partner`` values of ``customer`` under a field mapping (ERP ← CRM)."""
    values: dict[str, Any] = {"is_company": customer.kind == "company"}
    for erp_field, crm_field in fields.items():
        reader = _READERS.get(crm_field)
        value = reader(customer) if reader else getattr(customer, crm_field, "")
        values[erp_field] = value if value not in (None, "") else False
    return values


def _customer(session: Session, customer_id: int) -> Any | None:
    from plugins.customers import services as customers

    try:
        with system_context("ERP push of a customer"):
            return customers.get_customer(session, customer_id)
    except customers.CustomerNotFound:
        return None


def customer_changed(session: Session, customer_id: int,
                     changed: list[str] | None = None) -> int:
    """Queue the customer's push to every Odoo connection (``changed`` None: created);
    nothing when customers are not pushed or no mapped field changed. The count queued."""
    chosen = []
    for name in odoo_connections(session):
        settings = object_settings("customers", name)
        watched = {_CHANGED.get(crm, crm) for crm in settings.fields.values()} | {"kind"}
        if settings.pushes and (changed is None or watched & set(changed)):
            chosen.append((name, settings))
    customer = _customer(session, customer_id) if chosen else None
    if customer is None:
        return 0
    for name, settings in chosen:
        push_customer(session, name, customer_id, customer_values(customer, settings.fields))
    return len(chosen)


def order_lines_for_erp(session: Session, connection_id: int,
                        lines: list[Any]) -> list[dict[str, Any]]:
    """``sale.order.line`` values of the CRM lines: quantity in units, price in yuan, the
    ERP product when the CRM product came from this ERP (its mapping row)."""
    product_ids = {line.product_id for line in lines if line.product_id}
    erp_products = dict(session.execute(select(ErpExternalId.crm_id, ErpExternalId.erp_id)
                                        .where(ErpExternalId.connection_id == connection_id,
                                               ErpExternalId.object == "product",
                                               ErpExternalId.crm_id.in_(product_ids)))
                        .all()) if product_ids else {}
    found = []
    for line in lines:
        values: dict[str, Any] = {"name": line.description or "-",
                                  "product_uom_qty": line.quantity / 1000,
                                  "price_unit": line.unit_price / 100,
                                  "discount": line.discount / 100}
        if erp_products.get(line.product_id):
            values["product_id"] = erp_products[line.product_id]
        found.append(values)
    return found


def order_confirmed(session: Session, order_id: int, customer_id: int,
                    again: bool = False) -> int:
    """Queue the confirmed order (with its customer, so the partner exists first) to every
    Odoo connection when orders are pushed (``again``: a replay, a new message). The count
    queued."""
    from plugins.sales import services as sales

    connections = [connection for connection in session.scalars(select(ErpConnection).where(
        ErpConnection.kind == "odoo").order_by(ErpConnection.name))
        if object_settings("orders", connection.name).pushes]
    customer = _customer(session, customer_id) if connections else None
    if customer is None:
        return 0
    lines = sales.order_lines(session, [order_id])[order_id]
    for connection in connections:
        partner = customer_values(customer,
                                  object_settings("customers", connection.name).fields)
        note_queued(session, connection, "order", order_id)
        push_order(session, connection.name, order_id, customer_id, partner,
                   order_lines_for_erp(session, connection.id, lines),
                   idempotency_key=f"{connection.name}:order:{order_id}:{uuid.uuid4().hex}"
                   if again else None)
    return len(connections)
