"""Customer search on SQLite and PostgreSQL: fragments of names (Chinese two- and three-character
ones too), codes, phones, emails and contact names find the customer; pinyin and pinyin
initials find Chinese names; exact codes rank first; the user's data scope and the trash are
respected; the index follows renames and new contacts; the global search box shows customers;
``crm customers reindex`` rebuilds the index."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import text

from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, invoke_cli, login
from plugins.customers import services
from plugins.customers.search.services import search_customers

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def build_world(app, session):
    """A superuser, two sales reps (who see their own customers) in two teams, a user without
    roles, and a few customers; returns the users by name."""
    team_a = create_department(session, "Team A").id
    team_b = create_department(session, "Team B").id
    session.commit()
    users = {}
    for name, department, roles, superuser in [("root", None, [], True),
                                               ("sally", team_a, ["sales"], False),
                                               ("bob", team_b, ["sales"], False),
                                               ("nora", team_b, [], False)]:
        user = create_test_user(app, name, superuser=superuser)
        session.get(User, user.id).department_id = department
        assign_roles(session, user.id, roles)
        session.commit()
        users[name] = session.get(User, user.id)
    huayu = services.create_customer(
        session, name="北京华宇科技有限公司", phones=["13812345678"], emails=["sales@huayu.cn"],
        city="北京", owner_id=users["sally"].id, department_id=team_a)
    services.add_contact(session, huayu.id, "王小明", phones="13900001111")
    services.create_customer(session, name="上海明珠贸易有限公司", phones=["010-12345678"],
                             city="上海", owner_id=users["bob"].id, department_id=team_b)
    services.create_customer(session, name="ACME Trading Co., Ltd.", code="ACME-01",
                             emails=["info@acme.com"], owner_id=users["bob"].id,
                             department_id=team_b)
    # Nora owns a customer but holds no role, so not customers.customer.view either.
    services.create_customer(session, name="南京诺拉咨询有限公司", owner_id=users["nora"].id)
    session.commit()
    return users


@pytest.fixture(scope="module", params=DATABASES)
def world_app(request, tmp_path_factory):
    """``(app, user ids)``: one app per database for this module's tests (building one costs
    seconds); each test adds what it changes under names of its own, or puts it back."""
    from crm_core.app import create_app
    from crm_core.migrate import upgrade
    from crm_core.testing import FreshDatabases, test_config

    databases = FreshDatabases(tmp_path_factory.mktemp("search-db"))
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(test_config(instance, databases.new(request.param), ["customers"]))
    with app.app_context():
        upgrade(app)
    with app.test_request_context():
        ids = {name: user.id for name, user in build_world(app, get_session()).items()}
    yield app, ids
    app.extensions["crm_db"].engine.dispose()
    databases.drop_all()


@pytest.fixture
def world(world_app):
    """``(app, session, users)`` inside a request context."""
    app, ids = world_app
    with app.test_request_context():
        session = get_session()
        yield app, session, {name: session.get(User, user_id) for name, user_id in ids.items()}


def names(session, query, user, **options):
    return [customer.name for customer in search_customers(session, query, user=user,
                                                           **options)]


def test_fragments_of_names_codes_phones_emails_and_contacts_find_the_customer(world):
    app, session, users = world
    root = users["root"]
    huayu, mingzhu, acme = "北京华宇科技有限公司", "上海明珠贸易有限公司", "ACME Trading Co., Ltd."
    assert names(session, "北京", root) == [huayu]  # two Chinese characters
    assert names(session, "华宇科", root) == [huayu]  # three
    assert names(session, "明珠 贸易", root) == [mingzhu]  # every word must match
    assert names(session, "1381234", root) == [huayu]  # national digits of +8613812345678
    assert names(session, "+86 138 1234", root) == [huayu]
    assert names(session, "138-1234-5678", root) == [huayu]
    assert names(session, "010-1234", root) == [mingzhu]  # landline with its trunk 0
    assert names(session, "huayu.cn", root) == [huayu]
    assert names(session, "SALES@hua", root) == [huayu]
    assert names(session, "acme-0", root) == [acme]  # code fragment
    assert names(session, "trading", root) == [acme]
    assert names(session, "王小明", root) == [huayu]  # contact name
    assert names(session, "小明", root) == [huayu]
    assert names(session, "1390000", root) == [huayu]  # contact phone
    assert names(session, "杭州", root) == []
    assert names(session, "北", root) == []  # one character is too short to search


def test_pinyin_and_pinyin_initials_find_chinese_names(world):
    app, session, users = world
    root = users["root"]
    huayu = "北京华宇科技有限公司"
    assert names(session, "beijing", root) == [huayu]
    assert names(session, "BeiJing HuaYu", root) == [huayu]
    assert names(session, "bjhy", root) == [huayu]  # contiguous initials
    assert names(session, "bjkj", root) == [huayu]  # initials with a gap (华宇)
    assert names(session, "bj", root) == [huayu]
    assert names(session, "shmz", root) == ["上海明珠贸易有限公司"]
    assert names(session, "kjbj", root) == []  # initials out of order
    assert names(session, "bjxx", root) == []


def test_an_exact_code_ranks_first_then_names_starting_with_the_query(world):
    app, session, users = world
    root = users["root"]
    services.create_customer(session, name="ZX100 Holdings", code="Z-1")
    services.create_customer(session, name="Exact Code Ltd", code="ZX100")
    services.create_customer(session, name="科技创新", code="K-1")
    session.commit()
    assert names(session, "zx100", root) == ["Exact Code Ltd", "ZX100 Holdings"]
    assert names(session, "科技", root) == ["科技创新", "北京华宇科技有限公司"]
    assert names(session, "科技", root, limit=1) == ["科技创新"]


def test_a_sales_user_finds_only_their_departments_customers(world):
    app, session, users = world
    assert names(session, "北京", users["sally"]) == ["北京华宇科技有限公司"]
    assert names(session, "上海", users["sally"]) == []
    assert names(session, "shmz", users["sally"]) == []
    assert names(session, "acme", users["sally"]) == []
    assert names(session, "上海", users["bob"]) == ["上海明珠贸易有限公司"]
    assert names(session, "北京", users["bob"]) == []


def test_the_trash_is_left_out_and_filters_narrow_the_results(world):
    app, session, users = world
    root = users["root"]
    huayu = search_customers(session, "北京", user=root)[0]
    services.delete_customer(session, huayu.id)
    session.commit()
    assert names(session, "北京", root) == []
    assert names(session, "bjkj", root) == []
    services.restore_customer(session, huayu.id)
    session.commit()
    assert names(session, "北京", root) == [huayu.name]
    assert names(session, "有限公司", root, filters={"city": "上海"}) == ["上海明珠贸易有限公司"]


def test_the_index_follows_renames_new_phones_and_new_contacts(world):
    app, session, users = world
    root = users["root"]
    customer = services.create_customer(session, name="广州白云电器有限公司",
                                        phones=["13711112222"])
    session.commit()
    assert names(session, "白云", root) == ["广州白云电器有限公司"]
    services.update_customer(session, customer.id, {"name": "深圳白云电器有限公司",
                                                    "phones": ["13566667777"]})
    session.commit()
    assert names(session, "广州", root) == []
    assert names(session, "深圳", root) == ["深圳白云电器有限公司"]
    assert names(session, "szby", root) == ["深圳白云电器有限公司"]
    assert names(session, "1371111", root) == []
    assert names(session, "1356666", root) == ["深圳白云电器有限公司"]
    services.add_contact(session, customer.id, "李雷")
    session.commit()
    assert names(session, "李雷", root) == ["深圳白云电器有限公司"]


def test_the_global_search_box_shows_customers_the_user_may_see(world_app):
    app, ids = world_app
    client = login(app.test_client(), SimpleNamespace(id=ids["sally"]))
    answer = client.get("/api/v1/search?q=北京")
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()["items"]
    assert [(hit["kind"], hit["title"]) for hit in found] == [("customer", "北京华宇科技有限公司")]
    # national form, masked for a sales rep (号码脱敏: test_masking.py)
    assert "138****5678" in found[0]["subtitle"]
    assert "+86" not in found[0]["subtitle"]
    assert found[0]["url"].startswith("/customers/")
    assert client.get("/api/v1/search?q=上海").get_json()["items"] == []
    page = client.get("/search?q=bjkj")
    assert page.status_code == 200
    assert "北京华宇科技有限公司" in page.get_data(as_text=True)
    nora = login(app.test_client(), SimpleNamespace(id=ids["nora"]))
    assert nora.get("/api/v1/search?q=南京").get_json()["items"] == []


def test_reindex_rebuilds_the_index_after_a_restore(world):
    app, session, users = world
    dialect = session.connection().dialect.name
    tables = (["customers_search_fts", "customers_search_bigram"] if dialect == "sqlite"
              else ["customers_search_doc"])
    for table in tables:  # as after restoring a backup made without the index
        session.execute(text(f"DELETE FROM {table}"))
    session.commit()
    assert names(session, "华宇", users["root"]) == []
    result = invoke_cli(app, "customers", "reindex", "--batch", "2")
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt:" in result.output
    session.rollback()
    assert names(session, "华宇", users["root"]) == ["北京华宇科技有限公司"]
    assert names(session, "bjkj", users["root"]) == ["北京华宇科技有限公司"]
    assert names(session, "王小明", users["root"]) == ["北京华宇科技有限公司"]
