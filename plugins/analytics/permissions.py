"""The analytics plugin's permission and ``N_``."""

from __future__ import annotations

from crm_core.toolkit import Permission


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


VIEW = "analytics.view"
PERMISSIONS = (Permission(VIEW, N_("See analysis figures and charts (within one's data "
                                   "scope)"), N_("Analytics")),)
