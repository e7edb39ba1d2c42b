"""Venue booking (场地预约): booking rules, requests, approval, cancellation.

A :class:`~linli.activities.models.Venue` becomes bookable with a
:class:`~linli.sharing.models.VenueBookingRule` (:func:`venue_rule_set`). Availability is
the venue's weekly windows (a community room's opening hours, the canteen hall outside
meal times, an enterprise space outside production hours); a venue without windows is
always open.

Who books (:func:`venue_booking_request`):

* a resident account, for themself or a relative who consented to them acting — the
  resident living in the venue's community, when the rule admits residents;
* an enterprise contact (``Assignment`` role ``enterprise_contact``) for their
  organisation — registered in the venue's community, when the rule admits enterprises;
* staff holding one of :data:`VENUE_ROLES` over the venue's area, for either of those or
  for the community itself (neither resident nor organisation).

The no-overlap guarantee, the same as parking (:mod:`linli.sharing.services`): the
request locks the venue row (``SELECT … FOR UPDATE``; on SQLite the ``IMMEDIATE``
transaction holds the write lock), checks live bookings and live activity sessions,
then inserts; on PostgreSQL the exclusion constraint ``venue_booking_no_overlap``
(migration 0002) refuses what slips past, turned into :class:`Clash`. Activities lock
the same venue row before they check bookings (``_check_sessions``), so a session and a
booking cannot take the same time either.

Every transition locks the booking row, checks the state, writes a
:class:`~linli.sharing.models.VenueBookingEvent`; notifications go out after commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.accounts.selectors import residents_actable_by
from linli.activities.models import Venue
from linli.activities.services import session_clash, venue_problem
from linli.common.windows import local
from linli.engagement.selectors import contact_organizations, holds_role_over
from linli.orgs.models import Organization
from linli.people.models import Assignment, Resident, Role
from linli.places.models import Area
from linli.sharing.errors import Clash, IllegalTransition, NotAllowed, SharingError
from linli.sharing.models import (
    LIVE_VENUE_BOOKING,
    VenueBookers,
    VenueBooking,
    VenueBookingEvent,
    VenueBookingRule,
    VenueBookingStatus,
)

AnyUser = Any

#: Staff roles that set booking rules, approve, and book on behalf, over their areas
#: (the community's and street's administrators, who run the community's rooms).
VENUE_ROLES = frozenset({Role.STREET_ADMIN, Role.COMMUNITY_ADMIN})
#: The shortest booking.
MIN_LENGTH = dt.timedelta(minutes=30)
#: Bounds of a rule's fields (a day at most; a year ahead at most).
MAX_HOURS_LIMIT = 24
ADVANCE_DAYS_LIMIT = 365
PURPOSE_MAX = 100
REASON_MAX = 200

#: Who a rule admits, by the kind of booker.
ADMITS_RESIDENTS = (VenueBookers.RESIDENTS, VenueBookers.BOTH)
ADMITS_ENTERPRISES = (VenueBookers.ENTERPRISES, VenueBookers.BOTH)


# --- who may act ---------------------------------------------------------------------------


def is_venue_staff(actor: AnyUser, area: Area) -> bool:
    """Holds one of :data:`VENUE_ROLES` on ``area`` or above it (a superuser: everywhere)."""
    return holds_role_over(actor, area, VENUE_ROLES)


def _under(area: Area, community: Area) -> bool:
    return area.path.startswith(community.path)


def _check_staff(actor: AnyUser, venue: Venue) -> None:
    if not is_venue_staff(actor, venue.area):
        raise NotAllowed(f"只有负责“{venue.area.name}”的社区工作人员可以办理")


def _check_booker(
    actor: AnyUser,
    venue: Venue,
    rule: VenueBookingRule,
    resident: Resident | None,
    organization: Organization | None,
) -> None:
    """Raises :class:`NotAllowed` unless ``actor`` may book ``venue`` for the booker."""
    if resident is not None and organization is not None:
        raise SharingError("一次预约只能以一位居民或一个单位的名义", field="booker")
    staff = is_venue_staff(actor, venue.area)
    if resident is not None:
        if not staff and not residents_actable_by(actor).filter(pk=resident.pk).exists():
            raise NotAllowed("您不能为这位居民预约")
        if rule.bookers not in ADMITS_RESIDENTS:
            raise NotAllowed(f"场地“{venue.name}”只接受辖区单位预约")
        if not _under(resident.area, venue.area):
            raise NotAllowed(f"场地“{venue.name}”只供{venue.area.name}的居民预约")
    elif organization is not None:
        if not staff and organization not in contact_organizations(actor):
            raise NotAllowed("您不是这个单位的联络员，不能以它的名义预约")
        if rule.bookers not in ADMITS_ENTERPRISES:
            raise NotAllowed(f"场地“{venue.name}”只接受本社区居民预约")
        if not _under(organization.area, venue.area):
            raise NotAllowed(f"场地“{venue.name}”只供{venue.area.name}的辖区单位预约")
    elif not staff:
        raise NotAllowed("请选择以哪位居民或哪个单位的名义预约")


def may_cancel(actor: AnyUser, booking: VenueBooking) -> bool:
    """The account that booked, who may act for the resident, a contact of the
    organisation, or staff over the venue's area."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if booking.booked_by_id == actor.pk or is_venue_staff(actor, booking.venue.area):
        return True
    if booking.resident_id is not None:
        return residents_actable_by(actor).filter(pk=booking.resident_id).exists()
    if booking.organization_id is not None:
        return any(org.pk == booking.organization_id for org in contact_organizations(actor))
    return False


# --- rules ---------------------------------------------------------------------------------


@transaction.atomic
def venue_rule_set(
    *,
    actor: AnyUser,
    venue: Venue,
    bookers: str = VenueBookers.BOTH,
    needs_approval: bool = True,
    max_hours: int = 4,
    advance_days: int = 30,
) -> VenueBookingRule:
    """Make ``venue`` bookable, or change its rule: who may book (:class:`VenueBookers`),
    whether staff approve each request, the longest booking in hours (1–24) and how many
    days ahead one may book (1–365). Bookings already made are kept.

    Raises:
        NotAllowed: not staff over the venue's area (:data:`VENUE_ROLES`).
        SharingError: an unknown ``bookers`` value or a number out of range (field named).
    """
    _check_staff(actor, venue)
    if bookers not in VenueBookers.values:
        raise SharingError("请选择可预约对象", field="bookers")
    if not 1 <= max_hours <= MAX_HOURS_LIMIT:
        raise SharingError(f"单次最长应为 1–{MAX_HOURS_LIMIT} 小时", field="max_hours")
    if not 1 <= advance_days <= ADVANCE_DAYS_LIMIT:
        raise SharingError(f"最多提前天数应为 1–{ADVANCE_DAYS_LIMIT} 天", field="advance_days")
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    rule, _ = VenueBookingRule.objects.update_or_create(
        venue=venue,
        defaults={
            "bookers": bookers,
            "needs_approval": needs_approval,
            "max_hours": max_hours,
            "advance_days": advance_days,
        },
    )
    return rule


@transaction.atomic
def venue_rule_remove(*, actor: AnyUser, venue: Venue) -> None:
    """Stop taking bookings for ``venue`` (bookings already made are kept).

    Raises:
        NotAllowed: not staff over the venue's area.
    """
    _check_staff(actor, venue)
    VenueBookingRule.objects.filter(venue=venue).delete()


# --- requests ------------------------------------------------------------------------------


def span_words(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """``"06月02日 09:00–11:00"`` in local time."""
    start, end = local(starts_at), local(ends_at)
    return f"{start:%m月%d日 %H:%M}–{end:%H:%M}"


def booking_problem(
    venue: Venue,
    rule: VenueBookingRule,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    now: dt.datetime,
) -> str | None:
    """Why ``venue`` cannot be booked for ``starts_at``–``ends_at`` under ``rule``
    (ignoring other bookings and sessions), in Chinese, or ``None``: aware times in
    order, at least :data:`MIN_LENGTH`, at most ``rule.max_hours``, not in the past, at
    most ``rule.advance_days`` ahead, inside one of the venue's windows
    (:func:`linli.activities.services.venue_problem`)."""
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        return "时间缺少时区"
    if ends_at <= starts_at:
        return "结束时间必须晚于开始时间"
    if ends_at - starts_at < MIN_LENGTH:
        return f"至少预约 {int(MIN_LENGTH.total_seconds() // 60)} 分钟"
    if ends_at - starts_at > dt.timedelta(hours=rule.max_hours):
        return f"场地“{venue.name}”单次最多预约 {rule.max_hours} 小时"
    if starts_at < now:
        return "开始时间已过，请选择以后的时间"
    if starts_at > now + dt.timedelta(days=rule.advance_days):
        return f"场地“{venue.name}”最多提前 {rule.advance_days} 天预约"
    problem = venue_problem(venue, starts_at, ends_at)
    if problem == "一个场次不能跨天":
        return "不能跨天，请分成两段"
    return problem


def _event(
    booking: VenueBooking, actor: AnyUser, from_status: str, to_status: str, note: str
) -> None:
    VenueBookingEvent.objects.create(
        booking=booking,
        actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=from_status,
        to_status=to_status,
        note=note[:200],
    )


def _check_free(venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    taken = (
        VenueBooking.objects.filter(
            venue=venue,
            status__in=LIVE_VENUE_BOOKING,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .order_by("starts_at")
        .first()
    )
    if taken is not None:
        raise Clash(
            f"场地“{venue.name}”在 {span_words(taken.starts_at, taken.ends_at)} "
            "已被预约，请换个时间"
        )
    session = session_clash(venue, starts_at, ends_at)
    if session is not None:
        raise Clash(
            f"场地“{venue.name}”在 {span_words(session.starts_at, session.ends_at)} "
            f"有活动“{session.activity.title}”，请换个时间"
        )


@transaction.atomic
def venue_booking_request(
    *,
    actor: AnyUser,
    venue: Venue,
    purpose: str,
    attendees: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    resident: Resident | None = None,
    organization: Organization | None = None,
    now: dt.datetime | None = None,
) -> VenueBooking:
    """Book ``venue`` from ``starts_at`` to ``ends_at`` (aware) for ``attendees`` people.

    The booking is ``requested`` when the rule needs approval (staff over the area are
    told in-app after commit), else ``approved`` at once. Both hold the time.

    Raises:
        SharingError: no purpose, attendees outside 1..capacity (field ``attendees``), a
            venue without a rule or out of use (field ``venue``), a span that does not
            fit (:func:`booking_problem`; field ``time``).
        NotAllowed: the actor may not book for this booker (module docstring).
        Clash: another live booking or an activity session holds part of the span
            (HTTP 409). Nothing is written on any error.
    """
    now = now or timezone.now()
    purpose = purpose.strip()
    if not purpose:
        raise SharingError("请填写用途", field="purpose")
    if len(purpose) > PURPOSE_MAX:
        raise SharingError(f"用途最多 {PURPOSE_MAX} 个字", field="purpose")
    # The lock that serialises bookings (and activity sessions) of one venue.
    venue = Venue.objects.select_for_update().select_related("area").get(pk=venue.pk)
    rule = VenueBookingRule.objects.filter(venue=venue).first()
    if rule is None or not venue.active:
        raise SharingError(f"场地“{venue.name}”不接受预约", field="venue")
    _check_booker(actor, venue, rule, resident, organization)
    if not 1 <= attendees <= venue.capacity:
        raise SharingError(
            f"人数应为 1–{venue.capacity} 人（场地“{venue.name}”最多容纳 {venue.capacity} 人）",
            field="attendees",
        )
    problem = booking_problem(venue, rule, starts_at, ends_at, now=now)
    if problem:
        raise SharingError(problem, field="time")
    _check_free(venue, starts_at, ends_at)
    status = VenueBookingStatus.REQUESTED if rule.needs_approval else VenueBookingStatus.APPROVED
    try:
        with transaction.atomic():
            booking = VenueBooking.objects.create(
                venue=venue,
                booked_by=actor,
                resident=resident,
                organization=organization,
                purpose=purpose,
                attendees=attendees,
                starts_at=starts_at,
                ends_at=ends_at,
                status=status,
            )
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint
        raise Clash(f"场地“{venue.name}”这段时间刚被别人预约了，请换个时间") from exc
    _event(booking, actor, "", status, f"预约 {span_words(starts_at, ends_at)}")
    if status == VenueBookingStatus.REQUESTED:
        _tell_staff_on_commit(booking)
    return booking


# --- transitions ---------------------------------------------------------------------------


def _locked(booking: VenueBooking) -> VenueBooking:
    return (
        VenueBooking.objects.select_for_update()
        .select_related("venue__area", "booked_by")
        .get(pk=booking.pk)
    )


def _move(booking: VenueBooking, to_status: str, *, actor: AnyUser, note: str) -> None:
    from_status = booking.status
    booking.status = to_status
    _event(booking, actor, from_status, to_status, note)


def _check_requested(booking: VenueBooking, doing: str) -> None:
    if booking.status != VenueBookingStatus.REQUESTED:
        raise IllegalTransition(f"预约{booking.get_status_display()}，不能{doing}")


@transaction.atomic
def venue_booking_approve(
    *, actor: AnyUser, booking: VenueBooking, note: str = "", now: dt.datetime | None = None
) -> VenueBooking:
    """Approve a requested booking; the booker is told in-app after commit.

    Raises:
        NotAllowed: not staff over the venue's area.
        IllegalTransition: not ``requested`` (HTTP 409).
    """
    booking = _locked(booking)
    _check_staff(actor, booking.venue)
    _check_requested(booking, "通过")
    booking.decided_by, booking.decided_at = actor, now or timezone.now()
    booking.reason = note.strip()[:REASON_MAX]
    _move(booking, VenueBookingStatus.APPROVED, actor=actor, note=booking.reason or "通过")
    booking.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
    _tell_booker_on_commit(booking, f"场地预约已通过：{booking.venue.name}", booking.reason)
    return booking


@transaction.atomic
def venue_booking_reject(
    *, actor: AnyUser, booking: VenueBooking, reason: str, now: dt.datetime | None = None
) -> VenueBooking:
    """Turn down a requested booking with a reason; the time is free again; the booker
    is told in-app after commit.

    Raises:
        SharingError: no reason (field ``reason``).
        NotAllowed: not staff over the venue's area.
        IllegalTransition: not ``requested`` (HTTP 409).
    """
    reason = reason.strip()
    if not reason:
        raise SharingError("请填写不通过的原因", field="reason")
    booking = _locked(booking)
    _check_staff(actor, booking.venue)
    _check_requested(booking, "不通过")
    booking.decided_by, booking.decided_at = actor, now or timezone.now()
    booking.reason = reason[:REASON_MAX]
    _move(booking, VenueBookingStatus.REJECTED, actor=actor, note=booking.reason)
    booking.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
    _tell_booker_on_commit(booking, f"场地预约未通过：{booking.venue.name}", booking.reason)
    return booking


@transaction.atomic
def venue_booking_cancel(
    *, actor: AnyUser, booking: VenueBooking, reason: str = "", now: dt.datetime | None = None
) -> VenueBooking:
    """Cancel a requested or approved booking before it starts; the time is free again.
    When staff cancel someone else's booking, the booker is told after commit.

    Raises:
        NotAllowed: not the booker (:func:`may_cancel`) nor staff over the area.
        IllegalTransition: rejected, cancelled, or already started (HTTP 409).
    """
    now = now or timezone.now()
    booking = _locked(booking)
    if not may_cancel(actor, booking):
        raise NotAllowed("只有预约人或社区工作人员可以取消这个预约")
    if booking.status not in LIVE_VENUE_BOOKING:
        raise IllegalTransition(f"预约{booking.get_status_display()}，不能取消")
    if booking.starts_at <= now:
        raise IllegalTransition("预约已开始，不能取消")
    note = reason.strip()[:REASON_MAX] or "取消预约"
    _move(booking, VenueBookingStatus.CANCELLED, actor=actor, note=note)
    booking.save(update_fields=["status", "updated_at"])
    if booking.booked_by_id != actor.pk:
        _tell_booker_on_commit(booking, f"场地预约已取消：{booking.venue.name}", note)
    return booking


# --- notifications -------------------------------------------------------------------------


def staff_over(area: Area) -> list[User]:
    """Active users holding one of :data:`VENUE_ROLES` on ``area`` or an area above it."""
    ancestors = [p for p in _prefixes(area.path)]
    return list(
        User.objects.filter(
            is_active=True,
            pk__in=Assignment.objects.filter(
                role__in=list(VENUE_ROLES), area__path__in=ancestors
            ).values("user_id"),
        ).order_by("pk")
    )


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def booker_name(booking: VenueBooking) -> str:
    """Who the booking is for, in words: the resident, the organisation, or the community."""
    if booking.organization_id is not None and booking.organization is not None:
        return booking.organization.name
    if booking.resident_id is not None and booking.resident is not None:
        return booking.resident.name
    return "社区"


def _send(booking_id: int, *, to_staff: bool, title: str, body: str) -> None:
    from linli.notify.services import notify

    booking = VenueBooking.objects.select_related(
        "venue__area", "booked_by", "resident", "organization"
    ).get(pk=booking_id)
    if to_staff:
        people = staff_over(booking.venue.area)
        link = f"/venues/manage/#booking-{booking.pk}"
    else:
        people = [booking.booked_by] if booking.booked_by.is_active else []
        link = "/biz/venues/" if booking.organization_id else "/me/venues/"
    if not people:
        return
    notify(
        recipients=people,
        title=title[:200],
        body=body,
        link=link,
        kind=f"venue_booking.{booking.status}",
        subject=booking,
        area=booking.venue.area,
    )


def _tell_staff_on_commit(booking: VenueBooking) -> None:
    title = f"场地预约待审批：{booking.venue.name}"
    body = (
        f"{booker_name(booking)} · {span_words(booking.starts_at, booking.ends_at)} · "
        f"{booking.purpose} · {booking.attendees} 人"
    )
    transaction.on_commit(
        lambda: _send(booking.pk, to_staff=True, title=title, body=body), robust=True
    )


def _tell_booker_on_commit(booking: VenueBooking, title: str, note: str) -> None:
    body = f"{span_words(booking.starts_at, booking.ends_at)} · {booking.purpose}" + (
        f"\n说明：{note}" if note else ""
    )
    transaction.on_commit(
        lambda: _send(booking.pk, to_staff=False, title=title, body=body), robust=True
    )
