"""Reads of off-peak parking sharing, always scoped to the caller.

Staff see lots (and their spaces and bookings) whose community (``ParkingLot.area``) lies
under one of their assignments (:func:`linli.people.scoping.scope`); a micro-grid worker
therefore does not see the community's lot — the community's staff manage parking, as
:func:`linli.sharing.services._check_space_owner` also requires. Residents see their own
vehicles, spaces (theirs or their household's) and bookings, and those of relatives who
consented (:func:`linli.accounts.selectors.residents_actable_by`).

The free-space search and the day's free spans run a fixed number of queries whatever the
number of spaces (spaces with their windows, then the live bookings of the span or day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from linli.accounts.models import ResidentAccount
from linli.accounts.selectors import account_of, residents_actable_by
from linli.common.windows import WEEKDAY_WORDS, local
from linli.people.scoping import scope
from linli.sharing.models import (
    LIVE_BOOKING,
    Booking,
    BookingEvent,
    BookingStatus,
    ParkingLot,
    ParkingSpace,
    SpaceWindow,
    Vehicle,
)
from linli.sharing.services import price_fen

AnyUser = Any

#: Rows shown on the bookings board (the export has them all within the filters).
BOARD_LIMIT = 300


# --- words ---------------------------------------------------------------------------------


def _weekdays_words(days: list[int]) -> str:
    """``[0, 1, 2, 3, 4]`` → ``周一至周五``; ``[0, 2]`` → ``周一、周三``; all → ``每天``."""
    days = sorted(set(days))
    if days == list(range(7)):
        return "每天"
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"周{WEEKDAY_WORDS[days[0]]}至周{WEEKDAY_WORDS[days[-1]]}"
    return "、".join(f"周{WEEKDAY_WORDS[d]}" for d in days)


def windows_words(windows: list[Any]) -> str:
    """Weekly windows in words, grouped by hours: ``周一至周五 08:00–18:00；周六 09:00–12:00``
    (``未开放共享`` when there are none)."""
    if not windows:
        return "未开放共享"
    by_hours: dict[tuple[dt.time, dt.time], list[int]] = {}
    for w in windows:
        by_hours.setdefault((w.start, w.end), []).append(w.weekday)
    parts = sorted(by_hours.items(), key=lambda item: (min(item[1]), item[0]))
    return "；".join(
        f"{_weekdays_words(days)} {start:%H:%M}–{end:%H:%M}" for (start, end), days in parts
    )


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``张小华`` → ``张*华`` (first and last character kept)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- staff ---------------------------------------------------------------------------------


def _count_per_lot(rows: QuerySet[Any]) -> Coalesce:
    """``rows`` (filtered on ``lot=OuterRef("pk")``) counted per lot, 0 when none: a
    subquery, so the three counts do not multiply each other's joins."""
    counted = rows.order_by().values("lot").annotate(n=Count("pk", distinct=True)).values("n")
    return Coalesce(Subquery(counted), 0)


def lots_for(user: AnyUser) -> QuerySet[ParkingLot]:
    """Lots of the user's communities with ``space_count``, ``shared_count`` (spaces with
    at least one window) and ``live_count`` (live bookings ending today or later)."""
    today = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time()))
    lot = OuterRef("pk")
    return (
        scope(ParkingLot.objects.all(), user)
        .select_related("area")
        .annotate(
            space_count=_count_per_lot(ParkingSpace.objects.filter(lot=lot)),
            shared_count=_count_per_lot(
                ParkingSpace.objects.filter(lot=lot, windows__isnull=False)
            ),
            live_count=_count_per_lot(
                Booking.objects.filter(
                    space__lot=lot, status__in=LIVE_BOOKING, ends_at__gte=today
                ).annotate(lot=F("space__lot"))
            ),
        )
    )


def lot_for(user: AnyUser, pk: int) -> ParkingLot | None:
    """The lot if the user may see it."""
    return scope(ParkingLot.objects.select_related("area"), user).filter(pk=pk).first()


def spaces_of_lot(lot: ParkingLot) -> list[ParkingSpace]:
    """The lot's spaces by number, with owner and windows (two queries)."""
    return list(lot.spaces.select_related("owner").prefetch_related("windows").order_by("number"))


def bookings_for(user: AnyUser) -> QuerySet[Booking]:
    """Bookings of lots the user may see, newest first."""
    return scope(
        Booking.objects.select_related("space__lot", "vehicle", "booker"),
        user,
        area_field="space__lot__area",
    )


@dataclass(frozen=True)
class BoardFilter:
    """Filters of the bookings board; empty values mean any."""

    lot: int | None = None
    day: dt.date | None = None
    status: str = ""
    plate: str = ""


def bookings_board(user: AnyUser, f: BoardFilter) -> QuerySet[Booking]:
    """Bookings the user may see, filtered: lot, local day (bookings that start that
    day), status, plate fragment (case-insensitive). Ordered by start, newest first."""
    rows = bookings_for(user)
    if f.lot:
        rows = rows.filter(space__lot_id=f.lot)
    if f.day:
        start = timezone.make_aware(dt.datetime.combine(f.day, dt.time()))
        rows = rows.filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
    if f.status:
        rows = rows.filter(status=f.status)
    if f.plate:
        rows = rows.filter(plate__icontains=f.plate.strip().upper())
    return rows.order_by("-starts_at", "-pk")


# --- residents -----------------------------------------------------------------------------


def vehicles_of(user: AnyUser) -> QuerySet[Vehicle]:
    """Vehicles of the residents the account may act for."""
    return Vehicle.objects.filter(owner__in=residents_actable_by(user)).select_related("owner")


def spaces_of(user: AnyUser) -> QuerySet[ParkingSpace]:
    """Spaces owned by the account's resident, their household, or consenting relatives."""
    people = residents_actable_by(user)
    households = people.exclude(household=None).values("household_id")
    return (
        ParkingSpace.objects.filter(Q(owner__in=people) | Q(owner__household_id__in=households))
        .select_related("lot", "owner")
        .prefetch_related("windows")
        .distinct()
        .order_by("lot__name", "number")
    )


def bookings_of(user: AnyUser) -> QuerySet[Booking]:
    """Bookings made by the residents the account may act for, newest first."""
    return (
        Booking.objects.filter(booker__in=residents_actable_by(user))
        .select_related("space__lot", "vehicle")
        .order_by("-starts_at", "-pk")
    )


#: Bookings still to come or under way: listed first on the resident's home page.
UNDER_WAY = (BookingStatus.BOOKED, BookingStatus.PARKED)


def bookings_for_home(user: AnyUser, limit: int = 30) -> list[Booking]:
    """The resident's bookings for their home page: the live ones (booked, parked) first,
    soonest first, then up to ``limit`` of the rest (cancelled, done, no-show), newest
    first. Two queries."""
    mine = bookings_of(user)
    live = list(mine.filter(status__in=UNDER_WAY).order_by("starts_at", "pk"))
    rest = list(mine.exclude(status__in=UNDER_WAY)[:limit])
    return live + rest


def event_actor_words(events: list[BookingEvent]) -> list[tuple[BookingEvent, str]]:
    """Each event with who did it in words for staff: a resident account's name masked
    (``王*``, :func:`mask_name`; its username is an internal hash like ``r-54b4…``), a
    staff member's full name or username, ``""`` for the system. One query."""
    ids = {e.actor_id for e in events if e.actor_id}
    residents = dict(
        ResidentAccount.objects.filter(user_id__in=ids).values_list("user_id", "resident__name")
    )
    rows = []
    for e in events:
        who = ""
        if e.actor is not None:
            if e.actor_id in residents:
                who = "居民 " + mask_name(e.actor.first_name or residents[e.actor_id])
            else:
                who = e.actor.get_full_name() or e.actor.get_username()
        rows.append((e, who))
    return rows


def lots_open_to(user: AnyUser) -> list[ParkingLot]:
    """Active lots of the community the account's resident lives in (the lot's area is
    an ancestor of, or equal to, the resident's area)."""
    account = account_of(user)
    if account is None:
        return []
    path = account.resident.area.path if account.resident.area_id else ""
    return [
        lot
        for lot in ParkingLot.objects.filter(active=True).select_related("area")
        if path.startswith(lot.area.path)
    ]


# --- free spaces ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeSpace:
    space: ParkingSpace
    price_fen: int


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def span_of(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes for ``start``–``end`` on local ``day`` (``end`` 00:00 = midnight)."""
    begin = timezone.make_aware(dt.datetime.combine(day, start))
    finish_day = day + dt.timedelta(days=1) if end == dt.time(0) else day
    return begin, timezone.make_aware(dt.datetime.combine(finish_day, end))


def _fits(windows: list[SpaceWindow], starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    start, end = local(starts_at), local(ends_at)
    end_time = dt.time(23, 59, 59) if end.time() == dt.time(0) else end.time()
    return any(
        w.weekday == start.weekday() and w.start <= start.time() and end_time <= w.end
        for w in windows
    )


def _shared_spaces(lot: ParkingLot, weekday: int) -> list[ParkingSpace]:
    day_windows = Prefetch(
        "windows", queryset=SpaceWindow.objects.filter(weekday=weekday), to_attr="day_windows"
    )
    return list(
        lot.spaces.filter(active=True, windows__weekday=weekday)
        .distinct()
        .select_related("owner")
        .prefetch_related(day_windows)
        .order_by("number")
    )


def free_spaces(lot: ParkingLot, starts_at: dt.datetime, ends_at: dt.datetime) -> list[FreeSpace]:
    """Spaces of ``lot`` whose windows contain ``starts_at``–``ends_at`` and that have no
    live booking overlapping it, ordered by number, with the price in fen
    (:func:`linli.sharing.services.price_fen`). Three queries whatever the lot's size.

    The span's rules beyond windows and overlap (length, how far ahead) are
    :func:`linli.sharing.services.booking_problem`'s; the booking service checks again.
    """
    if not lot.active or ends_at <= starts_at:
        return []
    spaces = _shared_spaces(lot, local(starts_at).weekday())
    taken = set(
        Booking.objects.filter(
            space__lot=lot,
            status__in=LIVE_BOOKING,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        ).values_list("space_id", flat=True)
    )
    price = price_fen(lot, starts_at, ends_at)
    return [
        FreeSpace(space, price)
        for space in spaces
        if space.pk not in taken and _fits(space.day_windows, starts_at, ends_at)  # type: ignore[attr-defined]
    ]


@dataclass(frozen=True)
class Span:
    """A local wall-clock span of one day."""

    start: dt.time
    end: dt.time

    def __str__(self) -> str:
        end = "24:00" if self.end == dt.time(0) else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}–{end}"


def _minus(
    window: tuple[dt.datetime, dt.datetime], busy: list[tuple[dt.datetime, dt.datetime]]
) -> list[tuple[dt.datetime, dt.datetime]]:
    free = [window]
    for b_start, b_end in busy:
        rest: list[tuple[dt.datetime, dt.datetime]] = []
        for f_start, f_end in free:
            if b_end <= f_start or b_start >= f_end:
                rest.append((f_start, f_end))
                continue
            if f_start < b_start:
                rest.append((f_start, b_start))
            if b_end < f_end:
                rest.append((b_end, f_end))
        free = rest
    return free


def free_spans(lot: ParkingLot, day: dt.date) -> dict[int, list[Span]]:
    """For each shared space of ``lot`` on local ``day``: its windows minus live bookings,
    as local spans in order (``{space_pk: [Span, ...]}``; spaces with none left map to
    ``[]``). Three queries whatever the lot's size."""
    spaces = _shared_spaces(lot, day.weekday())
    day_start, day_end = _day_bounds(day)
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for space_id, b_start, b_end in Booking.objects.filter(
        space__lot=lot, status__in=LIVE_BOOKING, starts_at__lt=day_end, ends_at__gt=day_start
    ).values_list("space_id", "starts_at", "ends_at"):
        busy.setdefault(space_id, []).append((b_start, b_end))
    result: dict[int, list[Span]] = {}
    for space in spaces:
        spans: list[Span] = []
        for w in space.day_windows:  # type: ignore[attr-defined]
            window = span_of(day, w.start, w.end)
            for f_start, f_end in _minus(window, sorted(busy.get(space.pk, []))):
                spans.append(Span(local(f_start).time(), local(f_end).time()))
        result[space.pk] = spans
    return result


def status_words(booking: Booking) -> str:
    """The status as shown to residents, with a sign so colour is never the only cue."""
    signs = {
        BookingStatus.BOOKED: "●",
        BookingStatus.PARKED: "▶",
        BookingStatus.COMPLETED: "✔",
        BookingStatus.CANCELLED: "✗",
        BookingStatus.NO_SHOW: "✗",
    }
    return f"{signs.get(booking.status, '●')} {booking.get_status_display()}"  # type: ignore[call-overload]
