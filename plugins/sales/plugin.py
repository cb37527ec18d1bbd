"""Sales: metadata and hook implementations (thin: they name what the plugin offers).

The features live in sub-packages (pipelines, opportunities, kanban, forecast, catalog,
quotes, orders, contracts, receivables, customer, widgets, api, demo; see docs/sales.md).
The modules named in ``PARTS`` are its *parts*: a part offers what it has through plain
module-level functions with the kernel hook's name minus ``crm_``: ``resources()``,
``menu_items()``, ``report_widgets()``, ``celery_tasks()``, ``beat_schedule()``,
``cli_commands()`` (commands for the ``crm sales`` group), ``search(query, user, limit)``,
``demo_data(size, session)``, ``approval_subjects()``, ``attachment_kinds()``,
``notification_kinds()``, ``import_specs()``, ``blueprints()``, ``permissions()``. The
sales events a part listens to are implemented in ``listeners.py``. Adding a feature never
touches another feature's module.
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import Permission, PluginInfo, PluginParts, RoleSpec, hookimpl
from plugins.customers import hookspecs as customer_hooks

from .permissions import (
    EXTRA_PERMISSIONS,
    FORECAST_VIEW,
    N_,
    ORDER_CONFIRM,
    RECEIVABLES_VIEW,
)

PLUGIN = PluginInfo(
    name="sales",
    version="0.2.0",
    title=N_("Sales"),
    description=N_("Pipelines and kanban, forecast and targets, products and price lists, "
                   "quotes, orders, contracts with approval and payment collection."),
    requires=("customers",),
)

# Each part's module; imported when the app asks the hooks (never at plugin discovery).
PARTS: tuple[str, ...] = (
    "catalog.views", "lines.editor", "orders.views",
    "settings.views", "quotes.views", "printing.views",
    "pipelines.resources", "opportunities.resource", "opportunities.views",
    "opportunities.api", "kanban.views",
    "aggregates.listeners", "aggregates.forecast", "aggregates.receivables",
    "aggregates.rebuild", "forecast.views",
    "forecast.targets",
    "widgets.widgets", "customer.listeners", "customer.panels", "customer.timeline",
    "contracts.resource", "contracts.views", "contracts.lifecycle",
    "receivables.resource", "receivables.views", "invoicing.resource",
    "demo",
)
_PARTS = PluginParts(__package__, PARTS)

# The records a role may work with (each a Resource with view/create/edit/delete/export).
SELLING = ("opportunity", "quote", "order", "contract", "payment", "invoice_request")


def _gather(offer: str, *args: Any) -> list[Any]:
    return _PARTS.gather(offer, *args)


def _grants(objects: tuple[str, ...], actions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"sales.{name}.{action}" for name in objects for action in actions)


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
    # plus the parts' own (``permissions()``): actions of records a Resource does not serve
    return [*EXTRA_PERMISSIONS, *_gather("permissions")]


@hookimpl
def crm_roles() -> list[RoleSpec]:
    # Adds to the kernel's roles of the same names (admin holds "*"); how far each sees
    # sales records comes from the role's data scope for "sales.<object>" (or "*").
    everything = (*_grants((*SELLING, "product", "price_list", "target"),
                           ("view", "create", "edit", "delete", "export", "import")),
                  *(permission.name for permission in EXTRA_PERMISSIONS))
    rep = (*_grants(SELLING, ("view", "create", "edit")),
           *_grants(("product", "price_list"), ("view",)),
           FORECAST_VIEW, ORDER_CONFIRM, RECEIVABLES_VIEW)
    read = (*_grants((*SELLING, "product", "price_list"), ("view",)),)
    return [RoleSpec("manager", "Manager", everything),
            RoleSpec("sales", "Sales rep", rep),
            RoleSpec("service", "Service agent", _grants(("product",), ("view",))),
            RoleSpec("marketing", "Marketer", _grants(("opportunity", "product"), ("view",))),
            RoleSpec("viewer", "Viewer", read)]


globals().update(_PARTS.forward(
    "search", "demo_data", "resources", "blueprints", "menu_items", "report_widgets",
    "celery_tasks", "beat_schedule", "approval_subjects", "attachment_kinds", "notification_kinds",
    "import_specs"))


@hookimpl
def crm_cli_commands() -> list[Any]:
    from .cli import sales

    for command in _gather("cli_commands"):
        sales.add_command(command)
    return [sales]


def _tell(event: str, **kwargs: Any) -> None:
    _PARTS.tell(event, **kwargs)


# -- sales' own events: the parts keep aggregates and the customer's total ------------------


@hookimpl
def opportunity_stage_changed(opportunity_id: int, from_stage_id: int | None,
                              to_stage_id: int, user_id: int | None) -> None:
    _tell("opportunity_stage_changed", opportunity_id=opportunity_id,
          from_stage_id=from_stage_id, to_stage_id=to_stage_id, user_id=user_id)


@hookimpl
def opportunity_won(opportunity_id: int, amount: int, customer_id: int) -> None:
    _tell("opportunity_won", opportunity_id=opportunity_id, amount=amount,
          customer_id=customer_id)


@hookimpl
def opportunity_lost(opportunity_id: int, reason: str, customer_id: int) -> None:
    _tell("opportunity_lost", opportunity_id=opportunity_id, reason=reason,
          customer_id=customer_id)


@hookimpl
def order_confirmed(order_id: int, customer_id: int, total_amount: int) -> None:
    _tell("order_confirmed", order_id=order_id, customer_id=customer_id,
          total_amount=total_amount)


@hookimpl
def order_cancelled(order_id: int, customer_id: int, total_amount: int,
                    was_confirmed: bool) -> None:
    _tell("order_cancelled", order_id=order_id, customer_id=customer_id,
          total_amount=total_amount, was_confirmed=was_confirmed)


@hookimpl
def payment_received(payment_id: int, contract_id: int, customer_id: int,
                     amount: int) -> None:
    _tell("payment_received", payment_id=payment_id, contract_id=contract_id,
          customer_id=customer_id, amount=amount)


# -- the kernel's and customers' hooks -----------------------------------------------------


@hookimpl
def crm_approval_decided(approval_id: int, subject_kind: str, subject_id: int, status: str,
                         comment: str) -> None:
    _tell("approval_decided", approval_id=approval_id, subject_kind=subject_kind,
          subject_id=subject_id, status=status, comment=comment)


@hookimpl
def customer_merged(target_id: int, merged_ids: list[int]) -> None:
    _tell("customer_merged", target_id=target_id, merged_ids=merged_ids)


@hookimpl
def customer_purged(customer_id: int) -> None:
    _tell("customer_purged", customer_id=customer_id)


# -- analytics' hook (optional: this plugin works without analytics) ----------------------


@hookimpl(optionalhook=True)
def crm_analytics_sources() -> list[dict[str, Any]]:
    from .analytics_facts import analytics_sources

    return analytics_sources()


@hookimpl(optionalhook=True)
def crm_analytics_purchases() -> list[dict[str, Any]]:
    from .analytics_purchases import analytics_purchases

    return analytics_purchases()


# -- marketing's hook (optional: this plugin works without marketing) ----------------------


@hookimpl(optionalhook=True)
def campaign_response(campaign_id: int, customer_id: int | None) -> None:
    from .marketing_link import on_campaign_response

    on_campaign_response(campaign_id, customer_id)


# -- kernel hooks one module answers (personal data requests: PIPL, see privacy.py) -------

globals().update(_PARTS.answer("privacy", privacy_export="export", privacy_erase="erase"))


# -- the customers plugin's hooks (the 360° page) --------------------------------------

globals().update(_PARTS.forward("customer_panels", "customer_timeline", specs=customer_hooks))
