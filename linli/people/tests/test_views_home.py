"""Staff home page (area tree) and the drill-down list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from linli.people.models import Role
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
ROW = '<tr class="person">'


def _resident_in(micro_grid, **fields):  # type: ignore[no-untyped-def]
    household = HouseholdFactory(building=BuildingFactory(micro_grid=micro_grid))
    return ResidentFactory(household=household, **fields)


def _count(html: str, code: str, key: str) -> int:
    """The number shown on the tree for area ``code`` and count ``key``."""
    block = html.split(f'data-code="{code}"', 1)[1]
    return int(re.search(rf'data-count="{key}">(\d+)<', block).group(1))  # type: ignore[union-attr]


def _total(html: str) -> int:
    return int(re.search(r'id="total">(\d+)<', html).group(1))  # type: ignore[union-attr]


def test_anonymous_is_sent_to_login(client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/people/").status_code == 302


def test_home_shows_own_area_tree_with_counts(client, areas, assigned) -> None:
    _resident_in(areas["micro_grid"], living_alone=True)
    _resident_in(areas["micro_grid"])
    client.force_login(assigned)
    html = client.get("/").content.decode()
    assert areas["micro_grid"].name in html
    assert _count(html, areas["micro_grid"].code, "residents") == 2
    assert _count(html, areas["micro_grid"].code, "living_alone") == 1
    assert f'href="/people/?area={areas["micro_grid"].code}&amp;tag=living_alone"' in html


def test_home_hides_other_streets(client, areas, other_areas, assigned) -> None:
    client.force_login(assigned)
    html = client.get("/").content.decode()
    assert other_areas["street"].name not in html


def test_user_without_assignment_gets_friendly_message(client, areas) -> None:
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert "您还没有分配辖区" in html
    assert 'class="area-node' not in html


def test_list_count_equals_tree_count(client, areas, community_admin) -> None:
    old = dt.date(1950, 1, 1)
    for fields in ({"dibao": True}, {"dibao": True, "birth_date": old}, {"birth_date": old}, {}):
        _resident_in(areas["micro_grid"], **fields)
    client.force_login(community_admin)
    home = client.get("/").content.decode()
    code = areas["community"].code
    for tag in ("", "aged60", "dibao", "living_alone"):
        page = client.get("/people/", {"area": code, "tag": tag}).content.decode()
        key = tag or "residents"
        assert _total(page) == _count(home, code, key) == page.count(ROW), tag


def test_list_masks_identity_number_and_phone(client, areas, community_admin) -> None:
    resident = _resident_in(areas["micro_grid"], phone="13912345678")
    client.force_login(community_admin)
    html = client.get("/people/", {"area": areas["micro_grid"].code}).content.decode()
    assert resident.id_number_masked in html and "139****5678" in html
    assert "13912345678" not in html
    age = resident.age(timezone.localdate())
    assert f">{age}<" in html
    assert str(resident.household) in html


def test_list_is_paginated_by_50(client, areas, assigned) -> None:
    building = BuildingFactory(micro_grid=areas["micro_grid"])
    household = HouseholdFactory(building=building)
    ResidentFactory.create_batch(51, household=household)
    client.force_login(assigned)
    first = client.get("/people/").content.decode()
    assert _total(first) == 51 and first.count(ROW) == 50
    second = client.get("/people/", {"page": 2}).content.decode()
    assert second.count(ROW) == 1


def test_list_hides_sensitive_tags_without_permission(client, areas) -> None:
    police = staff_user(areas["micro_grid"], Role.POLICE)
    _resident_in(areas["micro_grid"], dibao=True, living_alone=True)
    client.force_login(police)
    html = client.get("/people/").content.decode()
    assert "独居" in html and "低保</span>" not in html
    assert 'data-count="dibao"' not in client.get("/").content.decode()
    denied = client.get("/people/", {"tag": "dibao"})
    assert denied.status_code == 403 and "您没有查看该敏感标签的权限" in denied.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"age_min": "abc"}, "整数"),
        ({"tag": "vip"}, "未知的标签"),
        ({"area": "000000"}, "不存在"),
    ],
)
def test_bad_filters_give_400_with_chinese_message(client, assigned, params, message) -> None:
    client.force_login(assigned)
    response = client.get("/people/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_list_of_foreign_area_is_empty(client, areas, other_areas, assigned) -> None:
    _resident_in(other_areas["micro_grid"])
    client.force_login(assigned)
    html = client.get("/people/", {"area": other_areas["micro_grid"].code}).content.decode()
    assert _total(html) == 0
