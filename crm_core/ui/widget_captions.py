"""A dashboard widget's caption, the line under its title: "as of 09:20", "Last 30 days".

A widget's data function may return ``as_of`` (a UTC ``datetime`` or ISO 8601 text: when
the figures were computed, e.g. when precomputed counts were last refreshed) and/or
``caption`` (text). ``as_of`` becomes "as of 09:20" in the reader's time zone and language
(with the date when it is not today there); otherwise ``caption``, otherwise the widget's
own ``ReportWidget.caption``. Both keys are taken out of the data the chart draws.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _

from ..auth.timezones import to_user_time
from ..db import utcnow
from ..i18n import translate
from .formatting import format_datetime, format_time


def moment_of(value: Any) -> dt.datetime | None:
    """A widget's ``as_of`` (a datetime or ISO 8601 text) as an aware datetime, or None."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def as_of_text(value: Any) -> str | None:
    """"as of 09:20" (today in the reader's zone) or "as of 2026-12-03 09:20"."""
    moment = moment_of(value)
    if moment is None:
        return None
    same_day = to_user_time(moment).date() == to_user_time(utcnow()).date()
    shown = format_time(moment) if same_day else format_datetime(moment)
    return _("as of %(time)s", time=shown)


def split_caption(widget: Any, data: Any) -> tuple[Any, str | None, str | None]:
    """``(data without as_of/caption, caption text or None, as_of ISO text or None)``."""
    caption = translate(widget.caption) if getattr(widget, "caption", None) else None
    as_of = None
    if isinstance(data, dict) and ("as_of" in data or "caption" in data):
        data = dict(data)
        moment = moment_of(data.pop("as_of", None))
        given = data.pop("caption", None)
        if moment is not None:
            as_of = moment.astimezone(dt.UTC).isoformat()
            caption = as_of_text(moment)
        elif given:
            caption = translate(given)
    return data, caption, as_of
