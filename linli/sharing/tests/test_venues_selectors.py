"""Venue booking reads: a venue's day (open, taken, free in words), who may book which
venue, and the staff approval queue scoped to their areas."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from linli.activities.models import ActivityKind
from linli.activities.services import activity_create
from linli.people.models import Role
from linli.places.models import Area
from linli.sharing import venue_selectors as selectors
from linli.sharing.tests.fixtures_venues import VenueScene, local_at, request_room, venues
from linli.sharing.venues import venue_booking_reject
from linli.testing.factories import staff_user

__all__ = ["venues"]

pytestmark = pytest.mark.django_db


def test_the_day_subtracts_bookings_and_sessions_from_the_windows(
    venues: VenueScene, areas: dict[str, Area]
) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11))
    activity_create(
        actor=venues.admin,
        area=areas["community"],
        venue=venues.room,
        title="太极拳课",
        kind=ActivityKind.CULTURE,
        capacity=20,
        sessions=[(local_at(2, 14), local_at(2, 15, 30), "")],
        publish=True,
    )
    day = selectors.venue_day(venues.room, local_at(2, 0).date(), now=local_at(0, 0))
    assert [s.words for s in day.open] == ["08:00–21:00"]
    assert [(s.words, s.label) for s in day.taken] == [
        ("09:00–11:00", "已被预约（待审批）"),
        ("14:00–15:30", "社区活动：太极拳课"),
    ]
    assert day.free_words == "08:00–09:00、11:00–14:00、15:30–21:00 可预约"


def test_a_rejected_booking_frees_its_time_on_the_day(venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    venue_booking_reject(actor=venues.admin, booking=booking, reason="检修")
    day = selectors.venue_day(venues.room, local_at(2, 0).date(), now=local_at(0, 0))
    assert day.free_words == "08:00–21:00 可预约"


def test_past_days_and_closed_days_say_so(venues: VenueScene) -> None:
    past = selectors.venue_day(venues.room, local_at(-1, 0).date(), now=local_at(0, 12))
    assert past.free_words == "这一天已经过去"
    monday = next(d for d in range(2, 9) if local_at(d, 9).weekday() == 0)
    closed = selectors.venue_day(venues.space, local_at(monday, 0).date(), now=local_at(0, 0))
    assert closed.free_words == "18:00–22:00 可预约"  # outside production hours only


def test_today_offers_only_the_hours_still_ahead(venues: VenueScene) -> None:
    today = selectors.venue_day(venues.room, local_at(0, 0).date(), now=local_at(0, 15, 10))
    assert today.free_words == "15:10–21:00 可预约"


def test_who_may_book_which_venue(venues: VenueScene) -> None:
    assert [v.name for v in selectors.venues_for_resident(venues.wang)] == [
        "党群服务中心活动室",
        "长者食堂大厅",
    ]
    assert list(selectors.venues_for_resident(venues.far)) == []
    assert [v.name for v in selectors.venues_for_organization(venues.org)] == [
        "党群服务中心活动室",
        "机械厂培训室",
    ]


def test_the_approval_queue_is_scoped_to_the_staff_areas(
    venues: VenueScene, other_areas: dict[str, Area], assigned: User, elsewhere: User
) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    admin_elsewhere = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    assert list(selectors.approval_queue(venues.admin)) == [booking]
    for user in (admin_elsewhere, assigned, elsewhere):
        assert list(selectors.approval_queue(user)) == []
