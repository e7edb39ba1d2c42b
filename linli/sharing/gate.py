"""The barrier gate (道闸): may this plate enter the lot now, and what happened when it did.

The camera at a lot's gate reads a plate and asks :func:`gate_check` (read-only) or reports a
passage through :func:`gate_pass` (records a :class:`GateEvent` and moves the booking). It
authenticates with the lot's key (:func:`gate_key_issue`, :func:`lot_for_key`). The HTTP side
is :mod:`linli.sharing.api_gate`; docs/parking.md "Gate API".

Rules (issue 7, the lot's ``grace_minutes`` from :class:`ParkingLot`):

* a plate with a ``booked`` or ``parked`` booking in this lot enters from ``starts_at`` −
  grace until ``ends_at`` (reason ``booking``);
* a vehicle whose owner — or someone of the owner's household — owns a space in the lot
  enters at any time (``owner``); the reason says when that space is shared out right now;
* everyone else is refused, with why: ``too_early`` (a booking later today), ``expired``
  (today's booking is over, or the car already left), ``no_booking`` (none, cancelled, or a
  no-show — :func:`linli.sharing.services.bookings_sweep` marks those), ``bad_plate``;
* leaving is always allowed (a car is never trapped); the parked booking is completed and
  any overstay recorded by :func:`linli.sharing.services.booking_leave`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from linli.common.windows import local
from linli.people.scoping import covers, roles
from linli.sharing import plates
from linli.sharing.errors import IllegalTransition, NotAllowed
from linli.sharing.models import (
    Booking,
    BookingStatus,
    GateDirection,
    GateEvent,
    ParkingLot,
    ParkingSpace,
)
from linli.sharing.services import booking_arrive, booking_leave

AnyUser = Any

#: Seconds a web process keeps a lot (its key hash, grace) after reading it. A re-issued key
#: stops the old one within this bound in every process (at once in the process that issued
#: it, and in any process that saves or deletes the lot: the signal below forgets it).
LOT_CACHE_SECONDS = 5.0

#: The bookings in force at the gate.
ENTERING = (BookingStatus.BOOKED, BookingStatus.PARKED)

_lots: dict[str, tuple[float, ParkingLot]] = {}


# --- keys ---------------------------------------------------------------------------------


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def gate_key_issue(*, actor: AnyUser, lot: ParkingLot) -> str:
    """A new gate key for ``lot`` (``secrets.token_urlsafe(24)``, 32 characters), returned
    once: only its SHA-256 is kept in ``lot.gate_key_hash``; the previous key stops working
    (within :data:`LOT_CACHE_SECONDS` in other web processes).

    Raises:
        NotAllowed: the actor is neither a superuser nor staff whose areas cover the lot's
            community.
    """
    staff = actor.is_authenticated and (getattr(actor, "is_superuser", False) or roles(actor))
    if not staff or not covers(actor, lot.area):
        raise NotAllowed("只有本社区的工作人员可以生成道闸密钥")
    key = secrets.token_urlsafe(24)
    lot = ParkingLot.objects.select_for_update().get(pk=lot.pk)
    lot.gate_key_hash = _digest(key)
    lot.save(update_fields=["gate_key_hash", "updated_at"])
    forget_lots()
    return key


def forget_lots(**_: Any) -> None:
    """Empty this process's lot cache (after a key is issued or a lot saved or deleted)."""
    _lots.clear()


post_save.connect(forget_lots, sender=ParkingLot, dispatch_uid="gate_forget_lot_saved")
post_delete.connect(forget_lots, sender=ParkingLot, dispatch_uid="gate_forget_lot_deleted")


def lot_by_code(code: str) -> ParkingLot | None:
    """The active lot with ``code``, read at most every :data:`LOT_CACHE_SECONDS` per
    process; ``None`` when there is none (unknown codes are not cached)."""
    now = time.monotonic()
    hit = _lots.get(code)
    if hit is not None and hit[0] > now:
        return hit[1]
    lot = ParkingLot.objects.filter(code=code, active=True).first()
    if lot is None:
        _lots.pop(code, None)
        return None
    _lots[code] = (now + LOT_CACHE_SECONDS, lot)
    return lot


def key_matches(lot: ParkingLot, key: str) -> bool:
    """Whether ``key`` is the lot's gate key (constant-time; a lot without a key matches
    nothing)."""
    if not lot.gate_key_hash or not key:
        return False
    return hmac.compare_digest(_digest(key), lot.gate_key_hash)


def lot_for_key(code: str, key: str) -> ParkingLot | None:
    """The active lot ``code`` if ``key`` is its gate key, else ``None``."""
    lot = lot_by_code(code)
    return lot if lot is not None and key_matches(lot, key) else None


# --- the answer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GateAnswer:
    """What the gate is told: ``allow``; ``reason`` in Chinese for the gate's display and
    the record; ``reason_code`` one of ``booking``, ``owner``, ``no_booking``,
    ``too_early``, ``expired``, ``bad_plate``; the booking it rests on, if any."""

    allow: bool
    reason: str
    reason_code: str
    booking: Booking | None = None


def _hm(moment: dt.datetime) -> str:
    return f"{local(moment):%H:%M}"


def _span(booking: Booking) -> str:
    return f"{_hm(booking.starts_at)}–{_hm(booking.ends_at)}"


def _day_words(moment: dt.datetime, at: dt.datetime) -> str:
    """``09:00`` on the day of ``at``, ``12月01日 09:00`` on another day."""
    if local(moment).date() == local(at).date():
        return _hm(moment)
    return f"{local(moment):%m月%d日 %H:%M}"


# The two reads below are plain SQL: building the same queries with the ORM cost about
# 3 ms a request on this machine (filter/compile, measured with cProfile under
# ``linli bench gate``), more than running them. Both are portable (SQLite, PostgreSQL).
_BOOKINGS_SQL = """
SELECT b.*, s.number AS space_number
FROM sharing_booking b JOIN sharing_parkingspace s ON s.id = b.space_id
WHERE b.plate = %s AND b.starts_at > %s AND b.starts_at < %s AND s.lot_id = %s
ORDER BY b.starts_at
"""

_OWNER_SQL = """
SELECT s.number, (
    SELECT MIN(b.ends_at) FROM sharing_booking b
    WHERE b.space_id = s.id AND b.status IN (%s, %s) AND b.starts_at <= %s AND b.ends_at > %s
) AS shared_until
FROM sharing_parkingspace s JOIN people_resident o ON o.id = s.owner_id
WHERE s.lot_id = %s AND (
    o.id IN (SELECT v.owner_id FROM sharing_vehicle v WHERE v.plate = %s)
    OR o.household_id IN (
        SELECT r.household_id FROM sharing_vehicle v JOIN people_resident r ON r.id = v.owner_id
        WHERE v.plate = %s AND r.household_id IS NOT NULL
    )
)
ORDER BY s.number
"""


def _db_time(moment: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _from_db_time(value: Any) -> dt.datetime | None:
    """A timestamp read by plain SQL: SQLite gives UTC text, PostgreSQL an aware value."""
    if value is None or isinstance(value, dt.datetime):
        return value
    moment = parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _plate_bookings(lot: ParkingLot, plate: str, at: dt.datetime) -> list[Booking]:
    """The plate's bookings in ``lot`` starting within a day either side of ``at`` (one
    query on the ``(plate, starts_at)`` index; a booking never spans days, so any booking
    in force at ``at`` is among them). Each carries its space's number (``space.number``,
    no further query)."""
    day = dt.timedelta(days=1)
    params = [plate, _db_time(at - day), _db_time(at + day), lot.pk]
    bookings = list(Booking.objects.raw(_BOOKINGS_SQL, params))
    for b in bookings:
        b.space = ParkingSpace(pk=b.space_id, lot=lot, number=b.space_number)  # type: ignore[attr-defined]
    return bookings


def _owner_answer(lot: ParkingLot, plate: str, at: dt.datetime) -> GateAnswer | None:
    """``owner`` when the plate's owner or their household owns a space in ``lot`` (one
    query: the spaces, each with the end of a neighbour's booking in force on it)."""
    moment = _db_time(at)
    with connection.cursor() as cursor:
        statuses = [status.value for status in ENTERING]
        cursor.execute(_OWNER_SQL, [*statuses, moment, moment, lot.pk, plate, plate])
        spaces = [(number, _from_db_time(until)) for number, until in cursor.fetchall()]
    if not spaces:
        return None
    free = [number for number, until in spaces if until is None]
    if free:
        return GateAnswer(True, f"业主车辆（车位 {free[0]}）", "owner")
    number, until = spaces[0]
    assert until is not None
    return GateAnswer(True, f"业主车辆；车位 {number} 已共享给他人至 {_hm(until)}", "owner")


def _refusal(bookings: list[Booking], grace: dt.timedelta, at: dt.datetime) -> GateAnswer:
    """Why a plate without a booking in force is refused: a live booking later today
    (``too_early``), then a booking over ``at`` that no longer holds (cancelled, no-show,
    car gone), then one that ended earlier today (``expired``), else ``no_booking``."""
    today = local(at).date()
    for b in bookings:
        if b.status in ENTERING and b.starts_at - grace > at and local(b.starts_at).date() == today:
            return GateAnswer(
                False,
                f"预约 {_hm(b.starts_at)} 开始，{_hm(b.starts_at - grace)} 起可入场",
                "too_early",
                b,
            )
    for b in bookings:
        if b.starts_at - grace <= at < b.ends_at:
            if b.status == BookingStatus.CANCELLED:
                return GateAnswer(False, f"预约（{_span(b)}）已取消", "no_booking", b)
            if b.status == BookingStatus.NO_SHOW:
                return GateAnswer(
                    False, f"预约（{_span(b)}）超过宽限时间未入场，已失效", "no_booking", b
                )
            if b.status == BookingStatus.COMPLETED:
                left = f"已于 {_hm(b.left_at)} 离场" if b.left_at else "已离场"
                return GateAnswer(False, f"本次预约{left}", "expired", b)
    ended = [
        b
        for b in bookings
        if b.status in (*ENTERING, BookingStatus.COMPLETED)
        and b.ends_at <= at
        and local(b.ends_at).date() == today
    ]
    if ended:
        last = ended[-1]
        return GateAnswer(False, f"预约已于 {_hm(last.ends_at)} 结束", "expired", last)
    return GateAnswer(False, "未预约本停车场车位", "no_booking")


def gate_check(*, lot: ParkingLot, plate: str, at: dt.datetime) -> GateAnswer:
    """May ``plate`` enter ``lot`` at ``at`` (aware)? Read-only.

    At most three indexed queries: the plate's bookings around ``at``; for a plate without
    a booking in force, the owner's spaces (with any neighbour's booking on them) in one.
    A malformed plate is answered ``bad_plate`` (the reason from
    :func:`linli.sharing.plates.parse`) without a query.
    """
    try:
        number = plates.parse(plate).number
    except plates.PlateError as exc:
        return GateAnswer(False, str(exc), "bad_plate")
    grace = dt.timedelta(minutes=lot.grace_minutes)
    bookings = _plate_bookings(lot, number, at)
    for b in bookings:
        if b.status in ENTERING and b.starts_at - grace <= at < b.ends_at:
            return GateAnswer(True, f"已预约车位 {b.space.number}（{_span(b)}）", "booking", b)
    owner = _owner_answer(lot, number, at)
    if owner is not None:
        return owner
    return _refusal(bookings, grace, at)


# --- passages -----------------------------------------------------------------------------


def _record(
    lot: ParkingLot, plate: str, at: dt.datetime, direction: str, answer: GateAnswer
) -> None:
    GateEvent.objects.create(
        lot=lot,
        plate=plate,
        at=at,
        direction=direction,
        allowed=answer.allow,
        reason=answer.reason[:100],
        booking=answer.booking,
    )


def _enter(lot: ParkingLot, plate: str, at: dt.datetime) -> GateAnswer:
    answer = gate_check(lot=lot, plate=plate, at=at)
    booking = answer.booking
    if answer.allow and booking is not None and booking.status == BookingStatus.BOOKED:
        try:
            booking = booking_arrive(booking=booking, at=at)
        except IllegalTransition:  # the same "in" sent twice at once: the other one moved it
            booking = Booking.objects.get(pk=booking.pk)
        answer = GateAnswer(True, answer.reason, answer.reason_code, booking)
    return answer


def _leave(lot: ParkingLot, plate: str, at: dt.datetime) -> GateAnswer:
    parked = (
        Booking.objects.filter(plate=plate, space__lot=lot, status=BookingStatus.PARKED)
        .select_related("space")
        .order_by("-starts_at")
        .first()
    )
    if parked is None:
        owner = _owner_answer(lot, plate, at)
        if owner is not None:
            return GateAnswer(True, "业主车辆出场", "owner")
        return GateAnswer(True, "未找到在场的预约，出场放行并记录", "no_booking")
    booking = booking_leave(booking=parked, at=at)
    reason = f"离场，车位 {booking.space.number}（{_span(booking)}）"
    if booking.overstay_minutes:
        reason += (
            f"；超时 {booking.overstay_minutes} 分钟，超时费 {booking.overstay_fen / 100:.2f} 元"
        )
    return GateAnswer(True, reason, "booking", booking)


@transaction.atomic
def gate_pass(*, lot: ParkingLot, plate: str, at: dt.datetime, direction: str) -> GateAnswer:
    """A car passed (or asked to pass) the gate: record a :class:`GateEvent` and move the
    booking.

    ``in``: answered as :func:`gate_check`; an allowed plate with a ``booked`` booking
    becomes ``parked`` (:func:`booking_arrive`); a second ``in`` for a parked booking is
    allowed again without a second transition. ``out``: always allowed; the plate's
    ``parked`` booking is completed with any overstay past the grace recorded and charged
    (:func:`booking_leave`); an exit without one is recorded with the reason.

    A malformed plate or an unknown direction is answered ``bad_plate`` / ``ValueError``
    and nothing is written.
    """
    if direction not in GateDirection.values:
        raise ValueError(f"direction must be one of {GateDirection.values}")
    try:
        number = plates.parse(plate).number
    except plates.PlateError as exc:
        return GateAnswer(False, str(exc), "bad_plate")
    answer = _enter(lot, number, at) if direction == GateDirection.IN else _leave(lot, number, at)
    _record(lot, number, at, direction, answer)
    return answer
