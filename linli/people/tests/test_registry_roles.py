"""Caregivers, property staff and other non-registry roles never browse the resident registry."""

from __future__ import annotations

import pytest

from linli.people.models import Role
from linli.testing.factories import ResidentFactory, staff_user

pytestmark = pytest.mark.django_db

OUTSIDE_REGISTRY = [
    Role.PROVIDER_STAFF,
    Role.PROPERTY_STAFF,
    Role.ENTERPRISE_CONTACT,
    Role.SOCIAL_ENTERPRISE_STAFF,
    Role.VOLUNTEER,
]


@pytest.mark.parametrize("role", OUTSIDE_REGISTRY)
def test_non_registry_roles_see_no_residents_on_pages_or_api(client, areas, role) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(name="王秀英")
    client.force_login(staff_user(areas["community"], role))
    home = client.get("/").content.decode()
    assert "您的岗位不查看居民台账" in home and resident.name not in home
    listing = client.get("/people/", {"area": areas["community"].code})
    assert listing.status_code == 403 and resident.name not in listing.content.decode()
    assert client.get("/api/residents/").status_code == 403
    assert client.get("/api/households/").status_code == 403


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.COMMUNITY_ADMIN, Role.POLICE])
def test_registry_roles_still_see_their_residents(client, areas, role) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(name="王秀英")
    client.force_login(staff_user(areas["community"], role))
    listing = client.get("/people/", {"area": areas["community"].code})
    assert listing.status_code == 200 and resident.name in listing.content.decode()
