"""The customers API list's SQL budget (issue 11, "Speed at a million"): a token request for a
page of customers issues, besides signing in (the token and its user in one statement, the
permission look-up; none when the worker saw the token a moment ago), one statement each
for the data scope (none either then), the page (with the customer
types' and the owners' names) and the page's phones, emails and tags together: for an
administrator, a rep who sees their own customers and one who sees their department's,
first page and deep, filtered and sorted, however many owners, tags and phones the page has.

Each round trip costs PostgreSQL about a millisecond under load; the list used to load
phones, emails, tags, types and owners one statement each, the user twice, and the
customers as ORM objects dumped field by field (25-28 ms p95 at a million against 20)."""

from __future__ import annotations

import datetime as dt

import pytest
from customers_testing import add_user
from sqlalchemy import select

from crm_core.api.tokens import create_token
from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.models import Role
from crm_core.rbac.service import set_role_scopes
from crm_core.testing_clients import statements_of
from plugins.customers import services
from plugins.customers.models import Customer

OWNERS = 8
API = "/api/v1/customers"


def kind(sql: str) -> str:
    """What a statement is for, by what it reads."""
    flat = " ".join(sql.split())
    if "customers_customer_phone" in flat or "customers_customer_email" in flat \
            or "customers_customer_tag" in flat:
        return "children"
    if "customers_customer" in flat:
        return "page"
    if "core_permission" in flat or "core_api_token" in flat or "core_auth_session" in flat:
        return "request"
    if "core_user_role" in flat or "core_department" in flat:
        return "scope"
    if "FROM core_user WHERE core_user.id IN" in flat:
        return "names"
    return "other"


def statements(app, client, url: str, headers) -> dict[str, list[str]]:
    """The statements GET ``url`` ran, grouped by ``kind``."""
    return statements_of(app, client, url, kind, headers=headers)


@pytest.fixture
def world(customers_app):
    """An administrator, a rep who sees their own customers, a lead who sees their
    department's, 8 owners in that department; 120 customers with types, tags, two phones
    and an email each, spread over the owners (newest first, every owner on a page)."""
    with customers_app.test_request_context():
        session = get_session()
        team = create_department(session, "华东销售部").id
        session.commit()
        ids = {"root": add_user(customers_app, session, "root", [], superuser=True),
               "sally": add_user(customers_app, session, "sally", ["sales"], team),
               "lead": add_user(customers_app, session, "lead", ["manager"], team)}
        manager = session.scalars(select(Role).where(Role.name == "manager")).one()
        set_role_scopes(session, manager.id, {"customers.customer": "department"})
        owners = [add_user(customers_app, session, f"owner{n}", ["sales"], team)
                  for n in range(OWNERS)]
        kinds = [services.create_customer_type(session, name).id for name in ("代理商", "直客")]
        tags = [services.create_tag(session, name, "#dc3545").id for name in ("VIP", "重点")]
        session.commit()
        for number in range(120):
            owner = ids["sally"] if number < 60 else owners[number % OWNERS]
            customer = services.create_customer(
                session, name=f"客户{number:03d}有限公司", industry="软件", province="上海",
                city="上海", owner_id=owner, department_id=team,
                customer_type_id=kinds[number % 2],
                phones=[f"1381234{number:04d}", f"021-6123{number:04d}"],
                emails=[f"c{number}@example.cn"])
            customer.total_amount = number * 100_000 + 50  # fen: ¥1,000.50 apart
            for tag in tags[:number % 3]:
                services.add_tag(session, customer.id, tag)
        session.commit()
        tokens = {}
        for name, user_id in ids.items():
            _row, plain = create_token(session, session.get(User, user_id), "test")
            tokens[name] = {"Authorization": f"Bearer {plain}"}
        session.commit()
    return {"ids": ids, "tokens": tokens}


def urls(client, headers) -> dict[str, str]:
    """A first page, a deep one (by cursor), and a filtered list sorted by amount."""
    first = client.get(f"{API}?limit=20", headers=headers).get_json()
    return {"first": f"{API}?limit=20",
            "deep": f"{API}?limit=20&cursor={first['next_cursor']}",
            "filtered": f"{API}?limit=20&industry=软件&province=上海&sort=-amount"}


@pytest.mark.parametrize("who", ["root", "sally", "lead"])
def test_a_customers_api_page_costs_one_statement_each_for_scope_page_and_children(
        customers_app, world, who):
    client = customers_app.test_client()
    headers = world["tokens"][who]
    cache = customers_app.extensions["crm_token_cache"]
    for label, url in urls(client, headers).items():
        client.get(url, headers=headers)  # warm: the token's first use is noted once
        cache.clear()  # a token this worker has not seen for a few seconds
        cold = statements(customers_app, client, url, headers)
        warm = statements(customers_app, client, url, headers)  # seen a moment ago
        for grouped in (cold, warm):
            counts = {name: len(found) for name, found in grouped.items()}
            assert counts.get("page") == 1, (who, label, counts)  # types joined, no COUNT(*)
            assert counts.get("children") == 1, (who, label, grouped.get("children"))
            assert not counts.get("names"), (who, label, counts)  # joined into the page
            assert not grouped.get("other"), (who, label, grouped.get("other"))
        counts = {name: len(found) for name, found in cold.items()}
        assert counts.get("scope", 0) == (0 if who == "root" else 1), (who, label, counts)
        # the token with its user in one statement, and the permissions of a non-superuser
        assert counts.get("request") == (1 if who == "root" else 2), (who, label, counts)
        # a token seen a moment ago: its user, permissions and role scopes are remembered
        assert set(warm) == {"page", "children"}, (who, label, warm)


def test_the_statements_do_not_grow_with_the_rows_owners_and_tags_of_a_page(customers_app,
                                                                            world):
    client = customers_app.test_client()
    headers = world["tokens"]["root"]
    client.get(f"{API}?limit=1", headers=headers)  # warm: the token's first use is noted
    small = statements(customers_app, client, f"{API}?limit=1", headers)
    large = statements(customers_app, client, f"{API}?limit=200", headers)
    assert sum(map(len, small.values())) == sum(map(len, large.values())) <= 2
    # the page's ids go as one parameter: the same SQL for 1 and 120 customers, which the
    # driver's statement cache keeps prepared (an expanding IN wrote a new statement)
    assert small["children"] == large["children"]


def test_the_fast_list_answers_what_the_customer_schema_would(customers_app, world):
    """The list writes its JSON itself; each item is what ``CustomerOut`` dumps for the
    same customer (read one by one through the single-customer endpoint)."""
    client = customers_app.test_client()
    headers = world["tokens"]["root"]
    with customers_app.test_request_context():
        session = get_session()
        customer = session.scalars(select(Customer).order_by(Customer.id.desc())).first()
        customer.last_contact_at = dt.datetime(2026, 11, 30, 8, 15, tzinfo=dt.UTC)
        customer.notes = "年底续约"
        session.commit()
    items = client.get(f"{API}?limit=200", headers=headers).get_json()["items"]
    assert len(items) == 120
    owners = {item["owner"]["name"] for item in items}
    assert {"sally", *(f"owner{n}" for n in range(OWNERS))} <= owners
    for item in items[:3] + items[60:63] + items[-3:]:
        one = client.get(f"{API}/{item['id']}", headers=headers).get_json()
        assert item == one
    assert items[0]["last_contact_at"].startswith("2026-11-30T08:15:00")
    assert items[0]["tags"] == [] or items[0]["tags"][0]["name"] in ("VIP", "重点")
    tagged = next(item for item in items if len(item["tags"]) == 2)
    assert [tag["name"] for tag in tagged["tags"]] == sorted(["VIP", "重点"])
    assert tagged["phones"][0].startswith("+86138") and len(tagged["phones"]) == 2


@pytest.mark.postgres
def test_the_fast_list_answers_what_the_customer_schema_would_on_postgresql(crm_make_app,
                                                                          postgres_url):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    with app.test_request_context():
        session = get_session()
        root = add_user(app, session, "root", [], superuser=True)
        vip = services.create_tag(session, "VIP", "#dc3545").id
        kind = services.create_customer_type(session, "代理商").id
        for number in range(3):
            customer = services.create_customer(
                session, name=f"上海客户{number}", customer_type_id=kind, owner_id=root,
                phones=[f"1381234567{number}", f"021-6123456{number}"],
                emails=[f"c{number}@example.cn"])
            if number:
                services.add_tag(session, customer.id, vip)
        session.commit()
        headers = {"Authorization": "Bearer " + create_token(
            session, session.get(User, root), "test")[1]}
        session.commit()
    client = app.test_client()
    items = client.get(f"{API}?limit=50", headers=headers).get_json()["items"]
    assert len(items) == 3 and sum(len(item["tags"]) for item in items) == 2
    one = statements(app, client, f"{API}?limit=1", headers)
    assert one["children"] == statements(app, client, f"{API}?limit=3", headers)["children"]
    for item in items:
        assert item == client.get(f"{API}/{item['id']}", headers=headers).get_json()
