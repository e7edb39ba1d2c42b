"""Writes to the place registry."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from linli.places.models import Area, Building, Household


@transaction.atomic
def area_create(
    *,
    code: str,
    kind: str,
    name: str,
    parent: Area | None = None,
    boundary: dict[str, object] | None = None,
) -> Area:
    """Create an area after checking its code length and parent kind (see ``AREA_RULES``).

    Raises:
        django.core.exceptions.ValidationError: wrong code length/prefix or parent kind.
    """
    area = Area(code=code, kind=kind, name=name, parent=parent, boundary=boundary)
    area.path = area.build_path()
    area.full_clean()
    area.save()
    return area


@transaction.atomic
def building_create(
    *,
    micro_grid: Area,
    name: str,
    kind: str,
    floors: int = 6,
    address: str = "",
    lat: Decimal | None = None,
    lng: Decimal | None = None,
) -> Building:
    """Create a building in ``micro_grid`` (WGS-84 degrees).

    Raises:
        django.core.exceptions.ValidationError: duplicate name in the micro-grid, bad kind.
    """
    building = Building(
        micro_grid=micro_grid,
        name=name,
        kind=kind,
        floors=floors,
        address=address,
        lat=lat,
        lng=lng,
    )
    building.full_clean()
    building.save()
    return building


def household_get_or_create(*, building: Building, unit: str, room: str) -> Household:
    """The household at building/unit/room, created if missing."""
    household, _ = Household.objects.get_or_create(building=building, unit=unit, room=room)
    return household
