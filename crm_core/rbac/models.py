"""The tables the seed names for system management: Role, Permission, UserRole,
RolePermission, plus Department (a tree) and per-role data scopes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Model, TimestampMixin

SCOPES = ("own", "department", "all")


class Department(TimestampMixin, Model):
    """A unit of the organisation; ``path`` ("/1/4/") makes a whole subtree one LIKE query."""

    __tablename__ = "core_department"
    __audit_label__ = _l("Department")  # how the operation log names it

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_department.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(500), default="/", index=True)
    # who decides "department head" approval steps (approvals/service.py)
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL", use_alter=True), index=True)


class Permission(TimestampMixin, Model):
    """A permission declared by a plugin (``customers.customer.view``), synced add-only."""

    __tablename__ = "core_permission"
    __audit_label__ = _l("Permission")  # how the operation log names it

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    group: Mapped[str] = mapped_column(String(100), default="")
    plugin: Mapped[str] = mapped_column(String(80), default="", index=True)


class Role(TimestampMixin, Model):
    """A named set of permissions and data scopes; ``builtin`` roles come from plugins."""

    __tablename__ = "core_role"
    __audit_label__ = _l("Role")  # how the operation log names it

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class RolePermission(Model):
    """Grants one permission to one role."""

    __tablename__ = "core_role_permission"
    __audit_label__ = _l("Permission of a role")  # how the operation log names it

    role_id: Mapped[int] = mapped_column(
        ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True)
    permission_id: Mapped[int] = mapped_column(
        ForeignKey("core_permission.id", ondelete="CASCADE"), primary_key=True, index=True)


class UserRole(Model):
    """Gives one role to one user."""

    __tablename__ = "core_user_role"
    __audit_label__ = _l("Role of a user")  # how the operation log names it

    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True, index=True)


class RoleScope(Model):
    """How far a role sees records of one kind (``customers.customer``; ``*`` for any kind)."""

    __tablename__ = "core_role_scope"
    __audit_label__ = _l("Data scope of a role")  # how the operation log names it

    role_id: Mapped[int] = mapped_column(
        ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(120), primary_key=True)
    scope: Mapped[str] = mapped_column(String(12), default="own")

    __audit_labels__ = {"kind": _l("Kind of records"), "scope": _l("Data scope")}
