"""The A/B test of subject lines: a sample of the audience is split between two subjects;
the subject with more opens (or clicks) wins and is sent to the rest, by the button or by
itself once the wait is over; each member still gets one mail."""

from __future__ import annotations

import datetime as dt

from mail_testing import approved_campaign, drain, people, smtp_sink, to
from marketing_testing import client_as, csrf
from sqlalchemy import select, update

from plugins.marketing.members import advance
from plugins.marketing.models import CampaignMember


def _variants(app, campaign_id):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = dict(session.execute(select(CampaignMember.email, CampaignMember.variant)
                                    .where(CampaignMember.campaign_id == campaign_id)).all())
        session.close()
    return rows


def _open(app, emails):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        ids = list(session.scalars(select(CampaignMember.id).where(
            CampaignMember.email.in_(emails))))
        advance(session, ids, "sent")
        advance(session, ids, "opened")
        session.commit()
        session.close()


def test_the_subject_with_more_opens_is_sent_to_the_rest(marketing_app):
    made = approved_campaign(marketing_app, people(10), subject="主题A {{ contact_name }}")
    api, campaign_id = made["api"], made["campaign_id"]
    send = f"/api/v1/marketing/campaigns/{campaign_id}/send"
    with smtp_sink(marketing_app) as server:
        started = api.post(send, json={"ab": {"subject_b": "主题B", "sample_percent": 40,
                                              "metric": "opens"}})
        assert started.status_code == 202, started.get_json()
        body = started.get_json()
        assert (body["state"], body["phase"], body["queued"], body["total"]) == (
            "waiting", "sample", 4, 4)
        drain(marketing_app)
        sample = to(server, made["emails"])
        variants = _variants(marketing_app, campaign_id)
        assert sorted(variants.values()).count("A") == 2
        assert sorted(variants.values()).count("B") == 2
        by_subject = {str(m["To"]): str(m["Subject"]) for m in sample}
        assert all(by_subject[email].startswith("主题A" if variants[email] == "A" else "主题B")
                   for email in by_subject)
        _open(marketing_app, [email for email, letter in variants.items() if letter == "B"])
        counts = api.get(send).get_json()["variants"]
        assert counts["B"]["opened"] == 2 and counts["A"]["opened"] == 0
        manager = client_as(marketing_app, "manager", department=made["department"])
        detail = f"/marketing/campaigns/{campaign_id}"
        assert 'id="ab-winner"' in manager.get(detail).get_data(as_text=True)
        picked = manager.post(f"{detail}/send/winner", data={"csrf_token": csrf(manager,
                                                                                detail)})
        assert picked.status_code == 302
        assert api.post(f"{send}/winner").status_code == 409  # once
        drain(marketing_app)
        got = to(server, made["emails"])
    assert sorted(str(m["To"]) for m in got) == sorted(made["emails"])  # one each
    rest = [str(m["Subject"]) for m in got if variants[str(m["To"])] == ""]
    assert len(rest) == 6 and set(rest) == {"主题B"}
    status = api.get(send).get_json()
    assert (status["winner"], status["state"], status["queued"]) == ("B", "done", 10)


def test_the_winner_is_picked_by_itself_when_the_wait_is_over(marketing_app):
    from plugins.marketing.mail.ab import pick_due_winners
    from plugins.marketing.mail.models import MailSend

    made = approved_campaign(marketing_app, people(6))
    api, campaign_id = made["api"], made["campaign_id"]
    with smtp_sink(marketing_app) as server:
        assert api.post(f"/api/v1/marketing/campaigns/{campaign_id}/send", json={"ab": {
            "subject_b": "B", "sample_percent": 50, "metric": "clicks"}}).status_code == 202
        with marketing_app.app_context():
            assert pick_due_winners() == 0  # not yet
            session = marketing_app.extensions["crm_db"].new_session()
            session.execute(update(MailSend).where(MailSend.campaign_id == campaign_id)
                            .values(winner_at=dt.datetime.now(dt.UTC) - dt.timedelta(1)))
            session.commit()
            session.close()
            assert pick_due_winners() == 1
        drain(marketing_app)
        assert len(to(server, made["emails"])) == 6
    assert api.get(f"/api/v1/marketing/campaigns/{campaign_id}/send").get_json()["winner"] \
        == "A"  # no clicks either side: a tie keeps the campaign's subject


def test_bad_ab_settings_are_refused(marketing_app):
    made = approved_campaign(marketing_app, people(2))
    send = f"/api/v1/marketing/campaigns/{made['campaign_id']}/send"
    api = made["api"]
    for ab, field in (({"subject_b": "x", "sample_percent": 1}, "sample_percent"),
                      ({"subject_b": "x", "sample_percent": 20, "metric": "likes"}, "metric"),
                      ({"subject_b": "{{ nobody }}", "sample_percent": 20}, "subject_b")):
        refused = api.post(send, json={"ab": ab})
        assert refused.status_code == 422, (ab, refused.get_json())
        assert field in str(refused.get_json()["errors"])
