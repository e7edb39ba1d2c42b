"""Demo smart-home devices for older people living alone (issue 5), for ``linli simulate``.

Every resident aged 60+ living alone in the super community 金凤苑社区 gets a household door
sensor, a smart water meter, a power meter and an SOS button, and about a third of them a
smoke detector; a handful of such residents in the village community 丰登新村社区 and the
office community 阅海楼宇社区 too (:data:`ELSEWHERE`). Each community with devices gets one
gateway (:func:`linli.devices.services.gateway_create`; its signing key is discarded — the
demo publishes over MQTT, which needs none, and an operator who wants to post signed HTTP
batches rotates the key in the back office).

External ids are ``<KIND>-<last 3 digits of the community code>-<nnnn>`` (``DS-001-0007``,
``WM-001-0007``, ``PM-001-0007``, ``SOS-001-0007``, ``SD-001-0007``), ``nnnn`` counting the
equipped residents of the community in primary-key order, vendor :data:`VENDOR`. Devices are
validated like :func:`~linli.devices.services.device_register` does (``full_clean`` without
the per-row uniqueness query) and written with ``bulk_create``. Running it again adds only
what is missing: a resident who already has demo devices is skipped. Each equipped household
gets a monitoring consent given by the resident (「本人」, every kind; docs/privacy.md).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from linli.devices.models import Device, DeviceKind, Gateway, MonitoringConsent
from linli.devices.services import gateway_create
from linli.people.models import Resident
from linli.people.selectors import ELDERLY_AGE, birth_cutoff
from linli.places.demo.builder import BATCH
from linli.places.models import Area, AreaKind

VENDOR = "linli-demo"
#: Community (by name) → how many of its elders living alone get devices; None = all of them.
SCOPE: dict[str, int | None] = {"金凤苑社区": None, "丰登新村社区": 8, "阅海楼宇社区": 5}
ELSEWHERE = {name: n for name, n in SCOPE.items() if n is not None}
#: Share of equipped homes that also get a smoke detector.
SMOKE_SHARE = 0.35
#: Kind → external id prefix, in the order devices are created for a home.
PREFIXES: dict[str, str] = {
    DeviceKind.DOOR_SENSOR: "DS",
    DeviceKind.WATER_METER: "WM",
    DeviceKind.POWER_METER: "PM",
    DeviceKind.SOS_BUTTON: "SOS",
    DeviceKind.SMOKE_DETECTOR: "SD",
}
MODELS: dict[str, str] = {
    DeviceKind.DOOR_SENSOR: "MC-38",
    DeviceKind.WATER_METER: "LXSY-15E",
    DeviceKind.POWER_METER: "DDSU666",
    DeviceKind.SOS_BUTTON: "SOS-1",
    DeviceKind.SMOKE_DETECTOR: "JTY-GD",
}


@dataclass
class DeviceCounts:
    gateways: int = 0
    devices: int = 0
    equipped_residents: int = 0


def gateway_key_id(community: Area) -> str:
    """The demo gateway's key id of ``community``: ``demo-gw-<community code>``."""
    return f"demo-gw-{community.code}"


def external_id(kind: str, community: Area, number: int) -> str:
    """``<prefix>-<last 3 digits of the community code>-<number, 4 digits>``."""
    return f"{PREFIXES[kind]}-{community.code[-3:]}-{number:04d}"


def build_devices(rng: random.Random) -> DeviceCounts:
    """Give the elders living alone of :data:`SCOPE` their devices; returns what was added.

    Deterministic for a given ``rng`` state and database: residents are taken in primary-key
    order, the handful elsewhere and the smoke detectors are drawn from ``rng``. Idempotent:
    gateways and residents that already have them are left alone (the draws are made all the
    same, so a second run picks the same people).
    """
    counts = DeviceCounts()
    cutoff = birth_cutoff(ELDERLY_AGE)
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY, name__in=SCOPE).order_by("code"):
        elders = list(
            Resident.objects.filter(
                area__path__startswith=community.path,
                living_alone=True,
                birth_date__lte=cutoff,
                household__isnull=False,
            )
            .select_related("household__building__micro_grid")
            .order_by("pk")
        )
        wanted = SCOPE[community.name]
        if wanted is not None and len(elders) > wanted:
            elders = sorted(rng.sample(elders, wanted), key=lambda r: r.pk)
        smoke = [rng.random() < SMOKE_SHARE for _ in elders]
        if not elders:
            continue
        gateway = Gateway.objects.filter(key_id=gateway_key_id(community)).first()
        if gateway is None:
            gateway, _key = gateway_create(
                area=community,
                name=f"{community.name}演示网关",
                key_id=gateway_key_id(community),
            )
            counts.gateways += 1
        rows = _devices(community, gateway, elders, smoke)
        Device.objects.bulk_create(rows, batch_size=BATCH)
        _consents(rows)
        counts.devices += len(rows)
        counts.equipped_residents += len({d.resident_id for d in rows})
    return counts


def _devices(
    community: Area, gateway: Gateway, elders: list[Resident], smoke: list[bool]
) -> list[Device]:
    have = set(
        Device.objects.filter(vendor=VENDOR, resident__in=elders).values_list(
            "resident_id", flat=True
        )
    )
    taken = set(
        Device.objects.filter(vendor=VENDOR, gateway=gateway).values_list("external_id", flat=True)
    )
    rows = []
    for number, (resident, with_smoke) in enumerate(zip(elders, smoke, strict=True), start=1):
        if resident.pk in have or external_id(DeviceKind.DOOR_SENSOR, community, number) in taken:
            continue
        assert resident.household is not None  # filtered above
        for kind in PREFIXES:
            if kind == DeviceKind.SMOKE_DETECTOR and not with_smoke:
                continue
            device = Device(
                kind=kind,
                household=resident.household,
                resident=resident,
                building=resident.household.building,
                vendor=VENDOR,
                model=MODELS[kind],
                external_id=external_id(kind, community, number),
                gateway=gateway,
            )
            # The related rows were just read from the database: skip the per-row queries.
            device.full_clean(
                exclude=["household", "resident", "building", "gateway"],
                validate_unique=False,
                validate_constraints=False,
            )
            rows.append(device)
    return rows


def _consents(rows: list[Device]) -> None:
    """A consent by the resident themself for each household of ``rows`` that has none."""
    from django.utils import timezone

    owners = {d.household_id: d.resident_id for d in rows}
    have = set(
        MonitoringConsent.objects.filter(
            household_id__in=owners, withdrawn_at__isnull=True
        ).values_list("household_id", flat=True)
    )
    now = timezone.now()
    MonitoringConsent.objects.bulk_create(
        [
            MonitoringConsent(
                household_id=household_id,
                given_by_id=resident_id,
                given_by_relation="本人",
                kinds=[],
                given_at=now,
                evidence=f"演示同意书-{household_id}",
            )
            for household_id, resident_id in owners.items()
            if household_id not in have
        ],
        batch_size=BATCH,
    )
