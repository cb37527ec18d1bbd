"""Lists of customers: each user sees only their data scope, keyset pages walk every row once
in every sort order, filters narrow the list, and money stays exact on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from customers_testing import add_user
from sqlalchemy import select, update

from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.service import user_permission_names
from plugins.customers import services
from plugins.customers.models import Customer
from plugins.customers.validation import FieldError


def names(page):
    return sorted(customer.name for customer in page.items)


def test_roles_get_the_customer_permissions_they_need(customers_app, session):
    expected = {
        # managers read phones and e-mails in clear; reps and agents see them masked and
        # reveal one at a time, each reveal logged
        "manager": {"view", "create", "edit", "delete", "export", "import", "merge",
                    "view_sensitive"},
        "sales": {"view", "create", "edit", "import", "reveal_sensitive"},  # reps import leads
        "service": {"view", "reveal_sensitive"},
        "marketing": {"view", "export"},
        "viewer": {"view"},
    }
    for role, verbs in expected.items():
        user_id = add_user(customers_app, session, f"u-{role}", [role])
        held = {name.rsplit(".", 1)[1] for name in user_permission_names(session, user_id)
                if name.startswith("customers.customer.")}
        assert held == verbs, role
    admin = add_user(customers_app, session, "u-admin", ["admin"])
    assert {"customers.tag.manage", "customers.type.manage",
            "customers.customer.merge"} <= user_permission_names(session, admin)


def test_a_user_sees_only_the_customers_of_their_scope(customers_app, session):
    team_a = create_department(session, "Team A").id
    team_b = create_department(session, "Team B").id
    session.commit()
    sally = add_user(customers_app, session, "sally", ["sales"], team_a)
    sam = add_user(customers_app, session, "sam", ["sales"], team_a)
    bob = add_user(customers_app, session, "bob", ["sales"], team_b)
    mia = add_user(customers_app, session, "mia", ["manager"], team_a)
    root = add_user(customers_app, session, "root", [], superuser=True)
    for name, owner, department in [("Alpha 北京", sally, team_a), ("Anchor", sam, team_a),
                                    ("Bravo 上海", bob, team_b), ("A-team lead", mia, team_a),
                                    ("Nobody's", None, None)]:
        services.create_customer(session, name=name, owner_id=owner, department_id=department)
    session.commit()
    bravo = session.scalar(select(Customer).where(Customer.name == "Bravo 上海"))

    assert names(services.list_customers(session, user=sally)) == ["Alpha 北京"]
    assert names(services.list_customers(session, user=bob)) == ["Bravo 上海"]
    # A customer without an owner is in no department: only "all" scopes see it.
    assert names(services.list_customers(session, user=mia)) == [
        "A-team lead", "Alpha 北京", "Anchor"]
    assert len(services.list_customers(session, user=root).items) == 5
    with pytest.raises(services.CustomerNotFound):
        services.get_customer(session, bravo.id, user=sally)
    with pytest.raises(services.CustomerNotFound):
        services.update_customer(session, bravo.id, {"name": "Mine now"}, user=mia)
    with pytest.raises(services.CustomerNotFound):
        services.delete_customer(session, bravo.id, user=sally)
    assert services.get_customer(session, bravo.id, user=bob) == bravo


SORT_KEYS = {
    "name": lambda c: c.name,
    "created": lambda c: c.created_at,
    "updated": lambda c: c.updated_at,
    "amount": lambda c: c.total_amount,
}


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_keyset_pages_walk_every_customer_once_in_order(customers_app, session, sort,
                                                       descending):
    root = add_user(customers_app, session, "root", [], superuser=True)
    ids = []
    for number in range(23):
        name = ["张三贸易", "ACME", "Globex"][number % 3]
        customer = services.create_customer(session, name=name)
        services.adjust_total_amount(session, customer.id, ["0", "99.99", "1000"][number % 4 % 3])
        ids.append(customer.id)
    # Ties on every sort key: the id breaks them.
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    session.execute(update(Customer).where(Customer.id.in_(ids[:8])).values(
        created_at=moment, updated_at=moment))
    session.commit()
    session.expire_all()

    seen, cursor, pages = [], None, 0
    while True:
        page = services.list_customers(session, user=root, sort=sort, descending=descending,
                                       limit=5, cursor=cursor)
        seen += page.items
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 5
    assert sorted(c.id for c in seen) == sorted(ids)  # every row, none twice
    key = SORT_KEYS[sort]
    assert [c.id for c in seen] == [c.id for c in sorted(
        seen, key=lambda c: (key(c), c.id), reverse=descending)]


def test_filters_narrow_the_list(customers_app, session):
    root = add_user(customers_app, session, "root", [], superuser=True)
    key_account = services.create_customer_type(session, "Key account")
    vip = services.create_tag(session, "VIP")
    big = services.create_customer(session, name="Big", industry="制造", province="广东",
                                   customer_type_id=key_account.id, level="A")
    services.adjust_total_amount(session, big.id, "250000.50")
    small = services.create_customer(session, name="Small", industry="零售", province="北京",
                                     kind="person", status="inactive")
    services.adjust_total_amount(session, small.id, "99.99")
    services.add_tag(session, small.id, vip.id)
    services.add_contact_record(session, small.id, kind="call",
                                occurred_at=dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC))
    session.commit()

    def listed(**filters):
        return names(services.list_customers(session, user=root, filters=filters))

    today = dt.datetime.now(dt.UTC).date()
    assert listed() == ["Big", "Small"]
    assert listed(industry="制造") == ["Big"]
    assert listed(province="北京") == ["Small"]
    assert listed(customer_type_id=key_account.id) == ["Big"]
    assert listed(tag_id=vip.id) == ["Small"]
    assert listed(level="A") == ["Big"]
    assert listed(status="inactive", kind="person") == ["Small"]
    assert listed(amount_min="99.99", amount_max="100") == ["Small"]
    assert listed(amount_min="250000.50") == ["Big"]
    assert listed(amount_min="250000.51") == []
    assert listed(created_from=today, created_to=today) == ["Big", "Small"]
    assert listed(created_to=today - dt.timedelta(days=1)) == []
    assert listed(last_contact_from=dt.date(2026, 3, 5),
                  last_contact_to=dt.date(2026, 3, 5)) == ["Small"]
    # As a saved segment holds them (JSON): ISO text.
    assert listed(last_contact_from="2026-03-05", last_contact_to="2026-03-05") == ["Small"]
    with pytest.raises(FieldError, match="is not a date"):
        listed(created_from="2026-13-45")
    with pytest.raises(FieldError, match="at most two decimals"):
        listed(amount_min="1.005")
    with pytest.raises(FieldError, match="Sort by one of"):
        services.list_customers(session, user=root, sort="colour")


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_money_stays_exact_to_the_fen(crm_make_app, database):
    app = crm_make_app(plugins=["customers"], database=database)
    with app.test_request_context():
        session = get_session()
        customer = services.create_customer(session, name="Precise Ltd.")
        for _ in range(3):
            services.adjust_total_amount(session, customer.id, Decimal("0.10"))
        services.adjust_total_amount(session, customer.id, "12,345,678,901,234.56")
        services.adjust_total_amount(session, customer.id, "-0.01")
        session.commit()
        customer_id = customer.id
    with app.test_request_context():
        session = get_session()
        stored = session.get(Customer, customer_id)
        assert stored.total_amount == 1234567890123485  # fen
        assert stored.total_amount_decimal == Decimal("12345678901234.85")
        assert str(stored.total_amount_decimal) == "12345678901234.85"
        root = add_user(app, session, "root", [], superuser=True)
        exact = services.list_customers(session, user=root, filters={
            "amount_min": "12345678901234.85", "amount_max": "12345678901234.85"})
        assert [c.id for c in exact.items] == [customer_id]
        with pytest.raises(TypeError, match="never float"):
            services.adjust_total_amount(session, customer_id, 0.1)
