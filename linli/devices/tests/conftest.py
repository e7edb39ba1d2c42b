"""Fixtures of the device tests: a community with one household and its devices, a gateway."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from linli.devices import partitions
from linli.devices.brokers import ThrowawayBroker
from linli.devices.ingest import device_cache

__all__ = ["ThrowawayBroker"]

#: The machine's shared broker (never restarted by tests).
SHARED_BROKER = os.environ.get("LINLI_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


@pytest.fixture(autouse=True)
def _forget_caches() -> Iterator[None]:
    """Rolled-back devices and partitions must not survive in module caches."""
    device_cache.clear()
    partitions.forget()
    yield
    device_cache.clear()
    partitions.forget()


@pytest.fixture
def home(areas: dict[str, Any]) -> dict[str, Any]:
    """A household in areas["micro_grid"] with a water meter, a door sensor and an SOS button."""
    from linli.devices.models import DeviceKind
    from linli.devices.services import device_register
    from linli.testing.factories import BuildingFactory, HouseholdFactory

    household = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
    tag = uuid.uuid4().hex[:6]
    return {
        "household": household,
        "community": areas["community"],
        "water": device_register(
            kind=DeviceKind.WATER_METER, household=household, vendor="acme", external_id=f"WM-{tag}"
        ),
        "door": device_register(
            kind=DeviceKind.DOOR_SENSOR, household=household, vendor="acme", external_id=f"DS-{tag}"
        ),
        "sos": device_register(
            kind=DeviceKind.SOS_BUTTON, household=household, vendor="acme", external_id=f"SOS-{tag}"
        ),
    }


@pytest.fixture
def gateway(home: dict[str, Any]) -> tuple[Any, str]:
    from linli.devices.services import gateway_create

    return gateway_create(
        area=home["community"], name="一号网关", key_id=f"gw-{uuid.uuid4().hex[:8]}"
    )


def event(device: Any, n: int, *, ts: dt.datetime | None = None, **extra: Any) -> dict[str, Any]:
    """A valid payload item for ``device`` (a water meter's ``value`` is n × 10 litres)."""
    from linli.devices.models import DeviceKind

    moment = ts or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=n)
    kind = {
        DeviceKind.WATER_METER: "water",
        DeviceKind.POWER_METER: "power",
        DeviceKind.DOOR_SENSOR: "door_open",
        DeviceKind.DOOR_ACCESS: "door_open",
        DeviceKind.SOS_BUTTON: "sos",
    }[device.kind]
    item: dict[str, Any] = {
        "event": f"e-{n}",
        "device": device.external_id,
        "ts": moment.isoformat(),
        "kind": kind,
    }
    if kind in {"water", "power"}:
        item["value"] = n * 10.0
    item.update(extra)
    return item


def dumps(data: Any) -> bytes:
    return json.dumps(data).encode()
