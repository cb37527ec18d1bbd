"""A recipient's mail is made trackable: every web link becomes a signed click redirect to a
numbered link of the campaign (the same URL gets the same number in every mail), and an open
pixel is added before ``</body>``; the rest of the mail is kept as it was."""

from __future__ import annotations

import re

from marketing_testing import unique
from sqlalchemy import select

from crm_core.toolkit import read_link
from plugins.marketing.models import Campaign, CampaignMember
from plugins.marketing.tracking.instrument import CLICK_PURPOSE, OPEN_PURPOSE, instrument
from plugins.marketing.tracking.models import TrackedLink

MAIL = """<!DOCTYPE html>
<html><head><style>a{color:red}</style></head><body>
<!-- <a href="https://commented.example.com/">not a link</a> -->
<p>您好 {name}，<a href="https://example.com/offer?a=1&amp;b=2" class="btn cta">立即报名</a></p>
<p><A HREF='https://example.com/about' style="color:#333">关于我们</A>
<a href="https://example.com/offer?a=1&amp;b=2">again</a>
<a href="mailto:sales@example.com">写信</a> <a href="/relative">rel</a>
<a href="https://example.com/private" data-notrack>skip</a>
<a href="https://example.com/join" data-cta>参加</a></p>
</body></html>"""


def _members(session, count: int) -> tuple[int, list[int]]:
    campaign = Campaign(name=unique())
    session.add(campaign)
    session.flush()
    members = [CampaignMember(campaign_id=campaign.id, email=f"{unique()}@example.com")
               for _ in range(count)]
    session.add_all(members)
    session.flush()
    return campaign.id, [member.id for member in members]


def _hrefs(html: str) -> list[str]:
    return re.findall(r"""href=["']([^"']*)["']""", html, flags=re.IGNORECASE)


def test_links_become_signed_redirects_and_a_pixel_is_added(marketing_app):
    marketing_app.config["CRM_BASE_URL"] = "https://crm.example.com"
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        campaign_id, (first, second) = _members(session, 2)
        mail = instrument(MAIL, campaign_id=campaign_id, member_id=first, session=session)
        hrefs = _hrefs(mail)
        tracked = [href for href in hrefs if href.startswith("https://crm.example.com/m/c/")]
        assert len(tracked) == 4
        payloads = [read_link(CLICK_PURPOSE, href.rsplit("/", 1)[1].replace("&amp;", "&"))
                    for href in tracked]
        # the offer twice: the same number; numbers follow the mail's order
        assert payloads == [[campaign_id, first, 1], [campaign_id, first, 2],
                            [campaign_id, first, 1], [campaign_id, first, 3]]
        links = session.execute(select(TrackedLink.number, TrackedLink.url, TrackedLink.is_cta)
                                .where(TrackedLink.campaign_id == campaign_id)
                                .order_by(TrackedLink.number)).all()
        assert [tuple(link) for link in links] == [
            (1, "https://example.com/offer?a=1&b=2", True),
            (2, "https://example.com/about", False), (3, "https://example.com/join", True)]
        # untouched: mailto, relative, data-notrack, the commented link, the styles
        assert "mailto:sales@example.com" in hrefs and "/relative" in hrefs
        assert "https://example.com/private" in hrefs
        assert '<!-- <a href="https://commented.example.com/">not a link</a> -->' in mail
        assert 'class="btn cta"' in mail and 'style="color:#333"' in mail
        pixel = re.search(r'<img src="https://crm.example.com/m/o/([^"]+)\.gif"', mail)
        assert pixel and read_link(OPEN_PURPOSE, pixel.group(1)) == [campaign_id, first]
        assert mail.index("<img") < mail.index("</body>")
        # the second recipient's mail: the same numbers, no new link rows
        again = instrument(MAIL, campaign_id=campaign_id, member_id=second, session=session)
        numbers = [read_link(CLICK_PURPOSE, href.rsplit("/", 1)[1])[1:]
                   for href in _hrefs(again) if "/m/c/" in href]
        assert numbers == [[second, 1], [second, 2], [second, 1], [second, 3]]
        assert session.scalar(select(TrackedLink.id).where(
            TrackedLink.campaign_id == campaign_id, TrackedLink.number == 4)) is None
        session.rollback()
        session.close()
    marketing_app.config.pop("CRM_BASE_URL")


def test_a_mail_without_body_or_links_gets_the_pixel_at_the_end(marketing_app):
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        campaign_id, (member,) = _members(session, 1)
        mail = instrument("<p>纯文本通知</p>", campaign_id=campaign_id, member_id=member,
                          session=session)
        assert mail.startswith("<p>纯文本通知</p><img src=\"/m/o/")
        session.rollback()
        session.close()
