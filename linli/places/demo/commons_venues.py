"""Demo venue bookings of issue 7 (called by :func:`linli.places.demo.commons.build_commons`).

The residents' activity room of 金凤苑社区 (approval needed), the south canteen's hall between
meals (14:00–16:30, residents only) and, in the industrial community, the concrete plant's
yard outside production hours (enterprises only); a booking approved, one waiting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.activities.models import Venue, VenueWindow
from linli.places.demo.commons import _admin, _at, _members
from linli.places.models import Area, Facility
from linli.sharing.models import VenueBookers
from linli.sharing.venues import venue_booking_approve, venue_booking_request, venue_rule_set


def build_venues(community: Area, admin: Any, today: dt.date) -> None:
    """Bookable venues and two bookings (module docstring)."""
    from linli.places.demo.economy import facility_venue

    room = Venue.objects.filter(area=community, name="金凤苑居民活动室").first()
    if room is not None:
        venue_rule_set(actor=admin, venue=room, bookers=VenueBookers.BOTH, needs_approval=True)
    canteen = Facility.objects.filter(
        area__path__startswith=community.path, name="金凤苑社区食堂（南区）"
    ).first()
    if canteen is not None:
        hall = facility_venue(canteen, capacity=60, community=community)
        hall.name = "南区食堂大厅（非就餐时段）"
        hall.note = "就餐时段（10:30–14:00、16:30–19:30）不可预约"
        hall.save(update_fields=["name", "note"])
        hall.windows.all().delete()
        VenueWindow.objects.bulk_create(
            VenueWindow(venue=hall, weekday=d, start=dt.time(14), end=dt.time(16, 30))
            for d in range(7)
        )
        venue_rule_set(actor=admin, venue=hall, bookers=VenueBookers.RESIDENTS, needs_approval=True)
    yard = Venue.objects.filter(organization__isnull=False, name__endswith="厂区公共区域").first()
    if yard is not None:
        yard_admin = _admin(yard.area)
        if yard_admin is not None:
            venue_rule_set(
                actor=yard_admin,
                venue=yard,
                bookers=VenueBookers.ENTERPRISES,
                needs_approval=True,
                max_hours=3,
            )
    people = _members(community, today)
    if room is None or len(people) < 3:
        return
    day = today + dt.timedelta(days=2)
    choir = venue_booking_request(
        actor=admin,
        venue=room,
        purpose="金凤合唱团排练",
        attendees=25,
        starts_at=_at(day, 15),
        ends_at=_at(day, 17),
        resident=people[1],
    )
    venue_booking_approve(actor=admin, booking=choir)
    if canteen is not None:
        venue_booking_request(
            actor=admin,
            venue=hall,
            purpose="楼栋老人集体生日会",
            attendees=30,
            starts_at=_at(day, 14, 30),
            ends_at=_at(day, 16),
            resident=people[2],
        )
