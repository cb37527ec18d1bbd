"""The analytics plugin's permission and ``N_``."""

from __future__ import annotations

from crm_core.toolkit import Permission


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


VIEW = "analytics.view"
PERMISSIONS = (Permission(VIEW, N_("See analysis figures and charts (within one's data "
                                   "scope)"), N_("Analytics")),)

#: Share a saved report with roles (anyone who sees analysis may save reports of their own).
SHARE_REPORTS = "analytics.report.share"
PERMISSIONS += (Permission(SHARE_REPORTS, N_("Share saved reports with roles"),
                           N_("Analytics")),)

#: Share a dashboard with roles (anyone who sees analysis may keep dashboards of their own).
SHARE_DASHBOARDS = "analytics.dashboard.share"
PERMISSIONS += (Permission(SHARE_DASHBOARDS, N_("Share dashboards with roles"),
                           N_("Analytics")),)

#: Put a tag on the customers of an RFM segment or churn level (customer value); the
#: customers plugin checks besides that the user may edit each customer.
TAG_CUSTOMERS = "analytics.value.tag"
PERMISSIONS += (Permission(TAG_CUSTOMERS, N_("Tag the customers of a value segment or churn "
                                             "level"), N_("Analytics")),)
