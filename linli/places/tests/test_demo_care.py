"""The demo's care step: history for the demo micro-grid worker's elders, routines, alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from linli.care import live
from linli.care.models import AlertKind, CareAlert, Watch
from linli.devices.models import DeviceEvent, DeviceKind
from linli.devices.services import device_register, gateway_create
from linli.people.models import Role
from linli.places.demo.care import HISTORY_DAYS, WORKER, build_care
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory, staff_user

pytestmark = pytest.mark.django_db


def test_the_worker_sees_routines_and_alerts(areas: dict[str, Any]) -> None:
    staff_user(areas["micro_grid"], Role.MICRO_GRID_WORKER, username=WORKER)
    gateway, _ = gateway_create(area=areas["community"], name="演示网关", key_id="demo-gw-t")
    for n in range(3):
        household = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
        resident = ResidentFactory(
            household=household, birth_date=dt.date(1940, 1, 1 + n), living_alone=True
        )
        for kind, prefix in (
            (DeviceKind.DOOR_SENSOR, "DS"),
            (DeviceKind.WATER_METER, "WM"),
            (DeviceKind.POWER_METER, "PM"),
            (DeviceKind.SOS_BUTTON, "SOS"),
        ):
            device_register(
                kind=kind,
                household=household,
                resident=resident,
                vendor="linli-demo",
                external_id=f"{prefix}-T-{n}",
                gateway=gateway,
            )
    lines: list[str] = []
    now = timezone.now().replace(microsecond=0)
    counts = build_care(now=now, log=lines.append)
    assert counts["watches"] == 3 and Watch.objects.filter(active=True).count() == 3
    assert counts["device_events"] == DeviceEvent.objects.count() > 1000
    learnt = Watch.objects.exclude(tolerance=[])
    # Days with events before today: HISTORY_DAYS, one fewer late in the evening (the first
    # day of the window then holds only its last minutes) — at least the learning days.
    days = {w.routine_days for w in learnt}
    assert learnt.count() == 3 and days <= {HISTORY_DAYS - 1, HISTORY_DAYS}
    assert min(days) >= live.CFG.learn_days
    assert CareAlert.objects.filter(kind=AlertKind.SOS).count() == 1
    assert lines and "主动关怀" in lines[0]
