"""The types of custom fields: how a value is read (from JSON, a form or a spreadsheet
cell), checked, stored in the ``custom`` JSON column and shown.

Stored values are plain JSON that both databases compare correctly: numbers as numbers
(money as integer minor units, fen), dates as ``YYYY-MM-DD``, times as ``YYYY-MM-DDTHH:MM:SSZ``
(UTC), choices as the option's value, multiple choices as a list, a user as its id.
``parse`` raises ``ValueError`` with a message a user understands.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

TEXT_MAX, LONG_TEXT_MAX = 500, 10_000
NUMBER_MAX = 10**15
MINOR_UNITS = 100
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

#: Every type with its label, in the order the admin page offers them.
TYPES: dict[str, Any] = {
    "text": _l("Text"), "long_text": _l("Long text"), "integer": _l("Integer"),
    "decimal": _l("Decimal"), "money": _l("Money"), "date": _l("Date"),
    "datetime": _l("Date and time"), "boolean": _l("Yes/no"), "choice": _l("Single choice"),
    "multi_choice": _l("Multiple choice"), "user": _l("User"), "url": _l("URL"),
    "email": _l("E-mail"), "phone": _l("Phone"),
}
CHOICE_TYPES = ("choice", "multi_choice")
NUMBER_TYPES = ("integer", "decimal", "money")
#: Types a filterable field's index and the list's sorts can use.
INDEXABLE = ("text", "integer", "decimal", "money", "date", "datetime", "boolean", "choice",
             "user", "url", "email", "phone")
KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{3,28}[0-9](;ext=[0-9]{1,8})?")
URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
SEPARATORS = re.compile(r"[,;，；、\n]+")
YES = {"1", "true", "yes", "y", "是", "对", "真", "on", "x", "√"}
NO = {"0", "false", "no", "n", "否", "不", "假", "off"}


def empty(value: Any) -> bool:
    """Whether ``value`` means "no value" (None, blank text, an empty list)."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise ValueError(_("Enter text."))
    text = str(value).strip()
    if len(text) > limit:
        raise ValueError(_("At most %(max)d characters.", max=limit))
    return text


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", "")
                         .lstrip("¥￥$"))
    except (InvalidOperation, ValueError):
        raise ValueError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) > NUMBER_MAX:
        raise ValueError(_("Enter a number between -%(max)s and %(max)s.", max=NUMBER_MAX))
    return number


def _day(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    found = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?",
                         str(value).strip()[:20])
    try:
        if found is None:
            raise ValueError
        return dt.date(*(int(part) for part in found.groups())).isoformat()
    except ValueError:
        raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None


def _moment(value: Any) -> str:
    if not isinstance(value, dt.datetime):
        text = str(value).strip()[:40].replace("Z", "+00:00").replace("/", "-")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(_("Enter a date and time as YYYY-MM-DD HH:MM.")) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):  # past year 9999 or before year 1 in UTC
        raise ValueError(_("Enter a date and time as YYYY-MM-DD HH:MM.")) from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(_("Enter yes or no."))


def _choices(field: Any, value: Any, current: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else SEPARATORS.split(str(value))
    kept = set(current or []) if isinstance(current, list) else {current}
    chosen: list[str] = []
    for item in items:
        text = str(item).strip()
        if not text or text in chosen:
            continue
        if text not in field.option_values() and text not in kept:
            raise ValueError(_("%(value)s is not one of the options.", value=text))
        chosen.append(text)
    return chosen


def parse(field: Any, value: Any, current: Any = None) -> Any:
    """The stored form of ``value`` for ``field`` (None for no value); raises ``ValueError``.
    ``current`` is the record's value now: a removed option it holds stays allowed."""
    if empty(value):
        return None
    kind = field.type
    if kind in ("text", "long_text"):
        return _text(value, TEXT_MAX if kind == "text" else LONG_TEXT_MAX)
    if kind == "integer":
        number = _decimal(value)
        if number != number.to_integral_value() or not INT_MIN <= number <= INT_MAX:
            raise ValueError(_("Enter a whole number."))
        return int(number)
    if kind == "decimal":
        number = _decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "money":
        number = _decimal(value) * MINOR_UNITS
        if number != number.to_integral_value():
            raise ValueError(_("Enter an amount with at most two decimals."))
        return int(number)
    if kind == "date":
        return _day(value)
    if kind == "datetime":
        return _moment(value)
    if kind == "boolean":
        return _boolean(value)
    if kind == "choice":
        chosen = _choices(field, [value] if isinstance(value, str) else value, current)
        if len(chosen) != 1:
            raise ValueError(_("Choose one of the options."))
        return chosen[0]
    if kind == "multi_choice":
        return _choices(field, value, current) or None
    if kind == "user":
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise ValueError(_("Choose a user."))
        return int(str(value).strip())
    text = _text(value, TEXT_MAX)
    if kind == "email":
        if not EMAIL.fullmatch(text):
            raise ValueError(_("Enter an e-mail address such as name@example.com."))
        return text.lower()
    if kind == "url":
        if "://" not in text:
            text = f"http://{text}"
        if not URL.fullmatch(text):
            raise ValueError(_("Enter a web address such as https://example.com."))
        return text
    if kind == "phone":
        if not PHONE.fullmatch(text):
            raise ValueError(_("Enter a phone number: digits, spaces, - and a leading +."))
        return text
    raise ValueError(_("Unknown field type."))


def as_text(field: Any, value: Any) -> str:
    """A stored value as plain text that ``parse`` reads back (exports, type changes)."""
    if value is None:
        return ""
    if field.type == "money" and isinstance(value, int | float):
        return f"{Decimal(int(value)) / MINOR_UNITS:.2f}"
    if field.type == "boolean":
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def api_value(field: Any, value: Any) -> Any:
    """A stored value as the API answers it (money as a decimal string)."""
    if value is None:
        return None
    if field.type == "money":
        return as_text(field, value)
    return value


def display(field: Any, value: Any, users: dict[int, str] | None = None) -> str:
    """A stored value as pages show it: money with separators, yes/no, a removed option
    marked "(removed)", a user by name."""
    if value is None or value == []:
        return ""
    if field.type == "money" and isinstance(value, int | float):
        return f"{Decimal(int(value)) / MINOR_UNITS:,.2f}"
    if field.type == "boolean":
        return _("Yes") if value else _("No")
    if field.type == "user":
        return (users or {}).get(value, f"#{value}")
    if field.type in CHOICE_TYPES:
        items = value if isinstance(value, list) else [value]
        shown = []
        for item in items:
            option = field.option(item)
            shown.append(str(item) if option is not None and not option.get("removed")
                         else _("%(value)s (removed)", value=item))
        return ", ".join(shown)
    if field.type == "datetime":
        return str(value).replace("T", " ").removesuffix("Z")
    if isinstance(value, float):
        return f"{value:,}"
    return str(value)
