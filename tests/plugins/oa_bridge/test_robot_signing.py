"""Group robot signing. No vendor publishes a vector: the values below are self-generated and
were cross-checked outside Python with `openssl dgst -sha256 -hmac KEY -binary | base64`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest

from plugins.oa_bridge.protocol import BadKey, SignatureMismatch, robots

DT_SECRET = "SEC1234567890abcdef"
DT_TS = 1700000000003  # milliseconds; chosen so the signature holds both "+" and "/"
DT_SIGNATURE = "MV0BnF/7ov6LSivAAnKAJ3K7nEJkqr936Wb+2hAI1es="  # self-generated
DT_SIGN_ENCODED = "MV0BnF%2F7ov6LSivAAnKAJ3K7nEJkqr936Wb%2B2hAI1es%3D"

FS_SECRET = "feishu-bot-secret"
FS_TS = 1700000000  # seconds
FS_SIGN = "Q4FS+NQ4v/BgCqHYM/0ZOgddUZYcmQYoJtxIB4VIk8c="  # self-generated


def test_dingtalk_signature_matches_the_self_generated_vector() -> None:
    assert robots.dingtalk_robot_signature(DT_SECRET, DT_TS) == DT_SIGNATURE


def test_dingtalk_sign_is_url_encoded_like_the_official_sample() -> None:
    assert robots.dingtalk_robot_sign(DT_SECRET, DT_TS) == DT_SIGN_ENCODED


def test_dingtalk_url_carries_timestamp_and_sign_once_encoded() -> None:
    url = robots.dingtalk_robot_url(f"{robots.DINGTALK_ROBOT_URL}?access_token=tok&sign=old",
                                    DT_SECRET, timestamp_ms=DT_TS)
    assert url.endswith(f"&timestamp={DT_TS}&sign={DT_SIGN_ENCODED}")
    query = parse_qs(urlsplit(url).query)
    assert query == {"access_token": ["tok"], "timestamp": [str(DT_TS)], "sign": [DT_SIGNATURE]}


def test_dingtalk_params_hold_the_raw_signature_for_an_encoding_client() -> None:
    assert robots.dingtalk_robot_params(DT_SECRET, DT_TS) == {"timestamp": str(DT_TS),
                                                               "sign": DT_SIGNATURE}


def test_dingtalk_url_without_secret_is_unchanged() -> None:
    url = f"{robots.DINGTALK_ROBOT_URL}?access_token=tok"
    assert robots.dingtalk_robot_url(url, None, timestamp_ms=DT_TS) == url


def test_dingtalk_verify_accepts_its_own_sign_and_refuses_others() -> None:
    robots.verify_dingtalk_robot(DT_SECRET, str(DT_TS), DT_SIGNATURE)
    for secret, ts, sign in [("SECother", str(DT_TS), DT_SIGNATURE),
                             (DT_SECRET, str(DT_TS + 1), DT_SIGNATURE),
                             (DT_SECRET, str(DT_TS), DT_SIGN_ENCODED),
                             (DT_SECRET, "soon", DT_SIGNATURE)]:
        with pytest.raises(SignatureMismatch):
            robots.verify_dingtalk_robot(secret, ts, sign)


def test_feishu_sign_matches_the_self_generated_vector() -> None:
    assert robots.feishu_bot_sign(FS_SECRET, FS_TS) == FS_SIGN


def test_feishu_sign_is_the_reversed_hmac_not_the_dingtalk_one() -> None:
    string_to_sign = f"{FS_TS}\n{FS_SECRET}".encode()
    dingtalk_order = hmac.new(FS_SECRET.encode(), string_to_sign, hashlib.sha256).digest()
    assert robots.feishu_bot_sign(FS_SECRET, FS_TS) != base64.b64encode(dingtalk_order).decode()


def test_feishu_body_adds_string_timestamp_and_sign_and_keeps_the_message() -> None:
    message = {"msg_type": "text", "content": {"text": "赢单：合同 #42"}}
    body = robots.feishu_bot_body(message, FS_SECRET, timestamp_s=FS_TS)
    assert body == {**message, "timestamp": str(FS_TS), "sign": FS_SIGN}
    assert "sign" not in message  # the caller's dict is not changed


def test_feishu_body_without_secret_has_no_sign() -> None:
    message = {"msg_type": "text", "content": {"text": "hi"}}
    assert robots.feishu_bot_body(message, None, timestamp_s=FS_TS) == message


def test_feishu_verify_refuses_wrong_secret_timestamp_or_sign() -> None:
    robots.verify_feishu_bot(FS_SECRET, str(FS_TS), FS_SIGN)
    for secret, ts, sign in [("other", str(FS_TS), FS_SIGN),
                             (FS_SECRET, str(FS_TS * 1000), FS_SIGN),
                             (FS_SECRET, str(FS_TS), FS_SIGN.lower()), (FS_SECRET, "x", FS_SIGN)]:
        with pytest.raises(SignatureMismatch):
            robots.verify_feishu_bot(secret, ts, sign)


def test_wecom_robot_url_carries_the_key_and_points_at_a_fake_when_asked() -> None:
    assert robots.wecom_robot_url("k+1/2") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k%2B1%2F2")
    assert robots.wecom_robot_url("k", base_url="http://127.0.0.1:5001/send") == (
        "http://127.0.0.1:5001/send?key=k")


@pytest.mark.parametrize("call", [lambda: robots.dingtalk_robot_signature("", DT_TS),
                                  lambda: robots.feishu_bot_sign("", FS_TS),
                                  lambda: robots.wecom_robot_url("")])
def test_empty_secrets_are_refused(call) -> None:
    with pytest.raises(BadKey):
        call()


@pytest.mark.parametrize(("url", "expected"), [
    ("https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x%2B",
     "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/0f1e-secret-hook",
     "https://open.feishu.cn/open-apis/bot/v2/hook/***"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6",
     "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"),
])
def test_redacted_urls_hide_every_credential(url: str, expected: str) -> None:
    assert robots.redact_url(url) == expected
