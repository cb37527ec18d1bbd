"""The kanban: headers with count and sum, columns loaded lazily by amount (20, then "load
more"), moving a card (JSON for the script, a redirect without it), a refused move naming the
missing field, stale cards, and another department's card answering 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from opportunity_helpers import client, csrf_of, customer, pipeline


@pytest.fixture(scope="module")
def board(sales_app) -> dict[str, Any]:
    """A fresh pipeline with 23 of the east rep's opportunities in its first stage, one of
    them idle for 20 days, and one of the west rep's."""
    from crm_core.db import get_session
    from plugins.sales.models import Opportunity
    from plugins.sales.opportunities.services import create_opportunity

    east, west = client(sales_app, department="华东"), client(sales_app, department="华南")
    manager = client(sales_app, None, superuser=True)
    east_customer, west_customer = customer(sales_app, east.user), customer(sales_app,
                                                                            west.user)
    with sales_app.test_request_context():
        session = get_session()
        made, stages = pipeline(session)
        ids = [create_opportunity(session, {
            "name": f"东部商机{number:02d}", "customer_id": east_customer,
            "pipeline_id": made.id, "amount": number * 100_00}, east.user).id
            for number in range(1, 24)]
        old = session.get(Opportunity, ids[-1])
        old.stage_entered_at = old.stage_entered_at - dt.timedelta(days=20)
        west_id = create_opportunity(session, {
            "name": "华南商机", "customer_id": west_customer, "pipeline_id": made.id,
            "amount": 50_000_00}, west.user).id
        session.commit()
        return {"east": east, "west": west, "manager": manager, "pipeline": made.id,
                "stages": [stage.id for stage in stages], "ids": ids, "west_id": west_id}


def _numbers(html: str, stage_id: int) -> tuple[str, str]:
    count = re.search(rf'class="sales-count" data-stage-id="{stage_id}">([^<]*)<', html)
    amount = re.search(rf'class="sales-amount" data-stage-id="{stage_id}">([^<]*)<', html)
    return count.group(1), amount.group(1)


def test_headers_show_the_count_and_sum_each_user_may_see(board):
    first = board["stages"][0]
    page = board["east"].get(f"/sales/kanban/{board['pipeline']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _numbers(html, first) == ("23", "¥27,600.00")
    assert "sales-kanban-loading" in html and "东部商机" not in html  # cards come later
    everything = board["manager"].get(f"/sales/kanban/{board['pipeline']}")
    assert _numbers(everything.get_data(as_text=True), first) == ("24", "¥77,600.00")


def test_a_column_loads_twenty_cards_by_amount_then_the_rest(board):
    url = f"/sales/kanban/{board['pipeline']}/columns/{board['stages'][0]}"
    html = board["east"].get(url).get_data(as_text=True)
    names = re.findall(r'id="card-\d+-name"[^>]*>([^<]+)<', html)
    assert names[:2] == ["东部商机23", "东部商机22"] and len(names) == 20
    assert "华南商机" not in html
    more = re.search(r'data-more-url="([^"]+)"', html).group(1).replace("&amp;", "&")
    rest = re.findall(r'id="card-\d+-name"[^>]*>([^<]+)<',
                      board["east"].get(more).get_data(as_text=True))
    assert rest == ["东部商机03", "东部商机02", "东部商机01"]
    empty = board["east"].get(f"/sales/kanban/{board['pipeline']}/columns/"
                              f"{board['stages'][1]}").get_data(as_text=True)
    assert "No opportunities in this stage." in empty


def test_stale_cards_are_marked_and_can_be_shown_alone(board):
    url = f"/sales/kanban/{board['pipeline']}/columns/{board['stages'][0]}"
    html = board["east"].get(url + "?stale=1").get_data(as_text=True)
    assert re.findall(r'id="card-\d+-name"[^>]*>([^<]+)<', html) == ["东部商机23"]
    assert "sales-stale-badge" in html


def test_moving_a_card_answers_the_card_and_the_new_headers(board):
    east, (first, second, third, *_rest) = board["east"], board["stages"]
    token = csrf_of(east.get(f"/sales/kanban/{board['pipeline']}").get_data(as_text=True))
    card = board["ids"][0]
    url = f"/sales/opportunities/{card}/stage"
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    refused = east.post(url, data={"stage": str(third)}, headers=headers)
    assert refused.status_code == 422
    assert refused.json["field"] == "expected_close_date"
    assert "Expected close date" in refused.json["message"]
    moved = east.post(url, data={"stage": str(third), "expected_close_date": "2027-02-01"},
                      headers=headers)
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.json["stage_id"] == third
    assert moved.json["headers"][str(first)]["count"] == "22"
    assert moved.json["headers"][str(third)] == {"count": "1", "amount": "¥100.00"}
    assert "东部商机01" in moved.json["card"]
    assert _logged_stage_change(board, card, east.user.id, third)
    # without the script: a plain form post goes back to the board
    back = east.post(url, data={"stage": str(second), "csrf_token": token})
    assert back.status_code == 302 and f"/sales/kanban/{board['pipeline']}" in \
        back.headers["Location"]


def test_a_card_of_another_department_is_not_found(board):
    east = board["east"]
    token = csrf_of(east.get(f"/sales/kanban/{board['pipeline']}").get_data(as_text=True))
    answer = east.post(f"/sales/opportunities/{board['west_id']}/stage",
                       data={"stage": str(board["stages"][1])},
                       headers={"Accept": "application/json", "X-CSRFToken": token})
    assert answer.status_code == 404
    assert east.get(f"/sales/opportunities/{board['west_id']}").status_code == 404


def test_the_default_kanban_opens_on_the_default_pipeline(board):
    html = board["east"].get("/sales/kanban").get_data(as_text=True)
    assert "初步接洽" in html and "商务谈判" in html


def _logged_stage_change(board, opportunity_id: int, user_id: int, stage_id: int) -> bool:
    """Whether the operation log holds the move: the opportunity's new stage, by the user."""
    from flask import current_app
    from sqlalchemy import text

    with board["east"].application.app_context():
        session = current_app.extensions["crm_db"].new_session()
        try:
            rows = session.execute(text(
                "SELECT changes FROM core_audit_log WHERE model LIKE '%Opportunity%' "
                "AND record_id = :id AND user_id = :user"),
                {"id": str(opportunity_id), "user": user_id}).scalars().all()
        finally:
            session.close()
    return any("stage_id" in changes and str(stage_id) in changes for changes in rows)
