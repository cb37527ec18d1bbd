"""Resources: a plugin declares a model's list, forms, detail page, API and export once
(``toolkit.Resource``, returned from ``crm_resources()``) and the kernel serves them.

- ``declaration``: ``Resource``, ``Field``, ``Filter``, ``Preset``, ``Computed``,
  ``BulkAction``, ``Section``, ``Panel``
- ``ordering``: moving a record up or down (``order_field``)
- ``query``: scope, filters, search, sorts, keyset pages, counts, related names
- ``forms`` / ``schemas``: generated WTForms and marshmallow schemas
- ``views_list`` / ``views_record`` / ``api`` / ``blueprints``: the generated routes
- ``saved_views``: per-user list views; ``export``: the export job; ``writes``: the writes
- ``panels``: ready-made detail panels (files, approvals)
- ``registration``: the blueprints, menu items, permissions and tasks a resource implies
"""

from __future__ import annotations

from .declaration import (
    BulkAction,
    Computed,
    Field,
    Filter,
    Panel,
    Preset,
    Resource,
    Section,
)
from .panels import approvals_panel, attachments_panel

__all__ = ["BulkAction", "Computed", "Field", "Filter", "Panel", "Preset", "Resource",
           "Section",
           "approvals_panel", "attachments_panel"]
