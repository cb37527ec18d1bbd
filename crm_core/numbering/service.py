"""Hand out the next number of a series: ``next_number(session, "sales.order", pattern)``.

A pattern is text with placeholders: ``{yyyy}`` ``{yy}`` ``{mm}`` ``{dd}`` of the date and
``{seq}`` (``{seq:04}`` pads with zeros to 4 digits) of the running number, e.g.
``SO{yyyy}{mm}-{seq:04}`` → ``SO202612-0001``. The sequence is counted per *period*, the
pattern rendered with its sequence left out, so it starts again at 1 when the period text
changes (a new month for this pattern; never for ``C-{seq}``).

One statement takes the number: ``INSERT … ON CONFLICT DO UPDATE … RETURNING``. It locks
the series' row until the caller's transaction ends, so two requests never get the same
number, and a rolled-back transaction gives its number back (no gaps from failed saves).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from flask_babel import gettext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..auth.timezones import default_timezone_name
from ..errors import DomainError
from .models import NumberSeries

PATTERN_MAX = 100
KEY_MAX = 120
_TOKEN = re.compile(r"\{([^{}]*)\}")
_SEQ = re.compile(r"seq(?::0([1-9]))?")
_DATE_PARTS = {"yyyy": "%Y", "yy": "%y", "mm": "%m", "dd": "%d"}


class NumberPatternError(DomainError, ValueError):
    """A number pattern (or series key) that cannot number documents; the message says why."""


def check_number_pattern(pattern: str) -> None:
    """Raise ``NumberPatternError`` (a ``DomainError`` and a ``ValueError``) with a message a
    user understands when ``pattern`` is not a usable number pattern: it must hold
    ``{seq}`` or ``{seq:0N}`` (N 1–9) exactly once, may hold ``{yyyy}`` ``{yy}`` ``{mm}``
    ``{dd}``, no other braces, and have 1 to 100 characters."""
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > PATTERN_MAX:
        raise NumberPatternError(gettext("A number pattern has 1 to %(max)d characters.",
                                         max=PATTERN_MAX))
    if any(char in _TOKEN.sub("", pattern) for char in "{}"):
        raise NumberPatternError(gettext("In a number pattern, braces enclose a placeholder."))
    tokens = _TOKEN.findall(pattern)
    if any(token not in _DATE_PARTS and not _SEQ.fullmatch(token) for token in tokens):
        raise NumberPatternError(gettext(
            "A number pattern knows only {yyyy}, {yy}, {mm}, {dd} and {seq} (or {seq:04})."))
    if sum(1 for token in tokens if _SEQ.fullmatch(token)) != 1:
        raise NumberPatternError(gettext("A number pattern must contain {seq} once."))


def _business_day(when: dt.date | dt.datetime | None) -> dt.date:
    if when is None:
        return dt.datetime.now(zoneinfo.ZoneInfo(default_timezone_name())).date()
    if isinstance(when, dt.datetime):
        if when.tzinfo is not None:
            when = when.astimezone(zoneinfo.ZoneInfo(default_timezone_name()))
        return when.date()
    return when


def _render(pattern: str, day: dt.date, seq: int | None) -> str:
    def part(match: re.Match[str]) -> str:
        token = match.group(1)
        if token in _DATE_PARTS:
            return day.strftime(_DATE_PARTS[token])
        if seq is None:
            return "{seq}"
        width = _SEQ.fullmatch(token).group(1)  # type: ignore[union-attr]
        return str(seq).zfill(int(width or 0))

    return _TOKEN.sub(part, pattern)


def next_number(session: Session, key: str, pattern: str, *,
                when: dt.date | dt.datetime | None = None) -> str:
    """The next number of series ``key`` in ``pattern`` for the date ``when`` (default:
    today in ``CRM_DEFAULT_TIMEZONE``; an aware datetime is read in that zone).

    ``next_number(session, "sales.order", "SO{yyyy}{mm}-{seq:04}")`` → ``SO202612-0001``,
    then ``SO202612-0002``; in January ``SO202701-0001``. Changing only the padding
    (``{seq:05}``) keeps counting. The number is taken inside the caller's transaction:
    commit it with the document that carries it. Raises ``NumberPatternError`` for an
    unusable pattern or key.
    """
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX:
        raise NumberPatternError(gettext("A number series needs a name of 1 to %(max)d "
                                         "characters.", max=KEY_MAX))
    check_number_pattern(pattern)
    day = _business_day(when)
    period = _render(pattern, day, None)
    table = NumberSeries.__table__
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"next_number supports PostgreSQL and SQLite, not {dialect}")
    statement = (
        insert(table).values(key=key, period=period, last_value=1)
        .on_conflict_do_update(index_elements=[table.c.key, table.c.period],
                               set_={"last_value": table.c.last_value + 1})
        .returning(table.c.last_value))
    seq = session.execute(statement).scalar_one()
    return _render(pattern, day, seq)
