"""The one module a plugin imports from the kernel.

Everything a plugin needs is named here; the kernel can change behind it. Names listed in
``__all__`` are the stable plugin API (documented in docs/plugins.md, "Toolkit reference").
"""

from __future__ import annotations

from typing import Any

import pluggy
from flask import current_app

from .api.endpoint import api_endpoint
from .api.pagination import ListQuery, Page, encode_cursor, paginate
from .api.schemas import UtcDateTime
from .audit.context import acting_as
from .audit.service import record_event, record_history
from .auth.permissions import public, require_permission
from .db import Model, TimestampMixin, db, get_session, utcnow
from .edge.ints import INT32_MAX, INT64_MAX, INT64_MIN, Id
from .edge.marks import embeddable, upload_limit
from .errors import DomainError
from .jobs.service import JobHandle, job_files_dir, send_task, start_job
from .rbac.scope import DataScope, get_scoped_or_404, scoped
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

hookimpl = pluggy.HookimplMarker("crm")
hookspec = pluggy.HookspecMarker("crm")


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
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "TABLE_FORMATS",
    "CsvWriter",
    "DataScope",
    "DomainError",
    "Id",
    "JobHandle",
    "Limits",
    "ListQuery",
    "MenuItem",
    "Model",
    "Page",
    "Permission",
    "PluginInfo",
    "ReportWidget",
    "RoleSpec",
    "Row",
    "ScheduleEntry",
    "SearchHit",
    "Table",
    "TableWriter",
    "TabularError",
    "TaskSpec",
    "TimestampMixin",
    "UtcDateTime",
    "XlsxWriter",
    "acting_as",
    "api_endpoint",
    "cell_text",
    "db",
    "detect_encoding",
    "embeddable",
    "encode_cursor",
    "file_kind",
    "get_scoped_or_404",
    "get_session",
    "hookimpl",
    "hooks",
    "hookspec",
    "job_files_dir",
    "neutralise",
    "neutralise_row",
    "open_table",
    "open_writer",
    "paginate",
    "plugin_config",
    "plugin_enabled",
    "public",
    "record_event",
    "record_history",
    "require_permission",
    "scoped",
    "send_task",
    "start_job",
    "unneutralise",
    "unneutralise_row",
    "upload_limit",
    "user_names",
    "utcnow",
]
