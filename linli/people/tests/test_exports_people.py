"""「导出 Excel」 on the resident list: filtered rows of all pages, masked as on screen."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.common.tests.test_exports import table
from linli.people.models import Role
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    make_id_number,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _resident_in(micro_grid, **fields):  # type: ignore[no-untyped-def]
    household = HouseholdFactory(building=BuildingFactory(micro_grid=micro_grid))
    return ResidentFactory(household=household, **fields)


def test_list_links_the_export_with_its_filters(client, areas, assigned) -> None:
    _resident_in(areas["micro_grid"], living_alone=True)
    client.force_login(assigned)
    html = client.get("/people/", {"tag": "living_alone", "page": 1}).content.decode()
    assert 'href="?tag=living_alone&amp;format=xlsx"' in html


def test_export_holds_the_filtered_residents_of_all_pages_masked(
    client, areas, other_areas, assigned
) -> None:
    number = make_id_number(dt.date(1950, 3, 4))
    old = _resident_in(
        areas["micro_grid"], id_number=number, phone="13912345678", living_alone=True
    )
    building = BuildingFactory(micro_grid=areas["micro_grid"])
    household = HouseholdFactory(building=building)
    for _ in range(55):
        ResidentFactory(household=household, birth_date=dt.date(1950, 1, 1))
    _resident_in(areas["micro_grid"], birth_date=dt.date(1990, 1, 1))  # too young
    _resident_in(other_areas["micro_grid"], birth_date=dt.date(1940, 1, 1))  # elsewhere
    client.force_login(assigned)

    response = client.get("/people/", {"age_min": "60", "format": "xlsx"})

    rows = table(response, "姓名")
    assert rows[0] == ["姓名", "性别", "年龄", "身份证号", "电话", "住址", "标签"]
    assert len(rows) - 1 == 56  # both pages of 50
    mine = next(r for r in rows if r[0] == old.name)
    assert mine[3] == old.id_number_masked and number not in str(mine)
    assert mine[4] == "139****5678" and "13912345678" not in str(rows)
    assert mine[6] == "独居"


def test_export_hides_sensitive_tags_like_the_page(client, areas) -> None:
    police = staff_user(areas["micro_grid"], Role.POLICE)
    _resident_in(areas["micro_grid"], dibao=True, living_alone=True)
    client.force_login(police)
    rows = table(client.get("/people/", {"format": "xlsx"}), "姓名")
    assert rows[1][6] == "独居"
    denied = client.get("/people/", {"tag": "dibao", "format": "xlsx"})
    assert denied.status_code == 403 and "您没有查看该敏感标签的权限" in denied.content.decode()


def test_user_without_registry_cannot_export(client, areas) -> None:
    property_staff = staff_user(areas["micro_grid"], Role.PROPERTY_STAFF)
    _resident_in(areas["micro_grid"])
    client.force_login(property_staff)
    response = client.get("/people/", {"format": "xlsx"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_bad_filter_gives_400_not_a_file(client, assigned) -> None:
    client.force_login(assigned)
    response = client.get("/people/", {"age_min": "abc", "format": "xlsx"})
    assert response.status_code == 400 and "整数" in response.content.decode()


def test_export_queries_do_not_grow_with_rows(
    client, areas, assigned, django_assert_max_num_queries
) -> None:
    for _ in range(15):
        _resident_in(areas["micro_grid"])
    client.force_login(assigned)
    with django_assert_max_num_queries(6):
        rows = table(client.get("/people/", {"format": "xlsx"}), "姓名")
    assert len(rows) == 16
