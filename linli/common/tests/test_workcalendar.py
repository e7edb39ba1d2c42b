"""Working-time calendar: holidays, make-up days, office hours, overrides, fallback, pauses.

Holiday facts are read from the installed ``chinesecalendar`` (premises asserted first), so a
wrong guess about the official schedule fails loudly instead of silently testing nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.common import workcalendar
from linli.common.models import CalendarOverride
from linli.common.workcalendar import (
    DEFAULT_WORKING_HOURS,
    TZ,
    WorkCalendar,
    package_years,
    parse_working_hours,
)
from linli.people.models import Role
from linli.testing.factories import staff_user

HOUR = 3600
DAY = 7 * HOUR  # one working day with the default office hours
UTC = dt.UTC
LOGGER = "linli.common.workcalendar"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkCalendar:
    """A calendar with the default office hours and no overrides (no database)."""
    return WorkCalendar(working_hours=parse_working_hours(DEFAULT_WORKING_HOURS))


@pytest.fixture(autouse=True)
def fresh_process_calendar() -> Iterator[None]:
    # Overrides written inside a rolled-back test must not leak into the next test.
    workcalendar.forget()
    yield
    workcalendar.forget()


def uncovered_year() -> int:
    """The first year after the ones the installed package knows (probed, not hard-coded)."""
    years = package_years()
    assert years, "chinesecalendar covers no year at all"
    return years.stop


# --- official holidays ---------------------------------------------------------------------


def test_national_day_make_up_sunday_counts_for_a_case_filed_the_friday_before(cal) -> None:
    # Given 2025: Sep 28 is a Sunday the State Council made a working day, Oct 1-8 off.
    assert dt.date(2025, 9, 26).weekday() == 4
    assert dt.date(2025, 9, 28).weekday() == 6
    assert chinese_calendar.is_workday(dt.date(2025, 9, 28))
    assert not chinese_calendar.is_workday(dt.date(2025, 9, 27))
    # When a case is filed on Friday 16:00 with a 2-working-day limit
    due = cal.add_working_time(at(2025, 9, 26, 16), 2 * DAY)
    # Then 1.5 h Friday + 7 h make-up Sunday + 5.5 h Monday: due Monday 16:00, not Tuesday.
    assert due == at(2025, 9, 29, 16)


def test_national_day_case_filed_on_the_eve_is_due_after_the_holiday_on_make_up_saturday(
    cal,
) -> None:
    # Given 2025: Oct 1-8 off, Saturday Oct 11 a make-up working day.
    holiday = [dt.date(2025, 10, day) for day in range(1, 9)]
    assert all(chinese_calendar.is_holiday(day) for day in holiday)
    assert chinese_calendar.get_holiday_detail(dt.date(2025, 10, 1)) == (True, "National Day")
    assert dt.date(2025, 10, 11).weekday() == 5
    assert chinese_calendar.is_workday(dt.date(2025, 10, 11))
    # When a case is filed on Tuesday Sep 30 at 15:00 with a 3-working-day limit
    due = cal.add_working_time(at(2025, 9, 30, 15), 3 * DAY)
    # Then 2.5 h + Oct 9 (7 h) + Oct 10 (7 h) + 4.5 h on the make-up Saturday.
    assert due == at(2025, 10, 11, 15)
    assert all(not cal.is_workday(day) for day in holiday)


def test_spring_festival_days_off_and_make_up_sunday(cal) -> None:
    # Given 2025: Jan 28 - Feb 4 off; Sunday Jan 26 a make-up working day.
    assert all(
        chinese_calendar.is_holiday(dt.date(2025, 1, 28) + dt.timedelta(d)) for d in range(8)
    )
    assert chinese_calendar.get_holiday_detail(dt.date(2025, 1, 29))[1] == "Spring Festival"
    assert chinese_calendar.is_workday(dt.date(2025, 1, 26))
    # A case filed on Monday Jan 27 at 17:00 with 1 working day runs 30 min, then after the
    # holiday 6.5 h on Wednesday Feb 5.
    assert cal.add_working_time(at(2025, 1, 27, 17), DAY) == at(2025, 2, 5, 17)
    # A case filed on Saturday evening Jan 25 starts on the make-up Sunday morning.
    assert cal.add_working_time(at(2025, 1, 25, 20), HOUR) == at(2025, 1, 26, 9, 30)
    assert cal.working_seconds_between(at(2025, 1, 27, 8), at(2025, 2, 5, 8)) == DAY


# --- office hours --------------------------------------------------------------------------


def test_lunch_break_is_not_working_time(cal) -> None:
    assert cal.add_working_time(at(2025, 3, 12, 11, 30), HOUR) == at(2025, 3, 12, 14, 30)
    assert cal.working_seconds_between(at(2025, 3, 12, 11), at(2025, 3, 12, 15)) == 2 * HOUR


def test_time_ending_exactly_at_noon_is_due_at_noon_not_after_lunch(cal) -> None:
    assert cal.add_working_time(at(2025, 3, 12, 11), HOUR) == at(2025, 3, 12, 12)


def test_start_at_night_begins_at_next_opening(cal) -> None:
    assert cal.add_working_time(at(2025, 3, 13, 20), HOUR) == at(2025, 3, 14, 9, 30)
    assert cal.add_working_time(at(2025, 3, 14, 6), 0) == at(2025, 3, 14, 8, 30)


def test_start_on_weekend_begins_on_monday(cal) -> None:
    assert not chinese_calendar.is_workday(dt.date(2025, 3, 8))  # an ordinary Saturday
    assert cal.add_working_time(at(2025, 3, 8, 10), HOUR) == at(2025, 3, 10, 9, 30)


def test_a_working_day_is_seven_hours_by_default(cal) -> None:
    assert cal.day_seconds == 25_200
    assert cal.working_seconds_between(at(2025, 3, 10), at(2025, 3, 11)) == 25_200


def test_datetimes_in_any_zone_come_back_in_shanghai(cal) -> None:
    start_utc = dt.datetime(2025, 3, 12, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    due = cal.add_working_time(start_utc, HOUR)
    assert due == at(2025, 3, 12, 10)
    assert due.tzinfo == TZ


def test_working_hours_come_from_settings(settings) -> None:
    settings.LINLI_WORKING_HOURS = "09:00-17:00"
    calendar = WorkCalendar()
    assert calendar.day_seconds == 8 * HOUR
    assert calendar.add_working_time(at(2025, 3, 12, 16), 2 * HOUR) == at(2025, 3, 13, 10)


@pytest.mark.parametrize(
    "raw", ["", "8:30-12:00", "08:30-25:00", "12:00-08:30", "14:00-17:30,08:30-12:00", "08:30"]
)
def test_bad_working_hours_are_refused_with_the_setting_named(settings, raw) -> None:
    settings.LINLI_WORKING_HOURS = raw or " , "
    with pytest.raises(ImproperlyConfigured, match="LINLI_WORKING_HOURS"):
        WorkCalendar()


def test_overlapping_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="重叠"):
        parse_working_hours("08:30-12:00,11:00-17:30")


# --- the fallback for years the package does not know ----------------------------------------


def test_uncovered_year_falls_back_to_weekdays_and_warns_once(cal, caplog) -> None:
    year = uncovered_year()
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(year, 10, 1))
    days = [dt.date(year, 10, 1) + dt.timedelta(d) for d in range(7)]
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        verdicts = {day: cal.is_workday(day) for day in days}
        due = cal.add_working_time(dt.datetime.combine(days[0], dt.time(9), tzinfo=TZ), DAY)
    # National Day is unknown: Monday-Friday work, Saturday and Sunday do not.
    assert verdicts == {day: day.weekday() < 5 for day in days}
    assert due > dt.datetime.combine(days[0], dt.time(9), tzinfo=TZ)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == LOGGER]
    assert len(warnings) == 1
    assert str(year) in warnings[0].getMessage()


def test_override_fills_in_an_uncovered_year(caplog) -> None:
    year = uncovered_year()
    first_monday = next(
        dt.date(year, 10, d) for d in range(1, 8) if dt.date(year, 10, d).weekday() == 0
    )
    calendar = WorkCalendar(
        overrides={first_monday: False}, working_hours=parse_working_hours(DEFAULT_WORKING_HOURS)
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert not calendar.is_workday(first_monday)
        assert calendar.is_workday(first_monday + dt.timedelta(days=1))
    assert "1 admin override" in caplog.text


# --- admin overrides (database) -------------------------------------------------------------


@pytest.mark.django_db
def test_override_turns_a_weekday_into_a_holiday_and_a_saturday_into_a_workday() -> None:
    wednesday, saturday = dt.date(2025, 3, 12), dt.date(2025, 3, 15)
    assert workcalendar.is_workday(wednesday)
    assert not workcalendar.is_workday(saturday)
    CalendarOverride.objects.create(date=wednesday, is_workday=False, note="临时停电放假")
    CalendarOverride.objects.create(date=saturday, is_workday=True, note="补班（手工录入）")
    assert not workcalendar.is_workday(wednesday)
    assert workcalendar.is_workday(saturday)
    # A case filed Tuesday 17:00 with 1 h skips Wednesday.
    assert workcalendar.add_working_time(at(2025, 3, 11, 17), HOUR) == at(2025, 3, 13, 9)


@pytest.mark.django_db
def test_override_beats_the_package_on_an_official_holiday() -> None:
    assert chinese_calendar.is_holiday(dt.date(2025, 10, 2))
    CalendarOverride.objects.create(date=dt.date(2025, 10, 2), is_workday=True, note="值班")
    assert workcalendar.is_workday(dt.date(2025, 10, 2))


@pytest.mark.django_db
def test_deleting_an_override_restores_the_package_answer() -> None:
    row = CalendarOverride.objects.create(date=dt.date(2025, 3, 12), is_workday=False, note="x")
    assert not workcalendar.is_workday(dt.date(2025, 3, 12))
    row.delete()
    assert workcalendar.is_workday(dt.date(2025, 3, 12))


@pytest.mark.django_db
def test_no_query_per_call_once_warm(django_assert_num_queries) -> None:
    CalendarOverride.objects.create(date=dt.date(2025, 3, 12), is_workday=False, note="x")
    workcalendar.is_workday(dt.date(2025, 3, 10))
    with django_assert_num_queries(0):
        for hour in range(1000):
            start = at(2025, 3, 1) + dt.timedelta(hours=hour)
            workcalendar.due_at(start, 5 * DAY, working_time=True)
            workcalendar.working_seconds_between(start, start + dt.timedelta(days=30))


@pytest.mark.django_db
def test_change_from_another_process_is_seen_after_the_refresh_interval(
    settings, monkeypatch
) -> None:
    # Given a process that loaded the calendar and re-reads it every 60 s
    settings.LINLI_CALENDAR_REFRESH_SECONDS = 60
    row = CalendarOverride.objects.create(date=dt.date(2025, 3, 12), is_workday=False, note="x")
    assert not workcalendar.is_workday(dt.date(2025, 3, 12))
    # When another process changes the row (no signal reaches this process)
    CalendarOverride.objects.filter(pk=row.pk).update(is_workday=True)
    # Then the old answer stands until the interval has passed, and the new one after it.
    assert not workcalendar.is_workday(dt.date(2025, 3, 12))
    later = workcalendar.time.monotonic() + 61
    monkeypatch.setattr(workcalendar.time, "monotonic", lambda: later)
    assert workcalendar.is_workday(dt.date(2025, 3, 12))


@pytest.mark.django_db
def test_date_may_be_overridden_only_once() -> None:
    from django.db import IntegrityError, transaction

    CalendarOverride.objects.create(date=dt.date(2025, 3, 12), is_workday=False, note="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarOverride.objects.create(date=dt.date(2025, 3, 12), is_workday=True, note="y")


# --- admin pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_street_admin_adds_an_override_that_changes_deadlines_at_once(client, areas) -> None:
    street_admin = staff_user(areas["street"], Role.STREET_ADMIN)
    client.force_login(street_admin)
    assert workcalendar.is_workday(dt.date(2025, 3, 12))
    response = client.post(
        reverse("admin:common_calendaroverride_add"),
        {"date": "2025-03-12", "is_workday": "", "note": "2025 区级调休（手工录入）"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not workcalendar.is_workday(dt.date(2025, 3, 12))
    page = client.get(reverse("admin:common_calendaroverride_changelist")).content.decode()
    assert "2025 区级调休" in page
    assert "周三" in page


@pytest.mark.django_db
def test_same_date_twice_is_refused_in_chinese(client, areas) -> None:
    client.force_login(staff_user(areas["street"], Role.STREET_ADMIN))
    CalendarOverride.objects.create(date=dt.date(2025, 3, 12), is_workday=False, note="x")
    response = client.post(
        reverse("admin:common_calendaroverride_add"),
        {"date": "2025-03-12", "is_workday": "on", "note": "重复"},
    )
    assert response.status_code == 200
    assert "已存在" in response.content.decode()
    assert CalendarOverride.objects.get().note == "x"


@pytest.mark.django_db
def test_community_admin_reads_but_cannot_edit_the_calendar(client, community_admin) -> None:
    client.force_login(community_admin)
    assert client.get(reverse("admin:common_calendaroverride_changelist")).status_code == 200
    response = client.post(
        reverse("admin:common_calendaroverride_add"),
        {"date": "2025-03-12", "is_workday": "", "note": "x"},
    )
    assert response.status_code == 403
    assert not CalendarOverride.objects.exists()


@pytest.mark.django_db
def test_grid_worker_and_anonymous_cannot_see_the_calendar(client, assigned) -> None:
    url = reverse("admin:common_calendaroverride_changelist")
    assert client.get(url).status_code == 302
    client.force_login(assigned)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_superuser_sees_what_the_package_says_beside_the_override(client) -> None:
    client.force_login(User.objects.create_superuser("root", password="pw-linli-test"))
    CalendarOverride.objects.create(date=dt.date(2025, 10, 2), is_workday=True, note="值班")
    page = client.get(reverse("admin:common_calendaroverride_changelist")).content.decode()
    assert "放假" in page  # the package's verdict for Oct 2


# --- pauses and the clock --------------------------------------------------------------------


def test_pause_stops_the_working_clock(cal) -> None:
    # Running Mon 09:00-10:00, paused (awaiting the resident) until Tue 09:00, running since.
    intervals = [(at(2025, 3, 10, 9), at(2025, 3, 10, 10)), (at(2025, 3, 11, 9), None)]
    now = at(2025, 3, 11, 11)
    assert cal.elapsed_seconds(intervals, working_time=True, now=now) == 3 * HOUR
    assert cal.elapsed_seconds(intervals, working_time=False, now=now) == 3 * HOUR
    paused = intervals[:1]
    assert cal.elapsed_seconds(paused, working_time=True, now=now) == HOUR


def test_clock_time_counts_nights_but_not_pauses(cal) -> None:
    intervals = [(at(2025, 3, 10, 9), at(2025, 3, 10, 21)), (at(2025, 3, 11, 9), None)]
    now = at(2025, 3, 11, 10)
    assert cal.elapsed_seconds(intervals, working_time=False, now=now) == 13 * HOUR
    # Working time: Monday 09:00-12:00 and 14:00-17:30, Tuesday 09:00-10:00.
    assert cal.elapsed_seconds(intervals, working_time=True, now=now) == 7 * HOUR + 1800


def test_due_time_moves_by_the_length_of_the_pause(cal) -> None:
    running = [(at(2025, 3, 10, 9), at(2025, 3, 10, 10)), (at(2025, 3, 11, 9), None)]
    # 1 working day limit: 1 h spent Monday; 6 h left from Tuesday 09:00 = 3 h + 14:00-17:00.
    assert cal.clock_due_at(running, DAY, working_time=True) == at(2025, 3, 11, 17)
    assert cal.clock_due_at(running[:1], DAY, working_time=True) is None  # paused now
    # A limit reached inside the first interval reports when it was reached.
    assert cal.clock_due_at(running, 1800, working_time=True) == at(2025, 3, 10, 9, 30)
    assert cal.clock_due_at(running, 2 * HOUR, working_time=False) == at(2025, 3, 11, 10)


def test_open_interval_starting_after_now_counts_nothing(cal) -> None:
    intervals = [(at(2025, 3, 10, 9, 1), None)]
    assert cal.elapsed_seconds(intervals, working_time=True, now=at(2025, 3, 10, 9)) == 0


def test_clock_time_ignores_the_calendar() -> None:
    start = at(2025, 9, 30, 23)
    assert workcalendar.add_clock_time(start, 2 * HOUR) == at(2025, 10, 1, 1)
    assert workcalendar.due_at(start, 2 * HOUR, working_time=False) == at(2025, 10, 1, 1)


@pytest.mark.django_db
def test_due_at_switches_on_working_time() -> None:
    start = at(2025, 9, 30, 17)
    assert workcalendar.due_at(start, HOUR, working_time=True) == at(2025, 10, 9, 9)
    intervals = [(start, None)]
    now = at(2025, 10, 9, 9)
    assert workcalendar.elapsed_seconds(intervals, working_time=True, now=now) == HOUR
    assert workcalendar.clock_due_at(intervals, HOUR, working_time=True) == now


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.add_working_time(dt.datetime(2025, 3, 10, 9), HOUR), TypeError),
        (lambda c: c.add_working_time(at(2025, 3, 10), -1), ValueError),
        (lambda c: c.add_working_time(at(2025, 3, 10), 1.5), TypeError),
        (lambda c: c.add_working_time(at(2025, 3, 10), True), TypeError),
        (lambda c: c.add_working_time(at(2025, 3, 10), 10**12), ValueError),
        (lambda c: c.add_working_time("2025-03-10", HOUR), TypeError),
        (lambda c: c.working_seconds_between(at(2025, 3, 11), at(2025, 3, 10)), ValueError),
        (lambda c: c.is_workday(at(2025, 3, 10)), TypeError),
        (lambda c: c.is_workday("2025-03-10"), TypeError),
        (lambda c: workcalendar.add_clock_time(dt.datetime(2025, 3, 10), HOUR), TypeError),
    ],
)
def test_bad_input_is_refused(cal, call, error) -> None:
    with pytest.raises(error):
        call(cal)


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        ([(at(2025, 3, 10, 10), at(2025, 3, 10, 9))], "结束早于开始"),
        ([(at(2025, 3, 10, 9), at(2025, 3, 10, 11)), (at(2025, 3, 10, 10), None)], "重叠"),
        ([(at(2025, 3, 10, 9), None), (at(2025, 3, 11, 9), None)], "最后一段"),
        ([(dt.datetime(2025, 3, 10, 9), None)], "时区"),
    ],
)
def test_bad_intervals_are_refused(cal, intervals, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        cal.elapsed_seconds(intervals, working_time=True, now=at(2025, 3, 12))
    with pytest.raises((ValueError, TypeError), match=message):
        cal.clock_due_at(intervals, HOUR, working_time=True)


# --- properties ------------------------------------------------------------------------------

ZONES = st.sampled_from([TZ, UTC, ZoneInfo("America/New_York")])


def starts() -> st.SearchStrategy[dt.datetime]:
    # Covered years and the first uncovered one (the fallback path).
    return st.datetimes(
        min_value=dt.datetime(package_years().start, 1, 1),
        max_value=dt.datetime(uncovered_year(), 12, 31),
        timezones=ZONES,
    )


PROPERTY_CALENDAR = WorkCalendar(working_hours=parse_working_hours(DEFAULT_WORKING_HOURS))


@settings(max_examples=300, deadline=None)
@given(start=starts(), seconds=st.integers(min_value=0, max_value=40 * DAY))
def test_adding_then_measuring_gives_back_the_duration(start, seconds) -> None:
    cal = PROPERTY_CALENDAR
    due = cal.add_working_time(start, seconds)
    assert due >= start
    assert cal.working_seconds_between(start, due) == seconds


@settings(max_examples=200, deadline=None)
@given(
    start=starts(),
    first=st.integers(min_value=0, max_value=20 * DAY),
    extra=st.integers(min_value=0, max_value=20 * DAY),
)
def test_due_time_is_monotonic_in_the_duration(start, first, extra) -> None:
    cal = PROPERTY_CALENDAR
    assert cal.add_working_time(start, first) <= cal.add_working_time(start, first + extra)


@settings(max_examples=200, deadline=None)
@given(start=starts(), seconds=st.integers(min_value=1, max_value=20 * DAY))
def test_due_time_falls_inside_working_hours_of_a_working_day(start, seconds) -> None:
    cal = PROPERTY_CALENDAR
    due = cal.add_working_time(start, seconds)
    assert cal.is_workday(due.date())
    assert any(opens < due.time() <= closes for opens, closes in cal.working_hours)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=dt.datetime(2024, 12, 20), max_value=dt.datetime(2025, 10, 20)
    ).map(lambda moment: moment.replace(second=0, microsecond=0, tzinfo=TZ)),
    minutes=st.integers(min_value=0, max_value=4 * 24 * 60),
)
def test_working_seconds_match_a_minute_by_minute_count(start, minutes) -> None:
    cal = PROPERTY_CALENDAR
    counted = 0
    for step in range(minutes):
        moment = start + dt.timedelta(minutes=step)
        in_hours = any(o <= moment.time() < c for o, c in cal.working_hours)
        counted += 60 if in_hours and chinese_calendar.is_workday(moment.date()) else 0
    end = start + dt.timedelta(minutes=minutes)
    assert cal.working_seconds_between(start, end) == counted


@settings(max_examples=100, deadline=None)
@given(
    start=starts(),
    pieces=st.lists(st.integers(min_value=0, max_value=3 * DAY), min_size=1, max_size=5),
    pause=st.integers(min_value=0, max_value=5 * 24 * HOUR),
)
def test_elapsed_time_is_the_sum_of_the_running_intervals(start, pieces, pause) -> None:
    cal = PROPERTY_CALENDAR
    intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
    cursor = start
    for piece in pieces:
        stop = cal.add_working_time(cursor, piece)
        intervals.append((cursor, stop))
        cursor = stop + dt.timedelta(seconds=pause)
    now = cursor + dt.timedelta(days=365)
    assert cal.elapsed_seconds(intervals, working_time=True, now=now) == sum(pieces)
    # The limit of all pieces is reached where the running total first reaches it.
    limit, total = sum(pieces), 0
    reached = next(
        stop
        for (_, stop), piece in zip(intervals, pieces, strict=True)
        if (total := total + piece) >= limit
    )
    assert cal.clock_due_at(intervals, limit, working_time=True) == reached


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2025, 9, 1), max_value=dt.datetime(2025, 10, 31)),
    overrides=st.dictionaries(
        st.dates(min_value=dt.date(2025, 9, 1), max_value=dt.date(2025, 12, 31)), st.booleans()
    ),
    seconds=st.integers(min_value=1, max_value=15 * DAY),
)
def test_overrides_are_obeyed_by_the_arithmetic(start, overrides, seconds) -> None:
    cal = WorkCalendar(
        overrides=overrides, working_hours=parse_working_hours(DEFAULT_WORKING_HOURS)
    )
    start = start.replace(tzinfo=TZ)
    due = cal.add_working_time(start, seconds)
    assert overrides.get(due.date(), chinese_calendar.is_workday(due.date()))
    assert cal.working_seconds_between(start, due) == seconds
    for day, is_workday in overrides.items():
        assert cal.is_workday(day) is is_workday


def test_package_range_is_found_by_probing() -> None:
    years = package_years()
    for year in (years.start, years.stop - 1):
        chinese_calendar.is_workday(dt.date(year, 12, 31))
    for year in (years.start - 1, years.stop):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(dt.date(year, 1, 1))


@pytest.mark.parametrize("value", [-1, "30", True])
def test_bad_refresh_interval_is_refused(settings, value) -> None:
    settings.LINLI_CALENDAR_REFRESH_SECONDS = value
    with pytest.raises(ImproperlyConfigured, match="LINLI_CALENDAR_REFRESH_SECONDS"):
        workcalendar.refresh_seconds_from_settings()


def test_system_check_reports_bad_working_hours(settings) -> None:
    settings.LINLI_WORKING_HOURS = "8-12"
    messages = workcalendar.check_calendar_settings()
    assert [m.id for m in messages if m.id == "linli.calendar.E001"] == ["linli.calendar.E001"]
    assert "LINLI_WORKING_HOURS" in messages[0].msg


def test_system_check_is_registered_and_quiet_for_good_settings(settings) -> None:
    from django.core import checks

    settings.LINLI_WORKING_HOURS = DEFAULT_WORKING_HOURS
    assert checks.registry.registry.get_checks().count(workcalendar.check_calendar_settings) == 1
    errors = [m for m in workcalendar.check_calendar_settings() if m.is_serious()]
    assert errors == []


def test_system_check_warns_when_the_package_does_not_know_this_year(monkeypatch) -> None:
    next_year = dt.date(uncovered_year(), 3, 1)
    monkeypatch.setattr(workcalendar.timezone, "localdate", lambda: next_year)
    warnings = [m for m in workcalendar.check_calendar_settings() if m.id == "linli.calendar.W001"]
    assert len(warnings) == 1
    assert str(next_year.year) in warnings[0].msg
