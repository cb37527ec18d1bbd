"""The kanban's won and lost columns read the kept stage totals like the open ones: their
headers follow moves, deletions and the reader's scope, the kept numbers equal a rebuild
after random changes, and the board reads no opportunity rows however many have closed."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from opportunity_helpers import client, csrf_of, customer, pipeline

from crm_core.testing_clients import statements_of


@pytest.fixture(scope="module")
def closing(sales_app) -> dict[str, Any]:
    """A fresh pipeline with four of the east rep's opportunities (¥100, ¥200, ¥300, ¥400)
    in its first stage, and a west rep, a manager who sees everything."""
    from crm_core.db import get_session
    from plugins.sales.opportunities.services import create_opportunity

    east, west = client(sales_app, department="华东"), client(sales_app, department="华南")
    manager = client(sales_app, None, superuser=True)
    east_customer = customer(sales_app, east.user)
    with sales_app.test_request_context():
        session = get_session()
        made, stages = pipeline(session)
        ids = [create_opportunity(session, {
            "name": f"收尾商机{number}", "customer_id": east_customer, "pipeline_id": made.id,
            "amount": number * 100_00}, east.user).id for number in range(1, 5)]
        session.commit()
        return {"east": east, "west": west, "manager": manager, "pipeline": made.id,
                "stages": [stage.id for stage in stages], "ids": ids}


def _header(html: str, stage_id: int) -> tuple[str, str]:
    count = re.search(rf'class="sales-count" data-stage-id="{stage_id}">([^<]*)<', html)
    amount = re.search(rf'class="sales-amount" data-stage-id="{stage_id}">([^<]*)<', html)
    return count.group(1), amount.group(1)


def _move(closing: dict[str, Any], card: int, stage: int, **values: str) -> dict[str, Any]:
    east = closing["east"]
    token = csrf_of(east.get(f"/sales/kanban/{closing['pipeline']}").get_data(as_text=True))
    answer = east.post(f"/sales/opportunities/{card}/stage", data={"stage": str(stage),
                                                                   **values},
                       headers={"Accept": "application/json", "X-CSRFToken": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["headers"]


def test_won_and_lost_headers_follow_moves_and_the_readers_scope(closing):
    first, _second, _third, won, lost = closing["stages"]
    board = f"/sales/kanban/{closing['pipeline']}"
    headers = _move(closing, closing["ids"][0], won)
    assert headers[str(won)] == {"count": "1", "amount": "¥100.00"}
    headers = _move(closing, closing["ids"][1], lost, lost_reason="预算取消")
    assert headers[str(lost)] == {"count": "1", "amount": "¥200.00"}
    assert headers[str(first)] == {"count": "2", "amount": "¥700.00"}
    headers = _move(closing, closing["ids"][2], won)
    assert headers[str(won)] == {"count": "2", "amount": "¥400.00"}
    everything = closing["manager"].get(board).get_data(as_text=True)
    assert _header(everything, won) == ("2", "¥400.00")
    assert _header(everything, lost) == ("1", "¥200.00")
    other = closing["west"].get(board).get_data(as_text=True)
    assert _header(other, won) == ("0", "¥0.00")
    # reopened: it leaves the won column for the first stage again
    headers = _move(closing, closing["ids"][2], first)
    assert headers[str(won)] == {"count": "1", "amount": "¥100.00"}
    assert headers[str(first)] == {"count": "2", "amount": "¥700.00"}


def test_a_deleted_won_card_leaves_its_column(closing, sales_app):
    from crm_core.db import get_session
    from plugins.sales.models import Opportunity
    from plugins.sales.opportunities.services import delete_opportunity, restore_opportunity

    won = closing["stages"][3]
    board = f"/sales/kanban/{closing['pipeline']}"
    card = closing["ids"][3]
    _move(closing, card, won)
    before = _header(closing["east"].get(board).get_data(as_text=True), won)
    with sales_app.test_request_context():
        session = get_session()
        delete_opportunity(session, session.get(Opportunity, card), closing["east"].user)
        session.commit()
    after = _header(closing["east"].get(board).get_data(as_text=True), won)
    assert int(after[0]) == int(before[0]) - 1
    with sales_app.test_request_context():
        session = get_session()
        restore_opportunity(session, session.get(Opportunity, card), closing["east"].user)
        session.commit()
    assert _header(closing["east"].get(board).get_data(as_text=True), won) == before


def _kept(session, stage_ids: list[int]) -> dict[tuple, tuple]:
    from sqlalchemy import select

    from plugins.sales.models import StageTotal

    rows = session.execute(select(StageTotal).where(StageTotal.stage_id.in_(stage_ids)))
    return {(row.stage_id, row.owner_id, row.department_id): (row.count, row.amount)
            for (row,) in rows if row.count}


@pytest.mark.parametrize("seed", [7, 8])
def test_kept_stage_totals_equal_a_rebuild_after_random_moves(sales_app, seed):
    from crm_core.db import get_session
    from plugins.sales.aggregates.rebuild import rebuild
    from plugins.sales.opportunities import services

    east, west = client(sales_app, department="华东"), client(sales_app, department="华南")
    owner_customer = customer(sales_app, east.user)
    rng = random.Random(seed)
    with sales_app.test_request_context():
        session = get_session()
        _made, stages = pipeline(session)
        stage_ids = [stage.id for stage in stages]
        made: list[Any] = []
        for _step in range(60):
            operation = rng.choice(["create", "move", "move", "move", "amount", "owner",
                                    "delete", "restore"])
            if operation == "create" or not made:
                made.append(services.create_opportunity(session, {
                    "name": f"随机{seed}-{_step}", "customer_id": owner_customer,
                    "pipeline_id": _made.id, "amount": rng.randrange(0, 1_000_000)},
                    east.user))
                continue
            target = rng.choice(made)
            if operation == "move" and target.deleted_at is None:
                services.change_stage(session, target, rng.choice(stage_ids), east.user, {
                    "amount": str(rng.randrange(1, 9999)),
                    "expected_close_date": "2027-01-01", "lost_reason": "随机"})
            elif operation == "amount" and target.deleted_at is None:
                services.update_opportunity(session, target, {
                    "amount": rng.randrange(0, 1_000_000)}, east.user)
            elif operation == "owner" and target.deleted_at is None:
                services.update_opportunity(session, target, {"owner_id": rng.choice(
                    [east.user.id, west.user.id])}, east.user)
            elif operation == "delete" and target.deleted_at is None:
                services.delete_opportunity(session, target, east.user)
            elif operation == "restore" and target.deleted_at is not None:
                services.restore_opportunity(session, target, east.user)
        live = [item for item in made if item.deleted_at is None]
        services.change_stage(session, live[0], stage_ids[3], east.user)
        services.change_stage(session, live[-1], stage_ids[4], east.user,
                              {"lost_reason": "随机"})
        kept = _kept(session, stage_ids)
        assert {stage_ids[3], stage_ids[4]} <= {key[0] for key in kept}  # won, lost kept
        rebuild(session)
        assert _kept(session, stage_ids) == kept
        session.rollback()


def test_the_board_reads_no_opportunity_rows_for_its_headers(closing, sales_app):
    def kind(sql: str) -> str:
        return "opportunities" if "FROM sales_opportunity" in sql else "other"

    for who in ("east", "manager"):
        found = statements_of(sales_app, closing[who], f"/sales/kanban/{closing['pipeline']}",
                              kind)
        assert "opportunities" not in found, found.get("opportunities")
        assert sum(len(group) for group in found.values()) <= 8
