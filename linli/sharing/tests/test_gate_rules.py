"""The gate's rules (linli/sharing/gate.py): who may enter when, what a passage records."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.sharing.gate import gate_check, gate_pass
from linli.sharing.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    GateEvent,
    ParkingLot,
    Vehicle,
)
from linli.sharing.services import booking_cancel, bookings_sweep, vehicle_register
from linli.sharing.tests.conftest import Scene, book, local_at
from linli.testing.factories import ResidentFactory

pytestmark = pytest.mark.django_db

WANG = "宁A12345"
STRANGER = "宁B77777"


def check(scene: Scene, plate: str, at: dt.datetime):  # type: ignore[no-untyped-def]
    return gate_check(lot=scene.lot, plate=plate, at=at)


def test_a_booked_plate_enters_from_the_start_minus_grace_until_the_end(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    for at in (local_at(2, 8, 45), local_at(2, 10), local_at(2, 10, 59)):
        answer = check(parking, WANG, at)
        assert (answer.allow, answer.reason_code, answer.booking) == (True, "booking", booking)
    assert answer.reason == "已预约车位 A-001（09:00–11:00）"


def test_before_the_grace_the_plate_is_told_when_it_may_enter(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    answer = check(parking, WANG, local_at(2, 8, 44))
    assert (answer.allow, answer.reason_code) == (False, "too_early")
    assert answer.reason == "预约 09:00 开始，08:45 起可入场"


def test_after_the_end_the_booking_has_expired(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    answer = check(parking, WANG, local_at(2, 11))
    assert (answer.allow, answer.reason_code) == (False, "expired")
    assert answer.reason == "预约已于 11:00 结束"


def test_a_plate_spelled_loosely_is_read_as_the_same_plate(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    assert check(parking, " 宁a·12345 ", local_at(2, 10)).allow


@pytest.mark.parametrize("plate", ["宁AD23456", STRANGER])
def test_a_plate_without_a_booking_is_refused(parking: Scene, plate: str) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    answer = check(parking, plate, local_at(2, 10))
    assert (answer.allow, answer.reason_code, answer.booking) == (False, "no_booking", None)
    assert answer.reason == "未预约本停车场车位"


def test_a_booking_in_another_lot_does_not_open_this_gate(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    other = ParkingLot.objects.create(area=parking.lot.area, code="p2", name="西区停车场")
    assert gate_check(lot=other, plate=WANG, at=local_at(2, 10)).reason_code == "no_booking"


def test_a_cancelled_booking_is_refused(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    booking_cancel(actor=parking.wang_user, booking=booking)
    answer = check(parking, WANG, local_at(2, 10))
    assert (answer.allow, answer.reason_code) == (False, "no_booking")
    assert answer.reason == "预约（09:00–11:00）已取消"


def test_a_no_show_is_refused(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    assert bookings_sweep(now=local_at(2, 9, 16)).no_shows == 1
    answer = check(parking, WANG, local_at(2, 9, 30))
    assert (answer.allow, answer.reason_code) == (False, "no_booking")
    assert "超过宽限时间未入场" in answer.reason


def test_a_late_arrival_before_the_sweep_still_enters(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    assert check(parking, WANG, local_at(2, 9, 40)).allow


def test_the_owners_car_enters_at_any_time(parking: Scene) -> None:
    vehicle_register(actor=parking.owner_user, owner=parking.owner, plate="宁A88888")
    answer = check(parking, "宁A88888", local_at(2, 3))
    assert (answer.allow, answer.reason_code, answer.booking) == (True, "owner", None)
    assert answer.reason == "业主车辆（车位 A-001）"


def test_a_car_of_the_owners_household_enters_as_the_owner(parking: Scene) -> None:
    spouse = ResidentFactory(household=parking.owner.household, area=parking.owner.area)
    Vehicle.objects.create(owner=spouse, plate="宁A66666")
    assert check(parking, "宁A66666", local_at(2, 20)).reason_code == "owner"


def test_the_owner_is_told_when_their_space_is_shared_out_right_now(parking: Scene) -> None:
    for space in parking.spaces[1:3]:
        space.owner = None
        space.save()
    vehicle_register(actor=parking.owner_user, owner=parking.owner, plate="宁A88888")
    book(parking, "wang", local_at(2, 9), local_at(2, 17))
    answer = check(parking, "宁A88888", local_at(2, 10))
    assert (answer.allow, answer.reason_code) == (True, "owner")
    assert answer.reason == "业主车辆；车位 A-001 已共享给他人至 17:00"


def test_a_malformed_plate_is_answered_bad_plate_without_a_query(
    parking: Scene, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        answer = check(parking, "宁AI2345", local_at(2, 10))
    assert (answer.allow, answer.reason_code) == (False, "bad_plate")
    assert "字母 I 或 O" in answer.reason


def test_the_check_takes_one_query_for_a_booked_plate_and_two_for_others(
    parking: Scene, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    vehicle_register(actor=parking.owner_user, owner=parking.owner, plate="宁A88888")
    with django_assert_max_num_queries(1):
        assert check(parking, WANG, local_at(2, 10)).allow
    for plate in ("宁A88888", STRANGER, "宁AD23456"):
        with django_assert_max_num_queries(2):
            check(parking, plate, local_at(2, 10))


# --- passages -----------------------------------------------------------------------------


def test_entering_parks_the_booking_and_records_the_passage(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    answer = gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 8, 50), direction="in")
    assert answer.allow and answer.reason_code == "booking"
    booking.refresh_from_db()
    assert (booking.status, booking.arrived_at) == (BookingStatus.PARKED, local_at(2, 8, 50))
    event = GateEvent.objects.get()
    assert (event.plate, event.direction, event.allowed, event.booking) == (
        WANG,
        "in",
        True,
        booking,
    )


def test_the_same_entry_sent_twice_is_allowed_without_a_second_transition(
    parking: Scene,
) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    for _ in range(2):
        assert gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 9), direction="in").allow
    assert BookingEvent.objects.filter(booking=booking, to_status=BookingStatus.PARKED).count() == 1
    assert GateEvent.objects.filter(allowed=True).count() == 2


def test_a_refused_entry_is_recorded_and_moves_nothing(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    answer = gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 8), direction="in")
    assert not answer.allow
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    event = GateEvent.objects.get()
    assert (event.allowed, event.reason) == (False, "预约 09:00 开始，08:45 起可入场")


def test_leaving_late_completes_the_booking_with_the_overstay_recorded(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 9), direction="in")
    answer = gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 11, 40), direction="out")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert (booking.overstay_minutes, booking.overstay_fen) == (40, 500)  # 2 half hours
    assert answer.allow and answer.booking == booking
    assert answer.reason == "离场，车位 A-001（09:00–11:00）；超时 40 分钟，超时费 5.00 元"
    assert GateEvent.objects.filter(direction="out", booking=booking).count() == 1


def test_leaving_within_the_grace_is_no_overstay(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 9), direction="in")
    gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 11, 15), direction="out")
    booking.refresh_from_db()
    assert (booking.status, booking.overstay_minutes) == (BookingStatus.COMPLETED, 0)


@pytest.mark.parametrize("plate", ["宁AD23456", STRANGER])
def test_exit_is_always_allowed_and_recorded_with_the_reason(parking: Scene, plate: str) -> None:
    answer = gate_pass(lot=parking.lot, plate=plate, at=local_at(2, 9), direction="out")
    assert (answer.allow, answer.reason_code) == (True, "no_booking")
    event = GateEvent.objects.get()
    assert (event.allowed, event.reason) == (True, "未找到在场的预约，出场放行并记录")


def test_the_same_exit_sent_twice_does_not_fail(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 9), direction="in")
    first = gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 10), direction="out")
    second = gate_pass(lot=parking.lot, plate=WANG, at=local_at(2, 10), direction="out")
    assert (first.reason_code, second.reason_code) == ("booking", "no_booking")
    assert second.allow
    assert Booking.objects.get().status == BookingStatus.COMPLETED


def test_a_malformed_plate_at_the_gate_writes_nothing(parking: Scene) -> None:
    answer = gate_pass(lot=parking.lot, plate="ABC", at=local_at(2, 9), direction="in")
    assert answer.reason_code == "bad_plate"
    assert not GateEvent.objects.exists()
