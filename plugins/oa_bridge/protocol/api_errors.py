"""Errors of the vendors' REST APIs, told apart from their answers (pure Python).

Every vendor answers HTTP 200 with an error code in the body for most failures: DingTalk's new
API answers 4xx/5xx with ``{"code", "message"}``, WeCom ``{"errcode", "errmsg"}``, Feishu
``{"code", "msg"}``. :func:`check_answer` turns an answer into a value or one of these errors.
"""

from __future__ import annotations

from typing import Any

#: Codes that mean "too many calls": WeCom 45009 (API frequency), 45033, Feishu 99991400;
#: DingTalk's new API says so in the code text (``…QpsLimit…``, ``Throttling``).
THROTTLE_CODES = {"45009", "45033", "99991400"}
#: Codes that mean the access token is no longer good: fetch a new one and try again.
TOKEN_CODES = {"40014", "42001", "99991663", "99991668", "InvalidAuthentication"}


class VendorError(Exception):
    """A vendor refused a call. ``retryable``: a later try may succeed (5xx, throttling, an
    expired token); otherwise the request itself is wrong (a 4xx: fix the mapping)."""

    retryable = False

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class Unavailable(VendorError):
    """A 5xx answer or a network failure."""

    retryable = True


class Throttled(VendorError):
    """The vendor's rate limit was hit; ``retry_after`` seconds to wait (None: unknown)."""

    retryable = True

    def __init__(self, message: str, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after


class TokenExpired(VendorError):
    """The access token was refused: the cache must be refreshed."""

    retryable = True


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, min(float(value), 600.0)) if value is not None else None
    except ValueError:
        return None


def check_answer(status: int, body: Any, headers: Any = None) -> dict[str, Any]:
    """The JSON object of a successful answer; raises a :class:`VendorError` otherwise."""
    data = body if isinstance(body, dict) else {}
    code = str(data.get("errcode", data.get("code", 0)) or 0)
    message = str(data.get("errmsg") or data.get("msg") or data.get("message") or "")[:200]
    if status == 429 or code in THROTTLE_CODES or "qpslimit" in code.lower() \
            or "throttl" in code.lower():
        raise Throttled(f"rate limited ({code})", code, _retry_after(headers))
    if code in TOKEN_CODES or status == 401:
        raise TokenExpired(f"access token refused ({code})", code)
    if status >= 500:
        raise Unavailable(f"HTTP {status} {message}".strip(), code)
    if status >= 400 or code != "0":
        raise VendorError(f"HTTP {status} code {code}: {message}", code)
    if not isinstance(body, dict):
        raise Unavailable("answer is not a JSON object")
    return body
