"""The sales plugin's permissions beyond those its Resources declare, and ``N_``.

Each Resource names its own ``sales.<object>.<action>`` permissions; the ones here are the
actions that are not a Resource's: moving cards, confirming orders, approving targets.
Kept apart from ``plugin.py`` so that any feature can name a permission.
"""

from __future__ import annotations

from crm_core.toolkit import Permission


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


GROUP = N_("Sales")
OPPORTUNITY_VIEW = "sales.opportunity.view"
OPPORTUNITY_EDIT = "sales.opportunity.edit"
PIPELINE_MANAGE = "sales.pipeline.manage"
TARGET_MANAGE = "sales.target.manage"
FORECAST_VIEW = "sales.forecast.view"
ORDER_CONFIRM = "sales.order.confirm"
SETTINGS_MANAGE = "sales.settings.manage"
RECEIVABLES_VIEW = "sales.receivables.view"

EXTRA_PERMISSIONS = (
    Permission(PIPELINE_MANAGE, N_("Edit pipelines and stages"), GROUP),
    Permission(TARGET_MANAGE, N_("Set sales targets"), GROUP),
    Permission(FORECAST_VIEW, N_("View the sales forecast"), GROUP),
    Permission(ORDER_CONFIRM, N_("Confirm, deliver and cancel orders"), GROUP),
    Permission(SETTINGS_MANAGE, N_("Edit sales settings (letterhead, numbering)"), GROUP),
    Permission(RECEIVABLES_VIEW, N_("View receivables"), GROUP),
)
