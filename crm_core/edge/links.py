"""Signed links for people without an account: a survey, a request's status page.

A link carries a small payload signed with the app's secret key under a *purpose* (a link
made for one purpose never opens another) and the time it was made. Reading it back checks
both; it answers the payload, or raises :class:`LinkExpired` / :class:`LinkInvalid`, which a
page turns into a friendly message (never an error page). Single use is the caller's record:
a survey remembers that it was answered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import DomainError

#: A longer token is not one of ours; refusing it early keeps the decoder's work small.
MAX_TOKEN_LENGTH = 1024


class LinkInvalid(DomainError):
    """The link was not made by this app for this purpose (forged, cut, or another kind)."""

    status = 404


class LinkExpired(DomainError):
    """The link was genuine but is older than it may be."""

    status = 410


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if not purpose:
        raise ValueError("a signed link needs a purpose")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"crm-link:{purpose}")


def sign_link(purpose: str, payload: Any) -> str:
    """A URL-safe token carrying ``payload`` (JSON-able: ids, short strings) for ``purpose``."""
    return str(_serializer(purpose).dumps(payload))


def read_link(purpose: str, token: str, max_age: dt.timedelta | int | None = None) -> Any:
    """The payload of ``token`` made by :func:`sign_link` for ``purpose``.

    ``max_age`` (seconds or a timedelta; None: no limit) bounds how old it may be. Raises
    :class:`LinkInvalid` for a token that is not ours and :class:`LinkExpired` for one that
    is too old."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid(_("This link is not valid."))
    seconds = max_age.total_seconds() if isinstance(max_age, dt.timedelta) else max_age
    try:
        return _serializer(purpose).loads(token, max_age=seconds)
    except SignatureExpired as expired:
        raise LinkExpired(_("This link has expired.")) from expired
    except (BadSignature, UnicodeError, ValueError) as bad:
        raise LinkInvalid(_("This link is not valid.")) from bad
