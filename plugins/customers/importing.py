"""Importing customers from CSV (UTF-8, UTF-8 with BOM, GB18030/GBK) and XLSX: column
mapping, dry run, modes, background job, error report and undo.

This module is the plugin part (menu entry, job, command); the work is done in
``import_settings`` (the import's record and settings), ``import_files`` (reading),
``import_clean`` / ``import_rows`` / ``import_write`` (checking and writing rows),
``import_run`` (the batches), ``import_undo`` and ``import_jobs``; the pages are
``import_views``. The names below stay importable from here.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import MenuItem, TaskSpec
from crm_core.toolkit import import_command as kernel_import_command

from .import_jobs import TASK, import_command, import_customers_task, start_import_job
from .import_run import BATCH, ImportCounts, run_import
from .import_settings import (
    IMPORT_PERMISSION,
    check_settings,
    create_import,
    create_upload,
    find_template,
    import_folder,
    read_header,
    save_template,
)
from .import_specs import TAG_SPEC
from .import_undo import UndoResult, undo_import

__all__ = ["BATCH", "IMPORT_PERMISSION", "TASK", "ImportCounts", "UndoResult", "check_settings",
           "create_import", "create_upload", "find_template", "import_customers_task",
           "import_folder", "menu_items", "read_header", "run_import", "save_template",
           "start_import_job", "undo_import"]


def menu_items() -> list[MenuItem]:
    """The sidebar entry "Import" (the imports list)."""
    return [MenuItem(id="customers.imports", label=_l("Import"), endpoint="customers.imports",
                     permission=IMPORT_PERMISSION, icon="upload", order=110)]


def celery_tasks() -> list[TaskSpec]:
    """The import job (``customers.import_customers``)."""
    return [TaskSpec("import_customers", import_customers_task, job=True)]


def cli_commands() -> list[Any]:
    """``crm customers import`` and ``crm customers import-tags`` (the kernel's generic
    import of the ``customers.tag`` spec)."""
    return [import_command, kernel_import_command(TAG_SPEC, name="import-tags")]


from . import import_views  # noqa: E402,F401 - the wizard's routes go on the shared blueprint
