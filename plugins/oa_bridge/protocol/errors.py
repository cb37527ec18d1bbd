"""Why an inbound OA callback was refused.

Every refusal is a :class:`CallbackRefused` carrying a short, fixed ``reason`` for the log. A
reason never contains a token, a key, a secret or the attacker-controlled bytes that failed the
check, so a log line cannot leak a credential or be used to inject text.
"""

from __future__ import annotations

import json
from typing import Any


class CallbackRefused(Exception):
    """An inbound callback that must not be processed; ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureMismatch(CallbackRefused):
    """The signature (or the Feishu verification token) does not match the shared secret."""


class DecryptError(CallbackRefused):
    """The ciphertext is not base64, has a bad length or padding, or an impossible layout."""


class WrongReceiver(CallbackRefused):
    """The decrypted trailer names another corpId / appKey / suiteKey than this connection's."""


class StaleTimestamp(CallbackRefused):
    """The request timestamp is older, or further in the future, than the allowed window."""


class Replayed(CallbackRefused):
    """The event id was already seen: a retried or replayed delivery."""


class MalformedCallback(CallbackRefused):
    """The request lacks a required field or its body is not the vendor's envelope."""


class BadKey(CallbackRefused, ValueError):
    """A configured key has the wrong length or alphabet (a settings error, raised early).

    It is also a ``ValueError`` so a settings form can treat it as invalid input.
    """


def json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    """``raw`` parsed as a JSON object, else ``MalformedCallback`` naming ``what``."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedCallback(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedCallback(f"{what} is not a JSON object")
    return value
