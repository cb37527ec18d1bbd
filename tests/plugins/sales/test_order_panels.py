"""Other plugins' panels on the order page (``crm_sales_order_panels``): shown in their
``order``, their markup kept; a plugin that raises is left out and the page still opens."""

from __future__ import annotations

from panel_plugins import broken, registered

from crm_core.db import get_session
from crm_core.testing import client_as
from crm_core.toolkit import hookimpl, system_context


class _Notes:
    @hookimpl
    def crm_sales_order_panels(self, order_id: int, user) -> list:
        return [{"id": "notes.later", "title": "Later", "html": "<i>second</i>", "order": 90},
                {"id": "notes.first", "title": "First", "html": f"<b>note {order_id}</b>",
                 "order": 10}, "not a panel", {"id": "no.html"}]


def test_panels_show_in_order_and_a_failing_plugin_is_left_out(sales_app) -> None:
    from plugins.customers.services import create_customer
    from plugins.sales import services as sales

    with sales_app.app_context(), system_context("test"):
        session = get_session()
        customer = create_customer(session, name="面板测试客户")
        order = sales.create_order(session, customer.id, [
            {"description": "纸", "quantity": "1", "unit_price": "2"}], None)
        session.commit()
        order_id = order.id
    admin = client_as(sales_app, "admin")
    assert admin.get(f"/sales/orders/{order_id}").status_code == 200
    with registered(sales_app, broken("crm_sales_order_panels"), _Notes()):
        answer = admin.get(f"/sales/orders/{order_id}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f"<b>note {order_id}</b>" in page and "<i>second</i>" in page
    assert page.index(f"note {order_id}") < page.index("<i>second</i>")
    assert 'id="panel-notes-first"' in page
