"""Working-time calendar for SLA clocks: working days, and how long "2 working days" is.

Rules, in order of precedence (DESIGN.md "Time"; ``docs/calendar.md``):

1. a :class:`~linli.common.models.CalendarOverride` row for the date (entered in the admin);
2. the ``chinesecalendar`` package: the State Council's published holidays (法定节假日) and
   make-up working days (调休上班), for the years the installed version knows — found by
   probing the package at run time (:func:`package_years`), never hard-coded;
3. any other year: Monday–Friday are working days, and a WARNING is logged once per year
   per loaded calendar, so operators know to enter the official schedule as overrides.

Working hours are the government office hours, by default 08:30–12:00 and 14:00–17:30
(``LINLI_WORKING_HOURS``), so a working day is 7 h = 25,200 s and "2 working days" is
50,400 s. Everything is computed in Asia/Shanghai wall-clock time (no DST since 1991).

Units and shapes: durations are integer **seconds**; datetimes in must be timezone-aware
(any zone), datetimes out are aware in **Asia/Shanghai** (:data:`TZ`). Bad input raises
``TypeError`` (naive datetime, wrong type) or ``ValueError`` (negative duration, reversed or
overlapping intervals) with a Chinese message; a year unknown to the package never raises.

Two layers:

* :class:`WorkCalendar` is pure: built from an overrides mapping and working hours, no
  database. Use it directly in tests or bulk jobs that already hold the overrides.
* The module-level functions (:func:`is_workday`, :func:`add_working_time`, :func:`due_at`,
  …) use :func:`current_calendar`, one per process: it loads all override rows with one
  query, then re-reads them at most every ``LINLI_CALENDAR_REFRESH_SECONDS`` (default 30 s)
  and rebuilds only when they changed. Saving or deleting an override in this process marks
  it stale at once; other processes (workers, other web servers) notice within the interval.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)

#: The zone all working-time arithmetic happens in, and the zone of every datetime returned.
TZ = ZoneInfo("Asia/Shanghai")
#: Government office hours (local practice for 街道/社区 service halls); ``LINLI_WORKING_HOURS``.
DEFAULT_WORKING_HOURS = "08:30-12:00,14:00-17:30"
#: How often (seconds) a process re-reads the override rows; ``LINLI_CALENDAR_REFRESH_SECONDS``.
DEFAULT_REFRESH_SECONDS = 30
#: Longest duration accepted (10 years), so a typo cannot walk the calendar to year 9999.
MAX_SECONDS = 10 * 366 * 24 * 3600

Period = tuple[dt.time, dt.time]
Window = tuple[dt.datetime, dt.datetime]
Interval = tuple[dt.datetime, "dt.datetime | None"]

_ONE_DAY = dt.timedelta(days=1)
_ONE_SECOND = dt.timedelta(seconds=1)
_ZERO = dt.timedelta(0)


# --- configuration ----------------------------------------------------------------------


def parse_working_hours(raw: str) -> tuple[Period, ...]:
    """``"08:30-12:00,14:00-17:30"`` → ``((time(8, 30), time(12)), (time(14), time(17, 30)))``.

    Periods are ``HH:MM-HH:MM`` separated by commas, in day order, not overlapping, within
    one day (a period cannot cross midnight).

    Raises:
        ValueError: for an empty list, a malformed time, a period that ends before it
            starts, or periods out of order/overlapping.
    """
    periods: list[Period] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            open_text, close_text = (text.strip() for text in item.split("-"))
            opens = dt.time.fromisoformat(open_text)
            closes = dt.time.fromisoformat(close_text)
        except ValueError:
            raise ValueError(f"工作时段格式应为 HH:MM-HH:MM，收到 {item!r}") from None
        if closes <= opens:
            raise ValueError(f"工作时段 {item!r} 的结束时间必须晚于开始时间")
        if periods and opens < periods[-1][1]:
            raise ValueError(f"工作时段 {item!r} 与前一时段重叠或顺序颠倒")
        periods.append((opens, closes))
    if not periods:
        raise ValueError("至少需要一个工作时段，例如 08:30-12:00,14:00-17:30")
    return tuple(periods)


def working_hours_from_settings() -> tuple[Period, ...]:
    """The periods in ``settings.LINLI_WORKING_HOURS`` (default :data:`DEFAULT_WORKING_HOURS`).

    Raises:
        ImproperlyConfigured: naming the setting when the value does not parse.
    """
    raw = getattr(settings, "LINLI_WORKING_HOURS", "") or DEFAULT_WORKING_HOURS
    try:
        return parse_working_hours(str(raw))
    except ValueError as error:
        raise ImproperlyConfigured(f"LINLI_WORKING_HOURS: {error}") from None


def refresh_seconds_from_settings() -> float:
    """``settings.LINLI_CALENDAR_REFRESH_SECONDS`` (default 30; 0 re-reads on every call)."""
    value = getattr(settings, "LINLI_CALENDAR_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ImproperlyConfigured(
            f"LINLI_CALENDAR_REFRESH_SECONDS must be a number of seconds >= 0, got {value!r}"
        )
    return float(value)


@checks.register()
def check_calendar_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """System check (``linli up``, ``linli check``, other commands): the calendar settings
    parse, and the package knows the current year.

    Registered when this module is imported, which the admin's autodiscovery of
    ``linli/common/admin.py`` does at start-up.
    """
    messages: list[checks.CheckMessage] = []
    for read in (working_hours_from_settings, refresh_seconds_from_settings):
        try:
            read()
        except ImproperlyConfigured as error:
            messages.append(checks.Error(str(error), id="linli.calendar.E001"))
    year = timezone.localdate().year
    if not package_covers(year):
        messages.append(
            checks.Warning(
                f"chinesecalendar does not cover {year}: working-time SLAs count Monday-Friday "
                "plus admin overrides only.",
                hint="Upgrade chinesecalendar or enter the official schedule as 工作日历调整 "
                "(docs/calendar.md).",
                id="linli.calendar.W001",
            )
        )
    return messages


# --- the package --------------------------------------------------------------------------


@cache
def package_covers(year: int) -> bool:
    """Whether the installed ``chinesecalendar`` knows ``year`` (probed, cached per process)."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def package_years() -> range:
    """The contiguous years the installed ``chinesecalendar`` covers, found by probing.

    Starts at this year (or the latest earlier year the package knows, for an old package)
    and widens both ways; ``range(0)`` if it knows no year at all since 1900.
    """
    year = timezone.localdate().year
    while year >= 1900 and not package_covers(year):
        year -= 1
    if year < 1900:
        return range(0)
    first = last = year
    while package_covers(first - 1):
        first -= 1
    while package_covers(last + 1):
        last += 1
    return range(first, last + 1)


def package_is_workday(day: dt.date) -> bool | None:
    """What ``chinesecalendar`` says about ``day``, or ``None`` for a year it does not cover."""
    if not package_covers(day.year):
        return None
    return bool(chinese_calendar.is_workday(day))


# --- input checks -------------------------------------------------------------------------


def _check_day(day: Any) -> dt.date:
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"需要日期（datetime.date），收到 {type(day).__name__}")
    return day


def _local(moment: Any, name: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"{name} 需要带时区的 datetime，收到 {type(moment).__name__}")
    if moment.utcoffset() is None:
        raise TypeError(f"{name} 必须带时区（收到无时区的 {moment.isoformat()}）")
    return moment.astimezone(TZ)


def _duration(seconds: Any) -> dt.timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError(f"时长需要整数秒，收到 {seconds!r}")
    if seconds < 0:
        raise ValueError(f"时长不能为负数：{seconds} 秒")
    if seconds > MAX_SECONDS:
        raise ValueError(f"时长过长：{seconds} 秒（上限 {MAX_SECONDS} 秒，约 10 年）")
    return dt.timedelta(seconds=seconds)


def _checked_intervals(
    intervals: Sequence[Interval],
) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Intervals converted to Asia/Shanghai; the open one keeps ``None`` as its end.

    Raises:
        TypeError/ValueError: naive datetimes, a closed interval ending before it starts,
            intervals out of order or overlapping, an open interval that is not the last.
    """
    checked: list[tuple[dt.datetime, dt.datetime | None]] = []
    previous_end: dt.datetime | None = None
    for index, (raw_start, raw_end) in enumerate(intervals):
        start = _local(raw_start, f"第 {index + 1} 段的开始")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"第 {index + 1} 段计时与前一段重叠或顺序颠倒")
        if raw_end is None:
            if index != len(intervals) - 1:
                raise ValueError("只有最后一段计时可以未结束（结束时间为 None）")
            checked.append((start, None))
            break
        end = _local(raw_end, f"第 {index + 1} 段的结束")
        if end < start:
            raise ValueError(f"第 {index + 1} 段计时的结束早于开始")
        checked.append((start, end))
        previous_end = end
    return checked


# --- the pure calendar --------------------------------------------------------------------


class WorkCalendar:
    """Working days and working time for one set of overrides and working hours. No database.

    Args:
        overrides: ``{date: is_workday}``; wins over the package and the fallback.
        working_hours: periods from :func:`parse_working_hours`; default the settings'.

    Per-date answers are cached in the instance; build a new instance when the overrides
    change (:func:`current_calendar` does). Safe to share between threads: the caches only
    ever gain identical entries.
    """

    def __init__(
        self,
        *,
        overrides: Mapping[dt.date, bool] | None = None,
        working_hours: Sequence[Period] | None = None,
    ) -> None:
        self.overrides: dict[dt.date, bool] = dict(overrides or {})
        self.working_hours: tuple[Period, ...] = (
            tuple(working_hours) if working_hours is not None else working_hours_from_settings()
        )
        if not self.working_hours:
            raise ValueError("至少需要一个工作时段")
        base = dt.date(2000, 1, 1)
        #: Length of one full working day in seconds (25,200 with the default hours).
        self.day_seconds: int = sum(
            (dt.datetime.combine(base, closes) - dt.datetime.combine(base, opens)) // _ONE_SECOND
            for opens, closes in self.working_hours
        )
        self._days: dict[dt.date, bool] = {}
        self._windows: dict[dt.date, tuple[Window, ...]] = {}
        self._warned_years: set[int] = set()

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` (a date in Asia/Shanghai) is a working day; see the module rules."""
        known = self._days.get(day)
        if known is None:
            known = self._decide(_check_day(day))
            self._days[day] = known
        return known

    def _decide(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        from_package = package_is_workday(day)
        if from_package is not None:
            return from_package
        if day.year not in self._warned_years:
            self._warned_years.add(day.year)
            entered = sum(1 for date in self.overrides if date.year == day.year)
            logger.warning(
                "chinesecalendar %s does not cover %d (it knows %s); counting Monday-Friday "
                "as working days plus %d admin override(s) for that year. Enter the official "
                "%d holiday schedule as calendar overrides (工作日历调整) or upgrade the package.",
                getattr(chinese_calendar, "__version__", "?"),
                day.year,
                _describe(package_years()),
                entered,
                day.year,
            )
        return day.weekday() < 5

    def windows(self, day: dt.date) -> tuple[Window, ...]:
        """The aware (Asia/Shanghai) working periods of ``day``; empty on a day off."""
        cached = self._windows.get(day)
        if cached is None:
            cached = ()
            if self.is_workday(day):
                cached = tuple(
                    (
                        dt.datetime.combine(day, opens, tzinfo=TZ),
                        dt.datetime.combine(day, closes, tzinfo=TZ),
                    )
                    for opens, closes in self.working_hours
                )
            self._windows[day] = cached
        return cached

    def _add(self, start: dt.datetime, remaining: dt.timedelta) -> dt.datetime:
        day = start.date()
        while True:
            for opens, closes in self.windows(day):
                if closes <= start:
                    continue
                begin = max(opens, start)
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += _ONE_DAY

    def _between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        total = _ZERO
        day, last = start.date(), end.date()
        while day <= last:
            for opens, closes in self.windows(day):
                low, high = max(opens, start), min(closes, end)
                if high > low:
                    total += high - low
            day += _ONE_DAY
        return total

    def add_working_time(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The moment ``seconds`` of working time after ``start`` have passed.

        A start outside working hours begins counting at the next opening, so ``seconds=0``
        returns the first working moment at or after ``start``. A duration that ends
        exactly at a closing time returns the closing time (12:00, not 14:00).

        Returns: an aware datetime in Asia/Shanghai.
        Raises: TypeError (naive ``start``, non-integer seconds); ValueError (negative or
            over :data:`MAX_SECONDS`).
        """
        return self._add(_local(start, "start"), _duration(seconds))

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole seconds of working time in ``[start, end)`` (fractions of a second dropped).

        Raises: TypeError (naive datetimes); ValueError if ``end`` is before ``start``.
        """
        low, high = _local(start, "start"), _local(end, "end")
        if high < low:
            raise ValueError("结束时间早于开始时间")
        return self._between(low, high) // _ONE_SECOND

    def due_at(self, start: dt.datetime, seconds: int, *, working_time: bool) -> dt.datetime:
        """:meth:`add_working_time` or :func:`add_clock_time`, chosen by ``working_time``."""
        if working_time:
            return self.add_working_time(start, seconds)
        return add_clock_time(start, seconds)

    def elapsed_seconds(
        self, intervals: Sequence[Interval], *, working_time: bool, now: dt.datetime
    ) -> int:
        """Seconds an SLA clock has run: the sum over its running intervals.

        Args:
            intervals: ``[(started, stopped_or_None), …]`` in time order, not overlapping;
                only the last may be open (``None``), meaning "still running". A pause
                (e.g. awaiting the resident) is simply the gap between two intervals.
            working_time: count working time (True) or clock time (False).
            now: aware; ends the open interval (an open interval starting after ``now``
                counts 0, tolerating small clock skew between machines).

        Raises: TypeError/ValueError as :func:`_checked_intervals`.
        """
        moment = _local(now, "now")
        total = _ZERO
        for start, end in _checked_intervals(intervals):
            # An open interval starting after ``now`` (clock skew between machines) counts 0.
            stop = max(start, moment) if end is None else end
            total += self._span(start, stop, working_time=working_time)
        return total // _ONE_SECOND

    def clock_due_at(
        self, intervals: Sequence[Interval], seconds: int, *, working_time: bool
    ) -> dt.datetime | None:
        """When a paused-and-resumed clock reaches ``seconds``; ``None`` if it has not and is
        paused now.

        Args: as :meth:`elapsed_seconds`; ``seconds`` is the time limit.
        Returns: if the limit was reached inside a closed interval, that past moment (when
            the case became overdue); if the last interval is open, the projected due time
            assuming the clock keeps running; aware, Asia/Shanghai.
        """
        remaining = _duration(seconds)
        for start, end in _checked_intervals(intervals):
            if end is None or remaining <= self._span(start, end, working_time=working_time):
                return self._add(start, remaining) if working_time else start + remaining
            remaining -= self._span(start, end, working_time=working_time)
        return None

    def _span(self, start: dt.datetime, end: dt.datetime, *, working_time: bool) -> dt.timedelta:
        return self._between(start, end) if working_time else end - start


def add_clock_time(start: dt.datetime, seconds: int) -> dt.datetime:
    """``start`` plus ``seconds`` of elapsed (clock) time, as an aware Asia/Shanghai datetime.

    Raises: TypeError (naive ``start``, non-integer seconds); ValueError (negative).
    """
    moment = _local(start, "start")
    return (moment.astimezone(dt.UTC) + _duration(seconds)).astimezone(TZ)


def _describe(years: range) -> str:
    return f"{years.start}-{years.stop - 1}" if years else "no year"


# --- the process-wide calendar ------------------------------------------------------------


class _State:
    lock = threading.Lock()
    calendar: WorkCalendar | None = None
    overrides: dict[dt.date, bool] | None = None
    next_check = 0.0
    signals_connected = False


def _load_overrides() -> dict[dt.date, bool]:
    from linli.common.models import CalendarOverride

    return dict(CalendarOverride.objects.values_list("date", "is_workday"))


def current_calendar() -> WorkCalendar:
    """This process's :class:`WorkCalendar` with the overrides from the database.

    Costs no query while fresh; one query (all override rows: a few dozen a year) every
    ``LINLI_CALENDAR_REFRESH_SECONDS``; the per-date caches survive a refresh that finds no
    change.
    """
    calendar = _State.calendar
    if calendar is not None and time.monotonic() < _State.next_check:
        return calendar
    with _State.lock:
        _connect_signals()
        if _State.calendar is not None and time.monotonic() < _State.next_check:
            return _State.calendar
        overrides = _load_overrides()
        if _State.calendar is None or overrides != _State.overrides:
            _State.calendar = WorkCalendar(overrides=overrides)
            _State.overrides = overrides
        _State.next_check = time.monotonic() + refresh_seconds_from_settings()
        return _State.calendar


def mark_stale() -> None:
    """Make the next call re-read the overrides (after a save, or between tests)."""
    _State.next_check = 0.0


def forget() -> None:
    """Drop this process's calendar, so the next call rebuilds it from the database and the
    current settings (tests, or after changing working hours in a shell)."""
    with _State.lock:
        _State.calendar = None
        _State.overrides = None
        _State.next_check = 0.0


def _on_override_change(**kwargs: Any) -> None:
    from django.db import transaction

    mark_stale()
    # Readers inside the writer's transaction saw the new rows; others see them on commit.
    transaction.on_commit(mark_stale)


def _connect_signals() -> None:
    # Only a process that has loaded the calendar has a cache to invalidate; bulk updates
    # that send no signals are caught by the periodic re-read.
    if _State.signals_connected:
        return
    from django.db.models.signals import post_delete, post_save

    from linli.common.models import CalendarOverride

    post_save.connect(_on_override_change, sender=CalendarOverride, dispatch_uid="workcalendar")
    post_delete.connect(_on_override_change, sender=CalendarOverride, dispatch_uid="workcalendar")
    _State.signals_connected = True


# --- the API callers use ------------------------------------------------------------------


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day: override, else package, else Monday–Friday.

    Raises: TypeError if ``day`` is not a ``date`` (a ``datetime`` is refused: convert it
        with ``moment.astimezone(TZ).date()`` so the day is the Shanghai one).
    """
    return current_calendar().is_workday(day)


def add_working_time(start: dt.datetime, seconds: int) -> dt.datetime:
    """See :meth:`WorkCalendar.add_working_time`."""
    return current_calendar().add_working_time(start, seconds)


def working_seconds_between(start: dt.datetime, end: dt.datetime) -> int:
    """See :meth:`WorkCalendar.working_seconds_between`."""
    return current_calendar().working_seconds_between(start, end)


def due_at(start: dt.datetime, seconds: int, *, working_time: bool) -> dt.datetime:
    """The due time ``seconds`` after ``start``, in working or clock time (aware, Shanghai)."""
    if not working_time:
        return add_clock_time(start, seconds)
    return current_calendar().add_working_time(start, seconds)


def elapsed_seconds(intervals: Sequence[Interval], *, working_time: bool, now: dt.datetime) -> int:
    """See :meth:`WorkCalendar.elapsed_seconds`."""
    return current_calendar().elapsed_seconds(intervals, working_time=working_time, now=now)


def clock_due_at(
    intervals: Sequence[Interval], seconds: int, *, working_time: bool
) -> dt.datetime | None:
    """See :meth:`WorkCalendar.clock_due_at`."""
    return current_calendar().clock_due_at(intervals, seconds, working_time=working_time)
