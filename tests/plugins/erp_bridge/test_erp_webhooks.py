"""Standard Webhooks: the published vectors byte for byte, and the inbound endpoint
/erp/webhooks/<connection> taking a signed message once and refusing a wrong signature, an
old timestamp and a replayed id, each refusal in the operation log."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from sqlalchemy import select

from plugins.erp_bridge.webhooks import signing

#: The Standard Webhooks reference libraries' published vector.
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID, SW_TIMESTAMP = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_vectors_pass_byte_for_byte() -> None:
    assert signing.signature(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY) == SW_SIGNATURE
    headers = {"Webhook-Id": SW_ID, "Webhook-Timestamp": str(SW_TIMESTAMP),
               "Webhook-Signature": f"v1,bm9wZQ== {SW_SIGNATURE}"}  # one of two matches
    assert signing.verify(SW_SECRET, headers, SW_BODY, now=SW_TIMESTAMP + 299) == \
        (SW_ID, SW_TIMESTAMP)
    # integrations.md §2.2: GitHub's published HMAC-SHA256 vector, for the primitive
    assert signing.hmac_sha256(b"It's a Secret to Everybody", b"Hello, World!").hex() == \
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


@pytest.mark.parametrize(("change", "refusal"), [
    ({"body": SW_BODY + b" "}, signing.BadSignature),
    ({"secret": signing.new_secret()}, signing.BadSignature),
    ({"now": SW_TIMESTAMP + 301}, signing.StaleTimestamp),
    ({"now": SW_TIMESTAMP - 301}, signing.StaleTimestamp),
    ({"drop": "webhook-signature"}, signing.MalformedHeaders),
])
def test_a_changed_body_secret_or_an_old_timestamp_is_refused(change, refusal) -> None:
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP),
               "webhook-signature": SW_SIGNATURE}
    headers.pop(change.get("drop", ""), None)
    with pytest.raises(refusal):
        signing.verify(change.get("secret", SW_SECRET), headers, change.get("body", SW_BODY),
                       now=change.get("now", SW_TIMESTAMP))


def test_a_secret_must_be_whsec_base64_of_24_to_64_bytes() -> None:
    assert len(signing.secret_key(signing.new_secret())) == 32
    for bad in ("whsec_not base64!", "whsec_" + "QUJD" * 2):
        with pytest.raises(signing.BadSecret):
            signing.secret_key(bad)


@pytest.fixture
def hook(erp_app):
    """A fresh webhook connection: its name and secret."""
    from crm_core.db import get_session
    from plugins.erp_bridge.connections.services import save_connection

    name, secret = f"wh-{uuid.uuid4().hex[:8]}", signing.new_secret()
    with erp_app.app_context():
        save_connection(get_session(), {"name": name, "kind": "webhook", "secret": secret})
        get_session().commit()
    return name, secret


def _refusals(app, name: str) -> list[dict]:
    from crm_core.audit.models import AuditEntry
    from crm_core.db import get_session

    with app.app_context():
        entries = get_session().scalars(select(AuditEntry).where(
            AuditEntry.action == "erp_webhook_refused")).all()
        return [json.loads(entry.changes) for entry in entries if name in entry.message]


def test_a_signed_webhook_is_taken_once(erp_app, hook) -> None:
    name, secret = hook
    client = erp_app.test_client()
    body = json.dumps({"type": "invoice.paid", "data": {"id": 7}}).encode()
    headers = signing.sign(secret, body)
    taken = client.post(f"/erp/webhooks/{name}", data=body, headers=headers,
                        content_type="application/json")
    assert taken.status_code == 204
    again = client.post(f"/erp/webhooks/{name}", data=body, headers=headers,
                        content_type="application/json")
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert [row["reason"] for row in _refusals(erp_app, name)] == \
        ["this webhook-id was already received"]


def test_a_bad_signature_is_401_and_an_old_timestamp_400_both_logged(erp_app, hook) -> None:
    name, secret = hook
    client = erp_app.test_client()
    body = b'{"type": "order.updated"}'
    forged = signing.sign(signing.new_secret(), body)
    refused = client.post(f"/erp/webhooks/{name}", data=body, headers=forged,
                          content_type="application/json")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert "signature" in refused.get_json()["detail"]
    old = signing.sign(secret, body, timestamp=int(time.time()) - 600)
    stale = client.post(f"/erp/webhooks/{name}", data=body, headers=old,
                        content_type="application/json")
    assert stale.status_code == 400
    reasons = [row["reason"] for row in _refusals(erp_app, name)]
    assert reasons == ["no v1 signature matches the secret",
                       "webhook-timestamp is outside the five-minute window"]
    assert client.post("/erp/webhooks/no-such-connection", data=body,
                       headers=signing.sign(secret, body)).status_code == 404


def test_an_outbound_webhook_is_signed_so_a_receiver_takes_it_once(erp_app, hook) -> None:
    """The outbox posts a signed event to a webhook connection's address; here the address
    is this app's own inbound endpoint, served on 127.0.0.1, with the same secret."""
    import datetime as dt
    import threading

    from werkzeug.serving import make_server

    from crm_core.db import get_session, utcnow
    from crm_core.outbox.delivery import drain
    from crm_core.outbox.models import OutboxMessage
    from plugins.erp_bridge.connections.services import find_connection, save_connection
    from plugins.erp_bridge.models import ErpSeenWebhook
    from plugins.erp_bridge.webhooks.outbound import send_webhook

    name, _secret = hook
    server = make_server("127.0.0.1", 0, erp_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        with erp_app.app_context():
            session = get_session()
            save_connection(session, {"url": f"http://127.0.0.1:{server.server_port}"
                                             f"/erp/webhooks/{name}"},
                            find_connection(session, name))
            send_webhook(session, name, "order.confirmed", {"order": "SO-0001", "total": 3000},
                         idempotency_key=f"erp_bridge.test:{name}")
            session.commit()
            assert drain().delivered == 1
            connection = find_connection(get_session(), name)
            seen = get_session().scalars(select(ErpSeenWebhook.webhook_id).where(
                ErpSeenWebhook.connection_id == connection.id)).all()
            assert seen == [f"erp_bridge.test:{name}"]
            # delivered again (a worker whose lease ended before it wrote "sent"): the
            # receiver answers 409 for the id it has, which counts as delivered
            message = get_session().scalar(select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"erp_bridge.test:{name}"))
            message.status, message.next_attempt_at = "pending", utcnow()
            get_session().commit()
            assert drain(now=utcnow() + dt.timedelta(seconds=1)).delivered == 1
    finally:
        server.shutdown()
        thread.join(5)
    assert [row["reason"] for row in _refusals(erp_app, name)] == \
        ["this webhook-id was already received"]


def test_a_body_over_one_mib_is_413_before_any_check(erp_app, hook) -> None:
    name, secret = hook
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    answer = erp_app.test_client().post(f"/erp/webhooks/{name}", data=body,
                                        headers=signing.sign(secret, body))
    assert answer.status_code == 413
