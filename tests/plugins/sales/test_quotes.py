"""Quotes: the awkward line's totals, numbering and validity from the settings, states,
turning a quote into an order once, and another department's quote out of reach."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from crm_core.testing import client_as

AWKWARD = {"quantity": "3", "unit_price": "19.99", "discount_percent": "7.5",
           "tax_rate": "13"}


def _today(app):
    """Today as the quotes count it (the default time zone: the test users have none)."""
    from crm_core.toolkit import to_user_time, utcnow

    with app.app_context():
        return to_user_time(utcnow()).date()


@pytest.fixture(scope="module")
def west(sales_app):
    """A West sales rep (API client), their customer and a product."""
    rep = client_as(sales_app, "sales", department="报价西区", api=True)
    return rep


@pytest.fixture
def records(sales_app, west, make_sales_records, request):
    tag = re.sub(r"\W", "", request.node.name)[-30:]
    return make_sales_records(sales_app, west.user, name=f"上海{tag}", sku=f"Q-{tag}")


def _quote(client, records, **extra):
    body = {"customer_id": records["customer_id"],
            "lines": [{"product_id": records["product_id"], **AWKWARD}], **extra}
    answer = client.post("/api/v1/sales/quotes", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_awkward_line_totals_words_number_and_validity(sales_app, west, records):
    quote = _quote(west, records)
    assert (quote["untaxed_amount"], quote["tax_amount"], quote["total_amount"]) == \
        ("55.47", "7.21", "62.68")
    assert quote["total_in_words"] == "陆拾贰元陆角捌分"
    line = quote["lines"][0]
    assert (line["subtotal"], line["tax"], line["total"]) == ("55.47", "7.21", "62.68")
    assert line["discount_percent"] == "7.5" and line["quantity"] == "3"
    assert re.fullmatch(r"QT\d{6}-\d{4}", quote["number"])
    assert quote["status"] == "draft"
    today = _today(sales_app)
    assert quote["valid_until"] == (today + dt.timedelta(days=30)).isoformat()


def test_bad_lines_are_named_in_problem_json(west, records):
    body = {"customer_id": records["customer_id"],
            "lines": [{"product_id": records["product_id"], "quantity": "-1"},
                      {"product_id": 999_999, "quantity": "1"},
                      {"product_id": records["product_id"], "quantity": "1",
                       "discount_percent": "120"}]}
    answer = west.post("/api/v1/sales/quotes", json=body)
    assert answer.status_code == 422
    assert answer.content_type.startswith("application/problem+json")
    errors = answer.get_json()["errors"]
    assert any("quantity" in key for key in errors), errors


def test_patch_replaces_lines_and_totals(west, records):
    quote = _quote(west, records)
    answer = west.patch(f"/api/v1/sales/quotes/{quote['id']}", json={
        "lines": [{"product_id": records["product_id"], "quantity": "2"}]})
    assert answer.status_code == 200, answer.get_json()
    # list price 19.99 × 2 = 39.98, VAT 13 % = 5.20 (5.1974 rounded half-up)
    assert answer.get_json()["total_amount"] == "45.18"


def test_convert_to_order_once(west, records):
    quote = _quote(west, records)
    assert west.post(f"/api/v1/sales/quotes/{quote['id']}/status",
                     json={"status": "accepted"}).get_json()["status"] == "accepted"
    made = west.post(f"/api/v1/sales/quotes/{quote['id']}/order")
    assert made.status_code == 201, made.get_json()
    order = made.get_json()
    assert order["quote_id"] == quote["id"] and order["total_amount"] == "62.68"
    assert order["status"] == "draft" and order["total_in_words"] == "陆拾贰元陆角捌分"
    assert [line["total"] for line in order["lines"]] == ["62.68"]
    assert re.fullmatch(r"SO\d{6}-\d{4}", order["number"])
    again = west.get(f"/api/v1/sales/quotes/{quote['id']}").get_json()
    assert again["status"] == "ordered" and again["order_id"] == order["id"]
    twice = west.post(f"/api/v1/sales/quotes/{quote['id']}/order")
    assert twice.status_code == 409
    # an ordered quote can no longer be changed
    assert west.patch(f"/api/v1/sales/quotes/{quote['id']}",
                      json={"notes": "late"}).status_code == 409


def test_expired_past_validity_and_not_convertible(sales_app, west, records):
    yesterday = (_today(sales_app) - dt.timedelta(days=1)).isoformat()
    quote = _quote(west, records, valid_until=yesterday)
    assert quote["status"] == "expired"
    assert west.post(f"/api/v1/sales/quotes/{quote['id']}/order").status_code == 409
    page = _pages_client(sales_app, west).get(f"/sales/quotes/{quote['id']}")
    assert "text-bg-warning" in page.get_data(as_text=True)  # the "Expired" badge
    assert f"/sales/quotes/{quote['id']}/order" not in page.get_data(as_text=True)
    from plugins.sales.models import Quote
    from plugins.sales.quotes.services import expire_quotes

    with sales_app.test_request_context():
        session = sales_app.extensions["crm_db"].new_session()
        assert expire_quotes(session) >= 1
        session.commit()
        assert session.get(Quote, quote["id"]).status == "expired"
        session.close()


def test_another_departments_quote_is_404_everywhere(sales_app, west, records):
    quote = _quote(west, records)
    qid = quote["id"]
    east = client_as(sales_app, "sales", department="报价东区")
    for url in (f"/sales/quotes/{qid}", f"/sales/quotes/{qid}/print",
                f"/sales/quotes/{qid}/edit", f"/api/v1/sales/quotes/{qid}"):
        assert east.get(url).status_code == 404, url
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      east.get("/sales/quotes").get_data(as_text=True)).group(1)
    for url in (f"/sales/quotes/{qid}/order", f"/sales/quotes/{qid}/status",
                f"/sales/quotes/{qid}/lines", f"/sales/quotes/{qid}/lines/remove",
                f"/sales/quotes/{qid}/edit"):
        assert east.post(url, data={"csrf_token": token, "status": "sent"}).status_code \
            == 404, url
    for url in (f"/api/v1/sales/quotes/{qid}/order", f"/api/v1/sales/quotes/{qid}/status"):
        assert east.post(url, json={"status": "sent"},
                         headers={"X-CSRFToken": token}).status_code == 404, url
    listed = east.get("/api/v1/sales/quotes").get_json()["items"]
    assert qid not in [item["id"] for item in listed]


def _pages_client(sales_app, api_client):
    """A signed-in page client (session cookie) of the API client's user."""
    from crm_core.testing_clients import isolated_client, sign_in

    return sign_in(isolated_client(sales_app), api_client.user)


def test_pages_edit_lines_and_make_the_order(sales_app, west, records):
    rep = _pages_client(sales_app, west)
    page = rep.get(f"/sales/quotes/new?customer_id={records['customer_id']}")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    made = rep.post("/sales/quotes", data={"csrf_token": token,
                                           "customer_id": records["customer_id"]})
    assert made.status_code == 302, made.get_data(as_text=True)[-3000:]
    detail = made.headers["Location"]
    qid = int(detail.rstrip("/").rsplit("/", 1)[1])
    assert rep.get(f"/sales/quotes/{qid}/lines").status_code == 200
    refused = rep.post(f"/sales/quotes/{qid}/lines", data={
        "csrf_token": token, "lines-0-product_id": records["product_id"],
        "lines-0-quantity": "-3"})
    assert refused.status_code == 400 and "is-invalid" in refused.get_data(as_text=True)
    saved = rep.post(f"/sales/quotes/{qid}/lines", data={
        "csrf_token": token, "lines-0-product_id": records["product_id"],
        **{f"lines-0-{name}": value for name, value in AWKWARD.items()}})
    assert saved.status_code == 302
    html = rep.get(detail).get_data(as_text=True)
    assert "62.68" in html and f"/sales/quotes/{qid}/print" in html
    assert f'action="/sales/quotes/{qid}/order"' in html  # the "Create order" button
    ordered = rep.post(f"/sales/quotes/{qid}/order", data={"csrf_token": token})
    assert ordered.status_code == 302 and "/sales/orders/" in ordered.headers["Location"]
    again = rep.post(f"/sales/quotes/{qid}/order", data={"csrf_token": token})
    assert again.status_code == 302 and again.headers["Location"].endswith(detail)


def test_new_from_an_opportunity_presets_its_customer(sales_app, west, records):
    from plugins.sales.models import Opportunity, Pipeline, Stage

    with sales_app.app_context():
        session = sales_app.extensions["crm_db"].new_session()
        pipeline = session.scalar(select(Pipeline).order_by(Pipeline.id).limit(1))
        stage = session.scalar(select(Stage.id).where(Stage.pipeline_id == pipeline.id)
                               .order_by(Stage.position).limit(1))
        deal = Opportunity(name="报价商机", customer_id=records["customer_id"],
                           pipeline_id=pipeline.id, stage_id=stage, owner_id=west.user.id,
                           department_id=west.user.department_id)
        session.add(deal)
        session.commit()
        deal_id = deal.id
        session.close()
    rep = _pages_client(sales_app, west)
    first = rep.get(f"/sales/quotes/new?opportunity_id={deal_id}")
    assert first.status_code == 302
    assert f"customer_id={records['customer_id']}" in first.headers["Location"]
    form = rep.get(first.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<option selected value="{records["customer_id"]}"', form)
    assert re.search(rf'<option selected value="{deal_id}"', form)
