"""Tracking end to end, as the issue checks it: a campaign mail sent through the outbox to a
local SMTP server carries tracked links and an open pixel; the recipient's open and click on
the call to action are counted (the click becomes a response) and the report counts them; a
tampered click link answers 404; the unsubscribe link is not rewritten."""

from __future__ import annotations

import re
from html import unescape

from mail_testing import approved_campaign, drain, people, smtp_sink, to

from plugins.marketing.models import CampaignMember

HTML = """<html><body>
<p>{{ contact_name }}，您好：新品发布会报名开始了。</p>
<p><a href="https://shop.example.com/launch" class="cta">立即报名</a>
<a href="https://shop.example.com/faq">常见问题</a></p>
<p><a href="{{ unsubscribe_url }}">退订</a></p>
</body></html>"""


def test_a_sent_mail_is_tracked_from_open_to_response(marketing_app):
    from sqlalchemy import select

    made = approved_campaign(marketing_app, people(1), html=HTML)
    api, campaign_id = made["api"], made["campaign_id"]
    with smtp_sink(marketing_app) as server:
        assert api.post(f"/api/v1/marketing/campaigns/{campaign_id}/send",
                        json={}).status_code == 202
        drain(marketing_app)
        (mail,) = to(server, made["emails"])
    html = mail.get_body(("html",)).get_content()
    hrefs = [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]
    tracked = [href for href in hrefs if href.startswith("https://crm.example.com/m/c/")]
    assert len(tracked) == 2 and not any("shop.example.com" in href for href in hrefs)
    assert any(href.startswith("https://crm.example.com/m/u/") for href in hrefs)
    pixel = re.search(r'src="https://crm.example.com(/m/o/[^"]+\.gif)"', html).group(1)

    visitor = marketing_app.test_client()
    assert visitor.get(pixel).status_code == 200
    cta, faq = (href.removeprefix("https://crm.example.com") for href in tracked)
    head, token = cta.rsplit("/", 1)
    tampered = f"{head}/{token[:-4]}{'AAAA' if token[-4:] != 'AAAA' else 'BBBB'}"
    assert visitor.get(tampered).status_code == 404
    assert visitor.get(faq).headers["Location"] == "https://shop.example.com/faq"
    assert visitor.get(cta).headers["Location"] == "https://shop.example.com/launch"

    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        (member,) = session.scalars(select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id)).all()
        assert member.status == "responded"
        assert member.opened_at and member.clicked_at and member.responded_at
        session.close()
    report = api.get(f"/api/v1/marketing/campaigns/{campaign_id}/report").get_json()
    assert (report["sent"], report["opened"], report["clicked"], report["responded"]) == \
        (1, 1, 1, 1)
