"""A recipient moves forward along the funnel only: each stage is stamped once, and a late
"opened" after a click never moves the recipient back."""

from __future__ import annotations

import datetime as dt

import pytest
from marketing_testing import unique
from sqlalchemy import select

from plugins.marketing.members import advance
from plugins.marketing.models import Campaign, CampaignMember


def _member(session) -> CampaignMember:
    campaign = Campaign(name=unique())
    session.add(campaign)
    session.flush()
    member = CampaignMember(campaign_id=campaign.id, email=f"{unique()}@example.com")
    session.add(member)
    session.flush()
    return member


def test_stages_are_stamped_once_and_status_never_goes_back(marketing_app):
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        member = _member(session)
        first = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
        assert advance(session, [member.id], "sent", first) == 1
        assert advance(session, [member.id], "clicked", first + dt.timedelta(hours=1)) == 1
        # a pixel loaded after the click (images shown late) stamps "opened" but keeps "clicked"
        assert advance(session, [member.id], "opened", first + dt.timedelta(hours=2)) == 1
        # the same click again counts nothing
        assert advance(session, [member.id], "clicked", first + dt.timedelta(hours=3)) == 0
        row = session.execute(select(CampaignMember.status, CampaignMember.clicked_at,
                                     CampaignMember.opened_at)
                              .where(CampaignMember.id == member.id)).one()
        assert row.status == "clicked"
        assert row.clicked_at.replace(tzinfo=dt.UTC) == first + dt.timedelta(hours=1)
        assert row.opened_at is not None
        session.rollback()
        session.close()


def test_an_unknown_stage_is_refused(marketing_app):
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        with pytest.raises(ValueError, match="bought"):
            advance(session, [1], "bought")
        session.close()
