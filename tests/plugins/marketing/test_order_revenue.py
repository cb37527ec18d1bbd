"""Orders are part of a campaign's revenue: an order made from an opportunity carries the
opportunity's campaign, a confirmed order counts on the report, and an order of a won
opportunity is not counted a second time beside the opportunity."""

from __future__ import annotations

from decimal import Decimal

from marketing_testing import client_as, unique
from test_responses import _campaign, _opportunities, _win, roi_app  # noqa: F401

from crm_core.toolkit import get_session, system_context


def _report(client, campaign_id):
    answer = client.get(f"/api/v1/marketing/campaigns/{campaign_id}/report")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def _order(session, customer_id, yuan, **fields):
    from plugins.sales import services as sales

    return sales.create_order(session, customer_id, [
        {"description": "展会套餐", "quantity": "1", "unit_price": yuan}], None, **fields)


def test_an_order_of_the_campaigns_opportunity_counts_once(roi_app):  # noqa: F811
    from plugins.marketing.responses.service import record_response
    from plugins.sales import services as sales

    marketer = client_as(roi_app, "marketing", department=f"市场部 {unique()}")
    with roi_app.app_context(), system_context("test"):
        session = get_session()
        campaign, members = _campaign(session, marketer.user.department_id, cost=1_000_000)
        record_response(session, campaign_id=campaign.id, kind="manual",
                        customer_id=members[0].customer_id)
        [opportunity] = _opportunities(session, members[0].customer_id)
        order = _order(session, members[0].customer_id, "12000", opportunity_id=opportunity.id)
        assert order.campaign_id == campaign.id  # from the opportunity
        other = _order(session, members[1].customer_id, "5000")  # no opportunity, no campaign
        assert other.campaign_id is None
        session.commit()
        campaign_id, order_id, other_id = campaign.id, order.id, other.id
    assert _report(marketer, campaign_id)["won_amount"] == "0.00"  # a draft is no business
    with roi_app.app_context(), system_context("test"):
        session = get_session()
        sales.confirm_order(session, sales.get_order(session, order_id))
        sales.confirm_order(session, sales.get_order(session, other_id))
        session.commit()
    body = _report(marketer, campaign_id)
    assert body["won_amount"] == "12000.00"  # the opportunity is still open: its order counts
    assert Decimal(body["roi"]) == (Decimal("12000") - Decimal("10000")) / Decimal("10000")
    with roi_app.app_context(), system_context("test"):
        session = get_session()
        [opportunity] = _opportunities(session, members[0].customer_id)
        _win(session, opportunity, "15000.00")
        session.commit()
    # won: the opportunity's amount counts, its own order no longer beside it
    assert _report(marketer, campaign_id)["won_amount"] == "15000.00"
    page = marketer.get(f"/marketing/campaigns/{campaign_id}/evaluation")
    assert "¥15,000.00" in page.get_data(as_text=True)
    with roi_app.app_context(), system_context("test"):
        session = get_session()
        sales.cancel_order(session, sales.get_order(session, order_id))
        session.commit()
    assert _report(marketer, campaign_id)["won_amount"] == "15000.00"


def test_a_cancelled_order_leaves_the_revenue(roi_app):  # noqa: F811
    from plugins.marketing.responses.service import record_response
    from plugins.sales import services as sales

    marketer = client_as(roi_app, "marketing", department=f"市场部 {unique()}")
    with roi_app.app_context(), system_context("test"):
        session = get_session()
        campaign, members = _campaign(session, marketer.user.department_id, cost=100_000)
        record_response(session, campaign_id=campaign.id, kind="manual",
                        customer_id=members[2].customer_id)
        [opportunity] = _opportunities(session, members[2].customer_id)
        order = _order(session, members[2].customer_id, "3000", opportunity_id=opportunity.id)
        sales.confirm_order(session, order)
        session.commit()
        campaign_id, order_id = campaign.id, order.id
    assert _report(marketer, campaign_id)["won_amount"] == "3000.00"
    with roi_app.app_context(), system_context("test"):
        session = get_session()
        sales.cancel_order(session, sales.get_order(session, order_id))
        session.commit()
    assert _report(marketer, campaign_id)["won_amount"] == "0.00"
