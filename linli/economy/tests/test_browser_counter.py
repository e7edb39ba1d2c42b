"""The canteen counter in a real browser on a 10-inch tablet (issue 8): landscape 1280×800
with touch, then portrait 800×1280.

The cashier logs in and sells four receipts: (1) a card holder found by typing the card
code and Enter as a USB scanner does, paid from the card; (2) a 60-year-old found by phone
(8 元), paid cash, after the same diner typed twice is refused in place; (3) a
30-year-old found by name (12 元, candidates while typing, tapped after checking) with a
walk-in, paid by QR code with its reference; the receipts show, the counters above the
till count the meals by tier. axe-core finds no serious or critical violation on the
counter and receipt pages; the main controls are ≥ 48×48 px; portrait has no sideways
scrolling. Screenshots: ``var/screenshots/economy_counter_*.png``.

Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_c .venv/bin/pytest -q -m browser
linli/economy/tests/test_browser_counter.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from linli.economy.models import DinerCard, Sale
from linli.economy.tests.conftest import Shop, years_ago
from linli.testing.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
#: The till's main controls: scan input, find, walk-in, payments, remove, candidates.
TARGETS = ["#q", ".find-go", ".walk-in", ".pay-button", ".remove", ".match", ".meal-switch a"]


@pytest.fixture(autouse=True)
def _canteen_prices(transactional_db: None) -> None:
    """transaction=True tests flush the seed migration's rows (a test that ran before this
    one may have emptied the price list): seed ``canteen_meal`` again (idempotent)."""
    import importlib

    from django.apps import apps

    importlib.import_module("linli.eligibility.migrations.0002_seed_canteen_meal").seed(apps, None)


@pytest.fixture
def tablet(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 1280, "height": 800},
        has_touch=True,
        is_mobile=False,
    )
    context.set_default_timeout(30_000)  # a loaded CI machine answers slowly
    page = context.new_page()
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"economy_counter_{name}.png"), full_page=True)


def check(page: Any, axe_check: Any, name: str) -> None:
    """axe-core clean, no sideways scrolling, every shown main control ≥ 48×48 px."""
    assert axe_check(page) == [], page.url
    assert page.evaluate(FITS), page.url
    for selector in TARGETS:
        shown = page.locator(f"{selector}:visible")
        for i in range(shown.count()):
            box = shown.nth(i).bounding_box()
            assert box["width"] >= 48 and box["height"] >= 48, (selector, box)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    shot(page, name)


def scan(page: Any, text: str) -> None:
    """Type ``text`` key by key and press Enter, as a scanner or a cashier does."""
    page.locator("#q").press_sequentially(text, delay=5)
    page.locator("#q").press("Enter")


def test_cashier_sells_four_diners_on_a_tablet(
    live_server: Any, tablet: Any, axe_check: Any, shop: Shop
) -> None:
    base = live_server.url
    page = tablet
    holder = shop.resident(name="马秀兰", birth_date=years_ago(72), phone="13900000001")
    DinerCard.objects.create(
        enterprise=shop.enterprise, resident=holder, code="CARD7788", balance_fen=5000
    )
    shop.resident(name="王建华", birth_date=years_ago(60), phone="13900000002")
    shop.resident(name="李晓雯", birth_date=years_ago(30), phone="13900000003")
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    log_in(page, base, shop.cashier)
    page.goto(f"{base}/economy/counter/{shop.canteen.pk}/")
    assert page.evaluate("document.activeElement.id") == "q"
    check(page, axe_check, "empty")

    # (1) The card holder: the scanner types the card's QR text and Enter; paid by card.
    scan(page, "LINLI-CARD:CARD7788")
    page.locator("#work .who-name", has_text="马秀兰").wait_for()
    assert page.locator("#q").input_value() == ""
    assert "8.00 元" in page.locator("#work").inner_text()
    check(page, axe_check, "card_holder")
    with page.expect_navigation():
        page.locator(".card-pay").tap()
    ticket = page.locator(".ticket").inner_text()
    assert "居民卡余额" in ticket and "8.00 元" in ticket and "马秀兰" in ticket
    check(page, axe_check, "receipt")
    # Printed on 58 mm paper: only the receipt, no navigation or refund form.
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator(".refund").is_hidden()
    assert page.locator(".ticket").bounding_box()["width"] <= 58 / 25.4 * 96
    shot(page, "print")
    page.emulate_media(media="screen")
    with page.expect_navigation():
        page.get_by_role("link", name="下一位").tap()
    assert page.evaluate("document.activeElement.id") == "q"

    # (2) A 60-year-old by phone (8 元); typed twice → refused in place; paid cash.
    scan(page, "13900000002")
    page.locator("#work .who-name", has_text="王建华").wait_for()
    scan(page, "13900000002")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "王建华 已在这张小票上" in alert.inner_text()
    assert page.locator("#work .draft-line").count() == 1
    assert "年满 60 周岁（60 岁）" in page.locator("#work").inner_text()
    check(page, axe_check, "twice")
    with page.expect_navigation():
        page.locator(".pay-button.cash").tap()
    assert "现金" in page.locator(".ticket").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="下一位").tap()

    # (3) A 30-year-old by name: candidates while typing, checked and tapped (12 元);
    # (4) a walk-in at the list price; paid by QR code with the wallet's reference.
    page.locator("#q").press_sequentially("晓雯", delay=20)
    page.locator(".match", has_text="李晓雯").wait_for()
    assert "*" in page.locator(".match .match-id").first.inner_text()
    check(page, axe_check, "candidates")
    page.locator(".match", has_text="李晓雯").tap()
    page.locator("#work .who-name", has_text="李晓雯").wait_for()
    page.locator(".walk-in").tap()
    page.locator("#work .who-name", has_text="散客 × 1").wait_for()
    assert "24.00 元" in page.locator("#total").inner_text()
    with page.expect_navigation():
        page.locator(".pay-button", has_text="扫码收款").tap()
    assert "扫码支付请填写支付流水号" in page.get_by_role("alert").inner_text()
    assert page.locator("#work .draft-line").count() == 2
    page.locator("#payment_ref").fill("4200009988776655")
    with page.expect_navigation():
        page.locator("#payment_ref").press("Enter")
    assert "4200009988776655" in page.locator(".ticket").inner_text()

    assert Sale.objects.count() == 3
    assert sorted(Sale.objects.values_list("total_fen", flat=True)) == [800, 800, 2400]

    # Counters above the till; portrait fits without sideways scrolling.
    with page.expect_navigation():
        page.get_by_role("link", name="下一位").tap()
    stats = page.locator(".counter-stats").inner_text()
    assert "优惠价" in stats and "标准价" in stats and "散客（标价）" in stats
    page.set_viewport_size({"width": 800, "height": 1280})
    scan(page, "13900000001")
    page.get_by_role("alert").wait_for()
    check(page, axe_check, "portrait")
    page.goto(f"{base}/economy/counter/{shop.canteen.pk}/sales/")
    assert page.locator(".sale-link").count() == 3
    check(page, axe_check, "sales")
    assert errors == []
