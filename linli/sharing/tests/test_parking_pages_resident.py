"""Resident parking pages at /me/parking/: my things, add a vehicle, my space's windows,
search and book, the booking page, cancel; anonymous, staff and other residents kept out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.cases.views_public import ELDER_COOKIE
from linli.sharing.errors import NotAllowed
from linli.sharing.models import Booking, BookingStatus, SpaceKind, Vehicle
from linli.sharing.services import space_create
from linli.sharing.tests.conftest import Scene, book, local_at

pytestmark = pytest.mark.django_db


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def search(day: int = 1, start: str = "09:00", end: str = "11:00") -> dict[str, str]:
    return {"day": local_at(day, 0).date().isoformat(), "start": start, "end": end}


def confirm(scene: Scene, space_index: int = 0, **kw: str) -> dict[str, object]:
    return {
        "lot": scene.lot.pk,
        **search(**kw),
        "space": scene.spaces[space_index].pk,
        "vehicle": scene.wang_car.pk,
    }


def test_home_shows_my_things_with_one_main_action(parking: Scene) -> None:
    book(parking, "wang", local_at(1, 9), local_at(1, 11))
    page = as_user(parking.wang_user).get(reverse("resident_parking:home")).content.decode()
    assert page.count("button main primary") == 1
    assert "预约车位" in page
    assert "● 已预约" in page
    assert "宁A12345" in page
    owner = as_user(parking.owner_user).get(reverse("resident_parking:home")).content.decode()
    assert "A-001：每天 08:00–18:00" in owner
    assert "A-002：未开放共享" in owner


def test_anonymous_goes_to_log_in_and_staff_away(parking: Scene, community_admin: User) -> None:
    url = reverse("resident_parking:home")
    anonymous = as_user(None).get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    staff = as_user(community_admin).get(url)
    assert staff.status_code == 302 and "login" not in staff["Location"]


def test_someone_elses_booking_and_space_are_404(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    li = as_user(parking.li_user)
    assert li.get(reverse("resident_parking:booking", args=[booking.pk])).status_code == 404
    assert li.post(reverse("resident_parking:booking_cancel", args=[booking.pk])).status_code == 404
    windows = reverse("resident_parking:space_windows", args=[parking.spaces[0].pk])
    assert li.get(windows).status_code == 404
    assert (
        li.post(windows, {"weekdays": ["0"], "start": "08:00", "end": "09:00"}).status_code == 404
    )
    assert parking.spaces[0].windows.count() == 7
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_add_a_vehicle(parking: Scene) -> None:
    client = as_user(parking.li_user)
    response = client.post(reverse("resident_parking:vehicle_new"), {"plate": "宁b 54321"})
    assert response.status_code == 302
    assert Vehicle.objects.filter(plate="宁B54321", owner=parking.li).exists()


@pytest.mark.parametrize(
    ("plate", "words"),
    [("", "请填写车牌号"), ("宁A12345", "已登记过"), ("京A1234", "车牌")],
)
def test_a_bad_plate_is_explained_by_the_field(parking: Scene, plate: str, words: str) -> None:
    before = Vehicle.objects.count()
    response = as_user(parking.li_user).post(
        reverse("resident_parking:vehicle_new"), {"plate": plate}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="plate-error"' in page
    assert words in page
    assert Vehicle.objects.count() == before


def test_owner_publishes_weekday_windows(parking: Scene) -> None:
    url = reverse("resident_parking:space_windows", args=[parking.spaces[1].pk])
    client = as_user(parking.owner_user)
    form = {"weekdays": ["0", "1", "2", "3", "4"], "start": "08:00", "end": "18:00"}
    assert client.post(url, form).status_code == 302
    assert "周一至周五 08:00–18:00" in client.get(url).content.decode()
    assert client.post(url, {"stop": "on"}).status_code == 302
    assert parking.spaces[1].windows.count() == 0


def test_window_ending_before_it_starts_is_refused(parking: Scene) -> None:
    url = reverse("resident_parking:space_windows", args=[parking.spaces[1].pk])
    response = as_user(parking.owner_user).post(
        url, {"weekdays": ["0"], "start": "18:00", "end": "08:00"}
    )
    assert response.status_code == 400
    assert "结束时间必须晚于开始时间" in response.content.decode()
    assert parking.spaces[1].windows.count() == 0


def test_search_lists_free_spaces_with_price_then_book(parking: Scene) -> None:
    client = as_user(parking.wang_user)
    page = client.get(reverse("resident_parking:book"), search()).content.decode()
    assert "车位 A-001" in page
    assert "10.00 元" in page  # 2 hours at 5 yuan
    response = client.post(reverse("resident_parking:book_confirm"), confirm(parking))
    booking = Booking.objects.get()
    assert response["Location"] == reverse("resident_parking:booking", args=[booking.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "● 已预约" in detail and "宁A12345" in detail and "10.00 元" in detail
    assert "可提前 15 分钟入场" in detail
    assert detail.count("button main") == 1  # cancel, the one action


def test_booking_outside_the_window_finds_nothing_and_shows_free_spans(parking: Scene) -> None:
    client = as_user(parking.wang_user)
    page = client.get(reverse("resident_parking:book"), search(start="17:00", end="19:00"))
    text = page.content.decode()
    assert "这段时间没有空闲车位" in text
    assert "车位 A-001：08:00–18:00" in text
    forced = client.post(
        reverse("resident_parking:book_confirm"), confirm(parking, start="17:00", end="19:00")
    )
    assert forced.status_code == 302
    assert "不在车位 A-001 的开放时段内" in client.get(forced["Location"]).content.decode()
    assert not Booking.objects.exists()


def test_double_booking_goes_back_to_the_search_with_the_reason(parking: Scene) -> None:
    book(parking, "li", local_at(1, 10), local_at(1, 12))
    client = as_user(parking.wang_user)
    response = client.post(reverse("resident_parking:book_confirm"), confirm(parking))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("resident_parking:book"))
    page = client.get(response["Location"]).content.decode()
    assert "已被预约" in page
    assert "车位 A-001：08:00–10:00、12:00–18:00" in page
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"start": "11:00", "end": "09:00"}, "结束时间必须晚于开始时间"),
        ({"start": "9点", "end": "11:00"}, "开始时间格式应为 08:00"),
        ({"day": "明天"}, "日期格式应为"),
        ({"lot": "999999"}, "请选择列出的停车场"),
    ],
)
def test_bad_search_is_explained(parking: Scene, query: dict[str, str], words: str) -> None:
    params = {**search(), **query}
    response = as_user(parking.wang_user).get(reverse("resident_parking:book"), params)
    assert response.status_code == 400
    assert words in response.content.decode()


def test_search_in_the_past_is_explained(parking: Scene) -> None:
    response = as_user(parking.wang_user).get(reverse("resident_parking:book"), search(day=-1))
    assert "开始时间已过" in response.content.decode()


def test_confirm_with_someone_elses_vehicle_writes_nothing(parking: Scene) -> None:
    form = {**confirm(parking), "vehicle": parking.li_car.pk}
    client = as_user(parking.wang_user)
    response = client.post(reverse("resident_parking:book_confirm"), form)
    assert response.status_code == 302
    assert "请从列出的车位和车辆中选择" in client.get(response["Location"]).content.decode()
    assert not Booking.objects.exists()
    tampered = client.post(reverse("resident_parking:book_confirm"), {"lot": parking.lot.pk})
    assert tampered.status_code == 400
    assert not Booking.objects.exists()


def test_resident_cancels(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(parking.wang_user)
    url = reverse("resident_parking:booking_cancel", args=[booking.pk])
    assert client.post(url).status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    again = client.post(url)
    assert again.status_code == 409
    assert "不能改为已取消" in again.content.decode()


def test_elder_mode_pages_render(parking: Scene) -> None:
    client = as_user(parking.wang_user)
    client.cookies[ELDER_COOKIE] = "1"
    for url in [reverse("resident_parking:home"), reverse("resident_parking:book")]:
        response = client.get(url)
        assert response.status_code == 200
        assert 'class="public orders-resident elder"' in response.content.decode()


def test_only_staff_over_the_community_add_spaces(parking: Scene, elsewhere: User) -> None:
    with pytest.raises(NotAllowed):
        space_create(actor=elsewhere, lot=parking.lot, number="Z-1", kind=SpaceKind.PLAIN)
    with pytest.raises(NotAllowed):
        space_create(actor=parking.wang_user, lot=parking.lot, number="Z-1", kind=SpaceKind.PLAIN)
    assert not parking.lot.spaces.filter(number="Z-1").exists()
