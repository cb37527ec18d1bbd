"""The SLA working calendar: China's holidays and 调休 days, lunch breaks, company days, pauses.

Pure arithmetic: no application, no database. Times are written in Asia/Shanghai (+08:00)
unless a test is about another zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.service.sla.calendar import (
    WorkingCalendar,
    calendar_covers,
    working_minutes_excluding,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An aware datetime in Asia/Shanghai."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI)


# -- the acceptance case ------------------------------------------------------------


def test_library_knows_the_2026_national_day_schedule():
    # The State Council's 2026 schedule as chinesecalendar carries it: National Day 1–7 Oct
    # off, Sunday 20 Sep and Saturday 10 Oct worked in exchange.
    for day in range(1, 8):
        assert chinese_calendar.get_holiday_detail(dt.date(2026, 10, day)) == (
            True,
            "National Day",
        )
    assert chinese_calendar.is_workday(dt.date(2026, 10, 8))
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10))
    assert calendar_covers(2026)


def test_ticket_opened_before_national_day_is_due_after_the_holiday():
    opened = sh(2026, 9, 30, 17, 0)  # a Wednesday, the last working day before the holiday
    # By hand, 8 working hours = 480 minutes:
    #   Wed 30 Sep 17:00–18:00                     60 min  (420 left)
    #   Thu 1 – Wed 7 Oct: National Day holiday     0 min
    #   Thu 8 Oct 09:00–12:00                      180 min  (240 left)
    #   Thu 8 Oct 13:00–17:00                      240 min  (0 left)
    # so the ticket is due on Thursday 8 Oct 2026 at 17:00 +08:00, 09:00 UTC.
    due = CAL.add_working_minutes(opened, 8 * 60)
    assert due == dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)
    assert due.tzinfo is dt.UTC
    assert CAL.working_minutes_between(opened, due) == 480
    # a minute before the due time it is not yet breached; the holiday week counts nothing
    assert CAL.working_minutes_between(opened, due - dt.timedelta(minutes=1)) == 479
    assert CAL.working_minutes_between(sh(2026, 10, 1), sh(2026, 10, 8)) == 0


# -- days ---------------------------------------------------------------------------------


def test_lunch_break_is_not_counted():
    assert CAL.working_minutes_between(sh(2026, 11, 25, 11), sh(2026, 11, 25, 14)) == 120
    assert local(CAL.add_working_minutes(sh(2026, 11, 25, 11, 30), 60)) == sh(2026, 11, 25, 13, 30)
    assert CAL.working_minutes_between(sh(2026, 11, 25, 12, 10), sh(2026, 11, 25, 12, 50)) == 0


def test_a_full_working_day_is_eight_hours():
    assert CAL.minutes_per_day == 480
    assert CAL.working_minutes_between(sh(2026, 11, 25), sh(2026, 11, 26)) == 480


def test_the_weekend_is_skipped():
    friday = sh(2026, 11, 27, 17)
    assert local(CAL.add_working_minutes(friday, 120)) == sh(2026, 11, 30, 10)
    assert CAL.working_minutes_between(friday, sh(2026, 11, 30, 10)) == 120
    assert not CAL.is_working_day(dt.date(2026, 11, 28))


def test_an_adjusted_saturday_is_a_working_day():
    # Saturday 10 Oct 2026 is worked in exchange for National Day (调休)
    assert CAL.is_working_day(dt.date(2026, 10, 10))
    assert CAL.is_working_day(dt.date(2026, 9, 20))  # a Sunday, also worked
    assert local(CAL.add_working_minutes(sh(2026, 10, 9, 17), 120)) == sh(2026, 10, 10, 10)


def test_a_public_holiday_on_a_weekday_is_not_a_working_day():
    assert not CAL.is_working_day(dt.date(2026, 10, 5))  # a Monday
    assert not CAL.is_working_day(dt.date(2026, 2, 17))  # Spring Festival, a Tuesday


def test_a_company_day_off_is_skipped():
    calendar = WorkingCalendar(days_off=frozenset({dt.date(2026, 11, 30)}))
    assert not calendar.is_working_day(dt.date(2026, 11, 30))
    assert local(calendar.add_working_minutes(sh(2026, 11, 27, 17), 120)) == sh(2026, 12, 1, 10)
    # the default calendar is not touched by another one's days
    assert CAL.is_working_day(dt.date(2026, 11, 30))


def test_a_company_extra_working_day_is_counted():
    calendar = WorkingCalendar(working_days={dt.date(2026, 11, 28)})  # a set is accepted
    assert calendar.is_working_day(dt.date(2026, 11, 28))
    assert local(calendar.add_working_minutes(sh(2026, 11, 27, 17), 120)) == sh(2026, 11, 28, 10)
    # a company working day beats a public holiday too
    national = WorkingCalendar(working_days=frozenset({dt.date(2026, 10, 2)}))
    assert national.working_minutes_between(sh(2026, 10, 1), sh(2026, 10, 8)) == 480


def test_equal_calendars_are_equal_and_hashable():
    one = WorkingCalendar(days_off={dt.date(2026, 11, 30)})
    two = WorkingCalendar(days_off=[dt.date(2026, 11, 30)])
    assert one == two and hash(one) == hash(two)
    assert one != CAL


# -- starts outside working time ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (sh(2026, 11, 25, 8), 60, sh(2026, 11, 25, 10)),  # before work: counts from 09:00
        (sh(2026, 11, 25, 12, 30), 30, sh(2026, 11, 25, 13, 30)),  # at lunch: from 13:00
        (sh(2026, 11, 25, 18, 30), 30, sh(2026, 11, 26, 9, 30)),  # evening: next morning
        (sh(2026, 11, 28, 11), 30, sh(2026, 11, 30, 9, 30)),  # Saturday: Monday morning
        (sh(2026, 11, 25, 9), 180, sh(2026, 11, 25, 12)),  # ends at 12:00, not 13:00
        (sh(2026, 11, 25, 13), 300, sh(2026, 11, 25, 18)),  # ends at 18:00, not next 09:00
    ],
)
def test_start_outside_working_time_counts_from_the_next_period(start, minutes, due):
    assert local(CAL.add_working_minutes(start, minutes)) == due
    assert CAL.working_minutes_between(start, due) == minutes


def test_zero_minutes_returns_the_start_itself():
    evening = sh(2026, 11, 25, 20)
    assert CAL.add_working_minutes(evening, 0) == evening
    assert CAL.add_working_minutes(evening, 0).tzinfo is dt.UTC


def test_counts_before_and_after_working_hours_are_zero():
    assert CAL.working_minutes_between(sh(2026, 11, 25, 8), sh(2026, 11, 25, 9)) == 0
    assert CAL.working_minutes_between(sh(2026, 11, 25, 18), sh(2026, 11, 26, 9)) == 0
    assert CAL.working_minutes_between(sh(2026, 11, 26), sh(2026, 11, 25)) == 0


# -- year ends and years the library does not know -----------------------------------------


def test_a_span_across_new_year_skips_the_holiday_and_counts_the_adjusted_sunday():
    # 1–3 Jan 2026 are New Year's holidays; Sunday 4 Jan 2026 is worked (调休)
    start = sh(2025, 12, 31, 17)
    assert local(CAL.add_working_minutes(start, 120)) == sh(2026, 1, 4, 10)
    assert CAL.working_minutes_between(start, sh(2026, 1, 5, 9)) == 60 + 480


def test_a_whole_year_counts_each_official_working_day_once():
    for year in (2025, 2026):
        first = dt.date(year, 1, 1)
        days = [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]
        workdays = sum(chinese_calendar.is_workday(day) for day in days)
        assert CAL.working_minutes_between(sh(year, 1, 1), sh(year + 1, 1, 1)) == workdays * 480
    both = CAL.working_minutes_between(sh(2025, 1, 1), sh(2027, 1, 1))
    assert both == CAL.working_minutes_between(sh(2025, 1, 1), sh(2026, 1, 1)) + (
        CAL.working_minutes_between(sh(2026, 1, 1), sh(2027, 1, 1))
    )


def test_a_year_the_library_does_not_know_is_estimated_from_the_statutory_holidays():
    assert not calendar_covers(2003) and not calendar_covers(2100)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2003, 10, 1))
    # without the published schedule, National Day and the Spring Festival are still off
    assert not CAL.is_working_day(dt.date(2003, 10, 1))  # a Wednesday, National Day
    assert not CAL.is_working_day(dt.date(2003, 10, 4))  # a Saturday
    assert CAL.is_working_day(dt.date(2003, 10, 9))  # an ordinary Thursday
    assert not CAL.is_working_day(dt.date(2027, 1, 1))  # a Friday, New Year's Day
    assert not CAL.is_working_day(dt.date(2027, 2, 8))  # a Monday of the Spring Festival
    assert CAL.is_working_day(dt.date(2027, 3, 1))
    # Thursday 31 Dec 2099 → Monday 4 Jan 2100 (Friday 1 January is New Year's Day)
    assert local(CAL.add_working_minutes(sh(2099, 12, 31, 17), 120)) == sh(2100, 1, 4, 10)
    # company days still apply in such a year
    calendar = WorkingCalendar(days_off={dt.date(2100, 1, 4)})
    assert local(calendar.add_working_minutes(sh(2099, 12, 31, 17), 120)) == sh(2100, 1, 5, 10)


def test_years_of_working_minutes_are_added_without_a_per_minute_loop():
    start = sh(2025, 3, 3, 9)
    minutes = 3 * 250 * 480  # about three years of working time
    due = CAL.add_working_minutes(start, minutes)
    assert local(due).year == 2028
    assert CAL.working_minutes_between(start, due) == minutes


# -- time zones and bad input ---------------------------------------------------------------


def test_a_start_in_utc_or_in_another_zone_gives_the_same_answer():
    in_shanghai = sh(2026, 9, 30, 17)
    in_utc = dt.datetime(2026, 9, 30, 9, tzinfo=dt.UTC)
    in_new_york = in_utc.astimezone(ZoneInfo("America/New_York"))
    in_offset = dt.datetime(2026, 9, 30, 17, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    starts = (in_shanghai, in_utc, in_new_york, in_offset)
    answers = {CAL.add_working_minutes(s, 480) for s in starts}
    assert answers == {dt.datetime(2026, 10, 8, 9, tzinfo=dt.UTC)}
    end = dt.datetime(2026, 10, 8, 9, tzinfo=dt.UTC)
    assert {CAL.working_minutes_between(s, end) for s in (in_utc, in_new_york)} == {480}


def test_a_calendar_in_another_zone_counts_its_own_wall_clock():
    berlin = WorkingCalendar(timezone="Europe/Berlin", periods=((dt.time(9), dt.time(17)),))
    start = dt.datetime(2026, 11, 25, 8, tzinfo=dt.UTC)  # 09:00 in Berlin
    assert berlin.add_working_minutes(start, 60) == dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)


def test_naive_datetimes_are_refused_with_a_clear_message():
    naive = dt.datetime(2026, 9, 30, 17)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_minutes(naive, 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_minutes_between(sh(2026, 9, 30), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_minutes_excluding(CAL, sh(2026, 9, 30), sh(2026, 10, 9), [(naive, None)])


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="0 or more"):
        CAL.add_working_minutes(sh(2026, 9, 30, 10), -1)


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ((), "at least one"),
        (((dt.time(12), dt.time(9)),), "start before it ends"),
        (((dt.time(9), dt.time(9)),), "start before it ends"),
        (((dt.time(13), dt.time(18)), (dt.time(9), dt.time(12))), "in order"),
        (((dt.time(9), dt.time(13)), (dt.time(12), dt.time(18))), "must not overlap"),
        (((dt.time(9),),), "pair of times"),
        ((("09:00", "12:00"),), "pair of times"),
    ],
)
def test_invalid_periods_are_refused(periods, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(periods=periods)


def test_a_day_both_off_and_working_and_an_unknown_zone_are_refused():
    day = dt.date(2026, 11, 30)
    with pytest.raises(ValueError, match="both a day off and a working day: 2026-11-30"):
        WorkingCalendar(days_off={day}, working_days={day})
    with pytest.raises(ValueError, match="unknown time zone"):
        WorkingCalendar(timezone="Mars/Olympus_Mons")


def test_touching_periods_are_allowed():
    calendar = WorkingCalendar(periods=((dt.time(9), dt.time(12)), (dt.time(12), dt.time(13))))
    assert calendar.working_minutes_between(sh(2026, 11, 25), sh(2026, 11, 26)) == 240


# -- pauses -----------------------------------------------------------------------------------


def test_pauses_are_subtracted_once_even_when_they_overlap():
    start, end = sh(2026, 11, 25, 9), sh(2026, 11, 25, 18)  # 480 working minutes
    pauses = [
        (sh(2026, 11, 25, 10), sh(2026, 11, 25, 11)),
        (sh(2026, 11, 25, 10, 30), sh(2026, 11, 25, 14)),  # overlaps the first; lunch inside
        (sh(2026, 11, 25, 14), sh(2026, 11, 25, 14, 30)),  # touches the second
    ]
    # paused 10:00–12:00 and 13:00–14:30 = 210 working minutes
    assert CAL.paused_minutes_between(start, end, pauses) == 210
    assert working_minutes_excluding(CAL, start, end, pauses) == 480 - 210


def test_an_open_pause_lasts_until_the_end_and_outside_parts_are_ignored():
    start, end = sh(2026, 11, 25, 9), sh(2026, 11, 26, 18)  # 960 working minutes
    pauses = [
        (sh(2026, 11, 24, 9), sh(2026, 11, 25, 10)),  # began before start: 60 inside
        (sh(2026, 11, 26, 17), None),  # still waiting on the customer: 60 until end
        (sh(2026, 11, 27, 9), sh(2026, 11, 27, 12)),  # after end: nothing
    ]
    assert working_minutes_excluding(CAL, start, end, pauses) == 960 - 120
    assert working_minutes_excluding(CAL, start, end, []) == 960


def test_a_pause_over_the_holiday_subtracts_only_working_time():
    opened = sh(2026, 9, 30, 17)
    pauses = [(sh(2026, 9, 30, 17, 30), sh(2026, 10, 8, 10))]
    # worked 17:00–17:30 on 30 Sep and 10:00–12:00 on 8 Oct
    assert working_minutes_excluding(CAL, opened, sh(2026, 10, 8, 12), pauses) == 30 + 120


def test_a_pause_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        working_minutes_excluding(
            CAL, sh(2026, 11, 25), sh(2026, 11, 26), [(sh(2026, 11, 25, 11), sh(2026, 11, 25, 10))]
        )


# -- properties -------------------------------------------------------------------------------

MOMENTS = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 31, 23, 59)
).map(lambda naive: naive.replace(tzinfo=SHANGHAI))
MINUTES = st.integers(min_value=0, max_value=250 * 480)
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def _in_a_period_or_at_its_end(moment: dt.datetime, calendar: WorkingCalendar) -> bool:
    wall = local(moment)
    if not calendar.is_working_day(wall.date()):
        return False
    return any(start < wall.time() <= end for start, end in calendar.periods)


@PROPERTY
@given(start=MOMENTS, minutes=MINUTES)
def test_counting_back_what_was_added_gives_the_same_minutes(start, minutes):
    assert CAL.working_minutes_between(start, CAL.add_working_minutes(start, minutes)) == minutes


@PROPERTY
@given(start=MOMENTS, fewer=MINUTES, more=MINUTES)
def test_adding_more_minutes_never_ends_earlier(start, fewer, more):
    fewer, more = sorted((fewer, more))
    assert CAL.add_working_minutes(start, fewer) <= CAL.add_working_minutes(start, more)


@PROPERTY
@given(start=MOMENTS, minutes=st.integers(min_value=1, max_value=250 * 480))
def test_a_due_time_never_falls_in_lunch_or_outside_working_periods(start, minutes):
    assert _in_a_period_or_at_its_end(CAL.add_working_minutes(start, minutes), CAL)


@PROPERTY
@given(start=MOMENTS, span=st.integers(min_value=0, max_value=4 * 24 * 60))
def test_counting_agrees_with_a_minute_by_minute_count(start, span):
    start = start.replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=span)
    brute = 0
    for i in range(span):
        wall = local(start + dt.timedelta(minutes=i))
        if CAL.is_working_day(wall.date()) and any(
            a <= wall.time() < b for a, b in CAL.periods
        ):
            brute += 1
    assert CAL.working_minutes_between(start, end) == brute
