"""The service plugin's permissions beyond those its Resources declare, and ``N_``.

The Resources declare ``service.request.*`` and ``service.ticket.*`` (view, create, edit,
delete, export); the ones here are actions that are not a Resource's. Kept apart from
``plugin.py`` so that any feature can name a permission.
"""

from __future__ import annotations

from crm_core.toolkit import Permission


def N_(message: str) -> str:
    """Mark ``message`` for translation but keep it as is (the page showing it translates)."""
    return message


GROUP = N_("Customer service")
REQUEST_VIEW = "service.request.view"
REQUEST_CREATE = "service.request.create"
TICKET_VIEW = "service.ticket.view"
TICKET_EDIT = "service.ticket.edit"
TEAM_MANAGE = "service.team.manage"
SLA_MANAGE = "service.sla.manage"
EVALUATION_CREATE = "service.evaluation.create"

EXTRA_PERMISSIONS = (
    Permission(TEAM_MANAGE, N_("Manage service teams and their members"), GROUP),
    Permission(SLA_MANAGE, N_("Manage SLA policies"), GROUP),
    Permission(EVALUATION_CREATE, N_("Record internal service evaluations of tickets"), GROUP),
)
