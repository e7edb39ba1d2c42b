"""Fixtures of the care tests: an elderly man living alone with a door sensor, water and
power meters and an SOS button, his emergency contact, and the staff around him; a
synthetic routine to feed through ingestion."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from linli.care import live
from linli.devices import partitions
from linli.devices.ingest import device_cache
from linli.people.models import EmergencyContact, Role

CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _forget_caches() -> Iterator[None]:
    """Rolled-back rows must not survive in module caches."""
    device_cache.clear()
    partitions.forget()
    live.cache_clear()
    yield
    device_cache.clear()
    partitions.forget()
    live.cache_clear()


@pytest.fixture
def elder(areas: dict[str, Any]) -> dict[str, Any]:
    """老王, 78, living alone in areas["micro_grid"], with devices, a contact and staff."""
    from linli.devices.models import DeviceKind
    from linli.devices.services import device_register
    from linli.testing.factories import (
        BuildingFactory,
        HouseholdFactory,
        ResidentFactory,
        staff_user,
    )

    household = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
    resident = ResidentFactory(
        name="王建国", household=household, birth_date=dt.date(1948, 3, 2), living_alone=True
    )
    EmergencyContact.objects.create(
        resident=resident, name="王丽", relation="女儿", phone="13912345678"
    )
    tag = uuid.uuid4().hex[:6]

    def dev(kind: str, prefix: str) -> Any:
        return device_register(
            kind=kind,
            household=household,
            resident=resident,
            vendor="acme",
            external_id=f"{prefix}-{tag}",
        )

    return {
        "resident": resident,
        "household": household,
        "door": dev(DeviceKind.DOOR_SENSOR, "DS"),
        "water": dev(DeviceKind.WATER_METER, "WM"),
        "power": dev(DeviceKind.POWER_METER, "PM"),
        "sos": dev(DeviceKind.SOS_BUTTON, "SOS"),
        "worker": staff_user(areas["micro_grid"], Role.MICRO_GRID_WORKER, first_name="李微"),
        "leader": staff_user(areas["grid"], Role.GRID_LEADER, first_name="赵网格长"),
        "admin": staff_user(areas["community"], Role.COMMUNITY_ADMIN, first_name="钱社区"),
        "areas": areas,
    }


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """``day`` at local time ``hhmm`` (China, +08:00), aware."""
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), CHINA)


#: 老王's day: water use at these times, out of the door 08:30–10:30.
WATER_TIMES = [
    "06:45",
    "07:30",
    "11:30",
    "12:30",
    "14:00",
    "15:30",
    "17:30",
    "18:30",
    "20:00",
    "21:30",
]
DOOR_TIMES = ["08:30", "10:30"]


class Routine:
    """Payload items for 老王's days; keeps the meter registers across days."""

    def __init__(self, elder: dict[str, Any], seed: int = 7) -> None:
        self.elder = elder
        self.rng = random.Random(seed)
        self.water_l = 1000.0
        self.power_wh = 500_000.0
        self.n = 0

    def _item(self, device: Any, ts: dt.datetime, kind: str, value: float | None = None) -> dict:
        self.n += 1
        item: dict[str, Any] = {
            "event": f"ev-{self.n}",
            "device": device.external_id,
            "ts": ts.isoformat(),
            "kind": kind,
        }
        if value is not None:
            item["value"] = round(value, 1)
        return item

    def day(self, day: dt.date, *, until: str = "23:59") -> list[dict]:
        """One ordinary day's events up to local ``until`` (exclusive), jittered ±10 min."""
        stop = at(day, until)
        items = []
        for hhmm in WATER_TIMES:
            ts = at(day, hhmm) + dt.timedelta(minutes=self.rng.randint(-10, 10))
            if ts < stop:
                self.water_l += self.rng.uniform(3, 20)
                items.append(self._item(self.elder["water"], ts, "water", self.water_l))
        for hhmm in DOOR_TIMES:
            ts = at(day, hhmm) + dt.timedelta(minutes=self.rng.randint(-10, 10))
            if ts < stop:
                items.append(self._item(self.elder["door"], ts, "door_open"))
                items.append(
                    self._item(self.elder["door"], ts + dt.timedelta(seconds=20), "door_close")
                )
        for hour in range(24):  # hourly power register: 60 W base, 300 W in the evening
            ts = at(day, f"{hour:02d}:00")
            if ts < stop:
                self.power_wh += 300 if 18 <= hour <= 21 else 60
                items.append(self._item(self.elder["power"], ts, "power", self.power_wh))
        return sorted(items, key=lambda i: i["ts"])


def local_day(days_ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)
