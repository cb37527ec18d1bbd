"""The OA bridge's permission and ``N_`` (kept apart from ``plugin.py`` so any part names it)."""

from __future__ import annotations

from crm_core.toolkit import Permission


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


GROUP = N_("OA bridge")
CONNECTION_MANAGE = "oa_bridge.connection.manage"

PERMISSIONS = (
    Permission(CONNECTION_MANAGE, N_("Manage OA connections, user links and approval "
                                     "mappings"), GROUP),
)
