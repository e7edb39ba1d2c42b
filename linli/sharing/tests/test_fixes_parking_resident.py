"""Fixes of the resident parking pages (and the staff event log): live bookings first,
residents' names masked in the staff log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.sharing.models import Booking, BookingStatus, Vehicle
from linli.sharing.services import booking_cancel
from linli.sharing.tests.conftest import Scene, book, local_at

pytestmark = pytest.mark.django_db


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_home_lists_live_bookings_first_soonest_first(parking: Scene) -> None:
    first = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    second = book(parking, "wang", local_at(2, 9), local_at(2, 11))
    cancelled = book(parking, "wang", local_at(3, 9), local_at(3, 11))
    old_cancelled = book(parking, "wang", local_at(1, 12), local_at(1, 13))
    booking_cancel(actor=parking.wang_user, booking=cancelled)
    booking_cancel(actor=parking.wang_user, booking=old_cancelled)
    page = as_user(parking.wang_user).get(reverse("resident_parking:home")).content.decode()
    order = [
        page.index(reverse("resident_parking:booking", args=[b.pk]))
        for b in (first, second, cancelled, old_cancelled)
    ]
    assert order == sorted(order)


def test_home_shows_nothing_of_a_neighbours_bookings(parking: Scene) -> None:
    theirs = book(parking, "li", local_at(1, 9), local_at(1, 11))
    page = as_user(parking.wang_user).get(reverse("resident_parking:home")).content.decode()
    assert reverse("resident_parking:booking", args=[theirs.pk]) not in page
    assert 'id="no-bookings"' in page


def test_the_staff_event_log_masks_a_residents_name(parking: Scene, community_admin: User) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    booking_cancel(actor=community_admin, booking=booking, reason="车位维修")
    page = as_user(community_admin).get(reverse("parking:booking", args=[booking.pk]))
    text = page.content.decode()
    assert "（居民 王*居）" in text
    assert parking.wang_user.get_username() not in text  # the internal r-… name
    assert "王邻居" not in text
    staff_words = community_admin.get_full_name() or community_admin.get_username()
    assert f"（{staff_words}）" in text


def test_others_do_not_see_the_event_log(parking: Scene, elsewhere: User) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    url = reverse("parking:booking", args=[booking.pk])
    assert as_user(elsewhere).get(url).status_code == 404
    assert as_user(None).get(url).status_code == 302


def test_cancelling_asks_first_on_its_own_page(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(parking.wang_user)
    detail = client.get(reverse("resident_parking:booking", args=[booking.pk])).content.decode()
    url = reverse("resident_parking:booking_cancel", args=[booking.pk])
    assert f'href="{url}"' in detail and 'method="post"' not in detail
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert '确定取消 东区停车场 <span class="space-no">车位 A-001</span>' in text
    assert "的预约吗？" in text
    assert 'id="confirm-cancel">确定取消</button>' in text
    assert "不取消，返回" in text
    assert text.count("button main primary big") == 1  # one main action
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED  # GET writes nothing
    assert client.post(url, {"reason": "不去了"}).status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    done = client.get(url).content.decode()
    assert 'id="confirm-cancel"' not in done  # nothing left to confirm


def test_a_bad_cancel_reason_is_explained_and_nothing_changes(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    url = reverse("resident_parking:booking_cancel", args=[booking.pk])
    response = as_user(parking.wang_user).post(url, {"reason": "太长" * 200})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_others_cannot_see_the_cancel_page(parking: Scene, elsewhere: User) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    url = reverse("resident_parking:booking_cancel", args=[booking.pk])
    assert as_user(parking.li_user).get(url).status_code == 404
    assert as_user(elsewhere).get(url).status_code == 302  # staff: their own pages
    assert as_user(None).get(url).status_code == 302
    assert as_user(parking.li_user).post(url).status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_a_car_never_booked_is_removed_after_asking(parking: Scene) -> None:
    client = as_user(parking.wang_user)
    url = reverse("resident_parking:vehicle_remove", args=[parking.wang_car.pk])
    home = client.get(reverse("resident_parking:home")).content.decode()
    assert f'href="{url}">删除车辆</a>' in home
    ask = client.get(url)
    assert ask.status_code == 200
    assert "确定删除车辆" in ask.content.decode() and "不删除，返回" in ask.content.decode()
    assert Vehicle.objects.filter(pk=parking.wang_car.pk).exists()  # GET writes nothing
    assert client.post(url).status_code == 302
    assert not Vehicle.objects.filter(pk=parking.wang_car.pk).exists()
    assert client.get(url).status_code == 404


def test_a_car_with_bookings_says_why_it_stays(parking: Scene) -> None:
    book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(parking.wang_user)
    url = reverse("resident_parking:vehicle_remove", args=[parking.wang_car.pk])
    home = client.get(reverse("resident_parking:home")).content.decode()
    assert url not in home and "有预约记录，不能删除" in home
    response = client.post(url)
    assert response.status_code == 409
    assert "有预约记录，不能删除" in response.content.decode()
    assert 'id="confirm-remove"' not in response.content.decode()
    assert Vehicle.objects.filter(pk=parking.wang_car.pk).exists()


def test_others_cannot_remove_a_car(parking: Scene, elsewhere: User) -> None:
    url = reverse("resident_parking:vehicle_remove", args=[parking.wang_car.pk])
    assert as_user(parking.li_user).get(url).status_code == 404
    assert as_user(parking.li_user).post(url).status_code == 404
    assert as_user(elsewhere).post(url).status_code == 302
    assert as_user(None).post(url).status_code == 302
    bad = as_user(parking.wang_user).post(reverse("resident_parking:vehicle_remove", args=[999999]))
    assert bad.status_code == 404
    assert Vehicle.objects.filter(pk=parking.wang_car.pk).exists()
