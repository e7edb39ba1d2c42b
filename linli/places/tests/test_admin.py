"""Place back office: areas, buildings, households and facilities, scoped by area."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from linli.people.models import Role
from linli.places.models import Area, AreaKind, Building, Facility, FacilityKind
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory, staff_user

pytestmark = pytest.mark.django_db


def test_worker_sees_buildings_of_own_micro_grid_only(client, areas, other_areas, assigned) -> None:
    BuildingFactory(name="本区楼")
    BuildingFactory(name="外区楼", micro_grid=other_areas["micro_grid"])
    client.force_login(assigned)
    html = client.get(reverse("admin:places_building_changelist")).content.decode()
    assert "本区楼" in html
    assert "外区楼" not in html


def test_building_outside_scope_is_404(client, areas, elsewhere) -> None:
    building = BuildingFactory()
    client.force_login(elsewhere)
    assert (
        client.get(reverse("admin:places_building_change", args=[building.pk])).status_code == 404
    )


def test_anonymous_is_sent_to_login(client, areas) -> None:
    response = client.get(reverse("admin:places_area_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_household_list_counts_members(client, areas, community_admin) -> None:
    household = HouseholdFactory(room="301")
    ResidentFactory.create_batch(3, household=household)
    client.force_login(community_admin)
    html = client.get(reverse("admin:places_household_changelist")).content.decode()
    assert '<td class="field-member_count">3</td>' in html


def test_building_filter_offers_only_micro_grids_in_scope(
    client, areas, other_areas, community_admin
) -> None:
    BuildingFactory(name="本区楼")
    client.force_login(community_admin)
    html = client.get(reverse("admin:places_building_changelist")).content.decode()
    assert areas["micro_grid"].name in html
    assert other_areas["micro_grid"].name not in html
    forged = client.get(
        reverse("admin:places_building_changelist"), {"micro_grid": other_areas["micro_grid"].code}
    ).content.decode()
    assert "本区楼" not in forged


def test_grid_worker_may_not_add_buildings_or_change_areas(client, areas, assigned) -> None:
    client.force_login(assigned)
    assert client.get(reverse("admin:places_building_add")).status_code == 403
    change_area = reverse("admin:places_area_change", args=[areas["micro_grid"].pk])
    assert client.post(change_area, {"name": "改名"}).status_code == 403
    assert client.get(reverse("admin:places_household_add")).status_code == 200


def test_community_admin_adds_grid_under_own_community(client, areas, community_admin) -> None:
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:places_area_add"),
        {
            "kind": AreaKind.GRID,
            "code": areas["community"].code + "002",
            "name": "第二网格",
            "parent": areas["community"].pk,
            "boundary": "null",
        },
    )
    assert response.status_code == 302
    grid = Area.objects.get(name="第二网格")
    assert grid.path == areas["community"].path + grid.code + "/"


def test_area_code_rules_give_chinese_errors(client, areas, community_admin) -> None:
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:places_area_add"),
        {"kind": AreaKind.GRID, "code": "123", "name": "坏网格", "parent": areas["community"].pk},
    )
    assert "网格代码应为 15 位数字" in response.content.decode()
    assert not Area.objects.filter(name="坏网格").exists()


def test_community_admin_cannot_add_area_outside_scope(
    client, areas, other_areas, community_admin
) -> None:
    client.force_login(community_admin)
    for parent in (other_areas["community"].pk, ""):
        response = client.post(
            reverse("admin:places_area_add"),
            {"kind": AreaKind.CITY, "code": "640200", "name": "越权", "parent": parent},
        )
        assert response.status_code == 200
    assert not Area.objects.filter(name="越权").exists()


def test_only_superuser_deletes_areas(client, areas, community_admin) -> None:
    grid = areas["grid"]
    client.force_login(community_admin)
    delete = reverse("admin:places_area_delete", args=[grid.pk])
    assert client.get(delete).status_code == 403
    root = User.objects.create_superuser("root", password="pw-linli-test")
    client.force_login(root)
    assert client.get(delete).status_code == 200


def test_superuser_sees_every_area(client, areas, other_areas) -> None:
    root = User.objects.create_superuser("root", password="pw-linli-test")
    client.force_login(root)
    html = client.get(reverse("admin:places_area_changelist")).content.decode()
    assert areas["micro_grid"].name in html
    assert other_areas["micro_grid"].name in html


def test_property_staff_view_facilities_without_residents(client, areas) -> None:
    Facility.objects.create(area=areas["community"], kind=FacilityKind.CANTEEN, name="长者食堂")
    staff = staff_user(areas["community"], Role.PROPERTY_STAFF)
    client.force_login(staff)
    assert "长者食堂" in client.get(reverse("admin:places_facility_changelist")).content.decode()
    assert client.get(reverse("admin:people_resident_changelist")).status_code == 403


def test_building_choices_in_household_form_are_scoped(
    client, areas, other_areas, community_admin
) -> None:
    outside = BuildingFactory(micro_grid=other_areas["micro_grid"])
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:places_household_add"), {"building": outside.pk, "unit": "1", "room": "101"}
    )
    assert response.status_code == 200
    assert not Building.objects.get(pk=outside.pk).households.exists()


def test_micro_grid_choices_narrow_to_the_chosen_grid(client, areas, community_admin) -> None:
    grid2 = Area.objects.create(
        code=areas["community"].code + "002",
        kind=AreaKind.GRID,
        name="第二网格",
        parent=areas["community"],
        path=areas["community"].path + areas["community"].code + "002/",
    )
    Area.objects.create(
        code=grid2.code + "01",
        kind=AreaKind.MICRO_GRID,
        name="第二网格微网格",
        parent=grid2,
        path=grid2.path + grid2.code + "01/",
    )
    client.force_login(community_admin)
    url = reverse("admin:places_building_changelist")
    everything = client.get(url).content.decode()
    assert "第二网格微网格" in everything
    assert areas["micro_grid"].name in everything
    narrowed = client.get(url, {"grid": areas["grid"].code}).content.decode()
    assert areas["micro_grid"].name in narrowed
    assert "第二网格微网格" not in narrowed
