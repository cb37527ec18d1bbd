"""Customer service: metadata and hook implementations (thin: they name what the plugin
offers).

The features live in sub-packages (requests, tickets, teams, policies, customer; see
docs/service.md). The modules named
in ``PARTS`` are its *parts*, as in the sales plugin: a part offers what it has through plain
module-level functions named like the kernel hook minus ``crm_`` (``resources()``,
``blueprints()``, ``menu_items()``, ``permissions()``...).
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import Permission, PluginInfo, PluginParts, RoleSpec, hookimpl
from plugins.customers import hookspecs as customer_hooks

from .permissions import EXTRA_PERMISSIONS, N_

PLUGIN = PluginInfo(
    name="service",
    version="0.1.0",
    title=N_("Customer service"),
    description=N_("Inquiries, complaints and suggestions, tickets with SLA targets on the "
                   "working calendar."),
    requires=("customers",),
)

# Each part's module; imported when the app asks the hooks (never at plugin discovery).
PARTS: tuple[str, ...] = ("requests.resource", "requests.quick", "tickets.resource",
                          "tickets.api", "tickets.views", "tickets.merge", "tickets.sweep",
                          "teams.resource", "policies.resource", "customer.panels",
                          "customer.timeline", "widgets.widgets", "sla.days_off", "sla.settings",
                          "sla.closing", "widgets.performance", "aggregates.tickets",
                          "aggregates.surveys", "aggregates.rebuild", "assignment.services",
                          "assignment.resource", "assignment.routes", "thread.views",
                          "thread.panel", "thread.canned", "thread.sync", "public.resource",
                          "public.views", "surveys.views", "surveys.api", "surveys.evaluations",
                          "surveys.report", "surveys.alerts", "demo")
_PARTS = PluginParts(__package__, PARTS)

#: The records an agent works with (each a Resource with view/create/edit/delete/export).
WORKED = ("request", "ticket")
#: How far each role sees them: a service agent sees their team's (department's) records
#: and the tickets assigned to them.
SCOPES = {"service.request": "department", "service.ticket": "department"}


def _gather(offer: str, *args: Any) -> list[Any]:
    return _PARTS.gather(offer, *args)


def _grants(objects: tuple[str, ...], actions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"service.{name}.{action}" for name in objects for action in actions)


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
    return [*EXTRA_PERMISSIONS, *_gather("permissions")]


@hookimpl
def crm_roles() -> list[RoleSpec]:
    # Adds to the kernel's roles of the same names (admin holds "*"). The sync adds a scope
    # for a kind a role has no row for, so existing installs get the agents' team scope too.
    # teams and SLA policies are every department's settings: the administrator's ("*")
    everything = _grants(WORKED, ("view", "create", "edit", "delete", "export"))
    agent = _grants(WORKED, ("view", "create", "edit"))
    read = _grants(WORKED, ("view",))
    # canned replies: every department's texts, kept by managers (thread.canned)
    # internal service evaluations of tickets: managers' (surveys.evaluations)
    return [RoleSpec("manager", "Manager", (*everything, "service.canned_reply.manage",
                                            "service.evaluation.create")),
            RoleSpec("service", "Service agent", agent, SCOPES),
            RoleSpec("viewer", "Viewer", read)]


globals().update(_PARTS.forward(
    "demo_data", "resources", "blueprints", "menu_items", "attachment_kinds", "report_widgets",
    "celery_tasks", "beat_schedule", "notification_kinds"))


@hookimpl
def crm_cli_commands() -> list[Any]:
    import click

    @click.group(help="Service: requests, tickets and their service levels.")
    def service() -> None:
        """The service commands (``crm service --help``)."""

    for command in _gather("cli_commands"):
        service.add_command(command)
    return [service]


# -- the plugin's own events ------------------------------------------------------------


@hookimpl
def ticket_resolved(ticket_id: int) -> None:
    """A resolved ticket sends its customer a satisfaction survey (surveys.services)."""
    from crm_core.toolkit import get_session

    from .surveys.services import send_survey

    send_survey(get_session(), ticket_id)


# -- customers' hooks ---------------------------------------------------------------------


@hookimpl
def crm_customer_flag_kinds() -> dict[str, Any]:
    from .customer.flags import customer_flag_kinds

    return customer_flag_kinds()


# -- analytics' hook (optional: this plugin works without analytics) ----------------------


@hookimpl(optionalhook=True)
def crm_analytics_sources() -> list[dict[str, Any]]:
    from .analytics_facts import analytics_sources

    return analytics_sources()


# -- kernel hooks one module answers (personal data requests: PIPL, see privacy.py) -------

globals().update(_PARTS.answer("privacy", privacy_locate="locate", privacy_export="export",
                               privacy_erase="erase"))
globals().update(_PARTS.answer("requests.sensitive", sensitive_fields="sensitive_fields"))


# -- the customers plugin's hooks (the 360° page) --------------------------------------

globals().update(_PARTS.forward("customer_panels", "customer_timeline", specs=customer_hooks))
