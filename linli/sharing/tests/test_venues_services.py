"""Venue booking services: rules, who may book, windows, length, capacity, approval,
illegal transitions, no overlap with bookings or activity sessions, and activities
refused over a booking."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from linli.activities.errors import ActivityError
from linli.activities.models import Activity, ActivityKind
from linli.activities.services import activity_create
from linli.notify.models import Notification
from linli.places.models import Area
from linli.sharing.errors import Clash, IllegalTransition, NotAllowed, SharingError
from linli.sharing.models import VenueBooking, VenueBookingEvent, VenueBookingStatus
from linli.sharing.tests.fixtures_venues import VenueScene, local_at, request_room, venues
from linli.sharing.venues import (
    venue_booking_approve,
    venue_booking_cancel,
    venue_booking_reject,
    venue_booking_request,
    venue_rule_remove,
    venue_rule_set,
)

__all__ = ["venues"]

pytestmark = pytest.mark.django_db


def _activity(
    scene: VenueScene, areas: dict[str, Area], start: tuple[int, ...], end: tuple[int, ...]
) -> Activity:
    return activity_create(
        actor=scene.admin,
        area=areas["community"],
        venue=scene.room,
        title="太极拳课",
        kind=ActivityKind.CULTURE,
        capacity=20,
        sessions=[(local_at(*start), local_at(*end), "")],
        publish=True,
    )


# --- rules -------------------------------------------------------------------------------------


def test_a_venue_without_a_rule_cannot_be_booked(venues: VenueScene) -> None:
    venue_rule_remove(actor=venues.admin, venue=venues.room)
    with pytest.raises(SharingError, match="不接受预约") as err:
        request_room(venues, local_at(2, 9), local_at(2, 11))
    assert err.value.field == "venue"
    assert not VenueBooking.objects.exists()


def test_only_staff_over_the_area_set_rules(
    venues: VenueScene, elsewhere: User, assigned: User
) -> None:
    for outsider in (elsewhere, assigned, venues.wang_user, venues.contact):
        with pytest.raises(NotAllowed):
            venue_rule_set(actor=outsider, venue=venues.room, max_hours=8)
    venues.room.booking_rule.refresh_from_db()
    assert venues.room.booking_rule.max_hours == 4


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("advance_days", 0, "最多提前天数"),
        ("advance_days", 400, "最多提前天数"),
        ("bookers", "everyone", "可预约对象"),
        ("max_hours", 0, "单次最长"),
        ("max_hours", 25, "单次最长"),
    ],
)
def test_a_rule_out_of_range_is_refused(
    venues: VenueScene, field: str, value: object, words: str
) -> None:
    with pytest.raises(SharingError, match=words) as err:
        venue_rule_set(actor=venues.admin, venue=venues.room, **{field: value})  # type: ignore[arg-type]
    assert err.value.field == field


# --- windows, length, capacity -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ((-1, 10), (-1, 11), "开始时间已过"),
        ((2, 10), (2, 10, 20), "至少预约 30 分钟"),
        ((2, 10), (2, 15), "最多预约 4 小时"),
        ((2, 10), (2, 9), "结束时间必须晚于开始时间"),
        ((2, 23), (3, 1), "不能跨天"),
        ((2, 20), (2, 22), "不在场地“党群服务中心活动室”的开放时段内"),
        ((2, 7), (2, 9), "开放时段"),
        ((40, 10), (40, 11), "最多提前 30 天"),
    ],
)
def test_a_booking_outside_the_rule_or_the_window_is_refused(
    venues: VenueScene, start: tuple[int, ...], end: tuple[int, ...], words: str
) -> None:
    with pytest.raises(SharingError, match=words) as err:
        request_room(venues, local_at(*start), local_at(*end))
    assert err.value.field == "time"
    assert not VenueBooking.objects.exists()
    assert not VenueBookingEvent.objects.exists()


def test_the_canteen_hall_is_open_only_outside_meal_times(venues: VenueScene) -> None:
    with pytest.raises(SharingError, match="开放时段"):
        request_room(venues, local_at(2, 11), local_at(2, 13), venue=venues.hall)
    booking = request_room(venues, local_at(2, 14), local_at(2, 16, 30), venue=venues.hall)
    assert booking.status == VenueBookingStatus.APPROVED


@pytest.mark.parametrize("attendees", [0, 31])
def test_attendees_must_fit_the_venue(venues: VenueScene, attendees: int) -> None:
    with pytest.raises(SharingError, match="最多容纳 30 人") as err:
        request_room(venues, local_at(2, 9), local_at(2, 11), attendees=attendees)
    assert err.value.field == "attendees"
    assert not VenueBooking.objects.exists()


def test_a_purpose_is_required(venues: VenueScene) -> None:
    with pytest.raises(SharingError, match="请填写用途") as err:
        request_room(venues, local_at(2, 9), local_at(2, 11), purpose="  ")
    assert err.value.field == "purpose"


# --- who may book ------------------------------------------------------------------------------


def test_a_resident_of_another_community_may_not_book(venues: VenueScene) -> None:
    with pytest.raises(NotAllowed, match="只供"):
        venue_booking_request(
            actor=venues.far_user,
            venue=venues.room,
            purpose="聚会",
            attendees=5,
            starts_at=local_at(2, 9),
            ends_at=local_at(2, 10),
            resident=venues.far,
        )
    assert not VenueBooking.objects.exists()


def test_a_resident_may_not_book_for_a_stranger(venues: VenueScene) -> None:
    with pytest.raises(NotAllowed, match="不能为这位居民预约"):
        venue_booking_request(
            actor=venues.far_user,
            venue=venues.room,
            purpose="聚会",
            attendees=5,
            starts_at=local_at(2, 9),
            ends_at=local_at(2, 10),
            resident=venues.wang,
        )


def test_the_enterprise_space_takes_only_enterprises(venues: VenueScene) -> None:
    saturday = next(d for d in range(2, 9) if local_at(d, 9).weekday() == 5)
    with pytest.raises(NotAllowed, match="只接受辖区单位预约"):
        request_room(venues, local_at(saturday, 9), local_at(saturday, 11), venue=venues.space)
    booking = venue_booking_request(
        actor=venues.contact,
        venue=venues.space,
        purpose="安全生产培训",
        attendees=18,
        starts_at=local_at(saturday, 9),
        ends_at=local_at(saturday, 11),
        organization=venues.org,
    )
    assert booking.status == VenueBookingStatus.APPROVED
    assert booking.organization == venues.org


def test_the_enterprise_space_is_closed_in_production_hours(venues: VenueScene) -> None:
    monday = next(d for d in range(2, 9) if local_at(d, 9).weekday() == 0)
    with pytest.raises(SharingError, match="开放时段"):
        venue_booking_request(
            actor=venues.contact,
            venue=venues.space,
            purpose="培训",
            attendees=10,
            starts_at=local_at(monday, 10),
            ends_at=local_at(monday, 12),
            organization=venues.org,
        )


def test_a_contact_books_only_for_their_own_organisation(venues: VenueScene) -> None:
    with pytest.raises(NotAllowed, match="不是这个单位的联络员"):
        venue_booking_request(
            actor=venues.wang_user,
            venue=venues.room,
            purpose="培训",
            attendees=10,
            starts_at=local_at(2, 9),
            ends_at=local_at(2, 11),
            organization=venues.org,
        )


def test_staff_book_for_the_community_and_others_may_not(
    venues: VenueScene, elsewhere: User
) -> None:
    booking = venue_booking_request(
        actor=venues.admin,
        venue=venues.room,
        purpose="居民议事会",
        attendees=25,
        starts_at=local_at(2, 9),
        ends_at=local_at(2, 11),
    )
    assert (booking.resident, booking.organization) == (None, None)
    with pytest.raises(NotAllowed):
        venue_booking_request(
            actor=elsewhere,
            venue=venues.room,
            purpose="会议",
            attendees=5,
            starts_at=local_at(3, 9),
            ends_at=local_at(3, 11),
        )


def test_one_booker_at_a_time(venues: VenueScene) -> None:
    with pytest.raises(SharingError, match="一位居民或一个单位") as err:
        venue_booking_request(
            actor=venues.admin,
            venue=venues.room,
            purpose="会议",
            attendees=5,
            starts_at=local_at(2, 9),
            ends_at=local_at(2, 11),
            resident=venues.wang,
            organization=venues.org,
        )
    assert err.value.field == "booker"


# --- approval ----------------------------------------------------------------------------------


def test_a_request_waits_for_approval_and_staff_are_told(
    venues: VenueScene, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    assert booking.status == VenueBookingStatus.REQUESTED
    told = Notification.objects.get(user=venues.admin)
    assert "待审批" in told.title and "书法兴趣小组" in told.body
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        venue_booking_approve(actor=venues.admin, booking=booking)
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.APPROVED
    assert booking.decided_by == venues.admin
    assert Notification.objects.filter(user=venues.wang_user, title__contains="已通过").exists()
    assert [e.to_status for e in booking.events.all()] == ["requested", "approved"]


def test_a_rejection_needs_a_reason_frees_the_time_and_tells_the_booker(
    venues: VenueScene, django_capture_on_commit_callbacks: object
) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    with pytest.raises(SharingError, match="原因") as err:
        venue_booking_reject(actor=venues.admin, booking=booking, reason=" ")
    assert err.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        venue_booking_reject(actor=venues.admin, booking=booking, reason="当天有消防检查")
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.REJECTED
    told = Notification.objects.get(user=venues.wang_user)
    assert "未通过" in told.title and "消防检查" in told.body
    again = request_room(venues, local_at(2, 9), local_at(2, 11))
    assert again.status == VenueBookingStatus.REQUESTED


def test_only_staff_over_the_area_approve(venues: VenueScene, elsewhere: User) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    for outsider in (elsewhere, venues.wang_user, venues.contact):
        with pytest.raises(NotAllowed):
            venue_booking_approve(actor=outsider, booking=booking)
    booking.refresh_from_db()
    assert booking.status == VenueBookingStatus.REQUESTED


def test_illegal_transitions_are_409(venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    venue_booking_approve(actor=venues.admin, booking=booking)
    with pytest.raises(IllegalTransition) as err:
        venue_booking_approve(actor=venues.admin, booking=booking)
    assert err.value.http_status == 409
    with pytest.raises(IllegalTransition):
        venue_booking_reject(actor=venues.admin, booking=booking, reason="迟了")
    venue_booking_cancel(actor=venues.wang_user, booking=booking)
    with pytest.raises(IllegalTransition, match="已取消"):
        venue_booking_cancel(actor=venues.wang_user, booking=booking)
    assert booking.events.count() == 3


def test_a_booking_cannot_be_cancelled_once_started(venues: VenueScene) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    with pytest.raises(IllegalTransition, match="已开始"):
        venue_booking_cancel(actor=venues.wang_user, booking=booking, now=local_at(2, 9, 30))


def test_only_the_booker_or_staff_cancel(
    venues: VenueScene, django_capture_on_commit_callbacks: object
) -> None:
    booking = request_room(venues, local_at(2, 9), local_at(2, 11))
    with pytest.raises(NotAllowed):
        venue_booking_cancel(actor=venues.far_user, booking=booking)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        venue_booking_cancel(actor=venues.admin, booking=booking, reason="场地维修")
    assert Notification.objects.filter(user=venues.wang_user, title__contains="已取消").exists()


# --- no overlap --------------------------------------------------------------------------------


def test_overlap_with_a_live_booking_is_refused_back_to_back_is_fine(venues: VenueScene) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11))
    with pytest.raises(Clash, match="已被预约") as err:
        request_room(venues, local_at(2, 9), local_at(2, 11))  # the same instant
    assert err.value.http_status == 409
    with pytest.raises(Clash):
        request_room(venues, local_at(2, 10), local_at(2, 12))
    assert request_room(venues, local_at(2, 11), local_at(2, 12)).pk
    assert VenueBooking.objects.count() == 2
    assert VenueBookingEvent.objects.count() == 2


def test_overlap_with_an_activity_session_is_refused(
    venues: VenueScene, areas: dict[str, Area]
) -> None:
    _activity(venues, areas, (3, 9), (3, 11))
    with pytest.raises(Clash, match="有活动“太极拳课”"):
        request_room(venues, local_at(3, 10), local_at(3, 12))
    assert not VenueBooking.objects.exists()


def test_an_activity_is_not_scheduled_over_a_live_booking(
    venues: VenueScene, areas: dict[str, Area]
) -> None:
    request_room(venues, local_at(3, 9), local_at(3, 11), purpose="合唱排练")
    with pytest.raises(ActivityError, match="已被预约用于“合唱排练”") as err:
        _activity(venues, areas, (3, 10), (3, 12))
    assert err.value.field == "sessions"
    assert not Activity.objects.exists()
    assert _activity(venues, areas, (3, 11), (3, 12)).pk  # right after it is fine
