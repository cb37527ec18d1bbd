"""Feishu/Lark event decryption, X-Lark-Signature and url_verification (integrations.md §3.0)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from plugins.oa_bridge.protocol import (
    BadKey,
    CallbackRefused,
    DecryptError,
    MalformedCallback,
    SignatureMismatch,
    feishu,
)

# Feishu's decryption example, as circulated in SDK tests.
PUBLISHED_KEY = "test key"
PUBLISHED_ENCRYPT = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="

# Self-generated (no published vector exists), cross-checked with `openssl enc -aes-256-cbc` and
# `sha256sum` outside Python: IV "0123456789abcdef", plaintext {"type":"url_verification"}.
SELF_BODY = b'{"encrypt":"MDEyMzQ1Njc4OWFiY2RlZrda1iz3QkYbiGr6gNI383/Us+M3QfVNc0hgRVpS5p++"}'
SELF_TS, SELF_NONCE = "1700000000", "n0nce42"
SELF_SIGNATURE = "a0d1399e3489fea500767913fdba6d261d20fb55e8cd9a2850e57dd34ae98d1c"

KEY, TOKEN = "my-encrypt-key", "my-verification-token"


def envelope(payload: dict, key: str = KEY) -> bytes:
    return json.dumps({"encrypt": feishu.encrypt(json.dumps(payload), key)}).encode()


def signed(body: bytes, key: str = KEY, ts: str = "1700000000", nonce: str = "abc") -> dict:
    return {"timestamp": ts, "nonce": nonce,
            "signature": feishu.request_signature(ts, nonce, key, body)}


def v2_event(token: str = TOKEN) -> dict:
    return {"schema": "2.0",
            "header": {"event_id": "ev-1", "event_type": "approval_instance", "token": token},
            "event": {"instance_code": "I-1", "status": "APPROVED"}}


def challenge(token: str = TOKEN) -> dict:
    return {"challenge": "ajls384kdjx98XX", "token": token, "type": "url_verification"}


def test_published_vector_decrypts_to_hello_world() -> None:
    assert feishu.decrypt(PUBLISHED_ENCRYPT, PUBLISHED_KEY) == b"hello world"


def test_encrypt_reproduces_the_published_ciphertext_with_its_iv() -> None:
    iv = base64.b64decode(PUBLISHED_ENCRYPT)[:16]
    assert feishu.encrypt("hello world", PUBLISHED_KEY, iv=iv) == PUBLISHED_ENCRYPT


def test_self_generated_ciphertext_and_signature_match_openssl() -> None:
    encrypted = json.loads(SELF_BODY)["encrypt"]
    assert feishu.encrypt('{"type":"url_verification"}', "test key",
                          iv=b"0123456789abcdef") == encrypted
    assert feishu.request_signature(SELF_TS, SELF_NONCE, "test key", SELF_BODY) == SELF_SIGNATURE


def test_aes_key_is_sha256_of_the_encrypt_key() -> None:
    # `printf 'test key' | sha256sum`
    expected = "fa2bdca424f01f01ffb48df93acc35d439c7fd331a1a7fba6ac2fd83aa9ab31a"
    assert feishu.aes_key("test key").hex() == expected


def test_unsigned_encrypted_url_verification_is_answered_with_the_challenge() -> None:
    opened = feishu.open_request(body=envelope(challenge()), encrypt_key=KEY,
                                 verification_token=TOKEN)
    assert opened.answer() == {"challenge": "ajls384kdjx98XX"}


def test_signed_url_verification_is_answered_too() -> None:
    body = envelope(challenge())
    opened = feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN,
                                 **signed(body))
    assert opened.challenge == "ajls384kdjx98XX"


def test_signed_schema2_event_opens_with_its_event_id() -> None:
    body = envelope(v2_event())
    opened = feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN,
                                 **signed(body))
    assert opened.challenge is None and opened.answer() == {"msg": "success"}
    assert opened.payload["event"] == {"instance_code": "I-1", "status": "APPROVED"}
    assert feishu.event_id(opened.payload) == "ev-1"


def test_schema1_event_uses_top_level_token_and_uuid() -> None:
    payload = {"uuid": "u-9", "token": TOKEN, "ts": "1502199207.7171419",
               "type": "event_callback", "event": {"type": "approval_instance"}}
    body = envelope(payload)
    opened = feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN,
                                 **signed(body))
    assert feishu.event_id(opened.payload) == "u-9"
    assert feishu.event_token(opened.payload) == TOKEN


def test_wrong_signature_is_refused() -> None:
    body = envelope(v2_event())
    headers = signed(body) | {"signature": "0" * 64}
    with pytest.raises(SignatureMismatch):
        feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN, **headers)


def test_body_changed_after_signing_is_refused() -> None:
    body = envelope(v2_event())
    headers = signed(body)
    with pytest.raises(SignatureMismatch):
        feishu.open_request(body=envelope(v2_event()), encrypt_key=KEY,
                            verification_token=TOKEN, **headers)


def test_signature_made_with_another_encrypt_key_is_refused() -> None:
    body = envelope(v2_event())
    with pytest.raises(SignatureMismatch):
        feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN,
                            **signed(body, key="someone-else"))


def test_unsigned_event_other_than_url_verification_is_refused() -> None:
    with pytest.raises(SignatureMismatch):
        feishu.open_request(body=envelope(v2_event()), encrypt_key=KEY,
                            verification_token=TOKEN)


@pytest.mark.parametrize("payload", [v2_event(token="stolen"), challenge(token="stolen"),
                                     {"type": "url_verification", "challenge": "x"}])
def test_wrong_or_missing_verification_token_is_refused(payload: dict) -> None:
    body = envelope(payload)
    with pytest.raises(SignatureMismatch):
        feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN,
                            **signed(body))


def test_plaintext_event_is_refused() -> None:
    body = json.dumps(challenge()).encode()
    with pytest.raises(MalformedCallback):
        feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN)


def test_signature_without_timestamp_is_malformed() -> None:
    body = envelope(v2_event())
    with pytest.raises(MalformedCallback):
        feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN,
                            signature=signed(body)["signature"])


def test_url_verification_without_challenge_is_malformed() -> None:
    with pytest.raises(MalformedCallback):
        feishu.open_request(body=envelope({"type": "url_verification", "token": TOKEN}),
                            encrypt_key=KEY, verification_token=TOKEN)


def test_tampered_ciphertext_is_a_decrypt_error() -> None:
    raw = bytearray(base64.b64decode(PUBLISHED_ENCRYPT))
    raw[-17] ^= 1  # last byte of the block before the last: flips the padding length
    with pytest.raises(DecryptError):
        feishu.decrypt(base64.b64encode(raw).decode(), PUBLISHED_KEY)


@pytest.mark.parametrize("pad", [0, 17, 200])
def test_bad_padding_is_a_decrypt_error(pad: int) -> None:
    iv = b"\x00" * 16
    block = b"hello world" + bytes([pad]) * 5
    encryptor = Cipher(algorithms.AES(feishu.aes_key(KEY)), modes.CBC(iv)).encryptor()
    raw = iv + encryptor.update(block) + encryptor.finalize()
    with pytest.raises(DecryptError):
        feishu.decrypt(base64.b64encode(raw).decode(), KEY)


@pytest.mark.parametrize("encrypted", ["%%%", "", base64.b64encode(b"x" * 16).decode(),
                                       base64.b64encode(b"x" * 33).decode()])
def test_malformed_ciphertext_is_a_decrypt_error(encrypted: str) -> None:
    with pytest.raises(DecryptError):
        feishu.decrypt(encrypted, KEY)


def test_another_encrypt_key_cannot_open_the_event() -> None:
    with pytest.raises((DecryptError, MalformedCallback)):
        feishu.open_request(body=envelope(challenge(), key="other key"), encrypt_key=KEY,
                            verification_token=TOKEN)


def test_empty_keys_are_refused_at_configuration() -> None:
    with pytest.raises(BadKey):
        feishu.aes_key("")
    with pytest.raises(BadKey):
        feishu.open_request(body=envelope(challenge()), encrypt_key=KEY, verification_token="")


def test_refusal_reasons_never_carry_the_keys() -> None:
    body = envelope(v2_event(token="stolen"))
    with pytest.raises(CallbackRefused) as caught:
        feishu.open_request(body=body, encrypt_key=KEY, verification_token=TOKEN, **signed(body))
    assert KEY not in str(caught.value) and TOKEN not in caught.value.reason
