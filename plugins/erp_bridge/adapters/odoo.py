"""The Odoo adapter: ``res.partner``, ``product.product``, ``sale.order`` with lines and
``action_confirm``, ``account.move`` with ``payment_state``, over :class:`OdooClient`.

External references: a partner's ``ref``; an order's ``client_order_ref`` (the customer
reference field of a sales order). Both are searched with archived records included before
a create, so a create whose answer was lost is found when it is tried again.
"""

from __future__ import annotations

from typing import Any

from ..odoo import NotFound, OdooClient
from ..odoo.client import Cursor, VersionInfo

PRODUCT_FIELDS = ["default_code", "name", "list_price", "uom_id", "active"]
INVOICE_FIELDS = ["name", "move_type", "state", "payment_state", "amount_total",
                  "amount_residual", "invoice_date_due", "invoice_origin", "partner_id"]
CUSTOMER_MOVES = [["move_type", "in", ["out_invoice", "out_refund"]]]
CONFIRMED = ("sale", "done")


class OdooAdapter:
    """The ERP adapter of one Odoo connection."""

    name = "odoo"

    def __init__(self, client: OdooClient) -> None:
        self.client = client

    def __enter__(self) -> OdooAdapter:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.client.close()

    def probe(self) -> VersionInfo:
        """The version, with the key proven."""
        return self.client.check()

    def _find_or_create(self, model: str, field: str, ref: str,
                        values: dict[str, Any]) -> int:
        found = self.client.find_by_ref(model, field, ref)
        return found[0] if found else self.client.create(model, {**values, field: ref})

    def upsert_partner(self, ref: str, values: dict[str, Any],
                       erp_id: int | None = None) -> int:
        """Write ``erp_id``; else find by ``ref`` or create (``ref`` is set on the partner)."""
        if erp_id is not None:
            try:
                self.client.call("res.partner", "write", ids=[erp_id],
                                 vals={**values, "ref": ref})
                return erp_id
            except NotFound:
                pass  # deleted in Odoo: found by its reference or made again
        return self._find_or_create("res.partner", "ref", ref, values)

    def pull_products(self, cursor: Cursor | None, limit: int = 500
                      ) -> tuple[list[dict[str, Any]], Cursor | None]:
        """``product.product`` changed after ``cursor``."""
        return self.client.pull_changes("product.product", PRODUCT_FIELDS, cursor, limit)

    def push_order(self, ref: str, partner_id: int, lines: list[dict[str, Any]]) -> int:
        """A draft ``sale.order`` with ``order_line`` create commands, keyed by
        ``client_order_ref``; lines are ``{product_id, product_uom_qty, price_unit, name}``."""
        commands = [[0, 0, dict(line)] for line in lines]
        return self._find_or_create("sale.order", "client_order_ref", ref,
                                    {"partner_id": partner_id, "order_line": commands})

    def confirm_order(self, erp_id: int) -> str:
        """``action_confirm``, unless the order is confirmed already (a retried confirm
        whose first answer was lost must not fail on Odoo's "not allowed in this state");
        the order's number in the ERP (``name``)."""
        [order] = self.client.call("sale.order", "read", ids=[erp_id],
                                   fields=["state", "name"])
        if order["state"] not in CONFIRMED:
            self.client.call("sale.order", "action_confirm", ids=[erp_id])
        return str(order.get("name") or "")

    def create_partners(self, refs_values: list[tuple[str, dict[str, Any]]]
                        ) -> dict[str, int]:
        """Batch create for an initial sync: the partners whose ``ref`` Odoo has already
        are found (one search), the rest made by one ``create`` with a list of values;
        ``{ref: id}``."""
        refs = [ref for ref, _values in refs_values]
        found = {str(row["ref"]): int(row["id"]) for row in self.client.search_read(
            "res.partner", [["ref", "in", refs]], ["ref"], order="id asc",
            context={"active_test": False})}
        missing = [{**values, "ref": ref} for ref, values in refs_values if ref not in found]
        if missing:
            created = self.client.call("res.partner", "create", vals_list=missing)
            found.update(zip((values["ref"] for values in missing),
                             (int(item) for item in created), strict=True))
        return found

    def create_orders(self, orders: list[tuple[str, int, list[dict[str, Any]]]]
                      ) -> dict[str, int]:
        """Batch: ``(ref, partner_id, lines)`` orders found by ``client_order_ref`` (one
        search) or made by one ``create`` with a list of values; ``{ref: id}``."""
        refs = [ref for ref, _partner, _lines in orders]
        found = {str(row["client_order_ref"]): int(row["id"]) for row in
                 self.client.search_read("sale.order", [["client_order_ref", "in", refs]],
                                         ["client_order_ref"], order="id asc")}
        missing = [{"client_order_ref": ref, "partner_id": partner,
                    "order_line": [[0, 0, dict(line)] for line in lines]}
                   for ref, partner, lines in orders if ref not in found]
        if missing:
            created = self.client.call("sale.order", "create", vals_list=missing)
            found.update(zip((values["client_order_ref"] for values in missing),
                             (int(item) for item in created), strict=True))
        return found

    def confirm_orders(self, erp_ids: list[int]) -> dict[int, str]:
        """Batch ``action_confirm`` of the drafts among ``erp_ids``; ``{id: number}``."""
        rows = self.client.call("sale.order", "read", ids=list(erp_ids),
                                fields=["state", "name"])
        drafts = [int(row["id"]) for row in rows if row["state"] not in CONFIRMED]
        if drafts:
            self.client.call("sale.order", "action_confirm", ids=drafts)
        return {int(row["id"]): str(row.get("name") or "") for row in rows}

    def all_ids(self, obj: str) -> set[int]:
        """Every id of ``obj`` (``customers``/``products``/``orders``) in the ERP, archived
        too: the reconciliation's id set."""
        model = {"customers": "res.partner", "products": "product.product",
                 "orders": "sale.order"}[obj]
        return {int(row["id"]) for row in self.client.search_read(
            model, [], ["id"], order="id asc", context={"active_test": False})}

    def pull_invoices(self, cursor: Cursor | None, limit: int = 500
                      ) -> tuple[list[dict[str, Any]], Cursor | None]:
        """Customer invoices and refunds changed after ``cursor``."""
        return self.client.pull_changes("account.move", INVOICE_FIELDS, cursor, limit,
                                        domain=CUSTOMER_MOVES)
