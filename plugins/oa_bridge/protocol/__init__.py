"""The OA protocol layer: vendor crypto, signatures and replay checks, pure Python.

No Flask, no database and no network here: every function takes plain values and either returns
or raises a :class:`CallbackRefused` whose ``reason`` is safe to log. Modules:

- ``callback_crypto``: DingTalk HTTP callbacks and WeCom (SHA-1 signature, AES-256-CBC, trailer);
- ``feishu``: Feishu/Lark event decryption, X-Lark-Signature and url_verification;
- ``robots``: DingTalk and Feishu group robot signing, the WeCom robot URL, URL redaction;
- ``freshness``: timestamp windows and the :class:`SeenIds` replay guard;
- ``errors``: the :class:`CallbackRefused` family;
- ``api_errors``: the vendors' REST answers read as a value or a ``VendorError`` (throttled,
  token refused, unavailable, refused).

See docs/oa_bridge.md for the vectors each one is tested against.
"""

from plugins.oa_bridge.protocol.errors import (
    BadKey,
    CallbackRefused,
    DecryptError,
    MalformedCallback,
    Replayed,
    SignatureMismatch,
    StaleTimestamp,
    WrongReceiver,
)

__all__ = [
    "BadKey",
    "CallbackRefused",
    "DecryptError",
    "MalformedCallback",
    "Replayed",
    "SignatureMismatch",
    "StaleTimestamp",
    "WrongReceiver",
]
