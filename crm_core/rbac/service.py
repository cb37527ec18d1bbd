"""Permissions and roles in the database: sync (add-only), grants, a user's permissions.

``sync_permissions`` runs at deploy time (``crm db upgrade``, ``crm sync-permissions``), never
when a worker boots. It only ever adds: a permission seen for the first time is granted to the
roles whose defaults name it; a role seen for the first time gets all its default grants. A
grant an administrator removed is never put back. Every insert is ``ON CONFLICT DO NOTHING``,
so two syncs running at once are safe.

The admin pages edit roles through the functions below the sync: custom roles, their
permission grants (the matrix) and their data scope per record kind.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..errors import DomainError
from ..registry import Permission as PermissionSpec
from ..registry import RoleSpec
from .models import SCOPES, Permission, Role, RolePermission, RoleScope, UserRole


def N_(message: str) -> str:
    """Mark ``message`` for translation; the role pages translate labels when they show them."""
    return message


GROUP = N_("System")
KERNEL_PERMISSIONS = [
    PermissionSpec("core.job.view", N_("View own background jobs"), GROUP),
    PermissionSpec("core.user.manage", N_("Manage users"), GROUP),
    PermissionSpec("core.role.manage", N_("Manage roles and permissions"), GROUP),
    PermissionSpec("core.department.manage", N_("Manage departments"), GROUP),
    # Entries within one's data scope and department (audit.visibility) ...
    PermissionSpec("core.audit.view", N_("View the operation log"), GROUP),
    # ... or every entry: no default role but the administrator's ("*") holds it.
    PermissionSpec("core.audit.view_all", N_("View the whole operation log"), GROUP),
    PermissionSpec("core.token.manage", N_("Create own API tokens"), GROUP),
    PermissionSpec("core.approvals.decide", N_("Decide approvals and withdraw own requests"),
                   GROUP),
    PermissionSpec("core.approvals.view_all", N_("View every approval"), GROUP),
    PermissionSpec("core.approvals.manage", N_("Manage approval definitions"), GROUP),
]

KERNEL_ROLES = [
    RoleSpec("admin", N_("Administrator"), ("*",), {"*": "all"},
             N_("Everything, including users, roles and the operation log.")),
    RoleSpec("manager", N_("Manager"), ("core.job.view", "core.token.manage", "core.audit.view"),
             {"*": "department"}, N_("Leads a department: sees its records.")),
    RoleSpec("sales", N_("Sales rep"), ("core.job.view", "core.token.manage"), {"*": "own"},
             N_("Works their own customers and deals.")),
    RoleSpec("service", N_("Service agent"), ("core.job.view", "core.token.manage"), {"*": "own"},
             N_("Handles service requests and tickets.")),
    RoleSpec("marketing", N_("Marketer"), ("core.job.view", "core.token.manage"), {"*": "all"},
             N_("Plans and evaluates campaigns.")),
    RoleSpec("viewer", N_("Viewer"), ("core.job.view",), {"*": "department"},
             N_("Reads, never writes.")),
]
# Everyone who works takes part in approvals; a viewer reads, never decides.
KERNEL_ROLES += [RoleSpec(name, label, ("core.approvals.decide",)) for name, label in (
    ("manager", N_("Manager")), ("sales", N_("Sales rep")), ("service", N_("Service agent")),
    ("marketing", N_("Marketer")))]


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
    # What exists is read first: on PostgreSQL an ON CONFLICT DO NOTHING insert reports
    # rowcount -1 whether or not it added the row, which made every permission look new and
    # put back grants an administrator had taken away. The ON CONFLICT stays for a
    # concurrent sync (its extra grant attempts then conflict harmlessly).
    known_permissions = set(session.scalars(select(Permission.name)))
    known_roles = set(session.scalars(select(Role.name)))
    for spec in permissions:
        if spec.name in known_permissions:
            continue
        session.execute(_insert(session, Permission).values(
            name=spec.name, label=str(spec.label), group=str(spec.group),
            plugin=plugin_of.get(spec.name, "core")).on_conflict_do_nothing(
            index_elements=["name"]))
        report.permissions.append(spec.name)
    for spec in roles.values():
        for kind, scope in spec.scopes.items():
            if scope not in SCOPES:
                raise ValueError(f"role {spec.name!r}: scope {scope!r} for {kind!r} is not one "
                                 f"of {', '.join(SCOPES)}")
        if spec.name in known_roles:
            continue
        session.execute(_insert(session, Role).values(
            name=spec.name, label=spec.label, description=spec.description,
            builtin=True).on_conflict_do_nothing(index_elements=["name"]))
        report.roles.append(spec.name)
    session.flush()

    role_ids = dict(session.execute(select(Role.name, Role.id)).all())
    permission_ids = dict(session.execute(select(Permission.name, Permission.id)).all())
    new_permissions = set(report.permissions)
    granted = {(role_id, permission_id) for role_id, permission_id in session.execute(
        select(RolePermission.role_id, RolePermission.permission_id))}
    for spec in roles.values():
        role_is_new = spec.name in report.roles
        for name, permission_id in permission_ids.items():
            if ((role_is_new or name in new_permissions) and _granted(spec, name)
                    and (role_ids[spec.name], permission_id) not in granted):
                session.execute(_insert(session, RolePermission).values(
                    role_id=role_ids[spec.name], permission_id=permission_id
                ).on_conflict_do_nothing())
                report.grants.append((spec.name, name))
        # a scope for a kind the role has no row for yet is added; an existing row (perhaps
        # changed by an administrator) is left as it is
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


def users_with_permission(session: Session, permission: str) -> list[Any]:
    """The active users who hold ``permission`` (through a role, or as superusers), by
    user name: whom a plugin tells about something only they may act on (with
    ``toolkit.notify``). Disabled users are left out; an unknown permission gives the
    superusers only."""
    from ..auth.models import User

    holders = (select(UserRole.user_id)
               .join(RolePermission, RolePermission.role_id == UserRole.role_id)
               .join(Permission, Permission.id == RolePermission.permission_id)
               .where(Permission.name == permission))
    return list(session.scalars(
        select(User).where(User.is_active.is_(True),
                           (User.is_superuser.is_(True)) | User.id.in_(holders))
        .order_by(User.username)))


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
        raise DomainError(_("Unknown role: %(names)s.", names=", ".join(unknown)))
    current = set(session.scalars(select(UserRole.role_id).where(UserRole.user_id == user_id)))
    wanted = set(roles.values())
    for role_id in current - wanted:
        session.delete(session.get(UserRole, (user_id, role_id)))
    for role_id in wanted - current:
        session.add(UserRole(user_id=user_id, role_id=role_id))
    session.flush()


# -- roles as the admin pages edit them ----------------------------------------------------

ROLE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,79}$")


class FieldError(DomainError):
    """A refused value that belongs to one form field (``field`` names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def get_role(session: Session, role_id: int) -> Role:
    """The role with this id; DomainError when there is none."""
    role = session.get(Role, role_id)
    if role is None:
        raise DomainError(_("That role does not exist (any more)."))
    return role


def _clean_label(label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise FieldError("label", _("A role needs a label."))
    if len(label) > 120:
        raise FieldError("label", _("A role label has at most 120 characters."))
    return label


def create_role(session: Session, name: str, label: str, description: str = "") -> Role:
    """Add a custom role (not built-in) with no permissions; scope ``own`` for every kind."""
    name = (name or "").strip().lower()
    if not ROLE_NAME.match(name):
        raise FieldError("name", _("A role name has 2 to 80 characters: lower-case letters, "
                                   "digits, “_”, “.” or “-”, starting with a letter."))
    if session.scalar(select(Role.id).where(Role.name == name)) is not None:
        raise FieldError("name", _("The role name %(name)s is already taken.", name=name))
    role = Role(name=name, label=_clean_label(label), description=(description or "")[:500],
                builtin=False)
    session.add(role)
    session.flush()
    session.add(RoleScope(role_id=role.id, kind="*", scope="own"))
    session.flush()
    return role


def update_role(session: Session, role_id: int, label: str, description: str = "") -> Role:
    """Change a role's label and description (its name never changes)."""
    role = get_role(session, role_id)
    role.label = _clean_label(label)
    role.description = (description or "")[:500]
    session.flush()
    return role


def role_user_counts(session: Session) -> dict[int, int]:
    """How many users hold each role, by role id (roles nobody holds are left out)."""
    return dict(session.execute(select(UserRole.role_id, func.count(UserRole.user_id))
                                .group_by(UserRole.role_id)).all())


def delete_role(session: Session, role_id: int) -> None:
    """Delete a custom role nobody holds; built-in roles are never deleted."""
    role = get_role(session, role_id)
    if role.builtin:
        raise DomainError(_("%(label)s is a built-in role and cannot be deleted.",
                            label=role.label or role.name))
    holders = session.scalar(select(func.count(UserRole.user_id))
                             .where(UserRole.role_id == role.id)) or 0
    if holders:
        raise DomainError(_("%(n)d users still have the role %(label)s; give them another role "
                            "first.", n=holders, label=role.label or role.name))
    # Delete the grants and scopes row by row (not by ON DELETE CASCADE) so the operation
    # log shows what the role held.
    for row in [*session.scalars(select(RolePermission).where(RolePermission.role_id == role.id)),
                *session.scalars(select(RoleScope).where(RoleScope.role_id == role.id))]:
        session.delete(row)
    session.flush()
    session.delete(role)
    session.flush()


def role_permission_names(session: Session, role_id: int) -> set[str]:
    """The names of the permissions granted to the role."""
    return set(session.scalars(
        select(Permission.name).join(RolePermission, RolePermission.permission_id == Permission.id)
        .where(RolePermission.role_id == role_id)))


def set_role_permissions(session: Session, role_id: int, granted: set[str],
                         among: set[str] | None = None) -> tuple[set[str], set[str]]:
    """Make the role hold exactly ``granted`` out of ``among`` (default: every permission).

    Grants outside ``among`` (a disabled plugin's) are left alone. Returns the names added
    and the names removed.
    """
    role = get_role(session, role_id)
    ids = dict(session.execute(select(Permission.name, Permission.id)).all())
    unknown = sorted(set(granted) - set(ids))
    if unknown:
        raise DomainError(_("Unknown permission: %(names)s.", names=", ".join(unknown)))
    among = set(ids) if among is None else among & set(ids)
    current = role_permission_names(session, role.id) & among
    wanted = set(granted) & among
    for name in current - wanted:
        session.delete(session.get(RolePermission, (role.id, ids[name])))
    for name in sorted(wanted - current):
        session.add(RolePermission(role_id=role.id, permission_id=ids[name]))
    session.flush()
    return wanted - current, current - wanted


def role_scopes(session: Session, role_id: int) -> dict[str, str]:
    """The role's data scope per record kind (``*``: every kind without its own entry)."""
    return dict(session.execute(select(RoleScope.kind, RoleScope.scope)
                                .where(RoleScope.role_id == role_id)).all())


def set_role_scopes(session: Session, role_id: int, scopes: dict[str, str | None]) -> None:
    """Set the role's scope per kind; None or "" for a kind other than ``*`` removes its
    entry, so the ``*`` scope applies to it."""
    role = get_role(session, role_id)
    current = {row.kind: row for row in session.scalars(
        select(RoleScope).where(RoleScope.role_id == role.id))}
    for kind, scope in scopes.items():
        if kind == "*" and not scope:
            scope = "own"
        if scope and scope not in SCOPES:
            raise DomainError(_("%(scope)s is not a data scope (own, department or all).",
                                scope=scope))
        row = current.get(kind)
        if not scope:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(RoleScope(role_id=role.id, kind=kind, scope=scope))
        elif row.scope != scope:
            row.scope = scope
    session.flush()


def permission_matrix(session: Session, enabled: set[str] | None = None
                      ) -> dict[str, dict[str, list[Permission]]]:
    """Permissions grouped by plugin, then by group, each sorted by name.

    ``enabled`` limits the matrix to these names (the running app's permissions).
    """
    matrix: dict[str, dict[str, list[Permission]]] = {}
    for permission in session.scalars(select(Permission).order_by(
            Permission.plugin, Permission.group, Permission.name)):
        if enabled is not None and permission.name not in enabled:
            continue
        matrix.setdefault(permission.plugin, {}).setdefault(permission.group, []).append(
            permission)
    return matrix
