"""Reads of venue booking, always scoped to the caller.

* residents and enterprise contacts: the venues their community lets them book
  (:func:`venues_for_resident`, :func:`venues_for_organization`) and their own bookings;
* staff: venues, bookings and the approval queue under the areas where they hold one of
  :data:`linli.sharing.venues.VENUE_ROLES` (:func:`staff_venues`, :func:`approval_queue`,
  :func:`staff_bookings`); anyone else sees nothing;
* everybody who may book a venue: its day (:func:`venue_day`) — open hours, what is
  taken and what is free, in local time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from linli.accounts.selectors import residents_actable_by
from linli.activities.models import ActivityStatus, Session, Venue
from linli.engagement.selectors import role_paths
from linli.orgs.models import Organization
from linli.people.models import Resident
from linli.places.models import Area
from linli.sharing.models import LIVE_VENUE_BOOKING, VenueBooking, VenueBookingStatus
from linli.sharing.venues import ADMITS_ENTERPRISES, ADMITS_RESIDENTS, VENUE_ROLES

AnyUser = Any


def _prefixes(area: Area) -> list[str]:
    parts = [p for p in area.path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def _bookable(admits: tuple[str, ...], area: Area) -> QuerySet[Venue]:
    """Active venues with a rule admitting ``admits`` whose community contains ``area``."""
    return (
        Venue.objects.filter(
            active=True, booking_rule__bookers__in=admits, area__path__in=_prefixes(area)
        )
        .select_related("area", "booking_rule")
        .order_by("name", "pk")
    )


def venues_for_resident(resident: Resident) -> QuerySet[Venue]:
    """Venues ``resident`` may book: their community's, with a rule admitting residents."""
    return _bookable(ADMITS_RESIDENTS, resident.area)


def venues_for_organization(organization: Organization) -> QuerySet[Venue]:
    """Venues ``organization`` may book: its community's, with a rule admitting enterprises."""
    return _bookable(ADMITS_ENTERPRISES, organization.area)


def bookings_of_account(user: AnyUser) -> QuerySet[VenueBooking]:
    """Bookings a resident account made or that are for someone it may act for; newest
    first."""
    people = residents_actable_by(user).values("pk")
    return (
        VenueBooking.objects.filter(Q(booked_by_id=user.pk or 0) | Q(resident_id__in=people))
        .filter(organization__isnull=True)
        .select_related("venue", "resident")
        .order_by("-starts_at", "-pk")
    )


def bookings_of_organizations(orgs: list[Organization]) -> QuerySet[VenueBooking]:
    """Bookings made for ``orgs``; newest first."""
    return (
        VenueBooking.objects.filter(organization__in=orgs)
        .select_related("venue", "organization")
        .order_by("-starts_at", "-pk")
    )


# --- staff ---------------------------------------------------------------------------------


def _staff_q(user: AnyUser, field: str) -> Q | None:
    """``None`` for everything (superuser); else rows whose area lies under the user's."""
    paths = role_paths(user, VENUE_ROLES)
    if paths is None:
        return None
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


def is_staff(user: AnyUser) -> bool:
    """Holds one of :data:`VENUE_ROLES` anywhere (or is a superuser)."""
    paths = role_paths(user, VENUE_ROLES)
    return paths is None or bool(paths)


def staff_venues(user: AnyUser) -> QuerySet[Venue]:
    """Venues under the user's areas, active first then by name (bookable or not)."""
    venues = Venue.objects.select_related("area").order_by("-active", "name", "pk")
    condition = _staff_q(user, "area")
    return venues if condition is None else venues.filter(condition)


def staff_bookings(user: AnyUser) -> QuerySet[VenueBooking]:
    """Bookings of venues under the user's areas."""
    bookings = VenueBooking.objects.select_related(
        "venue__area", "resident", "organization", "booked_by"
    ).order_by("starts_at", "pk")
    condition = _staff_q(user, "venue__area")
    return bookings if condition is None else bookings.filter(condition)


def approval_queue(user: AnyUser, *, now: dt.datetime | None = None) -> QuerySet[VenueBooking]:
    """Requested bookings not yet started, under the user's areas, soonest first."""
    now = now or timezone.now()
    return staff_bookings(user).filter(status=VenueBookingStatus.REQUESTED, ends_at__gt=now)


def bookings_on(user: AnyUser, day: dt.date, venue: Venue | None = None) -> QuerySet[VenueBooking]:
    """Bookings (every status) overlapping local ``day`` under the user's areas."""
    start, end = day_bounds(day)
    bookings = staff_bookings(user).filter(starts_at__lt=end, ends_at__gt=start)
    return bookings if venue is None else bookings.filter(venue=venue)


# --- a venue's day -------------------------------------------------------------------------


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight to the next local midnight, aware."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(0)))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(1), dt.time(0)))


@dataclasses.dataclass(frozen=True)
class Slot:
    """A span of a day in local wall-clock time; ``end`` ``None`` means midnight."""

    start: dt.time
    end: dt.time | None
    label: str = ""
    kind: str = ""  # "booking" / "session" for taken slots

    @property
    def words(self) -> str:
        end = "24:00" if self.end is None else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}–{end}"


@dataclasses.dataclass(frozen=True)
class VenueDay:
    """One local day of a venue: ``open`` windows (the whole day when the venue has no
    windows), ``taken`` by live bookings and activity sessions, and ``free`` — open and
    not taken."""

    venue: Venue
    day: dt.date
    open: list[Slot]
    taken: list[Slot]
    free: list[Slot]
    past: bool = False

    @property
    def free_words(self) -> str:
        """E.g. ``"09:00–10:00、12:00–18:00 可预约"``, or that nothing is free."""
        if self.past:
            return "这一天已经过去"
        if not self.open:
            return "这一天不开放"
        if not self.free:
            return "这一天已约满"
        return "、".join(s.words for s in self.free) + " 可预约"


def _minutes(moment: dt.datetime, day: dt.date) -> int:
    here = timezone.localtime(moment)
    if here.date() < day:
        return 0
    if here.date() > day:
        return 24 * 60
    return here.hour * 60 + here.minute


def _time(minutes: int) -> dt.time | None:
    return None if minutes >= 24 * 60 else dt.time(minutes // 60, minutes % 60)


def _open_minutes(venue: Venue, day: dt.date) -> list[tuple[int, int]]:
    windows = list(venue.windows.all())
    if not windows:
        return [(0, 24 * 60)]
    end_of = [
        (w.start.hour * 60 + w.start.minute, w.end.hour * 60 + w.end.minute + (w.end.second > 0))
        for w in windows
        if w.weekday == day.weekday()
    ]
    return sorted(end_of)


def _subtract(spans: list[tuple[int, int]], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    free = []
    for start, end in spans:
        cursor = start
        for t_start, t_end in sorted(taken):
            if t_end <= cursor or t_start >= end:
                continue
            if t_start > cursor:
                free.append((cursor, t_start))
            cursor = max(cursor, t_end)
        if cursor < end:
            free.append((cursor, end))
    return free


def venue_day(
    venue: Venue, day: dt.date, *, details: bool = False, now: dt.datetime | None = None
) -> VenueDay:
    """The day of ``venue`` on local ``day``. Taken slots carry the booking's purpose
    only with ``details`` (staff); otherwise they say 已被预约, so residents never see
    who booked. Free slots are at least 30 minutes and not before ``now``."""
    now = now or timezone.now()
    start, end = day_bounds(day)
    bookings = VenueBooking.objects.filter(
        venue=venue, status__in=LIVE_VENUE_BOOKING, starts_at__lt=end, ends_at__gt=start
    ).order_by("starts_at")
    sessions = (
        Session.objects.filter(
            activity__venue=venue,
            activity__status__in=[ActivityStatus.PUBLISHED, ActivityStatus.CLOSED],
            cancelled=False,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("activity")
        .order_by("starts_at")
    )
    spans: list[tuple[int, int, str, str]] = []
    for booking in bookings:
        label = booking.purpose if details else "已被预约"
        if booking.status == VenueBookingStatus.REQUESTED:
            label += "（待审批）"
        spans.append(
            (_minutes(booking.starts_at, day), _minutes(booking.ends_at, day), label, "booking")
        )
    for session in sessions:
        label = f"社区活动：{session.activity.title}"
        spans.append(
            (_minutes(session.starts_at, day), _minutes(session.ends_at, day), label, "session")
        )
    spans.sort()
    opened = _open_minutes(venue, day)
    past = (0, _minutes(now, day))
    free = _subtract(opened, [past] + [(s, e) for s, e, _, _ in spans])

    def slot(s: int, e: int, label: str = "", kind: str = "") -> Slot:
        return Slot(_time(s) or dt.time(0), _time(e), label, kind)

    return VenueDay(
        venue=venue,
        day=day,
        open=[slot(s, e) for s, e in opened],
        taken=[slot(s, e, label, kind) for s, e, label, kind in spans],
        free=[slot(s, e) for s, e in free if e - s >= 30],
        past=day < timezone.localtime(now).date(),
    )
