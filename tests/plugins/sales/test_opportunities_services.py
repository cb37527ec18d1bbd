"""Opportunity services: a stage's required fields, the stage history's durations, the
events, and ``StageTotal`` staying equal to a fresh count and sum after random changes."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from opportunity_helpers import client, customer, pipeline
from sqlalchemy import func, select

from crm_core.toolkit import hookimpl


@pytest.fixture(scope="module")
def people(sales_app) -> dict[str, Any]:
    """Two reps of two departments and a customer (made once: users cost a password hash)."""
    east, west = client(sales_app, department="华东"), client(sales_app, department="华南")
    return {"east": east.user, "west": west.user,
            "customer_id": customer(sales_app, east.user)}


@pytest.fixture
def world(sales_app, people) -> Iterator[dict[str, Any]]:
    """A request context and a fresh pipeline, with ``people``."""
    from crm_core.db import get_session

    with sales_app.test_request_context():
        session = get_session()
        made, stages = pipeline(session)
        session.commit()
        yield {"session": session, "pipeline": made, "stages": stages, **people}
        session.rollback()


def _new(world: dict[str, Any], **values: Any) -> Any:
    from plugins.sales.opportunities.services import create_opportunity

    return create_opportunity(world["session"], {
        "name": "华东大单", "customer_id": world["customer_id"],
        "pipeline_id": world["pipeline"].id, **values}, world["east"])


def test_a_new_opportunity_starts_in_the_first_stage_owned_by_its_author(world):
    opportunity = _new(world)
    first = world["stages"][0]
    assert (opportunity.stage_id, opportunity.probability, opportunity.status) == \
        (first.id, 10, "open")
    assert opportunity.owner_id == world["east"].id
    assert opportunity.department_id == world["east"].department_id


def test_a_stage_refuses_an_opportunity_missing_a_required_field_and_names_it(world):
    from plugins.sales.opportunities.services import FieldError, change_stage

    opportunity = _new(world)
    negotiation = world["stages"][2]
    with pytest.raises(FieldError) as refused:
        change_stage(world["session"], opportunity, negotiation.id, world["east"])
    assert refused.value.field == "amount"
    assert "Amount" in str(refused.value) and "谈判" in str(refused.value)
    with pytest.raises(FieldError) as refused:
        change_stage(world["session"], opportunity, negotiation.id, world["east"],
                     {"amount": "12,000.50"})
    assert refused.value.field == "expected_close_date"
    change_stage(world["session"], opportunity, "谈判", world["east"],
                 {"amount": "12000.50", "expected_close_date": "2027-03-31"})
    assert (opportunity.stage_id, opportunity.amount, opportunity.probability) == \
        (negotiation.id, 1_200_050, 75)


def test_won_and_lost_close_the_opportunity_and_set_the_forecast_category(world):
    from plugins.sales.opportunities.services import change_stage

    won, lost = _new(world, amount=500), _new(world, amount=700)
    change_stage(world["session"], won, world["stages"][3].id, world["east"])
    change_stage(world["session"], lost, world["stages"][4].id, world["east"],
                 {"lost_reason": "价格太高"})
    assert (won.status, won.forecast_category, won.probability) == ("won", "closed", 100)
    assert (lost.status, lost.forecast_category, lost.lost_reason) == \
        ("lost", "omitted", "价格太高")
    assert won.closed_at is not None and lost.closed_at is not None
    change_stage(world["session"], won, world["stages"][0].id, world["east"])
    assert (won.status, won.closed_at, won.forecast_category) == ("open", None, "pipeline")


def test_the_history_records_the_time_spent_in_each_stage(world):
    from plugins.sales.models import StageHistory
    from plugins.sales.opportunities.history import humanise, stage_history, time_in_stages
    from plugins.sales.opportunities.services import change_stage

    session = world["session"]
    opportunity = _new(world, amount=100)
    first = session.scalar(select(StageHistory).where(
        StageHistory.opportunity_id == opportunity.id))
    first.entered_at = first.entered_at - dt.timedelta(days=3, hours=4)
    session.flush()
    change_stage(session, opportunity, world["stages"][1].id, world["east"])
    session.refresh(first)
    assert first.left_at is not None
    assert 3 * 86_400 + 4 * 3_600 <= first.seconds < 3 * 86_400 + 4 * 3_600 + 60
    stays = stage_history(session, opportunity.id)
    assert [stay.stage for stay in stays] == ["报价", "接洽"]
    assert stays[1].duration == "3 days 4 hours"
    assert stays[0].left_at is None
    assert dict(time_in_stages(stays))["接洽"] == "3 days 4 hours"
    assert humanise(90) == "1 minute" and humanise(2 * 3_600 + 5 * 60) == "2 hours 5 minutes"


def test_an_opportunity_idle_past_its_stage_limit_is_stale(world):
    from plugins.sales.opportunities.services import is_stale

    opportunity = _new(world)
    assert not is_stale(opportunity, 14)
    opportunity.stage_entered_at = opportunity.stage_entered_at - dt.timedelta(days=15)
    assert is_stale(opportunity, 14)
    assert not is_stale(opportunity, None)


class Listener:
    """A test plugin that hears the sales events."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def opportunity_stage_changed(self, opportunity_id, from_stage_id, to_stage_id, user_id):
        self.heard.append(("changed", {"id": opportunity_id, "from": from_stage_id,
                                       "to": to_stage_id}))

    @hookimpl
    def opportunity_won(self, opportunity_id, amount, customer_id):
        self.heard.append(("won", {"id": opportunity_id, "amount": amount}))

    @hookimpl
    def opportunity_lost(self, opportunity_id, reason, customer_id):
        self.heard.append(("lost", {"id": opportunity_id, "reason": reason}))

    @hookimpl
    def sales_opportunity_campaign(self, opportunity_id, customer_id, source):
        return 77 if source == "展会" else None


def test_stage_changes_fire_the_sales_events_and_marketing_names_the_campaign(world,
                                                                              sales_app):
    from plugins.sales.opportunities.services import change_stage

    listener = Listener()
    manager = sales_app.extensions["crm"].pm
    manager.register(listener, name="sales-test-listener")
    try:
        stages = world["stages"]
        opportunity = _new(world, amount=9_900, source="展会")
        change_stage(world["session"], opportunity, stages[3].id, world["east"])
        other = _new(world)
        change_stage(world["session"], other, stages[4].id, world["east"],
                     {"lost_reason": "预算取消"})
    finally:
        manager.unregister(listener)
    assert opportunity.campaign_id == 77 and other.campaign_id is None
    assert listener.heard[:3] == [
        ("changed", {"id": opportunity.id, "from": None, "to": stages[0].id}),
        ("changed", {"id": opportunity.id, "from": stages[0].id, "to": stages[3].id}),
        ("won", {"id": opportunity.id, "amount": 9_900})]
    assert listener.heard[-1] == ("lost", {"id": other.id, "reason": "预算取消"})


def _fresh_totals(session, stage_ids) -> dict[tuple, tuple]:
    from plugins.sales.models import Opportunity

    rows = session.execute(
        select(Opportunity.stage_id, Opportunity.owner_id, Opportunity.department_id,
               func.count(Opportunity.id), func.sum(Opportunity.amount))
        .where(Opportunity.deleted_at.is_(None), Opportunity.stage_id.in_(stage_ids))
        .group_by(Opportunity.stage_id, Opportunity.owner_id, Opportunity.department_id))
    return {tuple(row[:3]): (row[3], row[4]) for row in rows}


def _kept_totals(session, stage_ids) -> dict[tuple, tuple]:
    from plugins.sales.models import StageTotal

    rows = session.execute(select(StageTotal).where(StageTotal.stage_id.in_(stage_ids)))
    return {(row.stage_id, row.owner_id, row.department_id): (row.count, row.amount)
            for (row,) in rows if row.count}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stage_totals_equal_a_fresh_count_and_sum_after_random_changes(world, seed):
    from plugins.sales.opportunities import services

    session, stages = world["session"], world["stages"]
    stage_ids = [stage.id for stage in stages]
    rng = random.Random(seed)
    made: list[Any] = []
    for _step in range(40):
        operation = rng.choice(["create", "create", "move", "amount", "owner", "delete",
                                "restore"])
        if operation == "create" or not made:
            made.append(_new(world, amount=rng.randrange(0, 1_000_000)))
            continue
        target = rng.choice(made)
        if operation == "move":
            services.change_stage(session, target, rng.choice(stage_ids), world["east"], {
                "amount": "1000", "expected_close_date": "2027-01-01",
                "lost_reason": "随机"})
        elif operation == "amount":
            services.update_opportunity(session, target,
                                        {"amount": rng.randrange(0, 1_000_000)}, world["east"])
        elif operation == "owner":
            services.update_opportunity(session, target, {"owner_id": rng.choice(
                [world["east"].id, world["west"].id])}, world["east"])
        elif operation == "delete" and target.deleted_at is None:
            services.delete_opportunity(session, target, world["east"])
        elif operation == "restore" and target.deleted_at is not None:
            services.restore_opportunity(session, target, world["east"])
        assert _kept_totals(session, stage_ids) == _fresh_totals(session, stage_ids)
    assert _fresh_totals(session, stage_ids)
