"""The tracking endpoints as a recipient's mail client calls them: the pixel counts an open
(and the delivery it implies), a click counts and goes to the link the mail contained, and a
forged or tampered token answers 404 and counts nothing."""

from __future__ import annotations

import re

from marketing_testing import read, unique
from sqlalchemy import select

from crm_core.toolkit import sign_link
from plugins.marketing.models import Campaign, CampaignMember
from plugins.marketing.tracking.instrument import CLICK_PURPOSE, OPEN_PURPOSE, instrument
from plugins.marketing.tracking.models import LinkClick

MAIL = ('<html><body><p><a href="https://example.com/offer?a=1&amp;b=2">看看</a> '
        '<a href="https://example.com/join" data-cta>报名</a></p></body></html>')


def _mailed(app, count: int = 2) -> tuple[int, list[int], list[dict[str, list[str]]]]:
    """A campaign with ``count`` recipients and each one's tracked paths."""
    with app.test_request_context():
        session = app.extensions["crm_db"].new_session()
        campaign = Campaign(name=f"新品邮件 {unique()}")
        session.add(campaign)
        session.flush()
        members = [CampaignMember(campaign_id=campaign.id, email=f"{unique()}@example.com")
                   for _ in range(count)]
        session.add_all(members)
        session.flush()
        mails = [instrument(MAIL, campaign_id=campaign.id, member_id=member.id,
                            session=session) for member in members]
        session.commit()
        ids = campaign.id, [member.id for member in members]
        session.close()
    paths = [{"clicks": [href.split("localhost", 1)[1]
                         for href in re.findall(r'href="([^"]+)"', mail)],
              "pixel": [re.search(r'<img src="http://localhost([^"]+)"', mail).group(1)]}
             for mail in mails]
    return ids[0], ids[1], paths


def _clicks(app, member_id: int) -> list[int]:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = list(session.scalars(select(LinkClick.clicks).where(
            LinkClick.member_id == member_id).order_by(LinkClick.link_id)))
        session.close()
    return found


def _tamper(path: str) -> str:
    head, token = path.rsplit("/", 1)
    middle = len(token) // 3
    changed = "A" if token[middle] != "A" else "B"
    return f"{head}/{token[:middle]}{changed}{token[middle + 1:]}"


def test_the_pixel_counts_an_open_once_and_is_never_cached(marketing_app):
    _campaign_id, (first, _second), paths = _mailed(marketing_app)
    visitor = marketing_app.test_client()
    answer = visitor.get(paths[0]["pixel"][0])
    assert answer.status_code == 200 and answer.mimetype == "image/gif"
    assert answer.data.startswith(b"GIF89a") and "no-store" in answer.headers["Cache-Control"]
    member = read(marketing_app, CampaignMember, first)
    assert member.status == "opened" and member.delivered_at and member.opened_at
    visitor.get(paths[0]["pixel"][0])
    assert read(marketing_app, CampaignMember, first).opened_at == member.opened_at


def test_a_click_goes_to_the_recorded_link_and_counts(marketing_app):
    _campaign_id, (first, _second), paths = _mailed(marketing_app)
    visitor = marketing_app.test_client()
    answer = visitor.get(paths[0]["clicks"][0])
    assert answer.status_code == 302
    assert answer.headers["Location"] == "https://example.com/offer?a=1&b=2"
    member = read(marketing_app, CampaignMember, first)
    assert member.status == "clicked"
    assert member.delivered_at and member.opened_at and member.clicked_at
    visitor.get(paths[0]["clicks"][0])
    assert read(marketing_app, CampaignMember, first).clicked_at == member.clicked_at
    assert _clicks(marketing_app, first) == [2]
    # a link checker's HEAD goes through but counts nothing
    assert visitor.head(paths[0]["clicks"][0]).status_code == 302
    assert _clicks(marketing_app, first) == [2]


def test_forged_and_tampered_tokens_answer_404_and_count_nothing(marketing_app):
    campaign_id, (_first, second), paths = _mailed(marketing_app)
    visitor = marketing_app.test_client()
    with marketing_app.test_request_context():
        other_purpose = sign_link(OPEN_PURPOSE, [campaign_id, second, 1])
        no_such_link = sign_link(CLICK_PURPOSE, [campaign_id, second, 99])
        other_campaign = sign_link(CLICK_PURPOSE, [campaign_id + 1000, second, 1])
        odd_payload = sign_link(CLICK_PURPOSE, {"url": "https://evil.example.com"})
        huge = sign_link(CLICK_PURPOSE, [campaign_id, 2**70, 1])
    secret = marketing_app.config["SECRET_KEY"]
    marketing_app.config["SECRET_KEY"] = "another app's secret"
    with marketing_app.test_request_context():
        foreign = sign_link(CLICK_PURPOSE, [campaign_id, second, 1])
    marketing_app.config["SECRET_KEY"] = secret
    for path in [_tamper(paths[1]["clicks"][0]), _tamper(paths[1]["clicks"][1]),
                 f"/m/c/{other_purpose}", f"/m/c/{no_such_link}", f"/m/c/{other_campaign}",
                 f"/m/c/{odd_payload}", f"/m/c/{huge}", f"/m/c/{foreign}", "/m/c/" + "x" * 3000,
                 "/m/c/https%3A%2F%2Fevil.example.com"]:
        answer = visitor.get(path)
        assert answer.status_code == 404, path
        assert "evil" not in answer.headers.get("Location", "")
    # a NUL byte is refused before any token is read
    assert visitor.get("/m/c/%00").status_code == 400
    tampered_pixel = _tamper(paths[1]["pixel"][0].removesuffix(".gif")) + ".gif"
    answer = visitor.get(tampered_pixel)
    assert answer.status_code == 404 and b"GIF" not in answer.data
    member = read(marketing_app, CampaignMember, second)
    assert member.status == "planned" and member.opened_at is None and member.clicked_at is None
    assert _clicks(marketing_app, second) == []


def test_a_spent_budget_still_answers_but_counts_nothing(marketing_app):
    _campaign_id, (first, _second), paths = _mailed(marketing_app)
    marketing_app.config["CRM_MARKETING_TRACKING_RATE_LIMIT"] = "1 per minute"
    try:
        visitor = marketing_app.test_client()
        visitor.environ_base["REMOTE_ADDR"] = f"10.{len(unique())}.7.{first % 250}"
        assert visitor.get(paths[0]["pixel"][0]).status_code == 200
        answer = visitor.get(paths[0]["clicks"][0])
        assert answer.status_code == 302 and answer.headers["Location"].startswith(
            "https://example.com/offer")
    finally:
        marketing_app.config.pop("CRM_MARKETING_TRACKING_RATE_LIMIT")
    member = read(marketing_app, CampaignMember, first)
    assert member.opened_at is not None and member.clicked_at is None


def test_a_call_to_action_click_records_one_response(marketing_app):
    from plugins.marketing.responses.models import Response

    campaign_id, (first, _second), paths = _mailed(marketing_app)
    visitor = marketing_app.test_client()
    assert visitor.get(paths[0]["clicks"][0]).status_code == 302  # not a call to action
    for _ in range(2):
        assert visitor.get(paths[0]["clicks"][1]).headers["Location"] == \
            "https://example.com/join"
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        responses = session.execute(select(Response.kind, Response.member_id).where(
            Response.campaign_id == campaign_id)).all()
        session.close()
    assert [tuple(row) for row in responses] == [("click", first)]
    member = read(marketing_app, CampaignMember, first)
    assert member.status == "responded" and member.responded_at is not None


def test_batched_counting_writes_the_same_counts_at_the_interval(marketing_app):
    from plugins.marketing.responses.models import Response
    from plugins.marketing.tracking.batching import flush_now

    campaign_id, (first, second), paths = _mailed(marketing_app)
    marketing_app.config["CRM_MARKETING_TRACKING_BATCH_SECONDS"] = 60
    try:
        visitor = marketing_app.test_client()
        assert visitor.get(paths[0]["pixel"][0]).status_code == 200
        for _ in range(2):
            answer = visitor.get(paths[1]["clicks"][1])
            assert answer.headers["Location"] == "https://example.com/join"
        assert visitor.get(_tamper(paths[1]["clicks"][0])).status_code == 404
        # nothing is written before the interval ends
        assert read(marketing_app, CampaignMember, first).opened_at is None
        flush_now(marketing_app)
    finally:
        marketing_app.config["CRM_MARKETING_TRACKING_BATCH_SECONDS"] = 0
    assert read(marketing_app, CampaignMember, first).status == "opened"
    clicker = read(marketing_app, CampaignMember, second)
    assert clicker.status == "responded" and clicker.clicked_at and clicker.delivered_at
    assert _clicks(marketing_app, second) == [2]
    with marketing_app.app_context():
        session = marketing_app.extensions["crm_db"].new_session()
        kinds = session.scalars(select(Response.kind).where(
            Response.campaign_id == campaign_id)).all()
        session.close()
    assert kinds == ["click"]
