"""A small sales world for the aggregates, forecast, targets, widgets and customer panels
tests (no tests here): one app per test module, two departments (West, East) each with a
rep and a manager, a pipeline with open/won/lost stages, customers and products."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

_numbers = itertools.count(1)


@dataclass
class World:
    """Ids of what the tests build on."""

    app: Any
    users: dict[str, Any] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    stages: dict[str, int] = field(default_factory=dict)
    pipeline_id: int = 0
    customers: dict[str, int] = field(default_factory=dict)
    products: list[int] = field(default_factory=list)


def make_world(app: Any) -> World:
    """Users ``rep_west``, ``manager_west``, ``rep_east``, ``manager_east``, ``admin``; a
    customer per department; a pipeline (``open1``, ``open2``, ``won``, ``lost``); 3 products."""
    from crm_core.testing import create_test_user
    from plugins.customers import services as customers
    from plugins.sales.models import Pipeline, Product, Stage

    world = World(app=app)
    for name, role, department in (("rep_west", "sales", "West"),
                                   ("manager_west", "manager", "West"),
                                   ("rep_east", "sales", "East"),
                                   ("manager_east", "manager", "East")):
        world.users[name] = create_test_user(app, name, roles=[role], department=department)
    world.users["admin"] = create_test_user(app, "admin", superuser=True)
    world.departments = {"West": world.users["rep_west"].department_id,
                         "East": world.users["rep_east"].department_id}
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        pipeline = session.scalar(select(Pipeline).where(Pipeline.name == "S5 测试流程"))
        if pipeline is None:
            session.execute(Pipeline.__table__.update().values(is_default=False))
            pipeline = Pipeline(name="S5 测试流程", is_default=True, position=99)
            session.add(pipeline)
            session.flush()
            for position, (name, kind, probability) in enumerate(
                    (("需求确认", "open", 20), ("商务谈判", "open", 60), ("赢单", "won", 100),
                     ("输单", "lost", 0))):
                session.add(Stage(pipeline_id=pipeline.id, name=name, kind=kind,
                                  probability=probability, position=position))
            session.flush()
        world.pipeline_id = pipeline.id
        stages = session.scalars(select(Stage).where(Stage.pipeline_id == pipeline.id)
                                 .order_by(Stage.position)).all()
        world.stages = dict(zip(("open1", "open2", "won", "lost"),
                                (stage.id for stage in stages), strict=True))
        for department in ("West", "East"):
            owner = world.users[f"rep_{department.lower()}"]
            customer = customers.create_customer(session, name=f"{department} 客户有限公司",
                                                 owner_id=owner.id)
            world.customers[department] = customer.id
        for number in range(3):
            product = Product(sku=f"S5-{number}", name=f"产品{number}", unit="件",
                              list_price=10_000, tax_rate=1300)
            session.add(product)
            session.flush()
            world.products.append(product.id)
        session.commit()
        session.close()
    return world


def owned(world: World, who: str) -> dict[str, Any]:
    """``owner_id`` and ``department_id`` of user ``who``."""
    user = world.users[who]
    return {"owner_id": user.id, "department_id": user.department_id}


def add_opportunity(session: Any, world: World, who: str, *, amount: int,
                    stage: str = "open1", close: dt.date | None = None,
                    category: str = "pipeline", probability: int = 50,
                    closed_at: dt.datetime | None = None) -> Any:
    """An opportunity of ``who`` for their department's customer."""
    from plugins.sales.models import Opportunity

    kind = {"won": "won", "lost": "lost"}.get(stage, "open")
    department = "West" if who.endswith("west") else "East"
    opportunity = Opportunity(
        name=f"商机 {next(_numbers)}", customer_id=world.customers[department],
        pipeline_id=world.pipeline_id, stage_id=world.stages[stage], status=kind,
        amount=amount, probability=probability, expected_close_date=close,
        forecast_category=category, closed_at=closed_at, **owned(world, who))
    session.add(opportunity)
    session.flush()
    return opportunity


def add_order(session: Any, world: World, who: str, lines: list[tuple[int, int, int]],
              status: str = "draft") -> Any:
    """An order of ``who``: ``lines`` are (product index, quantity in thousandths, unit
    price in fen), 13 % VAT; amounts worked out with ``sales.money``."""
    from plugins.sales.models import Order, OrderLine
    from plugins.sales.money import document_amounts, line_amounts

    department = "West" if who.endswith("west") else "East"
    amounts = [line_amounts(quantity, price, 0, 1300) for _p, quantity, price in lines]
    total = document_amounts(amounts)
    order = Order(number=f"SO-S5-{next(_numbers)}", customer_id=world.customers[department],
                  status=status, untaxed_amount=total.untaxed, tax_amount=total.tax,
                  total_amount=total.total, order_date=dt.date.today(), **owned(world, who))
    session.add(order)
    session.flush()
    for position, ((product, quantity, price), line) in enumerate(zip(lines, amounts,
                                                                      strict=True)):
        session.add(OrderLine(order_id=order.id, position=position,
                              product_id=world.products[product], quantity=quantity,
                              unit_price=price, tax_rate=1300, subtotal=line.subtotal,
                              tax=line.tax, total=line.total))
    session.flush()
    return order


def client_of(world: World, who: str, api: bool = False) -> Any:
    """A client signed in as ``who`` (an isolated one: the test's context stays its own);
    ``api=True`` sends a bearer token instead (JSON writes need no CSRF token)."""
    from crm_core.testing_clients import bearer_token, isolated_client, sign_in

    client = isolated_client(world.app)
    if api:
        client.environ_base["HTTP_AUTHORIZATION"] = \
            f"Bearer {bearer_token(world.app, world.users[who])}"
        return client
    return sign_in(client, world.users[who])


def csrf(html: str) -> str:
    """The CSRF token of the first form of a page."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sell(world: World) -> dict[str, Any]:
    """Open deals closing this month, a won deal, a confirmed order, a contract with an
    overdue instalment and a month target for each rep, then the aggregates rebuilt.
    West's amounts end in 1 yuan (…1.00), East's in 7 (…7.00), so a page or widget that
    shows an East amount to a West reader is noticed."""
    from plugins.sales.aggregates.rebuild import rebuild
    from plugins.sales.models import Contract, Instalment, Target

    today = dt.date.today()
    made: dict[str, Any] = {}
    with world.app.app_context():
        session = world.app.extensions["crm_db"].new_session()
        for who, unit in (("rep_west", 1), ("rep_east", 7)):
            department = "West" if who.endswith("west") else "East"
            add_opportunity(session, world, who, amount=(100_000 + unit) * 100,
                            close=today, category="commit", probability=80)
            add_opportunity(session, world, who, amount=(50_000 + unit) * 100,
                            stage="open2", close=today, category="best_case", probability=60)
            add_opportunity(session, world, who, amount=(30_000 + unit) * 100,
                            close=today, category="pipeline", probability=20)
            add_opportunity(session, world, who, amount=(9_000 + unit) * 100,
                            close=today, category="omitted", probability=10)
            add_opportunity(session, world, who, amount=(40_000 + unit) * 100, stage="won",
                            close=today, category="closed",
                            closed_at=dt.datetime.now(dt.UTC))
            add_opportunity(session, world, who, amount=100, stage="lost",
                            closed_at=dt.datetime.now(dt.UTC))
            order = add_order(session, world, who, [(0, 1000, (20_000 + unit) * 100)],
                              status="confirmed")
            order.confirmed_at = dt.datetime.now(dt.UTC)
            owner = world.users[who]
            contract = Contract(number=f"HT-{who}", customer_id=world.customers[department],
                                order_id=order.id, amount=(60_000 + unit) * 100,
                                status="active", owner_id=owner.id,
                                department_id=owner.department_id)
            session.add(contract)
            session.flush()
            session.add(Instalment(contract_id=contract.id, sequence=1,
                                   due_date=today - dt.timedelta(days=45),
                                   amount=(60_000 + unit) * 100, received_amount=0))
            session.add(Target(user_id=owner.id, department_id=owner.department_id,
                               period_kind="month", period_start=today.replace(day=1),
                               amount=(300_000 + unit) * 100))
            made[who] = {"order": order.number, "contract": contract.number}
        session.flush()
        rebuild(session)
        session.commit()
        session.close()
    return made
