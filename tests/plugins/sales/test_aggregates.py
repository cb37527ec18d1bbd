"""The maintained sales aggregates: kept by the events in the unit of work, they equal what
``rebuild`` recomputes from the records after any sequence of events; the customer's total
follows confirmed orders; a merge moves the sales records; ``crm sales rebuild-aggregates``."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sales_s5_world import add_opportunity, add_order, make_world
from sqlalchemy import func, select

from crm_core.testing import DATABASES


@pytest.fixture(scope="module", params=DATABASES)
def world(request, tmp_path_factory):
    """An app with customers and sales and the S5 world, on SQLite and on PostgreSQL
    (when ``CRM_TEST_DATABASE_URL`` names a server)."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import FreshDatabases, test_config

    instance = tmp_path_factory.mktemp("sales-aggregates")
    databases = FreshDatabases(instance)
    app = create_app(test_config(instance, databases.new(request.param),
                                 ["customers", "sales"]))
    with app.app_context():
        upgrade(app)
    yield make_world(app)
    app.extensions["crm_db"].engine.dispose()
    databases.drop_all()


@pytest.fixture
def session(world):
    """The app context's session (the one the listeners write in), rolled back after."""
    from crm_core.toolkit import get_session

    with world.app.test_request_context():
        yield get_session()
        get_session().rollback()


def _monthly(session):
    from plugins.sales.models import MonthlyTotal

    columns = ("won_count", "won_amount", "lost_count", "order_count", "order_amount",
               "payment_amount")
    kept = defaultdict(lambda: [0] * len(columns))
    for row in session.scalars(select(MonthlyTotal)):
        key = (str(row.month)[:10], row.owner_id, row.department_id)
        for index, name in enumerate(columns):
            kept[key][index] += getattr(row, name)
    return {key: tuple(values) for key, values in kept.items() if any(values)}


def _forecast(session):
    from plugins.sales.models import ForecastTotal

    kept = defaultdict(lambda: [0, 0, 0])
    for row in session.scalars(select(ForecastTotal)):
        key = (str(row.month)[:10], row.owner_id, row.department_id, row.category)
        for index, name in enumerate(("count", "amount", "weighted")):
            kept[key][index] += getattr(row, name)
    return {key: tuple(values) for key, values in kept.items() if any(values)}


def _products(session):
    from plugins.sales.models import ProductMonthlyTotal

    kept = defaultdict(lambda: [0, 0])
    for row in session.scalars(select(ProductMonthlyTotal)):
        key = (str(row.month)[:10], row.product_id, row.owner_id, row.department_id)
        kept[key][0] += row.quantity
        kept[key][1] += row.amount
    return {key: tuple(values) for key, values in kept.items() if any(values)}


def _receivables(session):
    from plugins.sales.models import ReceivableTotal

    kept = defaultdict(lambda: [0, 0])
    for row in session.scalars(select(ReceivableTotal)):
        key = (str(row.due_date)[:10], row.owner_id, row.department_id)
        kept[key][0] += row.count
        kept[key][1] += row.amount
    return {key: tuple(values) for key, values in kept.items() if any(values)}


CATEGORIES = ("pipeline", "best_case", "commit", "omitted")


class Clock:
    """A time that moves forward a few hours to a few days per step, across months."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = dt.datetime.now(dt.UTC) - dt.timedelta(days=120)

    def tick(self) -> dt.datetime:
        self.now += dt.timedelta(hours=self.rng.randint(1, 60))
        return self.now


def _move(session, world, opportunity, stage, at):
    """What the opportunities feature does on a move: history, status, closed_at, events."""
    from crm_core.toolkit import emit
    from plugins.sales.models import StageHistory

    previous = opportunity.stage_id
    session.execute(StageHistory.__table__.update()
                    .where(StageHistory.opportunity_id == opportunity.id,
                           StageHistory.left_at.is_(None)).values(left_at=at))
    session.add(StageHistory(opportunity_id=opportunity.id, stage_id=world.stages[stage],
                             from_stage_id=previous, entered_at=at))
    kind = {"won": "won", "lost": "lost"}.get(stage, "open")
    opportunity.stage_id, opportunity.status = world.stages[stage], kind
    opportunity.closed_at = at if kind != "open" else None
    session.flush()
    emit("opportunity_stage_changed", session, opportunity_id=opportunity.id,
         from_stage_id=previous, to_stage_id=world.stages[stage], user_id=None)
    if kind == "won":
        emit("opportunity_won", session, opportunity_id=opportunity.id,
             amount=opportunity.amount, customer_id=opportunity.customer_id)
    elif kind == "lost":
        emit("opportunity_lost", session, opportunity_id=opportunity.id, reason="价格",
             customer_id=opportunity.customer_id)


def _plan_event(session, world, rng, contracts, at):
    """What the plan editor, payments, approval, expiry, termination, deletion, restore and
    reassigning do to contracts and their instalments (ORM writes, as every path makes)."""
    from plugins.sales.models import Contract, Instalment

    action = rng.choice(("contract", "plan", "plan", "pay", "status", "owner", "delete",
                         "drop"))
    if action == "contract" or not contracts:
        who = world.users[rng.choice(("rep_west", "rep_east", "manager_west"))]
        contract = Contract(number=f"HT-R-{len(contracts)}", customer_id=world.customers[
            "West"], amount=10**9, status=rng.choice(("draft", "active")), owner_id=who.id,
            department_id=who.department_id)
        session.add(contract)
        contracts.append(contract)
    elif action == "plan":
        contract = rng.choice(contracts)
        session.add(Instalment(contract_id=contract.id, due_date=at.date() + dt.timedelta(
            days=rng.randint(-200, 200)), amount=rng.randint(1, 10**6)))
    else:
        contract = rng.choice(contracts)
        plan = session.scalars(select(Instalment)
                               .where(Instalment.contract_id == contract.id)).all()
        if action == "pay" and plan:
            instalment = rng.choice(plan)
            instalment.received_amount = rng.choice((0, instalment.amount // 3,
                                                     instalment.amount))
            instalment.status = ("open", "partial", "paid")[
                (instalment.received_amount > 0) + (instalment.received_amount
                                                    >= instalment.amount)]
        elif action == "status":
            contract.status = rng.choice(("draft", "pending_approval", "active", "expired",
                                          "terminated"))
        elif action == "owner":
            who = world.users[rng.choice(("rep_west", "rep_east", "manager_west"))]
            contract.owner_id, contract.department_id = who.id, who.department_id
        elif action == "delete":
            contract.deleted_at = None if contract.deleted_at else at
        elif action == "drop" and plan:
            session.delete(rng.choice(plan))
    session.flush()


def test_kept_aggregates_equal_a_rebuild_after_random_events(session, world):
    from crm_core.toolkit import emit
    from plugins.sales.aggregates.rebuild import rebuild
    from plugins.sales.models import Contract, Payment, StageHistory, StageTotal

    rng = random.Random(20261206)
    clock = Clock(rng)
    owners = ("rep_west", "rep_east", "manager_west")
    opportunities, orders, plans = [], [], []
    contracts = {}
    for department in ("West", "East"):
        contract = Contract(number=f"HT-S5-{department}", customer_id=world.customers[
            department], amount=10_000_000, owner_id=world.users[f"rep_{department.lower()}"].id,
            department_id=world.departments[department])
        session.add(contract)
        session.flush()
        contracts[department] = contract
    for _step in range(240):
        action = rng.choice(("new", "move", "move", "edit", "order", "confirm", "confirm",
                             "cancel", "pay", "plan", "plan"))
        at = clock.tick()
        if action == "plan":
            _plan_event(session, world, rng, plans, at)
        elif action == "new" or not opportunities:
            opportunity = add_opportunity(
                session, world, rng.choice(owners),
                amount=rng.randint(1, 900) * 1000 + rng.randint(0, 99),
                close=at.date() + dt.timedelta(days=rng.randint(0, 200)),
                category=rng.choice(CATEGORIES), probability=rng.randint(0, 100))
            session.add(StageHistory(opportunity_id=opportunity.id,
                                     stage_id=opportunity.stage_id, entered_at=at))
            opportunities.append(opportunity)
        elif action == "move":
            opportunity = rng.choice(opportunities)
            stage = rng.choice([name for name in ("open1", "open2", "won", "lost")
                                if world.stages[name] != opportunity.stage_id])
            _move(session, world, opportunity, stage, at)
        elif action == "edit":  # what forms, the API and bulk actions change
            opportunity = rng.choice(opportunities)
            change = rng.choice(("amount", "probability", "close", "category", "delete"))
            if change == "amount" and opportunity.status == "open":
                opportunity.amount = rng.randint(0, 10**8)
            elif change == "probability":
                opportunity.probability = rng.randint(0, 100)
            elif change == "close":
                opportunity.expected_close_date = rng.choice(
                    (None, at.date() + dt.timedelta(days=rng.randint(-30, 300))))
            elif change == "category":
                opportunity.forecast_category = rng.choice(CATEGORIES)
            elif change == "delete" and opportunity.status == "open":
                opportunity.deleted_at = at  # a deleted deal is no longer moved or edited
                opportunities.remove(opportunity)
            session.flush()
        elif action == "order" or (action in ("confirm", "cancel") and not orders):
            lines = [(rng.randrange(3), rng.randint(1, 5000), rng.randint(1, 99_999))
                     for _line in range(rng.randint(1, 4))]
            orders.append(add_order(session, world, rng.choice(owners), lines))
        elif action == "confirm":
            order = rng.choice(orders)
            if order.status == "draft":
                order.status, order.confirmed_at = "confirmed", at
                session.flush()
                emit("order_confirmed", session, order_id=order.id,
                     customer_id=order.customer_id, total_amount=order.total_amount)
        elif action == "cancel":
            order = rng.choice(orders)
            if order.status in ("draft", "confirmed"):
                was_confirmed = order.status == "confirmed"
                order.status, order.cancelled_at = "cancelled", at
                session.flush()
                emit("order_cancelled", session, order_id=order.id,
                     customer_id=order.customer_id, total_amount=order.total_amount,
                     was_confirmed=was_confirmed)
        else:
            who = rng.choice(owners)
            contract = contracts["West" if who.endswith("west") else "East"]
            user = world.users[who]
            payment = Payment(contract_id=contract.id, customer_id=contract.customer_id,
                              amount=rng.randint(1, 10**7), received_on=at.date(),
                              owner_id=user.id, department_id=user.department_id)
            session.add(payment)
            session.flush()
            emit("payment_received", session, payment_id=payment.id,
                 contract_id=contract.id, customer_id=contract.customer_id,
                 amount=payment.amount)
    kept_monthly, kept_products = _monthly(session), _products(session)
    kept_forecast, kept_receivables = _forecast(session), _receivables(session)
    assert len(kept_forecast) >= 5
    assert len(kept_receivables) >= 5  # unpaid instalments of collecting contracts
    assert sum(values[0] for values in kept_monthly.values()) >= 1  # won some
    assert sum(values[3] for values in kept_monthly.values()) >= 2  # confirmed orders
    assert len({key[0] for key in kept_monthly}) >= 3  # across months
    assert kept_products

    written = rebuild(session)

    assert _monthly(session) == kept_monthly
    assert _products(session) == kept_products
    assert _forecast(session) == kept_forecast
    assert _receivables(session) == kept_receivables
    live_count = sum(1 for item in opportunities if item.deleted_at is None)
    assert session.scalar(select(func.sum(StageTotal.count))) == live_count  # won, lost too
    assert written["monthly_totals"] == len(kept_monthly)


def test_an_order_counts_in_the_company_month_of_its_confirmation(session, world):
    from crm_core.toolkit import emit
    from plugins.sales.models import MonthlyTotal

    order = add_order(session, world, "rep_east", [(0, 1000, 10_000)])
    # 20:00 UTC on 31 January is 1 February 04:00 in Shanghai: February's order
    order.status, order.confirmed_at = "confirmed", dt.datetime(2026, 1, 31, 20, tzinfo=dt.UTC)
    session.flush()
    emit("order_confirmed", session, order_id=order.id, customer_id=order.customer_id,
         total_amount=order.total_amount)
    months = session.execute(select(MonthlyTotal.month, MonthlyTotal.order_amount)
                             .where(MonthlyTotal.order_count > 0)).all()
    assert [(str(month)[:10], amount) for month, amount in months] == [("2026-02-01", 11_300)]


def _total(session, customer_id):
    from crm_core.toolkit import Model

    table = Model.metadata.tables["customers_customer"]
    return session.scalar(select(table.c.total_amount).where(table.c.id == customer_id))


def test_the_customer_total_follows_confirmed_orders(session, world):
    from crm_core.toolkit import emit

    customer_id = world.customers["West"]
    before = _total(session, customer_id) or 0
    # 3 × ¥19.99, 7.5 % off, 13 % VAT: 55.47 + 7.21 = ¥62.68
    order = add_order(session, world, "rep_west", [(0, 3000, 1999)])
    order.total_amount = 6268
    order.status, order.confirmed_at = "confirmed", dt.datetime.now(dt.UTC)
    session.flush()
    emit("order_confirmed", session, order_id=order.id, customer_id=customer_id,
         total_amount=6268)
    assert _total(session, customer_id) == before + 6268

    order.status = "cancelled"
    session.flush()
    emit("order_cancelled", session, order_id=order.id, customer_id=customer_id,
         total_amount=6268, was_confirmed=True)
    emit("order_cancelled", session, order_id=order.id, customer_id=customer_id,
         total_amount=500, was_confirmed=False)  # a draft never counted
    assert _total(session, customer_id) == before


def test_fen_become_yuan_exactly():
    from plugins.sales.customer.listeners import yuan_of

    assert yuan_of(6268) == Decimal("62.68")
    assert yuan_of(-1) == Decimal("-0.01")
    assert yuan_of(10**15 + 7) == Decimal("10000000000000.07")


def test_a_merge_moves_the_sales_records_to_the_target(session, world):
    from crm_core.toolkit import emit
    from plugins.customers import services as customers
    from plugins.sales.models import Opportunity, Order

    other = customers.create_customer(session, name="待合并客户", owner_id=world.users[
        "rep_west"].id)
    opportunity = add_opportunity(session, world, "rep_west", amount=1000)
    opportunity.customer_id = other.id
    order = add_order(session, world, "rep_west", [(1, 1000, 100)])
    order.customer_id = other.id
    session.flush()
    emit("customer_merged", session, target_id=world.customers["West"],
         merged_ids=[other.id])
    assert session.get(Opportunity, opportunity.id).customer_id == world.customers["West"]
    assert session.get(Order, order.id).customer_id == world.customers["West"]


def test_the_rebuild_command_says_what_it_wrote(world):
    result = world.app.test_cli_runner().invoke(args=["sales", "rebuild-aggregates"])
    assert result.exit_code == 0, result.output
    assert "Sales aggregates rebuilt" in result.output
    assert "monthly_totals" in result.output
