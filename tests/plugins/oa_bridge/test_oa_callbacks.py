"""The callback URL ``/oa/callback/<name>``: handshakes answered, events taken once, and every
forged, stale, misaddressed or repeated delivery refused or ignored (and logged)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import time

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from oa_testing import AES_KEY, APP_SECRET, CORP, TOKEN, build

from crm_core.toolkit import hookimpl

pytestmark = pytest.mark.crm_plugins("oa_bridge")


class Listener:
    """Another plugin listening to the bridge's events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    @hookimpl
    def oa_event_received(self, connection, event_type, payload):
        self.events.append((connection, event_type, payload))


@pytest.fixture
def world(crm_app, tmp_path):
    built = build(crm_app, tmp_path)
    built.listener = Listener()
    crm_app.extensions["crm"].pm.register(built.listener, name="listener")
    yield built
    built.fake.stop()


def independent_callback(event: dict, *, token: str = TOKEN, receiver: str = CORP,
                         timestamp_ms: int | None = None) -> tuple[dict, bytes]:
    """A DingTalk callback built from the published algorithm alone (not the plugin's code):
    AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes, sha1 of the sorted parts."""
    key = base64.b64decode(AES_KEY + "=")
    message = json.dumps(event).encode()
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + receiver.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    encrypt = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    nonce = "n0nce42"
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode())
    return ({"msg_signature": signature.hexdigest(), "timeStamp": timestamp, "nonce": nonce},
            json.dumps({"encrypt": encrypt}).encode())


def independent_open(answer: dict) -> bytes:
    key = base64.b64decode(AES_KEY + "=")
    expected = hashlib.sha1("".join(sorted([TOKEN, str(answer["timeStamp"]), answer["nonce"],
                                            answer["encrypt"]])).encode()).hexdigest()
    assert answer["msg_signature"] == expected
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(answer["encrypt"])) + decryptor.finalize()
    plain = plain[:-plain[-1]]
    length = struct.unpack(">I", plain[16:20])[0]
    assert plain[20 + length:] == CORP.encode()
    return plain[20:20 + length]


def refusals(world) -> list[dict]:
    from sqlalchemy import select

    from crm_core.audit.models import AuditEntry
    from crm_core.db import get_session

    with world.app.app_context():
        rows = get_session().scalars(select(AuditEntry).where(
            AuditEntry.action == "oa_callback_refused")).all()
        return [json.loads(row.changes) for row in rows]


def test_check_url_is_answered_with_an_encrypted_signed_success(world):
    params, body = independent_callback({"EventType": "check_url"})
    response = world.post_callback(params, body)
    assert response.status_code == 200
    assert independent_open(response.get_json()) == b"success"
    assert world.listener.events == []  # a handshake is not an event


def test_an_independently_built_event_is_taken_once_and_a_replay_is_ignored(world):
    event = {"EventType": "bpms_task_change", "processInstanceId": "PI-x", "type": "start",
             "taskId": 7}
    params, body = independent_callback(event)
    assert world.post_callback(params, body).status_code == 200
    assert [(c, t) for c, t, _ in world.listener.events] == [("dt", "bpms_task_change")]
    # the vendor retries with a fresh timestamp and nonce: acknowledged, not processed again
    params, body = independent_callback(event)
    assert world.post_callback(params, body).status_code == 200
    assert len(world.listener.events) == 1


@pytest.mark.parametrize("forgery, reason", [
    ("signature", "signature mismatch"),
    ("stale", "timestamp too old"),
    ("trailer", "receiver id mismatch"),
    ("tampered", "signature mismatch"),
])
def test_forged_stale_or_misaddressed_callbacks_are_refused_and_logged(world, forgery, reason):
    event = {"EventType": "bpms_instance_change", "processInstanceId": "PI-9",
             "type": "finish", "result": "agree"}
    if forgery == "signature":
        params, body = independent_callback(event, token="not-the-token")
    elif forgery == "stale":
        params, body = independent_callback(event, timestamp_ms=int(time.time() * 1000)
                                            - 3600_000)
    elif forgery == "trailer":
        params, body = independent_callback(event, receiver="another-corp")
    else:
        params, body = independent_callback(event)
        encrypt = json.loads(body)["encrypt"]
        body = json.dumps({"encrypt": encrypt[:-8] + "AAAAAAA="}).encode()
    response = world.post_callback(params, body)
    assert response.status_code == 403 and response.get_data() == b"refused"
    assert world.listener.events == []
    logged = refusals(world)
    assert [entry["reason"] for entry in logged] == [reason]
    assert APP_SECRET not in json.dumps(logged) and TOKEN not in json.dumps(logged)


def test_an_unknown_connection_gets_the_same_refusal(world):
    params, body = independent_callback({"EventType": "check_url"})
    response = world.post_callback(params, body, name="nope")
    assert response.status_code == 403 and response.get_data() == b"refused"


def test_wecom_url_verification_returns_the_plain_echostr(world, tmp_path):
    from plugins.oa_bridge.protocol.callback_crypto import CallbackCrypto

    secret = tmp_path / "wecom-secret"
    secret.write_text("corp-secret")
    key = tmp_path / "wecom-key"
    key.write_text(AES_KEY)
    world.cli("oa", "connect", "--name", "wx", "--kind", "wecom", "--corp-id", "wwcorp",
              "--app-secret-file", str(secret), "--token", "wxtoken", "--aes-key-file",
              str(key))
    now = str(int(time.time()))
    sealed = CallbackCrypto("wxtoken", AES_KEY, "wwcorp").seal("1616140317555161061",
                                                               timestamp=now, nonce="abc")
    response = world.app.test_client().get("/oa/callback/wx", query_string={
        "msg_signature": sealed.signature, "timestamp": now, "nonce": "abc",
        "echostr": sealed.encrypt})
    assert response.status_code == 200 and response.get_data() == b"1616140317555161061"


def test_feishu_url_verification_answers_the_challenge(world, tmp_path):
    from plugins.oa_bridge.protocol import feishu

    connect_feishu(world, tmp_path)
    challenge = {"challenge": "c-123", "token": "fsverify", "type": "url_verification"}
    body = json.dumps({"encrypt": feishu.encrypt(json.dumps(challenge),
                                                 "feishu encrypt key")}).encode()
    response = world.app.test_client().post("/oa/callback/fs", data=body,
                                            content_type="application/json")
    assert response.status_code == 200 and response.get_json() == {"challenge": "c-123"}


def connect_feishu(world, tmp_path) -> None:
    secret = tmp_path / "fs-secret"
    secret.write_text("fs-app-secret")
    key = tmp_path / "fs-key"
    key.write_text("feishu encrypt key")
    world.cli("oa", "connect", "--name", "fs", "--kind", "feishu", "--app-key", "cli_a1",
              "--app-secret-file", str(secret), "--token", "fsverify", "--aes-key-file",
              str(key))


def feishu_post(world, payload: dict, *, app_id: str = "cli_a1") -> object:
    from plugins.oa_bridge.protocol import feishu

    payload = {**payload, "header": {"event_id": "ev-1", "event_type": "approval_instance",
                                     "token": "fsverify", "app_id": app_id}}
    body = json.dumps({"encrypt": feishu.encrypt(json.dumps(payload),
                                                 "feishu encrypt key")}).encode()
    timestamp, nonce = str(int(time.time())), "fsnonce"
    signature = feishu.request_signature(timestamp, nonce, "feishu encrypt key", body)
    return world.app.test_client().post("/oa/callback/fs", data=body, headers={
        "X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature}, content_type="application/json")


def test_a_signed_feishu_event_is_taken_and_another_apps_is_refused(world, tmp_path):
    connect_feishu(world, tmp_path)
    event = {"schema": "2.0", "event": {"instance_code": "X", "status": "PENDING"}}
    assert feishu_post(world, event, app_id="cli_other").status_code == 403
    response = feishu_post(world, event)
    assert response.status_code == 200 and response.get_json() == {"msg": "success"}
    assert [(c, t) for c, t, _ in world.listener.events] == [("fs", "approval_instance")]


def test_a_wecom_approval_event_is_opened_with_its_nested_approval_info(world, tmp_path):
    from plugins.oa_bridge.protocol.callback_crypto import CallbackCrypto

    secret = tmp_path / "wecom-secret"
    secret.write_text("corp-secret")
    key = tmp_path / "wecom-key"
    key.write_text(AES_KEY)
    world.cli("oa", "connect", "--name", "wx", "--kind", "wecom", "--corp-id", "wwcorp",
              "--app-secret-file", str(secret), "--token", "wxtoken", "--aes-key-file",
              str(key))
    xml = ("<xml><ToUserName>wwcorp</ToUserName><FromUserName>sys</FromUserName>"
           "<CreateTime>1700000000</CreateTime><MsgType>event</MsgType>"
           "<Event>sys_approval_change</Event><ApprovalInfo><SpNo>2024001</SpNo>"
           "<SpStatus>2</SpStatus></ApprovalInfo></xml>")
    now = str(int(time.time()))
    sealed = CallbackCrypto("wxtoken", AES_KEY, "wwcorp").seal(xml, timestamp=now,
                                                               nonce="abc")
    body = f"<xml><Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt></xml>"
    response = world.app.test_client().post("/oa/callback/wx", query_string={
        "msg_signature": sealed.signature, "timestamp": now, "nonce": "abc"}, data=body)
    assert response.status_code == 200 and response.get_data() == b"success"
    (_name, event_type, payload), = world.listener.events
    assert event_type == "sys_approval_change"
    assert payload["ApprovalInfo"] == {"SpNo": "2024001", "SpStatus": "2"}


def test_each_vendors_final_decision_is_read_the_same_way():
    from plugins.oa_bridge.approvals.decisions import outcome

    assert outcome("dingtalk", "bpms_instance_change", {
        "processInstanceId": "P", "type": "finish", "result": "refuse", "staffId": "u",
        "remark": "no"}) == ("P", "rejected", "u", "no")
    assert outcome("dingtalk", "bpms_instance_change", {
        "processInstanceId": "P", "type": "start"}) is None
    assert outcome("dingtalk", "bpms_instance_change", {
        "processInstanceId": "P", "type": "terminate"})[1] == "withdrawn"
    assert outcome("wecom", "sys_approval_change", {
        "ApprovalInfo": {"SpNo": "9", "SpStatus": "3"}}) == ("9", "rejected", "", "")
    assert outcome("wecom", "sys_approval_change", {
        "ApprovalInfo": {"SpNo": "9", "SpStatus": "1"}}) is None
    assert outcome("feishu", "approval_instance", {
        "event": {"instance_code": "F", "status": "APPROVED"}}) == ("F", "approved", "", "")


@pytest.mark.postgres
def test_the_replay_guard_is_one_atomic_insert_on_postgresql(crm_make_app, tmp_path):
    from crm_core.db import get_session
    from plugins.oa_bridge.callbacks.seen import DbSeenIds
    from plugins.oa_bridge.connections.services import save_connection

    app = crm_make_app(plugins=["oa_bridge"], database="postgresql")
    with app.app_context():
        session = get_session()
        connection = save_connection(session, {
            "name": "pg", "kind": "dingtalk", "app_key": "k", "app_secret": "s",
            "token": "t", "aes_key": AES_KEY})
        seen = DbSeenIds(session)
        scope = str(connection.id)
        assert seen.add_if_new(scope, "ev", ttl_seconds=60)
        assert not seen.add_if_new(scope, "ev", ttl_seconds=60)
        session.commit()
        assert not DbSeenIds(session).add_if_new(scope, "ev", ttl_seconds=60)
        assert DbSeenIds(session).add_if_new(scope, "ev2", ttl_seconds=60)
        session.rollback()
