"""Demo data: ``crm seed --customers N`` fills realistic, valid, searchable customers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_core.auth.models import User
from crm_core.testing import create_test_user, invoke_cli
from plugins.customers.demo.pools import CITIES
from plugins.customers.models import Contact, ContactRecord, Customer, CustomerTag
from plugins.customers.records import regions
from plugins.customers.validation import normalise_email, normalise_phone, normalise_uscc


def _snapshot(app) -> dict:
    """Everything a user would see of the demo customers, comparable across databases."""
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        customers = session.scalars(select(Customer).order_by(Customer.id)).all()
        snapshot = {
            "customers": [(c.code, c.name, c.kind, c.province, c.city, c.country, c.industry,
                           c.uscc, c.phones, c.emails, c.total_amount, c.level, c.status,
                           c.owner_id) for c in customers],
            "contacts": session.execute(select(Contact.customer_id, Contact.name,
                                               Contact.phones, Contact.email)
                                        .order_by(Contact.id)).all(),
            "records": session.execute(select(ContactRecord.customer_id, ContactRecord.kind,
                                              ContactRecord.content)
                                       .order_by(ContactRecord.id)).all(),
            "tags": session.scalar(select(func.count()).select_from(CustomerTag)),
        }
        session.close()
        return snapshot


@pytest.fixture
def seeded(customers_app):
    owner = create_test_user(customers_app, "owner")
    result = invoke_cli(customers_app, "seed", "--customers", "50")
    assert result.exit_code == 0, result.output
    assert "Demo data added by: customers (50)" in result.output
    return customers_app, owner, _snapshot(customers_app)


def test_seed_customers_adds_fifty_valid_customers_with_contacts_and_records(seeded):
    _app, owner, data = seeded
    customers = data["customers"]
    assert len(customers) == 50
    chinese = [c for c in customers if c[5] == "CN"]
    assert 25 <= len(chinese) <= 45  # about 70%
    for code, name, kind, province, city, country, industry, uscc, phones, emails, *rest \
            in customers:
        assert code and name and industry and phones and emails
        assert all(normalise_phone(phone) == phone for phone in phones)
        assert all(normalise_email(email) == email for email in emails)
        assert rest[-1] == owner.id  # the only user owns them all
        if country == "CN":
            assert regions.is_known(province, city)
        if uscc is not None:
            assert kind == "company" and country == "CN" and normalise_uscc(uscc) == uscc
    assert any(c[7] for c in chinese), "Chinese companies have a USCC"
    assert any(name.endswith("有限公司") for _code, name, *_ in chinese)
    assert len({c[7] for c in customers if c[7]}) == sum(1 for c in customers if c[7])
    assert 150 <= len(data["records"]) <= 400  # about five per customer
    assert len(data["contacts"]) >= 40  # 1-3 per company
    assert all(normalise_phone(phone) == phone for *_x, phones, _e in data["contacts"]
               for phone in phones)


def test_seeded_customers_are_found_by_search_and_counted_for_the_dashboard(seeded, session):
    from plugins.customers.models import CustomerStat
    from plugins.customers.search import services as search

    app, owner, data = seeded
    boss = session.get(User, create_test_user(app, "boss", superuser=True).id)
    for code, name, *_rest in data["customers"][:5]:
        hits = search.search_customers(session, name, user=boss, limit=50)
        assert code in [hit.code for hit in hits], name
    if hasattr(__import__("plugins.customers.classification.services",
                          fromlist=["refresh_stats"]), "refresh_stats"):
        assert session.scalar(select(func.sum(CustomerStat.count))
                              .where(CustomerStat.dimension == "industry")) == 50


def test_seed_is_deterministic_and_a_second_run_adds_different_customers(seeded, crm_make_app):
    app, _owner, first = seeded
    other = crm_make_app(plugins=["customers"])
    create_test_user(other, "owner")
    assert invoke_cli(other, "seed", "--customers", "50").exit_code == 0
    assert _snapshot(other) == first

    again = invoke_cli(app, "seed", "--customers", "50")
    assert again.exit_code == 0, again.output
    customers = _snapshot(app)["customers"]
    assert len(customers) == 100
    assert len({c[0] for c in customers}) == 100  # codes unique
    usccs = [c[7] for c in customers if c[7]]
    assert len(set(usccs)) == len(usccs)


def test_demo_cities_are_known_regions():
    assert all(regions.is_known(province, city) for province, city, *_rest in CITIES)


def test_seed_on_postgresql_writes_the_same_customers_as_on_sqlite(seeded, crm_make_app,
                                                                   postgres_url):
    _app, _owner, on_sqlite = seeded
    app = crm_make_app(plugins=["customers"], database="postgresql")
    create_test_user(app, "owner")
    result = invoke_cli(app, "seed", "--customers", "50")
    assert result.exit_code == 0, result.output
    assert _snapshot(app) == on_sqlite


def test_after_seeding_the_list_walks_the_updated_index_instead_of_sorting_everyone(seeded):
    # Without fresh statistics SQLite reads `deleted_at IS NULL` through its index (every
    # customer matches) and sorts them all for each page: seconds at a million customers.
    app, _owner, _data = seeded
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        plan = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM customers_customer WHERE deleted_at IS NULL "
            "ORDER BY updated_at DESC, id DESC LIMIT 50").all()
        session.close()
    steps = " ".join(str(step[-1]) for step in plan)
    assert "ix_customers_customer_updated_at_id" in steps and "TEMP B-TREE" not in steps


def test_contact_records_are_in_the_seeds_language_whatever_the_customers_country(
        customers_app, crm_make_app):
    """The staff write the notes and contacts' titles: a Chinese team's on a customer in
    Munich are Chinese, an English seed's on a customer in Beijing English."""
    create_test_user(customers_app, "owner")
    assert invoke_cli(customers_app, "seed", "--customers", "40").exit_code == 0
    english_app = crm_make_app(plugins=["customers"])
    create_test_user(english_app, "owner")
    assert invoke_cli(english_app, "seed", "--customers", "40", "--language", "en"
                      ).exit_code == 0
    for app, chinese in ((customers_app, True), (english_app, False)):
        with app.app_context():
            session = app.extensions["crm_db"].new_session()
            notes = session.execute(select(Customer.country, ContactRecord.content).join(
                Customer, Customer.id == ContactRecord.customer_id)).all()
            notes += session.execute(select(Customer.country, Contact.title).join(
                Customer, Customer.id == Contact.customer_id)).all()
            session.close()
        assert {country == "CN" for country, _text in notes} == {True, False}
        for country, text in notes:
            assert any("\u4e00" <= char <= "\u9fff" for char in text) is chinese, \
                (country, text)
