"""The kernel registers its own models, routes and permissions through the platform hooks."""

from __future__ import annotations

from typing import Any

import pluggy

from .api.cli import tokens as tokens_cli
from .api.models import ApiToken
from .api.views import MENU_ITEMS as API_MENU
from .api.views import bp as api_bp
from .audit.cli import audit as audit_cli
from .audit.models import AuditEntry
from .audit.views import MENU_ITEMS as AUDIT_MENU
from .audit.views import bp as audit_bp
from .auth.cli import users as users_cli
from .auth.models import AuthSession, LoginAttempt, User
from .auth.views import bp as auth_bp
from .health import bp as health_bp
from .i18n_cli import i18n as i18n_cli
from .jobs.models import Job
from .jobs.views import bp as jobs_bp
from .rbac.models import Department, Role, RolePermission, RoleScope, UserRole
from .rbac.models import Permission as PermissionRow
from .rbac.service import KERNEL_PERMISSIONS, KERNEL_ROLES
from .rbac.views import MENU_ITEMS as ADMIN_MENU
from .rbac.views import bp as admin_bp
from .registry import MenuItem, Permission, RoleSpec
from .ui.search import bp as search_bp
from .ui.views import bp as ui_bp

hookimpl = pluggy.HookimplMarker("crm")


@hookimpl
def crm_models() -> list[type]:
    return [User, Job, Department, PermissionRow, Role, RolePermission, UserRole, RoleScope,
            AuditEntry, ApiToken, LoginAttempt, AuthSession]


@hookimpl
def crm_blueprints() -> list[Any]:
    return [health_bp, auth_bp, ui_bp, search_bp, jobs_bp, admin_bp, audit_bp, api_bp]


@hookimpl
def crm_permissions() -> list[Permission]:
    return list(KERNEL_PERMISSIONS)


@hookimpl
def crm_roles() -> list[RoleSpec]:
    return list(KERNEL_ROLES)


@hookimpl
def crm_menu_items() -> list[MenuItem]:
    return [*ADMIN_MENU, *AUDIT_MENU, *API_MENU]


@hookimpl
def crm_cli_commands() -> list[Any]:
    return [users_cli, audit_cli, tokens_cli, i18n_cli]
