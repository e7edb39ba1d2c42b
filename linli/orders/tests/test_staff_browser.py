"""In a real browser: a grid worker takes a phone call and orders bathing for the mother.

Find her by name, open the order form, see the quote, confirm; the order is dispatched
to a caregiver and its page shows the offer; the list shows it. Every staff page passes
axe-core (no serious or critical violations) and loads its stylesheet.

Run on PostgreSQL, as CI does: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_x
.venv/bin/pytest -m browser linli/orders/tests/test_staff_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from linli.orders.models import Order, OrderChannel, OrderStatus, Shift

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("daytime"),
]

SEEDS = [
    "linli.eligibility.migrations.0002_seed_canteen_meal",
    "linli.orders.migrations.0002_seed_catalog",
    "linli.orders.migrations.0004_pickup_seed",
]


@pytest.fixture
def seeded(db: Any) -> None:
    """The seed migrations' rows again (a transactional test before may have flushed them)."""
    for module in SEEDS:
        importlib.import_module(module).seed(apps, None)


def test_phone_call_order_from_search_to_dispatch(
    seeded, scene, assigned, live_server, page, login, axe_check, failed_responses
) -> None:
    today = timezone.localdate()
    for carer in scene.carers:
        Shift.objects.create(worker=carer, date=today, start=dt.time(0), end=dt.time(23, 59, 59))
    login(page, live_server.url, assigned)

    page.goto(f"{live_server.url}/orders/new/")
    assert axe_check(page) == []
    page.get_by_label("居民姓名、手机号或完整身份证号").fill("王秀英")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="为王秀英下单").click()
    assert "王秀英" in page.locator("#who").inner_text()
    page.get_by_label("服务", exact=True).select_option(label="助浴服务")
    page.get_by_role("button", name="查看报价").click()
    assert "60.00" in page.locator("#quote").inner_text()
    assert axe_check(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="确认下单并派单").click()

    order = Order.objects.get()
    assert page.url.endswith(f"/orders/{order.pk}/")
    assert order.channel == OrderChannel.STAFF and order.status == OrderStatus.ASSIGNED
    worker = order.offers.get().worker
    offer_row = page.locator(".offer-row").first.inner_text()
    assert worker.name in offer_row and "待接单" in offer_row
    assert axe_check(page) == []

    page.goto(f"{live_server.url}/orders/")
    assert page.locator(f'[data-number="{order.number}"]').is_visible()
    assert axe_check(page) == []
    # staff.css applied (not just requested): the status counts are a flex row
    counts_display = "getComputedStyle(document.querySelector('.status-counts')).display"
    assert page.evaluate(counts_display) == "flex"
    assert failed_responses == []


def test_the_variant_list_follows_the_chosen_service(
    seeded, scene, assigned, live_server, page, login
) -> None:
    """Walkthrough: every service's forms were listed for every service."""
    login(page, live_server.url, assigned)
    page.goto(f"{live_server.url}/orders/new/?resident={scene.mother.pk}")
    service = page.get_by_label("服务", exact=True)
    service.select_option(
        label=next(
            t for t in page.locator("#id_service_type option").all_inner_texts() if "助餐" in t
        )
    )
    enabled = page.eval_on_selector_all(
        "#id_variant optgroup", "gs => gs.filter(g => !g.disabled).map(g => g.label)"
    )
    assert len(enabled) == 1 and "助餐" in enabled[0]
    page.locator("#id_variant").select_option("dine_in")
    service.select_option(label="助浴服务")
    assert page.locator("#id_variant").input_value() == ""  # the foreign form was cleared
