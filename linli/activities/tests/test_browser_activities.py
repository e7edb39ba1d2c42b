"""Activity pages in a real browser on a 375 px phone: axe-core clean (no serious or
critical violations) in normal and elder mode, and in elder mode the MIIT 2021 sizes
(body ≥ 18 px, main action ≥ 30 px, targets ≥ 60×60 px) with no sideways scrolling.

The walk: a parent opens the public list and an activity, taps 报名, logs in with a
one-time code (from the console SMS outbox) and comes back to the register page,
registers her child, sees the ticket with its QR code, opens the cancel confirmation
and keeps the place. Screenshots: ``var/screenshots/activities_*.png``.

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_x .venv/bin/pytest -m browser
linli/activities/tests/test_browser_activities.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

from linli.activities import views
from linli.activities.models import Activity, Registration
from linli.activities.tests.conftest import local_at
from linli.activities.tests.test_resident_pages import Family, family
from linli.notify.channels import ConsoleSmsBackend
from linli.testing.factories import area_chain

__all__ = ["family"]  # the fixture, imported for use here

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def style(page: Any, selector: str, prop: str) -> float:
    value = page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")
    return float(str(value).removesuffix("px"))


def check(page: Any, axe_check: Any, name: str, *, elder: bool, targets: list[str]) -> None:
    """axe-core clean and fits the phone; in elder mode the sizes too; a screenshot."""
    page.wait_for_load_state()  # a click may still be loading the next page
    assert (page.locator("body.elder").count() == 1) is elder, page.url
    assert page.evaluate(FITS), page.url
    assert axe_check(page) == [], page.url
    if elder:
        assert style(page, "body", "fontSize") >= 18
        if page.locator(".main").count():
            assert style(page, ".main", "fontSize") >= 30
        for selector in [*targets, ".mode-link", ".resident-nav a"]:
            shown = page.locator(f"{selector} >> visible=true")
            boxes = [shown.nth(i).bounding_box() for i in range(shown.count())]
            assert boxes, selector
            for box in boxes:
                assert box["width"] >= 60 and box["height"] >= 60, (selector, box)
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    mode = "elder" if elder else "normal"
    page.screenshot(path=str(folder / f"activities_{name}_{mode}.png"), full_page=True)


def switch_mode(page: Any) -> None:
    with page.expect_navigation():
        page.locator(".mode-link").tap()


def both_modes(page: Any, axe_check: Any, name: str, targets: list[str]) -> None:
    """Check the page in the mode it is in, switch, check again, switch back."""
    elder = page.locator("body.elder").count() == 1
    check(page, axe_check, name, elder=elder, targets=targets)
    switch_mode(page)
    check(page, axe_check, name, elder=not elder, targets=targets)
    switch_mode(page)


def log_in_by_code(page: Any, phone_number: str) -> None:
    """On the log-in page: the number, then the code from the SMS outbox."""
    ConsoleSmsBackend.outbox.clear()
    page.get_by_label("手机号码").fill(phone_number)
    with page.expect_navigation():
        page.get_by_role("button", name="获取验证码").tap()
    [sms] = [m for m in ConsoleSmsBackend.outbox if m["phone"] == phone_number]
    code = re.search(r"\d{6}", sms["text"])
    assert code, sms
    page.get_by_label("短信验证码").fill(code.group(0))
    with page.expect_navigation():
        page.get_by_role("button", name="登录").tap()


def test_parent_finds_an_activity_registers_her_child_and_shows_the_ticket(
    live_server: Any,
    phone: Any,
    axe_check: Any,
    family: Family,
    make_activity: Callable[..., Activity],
) -> None:
    base = live_server.url
    failures: list[str] = []
    phone.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    camp = make_activity(
        title="暑期托管班",
        kind="camp",
        audience="public",
        min_age=6,
        max_age=12,
        summary="手工、阅读与户外活动，社工全程陪伴。",
        sessions=[
            (local_at(8, 9), local_at(8, 11), "开营"),
            (local_at(9, 9), local_at(9, 11), "手工"),
        ],
    )
    make_activity(title="消防安全培训", sessions=[(local_at(10, 14), local_at(10, 16), "")])

    # The public list and the activity, in normal and elder mode.
    phone.goto(f"{base}/activities/")
    both_modes(phone, axe_check, "list", [".act-title a", ".feed-link a"])
    switch_mode(phone)  # elder from here on
    with phone.expect_navigation():
        phone.get_by_role("link", name="暑期托管班").tap()
    assert "6–12 岁" in phone.locator("#audience").inner_text()
    both_modes(phone, axe_check, "detail", [".main", ".text-link", ".feed-link a"])

    # 报名 → log-in → back to the register page, for her child.
    with phone.expect_navigation():
        phone.get_by_role("link", name="报名", exact=True).tap()
    assert "/me/login/" in phone.url
    log_in_by_code(phone, "13800001001")
    assert phone.url.endswith(f"/me/activities/{camp.pk}/register/"), phone.url
    # A children's class opens on the child; for herself (36) it says why not.
    assert "李小宝" in phone.locator(".who.is-chosen").inner_text()
    with phone.expect_navigation():
        phone.get_by_role("link", name="本人（李梅）").tap()
    assert "不能为 李梅 报名" in phone.locator("#problem").inner_text()
    with phone.expect_navigation():
        phone.get_by_role("link", name="李小宝（孩子）").tap()
    assert "免费" in phone.locator("#quote").inner_text()
    both_modes(phone, axe_check, "register", [".who", ".main", ".text-link"])
    with phone.expect_navigation():
        phone.get_by_role("button", name="确认报名").tap()

    # The ticket: success, the child with the parent as guardian, a big QR code.
    registration = Registration.objects.get(activity=camp)
    assert (registration.resident_id, registration.guardian_id) == (
        family.child.pk,
        family.parent.pk,
    )
    assert "报名成功" in phone.locator("#result").inner_text()
    assert "李小宝（家长：李梅）" in phone.locator("#participant").inner_text()
    qr = phone.locator("#ticket-qr svg").bounding_box()
    assert qr["width"] >= 250, qr
    both_modes(phone, axe_check, "ticket", [".danger-link", ".text-link"])

    # Cancel asks on its own page; she keeps the place.
    with phone.expect_navigation():
        phone.get_by_role("link", name="取消报名").tap()
    both_modes(phone, axe_check, "cancel", [".main", ".text-link"])
    with phone.expect_navigation():
        phone.get_by_role("link", name="不取消，返回").tap()
    registration.refresh_from_db()
    assert registration.status == "confirmed"

    # My registrations.
    with phone.expect_navigation():
        phone.get_by_role("link", name="我的报名").first.tap()
    assert "暑期托管班 · 李小宝" in phone.locator("#registration-list").inner_text()
    both_modes(phone, axe_check, "mine", [".order-card", ".feed-link a"])
    assert failures == []


def test_info_screen_fills_a_landscape_screen_and_turns_its_pages(
    live_server: Any,
    browser: Any,
    axe_check: Any,
    make_activity: Callable[..., Activity],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "SCREEN_SECONDS", 2)
    for day in range(1, 6):
        make_activity(
            title=f"第{day}天的社区活动", sessions=[(local_at(day, 10), local_at(day, 11), "")]
        )
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/activities/screen/640106001001/")
        assert page.locator(".screen-item").count() == 4
        assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
        assert page.evaluate(FITS)
        assert axe_check(page) == []
        folder = settings.VAR_DIR / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "activities_screen.png"))
        # htmx fetches the next page by itself (no reload by the test), then wraps.
        page.locator("#main").filter(has_text="第5天的社区活动").wait_for(timeout=10_000)
        assert "第 2/2 页" in page.locator(".screen-clock").inner_text()
        page.locator("#main").filter(has_text="第1天的社区活动").wait_for(timeout=10_000)
    finally:
        context.close()


def test_the_community_chooser_leaves_room_for_activities_on_the_first_screen(
    live_server: Any, phone: Any, axe_check: Any, make_activity: Callable[..., Activity]
) -> None:
    # given activities in five communities (the chooser used to fill the first screen)
    make_activity(title="消防安全培训")
    hall = Activity.objects.get().venue
    for n in range(2, 6):
        other = area_chain(f"64010600{n}", name=f"第{n}")
        venue = type(hall).objects.create(area=other["community"], name=f"活动室{n}", capacity=30)
        make_activity(title=f"第{n}社区活动", area=other["community"], venue=venue)
    phone.goto(f"{live_server.url}/activities/")
    switch_mode(phone)  # elder mode
    check(phone, axe_check, "list_communities", elder=True, targets=[".community-pick button"])
    assert style(phone, ".community-pick select", "height") >= 60
    first_card = phone.locator(".act-card").first.bounding_box()
    assert first_card["y"] < 812, first_card
    with phone.expect_navigation():
        phone.locator("#community-select").select_option(label="第2社区")
        phone.get_by_role("button", name="查看").tap()
    assert "第2社区活动" in phone.content() and "消防安全培训" not in phone.content()
