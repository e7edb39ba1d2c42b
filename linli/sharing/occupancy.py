"""Occupancy by hour and the sharing gain of off-peak parking (错峰共享的增量).

For one lot, or all lots of a community, and a range of local dates (both ends included):

* ``hours[h]`` for each hour of day ``h`` (0–23): the average share of the lots' active
  spaces occupied during that hour over the days of the range (occupied space-minutes in
  that hour ÷ (spaces × days × 60));
* ``published_hours``: space-hours the owners publish — each active space's weekly windows
  laid on every day of the range;
* ``booked_hours``: space-hours of bookings that held their time (booked, parked, completed,
  and no-shows, which blocked the space until swept), clipped to the range;
* ``used_hours``: space-hours a car actually stood there — ``arrived_at`` → ``left_at`` for
  parked (until now while still parked) and completed bookings, the booked span when the
  gate recorded no times; bookings still waiting (``booked``) and no-shows count nothing;
* ``gain_hours``: the part of ``used_hours`` inside the owners' published windows — hours
  that would have been idle without sharing — and ``gain_share`` = gain ÷ published;
* ``no_shows``, ``overstays`` (bookings with overstay recorded) and ``overstay_minutes``.

Windows are the spaces' current windows (windows keep no history: a window withdrawn
today no longer counts for last month). One query for spaces with windows, one for the
bookings in range; the sums are in Python (a month of 120 spaces is a few thousand rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from linli.common.windows import local
from linli.sharing.models import Booking, BookingStatus, ParkingLot, ParkingSpace

Interval = tuple[dt.datetime, dt.datetime]

#: Statuses whose booked span is counted in ``booked_hours``.
BOOKED_STATUSES = (
    BookingStatus.BOOKED,
    BookingStatus.PARKED,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)


@dataclass
class Occupancy:
    """The report; hours are space-hours (floats rounded by the pages), shares 0–1."""

    date_from: dt.date
    date_to: dt.date
    spaces: int
    hours: list[float] = field(default_factory=lambda: [0.0] * 24)
    published_hours: float = 0.0
    booked_hours: float = 0.0
    used_hours: float = 0.0
    gain_hours: float = 0.0
    bookings: int = 0
    no_shows: int = 0
    overstays: int = 0
    overstay_minutes: int = 0

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def gain_share(self) -> float:
        """Gain as a share of the published space-hours (0 when nothing is published)."""
        return self.gain_hours / self.published_hours if self.published_hours else 0.0


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _overlap(a: Interval, b: Interval) -> float:
    """Seconds ``a`` and ``b`` share."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return max((end - start).total_seconds(), 0.0)


def _windows_on(space: ParkingSpace, date_from: dt.date, days: int) -> list[Interval]:
    """The space's windows laid on each day of the range as aware intervals."""
    weekly = list(space.windows.all())
    out: list[Interval] = []
    for offset in range(days):
        day = date_from + dt.timedelta(days=offset)
        for w in weekly:
            if w.weekday == day.weekday():
                start = timezone.make_aware(dt.datetime.combine(day, w.start))
                out.append((start, timezone.make_aware(dt.datetime.combine(day, w.end))))
    return out


def used_interval(booking: Booking, now: dt.datetime) -> Interval | None:
    """When a car stood on the space for ``booking``, or ``None`` (not arrived, no-show,
    cancelled). Gate times when known, else the booked span."""
    if booking.status == BookingStatus.PARKED:
        start = booking.arrived_at or booking.starts_at
        return (start, max(now, start))
    if booking.status == BookingStatus.COMPLETED:
        start = booking.arrived_at or booking.starts_at
        end = booking.left_at or booking.ends_at
        return (start, max(end, start))
    return None


def _add_hours(hours: list[float], used: Interval, range_: Interval) -> None:
    """Add the occupied seconds of ``used`` to each local hour-of-day bucket."""
    start, end = max(used[0], range_[0]), min(used[1], range_[1])
    cursor = local(start)
    end = local(end)
    while cursor < end:
        next_hour = cursor.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        stop = min(next_hour, end)
        hours[cursor.hour] += (stop - cursor).total_seconds()
        cursor = stop


def occupancy(
    lots: Iterable[ParkingLot],
    date_from: dt.date,
    date_to: dt.date,
    *,
    now: dt.datetime | None = None,
) -> Occupancy:
    """The report over ``lots`` for local dates ``date_from``–``date_to`` (inclusive);
    see the module docstring for every figure. ``now`` (default: the clock) ends the stay
    of cars still parked.

    Raises:
        ValueError: ``date_to`` before ``date_from``.
    """
    if date_to < date_from:
        raise ValueError("结束日期不能早于开始日期")
    now = now or timezone.now()
    lot_ids = [lot.pk for lot in lots]
    range_ = (_midnight(date_from), _midnight(date_to + dt.timedelta(days=1)))
    spaces = list(
        ParkingSpace.objects.filter(lot_id__in=lot_ids, active=True).prefetch_related("windows")
    )
    report = Occupancy(date_from=date_from, date_to=date_to, spaces=len(spaces))
    windows = {s.pk: _windows_on(s, date_from, report.days) for s in spaces}
    report.published_hours = sum(_overlap(w, range_) for ws in windows.values() for w in ws)
    seconds = [0.0] * 24
    bookings = Booking.objects.filter(
        Q(starts_at__lt=range_[1], ends_at__gt=range_[0])
        | Q(arrived_at__lt=range_[1], left_at__gt=range_[0]),
        space__in=[s.pk for s in spaces],
        status__in=BOOKED_STATUSES,
    ).only(
        "space_id", "status", "starts_at", "ends_at", "arrived_at", "left_at", "overstay_minutes"
    )
    for booking in bookings:
        _count(report, booking, windows.get(booking.space_id, []), range_, now, seconds)
    per_hour = report.spaces * report.days * 3600
    report.hours = [s / per_hour if per_hour else 0.0 for s in seconds]
    for name in ("published_hours", "booked_hours", "used_hours", "gain_hours"):
        setattr(report, name, getattr(report, name) / 3600)
    return report


def _count(
    report: Occupancy,
    booking: Booking,
    windows: list[Interval],
    range_: Interval,
    now: dt.datetime,
    seconds: list[float],
) -> None:
    """Add one booking to the report (sums kept in seconds until the end)."""
    report.bookings += 1
    report.booked_hours += _overlap((booking.starts_at, booking.ends_at), range_)
    if booking.status == BookingStatus.NO_SHOW:
        report.no_shows += 1
    if booking.overstay_minutes:
        report.overstays += 1
        report.overstay_minutes += booking.overstay_minutes
    used = used_interval(booking, now)
    if used is None:
        return
    clipped = (max(used[0], range_[0]), min(used[1], range_[1]))
    if clipped[1] <= clipped[0]:
        return
    report.used_hours += _overlap(clipped, range_)
    report.gain_hours += sum(_overlap(clipped, w) for w in windows)
    _add_hours(seconds, clipped, range_)
