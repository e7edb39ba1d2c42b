"""Staff pages /venues/manage/: three actors, the approval queue (approve, reject with a
reason, 409 on a decided booking), bookings by day, rules, booking on behalf, bad input."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.people.models import Role
from linli.places.models import Area
from linli.sharing.models import VenueBooking, VenueBookingRule, VenueBookingStatus
from linli.sharing.tests.fixtures_venues import VenueScene, local_at, request_room, venues
from linli.testing.factories import staff_user

__all__ = ["venues"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_elsewhere(other_areas: dict[str, Area]) -> User:
    return staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)


def test_anonymous_visitors_go_to_the_log_in_page(client: Client, venues: VenueScene) -> None:
    response = client.get(reverse("venues_manage:home"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_roles_without_venue_duties_get_403(
    client: Client, venues: VenueScene, assigned: User, elsewhere: User
) -> None:
    for user in (assigned, elsewhere, venues.wang_user, venues.contact):
        client.force_login(user)
        assert client.get(reverse("venues_manage:home")).status_code == 403


def test_the_admin_of_the_area_sees_the_queue_and_the_venues(
    client: Client, venues: VenueScene
) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.admin)
    page = client.get(reverse("venues_manage:home")).content.decode()
    assert "待审批（1）" in page and "书法兴趣小组" in page and "王居民" in page
    assert "党群服务中心活动室" in page and "机械厂培训室" in page


def test_an_admin_elsewhere_sees_nothing_of_ours(
    client: Client, venues: VenueScene, admin_elsewhere: User
) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(admin_elsewhere)
    page = client.get(reverse("venues_manage:home")).content.decode()
    assert "书法兴趣小组" not in page and "党群服务中心活动室" not in page
    assert client.get(reverse("venues_manage:venue", args=[venues.room.pk])).status_code == 404
    response = client.post(reverse("venues_manage:approve", args=[booking.pk]))
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.REQUESTED


def test_approve_then_approving_again_is_409(client: Client, venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.admin)
    url = reverse("venues_manage:approve", args=[booking.pk])
    assert client.post(url).status_code == 302
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.APPROVED
    again = client.post(url)
    assert again.status_code == 409
    assert "预约已通过，不能通过" in again.content.decode()


def test_reject_needs_a_reason(client: Client, venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.admin)
    url = reverse("venues_manage:reject", args=[booking.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "请填写不通过的原因" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.REQUESTED
    assert client.post(url, {"reason": "当天消防检查"}).status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.reason) == (VenueBookingStatus.REJECTED, "当天消防检查")


def test_bookings_by_day_and_venue(client: Client, venues: VenueScene) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11), purpose="合唱排练")
    request_room(venues, local_at(3, 9), local_at(3, 11), purpose="棋牌比赛")
    client.force_login(venues.admin)
    page = client.get(
        reverse("venues_manage:bookings"),
        {"day": f"{local_at(2, 0):%Y-%m-%d}", "venue": venues.room.pk},
    ).content.decode()
    assert "合唱排练" in page and "棋牌比赛" not in page
    bad = client.get(reverse("venues_manage:bookings"), {"day": "不是日期", "venue": "x"})
    assert bad.status_code == 200  # a bad filter falls back to today, all venues


def test_the_venue_day_shows_purposes_to_staff(client: Client, venues: VenueScene) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11), purpose="合唱排练")
    client.force_login(venues.admin)
    page = client.get(
        reverse("venues_manage:venue", args=[venues.room.pk]),
        {"day": f"{local_at(2, 0):%Y-%m-%d}"},
    ).content.decode()
    assert "09:00–11:00" in page and "合唱排练（待审批）" in page


def test_staff_book_on_behalf_of_the_community_or_an_organisation(
    client: Client, venues: VenueScene
) -> None:
    client.force_login(venues.admin)
    url = reverse("venues_manage:venue", args=[venues.room.pk])
    day = f"{local_at(4, 0):%Y-%m-%d}"
    form = {"day": day, "starts": "14:00", "ends": "16:00", "purpose": "居民议事会"}
    assert client.post(url, {**form, "attendees": 25}).status_code == 302
    assert (
        client.post(
            url, {**form, "starts": "16:00", "ends": "18:00", "attendees": 10, "org": venues.org.pk}
        ).status_code
        == 302
    )
    made = list(VenueBooking.objects.order_by("starts_at"))
    assert [(b.organization, b.booked_by) for b in made] == [
        (None, venues.admin),
        (venues.org, venues.admin),
    ]
    clash = client.post(url, {**form, "attendees": 5})
    assert clash.status_code == 409
    assert "已被预约" in clash.content.decode()
    bad = client.post(url, {**form, "attendees": 0, "org": "abc"})
    assert bad.status_code == 400
    assert VenueBooking.objects.count() == 2


def test_rules_make_a_venue_bookable_and_bad_numbers_are_refused(
    client: Client, venues: VenueScene
) -> None:
    client.force_login(venues.admin)
    url = reverse("venues_manage:rule", args=[venues.room.pk])
    bad = client.post(url, {"bookers": "both", "max_hours": 30, "advance_days": 10})
    assert bad.status_code == 400
    assert "最多 24 小时" in bad.content.decode()
    assert VenueBookingRule.objects.get(venue=venues.room).max_hours == 4
    ok = client.post(url, {"bookers": "residents", "max_hours": 2, "advance_days": 7})
    assert ok.status_code == 302
    rule = VenueBookingRule.objects.get(venue=venues.room)
    assert (rule.bookers, rule.needs_approval, rule.max_hours) == ("residents", False, 2)
    assert client.post(url, {"remove": "1"}).status_code == 302
    assert not VenueBookingRule.objects.filter(venue=venues.room).exists()


def test_staff_cancel_a_booking_before_it_starts(client: Client, venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.admin)
    response = client.post(
        reverse("venues_manage:cancel", args=[booking.pk]), {"reason": "场地维修"}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.CANCELLED


def test_get_is_not_allowed_on_decisions(client: Client, venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    client.force_login(venues.admin)
    assert client.get(reverse("venues_manage:approve", args=[booking.pk])).status_code == 405


def test_staff_book_on_behalf_of_a_resident_found_by_phone(
    client: Client, venues: VenueScene
) -> None:
    client.force_login(venues.admin)
    url = reverse("venues_manage:venue", args=[venues.room.pk])
    form = {
        "day": f"{local_at(4, 0):%Y-%m-%d}",
        "starts": "09:00",
        "ends": "11:00",
        "purpose": "老年合唱队",
        "attendees": 20,
    }
    unknown = client.post(url, {**form, "phone": "13800000000"})
    assert unknown.status_code == 400
    assert "本社区没有找到手机号 138****0000 的居民" in unknown.content.decode()
    malformed = client.post(url, {**form, "phone": "12345"})
    assert malformed.status_code == 400
    assert "手机号不对" in malformed.content.decode()
    assert not VenueBooking.objects.exists()
    assert client.post(url, {**form, "phone": venues.wang.phone}).status_code == 302
    booking = VenueBooking.objects.get()
    assert (booking.resident, booking.booked_by) == (venues.wang, venues.admin)
