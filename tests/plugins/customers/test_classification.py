"""The classification counts: ``refresh_stats`` per dimension, amount bands at their
thresholds, the trash left out, the widgets within the viewer's scope and read only from
``customers_stat``, the month line, the task, the beat entry and the CLI."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import event, func, select

from crm_core.auth.models import User
from crm_core.db import get_session
from crm_core.rbac.departments import create_department
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, invoke_cli, login
from plugins.customers import services
from plugins.customers.classification import services as classification
from plugins.customers.classification import taxonomy
from plugins.customers.models import Customer, CustomerStat


def add_user(app, session, name, roles, department_id=None, superuser=False):
    """A user placed in a department and given roles (committed)."""
    user = create_test_user(app, name, superuser=superuser)
    session.get(User, user.id).department_id = department_id
    assign_roles(session, user.id, roles)
    session.commit()
    return user


def no_default_bands(session):
    """Remove the bands a new install starts with, for tests that set their own."""
    for band in taxonomy.list_bands(session):
        taxonomy.delete_band(session, band.id)
    session.commit()


def customer(session, name, amount=None, **fields):
    """A customer, with a total transaction amount in yuan when given."""
    row = services.create_customer(session, name=name, **fields)
    if amount is not None:
        services.adjust_total_amount(session, row.id, amount)
    return row


def widget(client, widget_id, language="en"):
    response = client.get(f"/api/v1/widgets/{widget_id}",
                          headers={"Accept-Language": language})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()["data"]
    return dict(zip(data["labels"], data["values"], strict=True))


def test_refresh_counts_each_dimension_and_leaves_the_trash_out(customers_app, session):
    admin = add_user(customers_app, session, "root", [], superuser=True)
    key = taxonomy.create_type(session, "Key account")
    dealer = taxonomy.create_type(session, "Distributor")
    customer(session, "北京华宇科技", industry="信息技术", province="北京市", level="A",
             customer_type_id=key.id, amount="500")
    customer(session, "上海宏达贸易", industry="批发零售", province="上海市", level="B",
             customer_type_id=dealer.id, amount="250.50")
    customer(session, "ACME Inc.", industry="信息技术", province="", level="A",
             customer_type_id=key.id)
    gone = customer(session, "Old Customer", industry="制造业", province="广东省", level="C")
    services.delete_customer(session, gone.id)
    session.commit()

    classification.refresh_stats(session)
    session.commit()

    def counts(dimension):
        return classification.stat_counts(session, dimension, user=admin)

    assert counts("industry") == {"信息技术": 2, "批发零售": 1}
    assert counts("region") == {"北京市": 1, "上海市": 1, "": 1}
    assert counts("level") == {"A": 2, "B": 1}
    assert counts("type") == {str(key.id): 2, str(dealer.id): 1}
    this_month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    assert counts("month") == {this_month: 3}
    amounts = dict(session.execute(
        select(CustomerStat.bucket, func.sum(CustomerStat.amount))
        .where(CustomerStat.dimension == "industry").group_by(CustomerStat.bucket)).all())
    assert amounts == {"信息技术": 50000, "批发零售": 25050}  # minor units
    assert classification.last_refreshed(session) is not None

    # A second refresh replaces the rows instead of adding to them.
    rows = session.scalar(select(func.count()).select_from(CustomerStat))
    classification.refresh_stats(session)
    assert session.scalar(select(func.count()).select_from(CustomerStat)) == rows


def test_a_customer_is_in_the_band_of_the_highest_threshold_at_or_below_its_amount(
        customers_app, session):
    admin = add_user(customers_app, session, "root", [], superuser=True)
    no_default_bands(session)
    customer(session, "Before any band", "10")
    classification.refresh_stats(session)
    assert classification.stat_counts(session, "band", user=admin) == {"": 1}
    services.delete_customer(session, session.scalar(select(Customer.id)))

    small = taxonomy.create_band(session, "Small", "0")
    medium = taxonomy.create_band(session, "Medium", "10000")
    large = taxonomy.create_band(session, "Large", "100,000")
    for name, amount in [("just below", "9999.99"), ("exactly medium", "10000"),
                         ("inside medium", "99999.99"), ("exactly large", "100000"),
                         ("huge", "5000000"), ("nothing yet", None)]:
        customer(session, name, amount)
    session.commit()

    classification.refresh_stats(session)
    assert classification.stat_counts(session, "band", user=admin) == {
        str(small.id): 2, str(medium.id): 2, str(large.id): 2}

    # With no band from 0, small amounts fall in no band ("").
    taxonomy.delete_band(session, small.id)
    classification.refresh_stats(session)
    assert classification.stat_counts(session, "band", user=admin) == {
        "": 2, str(medium.id): 2, str(large.id): 2}
    data = classification.widget_data(session, "band", user=admin)
    assert data["labels"] == ["Medium", "Large", "No band"]
    assert data["values"] == [2, 2, 2]


def test_widgets_count_only_what_the_viewer_may_see(customers_app):
    with customers_app.test_request_context():
        session = get_session()
        team_a = create_department(session, "Team A").id
        team_b = create_department(session, "Team B").id
        session.commit()
        sally = add_user(customers_app, session, "sally", ["sales"], team_a)
        sam = add_user(customers_app, session, "sam", ["sales"], team_a)
        mia = add_user(customers_app, session, "mia", ["manager"], team_a)
        bob = add_user(customers_app, session, "bob", ["sales"], team_b)
        admin = add_user(customers_app, session, "root", [], superuser=True)
        for name, industry, owner, department in [
                ("Alpha", "信息技术", sally, team_a), ("Anchor", "信息技术", sam, team_a),
                ("Apex", "制造业", mia, team_a), ("Bravo", "制造业", bob, team_b),
                ("Bolt", "金融", bob, team_b)]:
            customer(session, name, industry=industry, department_id=department,
                     owner_id=owner.id if owner else None)
        session.commit()
        classification.refresh_stats(session)
        session.commit()

    def seen_by(user):
        return widget(login(customers_app.test_client(), user), "customers.by_industry")

    assert seen_by(sally) == {"信息技术": 1}
    assert seen_by(mia) == {"信息技术": 2, "制造业": 1}  # her department
    assert seen_by(bob) == {"制造业": 1, "金融": 1}
    assert seen_by(admin) == {"信息技术": 2, "制造业": 2, "金融": 1}


def test_widgets_read_the_counts_never_the_customer_table(customers_app):
    def in_app(work):
        with customers_app.test_request_context():
            session = get_session()
            result = work(session)
            session.commit()
            return result

    admin = in_app(lambda session: add_user(customers_app, session, "root", [],
                                            superuser=True))
    client = login(customers_app.test_client(), admin)
    in_app(lambda session: customer(session, "Alpha", industry="信息技术", province="北京市"))
    # Never refreshed: every chart is empty (the dashboard shows "No data yet.").
    empty = client.get("/api/v1/widgets/customers.by_industry").get_json()
    assert empty["data"] == {"labels": [], "values": []}
    assert empty["caption"] is None and empty["as_of"] is None

    in_app(classification.refresh_stats)
    in_app(lambda session: customer(session, "Bravo", industry="信息技术", province="上海市"))

    statements: list[str] = []
    engine = customers_app.extensions["crm_db"].engine

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert widget(client, "customers.by_industry") == {"信息技术": 1}
        assert widget(client, "customers.by_region") == {"Beijing": 1}  # English page
        assert widget(client, "customers.by_region", "zh-CN") == {"北京市": 1}
        for name in ("customers.by_band", "customers.by_type", "customers.new_per_month"):
            widget(client, name)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    customer_table = re.compile(r"\bcustomers_customer\b(?!_)")
    assert any("customers_stat" in s for s in statements)
    assert not [s for s in statements if customer_table.search(s)]

    in_app(classification.refresh_stats)
    assert widget(client, "customers.by_industry") == {"信息技术": 2}


def test_month_line_has_the_last_twelve_months_with_zeros(customers_app, session):
    admin = add_user(customers_app, session, "root", [], superuser=True)
    for name, created in [("Jan", dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC)),
                          ("Feb", dt.datetime(2026, 2, 1, 0, 0, tzinfo=dt.UTC)),
                          ("Feb too", dt.datetime(2026, 2, 15, tzinfo=dt.UTC)),
                          ("Too old", dt.datetime(2025, 2, 28, tzinfo=dt.UTC))]:
        customer(session, name).created_at = created
    session.commit()
    classification.refresh_stats(session)

    data = classification.widget_data(session, "month", user=admin,
                                      today=dt.date(2026, 11, 27))
    assert data["labels"][0] == "2025-12" and data["labels"][-1] == "2026-11"
    assert len(data["labels"]) == 12
    line = dict(zip(data["labels"], data["values"], strict=True))
    assert line["2026-01"] == 1 and line["2026-02"] == 2
    assert sum(data["values"]) == 3  # February 2025 is older than the line


def test_industry_chart_shows_the_top_ten_then_other(customers_app, session):
    admin = add_user(customers_app, session, "root", [], superuser=True)
    sizes = {"Industry A": 3, "Industry B": 2, **{f"Industry {n:02d}": 1 for n in range(10)}}
    for industry, size in sizes.items():
        for copy in range(size):
            customer(session, f"{industry} {copy}", industry=industry)
    customer(session, "No industry")
    classification.refresh_stats(session)
    data = classification.widget_data(session, "industry", user=admin)
    # biggest first; ties by name, the customers without an industry ("Not set") first
    assert data["labels"][:4] == ["Industry A", "Industry B", "Not set", "Industry 00"]
    assert len(data["labels"]) == 11 and data["labels"][-1] == "Other"
    assert data["values"][-1] == 3  # Industries 07, 08 and 09
    assert sum(data["values"]) == 16


def test_type_pie_follows_the_type_order_and_names_customers_without_one(
        customers_app, session):
    admin = add_user(customers_app, session, "root", [], superuser=True)
    first = taxonomy.create_type(session, "First")
    second = taxonomy.create_type(session, "Second")
    customer(session, "A", customer_type_id=first.id)
    customer(session, "B", customer_type_id=second.id)
    customer(session, "C", customer_type_id=second.id)
    customer(session, "D")
    taxonomy.move_type(session, second.id, -1)
    classification.refresh_stats(session)
    taxonomy.rename_type(session, first.id, "Renamed")  # names are read at view time
    data = classification.widget_data(session, "type", user=admin)
    assert data["labels"] == ["Second", "Renamed", "No type"]
    assert data["values"] == [2, 1, 1]


def test_task_beat_entry_menu_item_and_cli_are_registered(customers_app, session):
    platform = customers_app.extensions["crm"]
    assert "customers.refresh_stats" in platform.tasks
    assert platform.tasks["customers.refresh_stats_now"][1].job
    entries = {entry.name: entry for plugin, entry in platform.schedule if plugin == "customers"}
    assert entries["refresh_stats"].seconds == 600
    assert entries["refresh_stats"].task == "refresh_stats"
    customer(session, "Alpha")
    session.commit()
    result = invoke_cli(customers_app, "customers", "refresh-stats")
    assert result.exit_code == 0, result.output
    assert "Customer counts refreshed" in result.output
    session.expire_all()
    assert classification.last_refreshed(session) is not None


def test_refresh_on_postgresql_counts_months_bands_and_types(crm_make_app):
    app = crm_make_app(plugins=["customers"], database="postgresql")
    with app.test_request_context():
        session = get_session()
        admin = add_user(app, session, "root", [], superuser=True)
        no_default_bands(session)
        band = taxonomy.create_band(session, "Big", "1000")
        kind = taxonomy.create_type(session, "Key account")
        customer(session, "北京华宇", "1000", industry="信息技术", customer_type_id=kind.id)
        customer(session, "Small", "999.99", industry="信息技术").created_at = \
            dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
        gone = customer(session, "Gone", "5000")
        services.delete_customer(session, gone.id)
        session.commit()
        classification.refresh_stats(session)
        session.commit()
        assert classification.stat_counts(session, "band", user=admin) == {
            str(band.id): 1, "": 1}
        assert classification.stat_counts(session, "type", user=admin) == {
            str(kind.id): 1, "": 1}
        months = classification.stat_counts(session, "month", user=admin)
        assert months["2026-03"] == 1 and sum(months.values()) == 2
        assert classification.stat_counts(session, "industry", user=admin) == {"信息技术": 2}


@pytest.mark.worker
def test_refresh_now_runs_as_a_job_in_a_real_worker(customers_app, crm_start_worker):
    with customers_app.test_request_context():
        session = get_session()
        admin = add_user(customers_app, session, "root", [], superuser=True)
        customer(session, "Alpha", industry="信息技术")
        session.commit()
    client = login(customers_app.test_client(), admin)
    page = client.get("/customers/settings").get_data(as_text=True)
    assert "Dashboard counts not computed yet" in page
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    started = client.post("/customers/settings/refresh", data={"csrf_token": token})
    assert started.status_code == 302
    job_url = started.headers["Location"]
    crm_start_worker(customers_app)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1{job_url}").get_json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job["state"] == "done", job
    assert job["message"].startswith("Customer counts refreshed")
    assert widget(client, "customers.by_industry") == {"信息技术": 1}
    assert "Dashboard counts as of" in client.get("/customers/settings").get_data(as_text=True)
