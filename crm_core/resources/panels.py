"""Ready-made panels for a Resource's detail page: the record's files and its approvals.

``Resource(..., panels=[attachments_panel(), approvals_panel()])`` adds them; the record kind
defaults to the resource's data-scope kind (``<plugin>.<object>``, e.g. ``example.note``),
which is the kind the plugin registers with ``crm_attachment_kinds`` and
``crm_approval_subjects``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from .declaration import Panel


def _kind_context(kind: str | None) -> Any:
    def context(record: Any) -> dict[str, Any]:
        scope = getattr(type(record), "__data_scope__", None)
        return {"kind": kind or getattr(scope, "kind", None)}

    return context


def attachments_panel(kind: str | None = None, title: Any = None) -> Panel:
    """The files of the record: list, upload and delete (``toolkit.attachments``)."""
    return Panel(title or _l("Files"), "core/resources/panels/attachments.html",
                 _kind_context(kind))


def approvals_panel(kind: str | None = None, title: Any = None) -> Panel:
    """The approvals requested for the record, with each step's decision and comment."""
    return Panel(title or _l("Approvals"), "core/resources/panels/approvals.html",
                 _kind_context(kind))
