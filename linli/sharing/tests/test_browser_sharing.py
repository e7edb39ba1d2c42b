"""Parking and venue pages in a real browser on a 375 px phone (issue 7): axe-core clean
(no serious or critical violations) in normal and elder mode, and in elder mode the MIIT
2021 sizes (body ≥ 18 px, main action ≥ 30 px, targets ≥ 60×60 px), no sideways
scrolling.

The walks: a resident registers her car (a malformed plate first, explained by the
field), searches a free space for tomorrow 09:00–11:00, books it and sees the booking
with its price and plate; an owner shares a space on weekdays; a resident requests the
activity room. Screenshots: ``var/screenshots/activities_sharing_*.png``.

Elder mode is switched by its cookie (:func:`linli.testing.browser.set_elder`): the mode
link of these pages does not come back to the page yet (the views pass no ``here``).

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_x .venv/bin/pytest -m browser
linli/sharing/tests/test_browser_sharing.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from linli.activities.tests.test_browser_activities import check, phone
from linli.places.models import Area
from linli.sharing.models import Booking, BookingStatus, SpaceWindow, Vehicle, VenueBooking
from linli.sharing.tests.conftest import Scene, resident_with_account
from linli.sharing.tests.fixtures_venues import VenueScene, venues
from linli.testing.browser import resident_session, set_elder

__all__ = ["phone", "venues"]  # fixtures, imported for use here

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def modes(page: Any, axe_check: Any, base: str, name: str, targets: list[str]) -> None:
    """Check the page in normal mode, then elder mode (by cookie), and back to normal."""
    check(page, axe_check, f"sharing_{name}", elder=False, targets=targets)
    set_elder(page, base, True)
    check(page, axe_check, f"sharing_{name}", elder=True, targets=targets)
    set_elder(page, base, False)


def failures_of(page: Any) -> list[str]:
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None
    )
    return failures


def test_resident_registers_her_car_and_books_a_shared_space(
    live_server: Any, phone: Any, axe_check: Any, parking: Scene, areas: dict[str, Area]
) -> None:
    base = live_server.url
    failures = failures_of(phone)
    zhao, user = resident_with_account(areas["micro_grid"], "赵新")
    resident_session(phone, base, user)

    phone.goto(f"{base}/me/parking/")
    assert phone.locator("#no-vehicles").count() == 1
    modes(phone, axe_check, base, "parking_home", [".main", ".text-link"])

    # A malformed plate is explained by the field; nothing is written.
    with phone.expect_navigation():
        phone.get_by_role("link", name="登记车辆").tap()
    modes(phone, axe_check, base, "vehicle_new", [".main", ".text-link"])
    phone.get_by_label("车牌号").fill("宁A1")
    with phone.expect_navigation():
        phone.get_by_role("button", name="登记").tap()
    assert phone.locator("#f-plate .error").count() == 1
    assert not Vehicle.objects.filter(owner=zhao).exists()
    modes(phone, axe_check, base, "vehicle_error", [".main", ".text-link"])
    phone.get_by_label("车牌号").fill("宁B88888")
    with phone.expect_navigation():
        phone.get_by_role("button", name="登记").tap()
    assert "宁B88888" in phone.locator("#vehicles").inner_text()

    # Search tomorrow 09:00–11:00: space A-001 is free (shared 08:00–18:00 every day).
    with phone.expect_navigation():
        phone.get_by_role("link", name="预约车位").tap()
    modes(phone, axe_check, base, "book", [".main", "#search-form input", ".text-link"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    phone.get_by_label("日期").fill(f"{tomorrow:%Y-%m-%d}")
    phone.get_by_label("开始时间").fill("09:00")
    phone.get_by_label("结束时间").fill("11:00")
    with phone.expect_navigation():
        phone.get_by_role("button", name="查找空闲车位").tap()
    assert "车位 A-001" in phone.locator("#free").inner_text()
    assert "宁B88888" in phone.locator("#the-vehicle").inner_text()  # once, above the list
    modes(phone, axe_check, base, "book_found", ["#free button", ".text-link"])
    with phone.expect_navigation():
        phone.get_by_role("button", name="预约这个车位 A-001").tap()

    # The booking: price and plate in words, the grace rule, cancel on the page.
    booking = Booking.objects.get(booker=zhao)
    assert booking.status == BookingStatus.BOOKED and booking.space == parking.spaces[0]
    assert phone.url.endswith(f"/me/parking/bookings/{booking.pk}/"), phone.url
    assert phone.locator("#plate").inner_text() == "宁B88888"
    assert "10" in phone.locator("#price").inner_text()  # 2 hours at 5 yuan
    modes(phone, axe_check, base, "booking", [".main", ".text-link"])
    # Cancelling asks first on its own page.
    with phone.expect_navigation():
        phone.get_by_role("link", name="取消预约").tap()
    modes(phone, axe_check, base, "parking_cancel", [".main", "#cancel-form input", "#keep"])
    assert failures == []


def test_owner_shares_her_space_on_weekdays(
    live_server: Any, phone: Any, axe_check: Any, parking: Scene
) -> None:
    base = live_server.url
    failures = failures_of(phone)
    resident_session(phone, base, parking.owner_user)
    space = parking.spaces[1]  # A-002, not shared yet

    phone.goto(f"{base}/me/parking/")
    assert "A-002" in phone.locator("#spaces").inner_text()
    phone.goto(f"{base}/me/parking/spaces/{space.pk}/windows/")
    modes(
        phone,
        axe_check,
        base,
        "windows",
        [".main", "#id_weekdays label", "#f-stop label", "input[type=time]", ".text-link"],
    )
    for day in ("周一", "周二", "周三", "周四", "周五"):
        phone.get_by_label(day, exact=True).check()
    phone.get_by_label("开始时间").fill("08:00")
    phone.get_by_label("结束时间").fill("18:00")
    with phone.expect_navigation():
        phone.get_by_role("button", name="保存").tap()
    assert phone.url.endswith("/me/parking/"), phone.url
    windows = SpaceWindow.objects.filter(space=space).order_by("weekday")
    assert [(w.weekday, w.start, w.end) for w in windows] == [
        (d, dt.time(8), dt.time(18)) for d in range(5)
    ]
    assert "已保存" in phone.locator("#messages").inner_text()
    assert failures == []


def test_resident_requests_the_activity_room(
    live_server: Any, phone: Any, axe_check: Any, venues: VenueScene
) -> None:
    base = live_server.url
    failures = failures_of(phone)
    resident_session(phone, base, venues.wang_user)

    phone.goto(f"{base}/me/venues/")
    modes(phone, axe_check, base, "venues", [".order-card"])
    with phone.expect_navigation():
        phone.locator(f"#venue-{venues.room.pk}").tap()
    modes(
        phone,
        axe_check,
        base,
        "venue",
        [".main", "#day-form .button", "#booking-form input", ".text-link"],
    )
    day = timezone.localdate() + dt.timedelta(days=2)
    form = phone.locator("#booking-form")
    form.get_by_label("日期").fill(f"{day:%Y-%m-%d}")
    form.get_by_label("从", exact=True).fill("14:00")
    form.get_by_label("到", exact=True).fill("16:00")
    form.get_by_label("用途").fill("书法兴趣小组")
    form.get_by_label("人数").fill("12")
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交预约").tap()
    booking = VenueBooking.objects.get(resident=venues.wang)
    assert phone.url.endswith(f"/me/venues/bookings/{booking.pk}/"), phone.url
    assert "待社区审批" in phone.locator("#status").inner_text()
    modes(phone, axe_check, base, "venue_booking", [".main", "#cancel-link"])
    assert failures == []
