"""Unsubscribing from a campaign mail: the page in Chinese and English with its confirm
button, the RFC 8058 one-click POST of a mail provider (no session, no CSRF token), both
writing a withdrawal to the consent ledger and marking the recipient; a tampered link
answers 404 and changes nothing."""

from __future__ import annotations

from mail_testing import approved_campaign, drain, people, smtp_sink, to
from marketing_testing import client_as
from sqlalchemy import select

from plugins.marketing.models import CampaignMember, Consent, ConsentState


def _sent_links(app, count=2):
    made = approved_campaign(app, people(count))
    with smtp_sink(app) as server:
        assert made["api"].post(f"/api/v1/marketing/campaigns/{made['campaign_id']}/send",
                                json={}).status_code == 202
        drain(app)
        mails = to(server, made["emails"])
    links = {str(m["To"]): str(m["List-Unsubscribe"]).strip()[1:-1] for m in mails}
    paths = {email: url.replace("https://crm.example.com", "") for email, url in links.items()}
    return made, paths


def _state(app, email):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        state = session.get(ConsentState, (email, "marketing_email"))
        member = session.scalars(select(CampaignMember).where(
            CampaignMember.email == email)).one()
        events = list(session.scalars(select(Consent.source).where(Consent.email == email)
                                      .order_by(Consent.id)))
        session.close()
    return state.granted, member.status, member.unsubscribed_at is not None, events


def test_the_unsubscribe_page_confirms_and_withdraws_consent(marketing_app):
    made, paths = _sent_links(marketing_app)
    email, path = sorted(paths.items())[0]
    visitor = marketing_app.test_client()
    page = visitor.get(path, query_string={"lang": "zh-CN"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="viewport"' in text and 'lang="zh-CN"' in text
    assert 'id="unsubscribe-confirm"' in text and email not in text  # the address is masked
    english = visitor.get(path, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Unsubscribe" in english
    assert _state(marketing_app, email)[0] is True  # a GET (a link scanner) changes nothing
    done = visitor.post(path)
    assert done.status_code == 200
    assert _state(marketing_app, email) == (False, "unsubscribed", True, ["import", "unsubscribe"])
    assert visitor.post(path).status_code == 200  # again: nothing more is written
    assert _state(marketing_app, email)[3] == ["import", "unsubscribe"]
    preview = made["api"].get(f"/api/v1/marketing/campaigns/{made['campaign_id']}/send")
    assert preview.get_json()["unsubscribed"] == 1


def test_one_click_post_of_a_mail_provider_unsubscribes_without_a_session(marketing_app):
    _made, paths = _sent_links(marketing_app)
    email, path = sorted(paths.items())[1]
    machine = marketing_app.test_client()
    answer = machine.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    granted, status, stamped, events = _state(marketing_app, email)
    assert (granted, status, stamped, events[-1]) == (False, "unsubscribed", True, "one-click")


def test_a_tampered_or_forged_link_answers_404_and_counts_nothing(marketing_app):
    _made, paths = _sent_links(marketing_app)
    email, path = sorted(paths.items())[0]
    token = path.rsplit("/", 1)[1]
    tampered = path[:-len(token)] + token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client = marketing_app.test_client()
    assert client.get(tampered).status_code == 404
    assert client.post(tampered, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.post("/m/u/" + "x" * 5000).status_code == 404
    assert client.get("/m/u/%00").status_code in (400, 404)
    assert _state(marketing_app, email)[:3] == (True, "sent", False)
    signed_in = client_as(marketing_app, "viewer")
    assert signed_in.get(tampered).status_code == 404
