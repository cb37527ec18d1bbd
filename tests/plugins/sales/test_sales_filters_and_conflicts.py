"""The opportunities list filters amounts typed in yuan (``50,000.50``), refusing letters and
huge numbers beside the input, on the page and in the API; and two sessions editing one
opportunity: the second save shows the form again with its typed values and a message to
reload, instead of a 409 error page (the API's 409 problem+json is tests/core's)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from opportunity_helpers import client, csrf_of, customer, pipeline, unique

from crm_core.testing import DATABASES
from crm_core.testing_clients import bearer_token, isolated_client, sign_in


@pytest.fixture(scope="module", params=DATABASES)
def sales_app(request, tmp_path_factory):
    """The sales app of these tests on SQLite and on PostgreSQL (when
    ``CRM_TEST_DATABASE_URL`` names a server): the race is the database's."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import FreshDatabases, test_config

    instance = tmp_path_factory.mktemp("sales-conflicts")
    databases = FreshDatabases(instance)
    app = create_app(test_config(instance, databases.new(request.param),
                                 ["customers", "sales"]))
    with app.app_context():
        upgrade(app)
    yield app
    app.extensions["crm_db"].engine.dispose()
    databases.drop_all()


@pytest.fixture(scope="module")
def team(sales_app) -> dict[str, Any]:
    """A rep (pages and API), a customer, a pipeline and three opportunities of
    ¥49,999.99, ¥50,000.50 and ¥120,000."""
    from crm_core.db import get_session
    from plugins.sales.opportunities.services import create_opportunity

    rep = client(sales_app, department="金额筛选部")
    api = isolated_client(sales_app)  # the same rep through the API
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer_token(sales_app, rep.user)}"
    owned = customer(sales_app, rep.user)
    prefix = unique("筛选")
    with sales_app.test_request_context():
        session = get_session()
        made, _stages = pipeline(session)
        ids = {}
        for amount in (4_999_999, 5_000_050, 12_000_000):
            ids[amount] = create_opportunity(session, {
                "name": f"{prefix}-{amount}", "customer_id": owned, "pipeline_id": made.id,
                "amount": amount}, rep.user).id
        session.commit()
    return {"rep": rep, "api": api, "customer": owned, "pipeline": made.id, "ids": ids,
            "prefix": prefix}


def _names(html: str, prefix: str) -> set[str]:
    return set(re.findall(rf"{re.escape(prefix)}-\d+", html))


def test_the_amount_filter_takes_yuan_as_users_type_them(team):
    rep, prefix = team["rep"], team["prefix"]
    page = rep.get("/sales/opportunities", query_string={
        "q": prefix, "amount_min": "50,000.50", "amount_max": "¥120000"})
    assert page.status_code == 200
    assert _names(page.get_data(as_text=True), prefix) == {f"{prefix}-5000050",
                                                            f"{prefix}-12000000"}
    page = rep.get("/sales/opportunities", query_string={"q": prefix, "amount_max": "50000"})
    assert _names(page.get_data(as_text=True), prefix) == {f"{prefix}-4999999"}
    assert 'inputmode="decimal" id="f-amount_min"' in page.get_data(as_text=True)


@pytest.mark.parametrize(("typed", "says"), [
    ("fifty", "Enter an amount in yuan"), ("1e400", "At most ¥10 trillion"),
    ("NaN", "Enter an amount in yuan"),
    ("12.345", "Enter an amount in yuan"), ("99999999999999999999", "At most ¥10 trillion")])
def test_a_bad_amount_is_a_message_beside_the_input_not_a_500(team, typed, says):
    page = team["rep"].get("/sales/opportunities", query_string={"amount_min": typed})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert says in html.replace("&#34;", '"').replace("&#165;", "¥")
    answer = team["api"].get("/api/v1/sales/opportunities", query_string={"amount_max": typed})
    assert answer.status_code in (400, 422)
    assert answer.mimetype == "application/problem+json"
    assert says in str(answer.get_json())


def test_the_api_amount_filter_is_in_yuan_too(team):
    answer = team["api"].get("/api/v1/sales/opportunities", query_string={
        "amount_min": "50000.50", "amount_max": "50,000.50"})
    assert answer.status_code == 200, answer.get_json()
    assert [item["id"] for item in answer.get_json()["items"]] == [team["ids"][5_000_050]]


def _edit_data(html: str, name: str, team: dict[str, Any]) -> dict[str, str]:
    version = re.search(r'name="_version" value="(\d+)"', html)
    assert version, "the edit form carries no version"
    return {"csrf_token": csrf_of(html), "_version": version.group(1), "name": name,
            "customer_id": str(team["customer"]), "type": "new",
            "pipeline_id": str(team["pipeline"]), "stage_id": "", "amount": "50,000.50",
            "forecast_category": "pipeline"}


def test_a_save_over_someone_elses_change_shows_the_form_again_with_the_typed_values(
        sales_app, team):
    opportunity_id = team["ids"][5_000_050]
    first = team["rep"]
    second = sign_in(isolated_client(sales_app), first.user)  # another browser
    url = f"/sales/opportunities/{opportunity_id}/edit"
    mine = _edit_data(first.get(url).get_data(as_text=True), "我输入的名称", team)
    theirs = _edit_data(second.get(url).get_data(as_text=True), "他们先保存的名称", team)
    assert second.post(url, data=theirs).status_code == 302

    answer = first.post(url, data=mine)
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "changed by someone else while you were editing" in html
    assert 'value="我输入的名称"' in html  # the typed value is still there to copy
    detail = first.get(f"/sales/opportunities/{opportunity_id}").get_data(as_text=True)
    assert "他们先保存的名称" in detail and "我输入的名称" not in detail

    again = _edit_data(first.get(url).get_data(as_text=True), "重新加载后保存", team)
    assert first.post(url, data=again).status_code == 302

