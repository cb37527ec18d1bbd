"""Customers: metadata and hook implementations (thin: they name what the plugin offers)."""

from __future__ import annotations

from typing import Any

from crm_core.toolkit import Permission, PluginInfo, RoleSpec, hookimpl


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


PLUGIN = PluginInfo(
    name="customers",
    version="0.1.0",
    title="Customers",
    description="Customer records, contacts, classification and tags, import and export.",
    requires=(),
)

GROUP = N_("Customers")
CUSTOMER_VIEW = "customers.customer.view"
CUSTOMER_PERMISSIONS = (
    Permission(CUSTOMER_VIEW, N_("View customers"), GROUP),
    Permission("customers.customer.create", N_("Add customers"), GROUP),
    Permission("customers.customer.edit", N_("Edit customers"), GROUP),
    Permission("customers.customer.delete", N_("Delete and restore customers"), GROUP),
    Permission("customers.customer.export", N_("Export customers"), GROUP),
    Permission("customers.customer.import", N_("Import customers"), GROUP),
    Permission("customers.customer.merge", N_("Merge duplicate customers"), GROUP),
)


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
        RoleSpec("sales", "Sales rep", (CUSTOMER_VIEW, "customers.customer.create",
                                        "customers.customer.edit")),
        RoleSpec("service", "Service agent", (CUSTOMER_VIEW,)),
        RoleSpec("marketing", "Marketer", (CUSTOMER_VIEW, "customers.customer.export")),
        RoleSpec("viewer", "Viewer", (CUSTOMER_VIEW,)),
    ]
