"""The hooks the ERP bridge offers to other plugins.

Called inside the unit of work that took the message, with keyword arguments only; a
listener that raises is logged and skipped (``toolkit.emit``). Implement them with
``@hookimpl(optionalhook=True)`` so that your plugin works without the ERP bridge.
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import hookspec


@hookspec
def erp_webhook_received(connection: str, webhook_id: str, payload: Any) -> None:
    """A signed webhook came in on ``/erp/webhooks/<connection>``: its signature, timestamp
    and id were checked and it was not seen before. ``payload`` is the body's JSON (the
    Standard Webhooks ``{"type", "timestamp", "data"}`` when the sender follows it)."""


@hookspec(firstresult=True)
def crm_erp_adapter(settings: Any) -> Any:
    """The ERP adapter for one connection, or None when this plugin does not speak its
    ``settings.kind``. ``settings`` is a ``ConnectionSettings`` (``name``, ``kind``, ``url``,
    ``database``, ``login``, ``secret``, ``transport``; its ``repr`` hides the secret). The
    first answer wins: the ERP bridge's own Odoo adapter answers last (``trylast``), so a
    plugin can replace it. The adapter follows ``adapters/base.py`` ``ErpAdapter`` and is
    used as a context manager."""


@hookspec
def erp_records_pulled(connection: str, object: str, rows: list[dict[str, Any]]) -> None:
    """One page of records pulled from the ERP: ``object`` is ``products`` or ``invoices``;
    ``rows`` are the ERP's fields (``id``, ``write_date``, and the adapter's fields: for
    invoices ``payment_state``, ``amount_residual``, ``invoice_origin``…), oldest change
    first. Called once per page, before the pull's cursor moves past it, inside the unit of
    work that stores the cursor: a listener that raises is logged and skipped."""
