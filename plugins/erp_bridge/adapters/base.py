"""The adapter interface: the few operations the sync needs from an ERP.

Every operation is idempotent, because the outbox delivers at least once: a create is
keyed by an external reference the CRM chooses (``crm-customer-7``, ``crm-order-12``) and
searched before it is made; a confirmation of a confirmed order does nothing. An adapter
raises the ``odoo.errors`` classes (``AuthError``, ``PermissionError``, ``ValidationError``,
``NotFound``, ``TransientError``), whatever its ERP, so the sync treats every ERP alike.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..odoo.client import Cursor, VersionInfo

Rows = list[dict[str, Any]]


class ErpAdapter(Protocol):
    """One connection's ERP. Use it as a context manager (it holds HTTP connections)."""

    name: str

    def __enter__(self) -> ErpAdapter: ...

    def __exit__(self, *exc: Any) -> None: ...

    def probe(self) -> VersionInfo:
        """The ERP's version, and proof that the credentials work."""

    def upsert_partner(self, ref: str, values: dict[str, Any],
                       erp_id: int | None = None) -> int:
        """Write the customer ``erp_id``, or find it by ``ref``, or create it; its id."""

    def pull_products(self, cursor: Cursor | None, limit: int = 500) -> tuple[Rows,
                                                                               Cursor | None]:
        """Products changed after ``cursor`` (archived too) and the next cursor."""

    def push_order(self, ref: str, partner_id: int, lines: list[dict[str, Any]]) -> int:
        """Find the order by ``ref`` or create it with its lines (draft); its id."""

    def confirm_order(self, erp_id: int) -> str:
        """Confirm the order (nothing when it already is); its number in the ERP."""

    def create_partners(self, refs_values: list[tuple[str, dict[str, Any]]]
                        ) -> dict[str, int]:
        """Find or create many customers at once (initial sync); ``{ref: erp id}``."""

    def create_orders(self, orders: list[tuple[str, int, list[dict[str, Any]]]]
                      ) -> dict[str, int]:
        """Find or create many ``(ref, partner_id, lines)`` orders at once; ``{ref: id}``."""

    def confirm_orders(self, erp_ids: list[int]) -> dict[int, str]:
        """Confirm the orders not confirmed yet; ``{id: number in the ERP}``."""

    def all_ids(self, obj: str) -> set[int]:
        """Every id of ``obj`` in the ERP (archived too), for the reconciliation."""

    def pull_invoices(self, cursor: Cursor | None, limit: int = 500) -> tuple[Rows,
                                                                               Cursor | None]:
        """Customer invoices and refunds changed after ``cursor``, with their payment
        state, and the next cursor."""
