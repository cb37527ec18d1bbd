"""Custom fields in analytics: an administrator's money, choice, yes/no and user fields on
customers (and money and choice on orders) are measures and dimensions of the query API and
the report builder, with figures equal to SQL over the ``custom`` column to the fen, within
the reader's scope; a field limited to a role is offered to that role only; an order's
money field is no measure of its lines; an archived field leaves a saved report with a
notice; the rollups never hold them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import text, update

from crm_core.testing_clients import client_as, csrf_token_of

#: (rep, tier, annual purchases in yuan, vip) of the customers made here
CUSTOMERS = (("a1", "金牌", "120000.50", True), ("a1", "银牌", "30000.25", False),
             ("a1", "金牌", "8000.01", None), ("a2", "铜牌", "5000", True),
             ("b1", "金牌", "99999.99", False), ("b1", None, "100", None))
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture(scope="module")
def cf(analytics_app, world):
    """The fields (through the kernel's service) and the values (through the customers'
    service and the kernel's value check), the customers dated 2026-01-10."""
    from crm_core.custom_fields import service as fields
    from crm_core.toolkit import custom_fields, db
    from plugins.customers.models import Customer
    from plugins.customers.services import create_customer
    from plugins.sales.models import Order

    users = world["users"]
    with analytics_app.test_request_context():
        session = db.session
        kinds = custom_fields.record_kinds(analytics_app)
        customer_kind, order_kind = kinds["customers.customer"], kinds["sales.order"]
        made = {}
        for key, type_, labels, extra in (
                ("annual", "money", {"zh_CN": "年采购额", "en": "Annual purchases"}, {}),
                ("tier", "choice", {"zh_CN": "客户等级", "en": "Tier"},
                 {"options": ["金牌", "银牌", "铜牌"]}),
                ("vip", "boolean", {"zh_CN": "重点客户", "en": "Key account"}, {}),
                ("buyer", "user", {"zh_CN": "采购对接人", "en": "Buyer contact"}, {}),
                ("grade", "choice", {"en": "Grade"}, {"options": ["A", "B"]}),
                ("notes", "multi_choice", {"en": "Notes"}, {"options": ["x", "y"]}),
                ("secret", "choice", {"en": "Secret band"},
                 {"options": ["高", "低"], "view_roles": ["manager"]})):
            made[key] = fields.create_field(session, customer_kind, {
                "key": key, "type": type_, "labels": labels, **extra})
        fields.create_field(session, order_kind, {"key": "margin", "type": "money",
                                                  "labels": {"en": "Margin"}})
        fields.create_field(session, order_kind, {"key": "channel", "type": "choice",
                                                  "labels": {"en": "Channel"},
                                                  "options": ["线上", "线下"]})
        ids = []
        for index, (rep, tier, annual, vip) in enumerate(CUSTOMERS):
            custom = {"annual": annual, "grade": "A" if index % 2 else "B",
                      "secret": "高", "buyer": users["a2"].id}
            if tier:
                custom["tier"] = tier
            if vip is not None:
                custom["vip"] = vip
            ids.append(create_customer(session, name=f"自定义分析 {index}",
                                       owner_id=users[rep].id, custom=custom).id)
        # 铜牌 removed from the options: a customer keeps it, shown "(removed)"
        fields.update_field(session, customer_kind, made["tier"],
                            {"options": ["金牌", "银牌"]})
        session.execute(update(Customer).where(Customer.id.in_(ids))
                        .values(created_at=dt.datetime(2026, 1, 10, 4, tzinfo=dt.UTC)))
        order = session.get(Order, world["orders"][0])
        order.custom = custom_fields.clean_values(session, "sales.order",
                                                  {"margin": "12.34", "channel": "线上"},
                                                  order.custom)
        session.commit()
        grade_id = made["grade"].id
        session.close()
    return {"customers": ids, "grade": grade_id}


def _sql(app, statement, **params):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = session.execute(text(statement), params).all()
        session.close()
    return rows


def _value(app, key, number=False):
    """The SQL of a custom value on this database (written out, not the code under test)."""
    if app.extensions["crm_db"].engine.dialect.name == "postgresql":
        return f"((custom ->> '{key}')::numeric)" if number else f"(custom ->> '{key}')"
    return f"json_extract(custom, '$.{key}')"


def _yuan(fen):
    return str((Decimal(fen or 0) / 100).quantize(Decimal("0.01")))


def _query(client, status=200, **body):
    response = client.post("/api/v1/analytics/query", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _sources(client, headers=ZH):
    answer = client.get("/api/v1/analytics/sources", headers=headers).get_json()
    return {source["id"]: source for source in answer["items"]}


def test_a_money_field_summed_by_a_choice_equals_sql_to_the_fen_in_each_scope(
        analytics_app, world, cf):
    statement = (f"SELECT {_value(analytics_app, 'tier')}, "
                 f"sum({_value(analytics_app, 'annual', True)}) FROM customers_customer "
                 "WHERE deleted_at IS NULL {owner} GROUP BY 1")
    for who, owner in (("admin", ""), ("a1", "AND owner_id = :owner")):
        expected = {tier: _yuan(total) for tier, total in _sql(
            analytics_app, statement.format(owner=owner), owner=world["users"][who].id)}
        answer = _query(world["clients"][who], source="customers.customers",
                        measure="cf_annual_sum", dimensions=["cf_tier"])
        assert {row["cf_tier"]: row["value"] for row in answer["rows"]} == expected
        assert answer["rollups_as_of"] is None
    rows = {row["cf_tier"]: row for row in _query(
        world["clients"]["admin"], source="customers.customers", measure="cf_annual_avg",
        dimensions=["cf_tier"], filters={"cf_tier": "金牌"})["rows"]}
    assert list(rows) == ["金牌"]
    assert rows["金牌"]["value"] == _yuan(Decimal(12000050 + 800001 + 9999999) / 3)
    labels = {row["cf_tier"]: row["cf_tier_label"] for row in _query(
        world["clients"]["admin"], source="customers.customers", measure="count",
        dimensions=["cf_tier"])["rows"]}
    assert labels["铜牌"].startswith("铜牌 (") and labels["金牌"] == "金牌"


def test_yes_no_and_user_fields_group_and_filter_on_this_database(analytics_app, world, cf):
    admin = world["clients"]["admin"]
    by_vip = {row["cf_vip"]: (row["cf_vip_label"], row["value"]) for row in _query(
        admin, source="customers.customers", measure="count", dimensions=["cf_vip"],
        filters={"date_from": "2026-01-10", "date_to": "2026-01-10"})["rows"]}
    assert by_vip == {"true": ("Yes", "2"), "false": ("No", "2"), None: (None, "2")}
    only_yes = _query(admin, source="customers.customers", measure="cf_annual_sum",
                      dimensions=[], filters={"cf_vip": "true"})["rows"]
    assert only_yes[0]["value"] == _yuan(12000050 + 500000)
    buyer = world["users"]["a2"]
    rows = _query(admin, source="customers.customers", measure="count",
                  dimensions=["cf_buyer"], filters={"cf_buyer": str(buyer.id)})["rows"]
    assert rows == [{"cf_buyer": str(buyer.id), "cf_buyer_label": buyer.username,
                     "value": str(len(CUSTOMERS))}]


def test_the_sources_offer_each_reader_the_fields_they_may_see(analytics_app, world, cf):
    manager, rep = world["clients"]["manager"], world["clients"]["a1"]
    customers = _sources(manager)["customers.customers"]
    measures = {m["id"]: m for m in customers["measures"]}
    assert measures["cf_annual_sum"]["label"].startswith("年采购额 (")  # the reader's language
    assert measures["cf_annual_sum"]["unit"] == "CNY"
    english = _sources(manager, {"Accept-Language": "en"})["customers.customers"]
    assert {m["label"] for m in english["measures"]} >= {"Annual purchases (sum)",
                                                          "Annual purchases (average)"}
    dimensions = {d["id"]: d for d in customers["dimensions"]}
    assert dimensions["cf_tier"]["kind"] == "choice" and dimensions["cf_buyer"]["kind"] == "user"
    assert {"cf_secret", "cf_vip", "cf_grade"} <= set(dimensions)
    assert "cf_notes" not in dimensions  # multiple choice: left out
    assert "cf_secret" not in {d["id"] for d in _sources(rep)["customers.customers"][
        "dimensions"]}
    refused = _query(rep, 422, source="customers.customers", measure="count",
                     dimensions=["cf_secret"])
    assert "dimensions.0" in refused["errors"] and "cf_secret" in str(refused["errors"])
    allowed = _query(manager, source="customers.customers", measure="count",
                     dimensions=["cf_secret"])
    assert allowed["rows"]


def test_an_orders_money_field_is_a_measure_of_orders_never_of_their_lines(
        analytics_app, world, cf):
    sources = _sources(world["clients"]["admin"])
    assert "cf_margin_sum" in {m["id"] for m in sources["sales.orders"]["measures"]}
    lines = sources["sales.order_lines"]
    assert not any(m["id"].startswith("cf_") for m in lines["measures"])
    assert "cf_channel" in {d["id"] for d in lines["dimensions"]}
    answer = _query(world["clients"]["admin"], source="sales.orders", measure="cf_margin_sum",
                    dimensions=["cf_channel"])
    assert {row["cf_channel"]: row["value"] for row in answer["rows"]}["线上"] == "12.34"
    _query(world["clients"]["admin"], 422, source="sales.order_lines",
           measure="cf_margin_sum", dimensions=[])


def test_a_rebuild_rolls_up_only_the_static_facts_and_custom_ones_read_the_records(
        analytics_app, world, cf):
    from crm_core.toolkit import db, get_setting
    from plugins.analytics.query import ROLLUPS_KEY
    from plugins.analytics.rollups import rebuild

    admin = world["clients"]["admin"]
    body = {"source": "customers.customers", "measure": "cf_annual_sum",
            "dimensions": ["cf_tier"], "filters": {"date_from": "2026-01-01"}}
    before = _query(admin, **body)["rows"]
    with analytics_app.test_request_context():
        rebuild(db.session, ["customers.customers"])
        db.session.commit()
        state = get_setting(ROLLUPS_KEY)["customers.customers"]
        db.session.close()
    assert not any(name.startswith("cf_") for name in (*state["dimensions"],
                                                       *state["measures"]))
    assert _query(admin, **body)["rows"] == before
    by_tier = _query(admin, source="customers.customers", measure="count",
                     dimensions=["region"], filters={"cf_tier": "金牌"})
    assert by_tier["rollups_as_of"] is None  # the records answer
    assert sum(int(row["value"]) for row in by_tier["rows"]) == 3


def test_the_builder_offers_the_fields_and_an_archived_field_leaves_a_notice(
        analytics_app, world, cf):
    client = client_as(analytics_app, "manager", department="分析 A部")
    page = client.get("/analytics/reports/new?source=customers.customers", headers=ZH)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="cf_annual_sum"' in html and 'value="cf_grade"' in html
    assert 'name="filter_cf_tier"' in html and "年采购额 (" in html
    form = {"csrf_token": csrf_token_of(client, "/analytics/reports/new"),
            "title": "按等级的年采购额", "source": "customers.customers",
            "measure": "cf_annual_sum", "dimension": "cf_grade", "dimension2": "",
            "period": "all", "chart": "bar", "action": "save"}
    saved = client.post("/analytics/reports/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    report_url = saved.headers["Location"]
    shown = client.get(report_url).get_data(as_text=True)
    assert "data-chart" in shown and re.search(r">\s*B\s*<", shown)
    # the manager's scope: their department's customers (a1's and a2's)
    expected = {grade: _yuan(total) for grade, total in _sql(
        analytics_app, f"SELECT {_value(analytics_app, 'grade')}, "
        f"sum({_value(analytics_app, 'annual', True)}) FROM customers_customer "
        "WHERE deleted_at IS NULL AND department_id = :department GROUP BY 1",
        department=world["users"]["a1"].department_id)}
    assert expected["B"] == "128000.51"
    table = client.get(report_url.rstrip("/") + "/export").get_data(as_text=True)
    figures = dict(line.split(",")[:2] for line in table.lstrip("\ufeff").splitlines()[1:])
    assert figures["A"] == expected["A"] and figures["B"] == expected["B"]
    from crm_core.custom_fields import service as fields
    from crm_core.custom_fields.models import CustomField
    from crm_core.toolkit import custom_fields, db

    with analytics_app.test_request_context():
        kind = custom_fields.record_kinds(analytics_app)["customers.customer"]
        fields.archive_field(db.session, kind, db.session.get(CustomField, cf["grade"]))
        db.session.commit()
        db.session.close()
    after = client.get(report_url, headers={"Accept-Language": "en"})
    assert after.status_code == 200
    assert "no longer fits" in after.get_data(as_text=True)
    assert client.get(report_url.rstrip("/") + "/edit").status_code == 200
