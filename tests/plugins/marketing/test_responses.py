"""Responses close the loop: a response stamps the recipient, sales opens (or updates) an
opportunity carrying the campaign id, and a won opportunity shows as the campaign's revenue
and ROI on the report, the evaluation page and the API."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from marketing_testing import client_as, csrf, unique
from sqlalchemy import select

from crm_core.toolkit import get_session, utcnow


@pytest.fixture(scope="module")
def roi_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Customers, sales and marketing on a fresh migrated SQLite database."""
    from crm_core.testing import migrated_app

    yield from migrated_app(tmp_path_factory.mktemp("roi-app"), ["customers", "sales", "marketing"])


def _campaign(session, department_id=None, *, members=3, cost=0, state="running"):
    """A campaign with ``members`` recipients (each its own customer) stamped sent."""
    from plugins.customers import services as customers
    from plugins.marketing.members import advance
    from plugins.marketing.models import Campaign, CampaignCost, CampaignMember

    campaign = Campaign(name=f"春季展会 {unique()}", state=state, department_id=department_id,
                        frozen_at=utcnow())
    session.add(campaign)
    session.flush()
    made = []
    for _number in range(members):
        customer = customers.create_customer(session, name=f"华东制造 {unique()}")
        member = CampaignMember(campaign_id=campaign.id, customer_id=customer.id,
                                email=f"{unique()}@example.com")
        session.add(member)
        made.append(member)
    if cost:
        import datetime as dt

        session.add(CampaignCost(campaign_id=campaign.id, spent_on=dt.date(2026, 12, 1),
                                 item="展位", amount=cost))
    session.flush()
    advance(session, [member.id for member in made], "sent")
    return campaign, made


def _opportunities(session, customer_id):
    from plugins.sales.models import Opportunity

    return list(session.scalars(select(Opportunity).where(
        Opportunity.customer_id == customer_id).order_by(Opportunity.id)))


def test_a_response_stamps_the_recipient_and_opens_an_opportunity_with_the_campaign(roi_app):
    from plugins.marketing.models import CampaignMember
    from plugins.marketing.responses.service import record_response

    with roi_app.app_context():
        session = get_session()
        campaign, members = _campaign(session)
        first = record_response(session, campaign_id=campaign.id, kind="click",
                                member_id=members[0].id)
        again = record_response(session, campaign_id=campaign.id, kind="click",
                                email=members[0].email.upper())
        session.commit()
        assert again.id == first.id  # a second click of the same recipient counts once
        assert first.customer_id == members[0].customer_id
        status = session.scalar(select(CampaignMember.status)
                                .where(CampaignMember.id == members[0].id))
        assert status == "responded"
        [opportunity] = _opportunities(session, members[0].customer_id)
        assert opportunity.campaign_id == campaign.id and opportunity.status == "open"
        from plugins.marketing.evaluation.report import campaign_reports

        report = campaign_reports(session, [campaign])[campaign.id]
        assert (report["members"], report["sent"], report["responded"],
                report["opportunities"]) == (3, 3, 1, 1)
        session.close()


def test_a_response_gives_an_open_opportunity_without_campaign_this_campaign(roi_app):
    from plugins.marketing.responses.service import record_response
    from plugins.sales.services import create_opportunity

    with roi_app.app_context():
        session = get_session()
        campaign, members = _campaign(session, members=1)
        existing = create_opportunity(session, {"name": "老客户续约",
                                                "customer_id": members[0].customer_id}, None)
        assert existing.campaign_id is None
        record_response(session, campaign_id=campaign.id, kind="registration",
                        customer_id=members[0].customer_id)
        session.commit()
        [only] = _opportunities(session, members[0].customer_id)
        assert only.id == existing.id and only.campaign_id == campaign.id
        session.close()


def test_a_new_opportunity_of_a_customer_who_responded_is_attributed_to_the_campaign(roi_app):
    from plugins.marketing.responses.models import Response
    from plugins.sales.services import create_opportunity

    with roi_app.app_context():
        session = get_session()
        campaign, members = _campaign(session, members=1)
        # a response recorded without announcing it (as if sales had been off then)
        session.add(Response(campaign_id=campaign.id, kind="manual",
                             customer_id=members[0].customer_id))
        session.flush()
        made = create_opportunity(session, {"name": "新需求",
                                            "customer_id": members[0].customer_id}, None)
        assert made.campaign_id == campaign.id
        session.rollback()
        session.close()


def _win(session, opportunity, amount):
    from plugins.sales.models import Stage
    from plugins.sales.services import change_stage

    won = session.scalar(select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id,
                                             Stage.kind == "won").limit(1))
    change_stage(session, opportunity, won.id, None, {"amount": amount})


def test_won_business_is_the_campaigns_revenue_and_roi_is_computed_as_by_hand(roi_app):
    from plugins.marketing.responses.service import record_response

    marketer = client_as(roi_app, "marketing", department=f"市场部 {unique()}")
    with roi_app.app_context():
        session = get_session()
        campaign, members = _campaign(session, marketer.user.department_id, cost=800_000,
                                      state="completed")
        record_response(session, campaign_id=campaign.id, kind="registration",
                        member_id=members[1].id)
        [opportunity] = _opportunities(session, members[1].customer_id)
        _win(session, opportunity, "20000.00")
        session.commit()
        campaign_id = campaign.id
        session.close()
    answer = marketer.get(f"/api/v1/marketing/campaigns/{campaign_id}/report")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert set(body) == {"sent", "opened", "clicked", "unsubscribed", "responded",
                         "opportunities", "won_amount", "cost", "roi"}
    by_hand = (Decimal("20000.00") - Decimal("8000.00")) / Decimal("8000.00")
    assert body["won_amount"] == "20000.00" and body["cost"] == "8000.00"
    assert Decimal(body["roi"]) == by_hand  # 1.5
    assert (body["sent"], body["responded"], body["opportunities"]) == (3, 1, 1)
    page = marketer.get(f"/marketing/campaigns/{campaign_id}/evaluation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1.50 (150.0%)" in html and "¥20,000.00" in html
    # from here the completed campaign is marked evaluated
    token = csrf(marketer, f"/marketing/campaigns/{campaign_id}/evaluation")
    moved = marketer.post(f"/marketing/campaigns/{campaign_id}/evaluation/done",
                          data={"csrf_token": token})
    assert moved.status_code == 302
    from plugins.marketing.models import Campaign

    with roi_app.app_context():
        assert get_session().get(Campaign, campaign_id).state == "evaluated"


def test_roi_is_a_dash_and_null_when_nothing_was_spent(roi_app):
    marketer = client_as(roi_app, "marketing", department=f"市场部 {unique()}")
    with roi_app.app_context():
        session = get_session()
        campaign, _members = _campaign(session, marketer.user.department_id, members=1)
        session.commit()
        campaign_id = campaign.id
        session.close()
    assert marketer.get(f"/api/v1/marketing/campaigns/{campaign_id}/report"
                        ).get_json()["roi"] is None
    html = marketer.get(f"/marketing/campaigns/{campaign_id}/evaluation").get_data(as_text=True)
    assert 'data-figure="roi">—<' in html


def test_staff_log_a_response_for_a_customer_they_find(roi_app):
    department = f"市场部 {unique()}"
    marketer = client_as(roi_app, "marketing", department=department)
    with roi_app.app_context():
        session = get_session()
        campaign, members = _campaign(session, marketer.user.department_id, members=1)
        from plugins.customers import services as customers

        name = f"回访客户 {unique()}"
        outsider = customers.create_customer(session, name=name,
                                             owner_id=marketer.user.id)
        session.commit()
        campaign_id, customer_id = campaign.id, outsider.id
        session.close()
    url = f"/marketing/campaigns/{campaign_id}/responses/new"
    page = marketer.get(url, query_string={"q": name})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and name in html
    done = marketer.post(url, data={"csrf_token": csrf(marketer, url), "customer_id": customer_id,
                                    "note": "电话咨询报价"})
    assert done.status_code == 302
    evaluation = marketer.get(done.location).get_data(as_text=True)
    assert "电话咨询报价" in evaluation and name in evaluation
    refused = marketer.post(url, data={"csrf_token": csrf(marketer, url),
                                       "customer_id": "99999999"})
    assert refused.status_code == 422
    # another department's campaign is not there at all
    other = client_as(roi_app, "marketing", department=f"市场部 {unique()}")
    assert other.get(url).status_code == 404
    assert other.get(f"/marketing/campaigns/{campaign_id}/evaluation").status_code == 404
    assert other.get(f"/api/v1/marketing/campaigns/{campaign_id}/report").status_code == 404


def test_an_unknown_kind_or_campaign_is_refused(roi_app):
    from plugins.marketing.responses.service import ResponseError, record_response

    with roi_app.app_context():
        session = get_session()
        with pytest.raises(ResponseError):
            record_response(session, campaign_id=2_000_000_000, kind="manual")
        campaign, _members = _campaign(session, members=0)
        with pytest.raises(ResponseError):
            record_response(session, campaign_id=campaign.id, kind="bought")
        session.rollback()
        session.close()


def test_without_sales_a_response_is_recorded_and_counted_all_the_same(marketing_app):
    from plugins.marketing.evaluation.report import campaign_reports
    from plugins.marketing.responses.service import record_response

    with marketing_app.app_context():
        session = get_session()
        campaign, members = _campaign(session, members=2, cost=10_000)
        record_response(session, campaign_id=campaign.id, kind="registration",
                        email=members[0].email)
        session.commit()
        report = campaign_reports(session, [campaign])[campaign.id]
        assert (report["responded"], report["opportunities"], report["won_amount"]) == (1, 0, 0)
        assert report["roi"] == Decimal("-1.0000") and report["cost_per_response"] == 10_000
