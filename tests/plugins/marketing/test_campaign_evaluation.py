"""The evaluation side: the funnel's kept counts agree with the recipients' stamps, the
comparison page and the dashboard widgets show the viewer's campaigns only, and the demo
seed leaves responses, opportunities and won business to look at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from marketing_testing import client_as, unique
from sqlalchemy import func, select

from crm_core.toolkit import get_session, utcnow


@pytest.fixture(scope="module")
def eval_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Customers, sales and marketing on a fresh migrated SQLite database."""
    from crm_core.testing import migrated_app

    yield from migrated_app(tmp_path_factory.mktemp("evaluation-app"),
                            ["customers", "sales", "marketing"])


def _campaign(session, department_id, members, *, cost=0, state="completed"):
    from plugins.marketing.models import Campaign, CampaignCost, CampaignMember

    campaign = Campaign(name=f"年终促销 {unique()}", state=state, department_id=department_id,
                        frozen_at=utcnow(), start_date=dt.date.today())
    session.add(campaign)
    session.flush()
    rows = [CampaignMember(campaign_id=campaign.id, email=f"{unique()}@example.com")
            for _number in range(members)]
    session.add_all(rows)
    if cost:
        session.add(CampaignCost(campaign_id=campaign.id, spent_on=dt.date.today(),
                                 item="广告费", amount=cost))
    session.flush()
    return campaign, [row.id for row in rows]


def test_the_kept_funnel_counts_equal_the_recipients_stamps(eval_app):
    from plugins.marketing.evaluation.report import campaign_reports
    from plugins.marketing.members import advance
    from plugins.marketing.models import CampaignMember

    with eval_app.app_context():
        session = get_session()
        campaign, ids = _campaign(session, None, 40)
        advance(session, ids, "sent")
        advance(session, ids[:25], "opened")
        advance(session, ids[:10], "opened")  # again: nothing new
        advance(session, ids[:7], "clicked")
        advance(session, ids[39:], "unsubscribed")
        report = campaign_reports(session, [campaign])[campaign.id]
        stamped = session.execute(select(
            func.count(CampaignMember.sent_at), func.count(CampaignMember.opened_at),
            func.count(CampaignMember.clicked_at), func.count(CampaignMember.unsubscribed_at))
            .where(CampaignMember.campaign_id == campaign.id)).one()
        assert (report["sent"], report["opened"], report["clicked"],
                report["unsubscribed"]) == tuple(stamped) == (40, 25, 7, 1)
        assert report["members"] == 40 and report["roi"] is None
        session.rollback()


def test_compare_shows_campaigns_side_by_side_with_their_roi(eval_app):
    marketer = client_as(eval_app, "marketing", department=f"市场部 {unique()}")
    other = client_as(eval_app, "marketing", department=f"市场部 {unique()}")
    with eval_app.app_context():
        session = get_session()
        first, _ids = _campaign(session, marketer.user.department_id, 2, cost=100_000)
        second, _ids = _campaign(session, marketer.user.department_id, 2)
        hidden, _ids = _campaign(session, other.user.department_id, 2)
        session.commit()
        ids = (first.id, second.id, hidden.id)
        names = (first.name, second.name, hidden.name)
    page = marketer.get("/marketing/campaigns/compare", query_string={"ids": list(ids)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert names[0] in html and names[1] in html and names[2] not in html
    # nothing won yet: −100 % where ¥1,000 was spent, a dash where nothing was
    assert f'data-roi="{ids[0]}">-1.00 (-100.0%)<' in html
    assert f'data-roi="{ids[1]}">—<' in html
    odd = marketer.get("/marketing/campaigns/compare",
                       query_string={"ids": ["x", "99999999999", "-1", "٣"]})
    assert odd.status_code == 200


def test_widgets_show_the_latest_funnel_roi_and_responses_per_week(eval_app):
    from plugins.marketing.responses.service import record_response

    marketer = client_as(eval_app, "marketing", department=f"市场部 {unique()}", api=True)
    with eval_app.app_context():
        session = get_session()
        campaign, ids = _campaign(session, marketer.user.department_id, 5, cost=50_000)
        from plugins.marketing.members import advance

        advance(session, ids, "sent")
        record_response(session, campaign_id=campaign.id, kind="click", member_id=ids[0])
        record_response(session, campaign_id=campaign.id, kind="manual", email="walk-in@x.cn")
        session.commit()
        name = campaign.name
    funnel = marketer.get("/api/v1/widgets/marketing.latest_funnel").get_json()
    assert funnel["data"]["values"][:2] == [5, 5] and funnel["data"]["values"][4] == 2
    roi = marketer.get("/api/v1/widgets/marketing.roi_by_campaign").get_json()
    assert roi["data"]["labels"] == [name] and roi["data"]["values"] == [-100.0]
    weekly = marketer.get("/api/v1/widgets/marketing.responses_per_week").get_json()
    assert len(weekly["data"]["values"]) == 12 and weekly["data"]["values"][-1] == 2
    stranger = client_as(eval_app, "marketing", department=f"市场部 {unique()}", api=True)
    assert sum(stranger.get("/api/v1/widgets/marketing.responses_per_week"
                            ).get_json()["data"]["values"]) == 0


def test_the_demo_seed_leaves_sends_responses_and_won_business(eval_app):
    from crm_core.testing import invoke_cli
    from plugins.marketing.responses.models import CampaignTotal, Response

    with eval_app.app_context():
        assert invoke_cli(eval_app, "seed", "--size", "0", "--customers", "60").exit_code == 0
        result = invoke_cli(eval_app, "seed", "--size", "0", "--marketing", "10")
        assert result.exit_code == 0, result.output
        session = get_session()
        responses = session.scalar(select(func.count(Response.id))) or 0
        won = session.scalar(select(func.sum(CampaignTotal.won_amount))) or 0
        opportunities = session.scalar(select(func.sum(CampaignTotal.opportunities))) or 0
    assert responses >= 5 and opportunities >= 5 and won > 0
