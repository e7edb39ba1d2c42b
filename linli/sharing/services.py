"""Off-peak parking sharing: vehicles, shared windows, bookings, arrival and departure.

Every write is here, keyword-only and atomic; each booking transition locks the row,
checks the state (:data:`linli.sharing.models.BOOKING_TRANSITIONS`) and writes a
:class:`BookingEvent`.

The no-overlap guarantee: :func:`booking_create` locks the space row and looks for a
live booking that overlaps, then inserts. On PostgreSQL the exclusion constraint
``booking_no_overlap`` (migration 0002) backs this up — a clash that slips past the check
(another writer between check and insert) is an ``IntegrityError`` turned into
:class:`Clash`. On SQLite the transaction is ``IMMEDIATE``: the whole database's write
lock is held from the start, so check and insert cannot interleave with another writer.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.accounts.selectors import residents_actable_by
from linli.common.windows import local, window_problem
from linli.people.models import Resident
from linli.people.scoping import covers, roles
from linli.sharing import plates
from linli.sharing.errors import Clash, IllegalTransition, NotAllowed, SharingError
from linli.sharing.models import (
    BOOKING_TRANSITIONS,
    LIVE_BOOKING,
    Booking,
    BookingEvent,
    BookingStatus,
    ParkingLot,
    ParkingSpace,
    SpaceWindow,
    Vehicle,
)

AnyUser = Any

#: A booking starts at most this far ahead.
MAX_ADVANCE = dt.timedelta(days=14)
#: A booking may start this long in the past (the driver books at the gate).
LATE_START = dt.timedelta(minutes=10)
#: The shortest booking.
MIN_LENGTH = dt.timedelta(minutes=30)
#: Windows a space may have in a week.
MAX_WINDOWS = 21


# --- who may act -------------------------------------------------------------------------


def may_act_for(actor: AnyUser, resident: Resident) -> bool:
    """A resident account acting for themself or a consenting relative, or staff whose
    areas cover the resident's."""
    if not actor.is_authenticated:
        return False
    if residents_actable_by(actor).filter(pk=resident.pk).exists():
        return True
    return _is_staff_user(actor) and covers(actor, resident.area)


def _is_staff_user(actor: AnyUser) -> bool:
    return bool(getattr(actor, "is_superuser", False) or roles(actor))


def _check_actor(actor: AnyUser, resident: Resident) -> None:
    if not may_act_for(actor, resident):
        raise NotAllowed("您不能为这位居民办理")


def _check_space_owner(actor: AnyUser, space: ParkingSpace) -> None:
    """The space's owner (or who may act for them), or staff over the lot's community
    (who manage community-owned spaces)."""
    if space.owner is not None and may_act_for(actor, space.owner):
        return
    if actor.is_authenticated and _is_staff_user(actor) and covers(actor, space.lot.area):
        return
    raise NotAllowed("只有车位所有人或社区工作人员可以设置共享时段")


# --- vehicles -----------------------------------------------------------------------------


@transaction.atomic
def vehicle_register(*, actor: AnyUser, owner: Resident, plate: str, note: str = "") -> Vehicle:
    """Register ``owner``'s vehicle.

    Raises:
        SharingError: a malformed plate (field ``plate``; the message from
            :func:`linli.sharing.plates.parse`), or a plate already registered.
        NotAllowed: the actor may not act for ``owner``.
    """
    _check_actor(actor, owner)
    try:
        parsed = plates.parse(plate)
    except plates.PlateError as exc:
        raise SharingError(str(exc), field="plate") from exc
    if Vehicle.objects.filter(plate=parsed.number).exists():
        raise SharingError(
            f"车牌 {parsed.number} 已登记过；如车辆已过户，请联系社区注销", field="plate"
        )
    try:
        with transaction.atomic():
            return Vehicle.objects.create(
                owner=owner,
                plate=parsed.number,
                new_energy=parsed.new_energy,
                note=note.strip()[:50],
            )
    except IntegrityError as exc:  # registered by someone else meanwhile
        raise SharingError(f"车牌 {parsed.number} 已登记过", field="plate") from exc


@transaction.atomic
def vehicle_remove(*, actor: AnyUser, vehicle: Vehicle) -> None:
    """Remove a vehicle that was never booked (bookings keep their vehicle for the record).

    Raises:
        SharingError: it has bookings.
    """
    _check_actor(actor, vehicle.owner)
    if vehicle.bookings.exists():
        raise SharingError("这辆车有预约记录，不能删除")
    vehicle.delete()


# --- windows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowSpec:
    """A weekly window to publish: ``weekday`` 0 = Monday, local times."""

    weekday: int
    start: dt.time
    end: dt.time


def _check_windows(specs: list[WindowSpec]) -> None:
    if len(specs) > MAX_WINDOWS:
        raise SharingError(f"每周最多 {MAX_WINDOWS} 个共享时段", field="windows")
    for spec in specs:
        if not 0 <= spec.weekday <= 6:
            raise SharingError("星期应为周一到周日", field="windows")
        if spec.end <= spec.start:
            raise SharingError(
                f"周{'一二三四五六日'[spec.weekday]} {spec.start:%H:%M}–{spec.end:%H:%M}："
                "结束时间必须晚于开始时间",
                field="windows",
            )
    ordered = sorted(specs, key=lambda s: (s.weekday, s.start))
    for before, after in itertools.pairwise(ordered):
        if before.weekday == after.weekday and after.start < before.end:
            raise SharingError(
                f"周{'一二三四五六日'[after.weekday]}的时段 "
                f"{before.start:%H:%M}–{before.end:%H:%M} 与 "
                f"{after.start:%H:%M}–{after.end:%H:%M} 重叠",
                field="windows",
            )


@transaction.atomic
def space_windows_set(
    *, actor: AnyUser, space: ParkingSpace, windows: Iterable[WindowSpec]
) -> list[SpaceWindow]:
    """Replace the space's weekly shared windows (an empty list stops sharing).

    Bookings already made stay valid: withdrawing a window does not cancel neighbours'
    bookings (the owner agreed to them); new bookings must fit the new windows.

    Raises:
        NotAllowed: not the owner (or staff over the lot).
        SharingError: a window ending before it starts, overlapping windows, more than
            :data:`MAX_WINDOWS` (field ``windows``).
    """
    specs = list(windows)
    _check_space_owner(actor, space)
    _check_windows(specs)
    ParkingSpace.objects.select_for_update().get(pk=space.pk)
    space.windows.all().delete()
    return SpaceWindow.objects.bulk_create(
        SpaceWindow(space=space, weekday=s.weekday, start=s.start, end=s.end) for s in specs
    )


# --- pricing ------------------------------------------------------------------------------


def units(minutes: int, unit_minutes: int) -> int:
    """Started billing units in ``minutes`` (0 for 0)."""
    return math.ceil(max(minutes, 0) / unit_minutes)


def price_fen(lot: ParkingLot, starts_at: dt.datetime, ends_at: dt.datetime) -> int:
    """Price of a booking in fen by the lot's rule: ``fen_per_hour`` per started
    ``billing_unit_minutes`` (pro rata, rounded up to the fen), capped at
    ``daily_cap_fen`` when set (a booking lies on one local day).

    >>> # 5 yuan/hour, 30-minute units: 1 h 10 min = 3 units = 750 fen
    """
    minutes = math.ceil((ends_at - starts_at).total_seconds() / 60)
    count = units(minutes, lot.billing_unit_minutes)
    fen = math.ceil(count * lot.billing_unit_minutes * lot.fen_per_hour / 60)
    if lot.daily_cap_fen:
        fen = min(fen, lot.daily_cap_fen)
    return fen


def overstay(booking: Booking, left_at: dt.datetime) -> tuple[int, int]:
    """``(minutes, fen)`` of overstay when the car leaves at ``left_at``: nothing within
    the lot's grace; past it, every minute after ``ends_at`` counts, charged by the same
    rule (and the daily cap, with the booking's own price, where set)."""
    lot = booking.space.lot
    late = left_at - booking.ends_at
    if late <= dt.timedelta(minutes=lot.grace_minutes):
        return 0, 0
    minutes = math.ceil(late.total_seconds() / 60)
    fen = math.ceil(
        units(minutes, lot.billing_unit_minutes) * lot.billing_unit_minutes * lot.fen_per_hour / 60
    )
    if lot.daily_cap_fen:
        fen = max(0, min(fen, lot.daily_cap_fen - booking.price_fen))
    return minutes, fen


# --- bookings -----------------------------------------------------------------------------


def _event(booking: Booking, actor: AnyUser, from_status: str, to_status: str, note: str) -> None:
    BookingEvent.objects.create(
        booking=booking,
        actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=from_status,
        to_status=to_status,
        note=note[:200],
    )


def booking_problem(
    space: ParkingSpace,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    now: dt.datetime,
) -> str | None:
    """Why ``space`` cannot be booked for ``starts_at``–``ends_at`` (ignoring other
    bookings), in Chinese, or ``None``: times in order, at least :data:`MIN_LENGTH`, not
    in the past, at most :data:`MAX_ADVANCE` ahead, the space and lot in use, and inside
    one of the owner's windows."""
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        return "时间缺少时区"
    if ends_at <= starts_at:
        return "结束时间必须晚于开始时间"
    if ends_at - starts_at < MIN_LENGTH:
        return f"至少预约 {int(MIN_LENGTH.total_seconds() // 60)} 分钟"
    if starts_at < now - LATE_START:
        return "开始时间已过，请选择现在以后的时间"
    if starts_at > now + MAX_ADVANCE:
        return f"最多提前 {MAX_ADVANCE.days} 天预约"
    if not space.active or not space.lot.active:
        return f"车位 {space.number} 暂停使用"
    windows = list(space.windows.all())
    if not windows:
        return f"车位 {space.number} 未开放共享"
    return window_problem(windows, starts_at, ends_at, name=f"车位 {space.number} ")


def _overlapping(queryset: Any, starts_at: dt.datetime, ends_at: dt.datetime) -> Any:
    return queryset.filter(status__in=LIVE_BOOKING, starts_at__lt=ends_at, ends_at__gt=starts_at)


@transaction.atomic
def booking_create(
    *,
    actor: AnyUser,
    booker: Resident,
    vehicle: Vehicle,
    space: ParkingSpace,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime | None = None,
) -> Booking:
    """Book ``space`` for ``vehicle`` from ``starts_at`` to ``ends_at`` (aware datetimes).

    The price is fixed now by the lot's rule (:func:`price_fen`).

    Raises:
        NotAllowed: the actor may not act for ``booker``, or the vehicle is not the
            booker's (or their household's).
        SharingError: the span does not fit (see :func:`booking_problem`; field ``time``).
        Clash: the space is taken for part of the span, or the vehicle is booked
            elsewhere at the same time (HTTP 409). Nothing is written.
    """
    now = now or timezone.now()
    _check_actor(actor, booker)
    household = booker.household_id
    if vehicle.owner_id != booker.pk and not (
        household is not None and vehicle.owner.household_id == household
    ):
        raise NotAllowed("只能用本人或本户登记的车辆预约")
    space = ParkingSpace.objects.select_for_update().select_related("lot").get(pk=space.pk)
    problem = booking_problem(space, starts_at, ends_at, now=now)
    if problem:
        raise SharingError(problem, field="time")
    if _overlapping(space.bookings.all(), starts_at, ends_at).exists():
        raise Clash(
            f"车位 {space.number} 在 {_span_words(starts_at, ends_at)} 已被预约，请换个时间或车位"
        )
    elsewhere = _overlapping(Booking.objects.filter(vehicle=vehicle), starts_at, ends_at).first()
    if elsewhere is not None:
        raise Clash(f"{vehicle.plate} 在这段时间已预约了车位 {elsewhere.space.number}")
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                space=space,
                vehicle=vehicle,
                plate=vehicle.plate,
                booker=booker,
                starts_at=starts_at,
                ends_at=ends_at,
                price_fen=price_fen(space.lot, starts_at, ends_at),
            )
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint
        raise Clash(f"车位 {space.number} 刚被别人预约了，请换个时间或车位") from exc
    _event(booking, actor, "", BookingStatus.BOOKED, f"预约 {_span_words(starts_at, ends_at)}")
    return booking


def _span_words(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    start, end = local(starts_at), local(ends_at)
    return f"{start:%m月%d日 %H:%M}–{end:%H:%M}"


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("space__lot").get(pk=booking.pk)


def _move(booking: Booking, to_status: str, *, actor: AnyUser, note: str = "") -> Booking:
    if to_status not in BOOKING_TRANSITIONS[booking.status]:
        raise IllegalTransition(
            f"预约{booking.get_status_display()}，不能改为{BookingStatus(to_status).label}"
        )
    from_status = booking.status
    booking.status = to_status
    _event(booking, actor, from_status, to_status, note)
    return booking


@transaction.atomic
def booking_cancel(*, actor: AnyUser, booking: Booking, reason: str = "") -> Booking:
    """Cancel a booking before the car arrives; the time is free again at once.

    Raises:
        NotAllowed: not the booker (or who may act for them), the space's owner, or staff.
        IllegalTransition: already parked, finished, cancelled or a no-show.
    """
    booking = _locked(booking)
    if not may_act_for(actor, booking.booker):
        _check_space_owner(actor, booking.space)
    _move(booking, BookingStatus.CANCELLED, actor=actor, note=reason.strip()[:200] or "取消预约")
    booking.save(update_fields=["status", "updated_at"])
    return booking


@transaction.atomic
def booking_arrive(*, booking: Booking, at: dt.datetime, actor: AnyUser = None) -> Booking:
    """The car entered (from the gate, or recorded by staff): ``booked`` → ``parked``.

    Raises:
        IllegalTransition: not in ``booked``.
    """
    booking = _locked(booking)
    _move(booking, BookingStatus.PARKED, actor=actor, note=f"{local(at):%H:%M} 入场")
    booking.arrived_at = at
    booking.save(update_fields=["status", "arrived_at", "updated_at"])
    return booking


@transaction.atomic
def booking_leave(*, booking: Booking, at: dt.datetime, actor: AnyUser = None) -> Booking:
    """The car left: ``parked`` → ``completed``, with overstay past the grace recorded
    and charged (:func:`overstay`).

    Raises:
        IllegalTransition: not in ``parked``.
    """
    booking = _locked(booking)
    minutes, fen = overstay(booking, at)
    note = f"{local(at):%H:%M} 离场" + (f"，超时 {minutes} 分钟" if minutes else "")
    _move(booking, BookingStatus.COMPLETED, actor=actor, note=note)
    booking.left_at = at
    booking.overstay_minutes = minutes
    booking.overstay_fen = fen
    booking.save(
        update_fields=[
            "status",
            "left_at",
            "overstay_minutes",
            "overstay_fen",
            "updated_at",
        ]
    )
    return booking


@dataclass
class SweepReport:
    no_shows: int = 0


def bookings_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Mark bookings with no arrival by ``starts_at`` + the lot's grace as no-shows
    (the rest of their time is free again). Run every few minutes by the scheduler."""
    now = now or timezone.now()
    report = SweepReport()
    candidates = Booking.objects.filter(
        status=BookingStatus.BOOKED, starts_at__lt=now
    ).select_related("space__lot")
    for booking in candidates:
        if booking.starts_at + dt.timedelta(minutes=booking.space.lot.grace_minutes) > now:
            continue
        with transaction.atomic():
            locked = _locked(booking)
            if locked.status != BookingStatus.BOOKED:
                continue
            _move(locked, BookingStatus.NO_SHOW, actor=None, note="超过宽限时间未入场")
            locked.save(update_fields=["status", "updated_at"])
            report.no_shows += 1
    return report


# --- added by the parking pages ---


@transaction.atomic
def space_create(
    *, actor: AnyUser, lot: ParkingLot, number: str, kind: str, owner: Resident | None = None
) -> ParkingSpace:
    """Add a space to ``lot`` (staff over the lot's community); ``owner`` empty for a
    community-managed space.

    Raises:
        NotAllowed: the actor is not staff over the lot's community.
        SharingError: an empty or taken number (field ``number``), an unknown kind
            (field ``kind``).
    """
    if not (actor.is_authenticated and _is_staff_user(actor) and covers(actor, lot.area)):
        raise NotAllowed("只有本社区工作人员可以添加车位")
    number = number.strip().upper()
    if not number:
        raise SharingError("请填写车位号", field="number")
    from linli.sharing.models import SpaceKind

    if kind not in SpaceKind.values:
        raise SharingError("车位类型不对", field="kind")
    if lot.spaces.filter(number=number).exists():
        raise SharingError(f"车位号 {number} 已存在", field="number")
    try:
        with transaction.atomic():
            return ParkingSpace.objects.create(lot=lot, number=number, kind=kind, owner=owner)
    except IntegrityError as exc:  # added by someone else meanwhile
        raise SharingError(f"车位号 {number} 已存在", field="number") from exc
