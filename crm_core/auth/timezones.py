"""Each user's time zone: stored times stay UTC, pages show them in the reader's zone.

A user's ``timezone`` is an IANA name (``Europe/Berlin``); a user without one, a signed-out
visitor, a CLI command and a worker use ``CRM_DEFAULT_TIMEZONE`` (``Asia/Shanghai``).
Flask-Babel's ``to_user_timezone`` and ``datetimeformat`` follow the same choice.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context

from ..errors import ConfigError

DEFAULT_TIMEZONE = "Asia/Shanghai"
# Legacy aliases and POSIX-style names that nobody should pick from a list.
_HIDDEN_PREFIXES = ("Etc/", "SystemV/", "posix/", "right/", "US/", "Canada/", "Mexico/",
                    "Brazil/", "Chile/")


@functools.cache
def _all_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: Any) -> bool:
    """Whether ``name`` is an IANA time zone name this machine knows (``Asia/Shanghai``)."""
    return isinstance(name, str) and name in _all_zones()


@functools.cache
def timezone_names() -> tuple[str, ...]:
    """The zones a user picks from: ``UTC`` and every ``Region/City`` name, sorted."""
    names = sorted(name for name in _all_zones() if "/" in name
                   and not name.startswith(_HIDDEN_PREFIXES))
    return ("UTC", *names)


def default_timezone_name() -> str:
    """``CRM_DEFAULT_TIMEZONE`` of the running app (``Asia/Shanghai`` outside an app)."""
    if has_app_context():
        return str(current_app.config.get("CRM_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE)
    return DEFAULT_TIMEZONE


def _signed_in_user() -> Any:
    if not has_request_context():
        return None
    from flask_login import current_user

    try:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
    except AttributeError:  # no login manager in this app
        return None
    return user if getattr(user, "is_authenticated", False) else None


def user_timezone_name(user: Any = None) -> str:
    """The IANA name of ``user``'s zone (default: the signed-in user), else the default."""
    user = user if user is not None else _signed_in_user()
    name = getattr(user, "timezone", None)
    return name if is_valid_timezone(name) else default_timezone_name()


def user_timezone(user: Any = None) -> zoneinfo.ZoneInfo:
    """``user``'s zone (default: the signed-in user's, else ``CRM_DEFAULT_TIMEZONE``)."""
    return zoneinfo.ZoneInfo(user_timezone_name(user))


def to_user_time(moment: dt.datetime, user: Any = None,
                 zone: str | dt.tzinfo | None = None) -> dt.datetime:
    """A stored time in ``zone`` (a name or tzinfo; default: ``user``'s zone).

    A naive ``moment`` is taken as UTC, as the kernel stores every time in UTC.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if zone is None:
        tzinfo: dt.tzinfo = user_timezone(user)
    elif isinstance(zone, str):
        tzinfo = zoneinfo.ZoneInfo(zone)
    else:
        tzinfo = zone
    return moment.astimezone(tzinfo)


def init_app(app: Flask) -> None:
    """Check ``CRM_DEFAULT_TIMEZONE`` and make Flask-Babel use each user's zone."""
    name = str(app.config.get("CRM_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE).strip()
    if not is_valid_timezone(name):
        raise ConfigError(f"CRM_DEFAULT_TIMEZONE must be an IANA time zone name such as "
                          f"Asia/Shanghai, not {name!r}")
    app.config["CRM_DEFAULT_TIMEZONE"] = name
    babel = app.extensions.get("babel")
    if babel is not None:  # after i18n.init_app: to_user_timezone and |datetimeformat
        babel.default_timezone = name
        babel.timezone_selector = user_timezone_name


def clean_timezone(name: Any) -> str | None:
    """A submitted zone: None for "" (use the default), the name when valid; else a
    ``FieldError`` on the ``timezone`` field."""
    from flask_babel import gettext

    from ..rbac.service import FieldError

    text = str(name or "").strip()
    if not text:
        return None
    if not is_valid_timezone(text):
        raise FieldError("timezone", gettext("Choose a time zone from the list."))
    return text


def set_user_timezone(session: Any, user_id: int, name: Any) -> None:
    """Store ``name`` (an IANA zone, or "" for the default) as the user's time zone.

    Raises ``FieldError`` (field ``timezone``) for a name that is not a time zone; the
    change is flushed, and logged like any other write; the caller commits.
    """
    from .models import User

    zone = clean_timezone(name)
    user = session.get(User, user_id)
    if user is not None and user.timezone != zone:
        user.timezone = zone
        session.flush()


def timezone_choices(default_label: Any = None) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a select: each zone with its current UTC offset, after
    an optional first ``("", default_label)``."""
    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    pairs = [("", str(default_label))] if default_label is not None else []
    return pairs + list(_labelled_zones(hour))


@functools.lru_cache(maxsize=2)
def _labelled_zones(hour: dt.datetime) -> tuple[tuple[str, str], ...]:
    """Every zone with its UTC offset at ``hour`` (offsets change at most hourly)."""
    labelled = []
    for name in timezone_names():
        offset = hour.astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
        labelled.append((name, f"{name} (UTC{offset[:3]}:{offset[3:]})"))
    return tuple(labelled)
