"""Importing customers from CSV (UTF-8, UTF-8 with BOM, GB18030/GBK, UTF-16) and XLSX: the
plugin part (menu entry, command, old addresses) of the ``customers.customer`` spec that the
kernel's import runs (``import_specs``): its wizard at ``/imports/customers.customer/``, its
jobs (``core.tabular_import``) and ``crm customers import``.

The customers' own rules plug into the kernel: ``import_clean`` (one row),
``import_rows`` (a batch's checks and writes), ``import_write`` (updates) and
``import_undo``. The old addresses ``/customers/imports`` and ``/customers/imports/new``
answer with a redirect to the kernel's pages, so bookmarks keep working.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for
from flask_babel import lazy_gettext as _l

from crm_core.toolkit import MenuItem, import_command, require_permission

from ..blueprint import bp
from .specs import CUSTOMER_SPEC, IMPORT_PERMISSION, TAG_SPEC

__all__ = ["cli_commands", "imports", "menu_items", "new_import"]


def menu_items() -> list[MenuItem]:
    """The sidebar entry "Import" (the customers' imports list)."""
    return [MenuItem(id="customers.imports", label=_l("Import"), endpoint="customers.imports",
                     permission=IMPORT_PERMISSION, icon="upload", order=110)]


def cli_commands() -> list[Any]:
    """``crm customers import`` (customers) and ``crm customers import-tags`` (the tag list),
    both the kernel's generic import command."""
    command = import_command(CUSTOMER_SPEC, name="import")
    command.help = ("Import customers from a CSV, XLSX or XLS FILE (headers in Chinese or "
                    "English). Keys: code, uscc, phone, email (upsert and skip default to "
                    "code).")
    return [command, import_command(TAG_SPEC, name="import-tags")]


@bp.get("/imports")
@require_permission(IMPORT_PERMISSION)
def imports() -> Any:
    """The old address of the imports list: the kernel's page of the customer spec."""
    return redirect(url_for("core_imports.import_list", spec_id=CUSTOMER_SPEC), 301)


@bp.get("/imports/new")
@require_permission(IMPORT_PERMISSION)
def new_import() -> Any:
    """The old address of the upload page: the kernel's."""
    return redirect(url_for("core_imports.import_upload", spec_id=CUSTOMER_SPEC), 301)
