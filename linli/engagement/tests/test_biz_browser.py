"""The enterprise contact's walk on a phone in elder mode (大字模式), in a real browser.

The firm's contact opens /biz/, looks at the service menu, orders the fire-safety training
for 60 employees, follows it to 已办结 (the community admin moves it through the service)
and rates it. Every page passes axe-core (no serious or critical violation) and the
elder-mode sizes of MIIT 2021 (body ≥ 18 px, main action ≥ 30 px, targets ≥ 60×60 px,
no sideways scrolling on a 375 px phone). Screenshots: ``var/screenshots/biz_*.png``.

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://… .venv/bin/pytest -m browser
linli/engagement/tests/test_biz_browser.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from linli.engagement.models import MenuItem, Need, NeedStatus
from linli.testing.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.add_cookies([{"name": "linli_elder", "value": "1", "url": live_server.url}])
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def style(page: Any, selector: str, prop: str) -> float:
    value = page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")
    return float(str(value).removesuffix("px"))


def assert_elder(page: Any, axe_check: Any, name: str, targets: list[str]) -> None:
    """Elder mode on, sizes met, fits the phone, axe-core clean; then a screenshot."""
    page.wait_for_load_state()  # a link's click may still be loading the next page
    assert page.locator("body.elder").count() == 1, page.url
    assert style(page, "body", "fontSize") >= 18
    if page.locator(".main").count():
        assert style(page, ".main", "fontSize") >= 30
    for selector in [*targets, ".mode-link"]:
        shown = page.locator(f"{selector} >> visible=true")
        boxes = [shown.nth(i).bounding_box() for i in range(shown.count())]
        assert boxes, selector
        for box in boxes:
            assert box["width"] >= 60 and box["height"] >= 60, (selector, box)
    assert page.evaluate(FITS), page.url
    assert axe_check(page) == [], page.url
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"biz_{name}.png"), full_page=True)


def test_contact_orders_training_from_the_menu_and_rates_it(
    live_server: Any,
    phone: Any,
    axe_check: Any,
    firm_contact: User,
    admin: User,
    menu_item: MenuItem,
    move: Callable[..., Need],
) -> None:
    base = live_server.url
    log_in(phone, base, firm_contact)

    phone.goto(f"{base}/biz/")
    assert_elder(phone, axe_check, "home", [".main", ".text-link"])

    with phone.expect_navigation():
        phone.get_by_role("link", name="看看社区能提供哪些服务（服务菜单）›").click()
    assert_elder(phone, axe_check, "menu", [".order-card"])

    with phone.expect_navigation():
        phone.get_by_role("link", name="消防安全培训").click()
    assert "需提前 7 天预约" in phone.content()
    phone.get_by_label("涉及人数（人）").fill("60")
    assert_elder(phone, axe_check, "order", [".main", ".tile"])
    with phone.expect_navigation():
        phone.get_by_role("button", name="确认点单").click()

    need = Need.objects.get()
    assert need.menu_item == menu_item and need.headcount == 60
    assert_elder(phone, axe_check, "raised", [".text-link"])

    for step in ("accepted", "planned", "done"):
        move(need, step)
    phone.reload()
    phone.get_by_text("★★★★★ 非常满意").click()
    assert_elder(phone, axe_check, "done", [".tile.star", ".main"])
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交评价").click()

    need.refresh_from_db()
    assert (need.status, need.rating) == (NeedStatus.DONE, 5)
    assert "您的评价：5 分" in phone.content()
    assert_elder(phone, axe_check, "rated", [".text-link"])
