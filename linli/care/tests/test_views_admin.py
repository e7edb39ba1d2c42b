"""Back office of care: watches, away periods and alerts (with their trail inline) are
scoped to the user's areas and read-only for everyone, superusers included."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.care.models import AlertKind, AwayPeriod, CareAlert, Watch
from linli.people.models import Role
from linli.places.models import Area
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    UserFactory,
    WatchFactory,
    care_alert,
    staff_user,
)

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(areas: dict[str, Area]) -> dict[str, Any]:
    home = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
    watch = WatchFactory(resident__household=home, resident__name="周凤英")
    now = timezone.now()
    away = AwayPeriod.objects.create(
        resident=watch.resident, starts_at=now, ends_at=now + dt.timedelta(days=2)
    )
    alert = care_alert(watch.resident, AlertKind.SOS, source_key="sos:admin")
    return {"watch": watch, "away": away, "alert": alert}


def urls(rows: dict[str, Any]) -> list[str]:
    return [
        f"/admin/care/watch/{rows['watch'].pk}/change/",
        f"/admin/care/awayperiod/{rows['away'].pk}/change/",
        f"/admin/care/carealert/{rows['alert'].pk}/change/",
    ]


def test_assigned_staff_see_the_rows_and_the_trail_read_only(
    rows: dict[str, Any], assigned: User
) -> None:
    client = logged_in(assigned)
    for url in urls(rows):
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'name="_save"' not in page.content.decode(), url
    trail = client.get(urls(rows)[2]).content.decode()
    assert "告警产生" in trail and "已通知" in trail
    assert "周凤英" in client.get("/admin/care/carealert/").content.decode()


def test_staff_elsewhere_get_404_and_an_empty_list(rows: dict[str, Any], elsewhere: User) -> None:
    client = logged_in(elsewhere)
    for url in urls(rows):
        assert client.get(url).status_code == 404, url
    assert "周凤英" not in client.get("/admin/care/watch/").content.decode()


def test_nobody_edits_or_deletes_care_rows_in_the_back_office(rows: dict[str, Any]) -> None:
    root = logged_in(UserFactory(is_superuser=True))
    alert: CareAlert = rows["alert"]
    response = root.post(urls(rows)[2], {"status": "resolved"})
    assert response.status_code == 403
    assert (
        root.post(f"/admin/care/carealert/{alert.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert root.get("/admin/care/watch/add/").status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    assert Watch.objects.filter(pk=rows["watch"].pk).exists()


def test_roles_outside_care_do_not_see_the_care_admin(
    rows: dict[str, Any], areas: dict[str, Area]
) -> None:
    client = logged_in(staff_user(areas["micro_grid"], Role.PROVIDER_STAFF))
    assert client.get("/admin/care/carealert/").status_code == 403
