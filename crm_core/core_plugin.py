"""The kernel registers its own models, routes and permissions through the platform hooks."""

from __future__ import annotations

from typing import Any

from .api.cli import tokens as tokens_cli
from .api.models import ApiToken
from .api.views import MENU_ITEMS as API_MENU
from .api.views import bp as api_bp
from .approvals.admin import MENU_ITEMS as APPROVALS_ADMIN_MENU
from .approvals.admin import bp as approvals_admin_bp
from .approvals.api import bp as approvals_api_bp
from .approvals.events import notification_kinds as approval_notification_kinds
from .approvals.models import (
    Approval,
    ApprovalDefinition,
    ApprovalDefinitionStep,
    ApprovalStep,
    ApprovalVote,
)
from .approvals.reminders import send_reminders as send_approval_reminders
from .approvals.views import MENU_ITEMS as APPROVALS_MENU
from .approvals.views import bp as approvals_bp
from .audit.cli import audit as audit_cli
from .audit.models import AuditEntry
from .audit.views import MENU_ITEMS as AUDIT_MENU
from .audit.views import bp as audit_bp
from .auth.cli import users as users_cli
from .auth.models import AuthSession, LoginAttempt, User
from .auth.preferences import bp as account_bp
from .auth.views import bp as auth_bp
from .backup.cli import backup as backup_cli
from .backup.tasks import BACKUP_SCHEDULE, BACKUP_TASKS
from .crypto.cli import keys as keys_cli
from .crypto.keyring import check_settings as check_key_settings
from .crypto.keyring import serve_dialect
from .crypto.rotation import rotate_job as keys_rotate_job
from .custom_fields.admin import MENU_ITEMS as CUSTOM_FIELDS_MENU
from .custom_fields.admin import PERMISSIONS as CUSTOM_FIELDS_PERMISSIONS
from .custom_fields.admin import bp as custom_fields_bp
from .custom_fields.api import bp as custom_fields_api_bp
from .custom_fields.models import CustomField
from .docs_cli import docs as docs_cli
from .files.access import FILE_PERMISSIONS, FILE_ROLES
from .files.api import bp as files_api_bp
from .files.models import Attachment
from .files.views import bp as files_bp
from .health import bp as health_bp
from .help.manual import kernel_help_pages
from .help.views import bp as help_bp
from .hookspecs import hookimpl
from .i18n_cli import i18n as i18n_cli
from .imports.jobs import celery_tasks as import_tasks
from .imports.models import ImportRecord, ImportTemplate, TabularImport
from .imports.views import bp as imports_bp
from .jobs.models import Job
from .jobs.service import resend_jobs
from .jobs.views import bp as jobs_bp
from .metrics.views import bp as metrics_bp
from .notifications.builtin import KERNEL_CHANNELS as NOTIFICATION_CHANNELS
from .notifications.builtin import KERNEL_KINDS as NOTIFICATION_KINDS
from .notifications.models import Notification, NotificationPreference
from .notifications.views import bp as notifications_bp
from .numbering.models import NumberSeries
from .outbox.channels import build_registry as build_outbox_channels
from .outbox.cli import mail as mail_cli
from .outbox.cli import outbox as outbox_cli
from .outbox.mail import MAIL_CHANNEL
from .outbox.models import OutboxMessage
from .outbox.settings import check_settings as check_outbox_settings
from .outbox.tasks import SCHEDULE as OUTBOX_SCHEDULE
from .outbox.tasks import TASKS as OUTBOX_TASKS
from .outbox.views import MENU_ITEMS as OUTBOX_MENU
from .outbox.views import PERMISSIONS as OUTBOX_PERMISSIONS
from .outbox.views import bp as outbox_bp
from .privacy import kernel_data as privacy_kernel
from .privacy.cli import privacy as privacy_cli
from .privacy.models import PrivacyErasure, PrivacySuppression
from .privacy.views import MENU_ITEMS as PRIVACY_MENU
from .privacy.views import PERMISSIONS as PRIVACY_PERMISSIONS
from .privacy.views import bp as privacy_bp
from .rbac.models import Department, Role, RolePermission, RoleScope, UserRole
from .rbac.models import Permission as PermissionRow
from .rbac.modules import MENU_ITEMS as MODULES_MENU
from .rbac.modules import PERMISSIONS as MODULES_PERMISSIONS
from .rbac.modules import bp as modules_bp
from .rbac.service import KERNEL_PERMISSIONS, KERNEL_ROLES
from .rbac.views import MENU_ITEMS as ADMIN_MENU
from .rbac.views import bp as admin_bp
from .registry import MenuItem, Permission, RoleSpec, ScheduleEntry, TaskSpec
from .resources.indexes import resources_group as resources_cli
from .resources.saved_views import SavedView
from .scaffold.cli import plugin as scaffold_cli
from .sensitive.views import bp as sensitive_bp
from .settings_store.models import Setting
from .ui.search import bp as search_bp
from .ui.views import bp as ui_bp


@hookimpl
def crm_models() -> list[type]:
    return [User, Job, Department, PermissionRow, Role, RolePermission, UserRole, RoleScope,
            AuditEntry, ApiToken, LoginAttempt, AuthSession, Attachment,
            ApprovalDefinition, ApprovalDefinitionStep, Approval, ApprovalStep, ApprovalVote,
            Notification, NotificationPreference, SavedView, OutboxMessage,
            PrivacyErasure, PrivacySuppression,
            TabularImport, ImportRecord, ImportTemplate, NumberSeries, Setting, CustomField]


@hookimpl
def crm_blueprints() -> list[Any]:
    return [health_bp, auth_bp, account_bp, ui_bp, search_bp, jobs_bp, admin_bp, audit_bp, api_bp,
            files_bp, files_api_bp, privacy_bp,
            approvals_bp, approvals_admin_bp, approvals_api_bp,
            notifications_bp, outbox_bp, modules_bp, imports_bp, metrics_bp, help_bp,
            sensitive_bp, custom_fields_bp, custom_fields_api_bp]


@hookimpl
def crm_help_pages() -> list[Any]:
    return kernel_help_pages()


@hookimpl
def crm_permissions() -> list[Permission]:
    return [*KERNEL_PERMISSIONS, *FILE_PERMISSIONS, *OUTBOX_PERMISSIONS, *MODULES_PERMISSIONS,
            *PRIVACY_PERMISSIONS, *CUSTOM_FIELDS_PERMISSIONS]


@hookimpl
def crm_roles() -> list[RoleSpec]:
    return [*KERNEL_ROLES, *FILE_ROLES]


@hookimpl
def crm_menu_items() -> list[MenuItem]:
    return [*ADMIN_MENU, *AUDIT_MENU, *API_MENU, *APPROVALS_MENU, *APPROVALS_ADMIN_MENU,
            *OUTBOX_MENU, *MODULES_MENU, *PRIVACY_MENU, *CUSTOM_FIELDS_MENU]


@hookimpl
def crm_cli_commands() -> list[Any]:
    return [users_cli, audit_cli, tokens_cli, i18n_cli, docs_cli, outbox_cli, mail_cli,
            scaffold_cli, resources_cli, backup_cli, privacy_cli, keys_cli]


@hookimpl
def crm_notification_kinds() -> list[Any]:
    return [*NOTIFICATION_KINDS, *approval_notification_kinds()]


@hookimpl
def crm_notification_channels() -> list[Any]:
    return list(NOTIFICATION_CHANNELS)


@hookimpl
def crm_celery_tasks() -> list[TaskSpec]:
    return [TaskSpec("approvals_remind", send_approval_reminders), *OUTBOX_TASKS,
            *import_tasks(), *BACKUP_TASKS, TaskSpec("jobs_resend", resend_jobs),
            TaskSpec("keys_rotate", keys_rotate_job, job=True)]


@hookimpl
def crm_beat_schedule() -> list[ScheduleEntry]:
    return [ScheduleEntry("approvals-remind", "approvals_remind", seconds=900),
            *OUTBOX_SCHEDULE, *BACKUP_SCHEDULE,
            # jobs a broker outage or restart lost (jobs.service.resend_jobs)
            ScheduleEntry("jobs-resend", "jobs_resend", seconds=60)]


@hookimpl
def crm_outbox_channels() -> list[Any]:
    return [MAIL_CHANNEL]


@hookimpl
def crm_startup(app: Any) -> None:
    check_key_settings(app.config)
    serve_dialect(app.extensions["crm_db"].engine.dialect, app.config)
    check_outbox_settings(app)
    build_outbox_channels(app)


@hookimpl
def crm_privacy_export(person: Any, session: Any) -> dict[str, list[dict[str, Any]]]:
    return privacy_kernel.export(person, session)


@hookimpl
def crm_privacy_erase(person: Any, erasure: Any, session: Any) -> dict[str, int]:
    return privacy_kernel.erase(person, erasure, session)
