"""System → Modules: an administrator sees every installed plugin, its version, what it
requires, whether it is enabled and what it registers, and is told a change needs the CLI and
a restart; nobody else may open the page."""

from __future__ import annotations

import re

import pytest

from crm_core.db import get_session
from crm_core.rbac.users import create_account
from crm_core.testing import login

pytestmark = pytest.mark.crm_plugins("customers", "sales")


def module_row(html: str, name: str) -> str:
    match = re.search(rf'<tr id="module-{name}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {name}"
    return match.group(1)


def test_admin_sees_each_module_with_version_requirements_state_and_registrations(
        admin_client):
    response = admin_client.get("/admin/modules/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sales = module_row(html, "sales")
    from plugins.sales.plugin import PLUGIN

    assert f"<td>{PLUGIN.version}</td>" in sales
    assert "<code class=\"small me-1\">customers</code>" in sales
    assert "enabled" in sales
    customers = module_row(html, "customers")
    for shown in ("customers_customer", "/customers/", "customers.customer.view",
                  "customers.refresh_stats", "crm customers"):
        assert shown in customers, shown
    example = module_row(html, "example")  # installed, left out of CRM_PLUGINS
    assert "disabled" in example and "customers_customer" not in example
    assert "crm plugins enable" in html and "restarted" in html
    assert module_row(html, "core")  # the kernel's own registrations


def test_modules_page_is_in_the_system_menu_for_admins(admin_client):
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/modules/"' in html


def test_modules_page_is_refused_to_a_user_without_the_permission(crm_app):
    with crm_app.app_context():
        session = get_session()
        user = create_account(session, "mgr", "Kettle-Drum-42x", roles=["manager"])
        session.commit()
    client = login(crm_app.test_client(), user)
    assert client.get("/admin/modules/").status_code == 403
    assert crm_app.test_client().get("/admin/modules/").status_code in (302, 401)
