"""Resident pages /me/venues/: who sees what, the free times in words, the request form
with bad input, my bookings with status words, cancelling on its own page; and the
enterprise pages /biz/venues/ that share them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.sharing.models import VenueBooking, VenueBookingStatus
from linli.sharing.tests.fixtures_venues import VenueScene, local_at, request_room, venues

__all__ = ["venues"]

pytestmark = pytest.mark.django_db


def _form(start: tuple[int, ...], end: tuple[int, ...], **kw: object) -> dict[str, object]:
    s, e = local_at(*start), local_at(*end)
    return {
        "day": f"{s:%Y-%m-%d}",
        "starts": f"{s:%H:%M}",
        "ends": f"{e:%H:%M}",
        "purpose": "书法兴趣小组",
        "attendees": 12,
        **kw,
    }


def test_anonymous_visitors_go_to_the_log_in_page(client: Client, venues: VenueScene) -> None:
    for url in (reverse("resident_venues:home"), reverse("biz_venues:home")):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_staff_are_sent_to_the_staff_pages(
    client: Client, venues: VenueScene, assigned: User, elsewhere: User
) -> None:
    for user in (assigned, elsewhere):
        client.force_login(user)
        response = client.get(reverse("resident_venues:home"))
        assert response.status_code == 302
        assert response["Location"] == "/venues/manage/"


def test_a_resident_sees_the_venues_residents_may_book(client: Client, venues: VenueScene) -> None:
    client.force_login(venues.wang_user)
    response = client.get(reverse("resident_venues:home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "党群服务中心活动室" in page and "长者食堂大厅" in page
    assert "机械厂培训室" not in page  # enterprises only


def test_a_resident_of_another_community_sees_none(client: Client, venues: VenueScene) -> None:
    client.force_login(venues.far_user)
    page = client.get(reverse("resident_venues:home")).content.decode()
    assert "党群服务中心活动室" not in page
    assert 'id="no-venues"' in page
    assert client.get(reverse("resident_venues:venue", args=[venues.room.pk])).status_code == 404


def test_the_venue_page_says_the_free_times_in_words(client: Client, venues: VenueScene) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11), purpose="私人聚会")
    client.force_login(venues.wang_user)
    url = reverse("resident_venues:venue", args=[venues.room.pk])
    page = client.get(url, {"day": f"{local_at(2, 0):%Y-%m-%d}"}).content.decode()
    assert "08:00–09:00、11:00–21:00 可预约" in page
    assert "已被预约（待审批）" in page
    assert "私人聚会" not in page  # residents never see others' purposes
    assert page.count("button main primary big") == 1  # one main action


def test_a_resident_requests_and_sees_the_status_in_words(
    client: Client, venues: VenueScene
) -> None:
    client.force_login(venues.wang_user)
    url = reverse("resident_venues:venue", args=[venues.room.pk])
    response = client.post(url, _form((3, 14), (3, 16)))
    booking = VenueBooking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("resident_venues:booking", args=[booking.pk])
    assert (booking.resident, booking.booked_by) == (venues.wang, venues.wang_user)
    page = client.get(response["Location"]).content.decode()
    assert "⏳ 待社区审批" in page
    home = client.get(reverse("resident_venues:home")).content.decode()
    assert "书法兴趣小组" in home and "待社区审批" in home


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        (_form((2, 22), (2, 23)), 400, "开放时段"),
        (_form((2, 9), (2, 11), attendees=31), 400, "最多容纳 30 人"),
        (_form((2, 9), (2, 11), attendees="许多"), 400, "人数请填数字"),
        (_form((2, 9), (2, 11), day="明天"), 400, "日期格式"),
        (_form((2, 9), (2, 11), purpose=""), 400, "请填写用途"),
        (_form((2, 9), (2, 11), starts="9点"), 400, "时间格式"),
    ],
)
def test_bad_input_is_shown_in_chinese_and_nothing_is_written(
    client: Client, venues: VenueScene, form: dict[str, object], status: int, words: str
) -> None:
    client.force_login(venues.wang_user)
    response = client.post(reverse("resident_venues:venue", args=[venues.room.pk]), form)
    assert response.status_code == status
    assert words in response.content.decode()
    assert not VenueBooking.objects.exists()


def test_a_double_booking_is_409_with_a_clear_message(client: Client, venues: VenueScene) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.wang_user)
    response = client.post(
        reverse("resident_venues:venue", args=[venues.room.pk]), _form((2, 9), (2, 11))
    )
    assert response.status_code == 409
    assert "已被预约，请换个时间" in response.content.decode()
    assert VenueBooking.objects.count() == 1


def test_cancelling_asks_on_its_own_page(client: Client, venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.wang_user)
    url = reverse("resident_venues:cancel", args=[booking.pk])
    assert "确认取消" in client.get(url).content.decode()
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.REQUESTED
    response = client.post(url, {"reason": "改期"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.CANCELLED
    again = client.post(url)
    assert again.status_code == 409
    assert "已取消" in again.content.decode()


def test_someone_elses_booking_is_404(client: Client, venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.far_user)
    assert client.get(reverse("resident_venues:booking", args=[booking.pk])).status_code == 404
    assert client.post(reverse("resident_venues:cancel", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.REQUESTED


# --- enterprise pages ------------------------------------------------------------------------


def _saturday() -> int:
    return next(d for d in range(2, 9) if local_at(d, 9).weekday() == 5)


def test_an_enterprise_contact_books_for_their_organisation(
    client: Client, venues: VenueScene
) -> None:
    client.force_login(venues.contact)
    home = client.get(reverse("biz_venues:home")).content.decode()
    assert "机械厂培训室" in home and "党群服务中心活动室" in home
    assert "长者食堂大厅" not in home  # residents only
    day = _saturday()
    response = client.post(
        reverse("biz_venues:venue", args=[venues.space.pk]),
        _form((day, 9), (day, 11), purpose="安全生产培训"),
    )
    booking = VenueBooking.objects.get()
    assert response["Location"] == reverse("biz_venues:booking", args=[booking.pk])
    assert booking.organization == venues.org
    assert booking.status == VenueBookingStatus.APPROVED
    assert "✅ 预约成功" in client.get(response["Location"]).content.decode()


def test_the_biz_pages_refuse_who_is_not_a_contact(
    client: Client, venues: VenueScene, assigned: User, elsewhere: User
) -> None:
    for user in (assigned, elsewhere, venues.wang_user):
        client.force_login(user)
        assert client.get(reverse("biz_venues:home")).status_code == 403


def test_a_contact_outside_production_hours_only(client: Client, venues: VenueScene) -> None:
    monday = next(d for d in range(2, 9) if local_at(d, 9).weekday() == 0)
    client.force_login(venues.contact)
    response = client.post(
        reverse("biz_venues:venue", args=[venues.space.pk]), _form((monday, 10), (monday, 12))
    )
    assert response.status_code == 400
    assert "不在场地“机械厂培训室”的开放时段内" in response.content.decode()
    assert not VenueBooking.objects.exists()
