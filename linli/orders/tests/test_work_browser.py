"""In a real browser on a caregiver's phone: an offer arrives by itself, is accepted and
worked through 出发 → 已到达 → 开始服务 → 完成服务 with a note.

Phone: 375×812, mobile, touch, location allowed (so the page's script pings the position).
The server clock is the scene's (DAY 10:00, carers on shift); only one carer is on duty, so
the offer is theirs. Checked: the offer appears without a reload (htmx, every 15 s), its
countdown is text and ticks, every action is ≥ 60×60 px, nothing scrolls sideways, and
axe-core finds no serious or critical violations on /work/ and the order page.
Screenshots: ``var/screenshots/work_*.png``.

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_x .venv/bin/pytest -m browser
linli/orders/tests/test_work_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from linli.orders.dispatching import dispatch
from linli.orders.models import OfferStatus, OrderStatus, Worker, WorkerStatus
from linli.orders.ordering import order_place
from linli.orders.tests.conftest import Scene
from linli.people.models import Resident
from linli.testing.browser import log_in
from linli.testing.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("daytime"),
]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
#: The offer area polls every 15 s; allow one missed beat.
POLL_WAIT_MS = 35_000
#: Where the phone says it is (WGS-84), a few hundred metres from the mother's home.
PHONE_AT = {"latitude": 38.4712, "longitude": 106.2311, "accuracy": 15}


@pytest.fixture(autouse=True)
def seeded(transactional_db: Any) -> None:
    """The catalogue again (a transactional test before may have flushed it), through
    the seed migration's own idempotent function; autouse, so it runs before ``scene``."""
    importlib.import_module("linli.orders.migrations.0002_seed_catalog").seed(apps, None)


@pytest.fixture
def on_duty(seeded: None, scene: Scene, monkeypatch: Any) -> Worker:
    """The scene at DAY 10:00 with one carer on duty (with a log-in), the others off."""
    monkeypatch.setattr(timezone, "now", lambda: scene.now)
    Resident.objects.filter(pk=scene.mother.pk).update(sex="F")
    carer, *others = scene.carers
    carer.user = UserFactory(username="carer-zhang", first_name=carer.name)
    carer.save(update_fields=["user"])
    Worker.objects.filter(pk__in=[w.pk for w in others]).update(status=WorkerStatus.OFF)
    return carer


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        permissions=["geolocation"],
        geolocation=PHONE_AT,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"work_{name}.png"), full_page=True)


def assert_phone_ready(page: Any, axe_check: Any, name: str) -> None:
    """Body ≥ 18 px, every visible action in the page ≥ 60×60 px, no sideways scrolling,
    axe-core clean; then a screenshot."""
    size = page.eval_on_selector("body", "e => getComputedStyle(e).fontSize")
    assert float(size.removesuffix("px")) >= 18
    actions = page.locator(".work-main button >> visible=true")
    links = page.locator(".work-main .button >> visible=true")
    boxes = [actions.nth(i).bounding_box() for i in range(actions.count())]
    boxes += [links.nth(i).bounding_box() for i in range(links.count())]
    assert boxes
    for box in boxes:
        assert box["width"] >= 60 and box["height"] >= 60, box
    assert page.evaluate(FITS), page.url
    assert axe_check(page) == [], page.url
    shot(page, name)


def wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_carer_gets_an_offer_and_works_it_through_on_a_phone(
    live_server: Any, phone: Any, axe_check: Any, scene: Scene, on_duty: Worker
) -> None:
    carer = on_duty
    failures: list[str] = []
    phone.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    # A position report still in flight when a tap leaves the page is aborted by the
    # browser (net::ERR_ABORTED) — the next report a minute later carries the position;
    # any other failed request fails the test.
    phone.on(
        "requestfailed",
        lambda r: (
            None
            if r.url.endswith("/work/ping") and "ABORTED" in (r.failure or "")
            else failures.append(f"failed {r.url} {r.failure}")
        ),
    )
    base = live_server.url

    log_in(phone, base, carer.user)
    phone.goto(f"{base}/work/")
    assert "暂无新派单" in phone.locator("#offer-area").inner_text()
    assert "✔ 上线" in phone.get_by_role("button", name="上线").inner_text()  # 空闲 = 上线
    assert_phone_ready(phone, axe_check, "today_empty")
    # The page's script sent the phone's position (permission granted).
    wait_for(lambda: Worker.objects.get(pk=carer.pk).last_ping_at is not None)
    carer.refresh_from_db()
    assert (carer.last_lat, carer.last_lng) == (PHONE_AT["latitude"], PHONE_AT["longitude"])

    # The daughter orders; the offer appears on the open page by itself.
    order = order_place(
        service_type=scene.service("bath_assist"),
        resident=scene.mother,
        placed_by=scene.daughter_user,
        note="请带防滑垫",
        now=scene.now,
    )
    dispatch(order, now=scene.now)
    accept = phone.get_by_role("button", name="接单")
    accept.wait_for(timeout=POLL_WAIT_MS)
    assert phone.title().startswith("【新派单】")  # the tab says so (and the phone vibrates)
    offer_text = phone.locator("#offer-area").inner_text()
    assert "助浴服务" in offer_text and "请带防滑垫" in offer_text
    assert "还剩" in offer_text and "10:01:30" in offer_text
    # The distance is from the phone's position (about 330 m × 1.3 to the home).
    assert "从您的位置算起" in offer_text
    phone.wait_for_function(
        "() => parseInt(document.querySelector('[data-seconds-left]').textContent, 10) < 90"
    )
    assert_phone_ready(phone, axe_check, "today_offer")

    with phone.expect_navigation():
        accept.tap()
    assert phone.url.endswith(f"/work/orders/{order.pk}/")
    assert "王女士" in phone.locator("#resident-name").inner_text()
    assert (
        phone.locator("#nav-amap")
        .get_attribute("href")
        .startswith("https://uri.amap.com/marker?position=")
    )
    assert_phone_ready(phone, axe_check, "order_accepted")

    for label, status in [
        ("出发", OrderStatus.EN_ROUTE),
        ("已到达", OrderStatus.ARRIVED),
        ("开始服务", OrderStatus.IN_SERVICE),
    ]:
        with phone.expect_navigation():
            phone.get_by_role("button", name=label, exact=True).tap()
        assert phone.locator("#order-status").inner_text() == status.label
    assert phone.get_by_role("button", name="出发", exact=True).count() == 0
    assert_phone_ready(phone, axe_check, "order_in_service")

    phone.get_by_label("服务记录（可不填）").fill("洗浴顺利，老人精神很好")
    with phone.expect_navigation():
        phone.get_by_role("button", name="完成服务", exact=True).tap()
    assert phone.url.endswith("/work/")
    assert f"已完成服务：{order.number}" in phone.locator(".messages").inner_text()
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.completion_note == "洗浴顺利，老人精神很好"
    assert order.offers.get(worker=carer).status == OfferStatus.ACCEPTED
    assert_phone_ready(phone, axe_check, "today_done")
    assert failures == []


@pytest.fixture
def plain_phone(browser: Any) -> Iterator[Any]:
    """A phone with JavaScript off and no location permission."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def offer_now(scene: Scene) -> Any:
    order = order_place(
        service_type=scene.service("bath_assist"),
        resident=scene.mother,
        placed_by=scene.daughter_user,
        now=timezone.now(),
    )
    return dispatch(order, now=timezone.now())


def test_without_javascript_the_deadline_is_text_and_accepting_works(
    live_server: Any, plain_phone: Any, scene: Scene, on_duty: Worker
) -> None:
    order = offer_now(scene)
    log_in(plain_phone, live_server.url, on_duty.user)
    plain_phone.goto(f"{live_server.url}/work/")
    text = plain_phone.locator("#offer-area").inner_text()
    assert "限时接单：请在 10:01:30 前接单，还剩 90 秒" in text
    assert plain_phone.locator("#ping-box").is_hidden()  # no script, no location sharing
    with plain_phone.expect_navigation():
        plain_phone.get_by_role("button", name="接单").tap()
    assert plain_phone.url.endswith(f"/work/orders/{order.pk}/")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED


def test_the_countdown_runs_out_and_the_offer_area_says_so(
    live_server: Any, phone: Any, scene: Scene, on_duty: Worker, monkeypatch: Any, settings: Any
) -> None:
    """A running server clock (DAY 10:00 + real seconds) and a 4-second limit: the page
    counts down by itself, refreshes at zero and shows the time is up; no pings are sent
    while location is not allowed, and the page offers the button that asks."""
    started = time.monotonic()
    monkeypatch.setattr(
        timezone, "now", lambda: scene.now + dt.timedelta(seconds=time.monotonic() - started)
    )
    settings.ORDERS_OFFER_SECONDS = 4
    phone.context.clear_permissions()
    pings: list[str] = []
    phone.on("request", lambda r: pings.append(r.url) if r.url.endswith("/work/ping") else None)
    log_in(phone, live_server.url, on_duty.user)
    offer_now(scene)
    phone.goto(f"{live_server.url}/work/")
    assert phone.get_by_role("button", name="接单").is_visible()
    phone.locator("#offer-area").filter(has_text="接单时间已过").wait_for(timeout=10_000)
    assert phone.get_by_role("button", name="接单").count() == 0
    assert phone.get_by_role("button", name="开启位置共享").is_visible()
    assert pings == []
