"""Shared fixtures of the parking and venue tests.

The scene (:func:`parking`): lot ``p1`` (5 yuan an hour in 30-minute units, 15 minutes'
grace) in the test community with three spaces owned by residents (A-001…A-003) and a
community space (A-099). Owner 1 shares A-001 every day 08:00–18:00; neighbours ``wang``
and ``li`` live in other households and each has a resident account and a car.
Bookings are made whole days ahead (:func:`local_at`), so no test depends on the time of
day it runs at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.people.models import Resident
from linli.places.models import Area
from linli.sharing.models import ParkingLot, ParkingSpace, SpaceKind, Vehicle
from linli.sharing.services import WindowSpec, space_windows_set, vehicle_register
from linli.testing.factories import HouseholdFactory, ResidentFactory

_phones = iter(range(1, 10**6))


def local_at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """An aware datetime: the local date ``days`` from today at ``hour:minute``."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def resident_with_account(micro_grid: Area, name: str) -> tuple[Resident, User]:
    """A resident in a new household of ``micro_grid`` with a log-in account."""
    household = HouseholdFactory(building__micro_grid=micro_grid)
    resident = ResidentFactory(name=name, household=household, area=micro_grid)
    account = resident_account_create(
        resident=resident, phone=f"136{next(_phones):08d}", actor=None
    )
    return resident, account.user


@dataclass
class Scene:
    lot: ParkingLot
    spaces: list[ParkingSpace]
    owner: Resident
    owner_user: User
    wang: Resident
    wang_user: User
    wang_car: Vehicle
    li: Resident
    li_user: User
    li_car: Vehicle


EVERY_DAY_8_TO_18 = [WindowSpec(d, dt.time(8), dt.time(18)) for d in range(7)]


@pytest.fixture
def parking(areas: dict[str, Area]) -> Scene:
    grid = areas["micro_grid"]
    owner, owner_user = resident_with_account(grid, "张业主")
    lot = ParkingLot.objects.create(area=areas["community"], code="p1", name="东区停车场")
    spaces = [
        ParkingSpace.objects.create(lot=lot, number=f"A-00{i}", owner=owner, kind=SpaceKind.SMART)
        for i in (1, 2, 3)
    ]
    spaces.append(ParkingSpace.objects.create(lot=lot, number="A-099", kind=SpaceKind.PLAIN))
    space_windows_set(actor=owner_user, space=spaces[0], windows=EVERY_DAY_8_TO_18)
    wang, wang_user = resident_with_account(grid, "王邻居")
    li, li_user = resident_with_account(grid, "李邻居")
    wang_car = vehicle_register(actor=wang_user, owner=wang, plate="宁A12345")
    li_car = vehicle_register(actor=li_user, owner=li, plate="宁AD23456")
    return Scene(lot, spaces, owner, owner_user, wang, wang_user, wang_car, li, li_user, li_car)


def book(scene: Scene, who: str, start: dt.datetime, end: dt.datetime, **kw: Any) -> Any:
    """Book space A-001 as ``wang`` or ``li`` through the service."""
    from linli.sharing.services import booking_create

    resident = getattr(scene, who)
    return booking_create(
        actor=getattr(scene, f"{who}_user"),
        booker=resident,
        vehicle=getattr(scene, f"{who}_car"),
        space=kw.pop("space", scene.spaces[0]),
        starts_at=start,
        ends_at=end,
        **kw,
    )
