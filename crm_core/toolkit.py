"""The one module a plugin imports from the kernel.

Everything a plugin needs is named here; the kernel can change behind it. Names listed in
``__all__`` are the stable plugin API (documented in docs/plugins.md, "Toolkit reference").
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from . import i18n as _i18n  # noqa: F401  (a plugin's _l(...) then remembers its domain)
from . import outbox, sensitive
from . import sqlfuncs as sql
from .api.endpoint import api_endpoint
from .api.pagination import (
    MAX_LIMIT,
    ListQuery,
    Page,
    PageError,
    decode_cursor,
    encode_cursor,
    page_of,
    paginate,
)
from .api.schemas import UtcDateTime
from .approvals.service import decide_from_provider, request_approval, withdraw_approval
from .approvals.types import ApprovalCondition, ApprovalResult, ApprovalSubject
from .audit.context import acting_as
from .audit.service import record_event, record_history
from .auth.permissions import public, require_permission
from .auth.timezones import to_user_time, user_timezone
from .auth.views import sign_in_user
from .crypto.cipher import KeyUnavailable
from .crypto.types import EncryptedString
from .crypto.types import index_for as blind_index_for
from .crypto.types import lookup as blind_lookup
from .custom_fields import kit as custom_fields
from .custom_fields.storage import add_custom_column, custom_column, drop_custom_column
from .db import (
    Model,
    TimestampMixin,
    db,
    get_session,
    model_for_table,
    scan_cache,
    stored_time,
    utcnow,
)
from .db_maintenance import analyze
from .db_totals import FlushTotals, bump_total
from .edge.budgets import over_budget
from .edge.ints import INT32_MAX, INT64_MAX, INT64_MIN, Id
from .edge.links import LinkExpired, LinkInvalid, read_link, sign_link
from .edge.marks import embeddable, upload_limit
from .edge.sealing import SealError, seal, unseal
from .errors import DomainError
from .events import emit
from .files import service as attachments
from .files.kinds import AttachmentKind
from .help.pages import HelpPage
from .hookspecs import hookimpl, hookspec
from .i18n import asked_language, in_every_language, page_language
from .imports.bulk import bulk_write, insert_many, log_batch
from .imports.cli import export_command, import_command
from .imports.export import write_table
from .imports.export_parts import can_split, write_csv_in_parts
from .imports.files import SeenKeys
from .imports.mapping import guess_mapping, header_lookup
from .imports.rows import SKIP, CleanRow
from .imports.spec import (
    BatchCheck,
    CellError,
    ImportField,
    ImportSpec,
    Relation,
    UndoResult,
    WriteBatch,
    WriteResult,
)
from .imports.writers import table_undo, table_writer
from .jobs.service import JobHandle, job_files_dir, send_task, start_job
from .money_words import amount_in_words
from .notifications.service import notify
from .notifications.specs import NotificationChannel, NotificationKind
from .numbering.service import NumberPatternError, check_number_pattern, next_number
from .outbox import OutboxChannel, OutboxDelivery, send_mail
from .phone_forms import china_national_form
from .plugin_parts import PluginParts
from .privacy import kit as privacy
from .rbac.departments import create_department
from .rbac.directory import sync_department, sync_user
from .rbac.scope import (
    DataScope,
    ScopeThrough,
    bound_scope_condition,
    get_scoped_or_404,
    scoped,
    user_scope,
)
from .rbac.service import users_with_permission
from .rbac.system import system_context
from .rbac.users import user_names
from .registry import (
    MenuItem,
    Permission,
    PluginInfo,
    ReportWidget,
    RoleSpec,
    ScheduleEntry,
    SearchHit,
    TaskSpec,
)
from .resources import (
    BulkAction,
    Computed,
    Field,
    Filter,
    Panel,
    Preset,
    Resource,
    Section,
    approvals_panel,
    attachments_panel,
)
from .resources.counting import COUNT_CAP, Count, count_rows
from .sensitive import SensitiveFields
from .settings_store.service import SettingError, get_setting, set_setting
from .tabular import FORMATS as TABLE_FORMATS
from .tabular import (
    CsvWriter,
    Limits,
    Row,
    Table,
    TableWriter,
    TabularError,
    XlsxWriter,
    cell_text,
    detect_encoding,
    file_kind,
    neutralise,
    neutralise_row,
    open_table,
    open_writer,
    unneutralise,
    unneutralise_row,
)
from .ui.formatting import (
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_phone,
    format_time,
)
from .ui.widget_captions import as_of_text, moment_of


def plugin_config(plugin: str, key: str, default: Any = None) -> Any:
    """The setting ``CRM_<PLUGIN>_<KEY>`` of the running app, or ``default``."""
    return current_app.config.get(f"CRM_{plugin.upper()}_{key.upper()}", default)


def plugin_enabled(name: str) -> bool:
    """Whether plugin ``name`` is enabled in the running app."""
    return name in current_app.extensions["crm"].names


def hooks() -> Any:
    """The running app's hook caller: ``hooks().customer_created(customer_id=1)``."""
    return current_app.extensions["crm"].hook


__all__ = [
    "add_custom_column",
    "custom_column",
    "custom_fields",
    "drop_custom_column",
    "ApprovalCondition",
    "ApprovalResult",
    "ApprovalSubject",
    "AttachmentKind",
    "HelpPage",
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "TABLE_FORMATS",
    "BulkAction",
    "COUNT_CAP",
    "Count",
    "Computed",
    "CsvWriter",
    "DataScope",
    "DomainError",
    "EncryptedString",
    "Field",
    "Filter",
    "Id",
    "JobHandle",
    "KeyUnavailable",
    "Limits",
    "LinkExpired",
    "LinkInvalid",
    "ListQuery",
    "MenuItem",
    "Model",
    "NotificationChannel",
    "NotificationKind",
    "NumberPatternError",
    "OutboxChannel",
    "OutboxDelivery",
    "MAX_LIMIT",
    "Page",
    "PageError",
    "Panel",
    "Preset",
    "Permission",
    "PluginInfo",
    "PluginParts",
    "ReportWidget",
    "Resource",
    "RoleSpec",
    "Row",
    "ScheduleEntry",
    "ScopeThrough",
    "SealError",
    "SearchHit",
    "SettingError",
    "Section",
    "SensitiveFields",
    "Table",
    "TableWriter",
    "TabularError",
    "TaskSpec",
    "TimestampMixin",
    "UtcDateTime",
    "XlsxWriter",
    "acting_as",
    "check_number_pattern",
    "get_setting",
    "next_number",
    "set_setting",
    "amount_in_words",
    "analyze",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "format_phone",
    "china_national_form",
    "format_time",
    "sql",
    "system_context",
    "to_user_time",
    "user_timezone",
    "api_endpoint",
    "approvals_panel",
    "attachments_panel",
    "attachments",
    "cell_text",
    "count_rows",
    "db",
    "decide_from_provider",
    "detect_encoding",
    "embeddable",
    "blind_index_for",
    "blind_lookup",
    "emit",
    "decode_cursor",
    "encode_cursor",
    "file_kind",
    "get_scoped_or_404",
    "get_session",
    "model_for_table",
    "hookimpl",
    "hooks",
    "hookspec",
    "job_files_dir",
    "neutralise",
    "neutralise_row",
    "notify",
    "open_table",
    "open_writer",
    "outbox",
    "over_budget",
    "page_language",
    "as_of_text",
    "moment_of",
    "asked_language",
    "page_of",
    "paginate",
    "plugin_config",
    "plugin_enabled",
    "privacy",
    "public",
    "read_link",
    "record_event",
    "record_history",
    "request_approval",
    "require_permission",
    "bound_scope_condition",
    "scoped",
    "seal",
    "user_scope",
    "send_mail",
    "sensitive",
    "sign_link",
    "send_task",
    "start_job",
    "unneutralise",
    "unseal",
    "unneutralise_row",
    "upload_limit",
    "user_names",
    "users_with_permission",
    "create_department",
    "sync_department",
    "sync_user",
    "sign_in_user",
    "stored_time",
    "scan_cache",
    "utcnow",
    "withdraw_approval",
    "bulk_write",
    "bump_total",
    "FlushTotals",
    "insert_many",
    "log_batch",
    "import_command",
    "export_command",
    "can_split",
    "write_csv_in_parts",
    "write_table",
    "SeenKeys",
    "SKIP",
    "BatchCheck",
    "CleanRow",
    "guess_mapping",
    "header_lookup",
    "in_every_language",
    "CellError",
    "ImportField",
    "ImportSpec",
    "Relation",
    "UndoResult",
    "WriteBatch",
    "WriteResult",
    "table_undo",
    "table_writer",
]
