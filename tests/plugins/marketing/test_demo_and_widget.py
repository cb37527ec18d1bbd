"""Demo data (``crm seed --marketing N``): campaigns in every state with cost lines and
consents for the seeded contacts; and the dashboard's "Campaigns by state", counting only
what the viewer may see."""

from __future__ import annotations

from collections import Counter

from marketing_testing import client_as
from sqlalchemy import func, select

from plugins.marketing.events.models import Event, Registration
from plugins.marketing.models import Campaign, CampaignCost, Consent, ConsentState


def test_the_seed_adds_campaigns_in_every_state_with_costs_and_consents(marketing_app):
    from crm_core.testing import invoke_cli

    with marketing_app.app_context():
        assert invoke_cli(marketing_app, "seed", "--size", "0", "--customers", "20"
                          ).exit_code == 0
        result = invoke_cli(marketing_app, "seed", "--size", "0", "--marketing", "10")
        assert result.exit_code == 0, result.output
        session = marketing_app.extensions["crm_db"].new_session()
        demo = list(session.scalars(select(Campaign).where(Campaign.name.like("% 10"))
                                    .limit(5)))
        states = Counter(session.scalars(select(Campaign.state).where(
            Campaign.department_id == demo[0].department_id)))
        costs = session.scalar(select(func.count(CampaignCost.id))) or 0
        consents = session.scalar(select(func.count(Consent.id))) or 0
        withdrawn = session.scalar(select(func.count()).select_from(ConsentState)
                                   .where(ConsentState.granted.is_(False))) or 0
        events = session.execute(select(Event.place, Event.is_open, Campaign.state)
                                 .join(Campaign, Campaign.id == Event.campaign_id)
                                 .where(Campaign.department_id == demo[0].department_id)).all()
        registrations = session.execute(
            select(Registration.customer_id, Registration.checked_in_at, Campaign.state)
            .join(Campaign, Campaign.id == Registration.campaign_id)
            .where(Campaign.department_id == demo[0].department_id)).all()
        session.close()
    assert set(states) == {"planned", "approved", "running", "completed", "evaluated"}
    assert costs >= 8 and consents >= 20 and withdrawn >= 1
    # the event campaigns past planning take registrations; the finished ones checked in
    assert events and all(place for place, _open, _state in events)
    assert all(is_open == (state in ("approved", "running")) for _p, is_open, state in events)
    assert len(registrations) >= 5 and all(row.customer_id for row in registrations)
    finished = [row for row in registrations if row.state in ("completed", "evaluated")]
    assert all(row.checked_in_at is None for row in registrations if row not in finished)
    assert not finished or any(row.checked_in_at for row in finished)


def test_campaigns_by_state_counts_the_viewers_department_only(marketing_app):
    marketer = client_as(marketing_app, "marketing", department="市场二部", api=True)
    for name in ("线上广告", "地推"):
        marketer.post("/api/v1/marketing/campaigns", json={"name": name, "type": "other"})
    answer = marketer.get("/api/v1/widgets/marketing.campaigns_by_state").get_json()
    assert answer["data"]["labels"][0] == "Planned"
    assert answer["data"]["values"][0] == 2 and sum(answer["data"]["values"]) == 2
