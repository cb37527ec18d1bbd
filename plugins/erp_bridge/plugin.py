"""ERP bridge: metadata and hook implementations (thin: they name what the plugin offers).

The features live in sub-packages (see docs/erp_bridge.md): ``odoo`` (the protocol layer),
``webhooks`` (Standard Webhooks signatures and the inbound endpoint), ``connections`` (the
connections, their CLI and settings pages). The modules named in ``PARTS`` are its parts, as
in the service plugin: each offers what it has through plain functions named like the kernel
hook minus ``crm_``.
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import Permission, PluginInfo, PluginParts, get_session, hookimpl

from .permissions import N_, PERMISSIONS

PLUGIN = PluginInfo(
    name="erp_bridge",
    version="0.1.0",
    title=N_("ERP bridge"),
    description=N_("Shares customers, orders and contracts with the enterprise ERP system."),
    requires=("customers",),
)

PARTS: tuple[str, ...] = ("connections.views", "connections.cli", "webhooks.views",
                          "webhooks.outbound", "sync.push", "sync.pull", "sync.views",
                          "sync.reconcile", "connections.alerts")
_PARTS = PluginParts(__package__, PARTS)


@hookimpl
def crm_add_hookspecs(pm: Any) -> None:
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def crm_models() -> list[type]:
    from .models import MODELS

    return list(MODELS)


@hookimpl
def crm_permissions() -> list[Permission]:
    return list(PERMISSIONS)


globals().update(_PARTS.forward(
    "blueprints", "menu_items", "cli_commands", "celery_tasks", "beat_schedule",
    "notification_kinds", "outbox_channels"))


@hookimpl(trylast=True)
def crm_erp_adapter(settings: Any) -> Any:
    """The built-in Odoo adapter (other kinds: None, for another plugin to answer)."""
    if settings.kind != "odoo":
        return None
    from .adapters.odoo import OdooAdapter
    from .odoo import OdooClient

    return OdooAdapter(OdooClient(settings.url, settings.database, settings.login,
                                  settings.secret, transport=settings.transport))


# Customers' and sales' events (optional hooks: each plugin may be disabled). They queue the
# pushes in the saver's unit of work (sync/outbound.py).
@hookimpl(optionalhook=True)
def customer_created(customer_id: int) -> None:
    """Queue the new customer's ``res.partner`` push."""
    from .sync.outbound import customer_changed

    customer_changed(get_session(), customer_id)


@hookimpl(optionalhook=True)
def customer_updated(customer_id: int, changed: list[str]) -> None:
    """Queue the customer's push when a mapped field changed."""
    from .sync.outbound import customer_changed

    customer_changed(get_session(), customer_id, changed)


@hookimpl(optionalhook=True)
def order_confirmed(order_id: int, customer_id: int) -> None:
    """Queue the confirmed order's ``sale.order`` push with its lines and confirmation."""
    from .sync.outbound import order_confirmed as queue_order

    queue_order(get_session(), order_id, customer_id)


@hookimpl(optionalhook=True)
def erp_records_pulled(connection: str, object: str, rows: list[dict[str, Any]]) -> None:  # noqa: A002
    """Pulled products into sales' catalogue, invoice payment states into its receivables."""
    from .sync.inbound import records_pulled

    records_pulled(get_session(), connection, object, rows)


@hookimpl(optionalhook=True)
def sales_product_locked_fields(product_id: int) -> list[str]:
    """The product fields the ERP owns (read-only in the CRM while the ERP wins)."""
    from .sync.inbound import locked_fields

    return locked_fields(get_session(), product_id)


@hookimpl(optionalhook=True)
def crm_sales_order_panels(order_id: int, user: Any) -> list[Any]:
    """The order page's "ERP" panel: its ERP number, sync state and last error."""
    from .sync.order_panel import order_panels

    return order_panels(get_session(), order_id, user)


# -- kernel hooks one module answers (personal data requests: PIPL, see privacy.py) -------

globals().update(_PARTS.answer("privacy", privacy_export="export", privacy_erase="erase"))
