"""DingTalk and WeCom callback crypto against the vendors' published vectors (integrations.md
§3.0), byte for byte, and every way a forged or broken callback is refused."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from plugins.oa_bridge.protocol import (
    BadKey,
    CallbackRefused,
    DecryptError,
    MalformedCallback,
    SignatureMismatch,
    WrongReceiver,
)
from plugins.oa_bridge.protocol.callback_crypto import (
    CallbackCrypto,
    callback_signature,
    dingtalk_open_event,
    dingtalk_reply,
    wecom_open_message,
    wecom_reply_xml,
    wecom_verify_url,
    wecom_xml_fields,
)

# DingTalk's documented sample (check_create_suite_url for a third-party suite).
DT_TOKEN = "123456"
DT_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"
DT_OWNER = "suite4xxxxxxxxxxxxxxx"
DT_TS, DT_NONCE = "1445827045067", "nEXhMP4r"
DT_ENCRYPT = ("1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7"
              "gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRH"
              "P8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==")
DT_SIGNATURE = "5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0"
DT_PLAIN = (b'{"EventType":"check_create_suite_url","Random":"LPIdSnlF",'
            b'"TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}')
DT_PREFIX = b"hU3bEfGZZewzhG5a"  # the 16 "random" bytes inside the published ciphertext

# Tencent WXBizMsgCrypt sample (WeCom doc 91144).
WC_TOKEN, WC_CORP = "QDG6eK", "wx5823bf96d3bd56c7"
WC_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
WC_ECHO = ("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvna"
           "qQ==")
WC_ECHO_SIG, WC_ECHO_TS, WC_ECHO_NONCE = ("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589",
                                          "263014780")
WC_ECHO_PREFIX = b"c41b64491c2468d0"
WC_MSG = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3"
          "QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48"
          "kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izo"
          "un1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUa"
          "x5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl"
          "/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
WC_MSG_SIG, WC_MSG_TS, WC_MSG_NONCE = ("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813",
                                       "1372623149")
WC_MSG_PREFIX = b"0960688932c47ef1"
WC_MSG_PLAIN = (b"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
                b"<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
                b"<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n"
                b"<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n"
                b"<AgentID>218</AgentID>\n</xml>")
WC_BODY = (f"<xml><ToUserName><![CDATA[{WC_CORP}]]></ToUserName><Encrypt><![CDATA[{WC_MSG}]]>"
           "</Encrypt><AgentID><![CDATA[218]]></AgentID></xml>").encode()


def dingtalk() -> CallbackCrypto:
    return CallbackCrypto(DT_TOKEN, DT_KEY, DT_OWNER)


def wecom(receiver: str = WC_CORP) -> CallbackCrypto:
    return CallbackCrypto(WC_TOKEN, WC_KEY, receiver)


def raw_encrypt(encoding_key: str, plain: bytes) -> str:
    """AES-256-CBC with the vendor key and IV and no padding added: for broken-padding cases."""
    key = base64.b64decode(encoding_key + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


# --- published vectors ------------------------------------------------------------------------

def test_dingtalk_vector_signature_matches_byte_for_byte() -> None:
    assert callback_signature(DT_TOKEN, DT_TS, DT_NONCE, DT_ENCRYPT) == DT_SIGNATURE
    assert dingtalk().sign(DT_TS, DT_NONCE, DT_ENCRYPT) == DT_SIGNATURE


def test_dingtalk_vector_opens_to_the_documented_event() -> None:
    body = json.dumps({"encrypt": DT_ENCRYPT}).encode()
    event = dingtalk_open_event(dingtalk(), signature=DT_SIGNATURE, timestamp=DT_TS,
                                nonce=DT_NONCE, body=body)
    assert event == {"EventType": "check_create_suite_url", "Random": "LPIdSnlF",
                     "TestSuiteKey": DT_OWNER}
    assert dingtalk().decrypt(DT_ENCRYPT) == DT_PLAIN


def test_dingtalk_encrypt_reproduces_the_published_ciphertext() -> None:
    assert dingtalk().encrypt(DT_PLAIN, random_prefix=DT_PREFIX) == DT_ENCRYPT


def test_wecom_url_verification_vector_returns_the_echo_plaintext() -> None:
    answer = wecom_verify_url(wecom(), msg_signature=WC_ECHO_SIG, timestamp=WC_ECHO_TS,
                              nonce=WC_ECHO_NONCE, echostr=WC_ECHO)
    assert answer == "1616140317555161061"


def test_wecom_message_vector_opens_to_the_hello_text_message() -> None:
    plain = wecom_open_message(wecom(), msg_signature=WC_MSG_SIG, timestamp=WC_MSG_TS,
                               nonce=WC_MSG_NONCE, body=WC_BODY)
    assert plain == WC_MSG_PLAIN
    fields = wecom_xml_fields(plain)
    assert (fields["MsgType"], fields["Content"], fields["AgentID"]) == ("text", "hello", "218")
    assert fields["FromUserName"] == "mycreate"


def test_wecom_encrypt_reproduces_both_published_ciphertexts() -> None:
    assert wecom().encrypt("1616140317555161061", random_prefix=WC_ECHO_PREFIX) == WC_ECHO
    assert wecom().encrypt(WC_MSG_PLAIN, random_prefix=WC_MSG_PREFIX) == WC_MSG


# --- replies ----------------------------------------------------------------------------------

def test_dingtalk_success_reply_is_signed_json_that_decrypts_to_success() -> None:
    reply = dingtalk_reply(dingtalk(), timestamp_ms=1700000000123, nonce="abcd1234")
    assert set(reply) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert (reply["timeStamp"], reply["nonce"]) == ("1700000000123", "abcd1234")
    opened = dingtalk().open(reply["msg_signature"], reply["timeStamp"], reply["nonce"],
                             reply["encrypt"])
    assert opened == b"success"


def test_replies_use_fresh_randomness_each_time() -> None:
    first = dingtalk_reply(dingtalk(), timestamp_ms=1)
    second = dingtalk_reply(dingtalk(), timestamp_ms=1)
    assert first["encrypt"] != second["encrypt"] and first["nonce"] != second["nonce"]


def test_wecom_passive_reply_xml_verifies_and_decrypts() -> None:
    xml = wecom_reply_xml(wecom(), "<xml><Content>hi</Content></xml>", timestamp=1409659813,
                          nonce="n0nce")
    fields = wecom_xml_fields(xml)
    assert set(fields) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    plain = wecom().open(fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"],
                         fields["Encrypt"])
    assert plain == b"<xml><Content>hi</Content></xml>"


def test_wecom_reply_refuses_a_nonce_that_could_break_the_xml() -> None:
    with pytest.raises(ValueError):
        wecom_reply_xml(wecom(), "x", timestamp=1, nonce="]]><evil/>")


def test_round_trip_counts_utf8_bytes_and_pads_to_32() -> None:
    message = "审批通过：合同 #42 ✓"
    encrypted = wecom().encrypt(message)
    assert "\n" not in encrypted and len(base64.b64decode(encrypted)) % 32 == 0
    assert wecom().decrypt(encrypted).decode() == message


def test_empty_receiver_id_of_a_personal_third_party_app_round_trips() -> None:
    crypto = wecom(receiver="")
    assert crypto.decrypt(crypto.encrypt("ok")) == b"ok"
    with pytest.raises(WrongReceiver):
        crypto.decrypt(wecom().encrypt("ok"))


# --- refusals ---------------------------------------------------------------------------------

def test_wrong_signature_is_refused() -> None:
    wrong = DT_SIGNATURE[:-1] + "1"
    with pytest.raises(SignatureMismatch):
        dingtalk().open(wrong, DT_TS, DT_NONCE, DT_ENCRYPT)
    other_token = CallbackCrypto("654321", DT_KEY, DT_OWNER)
    with pytest.raises(SignatureMismatch):
        other_token.open(DT_SIGNATURE, DT_TS, DT_NONCE, DT_ENCRYPT)


def test_changed_timestamp_or_nonce_breaks_the_signature() -> None:
    with pytest.raises(SignatureMismatch):
        wecom().open(WC_ECHO_SIG, str(int(WC_ECHO_TS) + 1), WC_ECHO_NONCE, WC_ECHO)
    with pytest.raises(SignatureMismatch):
        wecom().open(WC_ECHO_SIG, WC_ECHO_TS, "263014781", WC_ECHO)


def test_tampered_ciphertext_is_caught_by_the_signature_first() -> None:
    raw = bytearray(base64.b64decode(DT_ENCRYPT))
    raw[5] ^= 1
    with pytest.raises(SignatureMismatch):
        dingtalk().open(DT_SIGNATURE, DT_TS, DT_NONCE, base64.b64encode(raw).decode())


def test_tampered_ciphertext_fails_decryption_on_its_own() -> None:
    raw = bytearray(base64.b64decode(DT_ENCRYPT))
    raw[-17] ^= 1  # flips the last plaintext byte: the padding length
    with pytest.raises(DecryptError):
        dingtalk().decrypt(base64.b64encode(raw).decode())


def test_wrong_corp_id_trailer_is_refused() -> None:
    with pytest.raises(WrongReceiver):
        wecom(receiver="wx0000000000000000").open(WC_MSG_SIG, WC_MSG_TS, WC_MSG_NONCE, WC_MSG)


def test_wrong_app_key_trailer_is_refused() -> None:
    other_app = CallbackCrypto(DT_TOKEN, DT_KEY, "dingappkey000000")
    with pytest.raises(WrongReceiver):
        other_app.open(DT_SIGNATURE, DT_TS, DT_NONCE, DT_ENCRYPT)


def test_trailer_that_merely_starts_with_the_receiver_id_is_refused() -> None:
    longer = CallbackCrypto(WC_TOKEN, WC_KEY, WC_CORP + "x")
    with pytest.raises(WrongReceiver):
        wecom().decrypt(longer.encrypt("hi"))


@pytest.mark.parametrize("pad", [0, 33, 255])
def test_out_of_range_padding_is_refused(pad: int) -> None:
    plain = b"r" * 16 + struct.pack(">I", 2) + b"hi" + WC_CORP.encode()
    plain += bytes([pad]) * (64 - len(plain))
    with pytest.raises(DecryptError):
        wecom().decrypt(raw_encrypt(WC_KEY, plain))


def test_inconsistent_padding_bytes_are_refused() -> None:
    plain = b"r" * 16 + struct.pack(">I", 2) + b"hi" + WC_CORP.encode()
    plain += b"\x01" * (63 - len(plain)) + bytes([64 - len(plain)])
    with pytest.raises(DecryptError):
        wecom().decrypt(raw_encrypt(WC_KEY, plain))


def test_length_field_beyond_the_plaintext_is_refused() -> None:
    plain = b"r" * 16 + struct.pack(">I", 5000) + b"hi" + WC_CORP.encode()
    plain += bytes([64 - len(plain)]) * (64 - len(plain))
    with pytest.raises(DecryptError):
        wecom().decrypt(raw_encrypt(WC_KEY, plain))


@pytest.mark.parametrize("ciphertext", ["not base64!", "", base64.b64encode(b"x" * 16).decode(),
                                        base64.b64encode(b"x" * 40).decode(),
                                        WC_ECHO.replace("+", " ")])
def test_malformed_ciphertext_is_a_decrypt_error(ciphertext: str) -> None:
    with pytest.raises(DecryptError):
        wecom().decrypt(ciphertext)


def test_another_key_cannot_open_the_message() -> None:
    stranger = CallbackCrypto(WC_TOKEN, DT_KEY, WC_CORP)
    with pytest.raises((DecryptError, WrongReceiver)):
        stranger.decrypt(WC_MSG)


@pytest.mark.parametrize("key", [WC_KEY[:-1], WC_KEY + "A", WC_KEY[:-1] + "-", "", "=" * 43])
def test_wrong_key_length_or_alphabet_is_refused_at_configuration(key: str) -> None:
    with pytest.raises(BadKey) as caught:
        CallbackCrypto(WC_TOKEN, key, WC_CORP)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CallbackRefused)


def test_empty_token_is_refused_at_configuration() -> None:
    with pytest.raises(BadKey):
        CallbackCrypto("", WC_KEY, WC_CORP)


@pytest.mark.parametrize("body", [b"not json", b"[1]", b"{}", b'{"encrypt": 7}'])
def test_dingtalk_body_without_an_encrypt_field_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedCallback):
        dingtalk_open_event(dingtalk(), signature=DT_SIGNATURE, timestamp=DT_TS, nonce=DT_NONCE,
                            body=body)


def test_dingtalk_event_that_is_not_a_json_object_is_malformed() -> None:
    sealed = dingtalk().seal("success", timestamp=1, nonce="n")
    with pytest.raises(MalformedCallback):
        dingtalk_open_event(dingtalk(), signature=sealed.signature, timestamp="1", nonce="n",
                            body=json.dumps({"encrypt": sealed.encrypt}).encode())


@pytest.mark.parametrize("body", [
    b"<xml><ToUserName>x</ToUserName></xml>",
    b"<xml><Encrypt>",
    b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
])
def test_wecom_body_without_a_usable_encrypt_element_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedCallback):
        wecom_open_message(wecom(), msg_signature=WC_MSG_SIG, timestamp=WC_MSG_TS,
                           nonce=WC_MSG_NONCE, body=body)


def test_refusals_and_repr_never_carry_the_secrets() -> None:
    failures: list[CallbackRefused] = []
    for attempt in (lambda: wecom().open("0" * 40, WC_MSG_TS, WC_MSG_NONCE, WC_MSG),
                    lambda: wecom("wx1").open(WC_MSG_SIG, WC_MSG_TS, WC_MSG_NONCE, WC_MSG),
                    lambda: wecom().decrypt("@@")):
        with pytest.raises(CallbackRefused) as caught:
            attempt()
        failures.append(caught.value)
    for failure in failures:
        text = f"{failure} {failure.reason} {failure!r}"
        assert WC_TOKEN not in text and WC_KEY not in text and WC_CORP not in text
    assert WC_TOKEN not in repr(wecom()) and WC_KEY not in repr(wecom())
