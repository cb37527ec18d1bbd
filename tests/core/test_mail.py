"""E-mail through the outbox, against a real SMTP server (aiosmtpd) that the tests start,
stop and start again: nothing is lost while it is down, nothing is sent twice after."""

from __future__ import annotations

import datetime as dt

import pytest
from outbox_smtp import SmtpServer, free_port
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.db import get_session, utcnow
from crm_core.outbox.delivery import drain
from crm_core.outbox.models import OutboxMessage
from crm_core.outbox.smtp import message_id
from crm_core.testing import invoke_cli
from crm_core.toolkit import send_mail

SENDER = "CRM <crm@example.com>"


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def mail_app(crm_make_app, smtp_server):
    return crm_make_app(plugins=[], CRM_SMTP_URL=smtp_server.url, CRM_MAIL_FROM=SENDER)


def queue(app, count: int, prefix: str = "welcome") -> list[int]:
    with app.app_context():
        ids = [send_mail(f"user{n}@example.com", f"Hello {n}", f"Text {n}",
                         f"<p>HTML {n}</p>", idempotency_key=f"{prefix}:{n}").id
               for n in range(count)]
        get_session().commit()
    return ids


def run_drain(app, now: dt.datetime | None = None) -> dict[str, int]:
    with app.app_context():
        return drain(now=now).as_dict()


def rows(app) -> list[OutboxMessage]:
    with app.app_context():
        session = app.extensions["crm_db"].new_session()
        found = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.close()
    return found


def test_a_server_down_for_a_while_gets_every_message_exactly_once_afterwards(mail_app,
                                                                               smtp_server):
    queue(mail_app, 5)
    start = utcnow()

    assert run_drain(mail_app) == {"delivered": 0, "failed": 5, "dead": 0}
    failed = rows(mail_app)
    assert {row.status for row in failed} == {"failed"}
    assert all(row.attempts == 1 and "refused" in (row.last_error or "").lower()
               for row in failed)
    # backoff: the next try is booked later (30 s doubling, with jitter), not right away
    assert all(row.next_attempt_at.replace(tzinfo=dt.UTC) > start + dt.timedelta(seconds=10)
               for row in failed)
    assert run_drain(mail_app) == {"delivered": 0, "failed": 0, "dead": 0}

    later = start + dt.timedelta(hours=1)
    assert run_drain(mail_app, later) == {"delivered": 0, "failed": 5, "dead": 0}
    assert {row.attempts for row in rows(mail_app)} == {2}

    smtp_server.start()
    assert run_drain(mail_app, later) == {"delivered": 0, "failed": 0, "dead": 0}  # not due
    much_later = start + dt.timedelta(hours=3)
    assert run_drain(mail_app, much_later) == {"delivered": 5, "failed": 0, "dead": 0}

    received = smtp_server.messages
    assert sorted(message["Subject"] for message in received) == [f"Hello {n}"
                                                                  for n in range(5)]
    assert len({message["Message-ID"] for message in received}) == 5
    assert {row.status for row in rows(mail_app)} == {"sent"}
    assert run_drain(mail_app, start + dt.timedelta(days=2)) == {
        "delivered": 0, "failed": 0, "dead": 0}
    assert len(smtp_server.messages) == 5


def test_a_mail_has_a_text_and_an_html_part_and_its_key_as_message_id(mail_app, smtp_server):
    smtp_server.start()
    with mail_app.app_context():
        send_mail(["张三 <zhang@example.com>", "li@example.com"], "报价单 Q-7",
                  "Your quote is attached.", "<p>Your <b>quote</b></p>",
                  idempotency_key="sales.quote:7")
        get_session().commit()
    assert run_drain(mail_app)["delivered"] == 1
    (message,) = smtp_server.messages
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content().strip() == "Your quote is attached."
    assert "<b>quote</b>" in message.get_body(("html",)).get_content()
    assert message["Subject"] == "报价单 Q-7"
    assert message["From"] == SENDER
    assert "zhang@example.com" in message["To"] and "li@example.com" in message["To"]
    assert message["Message-ID"] == message_id("sales.quote:7", SENDER)
    assert message["Message-ID"] == "<sales=2Equote=3A7@example.com>"
    assert message["X-CRM-Idempotency-Key"] == "sales.quote:7"
    envelope_from, recipients = smtp_server.recorder.envelopes[0]
    assert envelope_from == "crm@example.com"
    assert recipients == ["zhang@example.com", "li@example.com"]


def test_a_mailing_carries_its_list_headers_and_a_report_its_attachment(mail_app, smtp_server):
    smtp_server.start()
    sheet = b"PK\x03\x04 not really a workbook \x00\xff"
    with mail_app.app_context():
        send_mail("a@example.com", "周报 Weekly", "See the attachment.", "<p>See it</p>",
                  headers={"List-Unsubscribe": "<https://crm.example.com/m/u/abc>",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                  attachments=[("销售周报.xlsx", "application/vnd.openxmlformats-officedocument"
                                ".spreadsheetml.sheet", sheet)])
        get_session().commit()
    assert run_drain(mail_app)["delivered"] == 1
    (message,) = smtp_server.messages
    assert message["List-Unsubscribe"] == "<https://crm.example.com/m/u/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_body(("plain",)).get_content().strip() == "See the attachment."
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "销售周报.xlsx"
    assert attachment.get_content() == sheet


@pytest.mark.parametrize(("extra", "says"), [
    ({"headers": {"From": "boss@example.com"}}, "header 'From' may not be set"),
    ({"headers": {"X-Campaign": "1\r\nBcc: all@example.com"}}, "one line"),
    ({"attachments": [{"filename": "../a.txt", "content_type": "text/plain", "data": ""}]},
     "plain file name"),
    ({"attachments": [{"filename": "a.txt", "content_type": "text/plain", "data": "%%"}]},
     "base64"),
])
def test_a_forged_header_or_a_bad_attachment_is_refused_when_queued(mail_app, extra, says):
    from crm_core.outbox.channels import OutboxError
    from crm_core.outbox.service import enqueue
    with mail_app.app_context(), pytest.raises(OutboxError, match=says):
        enqueue("mail", {"to": ["a@example.com"], "subject": "S", "text": "T", **extra})


def test_a_mail_without_html_is_plain_text(mail_app, smtp_server):
    smtp_server.start()
    with mail_app.app_context():
        send_mail("a@example.com", "Plain", "Just text.")
        get_session().commit()
    run_drain(mail_app)
    (message,) = smtp_server.messages
    assert message.get_content_type() == "text/plain"


def test_the_same_idempotency_key_twice_keeps_one_row_and_sends_one_mail(mail_app,
                                                                         smtp_server):
    with mail_app.app_context():
        first = send_mail("a@example.com", "Once", "Once.", idempotency_key="once")
        second = send_mail("a@example.com", "Twice?", "Twice?", idempotency_key="once")
        assert first.id == second.id
        get_session().commit()
    with mail_app.app_context():  # a later transaction, too
        assert send_mail("a@example.com", "Again?", "Again?", idempotency_key="once").id == \
            first.id
        get_session().commit()
    smtp_server.start()
    assert run_drain(mail_app)["delivered"] == 1
    assert [message["Subject"] for message in smtp_server.messages] == ["Once"]
    assert len(rows(mail_app)) == 1


def test_a_rolled_back_transaction_leaves_nothing_to_send(mail_app, smtp_server):
    smtp_server.start()
    with mail_app.app_context():
        session = get_session()
        send_mail("a@example.com", "Rolled back", "No.", idempotency_key="no")
        session.rollback()
        send_mail("a@example.com", "Committed", "Yes.", idempotency_key="yes")
        session.commit()
    assert run_drain(mail_app)["delivered"] == 1
    assert [message["Subject"] for message in smtp_server.messages] == ["Committed"]
    assert [row.idempotency_key for row in rows(mail_app)] == ["yes"]


def test_a_message_is_dead_after_its_last_try_and_a_replay_sends_it(crm_make_app,
                                                                     smtp_server):
    app = crm_make_app(plugins=[], CRM_SMTP_URL=smtp_server.url, CRM_MAIL_FROM=SENDER,
                       CRM_OUTBOX_MAX_ATTEMPTS=3)
    (message_id_,) = queue(app, 1)
    now = utcnow()
    outcomes = [run_drain(app, now + dt.timedelta(hours=hour)) for hour in range(4)]
    assert outcomes == [{"delivered": 0, "failed": 1, "dead": 0},
                        {"delivered": 0, "failed": 1, "dead": 0},
                        {"delivered": 0, "failed": 0, "dead": 1},
                        {"delivered": 0, "failed": 0, "dead": 0}]
    (row,) = rows(app)
    assert row.status == "dead" and row.attempts == 3 and row.last_error
    with app.app_context():
        entry = get_session().scalar(select(AuditEntry).where(
            AuditEntry.action == "outbox_dead"))
        assert entry is not None and entry.record_id == str(message_id_)

    smtp_server.start()
    replayed = invoke_cli(app, "outbox", "replay", str(message_id_))
    assert replayed.exit_code == 0, replayed.output
    assert run_drain(app)["delivered"] == 1
    assert len(smtp_server.messages) == 1
    again = invoke_cli(app, "outbox", "replay", str(message_id_))
    assert again.exit_code == 2 and "only pending, failed or dead" in again.output


def test_without_smtp_settings_mail_waits_without_spending_tries(crm_make_app, smtp_server):
    app = crm_make_app(plugins=[])
    queue(app, 2)
    assert run_drain(app) == {"delivered": 0, "failed": 0, "dead": 0}
    assert [(row.status, row.attempts) for row in rows(app)] == [("pending", 0)] * 2
    drained = invoke_cli(app, "outbox", "drain")
    assert drained.exit_code == 0
    assert "Delivered 0, failed 0, dead 0." in drained.output
    assert "CRM_SMTP_URL is not set" in drained.output and "2 message(s) stay queued" in \
        drained.output

    smtp_server.start()
    app.config.update(CRM_SMTP_URL=smtp_server.url)
    assert run_drain(app)["delivered"] == 0  # still no sender: waits, not lost
    app.config.update(CRM_MAIL_FROM=SENDER)
    assert run_drain(app)["delivered"] == 2
    assert len(smtp_server.messages) == 2


def test_a_malformed_smtp_url_keeps_mail_queued_and_says_why(crm_make_app):
    app = crm_make_app(plugins=[], CRM_SMTP_URL="http://mail.example.com",
                       CRM_MAIL_FROM=SENDER)
    queue(app, 1)
    result = invoke_cli(app, "outbox", "drain")
    assert "CRM_SMTP_URL must look like smtp://" in result.output
    assert [row.status for row in rows(app)] == ["pending"]


def test_cli_mail_test_queues_then_drain_delivers_and_list_shows_it(mail_app, smtp_server):
    queued = invoke_cli(mail_app, "mail", "test", "ops@example.com")
    assert queued.exit_code == 0, queued.output
    assert "Queued test mail" in queued.output and "ops@example.com" in queued.output

    import json
    listed = invoke_cli(mail_app, "outbox", "list", "--json")
    (row,) = json.loads(listed.output)
    assert (row["channel"], row["status"], row["attempts"]) == ("mail", "pending", 0)
    assert "payload" not in row
    pending_text = invoke_cli(mail_app, "outbox", "list", "--status", "pending")
    assert f"{row['id']:>6}  pending" in pending_text.output

    smtp_server.start()
    drained = invoke_cli(mail_app, "outbox", "drain")
    assert drained.exit_code == 0
    assert drained.output.strip() == "Delivered 1, failed 0, dead 0."
    (message,) = smtp_server.messages
    assert message["To"] == "ops@example.com" and message["Subject"] == "CRM test mail"
    assert json.loads(invoke_cli(mail_app, "outbox", "list", "--json").output) == []
    sent = json.loads(invoke_cli(mail_app, "outbox", "list", "--status", "sent",
                                 "--json").output)
    assert [item["id"] for item in sent] == [row["id"]]
    assert invoke_cli(mail_app, "outbox", "list").output.strip() == "No messages."


def test_cli_refuses_a_bad_address_and_an_unknown_status(mail_app):
    bad = invoke_cli(mail_app, "mail", "test", "not an address")
    assert bad.exit_code == 2 and "not an e-mail address" in bad.output
    header = invoke_cli(mail_app, "mail", "test", "a@example.com\r\nBcc: x@example.com")
    assert header.exit_code == 2
    status = invoke_cli(mail_app, "outbox", "list", "--status", "lost")
    assert status.exit_code == 2 and "lost" in status.output
    assert rows(mail_app) == []


def test_cli_mail_test_warns_when_smtp_is_not_configured(crm_make_app):
    app = crm_make_app(plugins=[])
    result = invoke_cli(app, "mail", "test", "ops@example.com")
    assert result.exit_code == 0
    assert "e-mail is not configured (CRM_SMTP_URL is not set)" in result.output


def test_smtp_url_forms_and_a_password_never_shows():
    from crm_core.outbox.smtp import SmtpConfigError, parse_smtp_url, smtp_settings

    assert parse_smtp_url("smtp://u%40x:p%2Fw@mail.example.com:587?starttls=1") == (
        "mail.example.com", 587, "starttls", "u@x", "p/w", 30.0)
    assert parse_smtp_url("smtps://mail.example.com") == (
        "mail.example.com", 465, "ssl", None, None, 30.0)
    assert parse_smtp_url("smtp://relay?timeout=5")[1:3] == (25, "plain")
    for bad in ("smtp://relay?starttls=maybe", "smtp://relay?tls=1", "smtp://relay:99999",
                "smtp://relay?timeout=0", "mailto:a@b.c"):
        with pytest.raises(SmtpConfigError):
            parse_smtp_url(bad)
    settings = smtp_settings({"CRM_SMTP_URL": "smtp://u:hunter2@h", "CRM_MAIL_FROM": SENDER})
    assert "hunter2" not in repr(settings)


def test_a_refused_connection_is_the_last_error_not_a_crash(crm_make_app):
    app = crm_make_app(plugins=[], CRM_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
                       CRM_MAIL_FROM=SENDER)
    queue(app, 1)
    assert run_drain(app)["failed"] == 1
    assert "ConnectionRefusedError" in rows(app)[0].last_error


def test_starttls_asked_of_a_server_without_it_fails_the_try_and_keeps_the_mail(
        crm_make_app, smtp_server):
    smtp_server.start()
    app = crm_make_app(plugins=[], CRM_SMTP_URL=f"{smtp_server.url}?starttls=1",
                       CRM_MAIL_FROM=SENDER)
    queue(app, 1)
    assert run_drain(app)["failed"] == 1
    assert "STARTTLS" in rows(app)[0].last_error
    assert smtp_server.messages == []
