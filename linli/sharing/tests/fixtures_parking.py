"""Fixtures of the parking pages' tests: a lot of 120 shared spaces (the report's figure)
and helpers that write bookings straight into the table for reports about past days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from linli.places.models import Area
from linli.sharing.models import Booking, ParkingLot, ParkingSpace, SpaceKind, SpaceWindow
from linli.sharing.tests.conftest import Scene


@pytest.fixture
def big_lot(areas: dict[str, Area]) -> ParkingLot:
    """Lot ``p120``: 120 smart spaces B-001…B-120, each shared every day 08:00–18:00."""
    lot = ParkingLot.objects.create(area=areas["community"], code="p120", name="西区停车场")
    spaces = ParkingSpace.objects.bulk_create(
        ParkingSpace(lot=lot, number=f"B-{i:03d}", kind=SpaceKind.SMART) for i in range(1, 121)
    )
    SpaceWindow.objects.bulk_create(
        SpaceWindow(space=s, weekday=d, start=dt.time(8), end=dt.time(18))
        for s in spaces
        for d in range(7)
    )
    return lot


def booking_row(
    scene: Scene, space: ParkingSpace, start: dt.datetime, end: dt.datetime, **fields: Any
) -> Booking:
    """A booking written directly (past days, given status and gate times), by ``wang``."""
    return Booking.objects.create(
        space=space,
        vehicle=scene.wang_car,
        plate=scene.wang_car.plate,
        booker=scene.wang,
        starts_at=start,
        ends_at=end,
        price_fen=0,
        **fields,
    )
