"""Fixes of /me/parking/book/: the vehicle is chosen once above a compact list of free
spaces (number, price, one 「预约这个车位」 each), the first 12 then 「显示更多车位」."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.cases.views_public import ELDER_COOKIE
from linli.sharing.models import Booking, ParkingLot
from linli.sharing.services import vehicle_register
from linli.sharing.tests.conftest import Scene, local_at
from linli.sharing.tests.fixtures_parking import big_lot  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def search(lot: ParkingLot, **extra: str) -> dict[str, str]:
    day = local_at(1, 0).date().isoformat()
    return {"lot": str(lot.pk), "day": day, "start": "09:00", "end": "11:00", **extra}


def test_twelve_spaces_then_more_and_one_vehicle_choice(
    big_lot: ParkingLot,  # noqa: F811
    parking: Scene,
) -> None:
    vehicle_register(actor=parking.wang_user, owner=parking.wang, plate="宁B66666")
    client = as_user(parking.wang_user)
    url = reverse("resident_parking:book")
    page = client.get(url, search(big_lot)).content.decode()
    assert page.count("预约这个车位</button>") == 12
    assert page.count('name="vehicle"') == 1 and "先选用哪辆车" in page  # once, above
    assert page.index('id="id_vehicle"') < page.index('id="free"')
    assert "共 120 个空闲车位，先列出 12 个" in page
    assert "显示更多车位（还有 108 个）" in page
    assert "B-001" in page and "B-013" not in page
    assert "10.00 元" in page
    more = client.get(url, search(big_lot, more="1")).content.decode()
    assert more.count("预约这个车位</button>") == 120
    assert 'id="more"' not in more


def test_one_car_is_not_asked_for_and_a_space_is_booked_with_it(parking: Scene) -> None:
    client = as_user(parking.wang_user)
    page = client.get(reverse("resident_parking:book"), search(parking.lot)).content.decode()
    assert "<select" not in page and 'id="the-vehicle"' in page and "宁A12345" in page
    assert f'name="space" value="{parking.spaces[0].pk}"' in page
    assert 'id="more"' not in page
    form = {**search(parking.lot), "vehicle": parking.wang_car.pk, "space": parking.spaces[0].pk}
    response = client.post(reverse("resident_parking:book_confirm"), form)
    booking = Booking.objects.get()
    assert response["Location"] == reverse("resident_parking:booking", args=[booking.pk])
    assert booking.vehicle == parking.wang_car and booking.space == parking.spaces[0]


def test_a_space_without_a_vehicle_is_refused(parking: Scene) -> None:
    client = as_user(parking.wang_user)
    form = {**search(parking.lot), "space": parking.spaces[0].pk}
    response = client.post(reverse("resident_parking:book_confirm"), form)
    assert response.status_code == 400
    assert "请选择车辆" in response.content.decode()
    assert not Booking.objects.exists()


def test_elder_mode_keeps_one_main_action(parking: Scene) -> None:
    client = as_user(parking.wang_user)
    client.cookies[ELDER_COOKIE] = "1"
    page = client.get(reverse("resident_parking:book"), search(parking.lot)).content.decode()
    assert "sharing.css" in page and 'class="public orders-resident elder"' in page
    assert page.count("button main") == 0  # the search was done; the spaces' buttons remain
    assert page.count('class="button primary" name="space"') == 1


def test_others_do_not_get_the_list(parking: Scene, elsewhere: User) -> None:
    for client in (as_user(elsewhere), as_user(None)):
        assert client.get(reverse("resident_parking:book"), search(parking.lot)).status_code == 302


def test_plates_and_space_numbers_stay_on_one_line_in_elder_mode(parking: Scene) -> None:
    from linli.sharing.tests.conftest import book

    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(parking.wang_user)
    client.cookies[ELDER_COOKIE] = "1"
    pages = {
        "home": reverse("resident_parking:home"),
        "booking": reverse("resident_parking:booking", args=[booking.pk]),
        "cancel": reverse("resident_parking:booking_cancel", args=[booking.pk]),
    }
    for name, url in sorted(pages.items()):
        page = client.get(url).content.decode()
        assert "linli/sharing.css" in page, name
        assert '<span class="space-no">' in page, name
        assert 'class="plate">宁A12345<' in page, name
    from django.contrib.staticfiles import finders

    path = finders.find("linli/sharing.css")
    assert path is not None
    with open(path, encoding="utf-8") as css:
        assert ".plate, .space-no { white-space: nowrap; }" in css.read()
