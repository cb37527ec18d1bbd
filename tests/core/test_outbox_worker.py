"""A real Celery worker delivers a committed mail right after the commit, and never the mail
of a transaction that rolled back."""

from __future__ import annotations

import time

import pytest
from outbox_smtp import SmtpServer
from sqlalchemy import select

from crm_core.db import get_session
from crm_core.outbox.models import OutboxMessage
from crm_core.toolkit import send_mail


@pytest.mark.worker
@pytest.mark.parametrize("broker", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_worker_delivers_after_commit_and_sends_nothing_for_a_rollback(
        crm_make_app, crm_start_worker, monkeypatch, request, broker):
    server = SmtpServer().start()
    try:
        # the worker process rebuilds the app from CRM_* variables
        monkeypatch.setenv("CRM_SMTP_URL", server.url)
        monkeypatch.setenv("CRM_MAIL_FROM", "crm@example.com")
        extra = {"CRM_BROKER_URL": request.getfixturevalue("redis_url")} \
            if broker == "redis" else {}
        app = crm_make_app(plugins=[], **extra)
        crm_start_worker(app)
        with app.app_context():
            session = get_session()
            send_mail("a@example.com", "Rolled back", "Never.", idempotency_key="never")
            session.rollback()
            send_mail("a@example.com", "Committed", "After commit.", idempotency_key="commit")
            session.commit()
        received = server.wait_for(1, timeout=60)
        time.sleep(2)  # anything else would have arrived by now
        assert [message["Subject"] for message in server.messages] == ["Committed"]
        assert received[0]["Message-ID"].startswith("<commit@")
        with app.app_context():
            rows = get_session().execute(select(OutboxMessage.idempotency_key,
                                                OutboxMessage.status)).all()
        assert rows == [("commit", "sent")]
    finally:
        server.stop()
