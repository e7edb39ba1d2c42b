"""The organiser's walk in a real browser: the community admin previews and publishes a
training at the activity room, the plant's enterprise contact pastes a list of employees
(one bad line shown, the rest registered), and at the door a phone opens a participant's
QR link and presses 签到. Every page passes axe-core (no serious or critical violations);
the phone pages fit a 375 px screen. Screenshots: ``var/screenshots/actmanage_*.png``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from linli.activities.models import Activity, Attendance, RegistrationStatus, Venue
from linli.activities.services import registration_create
from linli.activities.tests.conftest import guest, local_day
from linli.orders.tests.test_walk_browser import FITS, phone_context
from linli.testing.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"actmanage_{name}.png"), full_page=True)


def clean(page: Any, axe_check: Any, name: str) -> None:
    assert axe_check(page) == [], page.url
    shot(page, name)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = phone_context(browser)
    yield context.new_page()
    context.close()


def test_preview_publish_and_bulk_registration(
    live_server: Any, page: Any, axe_check: Any, community_admin: Any, hall: Venue, plant: Any
) -> None:
    log_in(page, live_server.url, community_admin)
    page.goto(f"{live_server.url}/activities/manage/new/")
    page.get_by_label("活动名称").fill("消防安全培训")
    page.get_by_label("场地", exact=True).select_option(str(hall.pk))
    page.get_by_label("名额", exact=True).fill("3")
    page.get_by_label("日期", exact=True).fill(local_day(7).isoformat())
    page.get_by_label("开始时间").fill("10:00")
    page.get_by_label("结束时间").fill("12:00")
    page.get_by_role("button", name="预览场次").click()
    page.wait_for_selector("#preview")
    clean(page, axe_check, "new_preview")
    page.get_by_role("button", name="保存并发布报名").click()
    page.wait_for_selector("#status")
    activity = Activity.objects.get()
    assert page.locator("#status").inner_text() == "报名中"
    page.goto(f"{live_server.url}/activities/manage/{activity.pk}/bulk/")
    page.get_by_label("名单", exact=False).first.fill(
        "王强 13700007001\n李梅 1370000\n赵敏 13700007002\n孙丽 13700007003\n周杰 13700007004"
    )
    page.get_by_label("工作单位").select_option(str(plant.pk))
    page.get_by_role("button", name="预览").click()
    page.wait_for_selector("#preview")
    assert "手机号“1370000”不正确" in page.content()
    clean(page, axe_check, "bulk_preview")
    page.get_by_role("button", name="确认报名 4 人").click()
    page.wait_for_selector("#done")
    clean(page, axe_check, "bulk_done")
    waitlisted = activity.registrations.filter(status=RegistrationStatus.WAITLISTED)
    assert (activity.registrations.count(), waitlisted.count()) == (4, 1)
    for suffix, name in (("", "detail"), ("attendance/", "attendance"), ("door/", "door")):
        page.goto(f"{live_server.url}/activities/manage/{activity.pk}/{suffix}")
        clean(page, axe_check, name)
    page.goto(f"{live_server.url}/activities/manage/")
    clean(page, axe_check, "list")


def test_checkin_at_the_door_on_a_phone(
    live_server: Any, phone: Any, axe_check: Any, community_admin: Any, community: Any
) -> None:
    square = Venue.objects.create(area=community, name="社区广场", capacity=100)
    start = timezone.now() + dt.timedelta(minutes=20)
    from linli.activities.services import activity_create

    activity = activity_create(
        actor=None,
        area=community,
        venue=square,
        title="广场舞培训",
        kind="culture",
        capacity=10,
        sessions=[(start, start + dt.timedelta(hours=1), "")],
        publish=True,
    )
    registration = registration_create(activity=activity, participant=guest("张建华")).registration
    log_in(phone, live_server.url, community_admin)
    phone.goto(f"{live_server.url}/activities/manage/checkin/{registration.token}/")
    assert "张*华" in phone.content() and phone.evaluate(FITS)
    clean(phone, axe_check, "checkin")
    phone.get_by_role("button", name="签到").click()
    phone.wait_for_selector("#result")
    assert "签到成功" in phone.locator("#result").inner_text()
    clean(phone, axe_check, "checkin_done")
    assert Attendance.objects.filter(registration=registration).count() == 1
