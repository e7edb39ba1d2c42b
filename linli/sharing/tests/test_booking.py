"""Parking bookings: windows, price, no overlap (also under concurrent booking and, on
PostgreSQL, enforced by the exclusion constraint), arrival, overstay, no-show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from linli.sharing.errors import Clash, IllegalTransition, NotAllowed, SharingError
from linli.sharing.models import Booking, BookingStatus
from linli.sharing.services import (
    WindowSpec,
    booking_arrive,
    booking_cancel,
    booking_create,
    booking_leave,
    bookings_sweep,
    price_fen,
    space_windows_set,
)
from linli.sharing.tests.conftest import Scene, book, local_at
from linli.testing.concurrency import race

pytestmark = pytest.mark.django_db


def test_a_neighbour_books_inside_the_window_at_the_lots_price(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 10, 10))
    assert booking.status == BookingStatus.BOOKED
    assert booking.plate == "宁A12345"
    assert booking.price_fen == 750  # 1 h 10 min = 3 half hours at 5 yuan an hour
    assert [e.to_status for e in booking.events.all()] == [BookingStatus.BOOKED]


def test_daily_cap_limits_the_price(parking: Scene) -> None:
    parking.lot.daily_cap_fen = 2000
    assert price_fen(parking.lot, local_at(2, 8), local_at(2, 18)) == 2000


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ((2, 7), (2, 9), "不在车位 A-001 的开放时段内"),
        ((2, 17), (2, 19), "不在车位"),
        ((2, 10), (2, 10, 20), "至少预约 30 分钟"),
        ((2, 10), (2, 9), "结束时间必须晚于开始时间"),
        ((-1, 10), (-1, 11), "开始时间已过"),
        ((20, 10), (20, 11), "最多提前 14 天"),
        ((2, 17), (3, 9), "不能跨天"),
    ],
)
def test_a_booking_outside_the_owners_window_is_refused(
    parking: Scene, start: tuple[int, ...], end: tuple[int, ...], words: str
) -> None:
    with pytest.raises(SharingError, match=words) as err:
        book(parking, "wang", local_at(*start), local_at(*end))
    assert err.value.field == "time"
    assert not Booking.objects.exists()


def test_a_space_without_windows_cannot_be_booked(parking: Scene) -> None:
    with pytest.raises(SharingError, match="未开放共享"):
        book(parking, "wang", local_at(2, 9), local_at(2, 10), space=parking.spaces[1])


def test_overlap_is_refused_and_back_to_back_is_fine(parking: Scene) -> None:
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    with pytest.raises(Clash, match="已被预约"):
        book(parking, "li", local_at(2, 10), local_at(2, 12))
    with pytest.raises(Clash, match="已被预约"):
        book(parking, "li", local_at(2, 9), local_at(2, 11))  # the same instant
    nxt = book(parking, "li", local_at(2, 11), local_at(2, 12))
    assert nxt.status == BookingStatus.BOOKED
    assert Booking.objects.count() == 2


def test_a_car_cannot_be_in_two_spaces_at_once(parking: Scene) -> None:
    space_windows_set(
        actor=parking.owner_user,
        space=parking.spaces[1],
        windows=[WindowSpec(d, dt.time(8), dt.time(18)) for d in range(7)],
    )
    book(parking, "wang", local_at(2, 9), local_at(2, 11))
    with pytest.raises(Clash, match="宁A12345 在这段时间已预约了车位 A-001"):
        book(parking, "wang", local_at(2, 10), local_at(2, 12), space=parking.spaces[1])


def test_a_cancelled_booking_frees_its_time(parking: Scene) -> None:
    first = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    booking_cancel(actor=parking.wang_user, booking=first)
    assert book(parking, "li", local_at(2, 9), local_at(2, 11)).status == BookingStatus.BOOKED
    with pytest.raises(IllegalTransition):
        booking_cancel(actor=parking.wang_user, booking=first)


def test_someone_elses_car_or_account_is_refused(parking: Scene) -> None:
    with pytest.raises(NotAllowed):
        booking_create(
            actor=parking.wang_user,
            booker=parking.wang,
            vehicle=parking.li_car,
            space=parking.spaces[0],
            starts_at=local_at(2, 9),
            ends_at=local_at(2, 10),
        )
    with pytest.raises(NotAllowed):
        booking_create(
            actor=parking.wang_user,
            booker=parking.li,
            vehicle=parking.li_car,
            space=parking.spaces[0],
            starts_at=local_at(2, 9),
            ends_at=local_at(2, 10),
        )
    with pytest.raises(NotAllowed):
        space_windows_set(actor=parking.wang_user, space=parking.spaces[1], windows=[])


def test_overlapping_windows_are_refused(parking: Scene) -> None:
    with pytest.raises(SharingError, match="重叠"):
        space_windows_set(
            actor=parking.owner_user,
            space=parking.spaces[1],
            windows=[
                WindowSpec(0, dt.time(8), dt.time(12)),
                WindowSpec(0, dt.time(11), dt.time(13)),
            ],
        )
    assert not parking.spaces[1].windows.exists()


def test_arrival_departure_and_overstay(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    booking = booking_arrive(booking=booking, at=local_at(2, 8, 50))
    within_grace = booking_leave(booking=booking, at=local_at(2, 11, 10))
    assert (within_grace.overstay_minutes, within_grace.overstay_fen) == (0, 0)
    other = book(parking, "li", local_at(3, 9), local_at(3, 10))
    booking_arrive(booking=other, at=local_at(3, 9, 5))
    late = booking_leave(booking=other, at=local_at(3, 10, 40))
    assert late.overstay_minutes == 40
    assert late.overstay_fen == 500  # 2 started half hours
    with pytest.raises(IllegalTransition):
        booking_leave(booking=late, at=local_at(3, 11))


def test_no_show_after_grace_frees_the_rest(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(2, 9), local_at(2, 12))
    assert bookings_sweep(now=local_at(2, 9, 10)).no_shows == 0
    assert bookings_sweep(now=local_at(2, 9, 16)).no_shows == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert [e.note for e in booking.events.all()][-1] == "超过宽限时间未入场"
    again = book(parking, "li", local_at(2, 10), local_at(2, 12), now=local_at(2, 9, 20))
    assert again.status == BookingStatus.BOOKED


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_the_same_instant_leave_exactly_one(parking: Scene) -> None:
    start, end = local_at(2, 9), local_at(2, 11)
    outcomes = race(
        *(lambda who=who: book(parking, who, start, end) for who in ["wang", "li"] * 3),
        expected=(Clash,),
    )
    assert outcomes == ["Clash"] * 5 + ["ok"]
    assert Booking.objects.filter(space=parking.spaces[0]).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's"
)
def test_the_database_itself_refuses_an_overlap_on_postgresql(parking: Scene) -> None:
    """Bypassing the service: the exclusion constraint ``booking_no_overlap`` refuses."""
    first = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        Booking.objects.create(
            space=first.space,
            vehicle=parking.li_car,
            plate=parking.li_car.plate,
            booker=parking.li,
            starts_at=local_at(2, 10),
            ends_at=local_at(2, 12),
            price_fen=0,
        )
    cancelled = Booking.objects.create(
        space=first.space,
        vehicle=parking.li_car,
        plate=parking.li_car.plate,
        booker=parking.li,
        starts_at=local_at(2, 10),
        ends_at=local_at(2, 12),
        price_fen=0,
        status=BookingStatus.CANCELLED,
    )
    assert cancelled.pk
