"""The kernel permissions of attachments and the default roles holding them.

Reaching any attachment route needs ``core.attachment.view`` (reading) or
``core.attachment.edit`` (uploading, deleting); then the record decides: the kind's own view
or edit permission and the user's data scope (``kinds.record_or_404``).
"""

from __future__ import annotations

from ..registry import Permission, RoleSpec


def N_(message: str) -> str:
    """Mark ``message`` for translation; the role pages translate labels when shown."""
    return message


VIEW = "core.attachment.view"
EDIT = "core.attachment.edit"
GROUP = N_("System")

FILE_PERMISSIONS = [
    Permission(VIEW, N_("View and download attachments of records one may see"), GROUP),
    Permission(EDIT, N_("Upload and delete attachments of records one may edit"), GROUP),
]

FILE_ROLES = [
    RoleSpec("manager", "Manager", (VIEW, EDIT)),
    RoleSpec("sales", "Sales rep", (VIEW, EDIT)),
    RoleSpec("service", "Service agent", (VIEW, EDIT)),
    RoleSpec("marketing", "Marketer", (VIEW, EDIT)),
    RoleSpec("viewer", "Viewer", (VIEW,)),
]
