"""Customers: metadata and hook implementations (thin: they name what the plugin offers).

The plugin is big, so its features live in sub-packages (records, profile, listing, search,
contacts, importing, exporting, duplicates, classification, segments, api, demo; see
docs/customers.md). The modules named in ``PARTS`` are its *parts*: a part offers what it
has through plain module-level functions with the kernel hook's name minus
``crm_``: ``menu_items()``, ``report_widgets()``, ``celery_tasks()``, ``beat_schedule()``,
``cli_commands()`` (commands for the ``crm customers`` group), ``search(query, user,
limit)``, ``demo_data(size, session)``. Routes go on the shared blueprint in
``blueprint.py``. The hooks below only gather them, so adding a feature never touches
another feature's module.
"""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import AttachmentKind, Permission, PluginInfo, PluginParts, RoleSpec, hookimpl

from .permissions import (  # noqa: F401  (re-exported for the hooks and tests)
    CUSTOMER_PERMISSIONS,
    CUSTOMER_VIEW,
    GROUP,
    IMPORT_PERMISSION,
    N_,
    SEGMENT_MANAGE,
    SEGMENT_SHARE,
)

PLUGIN = PluginInfo(
    name="customers",
    version="0.1.0",
    title="Customers",
    description="Customer records, contacts, classification and tags, import and export.",
    requires=(),
)

# Each part's module; imported when the app asks the hooks (never at plugin discovery).
PARTS = ("listing.views", "listing.bulk_views", "listing.totals", "listing.bulk_actions",
         "records.views", "profile.views",
         "profile.contact_records",
         "search.services", "importing.views", "exporting.views", "duplicates.services",
         "duplicates.views", "classification.services", "classification.views", "api.views",
         "demo.seed")
_PARTS = PluginParts(__package__, PARTS)


def _gather(offer: str, *args: Any) -> list[Any]:
    return _PARTS.gather(offer, *args)


@hookimpl
def crm_add_hookspecs(pm: Any) -> None:
    from . import hookspecs

    pm.add_hookspecs(hookspecs)


@hookimpl
def crm_models() -> list[type]:
    from .models import MODELS

    return list(MODELS)


@hookimpl
def crm_attachment_kinds() -> list[AttachmentKind]:
    from .models import Customer

    return [AttachmentKind("customers.customer", Customer, CUSTOMER_VIEW,
                           "customers.customer.edit", label=N_("Customer"))]


@hookimpl
def crm_permissions() -> list[Permission]:
    return [
        *CUSTOMER_PERMISSIONS,
        Permission("customers.tag.manage", N_("Manage customer tags"), GROUP),
        Permission("customers.type.manage", N_("Manage customer types"), GROUP),
    ]


@hookimpl
def crm_roles() -> list[RoleSpec]:
    # Adds to the kernel's roles of the same names (admin holds "*" already); how far each
    # sees customers comes from the role's data scope for "customers.customer" (or "*").
    every_customer_permission = tuple(permission.name for permission in CUSTOMER_PERMISSIONS)
    return [
        RoleSpec("manager", "Manager", every_customer_permission),
        # Reps import their own leads (as themselves: the rows are theirs, keys match only
        # customers in their scope); export stays a manager's (data leaving with staff).
        # An existing install gains the import grant through migration customers_0008.
        RoleSpec("sales", "Sales rep", (CUSTOMER_VIEW, "customers.customer.create",
                                        "customers.customer.edit", IMPORT_PERMISSION,
                                        SEGMENT_MANAGE)),
        # Agents answer whoever calls: they find every customer (view only, no edit grant),
        # while their own records keep their own scopes (service's, sales' stay "own").
        RoleSpec("service", "Service agent", (CUSTOMER_VIEW,), {"customers.customer": "all"}),
        RoleSpec("marketing", "Marketer", (CUSTOMER_VIEW, "customers.customer.export",
                                           SEGMENT_MANAGE, SEGMENT_SHARE)),
        RoleSpec("viewer", "Viewer", (CUSTOMER_VIEW,)),
    ]


@hookimpl
def crm_blueprints() -> list[Any]:
    from .blueprint import bp

    list(_PARTS.modules())  # importing a part adds its routes to the blueprint
    return [bp, *_gather("blueprints")]


globals().update(_PARTS.forward("search", "demo_data", "menu_items", "report_widgets",
                                "celery_tasks", "beat_schedule"))


@hookimpl
def crm_cli_commands() -> list[Any]:
    from .cli import customers

    for command in _gather("cli_commands"):
        customers.add_command(command)
    return [customers]


@hookimpl
def crm_import_specs() -> list[Any]:
    from .importing.specs import import_specs

    return import_specs()


@hookimpl
def crm_resources() -> list[Any]:
    from .classification import resources as settings_resources
    from .contacts import resource as contacts_resource

    return [*contacts_resource.resources(), *settings_resources.resources()]


# -- analytics' hook (optional: this plugin works without analytics) ----------------------


@hookimpl(optionalhook=True)
def crm_analytics_sources() -> list[dict[str, Any]]:
    from .analytics_facts import analytics_sources

    return analytics_sources()


@hookimpl(optionalhook=True)
def crm_analytics_apply_tag(customer_ids: list[int], tag_name: str, user: Any) -> int:
    from .analytics_tags import analytics_apply_tag

    return analytics_apply_tag(customer_ids, tag_name, user)


# -- kernel hooks one module answers (personal data requests: PIPL, see privacy.py) -------

globals().update(_PARTS.answer("privacy", privacy_locate="locate", privacy_export="export",
                               privacy_erase="erase"))
globals().update(_PARTS.answer("records.masking", sensitive_fields="sensitive_fields"))
