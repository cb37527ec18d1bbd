"""Dates of another system's export (when it created a customer, its last and next
follow-up) as it writes them: "2021-03-05", "2021/3/5", "2021年3月5日", "20210305",
"2021-03-05 14:30" (what the readers make of an Excel date cell), Excel's serial number of
the day ("44260", an Excel date that reached a CSV unformatted), or ISO 8601 with an offset
(what the kernel's export writes)."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _

from crm_core.toolkit import utcnow

from ..validation import FieldError

__all__ = ["created_moment", "follow_up_day", "past_moment"]

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[\sT]+(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})\s*秒?)?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:[\sT]*(\d{2})(\d{2})(\d{2})?)?")  # 20210305
# A date cell that reached a CSV as Excel's serial number (days since 1899-12-30, the time
# as the fraction): five digits are 1927 to 2173, which no other reading of a date has.
_SERIAL = re.compile(r"[1-9]\d{4}(?:\.\d+)?")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
_LATEST_DAY = dt.date(2100, 12, 31)


def created_moment(text: str, zone: dt.tzinfo) -> dt.datetime:
    """``text`` as an aware UTC time, read in ``zone`` when it names none; FieldError with a
    message for the user when it is no date, or one before 1900 or after today."""
    moment = _moment(text, zone, "created_at")
    if not _has_passed(moment):
        raise FieldError("created_at", _("A customer cannot have been created before 1900 or "
                                         "after today."))
    return moment


def past_moment(text: str, zone: dt.tzinfo, field: str) -> dt.datetime:
    """As ``created_moment``, for a moment that has passed (the last follow-up)."""
    moment = _moment(text, zone, field)
    if not _has_passed(moment):
        raise FieldError(field, _("Enter a day between 1900 and today."))
    return moment


def follow_up_day(text: str, zone: dt.tzinfo, field: str) -> dt.date:
    """The day ``text`` names (a time after it is dropped), past or future, up to 2100."""
    moment = _moment(text, zone, field)
    day = moment.astimezone(zone).date()
    if not _EARLIEST.date() <= day <= _LATEST_DAY:
        raise FieldError(field, _("Enter a day between 1900 and 2100."))
    return day


def _has_passed(moment: dt.datetime) -> bool:
    return _EARLIEST <= moment <= utcnow() + dt.timedelta(days=1)  # a day: any zone's today


_LONGEST = 40  # "2021年03月05日 14时30分00秒" and ISO 8601 with an offset fit


def _moment(text: str, zone: dt.tzinfo, field: str) -> dt.datetime:
    # Spaces collapsed and the length bounded first: the patterns' optional spaces would
    # backtrack over a long run of them (a padded cell took seconds; docs/SECURITY.md).
    text = " ".join(text.split())[:_LONGEST + 1]
    try:
        if len(text) > _LONGEST:
            raise ValueError(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        found = _DATE.fullmatch(text) or _COMPACT.fullmatch(text)
        if found is None and _SERIAL.fullmatch(text):
            moment = _EXCEL_EPOCH + dt.timedelta(seconds=round(float(text) * 86_400))
        elif found is None:
            raise FieldError(field, _("Write the date as 2021-03-05 (a time may "
                                      "follow: 2021-03-05 14:30).")) from None
        else:
            try:
                moment = dt.datetime(*(int(part) if part else 0 for part in found.groups()))
            except ValueError:
                raise FieldError(field, _("%(text)s is no day of the calendar.",
                                          text=text)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)
