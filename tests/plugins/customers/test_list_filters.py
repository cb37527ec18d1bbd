"""The list's industry, province, city, level and status filters are picked, not typed: a
select or suggestions from the values the customers have (the dashboard's counts) and the
regions table, with the city's suggestions following the province; an import's customers
are shown under a label that says so."""

from __future__ import annotations

import re
from html import unescape

import pytest
from customers_testing import add_user, app_session, client_for

from plugins.customers import services
from plugins.customers.classification.services import refresh_stats
from plugins.customers.records import regions


@pytest.fixture
def shop(customers_app):
    """An admin and customers in two industries, levels A and B, in 广东省深圳市 and
    浙江省杭州市, with the dashboard's counts refreshed."""
    app = customers_app
    with app_session(app) as session:
        admin = add_user(app, session, "boss", ["admin"])
        for name, industry, level, province, city in (
                ("深圳软件", "软件", "A", "广东省", "深圳市"),
                ("杭州制造", "制造业", "B", "浙江省", "杭州市"),
                ("杭州软件", "软件", "A", "浙江省", "杭州市")):
            services.create_customer(session, name=name, industry=industry, level=level,
                                     province=province, city=city, owner_id=admin)
        refresh_stats(session)
    return app, admin


def select_of(html, name):
    """The options (value, text, selected) of the select named ``name``."""
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"{name} is not a select"
    return [(unescape(value), unescape(text).strip(), bool(selected))
            for value, selected, text in re.findall(
                r'<option value="([^"]*)"( selected)?[^>]*>([^<]*)</option>', match.group(1))]


def suggestions(html, name):
    """The datalist values offered to the text field ``name`` (None: no datalist)."""
    field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert field, f"no field {name}"
    target = re.search(r'list="([^"]+)"', field.group(0))
    if target is None:
        return None
    datalist = re.search(rf'<datalist id="{target.group(1)}">(.*?)</datalist>', html, re.S)
    return [unescape(value) for value in re.findall(r'<option value="([^"]*)"',
                                                    datalist.group(1))]


def test_the_filters_offer_the_values_to_pick(shop):
    app, admin = shop
    client = client_for(app, admin)
    html = client.get("/customers/").get_data(as_text=True)

    assert suggestions(html, "industry")[:2] == ["软件", "制造业"]  # the most used first
    provinces = [value for value, _text, _selected in select_of(html, "province")]
    assert provinces[0] == "" and provinces[1:] == regions.province_names()
    assert [value for value, _text, _selected in select_of(html, "level")] == ["", "A", "B"]
    statuses = select_of(html, "status")
    assert ("active", "Active", False) in statuses and ("lost", "Lost", False) in statuses
    assert suggestions(html, "city") == []  # no province yet: the city is typed freely


def test_the_city_follows_the_province(shop):
    app, admin = shop
    client = client_for(app, admin)
    html = client.get("/customers/?province=浙江省&city=杭州市").get_data(as_text=True)
    assert ("浙江省", "浙江省", True) in select_of(html, "province")
    assert suggestions(html, "city") == regions.cities_of("浙江省")
    assert "杭州制造" in html and "深圳软件" not in html

    # the page asks for another province's cities when the province changes (list.js)
    url = re.search(r'data-cities="([^"]+)"', html).group(1)
    answer = client.get(url, query_string={"province": "广东省"})
    assert answer.status_code == 200 and "深圳市" in answer.get_json()["cities"]
    assert client.get(url, query_string={"province": "Atlantis"}).get_json() == {"cities": []}


def test_a_value_outside_the_lists_stays_chosen(shop):
    app, admin = shop
    client = client_for(app, admin)
    html = client.get("/customers/?level=Z&status=vip&province=广东").get_data(as_text=True)
    assert ("Z", "Z", True) in select_of(html, "level")
    assert ("vip", "vip", True) in select_of(html, "status")
    assert ("广东", "广东", True) in select_of(html, "province")


def test_the_customers_of_one_import_are_labelled_with_a_way_back(shop):
    app, admin = shop
    client = client_for(app, admin)
    html = client.get("/customers/?import_id=7&industry=软件").get_data(as_text=True)
    label = re.search(r'<div[^>]*id="import-filter".*?</div>', html, re.S)
    assert label, "no label for the import filter"
    assert "Only the customers created by import #7 are shown." in label.group(0)
    back = unescape(re.search(r'href="([^"]+)"', label.group(0)).group(1))
    assert "import_id" not in back and "industry=" in back
    assert 'id="import-filter"' not in client.get(back).get_data(as_text=True)
