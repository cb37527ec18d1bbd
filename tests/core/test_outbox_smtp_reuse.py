"""The outbox's SMTP connection: one drain hands all its mail over one connection (not one
per mail), closes it at the end, and the next drain dials again; outside a drain each mail
has its own connection."""

from __future__ import annotations

import smtplib

import pytest
from outbox_smtp import SmtpServer

from crm_core.db import get_session
from crm_core.outbox.delivery import drain
from crm_core.toolkit import send_mail


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_a_drain_sends_its_mail_over_one_connection(crm_make_app, smtp_server, monkeypatch):
    app = crm_make_app(plugins=[], CRM_SMTP_URL=smtp_server.url,
                       CRM_MAIL_FROM="CRM <crm@example.com>")
    dials: list[str] = []
    real_connect = smtplib.SMTP.connect

    def counted(self, *args, **kwargs):
        dials.append("dial")
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counted)
    with app.app_context():
        for number in range(6):
            send_mail(f"user{number}@example.com", f"Hello {number}", "Text",
                      idempotency_key=f"reuse:{number}")
        get_session().commit()
        assert drain().delivered == 6
    assert len(smtp_server.wait_for(6, timeout=10)) == 6 and len(dials) == 1
    smtp_server.stop()
    smtp_server.start()  # a restarted server: the next drain dials again
    with app.app_context():
        send_mail("late@example.com", "Late", "Text", idempotency_key="reuse:late")
        get_session().commit()
        assert drain().delivered == 1
    assert len(dials) == 2 and str(smtp_server.wait_for(1)[-1]["To"]) == "late@example.com"
