"""The "My follow-ups" dashboard widget: the open follow-ups due today or overdue on a user's
customers (or on records they made), never tomorrow's, never other people's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm_core.auth.models import User
from crm_core.rbac.departments import create_department
from crm_core.rbac.service import assign_roles
from crm_core.testing import create_test_user, login
from plugins.customers import services
from plugins.customers.records import followups

# The users' today: they have no time zone of their own, so CRM_DEFAULT_TIMEZONE's.
TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(autouse=True)
def _clock_now():
    """Take "today" when each test starts, not when the module was collected: a long suite
    may cross midnight in Asia/Shanghai (16:00 UTC) between the two."""
    global TODAY, NOW
    TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    NOW = dt.datetime.now(dt.UTC)


def add_user(app, session, name, roles=(), department_id=None):
    user = create_test_user(app, name)
    session.get(User, user.id).department_id = department_id
    assign_roles(session, user.id, list(roles))
    session.commit()
    return session.get(User, user.id)


def follow_up(session, customer, days_from_today, *, by=None, hours_ago=1, content=""):
    return services.add_contact_record(
        session, customer.id, kind="call", content=content, user_id=by,
        occurred_at=NOW - dt.timedelta(hours=hours_ago),
        next_follow_up=TODAY + dt.timedelta(days=days_from_today))


def test_my_follow_ups_are_today_and_overdue_on_my_customers_only(customers_app, session):
    east = create_department(session, "East").id
    west = create_department(session, "West").id
    session.commit()
    sally = add_user(customers_app, session, "sally", ["sales"], east)
    bob = add_user(customers_app, session, "bob", ["sales"], west)
    mia = add_user(customers_app, session, "mia", ["manager"], east)

    def customer(name, owner, department):
        return services.create_customer(session, name=name, owner_id=owner.id,
                                        department_id=department)

    due_today = customer("Due today", sally, east)
    overdue = customer("Overdue", sally, east)
    tomorrow = customer("Tomorrow", sally, east)
    done = customer("Followed up", sally, east)
    trashed = customer("Trashed", sally, east)
    bobs = customer("Bob's", bob, west)
    follow_up(session, due_today, 0, content="Send the quote")
    follow_up(session, overdue, -3, by=mia.id)
    follow_up(session, tomorrow, 1)
    follow_up(session, done, -1, hours_ago=5)
    services.add_contact_record(session, done.id, kind="visit", occurred_at=NOW)  # closes it
    follow_up(session, trashed, -1)
    services.delete_customer(session, trashed.id)
    follow_up(session, bobs, -1, by=bob.id)
    session.commit()

    mine = followups.due_follow_ups(session, user=sally, today=TODAY)
    assert [customer.name for _record, customer in mine] == ["Overdue", "Due today"]
    assert [c.name for _r, c in followups.due_follow_ups(session, user=bob, today=TODAY)] == [
        "Bob's"]
    # a manager sees follow-ups of the records they made, on customers they do not own
    assert [c.name for _r, c in followups.due_follow_ups(session, user=mia, today=TODAY)] == [
        "Overdue"]
    assert followups.open_follow_up(session, done.id) is None
    assert followups.open_follow_up(session, tomorrow.id).next_follow_up == TODAY + dt.timedelta(
        days=1)

    with customers_app.app_context():
        widget = login(customers_app.test_client(), sally).get(
            "/api/v1/widgets/customers.my_follow_ups", headers={"Accept-Language": "en"})
    assert widget.status_code == 200
    body = widget.get_json()
    assert body["kind"] == "list"
    assert body["data"]["items"] == [
        {"title": "Overdue", "url": f"/customers/{overdue.id}", "subtitle": "",
         "badge": "3 days overdue", "due": "overdue"},
        {"title": "Due today", "url": f"/customers/{due_today.id}",
         "subtitle": "Send the quote", "badge": "Today", "due": "today"}]
    assert body["data"]["empty"]


def test_the_widget_is_on_the_dashboard_with_an_empty_state(customers_app, session):
    sally = add_user(customers_app, session, "sally", ["sales"])
    with customers_app.app_context():
        client = login(customers_app.test_client(), sally)
        home = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        data = client.get("/api/v1/widgets/customers.my_follow_ups").get_json()["data"]
    assert 'data-widget-url="/api/v1/widgets/customers.my_follow_ups"' in home
    assert 'data-kind="list"' in home and "My follow-ups" in home
    assert data["items"] == [] and data["empty"] == "No follow-ups due today. Well done."


def test_deleting_the_newest_record_reopens_the_follow_up_before_it(customers_app, session):
    sally = add_user(customers_app, session, "sally", ["sales"])
    acme = services.create_customer(session, name="ACME", owner_id=sally.id)
    follow_up(session, acme, -2, hours_ago=5, content="Call back about the quote")
    visit = services.add_contact_record(session, acme.id, kind="visit", occurred_at=NOW)
    session.commit()
    assert followups.due_follow_ups(session, user=sally, today=TODAY) == []

    services.delete_contact_record(session, visit.id)
    session.commit()
    due = followups.due_follow_ups(session, user=sally, today=TODAY)
    assert [(record.content, customer.name) for record, customer in due] == [
        ("Call back about the quote", "ACME")]
    services.update_contact_record(session, due[0][0].id,
                                   {"next_follow_up": TODAY + dt.timedelta(days=3)})
    session.commit()
    assert followups.due_follow_ups(session, user=sally, today=TODAY) == []
