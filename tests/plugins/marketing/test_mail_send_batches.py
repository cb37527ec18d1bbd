"""Campaign mail is stamped "sent" once per batch of a drain, in the outbox's own
transaction, and a worker that dies in the middle of a batch sends nobody twice."""

from __future__ import annotations

import datetime as dt

import pytest
from mail_testing import approved_campaign, drain, people, smtp_sink, to
from sqlalchemy import event, select

from plugins.marketing.models import CampaignMember


class _Crash(BaseException):
    """The worker process dies (not an error the outbox catches)."""


def _send(app, made):
    sent = made["api"].post(f"/api/v1/marketing/campaigns/{made['campaign_id']}/send", json={})
    assert sent.status_code == 202, sent.get_json()


def _statuses(app, campaign_id):
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        rows = dict(session.execute(select(CampaignMember.email, CampaignMember.status)
                                    .where(CampaignMember.campaign_id == campaign_id)).all())
        session.close()
    return rows


def _drain_after_the_lease(app):
    from crm_core.outbox.delivery import drain as run
    from crm_core.outbox.settings import outbox_settings

    with app.app_context():
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=outbox_settings().lease + 5)
        return run(now=later).as_dict()


@pytest.mark.parametrize("dies_after", [3, 6])
def test_a_worker_dying_mid_batch_sends_nobody_twice(marketing_app, monkeypatch, dies_after):
    _dies_mid_batch(marketing_app, monkeypatch, dies_after)


@pytest.mark.postgres
def test_a_worker_dying_mid_batch_sends_nobody_twice_on_postgresql(crm_make_app, monkeypatch):
    # the note of each mail commits without waiting for the disk there
    app = crm_make_app(plugins=["customers", "marketing"], database="postgresql")
    _dies_mid_batch(app, monkeypatch, 3)


def _dies_mid_batch(marketing_app, monkeypatch, dies_after):
    import crm_core.outbox as outbox_package

    made = approved_campaign(marketing_app, people(6))
    real = outbox_package.deliver_mail
    calls = []

    def dying(payload, message):
        if len(calls) == dies_after:
            raise _Crash  # after `dies_after` mails left (6: all left, none booked)
        calls.append(message.id)
        return real(payload, message)

    with smtp_sink(marketing_app) as server:
        with marketing_app.test_request_context():
            _send(marketing_app, made)
        monkeypatch.setattr(outbox_package, "deliver_mail", dying)
        if dies_after == 6:  # every mail left; the worker dies before booking the batch
            from crm_core.outbox import delivery
            monkeypatch.setattr(delivery, "_book_sent", lambda *a: (_ for _ in ()).throw(_Crash))
        with pytest.raises(_Crash):
            drain(marketing_app)
        assert len(to(server, made["emails"])) == dies_after
        monkeypatch.undo()
        report = _drain_after_the_lease(marketing_app)  # another worker, once the lease ended
        got = to(server, made["emails"])
    assert sorted(str(m["To"]) for m in got) == sorted(made["emails"])  # each exactly once
    assert report["delivered"] >= 6  # (and whatever else of the shared app was due)
    assert set(_statuses(marketing_app, made["campaign_id"]).values()) == {"sent"}


def test_a_drain_commits_once_per_batch_not_once_per_mail(marketing_app):
    made = approved_campaign(marketing_app, people(12))
    commits = []

    def count(connection):
        commits.append(1)

    with smtp_sink(marketing_app) as server:
        with marketing_app.test_request_context():
            _send(marketing_app, made)
        engine = marketing_app.extensions["crm_db"].engine
        event.listen(engine, "commit", count)
        try:
            drain(marketing_app)
        finally:
            event.remove(engine, "commit", count)
        assert len(to(server, made["emails"])) == 12
    # the claim, a one-row note per mail, and ONE booking with the stamps: 1 + 12 + 1
    # (two stamps and a status update per mail before: 3 per mail)
    assert len(commits) <= 12 + 3
    assert set(_statuses(marketing_app, made["campaign_id"]).values()) == {"sent"}
