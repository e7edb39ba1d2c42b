"""Occupancy by hour and the sharing gain, against figures computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.sharing.models import BookingStatus
from linli.sharing.occupancy import occupancy
from linli.sharing.services import WindowSpec, space_windows_set
from linli.sharing.tests.conftest import EVERY_DAY_8_TO_18, Scene, local_at
from linli.sharing.tests.fixtures_parking import big_lot, booking_row  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_spaces(parking: Scene) -> Scene:
    """Only A-001 and A-002 active, both shared every day 08:00–18:00."""
    space_windows_set(actor=parking.owner_user, space=parking.spaces[1], windows=EVERY_DAY_8_TO_18)
    for space in parking.spaces[2:]:
        space.active = False
        space.save()
    return parking


def test_two_spaces_hand_computed(two_spaces: Scene) -> None:
    """Given 2 spaces open 08–18 yesterday; a 2 h stay 10–12 on A-001; a 3 h booking
    15–18 on A-002 whose car left at 18:30 (overstay); a no-show 14–15 on A-001.
    Then published 20 h, booked 2+3+1 = 6 h, used 2+3.5 = 5.5 h, gain 2+3 = 5 h = 25 %."""
    s = two_spaces
    a1, a2 = s.spaces[0], s.spaces[1]
    booking_row(
        s,
        a1,
        local_at(-1, 10),
        local_at(-1, 12),
        status=BookingStatus.COMPLETED,
        arrived_at=local_at(-1, 10),
        left_at=local_at(-1, 12),
    )
    booking_row(
        s,
        a2,
        local_at(-1, 15),
        local_at(-1, 18),
        status=BookingStatus.COMPLETED,
        arrived_at=local_at(-1, 15),
        left_at=local_at(-1, 18, 30),
        overstay_minutes=30,
    )
    booking_row(s, a1, local_at(-1, 14), local_at(-1, 15), status=BookingStatus.NO_SHOW)
    day = local_at(-1, 0).date()

    report = occupancy([s.lot], day, day)

    assert report.spaces == 2
    assert report.published_hours == pytest.approx(20)
    assert report.booked_hours == pytest.approx(6)
    assert report.used_hours == pytest.approx(5.5)
    assert report.gain_hours == pytest.approx(5)
    assert report.gain_share == pytest.approx(0.25)
    assert (report.bookings, report.no_shows, report.overstays) == (3, 1, 1)
    assert report.overstay_minutes == 30
    expected = [0.0] * 24
    for hour in (10, 11, 15, 16, 17):
        expected[hour] = 0.5
    expected[18] = 0.25
    assert report.hours == pytest.approx(expected)


def test_average_over_days_and_cancelled_ignored(two_spaces: Scene) -> None:
    """Over 2 days, one 1-hour stay at 09:00 is 1 space-hour of 2 spaces × 2 days = 25 %
    of hour 9; a cancelled booking counts nowhere."""
    s = two_spaces
    booking_row(
        s, s.spaces[0], local_at(-2, 9), local_at(-2, 10), status=BookingStatus.COMPLETED
    )  # no gate times: the booked span
    booking_row(s, s.spaces[1], local_at(-1, 9), local_at(-1, 12), status=BookingStatus.CANCELLED)

    report = occupancy([s.lot], local_at(-2, 0).date(), local_at(-1, 0).date())

    assert report.published_hours == pytest.approx(40)
    assert report.hours[9] == pytest.approx(0.25)
    assert report.used_hours == pytest.approx(1)
    assert report.booked_hours == pytest.approx(1)
    assert report.bookings == 1


def test_use_outside_windows_is_not_gain(two_spaces: Scene) -> None:
    """A stay 18:00–20:00 (after the window) is used but adds no gain."""
    s = two_spaces
    booking_row(
        s,
        s.spaces[0],
        local_at(-1, 18),
        local_at(-1, 20),
        status=BookingStatus.COMPLETED,
        arrived_at=local_at(-1, 18),
        left_at=local_at(-1, 20),
    )
    day = local_at(-1, 0).date()
    report = occupancy([s.lot], day, day)
    assert report.used_hours == pytest.approx(2)
    assert report.gain_hours == 0
    assert report.hours[18] == pytest.approx(0.5)


def test_future_booked_and_still_parked(two_spaces: Scene) -> None:
    """A booking still waiting counts as booked, not used; a car still parked is used
    until now."""
    s = two_spaces
    booking_row(s, s.spaces[0], local_at(1, 9), local_at(1, 11))
    booking_row(
        s,
        s.spaces[1],
        local_at(1, 9),
        local_at(1, 11),
        status=BookingStatus.PARKED,
        arrived_at=local_at(1, 9),
    )
    day = local_at(1, 0).date()
    report = occupancy([s.lot], day, day, now=local_at(1, 10))
    assert report.booked_hours == pytest.approx(4)
    assert report.used_hours == pytest.approx(1)
    assert report.hours[9] == pytest.approx(0.5)
    assert report.hours[10] == 0


def test_windows_split_by_weekday(parking: Scene) -> None:
    """Weekdays-only windows publish nothing on a weekend day."""
    weekdays = [WindowSpec(d, dt.time(8), dt.time(18)) for d in range(5)]
    space_windows_set(actor=parking.owner_user, space=parking.spaces[0], windows=weekdays)
    day = local_at(0, 0).date()
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    assert occupancy([parking.lot], saturday, saturday).published_hours == 0
    monday = saturday + dt.timedelta(days=2)
    assert occupancy([parking.lot], monday, monday).published_hours == pytest.approx(10)


def test_range_in_wrong_order_is_refused(parking: Scene) -> None:
    day = local_at(0, 0).date()
    with pytest.raises(ValueError, match="结束日期不能早于开始日期"):
        occupancy([parking.lot], day, day - dt.timedelta(days=1))


def test_month_of_120_spaces_bounded_queries(
    big_lot,  # noqa: F811
    parking: Scene,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    day = local_at(-1, 0).date()
    for space in list(big_lot.spaces.all()[:30]):
        booking_row(
            parking, space, local_at(-1, 9), local_at(-1, 11), status=BookingStatus.COMPLETED
        )
    with django_assert_max_num_queries(3):
        report = occupancy([big_lot], day - dt.timedelta(days=29), day)
    assert report.spaces == 120
    assert report.published_hours == pytest.approx(120 * 10 * 30)
    assert report.used_hours == pytest.approx(60)


def test_sweep_task_marks_no_shows_that_the_report_counts(parking: Scene) -> None:
    """A booking with no arrival past the grace becomes a no-show through the task; the
    report counts it as booked, not used."""
    from linli.sharing.tasks import sweep

    booking = booking_row(parking, parking.spaces[0], local_at(-1, 9), local_at(-1, 11))
    assert sweep() == "no_shows=1"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    day = local_at(-1, 0).date()
    report = occupancy([parking.lot], day, day)
    assert (report.no_shows, report.used_hours) == (1, 0)
    assert report.booked_hours == pytest.approx(2)


def test_sweep_schedule_every_five_minutes_once() -> None:
    from django_q.models import Schedule

    from linli.sharing.tasks import schedules

    schedules()
    schedules()
    schedule = Schedule.objects.get(name="sharing.bookings_sweep")
    assert (schedule.func, schedule.minutes) == ("linli.sharing.tasks.sweep", 5)
    assert Schedule.objects.filter(name="sharing.bookings_sweep").count() == 1
