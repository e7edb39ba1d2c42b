"""Scoping: a user sees rows under their assigned areas only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from linli.people.models import Resident
from linli.people.scoping import can_view_pii, scope
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def test_assigned_user_sees_own_micro_grid_only(areas, other_areas, assigned) -> None:
    mine = ResidentFactory()
    ResidentFactory(
        household=HouseholdFactory(building=BuildingFactory(micro_grid=other_areas["micro_grid"]))
    )
    assert list(scope(Resident.objects.all(), assigned)) == [mine]


def test_user_elsewhere_sees_none_of_this_area(areas, elsewhere) -> None:
    ResidentFactory()
    assert not scope(Resident.objects.all(), elsewhere).exists()


def test_anonymous_sees_nothing(areas) -> None:
    ResidentFactory()
    assert not scope(Resident.objects.all(), AnonymousUser()).exists()


def test_pii_permission_follows_role(assigned, community_admin) -> None:
    assert not can_view_pii(assigned)
    assert can_view_pii(community_admin)


def test_factory_honours_given_id_number(areas) -> None:
    from linli.common import pii
    from linli.testing.factories import make_id_number

    number = make_id_number(__import__("datetime").date(1950, 3, 5), 7)
    resident = ResidentFactory(id_number=number)
    assert pii.decrypt(resident.id_number_encrypted) == number
    assert resident.sex == "M"
