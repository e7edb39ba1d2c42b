"""Device-monitoring consent: the household page, the staff form, the admin, the check
command and the demo (linli/people/privacy.py, linli/people/views_privacy.py)."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.devices.models import DeviceKind, MonitoringConsent
from linli.devices.services import device_register
from linli.people.models import FamilyLink, Role
from linli.people.privacy import family_links_without_consent, households_without_consent
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(areas: dict[str, Any]) -> dict[str, Any]:
    household = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
    resident = ResidentFactory(household=household, name="马桂兰")
    door = device_register(
        kind=DeviceKind.DOOR_SENSOR, household=household, vendor="acme", external_id="DS-P1"
    )
    water = device_register(
        kind=DeviceKind.WATER_METER, household=household, vendor="acme", external_id="WM-P1"
    )
    return {"household": household, "resident": resident, "door": door, "water": water}


def _url(home: dict[str, Any]) -> str:
    return reverse("privacy:household", args=[home["household"].pk])


def _post_consent(client: Client, home: dict[str, Any], **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "given_by": home["resident"].pk,
        "given_by_relation": "本人",
        "given_at": (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "evidence": "TY-2026-0042",
        "kinds": [],
        **overrides,
    }
    return client.post(reverse("privacy:consent", args=[home["household"].pk]), data)


def test_household_without_consent_shows_warning_in_words(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    page = client.get(_url(home)).content.decode()
    assert "未登记设备监测同意" in page
    assert "户门磁" in page and "智能水表" in page
    assert "⚠" in page


def test_staff_records_consent_then_page_shows_it(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    response = _post_consent(client, home)
    assert response.status_code == 302
    consent = MonitoringConsent.objects.get(household=home["household"])
    assert consent.recorded_by == assigned and consent.given_by == home["resident"]
    assert consent.kinds == [] and consent.active
    page = client.get(_url(home)).content.decode()
    assert "已登记同意" in page and "未登记设备监测同意" not in page
    assert "TY-2026-0042" in page and "本人（马桂兰）" in page
    assert f"{timezone.localtime(consent.given_at):%Y-%m-%d %H:%M}" in page


def test_consent_for_some_kinds_leaves_the_others_uncovered(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    _post_consent(client, home, kinds=[DeviceKind.WATER_METER])
    page = client.get(_url(home)).content.decode()
    assert "未登记设备监测同意</strong>：户门磁" in page
    gaps = households_without_consent()
    assert [(h.pk, kinds) for h, kinds in gaps] == [(home["household"].pk, ["户门磁"])]


def test_future_date_refused_in_chinese_nothing_written(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _post_consent(client, home, given_at=future)
    assert response.status_code == 400
    assert "同意时间不能晚于现在" in response.content.decode()
    assert not MonitoringConsent.objects.exists()


def test_unknown_kind_refused(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    response = _post_consent(client, home, kinds=["door_sensor", "camera"])
    assert response.status_code == 400
    assert "不认识的设备类型：camera" in response.content.decode()
    assert not MonitoringConsent.objects.exists()


def test_consenting_person_from_another_household_refused(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    stranger = ResidentFactory()
    response = _post_consent(client, home, given_by=stranger.pk)
    assert response.status_code == 400
    assert not MonitoringConsent.objects.exists()


def test_withdraw_turns_the_warning_back_on(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    _post_consent(client, home)
    consent = MonitoringConsent.objects.get()
    response = client.post(reverse("privacy:withdraw", args=[consent.pk]))
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    page = client.get(_url(home)).content.decode()
    assert "未登记设备监测同意" in page and "已撤回" in page
    again = client.post(reverse("privacy:withdraw", args=[consent.pk]))
    assert again.status_code == 409 and "这份同意已经撤回" in again.content.decode()


def test_outsider_staff_get_404_and_write_nothing(client, elsewhere, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(elsewhere)
    assert client.get(_url(home)).status_code == 404
    assert _post_consent(client, home).status_code == 404
    consent = MonitoringConsent.objects.create(
        household=home["household"], given_by_relation="本人", given_at=timezone.now()
    )
    assert client.post(reverse("privacy:withdraw", args=[consent.pk])).status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert MonitoringConsent.objects.count() == 1


def test_anonymous_visitor_sent_to_login(client, home) -> None:  # type: ignore[no-untyped-def]
    response = client.get(_url(home))
    assert response.status_code == 302 and "login" in response["Location"]
    assert _post_consent(client, home).status_code == 302
    assert not MonitoringConsent.objects.exists()


def test_dispatcher_sees_but_may_not_record(client, areas, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(staff_user(areas["community"], Role.DISPATCHER))
    page = client.get(_url(home)).content.decode()
    assert "未登记设备监测同意" in page and 'id="consent-form"' not in page
    assert _post_consent(client, home).status_code == 403
    assert not MonitoringConsent.objects.exists()


def test_post_without_csrf_token_refused(assigned, home) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(assigned)
    assert _post_consent(client, home).status_code == 403
    assert not MonitoringConsent.objects.exists()


def test_admin_lists_consents_of_own_area_only(client, assigned, elsewhere, home) -> None:  # type: ignore[no-untyped-def]
    MonitoringConsent.objects.create(
        household=home["household"],
        given_by_relation="本人",
        given_at=timezone.now(),
        evidence="EV-MINE",
    )
    url = reverse("admin:devices_monitoringconsent_changelist")
    client.force_login(assigned)
    assert "EV-MINE" in client.get(url).content.decode()
    client.force_login(elsewhere)
    response = client.get(url)
    assert "EV-MINE" not in response.content.decode()


def test_check_command_lists_gaps_and_proxies_without_consent(home) -> None:  # type: ignore[no-untyped-def]
    daughter = ResidentFactory(name="马小兰")
    FamilyLink.objects.create(
        resident=home["resident"], relative=daughter, relation="女儿", may_act=True
    )
    out = StringIO()
    call_command("privacy", "check", stdout=out)
    text = out.getvalue()
    assert "未登记设备监测同意的户：1 户" in text
    assert f"户 #{home['household'].pk}" in text
    assert "没有有效同意的亲属关联：1 条" in text and "马小兰 → 马桂兰（未登记同意）" in text
    with pytest.raises(CommandError):
        call_command("privacy", "check", "--strict", stdout=StringIO())
    MonitoringConsent.objects.create(
        household=home["household"], given_by_relation="本人", given_at=timezone.now()
    )
    FamilyLink.objects.update(consent_at=timezone.now())
    assert households_without_consent() == []
    assert not family_links_without_consent().exists()
    out = StringIO()
    call_command("privacy", "check", "--strict", stdout=out)
    assert "未发现问题" in out.getvalue()


def test_demo_devices_come_with_the_residents_consent() -> None:
    from linli.places.demo.devices import build_devices
    from linli.testing.factories import area_chain

    chain = area_chain("640106009", name="金凤苑")
    household = HouseholdFactory(building=BuildingFactory(micro_grid=chain["micro_grid"]))
    elder = ResidentFactory(household=household, living_alone=True, birth_date=dt.date(1945, 3, 1))
    counts = build_devices(random.Random(7))
    assert counts.devices >= 4
    consent = MonitoringConsent.objects.get(household=household)
    assert consent.given_by == elder and consent.given_by_relation == "本人" and consent.active
    assert households_without_consent() == []
    build_devices(random.Random(7))
    assert MonitoringConsent.objects.filter(household=household).count() == 1


def test_admin_add_refuses_future_date_and_unknown_kinds(client, assigned, home) -> None:  # type: ignore[no-untyped-def]
    client.force_login(assigned)
    url = reverse("admin:devices_monitoringconsent_add")
    future = timezone.localtime() + dt.timedelta(days=2)
    data = {
        "household": home["household"].pk,
        "given_by": home["resident"].pk,
        "given_by_relation": "本人",
        "kinds": '["door_sensor", "camera"]',
        "given_at_0": f"{future:%Y-%m-%d}",
        "given_at_1": f"{future:%H:%M:%S}",
        "evidence": "EV-ADMIN",
    }
    page = client.post(url, data).content.decode()
    assert "同意时间不能晚于现在" in page and "不认识的设备类型：camera" in page
    assert not MonitoringConsent.objects.exists()
    past = timezone.localtime() - dt.timedelta(days=1)
    data.update(
        kinds='["door_sensor"]', given_at_0=f"{past:%Y-%m-%d}", given_at_1=f"{past:%H:%M:%S}"
    )
    assert client.post(url, data).status_code == 302
    consent = MonitoringConsent.objects.get()
    assert consent.recorded_by == assigned and consent.kinds == ["door_sensor"]
