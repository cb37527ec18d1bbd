"""The working-time calendar that SLA targets are counted in.

The model is *days × periods*. A day is either a working day or not; every working day has the
same working periods, by default 09:00–12:00 and 13:00–18:00 wall-clock time in the calendar's
time zone (Asia/Shanghai). Working time is the union of those periods over the working days;
the lunch break, evenings, weekends and holidays are not counted.

Which days are working days:

1. a date in the company's ``days_off`` is not a working day; a date in its ``working_days``
   is one (a date cannot be in both);
2. otherwise China's official calendar decides, through the maintained library
   ``chinesecalendar`` (module ``chinese_calendar``): public holidays are off, and the
   adjusted working days (调休), often a Saturday or Sunday, are working days;
3. for a year the library has no data for (it raises ``NotImplementedError``: years before
   2004, and each new year until the State Council publishes its schedule and the library is
   updated) the calendar falls back to Monday–Friday less the statutory holidays the
   ``holidays`` library estimates from the law and the lunar calendar (New Year, the Spring
   Festival, Qingming, Labour Day, the Dragon Boat and Mid-Autumn festivals, National Day,
   with their usual extra days); the adjusted working days (调休) of such a year are unknown
   until published. It never fails on such a year; :func:`calendar_covers` tells pages when
   to warn that a year is only estimated, and admins can add the published days as company
   days meanwhile.

Times in are timezone-aware datetimes in any zone (a naive one is refused with ``ValueError``);
times out are aware datetimes in UTC. Minutes are counted exactly (to the microsecond) and
floored only when a count is returned. Wall-clock periods are used as they are: on a day when
a daylight-saving change falls inside a period (never in Asia/Shanghai) the count follows the
wall clock.

Speed: per-day facts are kept in per-year tables (a working-day flag and the cumulative
working time at the end of each day), built once per calendar and year, so adding or counting
any number of minutes is a table look-up and a binary search, never a per-minute or per-day
loop. Build a calendar once and reuse it; equal calendars share their tables.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import holidays

__all__ = [
    "DEFAULT_PERIODS",
    "WorkingCalendar",
    "calendar_covers",
    "working_minutes_excluding",
]

DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 0), dt.time(18, 0)),
)

_US_PER_MINUTE = 60_000_000
_UTC = dt.UTC
_MAX_YEAR = dt.MAXYEAR


@functools.lru_cache(maxsize=64)
def calendar_covers(year: int) -> bool:
    """Whether ``chinesecalendar`` knows China's holidays and adjusted days for ``year``.

    When it does not, that year's working days are estimated (Monday–Friday less the
    statutory holidays): a page that
    shows due times in such a year should say so.
    """
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=64)
def _official_working_flags(year: int) -> bytes:
    """One byte per day of ``year``: 1 for China's working days (estimated if not covered)."""
    day = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - day).days if year < _MAX_YEAR else 365
    one = dt.timedelta(days=1)
    covered = calendar_covers(year)
    estimated = frozenset() if covered else _statutory_holidays(year)
    flags = bytearray(days)
    for i in range(days):
        flags[i] = (chinese_calendar.is_workday(day) if covered
                    else day.weekday() < 5 and day not in estimated)
        day += one
    return bytes(flags)


def _statutory_holidays(year: int) -> frozenset[dt.date]:
    """China's statutory holidays of ``year`` as the ``holidays`` library computes them
    (none for a year it cannot compute)."""
    try:
        return frozenset(holidays.country_holidays("CN", years=year))
    except (NotImplementedError, KeyError, ValueError):
        return frozenset()


def _time_us(t: dt.time) -> int:
    """Microseconds since midnight of a wall-clock time."""
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


class _Year:
    """Per-day facts of one calendar year: working flags and cumulative working time (µs)."""

    __slots__ = ("first", "flags", "ends", "total")

    def __init__(self, first: int, flags: bytes, ends: list[int]) -> None:
        self.first = first  # ordinal of 1 January
        self.flags = flags
        self.ends = ends  # working µs from 1 January 00:00 to the end of each day
        self.total = ends[-1]


def _require_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (for example 2026-09-30T17:00:00+08:00); "
            f"got the naive datetime {value.isoformat()}"
        )


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days × working periods in one time zone (see the module docstring).

    ``periods`` are wall-clock ``(start, end)`` pairs, ordered, non-overlapping, each with
    start < end. ``days_off`` and ``working_days`` are the company's own exceptions to China's
    official calendar. Lists and sets are accepted and stored as tuples and frozensets.
    """

    timezone: str = "Asia/Shanghai"
    periods: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_PERIODS
    days_off: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _bounds: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _day_us: int = field(init=False, repr=False, compare=False)
    _years: dict[int, _Year] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        periods = tuple(tuple(p) for p in self.periods)
        bounds = _validate_periods(periods)
        days_off, working_days = frozenset(self.days_off), frozenset(self.working_days)
        for day in days_off | working_days:
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise ValueError(f"company days must be dates, got {day!r}")
        both = days_off & working_days
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"a date cannot be both a day off and a working day: {listed}")
        set_ = functools.partial(object.__setattr__, self)
        set_("periods", periods)
        set_("days_off", days_off)
        set_("working_days", working_days)
        set_("_zone", zone)
        set_("_bounds", bounds)
        set_("_day_us", sum(end - start for start, end in bounds))

    # -- days ---------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day: company exceptions first, then China's calendar.

        A ``datetime`` is taken as its calendar date as written (convert it to the calendar's
        zone first if it is in another one).
        """
        if isinstance(day, dt.datetime):
            day = day.date()
        table = self._year(day.year)
        return bool(table.flags[day.toordinal() - table.first])

    @property
    def minutes_per_day(self) -> int:
        """Working minutes in one working day (480 for the default periods)."""
        return self._day_us // _US_PER_MINUTE

    # -- counting -----------------------------------------------------------------------------

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The earliest moment by which ``minutes`` working minutes have passed since ``start``.

        A start outside working time counts from the next working period. The result of a
        positive count always lies inside a working period or at its end (09:00 + 180 minutes
        is 12:00, not 13:00). ``minutes == 0`` returns ``start`` itself (in UTC): nothing has
        to pass, so it is not moved to the next working moment. Returns an aware datetime in
        UTC; refuses a naive ``start`` or a negative count with ``ValueError``.
        """
        _require_aware(start, "start")
        minutes = operator.index(minutes)
        if minutes < 0:
            raise ValueError(f"minutes must be 0 or more, got {minutes}")
        return self._add_us(start, minutes * _US_PER_MINUTE) if minutes else \
            start.astimezone(_UTC)

    def _add_us(self, start: dt.datetime, amount: int) -> dt.datetime:  # amount µs > 0
        year, offset = self._position(start.astimezone(self._zone))
        target = offset + amount
        table = self._year(year)
        while target > table.total:
            target -= table.total
            if year >= _MAX_YEAR:
                raise ValueError(f"{amount // _US_PER_MINUTE} minutes from {start} end after 9999")
            year += 1
            table = self._year(year)
        ends = table.ends
        index = bisect.bisect_left(ends, target)
        rest = target - (ends[index - 1] if index else 0)  # 0 < rest <= one day's time
        for period_start, period_end in self._bounds:
            length = period_end - period_start
            if rest <= length:
                break
            rest -= length
        local = dt.datetime.combine(dt.date.fromordinal(table.first + index), dt.time())
        local += dt.timedelta(microseconds=period_start + rest)
        return local.replace(tzinfo=self._zone).astimezone(_UTC)

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time in ``[start, end)``, exact (a zero timedelta when end <= start)."""
        return dt.timedelta(microseconds=self._span_us(start, end))

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """:meth:`add_working_minutes` for an exact ``amount`` of working time (UTC)."""
        _require_aware(start, "start")
        us = amount // dt.timedelta(microseconds=1)
        if us < 0:
            raise ValueError(f"the working time must be 0 or more, got {amount}")
        return self._add_us(start, us) if us else start.astimezone(_UTC)

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working minutes in ``[start, end)``, floored to whole minutes; 0 when end <= start."""
        return self._span_us(start, end) // _US_PER_MINUTE

    def paused_minutes_between(
        self,
        start: dt.datetime,
        end: dt.datetime,
        pauses: Iterable[tuple[dt.datetime, dt.datetime | None]],
    ) -> int:
        """Working minutes of ``[start, end)`` covered by at least one pause, floored.

        Each pause is ``(paused_at, resumed_at)``; ``resumed_at`` None means still paused (until
        ``end``). Overlapping pauses count once; the parts outside ``[start, end)`` are ignored.
        """
        return self._paused_us(start, end, pauses) // _US_PER_MINUTE

    # -- internals ----------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = _shared_year(self, year)
            self._years[year] = table
        return table

    def _build_year(self, year: int) -> _Year:
        first = dt.date(year, 1, 1).toordinal()
        flags = bytearray(_official_working_flags(year))
        for day in self.days_off:
            if day.year == year:
                flags[day.toordinal() - first] = 0
        for day in self.working_days:
            if day.year == year:
                flags[day.toordinal() - first] = 1
        ends: list[int] = []
        total, day_us = 0, self._day_us
        for flag in flags:
            if flag:
                total += day_us
            ends.append(total)
        return _Year(first, bytes(flags), ends)

    def _position(self, local: dt.datetime) -> tuple[int, int]:
        """(year, working µs from 1 January 00:00 of that year to ``local``)."""
        table = self._year(local.year)
        index = local.toordinal() - table.first
        offset = table.ends[index - 1] if index else 0
        if table.flags[index]:
            now = (
                (local.hour * 60 + local.minute) * 60 + local.second
            ) * 1_000_000 + local.microsecond
            for period_start, period_end in self._bounds:
                if now <= period_start:
                    break
                offset += (period_end if now >= period_end else now) - period_start
        return local.year, offset

    def _span_us(self, start: dt.datetime, end: dt.datetime) -> int:
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0
        zone = self._zone
        year_a, offset_a = self._position(start.astimezone(zone))
        year_b, offset_b = self._position(end.astimezone(zone))
        span = offset_b - offset_a
        for year in range(year_a, year_b):
            span += self._year(year).total
        return max(span, 0)  # a wall clock that steps back (DST) may not count negative

    def _paused_us(
        self,
        start: dt.datetime,
        end: dt.datetime,
        pauses: Iterable[tuple[dt.datetime, dt.datetime | None]],
    ) -> int:
        _require_aware(start, "start")
        _require_aware(end, "end")
        clipped: list[tuple[dt.datetime, dt.datetime]] = []
        for paused_at, resumed_at in pauses:
            _require_aware(paused_at, "a pause's start")
            if resumed_at is not None:
                _require_aware(resumed_at, "a pause's end")
                if resumed_at < paused_at:
                    raise ValueError(
                        f"a pause ends ({resumed_at.isoformat()}) before it starts "
                        f"({paused_at.isoformat()})"
                    )
            lo = max(paused_at, start)
            hi = end if resumed_at is None else min(resumed_at, end)
            if lo < hi:
                clipped.append((lo, hi))
        clipped.sort()
        total = 0
        current: tuple[dt.datetime, dt.datetime] | None = None
        for lo, hi in clipped:
            if current is not None and lo <= current[1]:
                current = (current[0], max(current[1], hi))
                continue
            if current is not None:
                total += self._span_us(*current)
            current = (lo, hi)
        if current is not None:
            total += self._span_us(*current)
        return total


@functools.lru_cache(maxsize=256)
def _shared_year(calendar: WorkingCalendar, year: int) -> _Year:
    # Keyed by the calendar's value: a calendar rebuilt from the same settings (one per
    # request, say) reuses the tables an equal one already built.
    return calendar._build_year(year)


def _validate_periods(periods: tuple[tuple, ...]) -> tuple[tuple[int, int], ...]:
    """Check the periods and return their bounds in µs since midnight."""
    if not periods:
        raise ValueError("a working calendar needs at least one working period")
    bounds: list[tuple[int, int]] = []
    for period in periods:
        if len(period) != 2 or not all(isinstance(t, dt.time) for t in period):
            raise ValueError(f"a working period is a (start, end) pair of times, got {period!r}")
        start, end = period
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("working periods are wall-clock times without a time zone")
        if not start < end:
            raise ValueError(
                f"a working period must start before it ends: {start:%H:%M}–{end:%H:%M}"
            )
        if bounds and _time_us(start) < bounds[-1][1]:
            raise ValueError(
                "working periods must be in order and must not overlap: "
                f"{start:%H:%M}–{end:%H:%M} starts before the previous one ends"
            )
        bounds.append((_time_us(start), _time_us(end)))
    return tuple(bounds)


def working_minutes_excluding(
    calendar: WorkingCalendar,
    start: dt.datetime,
    end: dt.datetime,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]],
) -> int:
    """Working minutes in ``[start, end)`` less the time the ticket was paused.

    ``pauses`` are ``(paused_at, resumed_at)`` pairs (waiting on the customer); an open pause
    has ``resumed_at`` None and lasts until ``end``. Overlapping pauses are subtracted once,
    and only their working time inside ``[start, end)`` counts. The count is exact and floored
    once at the end.
    """
    span = calendar._span_us(start, end)
    return (span - calendar._paused_us(start, end, pauses)) // _US_PER_MINUTE
