"""How pages show dates, times, money, numbers and phone numbers.

Each helper is a Python function (in ``crm_core.toolkit``) and a Jinja filter of the same
meaning: ``{{ customer.created_at|datetime }}``, ``{{ order.total|money }}``. Times are stored
in UTC and shown in the reader's time zone (``auth/timezones.py``); an empty value shows as
``—`` so a table cell is never blank by accident.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import phonenumbers
from babel.numbers import format_decimal
from flask import Flask, has_request_context

from ..auth.timezones import to_user_time
from ..db import utcnow

EMPTY = "—"
DATE, MINUTES, SECONDS = "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"
_CURRENCY_SYMBOLS = {"CNY": "¥"}


def _locale() -> str:
    if has_request_context():
        from ..i18n import current_locale

        return current_locale()
    return "zh_CN"


def format_datetime(value: dt.datetime | None, *, seconds: bool = False, zone: bool = False,
                    user: Any = None, tz: str | dt.tzinfo | None = None) -> str:
    """A stored (UTC) time in the reader's zone: ``2026-12-04 21:30``.

    ``seconds`` adds the seconds; ``zone`` names the zone after the time
    (``2026-12-04 14:30 Europe/Berlin``), for pages where readers in several zones compare
    times (the operation log, jobs). ``user`` picks whose zone (default: the signed-in
    user's, else ``CRM_DEFAULT_TIMEZONE``); ``tz`` names a zone outright.
    """
    if value is None:
        return EMPTY
    if not isinstance(value, dt.datetime):  # a date has no time zone to convert
        return format_date(value)
    local = to_user_time(value, user=user, zone=tz)
    text = local.strftime(SECONDS if seconds else MINUTES)
    return f"{text} {getattr(local.tzinfo, 'key', None) or local.tzname()}" if zone else text


def format_date(value: dt.date | dt.datetime | None, *, user: Any = None,
                tz: str | dt.tzinfo | None = None) -> str:
    """A date, ``2026-12-04``; a stored time gives its date in the reader's zone."""
    if value is None:
        return EMPTY
    if isinstance(value, dt.datetime):
        value = to_user_time(value, user=user, zone=tz).date()
    return value.strftime(DATE)


def format_time(value: dt.datetime | dt.time | None, *, seconds: bool = False,
                user: Any = None, tz: str | dt.tzinfo | None = None) -> str:
    """The time of day, ``21:30``; a stored time is shown in the reader's zone."""
    if value is None:
        return EMPTY
    if isinstance(value, dt.datetime):
        value = to_user_time(value, user=user, zone=tz).time()
    return value.strftime("%H:%M:%S" if seconds else "%H:%M")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_number(value: Any, *, places: int | None = None, locale: str | None = None) -> str:
    """A number with the locale's thousands separators: ``1,234,567`` / ``1,234.5``.

    ``places`` fixes the decimal places (rounded half up); otherwise as many as the value
    has. Not a number: ``—``.
    """
    number = _decimal(value)
    if number is None:
        return EMPTY
    pattern = "#,##0"
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        pattern += "." + "0" * places if places > 0 else ""
    else:
        pattern += ".###############"
    return format_decimal(number, format=pattern, locale=locale or _locale(),
                          decimal_quantization=places is not None)


def format_money(value: Any, currency: str = "CNY", *, locale: str | None = None) -> str:
    """An amount of money to the fen: ``¥1,234.50``, ``-¥1,234.50``; None: ``—``.

    ``value`` is in yuan (a ``Decimal``, int, float or numeric string). Another
    ``currency`` (ISO code) is written with its code: ``USD 1,234.50``.
    """
    number = _decimal(value)
    if number is None:
        return EMPTY
    amount = format_number(abs(number), places=2, locale=locale)
    symbol = _CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "-" if number < 0 and amount.strip("0.,") else ""
    return f"{sign}{symbol}{amount}"


def format_phone(value: str | None, region: str = "CN") -> str:
    """A phone number as people of ``region`` read it: a number of that country in its
    national format (for China grouped by spaces: ``139 1234 5678``, ``021 3494 9468``), a
    number of another country in E.164 (``+14155552671``); an extension follows
    (``010 6552 9988 转 89``). Anything that is not a phone number is shown as given."""
    if value is None or not str(value).strip():
        return EMPTY
    text = str(value).strip()
    if "*" in text:  # a masked number (139****5678, crm_core.sensitive) is shown as it is
        return text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    extension, number.extension = number.extension, None
    if number.country_code == phonenumbers.country_code_for_region(region):
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        shown = shown.replace("-", " ") if region == "CN" else shown
    else:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if extension:
        shown += f" 转 {extension}" if _locale().startswith("zh") else f" ext. {extension}"
    return shown


FILTERS = {
    "datetime": format_datetime,
    "date": format_date,
    "time": format_time,
    "number": format_number,
    "money": format_money,
    "phone": format_phone,
}


def init_app(app: Flask) -> None:
    """Register the helpers as Jinja filters (``|datetime``, ``|money``, ...)."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["crm_timezone"] = _timezone_global
    app.jinja_env.globals["crm_now"] = utcnow


def _timezone_global() -> str:
    """``{{ crm_timezone() }}``: the reader's zone name, to say which zone a page uses."""
    from ..auth.timezones import user_timezone_name

    return user_timezone_name()
