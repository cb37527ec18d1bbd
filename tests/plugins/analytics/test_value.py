"""Customer value: RFM segments and churn risk of customers with known order histories,
checked by hand; the pages within the reader's data scope; the 360° panel; tags.

Five customers, computed as of 2026-06-01 00:00 UTC (days since the last purchase in
brackets): with five customers each score is the customer's rank (ties share the lower).

====  ======================  ======  =====  =====  =========  =======================
who   orders (days ago)       yuan    R      F      M          segment / churn
====  ======================  ======  =====  =====  =========  =======================
c1    10, 40, 70              3000    4      4      4          important_value / low
c2    200                     5000    1      1      5          important_retain / high
c3    20, 50                  200     3      3      2          general_value / low
c4    5                       50      5      1      1          general_develop / low
c5    100, 130, 160, 190      1600    2      5      3          important_keep / high
====  ======================  ======  =====  =====  =========  =======================

c1, c2 are rep a1's, c3 rep a2's (department A); c4, c5 rep b1's (department B). The
rhythm of c1, c3, c5 is 30 days; c2 (one purchase) takes the mean of theirs: 30.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from crm_core.testing_clients import client_as

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
HISTORY = {"c1": ("a1", (10, 40, 70), 100000), "c2": ("a1", (200,), 500000),
           "c3": ("a2", (20, 50), 10000), "c4": ("b1", (5,), 5000),
           "c5": ("b1", (100, 130, 160, 190), 40000)}
EXPECTED = {"c1": (4, 4, 4, "important_value", "low"),
            "c2": (1, 1, 5, "important_retain", "high"),
            "c3": (3, 3, 2, "general_value", "low"),
            "c4": (5, 1, 1, "general_develop", "low"),
            "c5": (2, 5, 3, "important_keep", "high")}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app of its own (the value ranks every customer of the database)."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    instance = tmp_path_factory.mktemp("value-app")
    url = os.environ.get("CRM_VALUE_TEST_DATABASE_URL") or f"sqlite:///{instance / 'crm.sqlite'}"
    app = create_app(test_config(instance, url, ["customers", "sales", "analytics"]))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()


@pytest.fixture(scope="module")
def world(app: Flask) -> dict[str, Any]:
    """Reps a1, a2 (department A), b1 (B), a manager of A; the orders of ``HISTORY``
    confirmed through sales' services, dated and priced by hand; the value computed by the
    ``crm analytics value`` command."""
    from sqlalchemy import update

    from plugins.customers.services import create_customer
    from plugins.sales.models import Order, Product
    from plugins.sales.services import confirm_order, create_order

    people = {"a1": client_as(app, "sales", department="价值 A部"),
              "a2": client_as(app, "sales", department="价值 A部"),
              "b1": client_as(app, "sales", department="价值 B部"),
              "manager": client_as(app, "manager", department="价值 A部")}
    users = {key: client.user for key, client in people.items()}
    with app.app_context():
        from crm_core.toolkit import db

        session = db.session
        product = Product(sku="VAL-1", name="样品", unit="个", list_price=100, tax_rate=0)
        session.add(product)
        session.flush()
        customers = {}
        for key, (rep, days, fen) in HISTORY.items():
            customer = create_customer(session, name=f"价值客户 {key}", owner_id=users[rep].id)
            customers[key] = customer.id
            for ago in days:
                order = create_order(session, customer.id, [
                    {"product_id": product.id, "quantity": "1", "unit_price": "1.00"}],
                    users[rep])
                confirm_order(session, order, users[rep])
                session.flush()
                session.execute(update(Order).where(Order.id == order.id).values(
                    confirmed_at=NOW - dt.timedelta(days=ago, hours=-4), total_amount=fen))
        draft = create_order(session, customers["c4"], [
            {"product_id": product.id, "quantity": "1", "unit_price": "99999.00"}], users["b1"])
        assert draft.status == "draft"  # never counts
        session.commit()
        session.close()
    result = app.test_cli_runner().invoke(args=["analytics", "value", "--now", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "Customer value: 5 customers" in result.output
    return {"clients": people, "users": users, "customers": customers}


def _values(app: Flask) -> dict[int, Any]:
    from sqlalchemy import select

    from plugins.analytics.value.models import CustomerValue

    with app.app_context():
        from crm_core.toolkit import db

        values = {v.customer_id: v for v in db.session.scalars(select(CustomerValue))}
        db.session.expunge_all()
        return values


def test_each_customer_gets_the_segment_and_churn_level_computed_by_hand(app, world):
    values = _values(app)
    for key, (r, f, m, segment, churn) in EXPECTED.items():
        value = values[world["customers"][key]]
        assert (value.r, value.f, value.m, value.segment, value.churn) == (r, f, m, segment,
                                                                           churn), key
    c1, c2 = values[world["customers"]["c1"]], values[world["customers"]["c2"]]
    assert (c1.purchases, c1.amount, c1.days_since, c1.rhythm_days) == (3, 300000, 10, 30)
    assert c1.own_rhythm and not c2.own_rhythm and c2.rhythm_days == 30
    assert c2.risk == 666  # 200 days ÷ 30


def test_the_sql_segment_rule_matches_the_documented_one():
    from plugins.analytics.value.segments import churn_of, segment_of

    for r, f, m, segment, _churn in EXPECTED.values():
        assert segment_of(r, f, m) == segment
    assert (churn_of(149), churn_of(150), churn_of(299), churn_of(300)) == \
        ("low", "medium", "medium", "high")


def _count(html: str, label: str) -> int:
    match = re.search(re.escape(label) + r'</a></td>\s*<td[^>]*>(\d+)</td>', html)
    assert match, label
    return int(match.group(1))


def test_a_rep_sees_only_their_customers_and_a_manager_the_departments(app, world):
    rep, manager = world["clients"]["a1"], world["clients"]["manager"]
    html = rep.get("/analytics/value").get_data(as_text=True)
    assert _count(html, "Important value customers") == 1
    assert _count(html, "Important win-back customers") == 1
    assert _count(html, "General value customers") == 0  # c3 is a2's
    assert "vendor/echarts/echarts.min.js" in html
    html = manager.get("/analytics/value").get_data(as_text=True)
    assert _count(html, "General value customers") == 1
    assert _count(html, "Important retention customers") == 0  # c5 is department B's
    listing = rep.get("/analytics/value/segments/general_value").get_data(as_text=True)
    assert "价值客户 c3" not in listing
    listing = manager.get("/analytics/value/segments/general_value").get_data(as_text=True)
    assert "价值客户 c3" in listing and "Last purchase 20 days ago" in listing
    assert rep.get("/analytics/value/segments/nothing").status_code == 404


def _set_kept_counts(app: Flask, values: dict[str, Any] | None) -> None:
    """Empty the kept counts (``None``) or overwrite the ``customers`` of some codes."""
    from sqlalchemy import delete, update

    from plugins.analytics.value.models import CustomerValueCount

    with app.app_context():
        from crm_core.toolkit import db

        if values is None:
            db.session.execute(delete(CustomerValueCount))
        for code, customers in (values or {}).items():
            db.session.execute(update(CustomerValueCount)
                               .where(CustomerValueCount.code == code)
                               .values(customers=customers))
        db.session.commit()


def test_the_overview_reads_the_counts_kept_by_the_computation(app, world):
    rep, manager = world["clients"]["a1"], world["clients"]["manager"]
    label = "Important value customers"
    kept = (_count(rep.get("/analytics/value").get_data(as_text=True), label),
            _count(manager.get("/analytics/value").get_data(as_text=True), label))
    assert kept == (1, 1)
    try:
        _set_kept_counts(app, {"important_value": 40})  # c1's row: a1's, department A
        assert _count(rep.get("/analytics/value").get_data(as_text=True), label) == 40
        b1 = world["clients"]["b1"].get("/analytics/value").get_data(as_text=True)
        assert _count(b1, label) == 0  # the kept row is a1's: still limited by scope
        _set_kept_counts(app, None)  # computed before counts were kept: counted live
        assert (_count(rep.get("/analytics/value").get_data(as_text=True), label),
                _count(manager.get("/analytics/value").get_data(as_text=True), label)) == kept
    finally:
        result = app.test_cli_runner().invoke(args=["analytics", "value", "--now",
                                                    "2026-06-01"])
        assert result.exit_code == 0
    assert _count(rep.get("/analytics/value").get_data(as_text=True), label) == 1


def test_the_churn_list_holds_the_riskiest_first_with_the_reason(app, world):
    manager, b1 = world["clients"]["manager"], world["clients"]["b1"]
    html = manager.get("/analytics/value/churn/high").get_data(as_text=True)
    assert "价值客户 c2" in html and "价值客户 c5" not in html
    assert ("Last purchase 200 days ago; too few purchases to know their own rhythm, and "
            "customers buy about every 30 days.") in html
    html = b1.get("/analytics/value/churn/high").get_data(as_text=True)
    assert "价值客户 c5" in html and "Last purchase 100 days ago; usually buys about every " \
        "30 days." in html
    html = b1.get("/analytics/value/churn/low").get_data(as_text=True)
    assert html.index("价值客户 c4") > 0 and "价值客户 c1" not in html


def test_the_customer_page_shows_the_value_panel(app, world):
    rep = world["clients"]["a1"]
    html = rep.get(f"/customers/{world['customers']['c1']}").get_data(as_text=True)
    assert "Customer value" in html and "Important value customers" in html
    assert "R 4 · F 4 · M 4" in html
    assert "Last purchase 10 days ago; usually buys about every 30 days." in html


def _tags_of(app: Flask, customer_id: int) -> set[str]:
    from sqlalchemy import select

    from plugins.customers.models import CustomerTag, Tag

    with app.app_context():
        from crm_core.toolkit import db

        return set(db.session.scalars(select(Tag.name).join(CustomerTag)
                                      .where(CustomerTag.customer_id == customer_id)))


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_a_segment_becomes_a_tag_on_the_customers_one_may_see(app, world):
    rep = world["clients"]["a1"]
    page = rep.get("/analytics/value/churn/high").get_data(as_text=True)
    response = rep.post("/analytics/value/tag", data={
        "csrf_token": _csrf(page), "kind": "churn", "code": "high", "tag": "流失预警"},
        follow_redirects=True)
    assert response.status_code == 200
    assert "1 customers tagged 流失预警." in response.get_data(as_text=True)
    assert "流失预警" in _tags_of(app, world["customers"]["c2"])
    assert "流失预警" not in _tags_of(app, world["customers"]["c5"])  # b1's customer
    # the manager (who may edit the department's customers) tags a segment
    manager = world["clients"]["manager"]
    page = manager.get("/analytics/value/segments/general_value").get_data(as_text=True)
    manager.post("/analytics/value/tag", data={"csrf_token": _csrf(page), "kind": "segment",
                                               "code": "general_value", "tag": "一般价值"})
    assert "一般价值" in _tags_of(app, world["customers"]["c3"])
    token = _csrf(rep.get("/analytics/value/churn/high").get_data(as_text=True))
    bad = rep.post("/analytics/value/tag", data={"csrf_token": token, "kind": "segment",
                                                 "code": "nothing", "tag": "x"})
    assert bad.status_code == 404


def test_a_viewer_sees_the_figures_but_may_not_tag(app, world):
    viewer = client_as(app, "viewer", department="价值 A部")
    html = viewer.get("/analytics/value/churn/high").get_data(as_text=True)
    assert "Tag these customers" not in html
    home = viewer.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf[-_]token"[^>]*(?:value|content)="([^"]+)"', home).group(1)
    refused = viewer.post("/analytics/value/tag", data={
        "csrf_token": token, "kind": "churn", "code": "high", "tag": "x"})
    assert refused.status_code == 403


def test_the_nightly_task_recomputes_as_of_now(app, world):
    from plugins.analytics.value.jobs import beat_schedule, celery_tasks, value_task

    assert [entry.task for entry in beat_schedule()] == [task.name for task in celery_tasks()]
    with app.app_context():
        assert value_task() == "Customer value: 5 customers"
    values = _values(app)
    # a day later than 2026-06-01 at least: every customer's last purchase is older now
    assert values[world["customers"]["c1"]].days_since > 10
    bare = app.test_cli_runner().invoke(args=["analytics", "value", "--now"])
    assert bare.exit_code == 0 and "Customer value: 5 customers" in bare.output
    values = _values(app)
    # a day later than 2026-06-01 at least: every customer's last purchase is older now
    assert values[world["customers"]["c1"]].days_since > 10
    result = app.test_cli_runner().invoke(args=["analytics", "value", "--now", "2026-06-01"])
    assert result.exit_code == 0
    assert _values(app)[world["customers"]["c1"]].days_since == 10
    bad = app.test_cli_runner().invoke(args=["analytics", "value", "--now", "June"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_without_a_plugin_of_purchases_the_page_says_so(tmp_path):
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import test_config

    lone = create_app(test_config(tmp_path, f"sqlite:///{tmp_path / 'crm.sqlite'}",
                                  ["customers", "analytics"]))
    with lone.app_context():
        upgrade(lone)
        from crm_core.toolkit import db
        from plugins.analytics.value.compute import compute

        assert compute(db.session) == 0
    manager = client_as(lone, "manager")
    html = manager.get("/analytics/value").get_data(as_text=True)
    assert "needs a plugin that records purchases" in html
    assert manager.get("/analytics/value/segments/important_value").status_code == 404
    lone.extensions["crm_db"].engine.dispose()


def test_odd_input_to_the_tag_form_never_answers_500(app, world):
    rep = world["clients"]["a1"]
    token = _csrf(rep.get("/analytics/value/churn/high").get_data(as_text=True))
    for value in ("a\x00b", "x" * 100_000, "[" * 5000, "9223372036854775808", ""):
        for field in ("code", "tag"):
            data = {"csrf_token": token, "kind": "churn", "code": "high", "tag": "好", field: value}
            response = rep.post("/analytics/value/tag", data=data)
            assert response.status_code in (302, 400, 404), (field, value[:10])
    assert all(len(name) <= 50 for name in _tags_of(app, world["customers"]["c2"]))
