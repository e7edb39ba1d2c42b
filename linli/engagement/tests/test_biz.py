"""Enterprise contact pages at /biz/: who sees what, raising, ordering from the menu, rating."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.engagement.models import MenuItem, Need, NeedStatus
from linli.places.models import Area

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_go_to_the_login_page(client: Client) -> None:
    for url in ("/biz/", "/biz/needs/new/", "/biz/menu/"):
        assert "/login/" in client.get(url)["Location"]


@pytest.mark.parametrize("who", ["admin", "assigned"])
def test_staff_without_a_contact_assignment_get_403(
    client: Client, who: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get("/biz/").status_code == 403


def test_home_lists_our_needs_only(
    client: Client,
    need: Need,
    firm_contact: User,
    rival_contact: User,
) -> None:
    client.force_login(firm_contact)
    page = client.get("/biz/").content.decode()
    assert need.number in page and "提需求" in page
    assert "/biz/policies/" in page and "/activities/" in page

    client.force_login(rival_contact)
    assert need.number not in client.get("/biz/").content.decode()


def test_another_firms_need_is_404(client: Client, need: Need, rival_contact: User) -> None:
    client.force_login(rival_contact)
    assert client.get(f"/biz/needs/{need.pk}/").status_code == 404
    assert client.post(f"/biz/needs/{need.pk}/rate/", {"rating": 1}).status_code == 404


def test_raise_a_need_from_the_phone(client: Client, firm_contact: User, admin: User) -> None:
    client.force_login(firm_contact)
    assert client.get("/biz/needs/new/").status_code == 200

    response = client.post(
        "/biz/needs/new/",
        {
            "category": "childcare",
            "title": "暑期职工子女托管",
            "description": "7 月到 8 月，6–12 岁",
            "urgency": "normal",
            "headcount": 25,
        },
    )

    need = Need.objects.get()
    assert response["Location"] == f"/biz/needs/{need.pk}/"
    assert need.raised_by == firm_contact and need.headcount == 25
    page = client.get(response["Location"]).content.decode()
    assert "已提出" in page and need.number in page


def test_bad_need_from_the_phone_is_400_and_nothing_written(
    client: Client, firm_contact: User
) -> None:
    client.force_login(firm_contact)
    response = client.post(
        "/biz/needs/new/",
        {"category": "childcare", "title": "", "urgency": "normal", "headcount": 0},
    )
    assert response.status_code == 400
    assert "请按提示修改" in response.content.decode()
    assert not Need.objects.exists()


def test_order_from_the_menu_shows_lead_time_and_links_the_item(
    client: Client, firm_contact: User, menu_item: MenuItem
) -> None:
    client.force_login(firm_contact)
    menu = client.get("/biz/menu/").content.decode()
    assert "消防安全培训" in menu and "需提前 7 天" in menu

    form = client.get("/biz/needs/new/", {"menu": menu_item.pk}).content.decode()
    assert "需提前 7 天预约" in form

    response = client.post(
        f"/biz/needs/new/?menu={menu_item.pk}",
        {"title": "消防安全培训", "urgency": "normal", "headcount": 60},
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert need.menu_item == menu_item and need.category == "training"


def test_ordering_above_the_items_capacity_is_refused_on_the_form(
    client: Client, firm_contact: User, menu_item: MenuItem
) -> None:
    client.force_login(firm_contact)
    response = client.post(
        f"/biz/needs/new/?menu={menu_item.pk}",
        {"title": "消防安全培训", "urgency": "normal", "headcount": 75},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "这项服务每次最多 60 人" in page
    assert "需提前 7 天预约" in page and not Need.objects.exists()


def test_menu_of_another_community_is_404(
    client: Client, firm_contact: User, other_areas: dict[str, Area]
) -> None:
    foreign = MenuItem.objects.create(
        area=other_areas["community"], name="别处服务", category="legal", capacity=5
    )
    client.force_login(firm_contact)
    assert client.get("/biz/needs/new/", {"menu": foreign.pk}).status_code == 404
    assert "别处服务" not in client.get("/biz/menu/").content.decode()


def test_progress_and_rating_once_done(
    client: Client, need: Need, firm_contact: User, move: Callable[..., Need]
) -> None:
    client.force_login(firm_contact)
    page = client.get(f"/biz/needs/{need.pk}/").content.decode()
    assert 'id="rate"' not in page

    for step in ("accepted", "planned", "done"):
        move(need, step)
    page = client.get(f"/biz/needs/{need.pk}/").content.decode()
    assert 'id="rate"' in page and "社区统一安排" in page

    response = client.post(f"/biz/needs/{need.pk}/rate/", {"rating": 4, "comment": "及时"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.rating, need.status) == (4, NeedStatus.DONE)

    again = client.post(f"/biz/needs/{need.pk}/rate/", {"rating": 1})
    assert again.status_code == 409
    need.refresh_from_db()
    assert need.rating == 4


def test_rating_out_of_range_is_400(
    client: Client, need: Need, firm_contact: User, move: Callable[..., Need]
) -> None:
    for step in ("accepted", "planned", "done"):
        move(need, step)
    client.force_login(firm_contact)
    assert client.post(f"/biz/needs/{need.pk}/rate/", {"rating": 9}).status_code == 400
    need.refresh_from_db()
    assert need.rating is None


def test_declined_need_says_why(
    client: Client, need: Need, firm_contact: User, move: Callable[..., Need]
) -> None:
    move(need, "declined", declined_reason="需向区人社局申请")
    client.force_login(firm_contact)
    page = client.get(f"/biz/needs/{need.pk}/").content.decode()
    assert "未能受理：需向区人社局申请" in page


def test_elder_mode_enlarges_the_pages(client: Client, firm_contact: User) -> None:
    client.force_login(firm_contact)
    assert 'class="public orders-resident biz"' in client.get("/biz/").content.decode()
    client.cookies["linli_elder"] = "1"
    page = client.get("/biz/").content.decode()
    assert "biz elder" in page


def test_an_enterprise_contact_lands_on_the_biz_home_not_the_registry(
    client: Client, firm_contact: User, admin: User
) -> None:
    client.force_login(firm_contact)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/biz/"

    client.force_login(admin)
    assert client.get("/").status_code == 200  # staff who see the registry stay on 辖区概况
    client.logout()
    assert "/accounts/login/" in client.get("/")["Location"]
