"""Each user reads times in their own time zone; storage stays UTC.

A user in Europe/Berlin and one in Asia/Shanghai see the same stored instant differently,
on the operation log and on detail pages; an invalid zone is a field error; the default
comes from ``CRM_DEFAULT_TIMEZONE``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select, update

from crm_core.audit.models import AuditEntry
from crm_core.auth.models import User
from crm_core.errors import ConfigError

pytestmark = pytest.mark.crm_plugins()
INSTANT = dt.datetime(2026, 1, 15, 23, 30, 5, tzinfo=dt.UTC)  # winter: Berlin is UTC+1


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def pin_log_times(app) -> None:
    with app.extensions["crm_db"].engine.begin() as connection:
        connection.execute(update(AuditEntry).values(at=INSTANT))


def test_berlin_and_shanghai_read_the_same_log_entry_at_their_own_time(crm_app, crm_client_as):
    berlin = crm_client_as("admin", timezone="Europe/Berlin")
    shanghai = crm_client_as("admin", timezone="Asia/Shanghai")
    pin_log_times(crm_app)

    seen_in_berlin = berlin.get("/audit").get_data(as_text=True)
    seen_in_shanghai = shanghai.get("/audit").get_data(as_text=True)

    assert "2026-01-16 00:30:05" in seen_in_berlin and "Europe/Berlin" in seen_in_berlin
    assert "2026-01-16 07:30:05" in seen_in_shanghai and "Asia/Shanghai" in seen_in_shanghai
    assert "2026-01-16 07:30:05" not in seen_in_berlin
    with crm_app.app_context():  # stored once, in UTC
        stored = crm_app.extensions["crm_db"].new_session().scalars(select(AuditEntry.at))
        assert {moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
                for moment in stored} == {INSTANT}


def test_a_user_without_a_zone_reads_times_in_the_configured_default(crm_make_app):
    from crm_core.testing import client_as

    app = crm_make_app(plugins=[], CRM_DEFAULT_TIMEZONE="America/New_York")
    client = client_as(app, "admin")
    pin_log_times(app)
    page = client.get("/audit").get_data(as_text=True)
    assert "2026-01-15 18:30:05" in page and "America/New_York" in page


def test_the_default_zone_is_shanghai_and_a_wrong_one_stops_the_app(crm_make_app):
    app = crm_make_app(plugins=[], migrate=False)
    assert app.config["CRM_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    with pytest.raises(ConfigError, match="CRM_DEFAULT_TIMEZONE"):
        crm_make_app(plugins=[], migrate=False, CRM_DEFAULT_TIMEZONE="Mars/Olympus")


def test_a_user_chooses_their_zone_on_the_preferences_page(crm_app, crm_client_as):
    client = crm_client_as("sales")
    page = client.get("/account/preferences")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Default (Asia/Shanghai)" in html and 'value="Europe/Berlin"' in html

    saved = client.post("/account/preferences", data={
        "csrf_token": csrf_token(html), "timezone": "Europe/Berlin"})
    assert saved.status_code == 302
    with crm_app.app_context():
        session = crm_app.extensions["crm_db"].new_session()
        assert session.get(User, client.user.id).timezone == "Europe/Berlin"
        logged = session.scalars(select(AuditEntry).where(
            AuditEntry.model == "core_user", AuditEntry.action == "update")).all()
        assert json.loads(logged[-1].changes)["timezone"] == {"old": None,
                                                              "new": "Europe/Berlin"}
    assert "Europe/Berlin" in client.get("/account/preferences").get_data(as_text=True)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe/Berlin\x00", "x" * 300])
def test_an_invalid_zone_is_a_field_error_not_a_save(crm_app, crm_client_as, zone):
    client = crm_client_as("sales")
    html = client.get("/account/preferences").get_data(as_text=True)
    refused = client.post("/account/preferences", data={
        "csrf_token": csrf_token(html), "timezone": zone})
    assert refused.status_code == 400
    if "\x00" not in zone:  # a NUL is refused at the edge, before the form
        body = refused.get_data(as_text=True)
        assert "Choose a time zone from the list." in body and "is-invalid" in body
    with crm_app.app_context():
        user = crm_app.extensions["crm_db"].new_session().get(User, client.user.id)
        assert user.timezone is None


def test_an_admin_sets_a_users_zone_on_the_user_form(crm_app, admin_client):
    from crm_core.testing import create_test_user

    user = create_test_user(crm_app, "wang", roles=["sales"], department="East")
    form = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="Europe/Berlin"' in form
    data = {"csrf_token": csrf_token(form), "display_name": "Wang", "email": "",
            "department": str(user.department_id), "roles": ["sales"], "active": "y"}
    bad = admin_client.post(f"/admin/users/{user.id}", data={**data, "timezone": "Nowhere"})
    assert bad.status_code == 400 and "Choose a time zone from the list." in bad.get_data(
        as_text=True)
    good = admin_client.post(f"/admin/users/{user.id}", data={**data,
                                                              "timezone": "Europe/Berlin"})
    assert good.status_code == 302
    with crm_app.app_context():
        saved = crm_app.extensions["crm_db"].new_session().get(User, user.id)
        assert saved.timezone == "Europe/Berlin"


def test_the_logs_date_filter_means_days_in_the_readers_zone(crm_app, crm_client_as):
    berlin = crm_client_as("admin", timezone="Europe/Berlin")
    new_york = crm_client_as("admin", timezone="America/New_York")
    pin_log_times(crm_app)  # 23:30 UTC on the 15th: the 16th in Berlin, the 15th in New York

    def shown(client, day):
        page = client.get(f"/audit?date_from={day}&date_to={day}").get_data(as_text=True)
        return "2026-01-1" in page and "<time datetime=" in page

    assert shown(berlin, "2026-01-16") and not shown(berlin, "2026-01-15")
    assert shown(new_york, "2026-01-15") and not shown(new_york, "2026-01-16")
