"""Fixtures of the venue booking tests (import the ones a test module uses).

The scene (:func:`venues`), all in the test community:

* ``room`` — the community activity room (30 people), open every day 08:00–21:00,
  bookable by residents and enterprises, staff approve, at most 4 hours, 30 days ahead;
* ``hall`` — the canteen's hall outside meal times (60 people), open 14:00–16:30 and
  19:00–21:00 every day, residents only, no approval;
* ``space`` — a factory's training room lent outside production hours (20 people),
  weekdays 18:00–22:00 and weekends 09:00–17:00, enterprises only, no approval;
* ``wang`` — a resident of the community with an account; ``far`` — a resident of
  another street with an account; ``org`` — an enterprise of the community with a
  contact account ``contact``; ``admin`` — the community administrator.

Times are whole days ahead in local time (:func:`local_at`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from linli.activities.models import Venue, VenueWindow
from linli.orgs.models import Organization
from linli.people.models import Assignment, Resident, Role
from linli.places.models import Area
from linli.sharing.models import VenueBookers, VenueBooking
from linli.sharing.tests.conftest import local_at, resident_with_account
from linli.sharing.venues import venue_booking_request, venue_rule_set
from linli.testing.factories import OrganizationFactory, UserFactory

__all__ = ["VenueScene", "local_at", "request_room", "venues"]


@dataclass
class VenueScene:
    room: Venue
    hall: Venue
    space: Venue
    wang: Resident
    wang_user: User
    far: Resident
    far_user: User
    org: Organization
    contact: User
    admin: User


def _windows(venue: Venue, spans: list[tuple[int, int, int]]) -> None:
    VenueWindow.objects.bulk_create(
        VenueWindow(venue=venue, weekday=d, start=dt.time(s), end=dt.time(e)) for d, s, e in spans
    )


@pytest.fixture
def venues(
    areas: dict[str, Area], other_areas: dict[str, Area], community_admin: User
) -> VenueScene:
    community = areas["community"]
    room = Venue.objects.create(area=community, name="党群服务中心活动室", capacity=30)
    _windows(room, [(d, 8, 21) for d in range(7)])
    hall = Venue.objects.create(area=community, name="长者食堂大厅", capacity=60)
    _windows(hall, [(d, 14, 16) for d in range(7)])
    VenueWindow.objects.filter(venue=hall).update(end=dt.time(16, 30))
    _windows(hall, [(d, 19, 21) for d in range(7)])
    org = OrganizationFactory(name="宁夏测试机械有限公司", area=community)
    space = Venue.objects.create(area=community, name="机械厂培训室", capacity=20, organization=org)
    _windows(space, [(d, 18, 22) for d in range(5)] + [(d, 9, 17) for d in (5, 6)])
    venue_rule_set(actor=community_admin, venue=room, needs_approval=True)
    venue_rule_set(
        actor=community_admin, venue=hall, bookers=VenueBookers.RESIDENTS, needs_approval=False
    )
    venue_rule_set(
        actor=community_admin,
        venue=space,
        bookers=VenueBookers.ENTERPRISES,
        needs_approval=False,
    )
    wang, wang_user = resident_with_account(areas["micro_grid"], "王居民")
    far, far_user = resident_with_account(other_areas["micro_grid"], "远居民")
    contact = UserFactory(is_staff=False)
    Assignment.objects.create(
        user=contact, area=community, role=Role.ENTERPRISE_CONTACT, organization=org
    )
    return VenueScene(
        room, hall, space, wang, wang_user, far, far_user, org, contact, community_admin
    )


def request_room(
    scene: VenueScene,
    start: dt.datetime,
    end: dt.datetime,
    *,
    purpose: str = "书法兴趣小组",
    attendees: int = 12,
    venue: Venue | None = None,
) -> VenueBooking:
    """``wang`` books ``venue`` (default the room) for themself through the service."""
    return venue_booking_request(
        actor=scene.wang_user,
        venue=venue or scene.room,
        purpose=purpose,
        attendees=attendees,
        starts_at=start,
        ends_at=end,
        resident=scene.wang,
    )
