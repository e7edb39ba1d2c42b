"""Issue 4's "Done when": the daughter-for-mother walk in a real browser, in real time.

The daughter logs in on her phone with her number and a one-time code (read from the
console SMS outbox, as a developer reads it in the log), switches to elder mode, orders
bath assistance for her mother, sees the quote with its tier and confirms; dispatch
offers it to one of three certified caregivers on shift now. The caregiver, logged in on
a second browser context as the user linked to that worker, taps 接单 at ``/work/`` and
then 出发, 已到达, 开始服务 and 完成服务 on ``/work/orders/<pk>/``; the daughter's status
page follows by itself (htmx polling every 10 s, no reload by the test) and she rates
5 stars. Every resident page passes axe-core (no serious or critical violations)
and the elder-mode sizes (MIIT 2021: body ≥ 18 px, main action ≥ 30 px, targets
≥ 60×60 px, no sideways scrolling on a 375 px phone). Screenshots:
``var/screenshots/orders_*.png``.

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_x .venv/bin/pytest -m browser
linli/orders/tests/test_walk_browser.py``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from linli.notify.channels import ConsoleSmsBackend
from linli.orders.models import Offer, OfferStatus, Order, OrderChannel, OrderStatus, Worker
from linli.orders.tests.conftest import Scene
from linli.orders.tests.test_views_resident import on_shift_today
from linli.people.models import Resident
from linli.testing.browser import log_in
from linli.testing.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("daytime"),
]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
#: Longest wait for the status page to follow a change by itself (polls every 10 s).
POLL_WAIT_MS = 25_000
SEEDS = [
    "linli.eligibility.migrations.0002_seed_canteen_meal",
    "linli.orders.migrations.0002_seed_catalog",
    "linli.orders.migrations.0004_pickup_seed",
]


@pytest.fixture
def seeded(db: Any) -> None:
    """The seed migrations' rows again (a transactional test before may have flushed
    them), through the migrations' own idempotent functions."""
    for module in SEEDS:
        importlib.import_module(module).seed(apps, None)


@pytest.fixture
def today(seeded: None, scene: Scene) -> Scene:
    """The daughter-for-mother scene with its carers on shift all of today, each with a
    log-in for the caregiver pages."""
    on_shift_today(scene.carers)
    Resident.objects.filter(pk=scene.mother.pk).update(sex="F")
    for carer in scene.carers:
        carer.user = UserFactory(username=f"carer{carer.pk}", first_name=carer.name)
        carer.save(update_fields=["user"])
    return scene


def phone_context(browser: Any) -> Any:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = phone_context(browser)
    yield context.new_page()
    context.close()


def style(page: Any, selector: str, prop: str) -> float:
    value = page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")
    return float(str(value).removesuffix("px"))


def assert_elder(page: Any, axe_check: Any, name: str, targets: list[str]) -> None:
    """Elder mode on, sizes met, fits the phone, axe-core clean; then a screenshot."""
    page.wait_for_load_state()  # a click may still be loading the next page
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
    page.screenshot(path=str(folder / f"orders_{name}.png"), full_page=True)


def log_in_by_code(page: Any, base: str, phone_number: str) -> None:
    """The daughter's log-in: elder mode, number, the code from the SMS outbox."""
    ConsoleSmsBackend.outbox.clear()
    page.goto(f"{base}/me/login/")
    with page.expect_navigation():
        page.get_by_role("button", name="大字模式（老年人适用）").tap()
    page.get_by_label("手机号码").fill(phone_number)
    with page.expect_navigation():
        page.get_by_role("button", name="获取验证码").tap()
    [sms] = [m for m in ConsoleSmsBackend.outbox if m["phone"] == phone_number]
    code = re.search(r"\d{6}", sms["text"])
    assert code, sms
    page.get_by_label("短信验证码").fill(code.group(0))
    with page.expect_navigation():
        page.get_by_role("button", name="登录").tap()
    assert page.url.endswith("/me/"), page.url


@pytest.fixture
def caregiver(browser: Any) -> Iterator[Any]:
    """The caregiver's own phone: a second browser context (its own cookies)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def caregiver_accepts(page: Any, base: str, carer: Worker) -> None:
    """Log in as the worker's user and tap 接单 on the offer at ``/work/``."""
    log_in(page, base, carer.user)
    page.goto(f"{base}{reverse('work:today')}")
    with page.expect_navigation():
        page.get_by_role("button", name="接单").first.click()


def caregiver_finishes(page: Any, base: str, order: Order) -> None:
    """出发 → 已到达 → 开始服务 → 完成服务 (with a note) on ``/work/orders/<pk>/``."""
    page.goto(f"{base}{reverse('work:order', args=[order.pk])}")
    for label in ["出发", "已到达", "开始服务"]:
        with page.expect_navigation():
            page.get_by_role("button", name=label).click()
    page.locator("textarea[name=note]").fill("洗浴顺利，老人精神很好")
    with page.expect_navigation():
        page.get_by_role("button", name="完成服务").click()


def test_daughter_orders_bath_assist_for_her_mother_and_rates_it(
    live_server: Any, phone: Any, caregiver: Any, axe_check: Any, today: Scene
) -> None:
    scene = today
    base = live_server.url
    failures: list[str] = []
    phone.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    # Log in with the phone number and a one-time code; the account page links the services.
    log_in_by_code(phone, base, "13800000002")
    with phone.expect_navigation():
        phone.get_by_role("link", name="预约服务").first.tap()
    assert_elder(phone, axe_check, "services_self", [".service-tile", ".who"])
    assert "本人（李梅）" in phone.locator("#for-whom").inner_text()
    meal = phone.locator('[data-code="meal_assist"] .service-price')
    assert meal.inner_text() == "12.00 元"  # the daughter herself, 46

    # For her mother (80): the tiles reprice; the meal is the elder tier.
    with phone.expect_navigation():
        phone.get_by_role("link", name="王秀英（母亲）").tap()
    assert meal.inner_text() == "8.00 元"
    assert_elder(phone, axe_check, "services_mother", [".service-tile", ".who"])
    phone.goto(f"{base}/me/services/meal_assist/?for={scene.mother.pk}")
    assert phone.locator("#quote-price").inner_text() == "8.00 元"
    assert "60" in phone.locator("#quote-reason").inner_text()
    phone.go_back()

    # Bath assistance: the quote (standard list price), 现在, a note, confirm.
    with phone.expect_navigation():
        phone.locator('[data-code="bath_assist"]').tap()
    assert "王秀英（母亲）" in phone.locator("#for-person").inner_text()
    assert phone.locator("#quote-price").inner_text() == "60.00 元"
    assert "标准价" in phone.locator("#quote-reason").inner_text()
    assert phone.get_by_label("现在（尽快上门）").is_checked()
    assert not phone.locator("#slot-fields").is_visible()  # hidden while 现在 is chosen
    assert_elder(phone, axe_check, "quote", [".tile", ".main"])
    phone.get_by_label("备注（可不填）").fill("请带防滑垫")
    with phone.expect_navigation():
        phone.get_by_role("button", name="确认下单（60.00 元）").tap()

    # Dispatch has offered it to one caregiver; the page names them and the ETA.
    order = Order.objects.get()
    assert (order.resident_id, order.channel) == (scene.mother.pk, OrderChannel.FAMILY)
    assert order.status == OrderStatus.ASSIGNED
    offer = Offer.objects.select_related("worker__user").get(order=order)
    carer = offer.worker
    assert carer in scene.carers and offer.status == OfferStatus.PENDING
    assert phone.url.endswith(f"/me/orders/{order.pk}/")
    assert "已派单" in phone.locator("#status-now").inner_text()
    assert carer.name in phone.locator("#order-live").inner_text()
    assert_elder(phone, axe_check, "status_assigned", [".text-link", ".danger-link"])

    # The cancel confirmation is a page of its own; she keeps the order.
    with phone.expect_navigation():
        phone.get_by_role("link", name="取消订单").tap()
    assert_elder(phone, axe_check, "cancel_ask", [".main", ".text-link"])
    with phone.expect_navigation():
        phone.get_by_role("link", name="不取消，返回订单").tap()

    # The caregiver accepts on their phone; her page follows by itself (htmx polling,
    # no reload by the test): 已接单, their name and minutes to arrival.
    caregiver_accepts(caregiver, base, carer)
    status = phone.locator("#status-now")
    status.filter(has_text="已接单").wait_for(timeout=POLL_WAIT_MS)
    live = phone.locator("#order-live").inner_text()
    assert f"{carer.name}（已接单）" in live
    assert re.search(r"预计 \d+ 分钟后到达", live), live
    assert_elder(phone, axe_check, "status_accepted", [".text-link", ".danger-link"])

    # 出发, 已到达, 开始服务, 完成服务 on the caregiver's order page; hers shows 已完成.
    caregiver_finishes(caregiver, base, order)
    status.filter(has_text="已完成").wait_for(timeout=POLL_WAIT_MS)
    actions = list(order.events.filter(worker=carer).values_list("action", flat=True))
    assert actions == ["offer", "accept", "en_route", "arrive", "start", "complete"]
    order.refresh_from_db()
    assert order.arrived_at is not None and order.completed_at is not None
    assert order.completion_note.startswith("洗浴顺利")
    assert "到达" in phone.locator("#arrived").inner_text()
    assert_elder(phone, axe_check, "status_completed", [".tile.star", ".main", ".check"])

    # Five stars.
    phone.get_by_text("5 星 非常满意").tap()
    phone.get_by_label("想说的话（可不填）").fill("护工很细心，谢谢")
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交评价").tap()
    assert "谢谢您的评价" in phone.locator("#notice").inner_text()
    order.refresh_from_db()
    assert (order.rating, order.complaint_case) == (5, None)
    assert_elder(phone, axe_check, "status_rated", [".text-link"])

    with phone.expect_navigation():
        phone.get_by_role("link", name="我的订单").first.tap()
    assert "助浴服务 · 为王秀英" in phone.locator("#order-list").inner_text()
    assert_elder(phone, axe_check, "orders", [".order-card"])

    # Standard size too stays axe-clean and fits the phone.
    with phone.expect_navigation():
        phone.get_by_role("link", name="切换到标准字号").tap()
    assert phone.locator("body.elder").count() == 0
    for url in ["/me/services/", f"/me/orders/{order.pk}/"]:
        phone.goto(f"{base}{url}")
        assert phone.evaluate(FITS) and axe_check(phone) == [], url
    assert failures == []


def test_quote_page_scripts_switch_dine_in_wording_and_hide_past_times(
    live_server: Any, phone: Any, axe_check: Any, today: Scene
) -> None:
    """Walkthrough fixes in a browser: 堂食预约 reads as a canteen booking as soon as it is
    tapped, and picking 今天 hides (and disables) the start times already gone by."""
    base = live_server.url
    log_in_by_code(phone, base, "13800000002")
    phone.goto(f"{base}/me/services/meal_assist/?for={today.mother.pk}")
    assert phone.locator("#visit-place").is_visible()
    assert not phone.locator("#dine-in-place").is_visible()
    phone.get_by_label("堂食预约").check()
    assert phone.locator("#dine-in-place").is_visible()
    assert not phone.locator("#visit-place").is_visible()
    assert axe_check(phone) == []
    days = phone.locator('input[name="slot_date"]')
    marker = phone.locator("[data-today]").get_attribute("data-today")
    values = [days.nth(i).get_attribute("value") for i in range(days.count())]
    other = next(v for v in values if v != marker)
    phone.locator(f'input[name="slot_date"][value="{other}"]').check()
    assert phone.locator('input[name="slot_time"]:disabled').count() == 0
    if marker in values:  # 今天 is offered only while a start time is left
        phone.locator(f'input[name="slot_date"][value="{marker}"]').check()
        past = phone.locator("[data-past-today]")
        for i in range(past.count()):
            assert not past.nth(i).is_visible()
            assert past.nth(i).locator("input").is_disabled()
