"""The campaign's recipients as a marketer sees them: each with their status and stage times
in the reader's time zone, filtered by status, in pages; the campaign page shows the counts
per status and the clicks per link; another department's campaign answers 404."""

from __future__ import annotations

import datetime as dt

from marketing_testing import client_as, unique

from plugins.marketing.members import advance
from plugins.marketing.models import Campaign, CampaignMember
from plugins.marketing.tracking.instrument import register_links
from plugins.marketing.tracking.services import click_of, note_click


def _campaign(app, owner, count: int) -> tuple[int, list[int]]:
    """A campaign of ``owner``'s department with ``count`` recipients: the first clicked the
    FAQ link (not a call to action) twice at 2026-12-01 09:00 UTC, the second was sent the mail."""
    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with app.test_request_context():
        session = app.extensions["crm_db"].new_session()
        campaign = Campaign(name=f"双十二促销 {unique()}", owner_id=owner.id,
                            department_id=owner.department_id)
        session.add(campaign)
        session.flush()
        members = [CampaignMember(campaign_id=campaign.id,
                                  email=f"r{index:03d}-{unique()}@example.com")
                   for index in range(count)]
        session.add_all(members)
        session.flush()
        register_links(session, campaign.id, [("https://example.com/sale", True),
                                              ("https://example.com/faq", False)])
        ids = [member.id for member in members]
        advance(session, ids[:2], "sent", at)
        for _ in range(2):
            note_click(session, campaign.id, click_of(session, campaign.id, ids[0], 2), at)
        session.commit()
        campaign_id = campaign.id
        session.close()
    return campaign_id, ids


def test_recipients_show_status_and_times_in_the_readers_zone(marketing_app):
    department = f"市场部 {unique()}"
    marketer = client_as(marketing_app, "marketing", department=department,
                         timezone="Asia/Shanghai")
    campaign_id, ids = _campaign(marketing_app, marketer.user, 3)
    page = marketer.get(f"/marketing/campaigns/{campaign_id}/recipients?status=clicked")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<tr>") == 2  # the header and the one who clicked
    assert "2026-12-01 17:00" in html  # 09:00 UTC in Shanghai
    sent = marketer.get(f"/marketing/campaigns/{campaign_id}/recipients?status=sent")
    assert sent.get_data(as_text=True).count("<tr>") == 2
    detail = marketer.get(f"/marketing/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'id="link-clicks"' in detail and "https://example.com/faq" in detail
    for bad in ("status=bought", "after=-1", "after=99999999999", "after=%00"):
        assert marketer.get(f"/marketing/campaigns/{campaign_id}/recipients?{bad}"
                            ).status_code == 400


def test_recipients_come_in_pages(marketing_app):
    marketer = client_as(marketing_app, "marketing", department=f"市场部 {unique()}")
    campaign_id, ids = _campaign(marketing_app, marketer.user, 55)
    first = marketer.get(f"/marketing/campaigns/{campaign_id}/recipients").get_data(
        as_text=True)
    assert first.count("<tr>") == 51 and f"after={ids[49]}" in first
    second = marketer.get(f"/marketing/campaigns/{campaign_id}/recipients?after={ids[49]}"
                          ).get_data(as_text=True)
    assert second.count("<tr>") == 6 and 'rel="next"' not in second
    # the addresses are masked for a marketer (号码脱敏, marketing.recipient.view_sensitive)
    assert "r***@" in second and "r050-" not in second


def test_another_departments_recipients_answer_404(marketing_app):
    owner = client_as(marketing_app, "marketing", department=f"市场部 {unique()}")
    stranger = client_as(marketing_app, "marketing", department=f"销售部 {unique()}")
    campaign_id, _ids = _campaign(marketing_app, owner.user, 1)
    assert stranger.get(f"/marketing/campaigns/{campaign_id}/recipients").status_code == 404
    assert owner.get(f"/marketing/campaigns/{campaign_id}/recipients").status_code == 200
