"""Shared fixtures of the activities tests (used by the manage, service and public tests).

The scene: the test community (``areas["community"]`` of the root ``areas`` fixture) with

* ``hall`` — the community activity room, 40 places, open every day 08:00–21:00 local;
* ``plant`` — an enterprise of the community (the concrete plant) with ``plant_yard``, its
  public area, 80 places, open only outside production hours: Monday–Friday 18:00–21:00
  and Saturday 09:00–17:00;
* ``plant_contact`` — the plant's enterprise contact (Assignment role
  ``enterprise_contact``, organization = the plant, area = the community);
* ``other_org`` / ``other_contact`` — a second enterprise of the same community and its
  contact (an enterprise contact of *another* organisation).

Times: every activity is built whole days ahead (:func:`local_at`), so no test depends on
the time of day it runs at. ``make_activity`` creates a published activity through
:func:`linli.activities.services.activity_create`; ``guest`` builds a guest
:class:`~linli.activities.services.Participant` with a distinct valid mobile number.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.activities.models import Activity, Venue, VenueWindow
from linli.activities.services import Participant, SessionSpec, activity_create
from linli.orgs.models import Organization
from linli.people.models import Assignment, Role
from linli.places.models import Area, Facility, FacilityKind
from linli.testing.factories import OrganizationFactory, UserFactory

#: Distinct guest mobile numbers (valid mainland numbers: 137 + 8 digits).
_phones = itertools.count(1)


def next_phone() -> str:
    """A fresh valid mobile number ``137xxxxxxxx`` (unique within the test run)."""
    return f"137{next(_phones):08d}"


def local_day(days: int) -> dt.date:
    """The local (Asia/Shanghai) date ``days`` from today."""
    return timezone.localdate() + dt.timedelta(days=days)


def local_at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime: local date ``days`` from today at ``hour:minute`` Asia/Shanghai."""
    return timezone.make_aware(dt.datetime.combine(local_day(days), dt.time(hour, minute)))


def next_weekday(weekday: int, *, after_days: int = 3) -> int:
    """Days from today to the first ``weekday`` (0 = Monday) at least ``after_days`` ahead."""
    day = local_day(after_days)
    return after_days + (weekday - day.weekday()) % 7


def one_session(days: int = 7, start: int = 10, end: int = 12) -> list[SessionSpec]:
    """One session ``days`` ahead from ``start`` to ``end`` o'clock (local)."""
    return [(local_at(days, start), local_at(days, end), "")]


def guest(name: str = "", **kwargs: Any) -> Participant:
    """A guest participant (not in the registry) with a fresh phone unless given."""
    kwargs.setdefault("phone", next_phone())
    return Participant(name=name or f"访客{kwargs['phone'][-4:]}", **kwargs)


def add_windows(venue: Venue, weekdays: Sequence[int], start: dt.time, end: dt.time) -> None:
    """Open ``venue`` on ``weekdays`` from ``start`` to ``end`` (local wall-clock)."""
    VenueWindow.objects.bulk_create(
        VenueWindow(venue=venue, weekday=day, start=start, end=end) for day in weekdays
    )


@pytest.fixture
def community(areas: dict[str, Area]) -> Area:
    """The test community (path ``/640100/640106/640106001/640106001001/``)."""
    return areas["community"]


@pytest.fixture
def hall(community: Area) -> Venue:
    """The community activity room: 40 places, every day 08:00–21:00."""
    facility = Facility.objects.create(
        area=community, kind=FacilityKind.ACTIVITY_ROOM, name="党群服务中心活动室"
    )
    venue = Venue.objects.create(
        area=community, name="党群服务中心活动室", facility=facility, capacity=40
    )
    add_windows(venue, range(7), dt.time(8), dt.time(21))
    return venue


@pytest.fixture
def plant(community: Area) -> Organization:
    """The concrete plant, an enterprise of the test community."""
    org: Organization = OrganizationFactory(name="银川建材混凝土有限公司", area=community)
    return org


@pytest.fixture
def plant_yard(plant: Organization) -> Venue:
    """The plant's public area: 80 places, Mon–Fri 18:00–21:00 and Sat 09:00–17:00."""
    venue = Venue.objects.create(
        area=plant.area, name="混凝土厂开放区", organization=plant, capacity=80
    )
    add_windows(venue, range(5), dt.time(18), dt.time(21))
    add_windows(venue, [5], dt.time(9), dt.time(17))
    return venue


@pytest.fixture
def other_org(community: Area) -> Organization:
    """A second enterprise of the test community."""
    org: Organization = OrganizationFactory(name="凤城科技有限公司", area=community)
    return org


def enterprise_contact(org: Organization, area: Area | None = None) -> User:
    """A user who is ``org``'s enterprise contact (password ``pw-linli-test``)."""
    user: User = UserFactory(is_staff=False)
    Assignment.objects.create(
        user=user, area=area or org.area, role=Role.ENTERPRISE_CONTACT, organization=org
    )
    return user


@pytest.fixture
def plant_contact(plant: Organization) -> User:
    return enterprise_contact(plant)


@pytest.fixture
def other_contact(other_org: Organization) -> User:
    return enterprise_contact(other_org)


@pytest.fixture
def make_activity(community: Area, hall: Venue) -> Callable[..., Activity]:
    """``make_activity(**overrides)``: a published activity in ``hall``, one session 7 days
    ahead 10:00–12:00, 10 places; any :func:`activity_create` argument may be overridden
    (``sessions=`` a list of :data:`SessionSpec`, ``publish=False`` for a draft)."""

    def build(**overrides: Any) -> Activity:
        options: dict[str, Any] = {
            "actor": None,
            "area": community,
            "venue": hall,
            "title": "消防安全培训",
            "kind": "training",
            "capacity": 10,
            "sessions": one_session(),
            "publish": True,
        }
        options.update(overrides)
        return activity_create(**options)

    return build


def backdate(activity: Activity, days: int) -> Activity:
    """Move every session of ``activity`` ``days`` earlier (into the past when ``days`` is
    larger than how far ahead it lay): services refuse to create past sessions, but tests
    need activities that have already happened."""
    shift = dt.timedelta(days=days)
    for session in activity.sessions.all():
        session.starts_at -= shift
        session.ends_at -= shift
        session.save(update_fields=["starts_at", "ends_at"])
    return activity
