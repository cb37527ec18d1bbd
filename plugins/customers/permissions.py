"""The customers plugin's permissions and the ``N_`` marker its modules share.

Kept apart from ``plugin.py`` (which gathers the feature packages' offers) so that any feature
can name a permission without importing the module that imports every feature.
"""

from __future__ import annotations

from crm_core.toolkit import Permission


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


GROUP = N_("Customers")
CUSTOMER_VIEW = "customers.customer.view"
# Segments are saved list filters; a shared one shows in everyone's segment picker, so
# sharing is a manager's (and a marketer's, who targets segments) call.
SEGMENT_MANAGE = "customers.segment.manage"
SEGMENT_SHARE = "customers.segment.share"
IMPORT_PERMISSION = "customers.customer.import"
CUSTOMER_PERMISSIONS = (
    Permission(CUSTOMER_VIEW, N_("View customers"), GROUP),
    Permission("customers.customer.create", N_("Add customers"), GROUP),
    Permission("customers.customer.edit", N_("Edit customers"), GROUP),
    Permission("customers.customer.delete", N_("Delete and restore customers"), GROUP),
    Permission("customers.customer.export", N_("Export customers"), GROUP),
    Permission(IMPORT_PERMISSION, N_("Import customers"), GROUP),
    Permission("customers.customer.merge", N_("Merge duplicate customers"), GROUP),
    Permission(SEGMENT_MANAGE, N_("Save and delete own segments"), GROUP),
    Permission(SEGMENT_SHARE, N_("Share segments with everyone"), GROUP),
)
