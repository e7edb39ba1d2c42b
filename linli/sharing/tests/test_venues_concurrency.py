"""The no-overlap guarantee of venue bookings under concurrent requests, and on
PostgreSQL the exclusion constraint ``venue_booking_no_overlap`` itself."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from linli.sharing.errors import Clash
from linli.sharing.models import VenueBooking, VenueBookingEvent, VenueBookingStatus
from linli.sharing.tests.fixtures_venues import VenueScene, local_at, venues
from linli.sharing.venues import venue_booking_request
from linli.testing.concurrency import race

__all__ = ["venues"]


@pytest.mark.django_db(transaction=True)
def test_six_bookers_racing_for_the_same_instant_leave_exactly_one(venues: VenueScene) -> None:
    start, end = local_at(2, 9), local_at(2, 11)

    def book(n: int) -> object:
        return venue_booking_request(
            actor=venues.admin,
            venue=venues.room,
            purpose=f"会议 {n}",
            attendees=10,
            starts_at=start,
            ends_at=end,
        )

    outcomes = race(*(lambda n=n: book(n) for n in range(6)), expected=(Clash,))
    assert outcomes == ["Clash"] * 5 + ["ok"]
    assert VenueBooking.objects.filter(venue=venues.room).count() == 1
    assert VenueBookingEvent.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's"
)
@pytest.mark.django_db
def test_the_database_itself_refuses_an_overlap_on_postgresql(venues: VenueScene) -> None:
    """Bypassing the service: ``venue_booking_no_overlap`` refuses a live overlap and
    lets a cancelled one (outside the constraint's WHERE) in."""
    first = VenueBooking.objects.create(
        venue=venues.room,
        booked_by=venues.admin,
        purpose="会议",
        attendees=5,
        starts_at=local_at(2, 9),
        ends_at=local_at(2, 11),
    )
    fields = {
        "venue": first.venue,
        "booked_by": venues.admin,
        "purpose": "另一个会议",
        "attendees": 5,
        "starts_at": local_at(2, 10),
        "ends_at": local_at(2, 12),
    }
    with pytest.raises(IntegrityError, match="venue_booking_no_overlap"), transaction.atomic():
        VenueBooking.objects.create(**fields, status=VenueBookingStatus.APPROVED)
    cancelled = VenueBooking.objects.create(**fields, status=VenueBookingStatus.CANCELLED)
    assert cancelled.pk
    back_to_back = VenueBooking.objects.create(
        **{**fields, "starts_at": local_at(2, 11), "ends_at": local_at(2, 12)}
    )
    assert back_to_back.pk
