"""Permissions and roles in the database: sync (add-only), grants, a user's permissions.

``sync_permissions`` runs at deploy time (``crm db upgrade``, ``crm sync-permissions``), never
when a worker boots. It only ever adds: a permission seen for the first time is granted to the
roles whose defaults name it; a role seen for the first time gets all its default grants. A
grant an administrator removed is never put back. Every insert is ``ON CONFLICT DO NOTHING``,
so two syncs running at once are safe.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..errors import DomainError
from ..registry import Permission as PermissionSpec
from ..registry import RoleSpec
from .models import SCOPES, Permission, Role, RolePermission, RoleScope, UserRole

KERNEL_PERMISSIONS = [
    PermissionSpec("core.job.view", "View own background jobs", "System"),
    PermissionSpec("core.user.manage", "Manage users", "System"),
    PermissionSpec("core.role.manage", "Manage roles and permissions", "System"),
    PermissionSpec("core.department.manage", "Manage departments", "System"),
    PermissionSpec("core.audit.view", "View the operation log", "System"),
    PermissionSpec("core.token.manage", "Create own API tokens", "System"),
]

KERNEL_ROLES = [
    RoleSpec("admin", "Administrator", ("*",), {"*": "all"},
             "Everything, including users, roles and the operation log."),
    RoleSpec("manager", "Manager", ("core.job.view", "core.token.manage", "core.audit.view"),
             {"*": "department"}, "Leads a department: sees its records."),
    RoleSpec("sales", "Sales rep", ("core.job.view", "core.token.manage"), {"*": "own"},
             "Works their own customers and deals."),
    RoleSpec("service", "Service agent", ("core.job.view", "core.token.manage"), {"*": "own"},
             "Handles service requests and tickets."),
    RoleSpec("marketing", "Marketer", ("core.job.view", "core.token.manage"), {"*": "all"},
             "Plans and evaluates campaigns."),
    RoleSpec("viewer", "Viewer", ("core.job.view",), {"*": "department"}, "Reads, never writes."),
]


@dataclass
class SyncReport:
    """What a sync added."""

    permissions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    grants: list[tuple[str, str]] = field(default_factory=list)


def _insert(session: Session, model: type) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def merged_roles(specs: list[tuple[str, RoleSpec]]) -> dict[str, RoleSpec]:
    """Role specs by name, the grants and scopes of every plugin naming a role combined."""
    merged: dict[str, RoleSpec] = {}
    for _plugin, spec in specs:
        if spec.name in merged:
            old = merged[spec.name]
            merged[spec.name] = RoleSpec(
                old.name, old.label, old.permissions + spec.permissions,
                {**old.scopes, **{k: v for k, v in spec.scopes.items() if k not in old.scopes}},
                old.description or spec.description)
        else:
            merged[spec.name] = spec
    return merged


def _granted(spec: RoleSpec, permission: str) -> bool:
    return any(fnmatch.fnmatchcase(permission, pattern) for pattern in spec.permissions)


def sync_permissions(session: Session, permissions: list[PermissionSpec],
                     roles: dict[str, RoleSpec], plugin_of: dict[str, str]) -> SyncReport:
    """Add new permissions, roles and their default grants (add-only, idempotent)."""
    report = SyncReport()
    for spec in permissions:
        result = session.execute(_insert(session, Permission).values(
            name=spec.name, label=spec.label, group=spec.group,
            plugin=plugin_of.get(spec.name, "core")).on_conflict_do_nothing(
            index_elements=["name"]))
        if result.rowcount:
            report.permissions.append(spec.name)
    for spec in roles.values():
        for kind, scope in spec.scopes.items():
            if scope not in SCOPES:
                raise ValueError(f"role {spec.name!r}: scope {scope!r} for {kind!r} is not one "
                                 f"of {', '.join(SCOPES)}")
        result = session.execute(_insert(session, Role).values(
            name=spec.name, label=spec.label, description=spec.description,
            builtin=True).on_conflict_do_nothing(index_elements=["name"]))
        if result.rowcount:
            report.roles.append(spec.name)
    session.flush()

    role_ids = dict(session.execute(select(Role.name, Role.id)).all())
    permission_ids = dict(session.execute(select(Permission.name, Permission.id)).all())
    new_permissions = set(report.permissions)
    for spec in roles.values():
        role_is_new = spec.name in report.roles
        for name, permission_id in permission_ids.items():
            if (role_is_new or name in new_permissions) and _granted(spec, name):
                result = session.execute(_insert(session, RolePermission).values(
                    role_id=role_ids[spec.name], permission_id=permission_id
                ).on_conflict_do_nothing())
                if result.rowcount:
                    report.grants.append((spec.name, name))
        if role_is_new:
            for kind, scope in spec.scopes.items():
                session.execute(_insert(session, RoleScope).values(
                    role_id=role_ids[spec.name], kind=kind, scope=scope
                ).on_conflict_do_nothing())
    return report


def sync_from_platform(session: Session, platform: Any) -> SyncReport:
    """``sync_permissions`` with everything the kernel and the enabled plugins declare."""
    specs = [spec for _plugin, spec in platform.permissions.values()]
    plugin_of = {name: plugin for name, (plugin, _spec) in platform.permissions.items()}
    return sync_permissions(session, specs, merged_roles(platform.roles), plugin_of)


def user_permission_names(session: Session, user_id: int) -> frozenset[str]:
    """The names of every permission granted to the user through their roles."""
    rows = session.scalars(
        select(Permission.name)
        .join(RolePermission, RolePermission.permission_id == Permission.id)
        .join(UserRole, UserRole.role_id == RolePermission.role_id)
        .where(UserRole.user_id == user_id))
    return frozenset(rows)


def user_role_names(session: Session, user_id: int) -> list[str]:
    """The names of the user's roles, sorted."""
    return sorted(session.scalars(
        select(Role.name).join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id)))


def assign_roles(session: Session, user_id: int, role_names: list[str]) -> None:
    """Give the user exactly these roles; raises DomainError naming an unknown role."""
    roles = dict(session.execute(select(Role.name, Role.id).where(
        Role.name.in_(role_names))).all())
    unknown = sorted(set(role_names) - set(roles))
    if unknown:
        raise DomainError(f"Unknown role: {', '.join(unknown)}.")
    current = set(session.scalars(select(UserRole.role_id).where(UserRole.user_id == user_id)))
    wanted = set(roles.values())
    for role_id in current - wanted:
        session.delete(session.get(UserRole, (user_id, role_id)))
    for role_id in wanted - current:
        session.add(UserRole(user_id=user_id, role_id=role_id))
    session.flush()
