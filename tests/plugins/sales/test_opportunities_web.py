"""Opportunities through the pages and the API: the form takes yuan, the detail shows the
stage history, the list marks stale ones, bulk changes (reassign, move, mark lost), the stage
API (id or name, problem+json naming the refused field), and another department's record
answering 404 everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from opportunity_helpers import client, csrf_of, customer, pipeline


@pytest.fixture(scope="module")
def team(sales_app) -> dict[str, Any]:
    """East and west reps (pages and API), their customers, and a fresh pipeline."""
    from crm_core.db import get_session

    east, west = client(sales_app, department="华东"), client(sales_app, department="华南")
    east_api = client(sales_app, department="华东", api=True)
    with sales_app.test_request_context():
        session = get_session()
        made, stages = pipeline(session)
        session.commit()
        return {"east": east, "west": west, "east_api": east_api,
                "east_customer": customer(sales_app, east.user),
                "west_customer": customer(sales_app, west.user),
                "east_api_customer": customer(sales_app, east_api.user),
                "pipeline": made.id, "stages": [stage.id for stage in stages]}


def _make(sales_app, team, who: str, name: str, amount: int = 0) -> int:
    from crm_core.db import get_session
    from plugins.sales.opportunities.services import create_opportunity

    with sales_app.test_request_context():
        session = get_session()
        made = create_opportunity(session, {
            "name": name, "customer_id": team[f"{who}_customer"],
            "pipeline_id": team["pipeline"], "amount": amount}, team[who].user)
        session.commit()
        return made.id


def test_the_form_takes_the_amount_in_yuan_and_the_detail_shows_the_history(team):
    east = team["east"]
    token = csrf_of(east.get("/sales/opportunities/new").get_data(as_text=True))
    saved = east.post("/sales/opportunities", data={
        "csrf_token": token, "name": "上海年度采购", "customer_id": team["east_customer"],
        "type": "new", "pipeline_id": team["pipeline"], "stage_id": "",
        "amount": "12,345.60", "forecast_category": "pipeline"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    detail = east.get(saved.headers["Location"])
    html = detail.get_data(as_text=True)
    assert "¥12,345.60" in html and "Stage history" in html and "接洽" in html
    assert "Current" in html


def test_the_form_refuses_a_stage_missing_a_required_field(team):
    east = team["east"]
    token = csrf_of(east.get("/sales/opportunities/new").get_data(as_text=True))
    refused = east.post("/sales/opportunities", data={
        "csrf_token": token, "name": "缺金额", "customer_id": team["east_customer"],
        "type": "new", "pipeline_id": team["pipeline"], "stage_id": team["stages"][1],
        "amount": "", "forecast_category": "pipeline"})
    assert refused.status_code in (200, 400, 422)
    assert "“Amount” is required before an opportunity enters the stage “报价”." in \
        refused.get_data(as_text=True).replace("&#34;", '"')


def test_the_api_moves_by_stage_name_or_id_and_names_what_it_refuses(sales_app, team):
    api = team["east_api"]
    created = api.post("/api/v1/sales/opportunities", json={
        "name": "接口商机", "customer_id": team["east_api_customer"],
        "pipeline_id": team["pipeline"], "amount": "88.80"})
    assert created.status_code == 201, created.get_json()
    assert created.json["amount"] == "88.80" and created.json["status"] == "open"
    url = f"/api/v1/sales/opportunities/{created.json['id']}/stage"
    missing = api.post(url, json={"stage": "谈判"})
    assert missing.status_code == 422
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert "expected_close_date" in missing.json["errors"]
    unknown = api.post(url, json={"stage": "没有这个阶段"})
    assert unknown.status_code == 422 and "stage" in unknown.json["errors"]
    default_stage = _default_stage(sales_app)
    other = api.post(url, json={"stage": default_stage})
    assert other.status_code == 422 and "stage" in other.json["errors"]
    moved = api.post(url, json={"stage": "谈判", "expected_close_date": "2027-06-30"})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.json["stage"], moved.json["probability"]) == ("谈判", 75)
    won = api.post(url, json={"stage": team["stages"][3]})
    assert (won.json["status"], won.json["forecast_category"]) == ("won", "closed")


def _default_stage(sales_app) -> int:
    from sqlalchemy import select

    from crm_core.db import get_session
    from plugins.sales.models import Stage
    from plugins.sales.pipelines.services import default_pipeline

    with sales_app.test_request_context():
        session = get_session()
        return session.scalar(select(Stage.id).where(
            Stage.pipeline_id == default_pipeline(session).id).limit(1))


def test_another_departments_opportunity_is_not_found_anywhere(sales_app, team):
    west_id = _make(sales_app, team, "west", "华南机密商机")
    api = team["east_api"]
    assert team["east"].get(f"/sales/opportunities/{west_id}").status_code == 404
    assert api.get(f"/api/v1/sales/opportunities/{west_id}").status_code == 404
    assert api.post(f"/api/v1/sales/opportunities/{west_id}/stage",
                    json={"stage": "报价"}).status_code == 404
    listed = api.get(f"/api/v1/sales/opportunities?pipeline_id={team['pipeline']}")
    assert "华南机密商机" not in str(listed.json)


def test_bulk_changes_reassign_move_and_mark_lost_the_ticked(sales_app, team):
    east = team["east"]
    ids = [_make(sales_app, team, "east", f"批量{number}", 1000) for number in range(3)]
    west_id = _make(sales_app, team, "west", "华南不可动", 1000)
    page = east.get(f"/sales/opportunities?pipeline_id={team['pipeline']}")
    html = page.get_data(as_text=True)
    assert "Change the ticked opportunities" in html
    token = csrf_of(html)

    def change(**form: Any) -> str:
        answer = east.post("/sales/opportunities/bulk-change",
                           data={"csrf_token": token, "ids": [*ids, west_id], **form})
        assert answer.status_code == 302
        return east.get(answer.headers["Location"]).get_data(as_text=True)

    assert "3 opportunities changed." in change(change="move", stage_id=team["stages"][1])
    assert "Say why they were lost." in change(change="lost", lost_reason="")
    assert "3 opportunities changed." in change(change="lost", lost_reason="预算砍掉")
    assert "3 opportunities changed." in change(change="reassign",
                                                owner_id=team["west"].user.id)
    from crm_core.db import get_session
    from plugins.sales.models import Opportunity

    with sales_app.test_request_context():
        session = get_session()
        rows = [session.get(Opportunity, number) for number in [*ids, west_id]]
        assert {(row.status, row.lost_reason, row.owner_id) for row in rows[:3]} == \
            {("lost", "预算砍掉", team["west"].user.id)}
        assert rows[3].status == "open"  # outside the east rep's scope: untouched


def test_the_list_marks_stale_opportunities(sales_app, team):
    import datetime as dt

    from crm_core.db import get_session
    from plugins.sales.models import Opportunity

    stale_id = _make(sales_app, team, "east", "久未跟进")
    with sales_app.test_request_context():
        session = get_session()
        row = session.get(Opportunity, stale_id)
        row.stage_entered_at = row.stage_entered_at - dt.timedelta(days=30)
        session.commit()
    html = team["east"].get("/sales/opportunities?q=久未跟进").get_data(as_text=True)
    assert re.search(r"久未跟进.*Stale", html, re.S)


def test_the_detail_page_moves_the_opportunity_and_comes_back(sales_app, team):
    east = team["east"]
    opportunity_id = _make(sales_app, team, "east", "详情页移动", 5_000)
    page = east.get(f"/sales/opportunities/{opportunity_id}").get_data(as_text=True)
    assert "Move to…" in page
    # a quote starts from the opportunity's page, for its customer
    new_quote = f"/sales/quotes/new?opportunity_id={opportunity_id}"
    assert f'href="{new_quote}"' in page
    assert east.get(new_quote).status_code in (200, 302)
    moved = east.post(f"/sales/opportunities/{opportunity_id}/stage", data={
        "csrf_token": csrf_of(page), "stage": str(team["stages"][1]),
        "next": f"/sales/opportunities/{opportunity_id}"})
    assert moved.headers["Location"].endswith(f"/sales/opportunities/{opportunity_id}")
    html = east.get(moved.headers["Location"]).get_data(as_text=True)
    assert "“详情页移动” moved to 报价." in html.replace("&#34;", '"')
    assert html.index("报价") < html.index("接洽")  # the latest stay first


def test_a_purged_customer_takes_its_opportunities_out_of_the_totals(sales_app, team):
    from sqlalchemy import func, select

    from crm_core.db import get_session
    from plugins.sales.models import Opportunity, StageTotal
    from plugins.sales.opportunities.resource import on_customer_purged

    rep = client(sales_app, department="华东")
    customer_id = customer(sales_app, rep.user)
    team = {**team, "rep": rep, "rep_customer": customer_id}
    _make(sales_app, team, "rep", "将被清除", 7_000)
    first = team["stages"][0]

    def kept(session) -> int:
        return session.scalar(select(func.coalesce(func.sum(StageTotal.count), 0)).where(
            StageTotal.stage_id == first, StageTotal.owner_id == rep.user.id))

    with sales_app.test_request_context():
        session = get_session()
        assert kept(session) == 1
        on_customer_purged(customer_id)
        assert kept(session) == 0
        assert session.scalar(select(func.count(Opportunity.id)).where(
            Opportunity.customer_id == customer_id)) == 0
        session.rollback()
