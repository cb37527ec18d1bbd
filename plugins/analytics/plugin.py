"""Analytics: metadata and hook implementations (thin: they name what the plugin offers).

Facts come from other plugins through this plugin's hookspec ``crm_analytics_sources``
(hookspecs.py); analytics imports no other plugin. The modules named in ``PARTS`` offer what
they have through plain functions named like the kernel hook minus ``crm_``, as in the sales
and service plugins. See docs/analytics.md.
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import Permission, PluginInfo, PluginParts, RoleSpec, hookimpl

from .permissions import (
    N_,
    PERMISSIONS,
    SHARE_DASHBOARDS,
    SHARE_REPORTS,
    TAG_CUSTOMERS,
    VIEW,
)

PLUGIN = PluginInfo(
    name="analytics",
    version="0.1.0",
    title=N_("Analytics"),
    description=N_("Statistics and charts over customer, transaction and service data."),
    requires=(),
)

PARTS: tuple[str, ...] = ("api", "views", "rollups", "dashboards.views", "value.views",
                           "value.jobs", "value.panel", "reports.views", "reports.api",
                           "reports.schedules")
_PARTS = PluginParts(__package__, PARTS)


def _gather(offer: str, *args: Any) -> list[Any]:
    return _PARTS.gather(offer, *args)


@hookimpl
def crm_add_hookspecs(pm: Any) -> None:
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def crm_models() -> list[type]:
    from .dashboards.models import MODELS as DASHBOARD_MODELS
    from .models import MODELS
    from .reports.models import MODELS as REPORT_MODELS
    from .value.models import MODELS as VALUE_MODELS

    return [*MODELS, *REPORT_MODELS, *DASHBOARD_MODELS, *VALUE_MODELS]


@hookimpl
def crm_permissions() -> list[Permission]:
    return list(PERMISSIONS)


@hookimpl
def crm_roles() -> list[RoleSpec]:
    # a rep sees their own numbers and a manager their department's: the data scope of the
    # source's records decides, not this permission
    sharing = (SHARE_REPORTS, SHARE_DASHBOARDS)
    return [RoleSpec(name, label, (VIEW,) + (sharing if name == "manager" else ())
                     + ((TAG_CUSTOMERS,) if name != "viewer" else ()))
            for name, label in
            (("manager", "Manager"), ("viewer", "Viewer"), ("sales", "Sales rep"))]


globals().update(_PARTS.forward("blueprints", "menu_items", "celery_tasks", "beat_schedule"))


@hookimpl
def crm_cli_commands() -> list[Any]:
    import click

    @click.group(help="Analytics: rollups of the facts other plugins describe.")
    def analytics() -> None:
        """The analytics commands (``crm analytics --help``)."""

    for command in _gather("cli_commands"):
        analytics.add_command(command)
    return [analytics]


# -- other plugins' events (optional: analytics works with any subset of plugins) ---------
# Each refreshes the rollups of the day the changed record counts on, for the sources that
# name the event (their ``events``); a record of today or later needs nothing (read live).


def _refresh(event: str, **arguments: Any) -> None:
    from crm_core.toolkit import get_session

    from .rollups import on_event

    on_event(get_session(), event, **arguments)


@hookimpl(optionalhook=True)
def crm_customer_panels(customer_id: int, user: Any) -> list[Any]:
    # the customer 360° page's "Customer value" panel (customers' hook)
    return _gather("customer_panels", customer_id, user)


@hookimpl(optionalhook=True)
def order_confirmed(order_id: int) -> None:
    _refresh("order_confirmed", order_id=order_id)


@hookimpl(optionalhook=True)
def order_cancelled(order_id: int) -> None:
    _refresh("order_cancelled", order_id=order_id)


@hookimpl(optionalhook=True)
def ticket_resolved(ticket_id: int) -> None:
    _refresh("ticket_resolved", ticket_id=ticket_id)


@hookimpl(optionalhook=True)
def ticket_reopened(ticket_id: int) -> None:
    _refresh("ticket_reopened", ticket_id=ticket_id)


@hookimpl(optionalhook=True)
def customer_deleted(customer_id: int) -> None:
    _refresh("customer_deleted", customer_id=customer_id)


@hookimpl(optionalhook=True)
def customer_restored(customer_id: int) -> None:
    _refresh("customer_restored", customer_id=customer_id)
