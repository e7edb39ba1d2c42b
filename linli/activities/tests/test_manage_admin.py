"""Back office of activities: scoped like the rest of the admin, registrations read-only
with phones masked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.activities.models import Activity, Venue
from linli.activities.services import registration_create
from linli.activities.tests.conftest import guest
from linli.people.models import Role
from linli.places.models import Area
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admins_see_their_areas_activities_and_venues_only(
    make_activity: Callable[..., Activity],
    community_admin: User,
    other_areas: dict[str, Area],
    hall: Venue,
) -> None:
    activity = make_activity()
    outsider = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    mine, theirs = logged_in(community_admin), logged_in(outsider)
    assert activity.title in mine.get("/admin/activities/activity/").content.decode()
    assert mine.get(f"/admin/activities/activity/{activity.pk}/change/").status_code == 200
    assert hall.name in mine.get("/admin/activities/venue/").content.decode()
    assert theirs.get(f"/admin/activities/activity/{activity.pk}/change/").status_code == 404
    assert theirs.get(f"/admin/activities/venue/{hall.pk}/change/").status_code == 404
    assert activity.title not in theirs.get("/admin/activities/activity/").content.decode()


def test_registrations_are_read_only_with_phones_masked(
    make_activity: Callable[..., Activity], community_admin: User
) -> None:
    registration = registration_create(
        activity=make_activity(), participant=guest("王强", phone="13712340000")
    ).registration
    client = logged_in(community_admin)
    listing = client.get("/admin/activities/registration/").content.decode()
    assert "137****0000" in listing and "13712340000" not in listing
    page = client.get(f"/admin/activities/registration/{registration.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200 and "137****0000" in body and "13712340000" not in body
    assert str(registration.token) not in body
    assert client.get("/admin/activities/registration/add/").status_code == 403
