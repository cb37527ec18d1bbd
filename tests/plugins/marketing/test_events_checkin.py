"""Event campaigns behind the registration: two people racing for the last seat get one seat
and one "full"; an address of the frozen audience moves to "registered" and the registration
counts as a response; staff check people in by code (page and API) and are told "checked
in", "already checked in at HH:MM" or "unknown code"; the registrants list shows the counts
and exports as CSV; another department's event answers 404 and a viewer cannot check in."""

from __future__ import annotations

import threading

import pytest
from marketing_testing import client_as, csrf, tagged_customers, unique
from sqlalchemy import select
from test_events import event_campaign, person, registrations, visit

from plugins.marketing.models import CampaignMember


def race_for_the_last_seat(app) -> list[str]:
    """Two people register at once for an event with one seat; what each was answered."""
    from plugins.marketing.events import register as registering
    from plugins.marketing.events import services
    from plugins.marketing.events.models import Event
    from plugins.marketing.models import Campaign

    made = event_campaign(app, capacity=1, questions="")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(number: int) -> None:
        with app.test_request_context("/m/events/x"):
            session = app.extensions["crm_db"].new_session()
            event = session.get(Event, made["event_id"])
            campaign = session.get(Campaign, made["campaign_id"])
            start.wait()
            try:
                registering.register(session, event, campaign, {
                    "name": f"抢座者 {number}", "email": f"seat-{number}-{unique()}@example.com"})
                session.commit()
                outcomes.append("seat")
            except services.RegistrationClosed as closed:
                session.rollback()
                outcomes.append(closed.reason)
            finally:
                session.close()

    threads = [threading.Thread(target=attempt, args=(number,)) for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(registrations(app, made["event_id"])) == 1
    return sorted(outcomes)


def test_two_people_racing_for_the_last_seat_get_one_seat(marketing_app):
    assert race_for_the_last_seat(marketing_app) == ["full", "seat"]


@pytest.mark.postgres
def test_the_last_seat_race_on_postgresql(crm_make_app):
    app = crm_make_app(plugins=["customers", "marketing"], database="postgresql")
    app.config["CRM_MARKETING_EVENT_RATE_LIMIT"] = "1000 per minute"
    assert race_for_the_last_seat(app) == ["full", "seat"]


def test_an_audience_member_who_registers_moves_to_registered(marketing_app):
    tag = unique()
    email = f"member-{tag}@example.com"
    made_people = tagged_customers(marketing_app, [{"email": email, "consent": True}])
    department = f"市场部 {tag}"
    marketer = client_as(marketing_app, "marketing", department=department)
    token = csrf(marketer, "/marketing/campaigns/new")
    created = marketer.post("/api/v1/marketing/campaigns", json={
        "name": f"客户答谢会 {tag}", "type": "event", "budget": "0",
        "audience": {"tag_ids": [made_people["tag_id"]]}}, headers={"X-CSRFToken": token})
    campaign_id = created.get_json()["id"]
    frozen = marketer.post(f"/api/v1/marketing/campaigns/{campaign_id}/audience",
                           headers={"X-CSRFToken": token})
    assert frozen.status_code == 201, frozen.get_json()
    url = f"/marketing/campaigns/{campaign_id}/event"
    assert marketer.post(url, data={"csrf_token": csrf(marketer, url), "is_open": "y",
                                    "questions": ""}).status_code == 302
    report = marketer.get(f"/api/v1/marketing/campaigns/{campaign_id}/registrations")
    assert report.status_code == 200 and report.get_json()["items"] == []
    from plugins.marketing.events.models import Event

    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        key = session.scalar(select(Event.key).where(Event.campaign_id == campaign_id))
        session.close()
    assert visit(marketing_app, key, {"name": "王经理", "email": email.upper()}
                 ).status_code == 201
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        member = session.scalar(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id))
        assert member.registered_at is not None
        # a registration is also a response: the status is the furthest stage
        assert member.status in ("registered", "responded")
        try:
            from plugins.marketing.responses.models import Response
        except ImportError:  # the responses part is not installed
            pass
        else:
            kinds = list(session.scalars(select(Response.kind).where(
                Response.campaign_id == campaign_id)))
            assert kinds == ["registration"]
        session.close()


def test_staff_check_people_in_by_code_on_the_page_and_the_api(marketing_app):
    made = event_campaign(marketing_app, capacity=10)
    tag = unique()
    assert visit(marketing_app, made["key"], person(tag)).status_code == 201
    assert visit(marketing_app, made["key"], person(f"{tag}b", name="张伟")).status_code == 201
    first, second = registrations(marketing_app, made["event_id"])
    marketer = made["marketer"]
    page = f"/marketing/campaigns/{made['campaign_id']}/check-in"
    shown = marketer.get(page).get_data(as_text=True)
    assert "jsQR.js" in shown and "checkin.js" in shown and "BarcodeDetector" not in shown
    token = csrf(marketer, page)
    checked = marketer.post(page, data={"csrf_token": token, "code": first.code.lower()},
                            headers={"Accept": "application/json"})
    assert checked.get_json()["status"] == "checked_in"
    assert checked.get_json()["counts"]["checked_in"] == 1
    again = marketer.post(page, data={"csrf_token": token, "code": first.code},
                          headers={"Accept": "application/json"}).get_json()
    assert again["status"] == "already" and again["time"] in again["message"]
    unknown = marketer.post(page, data={"csrf_token": token, "code": "ZZZZ9999"})
    assert unknown.status_code == 200
    assert 'data-status="unknown"' in unknown.get_data(as_text=True)

    api = client_as(marketing_app, "marketing", api=True)
    api_base = f"/api/v1/marketing/campaigns/{made['campaign_id']}"
    assert api.post(f"{api_base}/check-in", json={"code": second.code}).status_code == 404
    api.user = marketer.user
    token_api = marketer.post(f"{api_base}/check-in", json={"code": second.code},
                              headers={"X-CSRFToken": token})
    assert token_api.status_code == 200 and token_api.get_json()["status"] == "checked_in"
    listed = marketer.get(f"{api_base}/registrations").get_json()["items"]
    assert [item["code"] for item in listed] == [first.code, second.code]
    assert all(item["checked_in_at"] for item in listed)
    assert marketer.post(f"{api_base}/check-in", json={"code": "x" * 5000},
                         headers={"X-CSRFToken": token}).status_code == 422

    registrants = marketer.get(f"/marketing/campaigns/{made['campaign_id']}/registrations")
    html = registrants.get_data(as_text=True)
    assert first.code in html and "张伟" in html and ">已签到 2<" not in html
    viewer = client_as(marketing_app, "viewer")
    assert viewer.post(page, data={"csrf_token": csrf(viewer, "/"), "code": first.code}
                       ).status_code == 403


def test_the_registrants_export_as_csv_and_other_departments_see_404(marketing_app):
    department = f"市场部 {unique()}"
    made = event_campaign(marketing_app, department=department)
    tag = unique()
    assert visit(marketing_app, made["key"], person(tag, phone="13900001111")).status_code == 201
    manager = client_as(marketing_app, "manager", department=department)
    exported = manager.get(f"/marketing/campaigns/{made['campaign_id']}/registrations.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    lines = exported.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Code,Name,Phone,E-mail,Company")
    assert lines[0].endswith("职位,午餐,需要停车位")
    assert "+8613900001111" in lines[1] and "采购经理" in lines[1]
    assert manager.get(f"/marketing/campaigns/{made['campaign_id']}/registrations.pdf"
                       ).status_code == 404

    stranger = client_as(marketing_app, "marketing", department=f"华南 {unique()}")
    base = f"/marketing/campaigns/{made['campaign_id']}"
    for path in ("/event", "/registrations", "/registrations.csv", "/check-in"):
        assert stranger.get(base + path).status_code in (403, 404), path
    assert stranger.get(f"/api/v1/marketing/campaigns/{made['campaign_id']}/registrations"
                        ).status_code == 404
