"""The kernel's own help: the staff manual in ``docs/manual`` (``zh_CN/`` and ``en/``).

It describes the kernel and the built-in plugins; a page about a plugin shows only while that
plugin is enabled (``requires``). Which page and section explains which screen is the map
below: endpoint or blueprint -> heading id. A third-party plugin ships its own pages through
the same hook (``crm_help_pages``).
"""

from __future__ import annotations

from pathlib import Path

from .pages import HelpPage

#: the manual beside the code (a source checkout or an editable install)
MANUAL_DIR = Path(__file__).resolve().parents[2] / "docs" / "manual"


def _page(ident: str, order: int, endpoints: dict[str, str],
          requires: str | None = None) -> HelpPage:
    return HelpPage(id=ident, folder=MANUAL_DIR, file=f"{ident}.md", endpoints=endpoints,
                    order=order, requires=requires)


KERNEL_HELP_PAGES = [
    _page("start", 10, {
        "core_ui.home": "layout", "core_ui": "search", "core_help": "",
        "core_notifications": "notifications", "core_approvals": "approvals",
        "core_jobs": "jobs", "core_account": "preferences", "core_auth": "sign-in",
        "core_api": "preferences"}),
    _page("customers", 20, {
        "customers.list": "list", "customers.trash": "list", "customers.new": "add",
        "customers.edit": "add", "customers": "detail", "customers.record_edit": "follow-up",
        "customers_contacts": "contacts", "customers_tags": "settings",
        "customers_types": "settings", "customers_bands": "settings",
        "customers_duplicates": "duplicates", "customers_settings": "settings",
        "customers_imports": "import", "core_imports": "import", "core_files": "files",
    }, requires="customers"),
    _page("sales", 30, {
        "sales_opportunities": "opportunities", "sales_kanban": "kanban",
        "sales_quotes": "quotes", "sales_quote_pages": "quotes", "sales_printing": "quotes",
        "sales_orders": "orders", "sales_order_pages": "orders",
        "sales_contracts": "contracts", "sales_contract_flow": "contracts",
        "sales_payments": "payments", "sales_receivables": "payments",
        "sales_invoice_requests": "invoices", "sales_forecast": "forecast",
        "sales_targets": "forecast", "sales_products": "products",
        "sales_price_lists": "products", "sales_settings": "settings",
        "sales_pipelines": "settings", "sales_stages": "settings",
    }, requires="sales"),
    _page("service", 40, {
        "service_requests": "requests", "service_quick_entry": "quick-entry",
        "service_tickets.list": "queue", "service_tickets": "ticket",
        "service_thread_pages": "ticket", "service_evaluations": "satisfaction",
        "service_satisfaction": "satisfaction", "service_public_forms": "public-forms",
        "service_sla_policies": "sla", "service_sla_settings": "sla",
        "service_days_off": "sla", "service_teams": "setup", "service_team_members": "setup",
        "service_assignment_rules": "setup", "service_canned_replies": "setup",
    }, requires="service"),
    _page("marketing", 50, {
        "marketing_campaigns": "campaigns", "marketing_audience_page": "audience",
        "marketing_mail_pages": "mail", "marketing_tracking_pages": "tracking",
        "marketing_responses": "tracking", "marketing_event_pages": "events",
        "marketing_consents": "consents", "marketing_consent_history": "consents",
        "marketing_evaluation": "evaluation", "marketing_costs": "evaluation",
    }, requires="marketing"),
    _page("reports", 60, {
        "analytics_dashboards.mine": "my-dashboard", "analytics_dashboards": "my-dashboard",
        "analytics": "analysis", "analytics_reports": "reports",
        "analytics_value": "value", "analytics_schedules": "reports",
    }, requires="analytics"),
    _page("admin", 70, {
        "core_admin.users": "users", "core_admin.user_create": "users",
        "core_admin.user_edit": "users", "core_admin.user_password": "users",
        "core_admin": "roles", "core_admin.departments": "departments",
        "core_admin.department_create": "departments",
        "core_admin.department_edit": "departments",
        "core_admin.department_delete": "departments", "core_modules": "modules",
        "core_audit": "audit", "core_approvals_admin": "approvals", "core_outbox": "outbox",
        "core_custom_fields": "custom-fields",
        "erp_bridge_connections": "integrations", "erp_bridge_sync": "integrations",
        "oa_bridge_connections": "integrations", "oa_bridge_links": "integrations",
        "oa_bridge_processes": "integrations", "oa_bridge_robots": "integrations",
    }),
]


def kernel_help_pages() -> list[HelpPage]:
    """The pages of the manual that are present (an install without ``docs/`` has none)."""
    return [page for page in KERNEL_HELP_PAGES if page.source("en") is not None]
