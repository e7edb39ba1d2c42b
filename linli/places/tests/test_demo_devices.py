"""``linli demo`` equips the elders living alone with devices (issue 5), deterministically."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command

from linli.devices.models import Device, DeviceKind, Gateway
from linli.people.models import Resident
from linli.people.selectors import ELDERLY_AGE, birth_cutoff
from linli.places.demo.devices import ELSEWHERE, VENDOR, build_devices, gateway_key_id
from linli.places.models import Area, AreaKind

pytestmark = pytest.mark.django_db

SMALL = 0.01
HOME_KINDS = {
    DeviceKind.DOOR_SENSOR,
    DeviceKind.WATER_METER,
    DeviceKind.POWER_METER,
    DeviceKind.SOS_BUTTON,
}


def demo(seed: int = 7, **options: object) -> str:
    out = StringIO()
    call_command("demo", scale=SMALL, seed=seed, stdout=out, **options)
    return out.getvalue()


def elders_alone(community: Area) -> list[Resident]:
    return list(
        Resident.objects.filter(
            area__path__startswith=community.path,
            living_alone=True,
            birth_date__lte=birth_cutoff(ELDERLY_AGE),
            household__isnull=False,
        )
    )


def test_every_elder_living_alone_in_jinfengyuan_has_door_water_power_and_sos() -> None:
    # Given the demo, when we look at 金凤苑社区's elders living alone
    output = demo()
    community = Area.objects.get(name="金凤苑社区")
    elders = elders_alone(community)
    assert elders
    # then each has the four household devices, bound to their own household
    for resident in elders:
        devices = list(Device.objects.filter(resident=resident))
        assert {d.kind for d in devices} >= HOME_KINDS
        assert all(d.household_id == resident.household_id for d in devices)
    assert "智能设备" in output


def test_one_gateway_per_community_with_devices_and_devices_on_their_own_gateway() -> None:
    demo()
    with_devices = Area.objects.filter(
        kind=AreaKind.COMMUNITY, gateways__devices__isnull=False
    ).distinct()
    for community in with_devices:
        assert Gateway.objects.filter(area=community).count() == 1
        assert Gateway.objects.get(area=community).key_id == gateway_key_id(community)
    for device in Device.objects.select_related("gateway__area", "household__building"):
        assert device.vendor == VENDOR
        assert device.gateway is not None
        assert device.household.building.micro_grid.path.startswith(device.gateway.area.path)


def test_only_a_handful_elsewhere() -> None:
    demo()
    for name, most in ELSEWHERE.items():
        community = Area.objects.get(name=name)
        equipped = (
            Device.objects.filter(household__building__micro_grid__path__startswith=community.path)
            .values("resident")
            .distinct()
            .count()
        )
        assert equipped <= most
        assert equipped == min(most, len(elders_alone(community)))


def test_the_same_seed_gives_the_same_devices() -> None:
    def snapshot() -> list[tuple[str, str, str]]:
        return sorted(
            Device.objects.values_list("external_id", "kind", "resident__name").order_by()
        )

    demo(seed=3)
    first = snapshot()
    demo(seed=3, reset=True)
    assert snapshot() == first
    assert first


def test_running_the_device_step_again_adds_nothing() -> None:
    demo()
    before = Device.objects.count()
    added = build_devices(random.Random("7:devices"))
    assert (added.devices, added.gateways) == (0, 0)
    assert Device.objects.count() == before


def test_some_homes_get_a_smoke_detector_and_only_equipped_homes() -> None:
    # Given a whole community of elders living alone (more than the small demo has)
    demo()
    community = Area.objects.get(name="金凤苑社区")
    Device.objects.all().delete()
    template = elders_alone(community)[0]
    for n in range(40):
        Resident.objects.create(
            name=f"测试{n}",
            sex="F",
            birth_date=template.birth_date,
            area=template.area,
            household=template.household,
            living_alone=True,
            id_number_hash=f"h{n}",
        )
    # when the device step runs
    build_devices(random.Random(1))
    # then about a third (never none, never all) of the homes have a smoke detector
    smoke = Device.objects.filter(kind=DeviceKind.SMOKE_DETECTOR).count()
    doors = Device.objects.filter(kind=DeviceKind.DOOR_SENSOR).count()
    assert 0 < smoke < doors
    assert set(Device.objects.values_list("resident_id", flat=True)) <= {
        r.pk for r in elders_alone(community)
    }
