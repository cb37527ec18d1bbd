"""A follow-up's date shows once (the badge says "3 days overdue", "Today", or nothing more),
and overdue has one colour everywhere: the list, the record page and the dashboard use the
same class, defined once in the kernel's stylesheet."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from customers_testing import add_user, app_session, client_for

from plugins.customers import services

TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(autouse=True)
def _clock_now():
    """Take "today" when each test starts, not when the module was collected: a long suite
    may cross midnight in Asia/Shanghai (16:00 UTC) between the two."""
    global TODAY, NOW
    TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    NOW = dt.datetime.now(dt.UTC)
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def desk(customers_app):
    """Sally's customers: one overdue by 3 days, one due in 10 days, one due today."""
    app = customers_app
    with app_session(app) as session:
        sally = add_user(app, session, "sally", ["admin"])
        ids = {"sally": sally}
        for name, days in (("Late Ltd", -3), ("Later Ltd", 10), ("Today Ltd", 0)):
            customer = services.create_customer(session, name=name, owner_id=sally)
            services.add_contact_record(session, customer.id, kind="call", user_id=sally,
                                        occurred_at=NOW - dt.timedelta(hours=1),
                                        next_follow_up=TODAY + dt.timedelta(days=days))
            ids[name] = customer.id
    return app, ids


def followup_card(html):
    match = re.search(r'<section class="card" aria-labelledby="followup-title">.*?</section>',
                      html, re.S)
    assert match, "no follow-up card"
    return match.group(0)


def test_the_record_page_shows_the_date_once(desk):
    app, ids = desk
    client = client_for(app, ids["sally"])
    later = (TODAY + dt.timedelta(days=10)).isoformat()
    card = followup_card(client.get(f"/customers/{ids['Later Ltd']}").get_data(as_text=True))
    assert card.count(later) == 1
    assert 'id="followup-badge"' not in card

    card = followup_card(client.get(f"/customers/{ids['Late Ltd']}").get_data(as_text=True))
    assert card.count((TODAY - dt.timedelta(days=3)).isoformat()) == 1
    assert re.search(r'class="badge crm-due-overdue"[^>]*>3 days overdue<', card)

    card = followup_card(client.get(f"/customers/{ids['Today Ltd']}").get_data(as_text=True))
    assert re.search(r'class="badge crm-due-today"[^>]*>Today<', card)


def test_overdue_looks_the_same_on_the_list_the_record_and_the_dashboard(desk):
    app, ids = desk
    client = client_for(app, ids["sally"])
    listing = client.get("/customers/").get_data(as_text=True)
    assert re.search(r'class="badge crm-due-overdue[^"]*"[^>]*>.*?3 days overdue</span>',
                     listing, re.S)
    assert re.search(r'class="badge crm-due-today[^"]*"[^>]*>.*?Today</span>', listing, re.S)
    assert "10 days" not in listing  # nothing due yet: no badge

    widget = client.get("/api/v1/widgets/customers.my_follow_ups").get_json()
    due = {item["title"]: item.get("due") for item in widget["data"]["items"]}
    assert due == {"Late Ltd": "overdue", "Today Ltd": "today"}

    css = (REPO / "crm_core/static/crm.css").read_text()
    assert css.count(".badge.crm-due-overdue {") == 1 and "--crm-overdue-bg:" in css
    script = (REPO / "crm_core/static/dashboard.js").read_text()
    assert '"crm-due-" + due' in script
    for template in ("_followups.html", "_list_table.html"):
        text = (REPO / "plugins/customers/templates/customers" / template).read_text()
        assert "crm-due-overdue" in text and "text-bg-danger" not in text
