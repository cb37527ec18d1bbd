"""Inbound to sales: what the pulls bring (``erp_records_pulled``, called per page inside the
pull's unit of work) written through sales' public services.

- **Products** become sales' catalogue products (``sales.sync_product``), keyed by the ERP's
  ``default_code`` (else ``odoo-<id>``); the mapping row ``product`` links them, so order
  lines carry the ERP's product when pushed. The conflict policy decides: the ERP wins (the
  default: the ERP-owned fields are read-only in the CRM, ``locked_fields``), newest wins
  (``write_date`` against the product's last change), or the CRM wins (the ERP only adds
  products the CRM does not have).
- **Invoices**: ``invoice_origin`` names the ERP order (its number, kept on the order's
  mapping row when it was pushed); the invoice's ``payment_state`` is kept on that row (the
  order's sync state) and what is paid (``amount_total - amount_residual``) goes to sales'
  receivables (``sales.record_erp_payment``, once per invoice reference).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_core.toolkit import plugin_enabled, system_context, utcnow

from ..connections.services import find_connection
from ..models import ErpConnection, ErpExternalId
from .external_ids import reference
from .settings import object_settings


def _erp_time(write_date: Any) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(write_date)[:19], "%Y-%m-%d %H:%M:%S").replace(
            tzinfo=dt.UTC)
    except ValueError:
        return None


def _product_values(row: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for crm_field, erp_field in fields.items():
        value = row.get(erp_field)
        if crm_field == "list_price":
            values[crm_field] = round(float(value or 0) * 100)
        elif crm_field == "active":
            values[crm_field] = bool(value)
        elif crm_field != "sku":
            values[crm_field] = "" if value in (None, False) else str(value)
    return values


def take_products(session: Session, connection: ErpConnection,
                  rows: list[dict[str, Any]]) -> int:
    """Write a page of ``product.product`` rows into sales' catalogue; the count taken."""
    from plugins.sales import services as sales

    settings = object_settings("products", connection.name)
    if not settings.pulls:
        return 0
    sku_field = settings.fields.get("sku", "default_code")
    known = dict(session.execute(select(ErpExternalId.erp_id, ErpExternalId.crm_id).where(
        ErpExternalId.connection_id == connection.id, ErpExternalId.object == "product",
        ErpExternalId.erp_id.in_([int(row["id"]) for row in rows]))).all())
    by_sku: dict[str, dict[str, Any]] = {}
    for row in rows:  # a SKU twice in a page: its latest change
        if not (settings.policy == "crm" and int(row["id"]) in known):
            by_sku[str(row.get(sku_field) or f"odoo-{row['id']}")[:64]] = row
    made = []
    for sku, row in by_sku.items():
        changed_at = _erp_time(row.get("write_date")) if settings.policy == "newest" else None
        product = sales.sync_product(session, sku, _product_values(row, settings.fields),
                                     erp_changed_at=changed_at)
        if int(row["id"]) not in known:
            made.append((int(row["id"]), product))
    session.flush()  # one flush for the page: the new products get their ids
    for erp_id, product in made:
        session.add(ErpExternalId(connection_id=connection.id, object="product",
                                  crm_id=product.id, erp_id=erp_id,
                                  ref=reference("product", product.id), error="",
                                  synced_at=utcnow()))
    session.flush()
    return len(by_sku)


def take_invoices(session: Session, connection: ErpConnection,
                  rows: list[dict[str, Any]]) -> int:
    """Payment states of a page of invoices onto their orders; the count matched."""
    from plugins.sales import services as sales

    if not object_settings("invoices", connection.name).pulls:
        return 0
    origins = {str(row.get("invoice_origin") or "") for row in rows} - {""}
    orders = {row.erp_number: row for row in session.scalars(select(ErpExternalId).where(
        ErpExternalId.connection_id == connection.id, ErpExternalId.object == "order",
        ErpExternalId.erp_number.in_(origins)))} if origins else {}
    matched = 0
    for row in rows:
        order = orders.get(str(row.get("invoice_origin") or ""))
        if order is None:
            continue
        order.erp_state = str(row.get("payment_state") or "")[:40]
        paid = round((float(row.get("amount_total") or 0)
                      - float(row.get("amount_residual") or 0)) * 100)
        if paid > 0 and row.get("move_type", "out_invoice") == "out_invoice":
            with system_context("ERP payment state"):
                sales.record_erp_payment(session, order.crm_id, paid,
                                         str(row.get("name") or f"odoo-{row['id']}"),
                                         dt.date.today())
        matched += 1
    session.flush()
    return matched


def records_pulled(session: Session, connection: str, obj: str,
                   rows: list[dict[str, Any]]) -> None:
    """The ``erp_records_pulled`` listener: products and invoices into sales (when sales
    is enabled)."""
    if not plugin_enabled("sales"):
        return
    found = find_connection(session, connection)
    if found is None:
        return
    if obj == "products":
        take_products(session, found, rows)
    elif obj == "invoices":
        take_invoices(session, found, rows)


def locked_fields(session: Session, product_id: int) -> list[str]:
    """The CRM product fields the ERP owns for ``product_id``: the mapped ones while
    products are pulled and the ERP wins; [] for a product the ERP did not bring."""
    locked: set[str] = set()
    for name in session.scalars(select(ErpConnection.name).join(
            ErpExternalId, ErpExternalId.connection_id == ErpConnection.id).where(
            ErpExternalId.object == "product", ErpExternalId.crm_id == product_id)):
        settings = object_settings("products", name)
        if settings.pulls and settings.policy == "erp":
            locked.update(settings.fields)
    return sorted(locked)
