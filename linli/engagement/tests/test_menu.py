"""The service menu (点菜单): services and staff pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.engagement.errors import EngagementError, IllegalTransition, NotAllowed
from linli.engagement.models import MenuItem
from linli.engagement.services import menu_item_retire, menu_item_save
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def item_fields(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "法律咨询进企业",
        "category": "legal",
        "capacity": 30,
        "lead_days": 5,
        "fee_fen": 0,
        "description": "律师到企业解答劳动用工问题",
        "deliverer": "社区法律顾问",
    }
    values.update(overrides)
    return values


def test_admin_adds_and_edits_an_item(admin: User, community: Area) -> None:
    clinic = OrganizationFactory(name="康宁体检中心", kind="clinic", area=community)
    item = menu_item_save(actor=admin, area=community, provider=clinic, **item_fields())
    assert item.provider_name == "康宁体检中心" and item.active

    item = menu_item_save(
        actor=admin, area=community, item=item, **item_fields(capacity=40, fee_fen=5000)
    )
    item.refresh_from_db()
    assert (item.capacity, item.fee_fen) == (40, 5000)
    assert MenuItem.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("category", "party"),
        ("capacity", 0),
        ("lead_days", 400),
        ("fee_fen", -1),
        ("fee_fen", 12.5),
    ],
)
def test_bad_item_is_refused(admin: User, community: Area, field: str, value: Any) -> None:
    with pytest.raises(EngagementError) as err:
        menu_item_save(actor=admin, area=community, **item_fields(**{field: value}))
    assert err.value.field == field
    assert not MenuItem.objects.exists()


def test_menu_is_per_community(admin: User, areas: dict[str, Area]) -> None:
    with pytest.raises(EngagementError) as err:
        menu_item_save(actor=admin, area=areas["grid"], **item_fields())
    assert err.value.field == "area"


@pytest.mark.parametrize("who", ["worker", "outsider", "firm_contact"])
def test_only_admins_of_the_community_edit_the_menu(
    community: Area, who: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(NotAllowed):
        menu_item_save(actor=request.getfixturevalue(who), area=community, **item_fields())
    assert not MenuItem.objects.exists()


def test_provider_outside_ones_areas_is_refused(
    admin: User, community: Area, other_areas: dict[str, Area]
) -> None:
    far = OrganizationFactory(area=other_areas["community"])
    with pytest.raises(EngagementError) as err:
        menu_item_save(actor=admin, area=community, provider=far, **item_fields())
    assert err.value.field == "provider"


def test_retire_and_relist(admin: User, menu_item: MenuItem) -> None:
    menu_item_retire(item=menu_item, actor=admin)
    menu_item.refresh_from_db()
    assert not menu_item.active
    with pytest.raises(IllegalTransition):
        menu_item_retire(item=menu_item, actor=admin)

    menu_item_retire(item=menu_item, actor=admin, retire=False)
    menu_item.refresh_from_db()
    assert menu_item.active


# --- pages ----------------------------------------------------------------------------------


def test_menu_page_for_three_actors(
    client: Client, admin: User, outsider: User, menu_item: MenuItem
) -> None:
    assert "/login/" in client.get("/engagement/menu/")["Location"]

    client.force_login(admin)
    assert "消防安全培训" in client.get("/engagement/menu/").content.decode()

    client.force_login(outsider)
    page = client.get("/engagement/menu/")
    assert page.status_code == 200 and "消防安全培训" not in page.content.decode()
    assert client.get(f"/engagement/menu/{menu_item.pk}/edit/").status_code == 404
    assert client.post(f"/engagement/menu/{menu_item.pk}/retire/").status_code == 404


def test_admin_adds_an_item_from_the_page_fee_in_yuan(
    client: Client, admin: User, community: Area
) -> None:
    client.force_login(admin)
    response = client.post(
        "/engagement/menu/new/",
        {
            "area": community.pk,
            "name": "招聘对接会",
            "category": "recruitment",
            "capacity": 200,
            "lead_days": 14,
            "fee_yuan": "12.50",
        },
    )
    assert response.status_code == 302
    item = MenuItem.objects.get()
    assert (item.name, item.fee_fen, item.area) == ("招聘对接会", 1250, community)
    assert "12.50 元" in client.get("/engagement/menu/").content.decode()


def test_bad_item_from_the_page_is_400(client: Client, admin: User, community: Area) -> None:
    client.force_login(admin)
    response = client.post(
        "/engagement/menu/new/",
        {"area": community.pk, "name": "", "category": "legal", "capacity": 0, "lead_days": 1},
    )
    assert response.status_code == 400
    assert not MenuItem.objects.exists()


def test_grid_worker_sees_the_menu_but_cannot_add(
    client: Client, worker: User, menu_item: MenuItem
) -> None:
    client.force_login(worker)
    assert "消防安全培训" in client.get("/engagement/menu/").content.decode()
    assert client.get("/engagement/menu/new/").status_code == 403


def test_retire_from_the_page_and_twice_is_409(
    client: Client, admin: User, menu_item: MenuItem
) -> None:
    client.force_login(admin)
    assert client.post(f"/engagement/menu/{menu_item.pk}/retire/").status_code == 302
    menu_item.refresh_from_db()
    assert not menu_item.active
    second = client.post(f"/engagement/menu/{menu_item.pk}/retire/")
    assert second.status_code == 409
    assert "已经下架" in second.content.decode()
