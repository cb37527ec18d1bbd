"""The new order's customer picker is a type-ahead: the search box asks for the matching
customers (customers' public search, pinyin included) as the user types and fills the
select, within the user's data scope; without JavaScript the Find button still works."""

from __future__ import annotations

import re

import pytest

from crm_core.testing import client_as


@pytest.fixture(scope="module")
def world(sales_app):
    """A West rep with two customers, an East rep with one whose name also matches."""
    from plugins.customers.services import create_customer

    west = client_as(sales_app, "sales", department="选客西区")
    east = client_as(sales_app, "sales", department="选客东区")
    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        ids = {"mine": create_customer(session, name="宁波选客贸易", owner_id=west.user.id).id,
               "other": create_customer(session, name="温州泵阀厂", owner_id=west.user.id).id,
               "east": create_customer(session, name="宁波选客东区", owner_id=east.user.id).id}
        session.commit()
        session.close()
    return {"west": west, "east": east, **ids}


def _options(html: str) -> dict[str, str]:
    return dict(re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', html))


def test_the_search_box_asks_for_matches_as_the_user_types(world):
    page = world["west"].get("/sales/orders/new").get_data(as_text=True)
    box = re.search(r'<input[^>]*id="customer_q"[^>]*>', page).group(0)
    assert 'hx-get="/sales/orders/customer-options"' in box
    assert 'hx-target="#customer_id"' in box and 'aria-controls="customer_id"' in box


def test_typing_a_name_or_its_pinyin_lists_only_the_users_matching_customers(world):
    for typed in ("宁波选客", "nbxk"):
        answer = world["west"].get("/sales/orders/customer-options",
                                   query_string={"customer_q": typed})
        assert answer.status_code == 200
        options = _options(answer.get_data(as_text=True))
        assert options == {str(world["mine"]): "宁波选客贸易"}, typed  # first match chosen


def test_a_short_text_lists_the_recent_customers_and_nothing_found_says_so(world):
    recent = _options(world["west"].get("/sales/orders/customer-options",
                                        query_string={"customer_q": "宁"}).get_data(
                                            as_text=True))
    assert recent[""] and {str(world["mine"]), str(world["other"])} <= set(recent)
    assert str(world["east"]) not in recent
    none = world["west"].get("/sales/orders/customer-options",
                             query_string={"customer_q": "不存在的客户名"})
    assert "No customer matches" in none.get_data(as_text=True)


def test_the_options_need_the_permission_to_add_orders(sales_app):
    viewer = client_as(sales_app, "viewer", department="选客西区")
    assert viewer.get("/sales/orders/customer-options?customer_q=宁波").status_code == 403
