"""Sending a campaign: one mail per consenting member through the outbox to a real SMTP
server, with merge fields, a text part and the List-Unsubscribe headers; the unsubscribed
are never sent (also when they unsubscribe while the send is under way); a send interrupted
by a crashed worker resumes without sending anyone twice; the per-domain rate holds mails
back; the campaign runs."""

from __future__ import annotations

import datetime as dt

from mail_testing import approved_campaign, drain, people, smtp_sink, to
from marketing_testing import unique
from sqlalchemy import select

from plugins.marketing.models import Campaign, CampaignMember


def _members(app, campaign_id):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = {m.email: m for m in session.scalars(
            select(CampaignMember).where(CampaignMember.campaign_id == campaign_id))}
        session.close()
    return rows


def test_a_send_mails_each_consenting_member_once_with_unsubscribe_headers(marketing_app):
    tag = unique()
    crowd = [{"email": f"Wang-{tag}@Example.com", "consent": True},
             {"email": f"li-{tag}@example.org", "consent": True},
             {"email": f"gone-{tag}@example.com", "consent": False},
             {"email": f"never-{tag}@example.com"}]
    made = approved_campaign(marketing_app, crowd)
    api, campaign_id = made["api"], made["campaign_id"]
    with smtp_sink(marketing_app) as server:
        sent = api.post(f"/api/v1/marketing/campaigns/{campaign_id}/send", json={})
        assert sent.status_code == 202, sent.get_json()
        assert sent.get_json()["queued"] == 2 and sent.get_json()["state"] == "done"
        drain(marketing_app)
        got = to(server, made["emails"] | {f"gone-{tag}@example.com",
                                           f"never-{tag}@example.com"})
    assert sorted(str(m["To"]) for m in got) == sorted(made["emails"])
    mail = next(m for m in got if str(m["To"]).startswith("wang"))
    assert str(mail["Subject"]) == "王经理，会员日特惠"
    unsubscribe = str(mail["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://crm.example.com/m/u/") and unsubscribe.endswith(">")
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "尊敬的 王经理（华东制造" in html and 'style="color: #333' in html
    assert unsubscribe[1:-1] in html and "尊敬的 王经理" in text and "退订" in text
    members = _members(marketing_app, campaign_id)
    assert {m.status for m in members.values()} == {"sent"}
    assert all(m.sent_at is not None for m in members.values())
    assert api.get(f"/api/v1/marketing/campaigns/{campaign_id}").get_json()["state"] \
        == "running"
    again = api.post(f"/api/v1/marketing/campaigns/{campaign_id}/send", json={})
    assert again.status_code == 409
    status = api.get(f"/api/v1/marketing/campaigns/{campaign_id}/send").get_json()
    assert (status["members"], status["sent"], status["failed"]) == (2, 2, 0)


def test_an_unsubscribe_during_the_send_is_honoured(marketing_app):
    made = approved_campaign(marketing_app, people(3))
    api, campaign_id = made["api"], made["campaign_id"]
    with smtp_sink(marketing_app, CRM_SMTP_URL="") as server:  # queued, not delivered yet
        assert api.post(f"/api/v1/marketing/campaigns/{campaign_id}/send",
                        json={}).status_code == 202
        leaving = sorted(made["emails"])[0]
        withdrawn = api.post("/api/v1/marketing/consents", json={
            "email": leaving, "purpose": "marketing_email", "granted": False,
            "source": "电话"})
        assert withdrawn.status_code == 201
        marketing_app.config["CRM_SMTP_URL"] = server.url
        drain(marketing_app)
        got = to(server, made["emails"])
    assert sorted(str(m["To"]) for m in got) == sorted(made["emails"] - {leaving})
    assert _members(marketing_app, campaign_id)[leaving].sent_at is None


def test_a_send_interrupted_by_a_crash_resumes_without_sending_anyone_twice(
        marketing_app, monkeypatch):
    from plugins.marketing.mail import sending
    from plugins.marketing.mail.models import MailSend

    made = approved_campaign(marketing_app, people(7))
    campaign_id = made["campaign_id"]
    monkeypatch.setattr(sending, "BATCH", 2)
    monkeypatch.setattr(sending, "inline_limit", lambda: 0)
    with smtp_sink(marketing_app) as server:
        with marketing_app.test_request_context():
            session = marketing_app.extensions["crm_db"].new_session()
            campaign = session.get(Campaign, campaign_id)
            sending.start_send(session, campaign, made["api"].user)
            session.commit()
            assert sending.queue_all(campaign_id, limit=2) == 4  # the worker dies here
        drain(marketing_app)
        assert len(to(server, made["emails"])) == 4
        with marketing_app.app_context():
            send = session.get(MailSend, campaign_id)
            send.last_member_id = 0  # worst case: its progress was lost too
            session.commit()
            assert sending.queue_all(campaign_id) == 7  # the restarted job goes again
        drain(marketing_app)
        got = to(server, made["emails"])
        session.close()
    assert sorted(str(m["To"]) for m in got) == sorted(made["emails"])


def test_the_rate_per_domain_holds_later_mails_back(marketing_app):
    from crm_core.outbox.models import OutboxMessage

    made = approved_campaign(marketing_app, people(5, domain="slow.example.net"))
    api, campaign_id = made["api"], made["campaign_id"]
    with smtp_sink(marketing_app, CRM_MARKETING_DOMAIN_RATE=2) as server:
        assert api.post(f"/api/v1/marketing/campaigns/{campaign_id}/send",
                        json={}).status_code == 202
        drain(marketing_app)
        assert len(to(server, made["emails"])) == 2
        with marketing_app.app_context():
            session = marketing_app.extensions["crm_db"].new_session()
            waits = sorted(row.next_attempt_at - row.created_at for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.idempotency_key.like(
                    f"marketing:{campaign_id}:%"))))
            session.close()
    minutes = [round(wait / dt.timedelta(minutes=1)) for wait in waits]
    assert minutes == [0, 0, 1, 1, 2]


def test_a_campaign_that_is_not_approved_or_has_no_mail_is_not_sent(marketing_app):
    made = approved_campaign(marketing_app, people(1))
    api = made["api"]
    planned = api.post("/api/v1/marketing/campaigns", json={
        "name": f"草稿 {unique()}", "type": "email", "budget": "0",
        "audience": {"tag_ids": [made["tag_id"]]}})
    refused = api.post(f"/api/v1/marketing/campaigns/{planned.get_json()['id']}/send",
                       json={})
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    viewer = client_viewer(marketing_app)
    assert viewer.post(f"/api/v1/marketing/campaigns/{made['campaign_id']}/send",
                       json={}).status_code == 403
    bad = api.post(f"/api/v1/marketing/campaigns/{made['campaign_id']}/send",
                   json={"ab": {"subject_b": "x", "sample_percent": 10**30}})
    assert bad.status_code == 422


def client_viewer(app):
    from marketing_testing import client_as

    return client_as(app, "viewer", api=True)


def test_a_big_audience_is_queued_by_a_job_with_its_progress(marketing_app):
    from crm_core.jobs.models import Job
    from crm_core.jobs.service import JobHandle
    from plugins.marketing.mail.sending import queue_job

    made = approved_campaign(marketing_app, people(3))
    api, campaign_id = made["api"], made["campaign_id"]
    with smtp_sink(marketing_app, CRM_MARKETING_SEND_INLINE=1) as server:
        started = api.post(f"/api/v1/marketing/campaigns/{campaign_id}/send", json={})
        assert started.status_code == 202
        body = started.get_json()
        assert body["job_id"] and (body["state"], body["queued"], body["total"]) == (
            "queuing", 0, 3)
        with marketing_app.app_context():  # what the worker runs
            queue_job(JobHandle(body["job_id"]), campaign_id=campaign_id)
            session = marketing_app.extensions["crm_db"].new_session()
            job = session.get(Job, body["job_id"])
            assert (job.state, job.progress) == ("done", 100)
            session.close()
        drain(marketing_app)
        assert len(to(server, made["emails"])) == 3
    status = api.get(f"/api/v1/marketing/campaigns/{campaign_id}/send").get_json()
    assert (status["state"], status["queued"], status["sent"]) == ("done", 3, 3)
