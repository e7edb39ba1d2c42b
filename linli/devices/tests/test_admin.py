"""Back office: gateway keys shown once, devices scoped, events and dead letters read-only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.common import pii
from linli.devices.ingest import ingest
from linli.devices.models import DeadLetter, DeviceEvent, Gateway
from linli.devices.tests.conftest import event
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_gateway_key_is_shown_once_and_stored_encrypted(
    community_admin: User, areas: dict[str, Any]
) -> None:
    client = logged_in(community_admin)
    response = client.post(
        "/admin/devices/gateway/add/",
        {"area": areas["community"].pk, "name": "东门网关", "key_id": "gw-east", "active": "on"},
        follow=True,
    )
    text = response.content.decode()
    shown = re.search(r"只显示这一次，请立即配置到网关）：([A-Za-z0-9_\-]{40,})", text)
    assert shown, text[:2000]
    gateway = Gateway.objects.get(key_id="gw-east")
    assert shown[1] not in gateway.secret_encrypted
    assert pii.decrypt(gateway.secret_encrypted) == shown[1]
    page = client.get(f"/admin/devices/gateway/{gateway.pk}/change/").content.decode()
    assert shown[1] not in page


def test_devices_are_visible_only_inside_the_users_areas(
    home: dict[str, Any], assigned: User, elsewhere: User
) -> None:
    url = f"/admin/devices/device/{home['water'].pk}/change/"
    assert logged_in(assigned).get(url).status_code == 200
    assert logged_in(elsewhere).get(url).status_code == 404
    listing = logged_in(elsewhere).get("/admin/devices/device/").content.decode()
    assert home["water"].external_id not in listing


def test_device_events_are_read_only_and_scoped(
    home: dict[str, Any], assigned: User, elsewhere: User
) -> None:
    ingest([event(home["water"], 1)], channel="mqtt", source="t")
    stored = DeviceEvent.objects.get()
    mine = logged_in(assigned)
    assert home["water"].external_id in mine.get("/admin/devices/deviceevent/").content.decode()
    assert mine.get("/admin/devices/deviceevent/add/").status_code == 403
    page = mine.get(f"/admin/devices/deviceevent/{stored.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (
        logged_in(elsewhere).get(f"/admin/devices/deviceevent/{stored.pk}/change/").status_code
        == 404
    )


def test_dead_letters_are_for_street_admins_only(areas: dict[str, Any], assigned: User) -> None:
    ingest([{"event": "broken"}], channel="http", source="gw-x")
    letter = DeadLetter.objects.get()
    street_admin = staff_user(areas["street"], Role.STREET_ADMIN)
    assert logged_in(street_admin).get("/admin/devices/deadletter/").status_code == 200
    assert (
        logged_in(street_admin).get(f"/admin/devices/deadletter/{letter.pk}/change/").status_code
        == 200
    )
    assert logged_in(assigned).get("/admin/devices/deadletter/").status_code == 403


def test_a_community_admin_registers_a_device_through_the_back_office(
    community_admin: User, home: dict[str, Any]
) -> None:
    client = logged_in(community_admin)
    assert client.get("/admin/devices/device/add/").status_code == 200
    response = client.post(
        "/admin/devices/device/add/",
        {
            "kind": "water_meter",
            "household": home["household"].pk,
            "vendor": "acme",
            "model": "WM-2",
            "external_id": "WM-NEW-1",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert home["household"].devices.filter(external_id="WM-NEW-1").exists()
