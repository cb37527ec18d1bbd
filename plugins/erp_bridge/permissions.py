"""The ERP bridge's permissions, and ``N_`` (kept apart from ``plugin.py`` so that any part
can name one)."""

from __future__ import annotations

from crm_core.toolkit import Permission


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


GROUP = N_("ERP bridge")
CONNECTION_MANAGE = "erp_bridge.connection.manage"

PERMISSIONS = (
    Permission(CONNECTION_MANAGE, N_("Manage ERP connections and their credentials"), GROUP),
)
