"""The notes, declared once: list, forms, detail page, API, export and import (a spec
derived from the fields: ``crm example import FILE``) come from the kernel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from crm_core.toolkit import (
    BulkAction,
    Field,
    Filter,
    Resource,
    approvals_panel,
    attachments_panel,
)

from .models import Note
from .workflow import ask_approval, close_notes

STATUSES = [("open", _l("Open")), ("done", _l("Done"))]


NOTES = Resource(
    model=Note, name="notes", label=_l("Notes"), label_one=_l("Note"),
    fields=[Field("title", _l("Title")),
            Field("body", _l("Body"), textarea=True),
            Field("status", _l("Status"), choices=STATUSES),
            Field("priority", _l("Priority")),
            Field("owner_id", _l("Owner"), relation="user"),
            Field("created_at", _l("Created"), form=False)],
    columns=["title", "status", "priority", "owner_id", "created_at"],
    filters=[Filter("status", "choice"), Filter("priority", "range"),
             Filter("created_at", "date_range"), Filter("owner_id", "relation")],
    sorts=["title", "priority", "created_at"], search=["title", "body"],
    bulk_actions=[BulkAction("close", _l("Mark done"), close_notes),
                  BulkAction("approve", _l("Ask for approval"), ask_approval)],
    panels=[attachments_panel(), approvals_panel()],
    icon="journal-text", order=900,
)
