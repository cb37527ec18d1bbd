"""Other plugins' panels on the opportunity page (``crm_sales_opportunity_panels``): shown
under the stage history in their ``order``, their markup kept, the reader passed to the
plugin; a plugin that raises is left out and the page still opens."""

from __future__ import annotations

import re

from panel_plugins import broken, registered

from crm_core.db import get_session
from crm_core.testing import client_as
from crm_core.toolkit import hookimpl, system_context


class _Notes:
    @hookimpl
    def crm_sales_opportunity_panels(self, opportunity_id: int, user) -> list:
        return [{"id": "notes.later", "title": "Later", "html": "<i>second</i>", "order": 90},
                {"id": "notes.first", "title": "Reader",
                 "html": f"<b>for {user.username} on {opportunity_id}</b>", "order": 10},
                "not a panel", {"id": "no.html"}]


def test_opportunity_page_shows_plugin_panels_in_order_without_the_failing_one(
        sales_app) -> None:
    from plugins.customers.services import create_customer
    from plugins.sales import services as sales

    with sales_app.app_context(), system_context("test"):
        session = get_session()
        customer = create_customer(session, name="商机面板测试客户")
        opportunity = sales.create_opportunity(session, {
            "name": "面板商机", "customer_id": customer.id, "amount": 1_000_00}, None)
        session.commit()
        opportunity_id = opportunity.id
    admin = client_as(sales_app, "admin")
    plain = admin.get(f"/sales/opportunities/{opportunity_id}")
    assert plain.status_code == 200
    assert "sales-opportunity-panel" not in plain.get_data(as_text=True)
    with registered(sales_app, broken("crm_sales_opportunity_panels"), _Notes()):
        answer = admin.get(f"/sales/opportunities/{opportunity_id}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    # the reader reaches the plugin (client_as names the administrator admin-<n>)
    assert re.search(rf"<b>for admin[-\w]* on {opportunity_id}</b>", page)
    assert "<i>second</i>" in page
    assert page.index("Stage history") < page.index(f"on {opportunity_id}</b>") \
        < page.index("<i>second</i>")
    assert 'id="panel-notes-first"' in page and 'id="panel-no-html"' not in page
