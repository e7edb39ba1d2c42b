"""The PII access log in the back office: read-only for everyone, scoped for admins."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from linli.common.models import PiiAccessLog
from linli.people.models import Role
from linli.people.services import pii_reveal
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def logs(areas, other_areas, community_admin):  # type: ignore[no-untyped-def]
    here = ResidentFactory(name="本区居民")
    there = ResidentFactory(
        name="外区居民",
        household=HouseholdFactory(building=BuildingFactory(micro_grid=other_areas["micro_grid"])),
    )
    admin_there = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    pii_reveal(actor=community_admin, resident=here, purpose="核对")
    pii_reveal(actor=admin_there, resident=there, purpose="核对")
    return PiiAccessLog.objects.order_by("pk")


def test_admin_sees_reveals_of_own_residents_only(client, logs, community_admin) -> None:
    client.force_login(community_admin)
    response = client.get(reverse("admin:common_piiaccesslog_changelist"))
    html = response.content.decode()
    assert "本区居民" in html
    assert "外区居民" not in html
    other = reverse("admin:common_piiaccesslog_change", args=[logs[1].pk])
    assert client.get(other).status_code == 404


def test_nobody_may_add_change_or_delete_log_rows(client, logs, community_admin) -> None:
    root = User.objects.create_superuser("root", password="pw-linli-test")
    for user in (community_admin, root):
        client.force_login(user)
        row = logs[0]
        assert client.get(reverse("admin:common_piiaccesslog_add")).status_code == 403
        change = reverse("admin:common_piiaccesslog_change", args=[row.pk])
        assert client.post(change, {"purpose": "篡改"}).status_code == 403
        delete = reverse("admin:common_piiaccesslog_delete", args=[row.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    assert list(PiiAccessLog.objects.values_list("purpose", flat=True)) == ["核对", "核对"]


def test_workers_cannot_read_the_log(client, logs, assigned) -> None:
    client.force_login(assigned)
    assert client.get(reverse("admin:common_piiaccesslog_changelist")).status_code == 403


def test_anonymous_is_sent_to_login(client, logs) -> None:
    response = client.get(reverse("admin:common_piiaccesslog_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
