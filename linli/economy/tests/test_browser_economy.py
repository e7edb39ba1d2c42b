"""The social enterprise's resident, public and staff pages in a real browser (issue 8).

* ``/me/canteen/`` on a 375 px phone, normal and elder mode: today's price with the
  reason, the resident card's QR code (≥ 200 px wide), the for-whom buttons of a
  family; axe-core finds no serious or critical violation; elder mode meets the MIIT
  2021 sizes (body ≥ 18 px, targets ≥ 60 px tall); no sideways scrolling.
* ``/gongyi/<code>/`` on the phone without log-in, normal and elder mode (switched by
  the page's own mode link, which comes back to the page): the closed year's allocation
  and the fund's spending visible; the same checks.
* The staff pages on a 1280×800 desktop as the community administrator: the company
  record, the shareholders form (95 % → the Chinese error at the top of the form, as an
  alert, nothing saved; then 100 % with a new partner typed into the blank spare row →
  saved), the canteen's day board, claims, cards and a card, the ledger's month, year
  and fund pages: no failed request, axe-core clean.

Screenshots: ``var/screenshots/economy_*.png``. Run on PostgreSQL, as CI does:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_e .venv/bin/pytest -q -m browser
linli/economy/tests/test_browser_economy.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.economy import accounts
from linli.economy.cards import issue_card, top_up
from linli.economy.counter import sell
from linli.economy.models import (
    BusinessLine,
    DinerCard,
    EntryCategory,
    EntryKind,
    IdentifiedBy,
    LineKind,
    PaymentMethod,
    WelfareFund,
)
from linli.economy.tests.conftest import Shop, noon, years_ago
from linli.people.models import FamilyLink, Resident
from linli.testing.browser import log_in, resident_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@dataclass
class Scene:
    shop: Shop
    me: Resident
    user: Any
    mother: Resident
    card: DinerCard
    year: int


@pytest.fixture
def scene(shop: Shop) -> Scene:
    """A resident (40) with an account, a card with a top-up and today's lunch paid by
    card, her mother (88) she may act for; last year closed on 1000 yuan revenue (200
    yuan to the fund) and 50 yuan spent on a project.

    ``transaction=True`` flushes the rows seeded by migrations, so the canteen price list
    is seeded again through its migration.
    """
    importlib.import_module("linli.eligibility.migrations.0002_seed_canteen_meal").seed(apps, None)
    me = shop.resident(name="李秀英", birth_date=years_ago(40))
    account = resident_account_create(resident=me, phone="13600000001", actor=None)
    mother = shop.resident(name="赵芝兰", birth_date=years_ago(88))
    FamilyLink.objects.create(
        resident=mother, relative=me, relation="女儿", may_act=True, consent_at=timezone.now()
    )
    card = issue_card(shop.enterprise, me, by=shop.cashier)
    top_up(card, 5_000, by=shop.cashier, method="cash")
    sell(
        shop.canteen,
        shop.lunch,
        diners=[me],
        identified_by=IdentifiedBy.CARD,
        payment=PaymentMethod.CARD,
        card=card,
        cashier=shop.cashier,
        at=noon(),
    )
    year = timezone.localdate().year - 1
    accounts.record_entry(
        shop.enterprise,
        line=BusinessLine.objects.get(enterprise=shop.enterprise, kind=LineKind.CANTEEN),
        date=dt.date(year, 4, 1),
        kind=EntryKind.REVENUE,
        category=EntryCategory.SERVICE,
        amount_fen=100_000,
        description="社区助餐服务收入",
        by=shop.admin,
    )
    accounts.close_year(shop.enterprise, year, by=shop.admin)
    fund = WelfareFund.objects.get(enterprise=shop.enterprise)
    project = accounts.add_project(fund, "助老餐补", "高龄老人餐补", 15_000, "居民议事会决议")
    accounts.spend(
        fund,
        project=project,
        amount_fen=5_000,
        date=timezone.localdate(),
        description="十一月高龄老人餐补",
        voucher="GY-2026-01",
        by=shop.admin,
    )
    card.refresh_from_db()
    return Scene(shop=shop, me=me, user=account.user, mother=mother, card=card, year=year)


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


def shot(page: Any, name: str) -> None:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"economy_{name}.png"), full_page=True)


def boxes(page: Any, selector: str) -> list[dict[str, float]]:
    shown = page.locator(f"{selector} >> visible=true")
    found = [shown.nth(i).bounding_box() for i in range(shown.count())]
    assert found, selector
    return found


def failures_of(page: Any) -> list[str]:
    """Responses of ``page`` answering 4xx/5xx (``["404 http://…"]``)."""
    failures: list[str] = []
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    return failures


def check_phone(page: Any, axe_check: Any, name: str, *, elder: bool, targets: list[str]) -> None:
    """axe-core clean and no sideways scrolling; in elder mode body text ≥ 18 px and
    every shown target ≥ 60×60 px; a screenshot."""
    page.wait_for_load_state()  # a click may still be loading the next page
    assert (page.locator("body.elder").count() == 1) is elder, page.url
    assert page.evaluate(FITS), page.url
    assert axe_check(page) == [], page.url
    if elder:
        assert style(page, "body", "fontSize") >= 18
        for selector in [*targets, ".mode-link"]:
            for box in boxes(page, selector):
                assert box["width"] >= 60 and box["height"] >= 60, (selector, box)
    shot(page, f"{name}_{'elder' if elder else 'normal'}")


def switch_mode(page: Any) -> None:
    """Tap the page's own mode link; it comes back to the same page."""
    url = page.url
    with page.expect_navigation():
        page.locator(".mode-link").tap()
    assert page.url == url


def test_resident_sees_her_price_reason_and_card_on_a_phone(
    live_server: Any, phone: Any, axe_check: Any, scene: Scene
) -> None:
    base = live_server.url
    failures = failures_of(phone)
    resident_session(phone, base, scene.user)
    phone.goto(f"{base}/me/canteen/")
    targets = ["#for-whom a", ".resident-nav a"]
    for elder in (False, True):
        if elder:
            switch_mode(phone)
        menus = phone.locator("#menus")
        assert "土豆烧牛肉" in menus.inner_text() and "12.00 元" in menus.inner_text()
        assert "标准价 12 元" in phone.locator(".reason").first.inner_text()
        assert phone.locator(".my-price").first.is_visible()
        assert phone.locator(".reason").first.is_visible()
        qr = phone.locator("#card svg").bounding_box()
        assert qr and qr["width"] >= 200, qr
        assert phone.locator("#balance").inner_text() == "38.00 元"  # 50 topped up − 12
        assert "午餐" in phone.locator("#meals").inner_text()
        check_phone(phone, axe_check, "resident_canteen", elder=elder, targets=targets)
        if elder:
            for selector in (".reason", ".dishes", "#meals li", ".hint"):
                assert style(phone, selector, "fontSize") >= 18, selector
            assert style(phone, "#for-whom a", "fontSize") >= 30

    # Her mother's page (family by consent): her price, 8 yuan, and why; no card yet.
    with phone.expect_navigation():
        phone.get_by_role("link", name="赵芝兰").tap()
    menus = phone.locator("#menus").inner_text()
    assert "赵芝兰的价格" in menus and "8.00 元" in menus, menus
    assert "年满 60 周岁（88 岁）" in phone.locator(".reason").first.inner_text()
    assert phone.locator("#for-whom [aria-current=page]").inner_text() == "赵芝兰"
    assert phone.locator("#no-card").is_visible()
    check_phone(phone, axe_check, "resident_canteen_family", elder=True, targets=targets)
    assert failures == []


def test_public_welfare_page_on_a_phone(
    live_server: Any, phone: Any, axe_check: Any, scene: Scene
) -> None:
    base = live_server.url
    failures = failures_of(phone)
    phone.goto(f"{base}/gongyi/{scene.shop.community.code}/")
    for elder in (False, True):
        if elder:
            switch_mode(phone)
        closes = phone.locator(".closes")
        assert closes.is_visible() and "200.00 元" in closes.inner_text()
        assert str(scene.year) in closes.inner_text()
        spending = phone.locator(".spending")
        assert spending.is_visible()
        assert "十一月高龄老人餐补" in spending.inner_text() and "50.00 元" in spending.inner_text()
        assert "GY-2026-01" in spending.inner_text()
        assert phone.locator(".balance").inner_text() == "150.00 元"
        # One block per row on a phone: each value has its column's name beside it.
        assert phone.locator(".spending thead").bounding_box()["width"] <= 1
        check_phone(phone, axe_check, "public_welfare", elder=elder, targets=[])
        if elder:
            for selector in (".spending td", ".projects td", ".holders td", ".hint"):
                assert style(phone, selector, "fontSize") >= 18, selector
    switch_mode(phone)
    assert phone.locator("body.elder").count() == 0
    # On a wide screen the tables stay tables, with their headings.
    phone.set_viewport_size({"width": 1024, "height": 800})
    assert phone.locator(".spending thead").bounding_box()["width"] > 300
    assert phone.evaluate(FITS)
    assert failures == []


def test_staff_pages_on_a_desktop(
    live_server: Any, page: Any, axe_check: Any, failed_responses: list[str], scene: Scene
) -> None:
    base, shop = live_server.url, scene.shop
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, base, shop.admin)
    e, c = shop.enterprise.pk, shop.canteen.pk
    pages = {
        "company": (f"/economy/{e}/", "#shareholders"),
        "shareholders": (f"/economy/{e}/shareholders/", "#shareholders-form"),
        "day": (f"/economy/canteen/{c}/", "text=优惠价 8.00 元"),
        "claims": (f"/economy/canteen/{c}/claims/", "h1"),
        "cards": (f"/economy/canteen/{c}/cards/", f"text={scene.me.name}"),
        "card": (f"/economy/canteen/{c}/cards/{scene.card.pk}/", "h1"),
        "ledger": (f"/economy/ledger/{e}/", "h1"),
        "year": (f"/economy/ledger/{e}/year/{scene.year}/", "text=200.00 元"),
        "fund": (f"/economy/ledger/{e}/fund/", "text=十一月高龄老人餐补"),
    }
    problems = {}
    for name, (path, shown) in pages.items():
        page.goto(base + path)
        assert page.locator(shown).first.is_visible(), (name, shown)
        found = axe_check(page)
        if found:
            problems[name] = found
        shot(page, f"staff_{name}")
    assert problems == {}
    assert failed_responses == []

    # The shareholders add up to 95 %: the Chinese error at the top of the form, as an
    # alert; nothing changes.
    page.goto(f"{base}/economy/{e}/shareholders/")
    page.get_by_label("第 2 行持股比例（%）").fill("10")
    with page.expect_navigation():
        page.get_by_role("button", name="保存股东名册").click()
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert "股东持股比例合计须为 100%，当前合计 95%" in alert.inner_text()
    assert axe_check(page) == []
    shot(page, "staff_shareholders_error")
    assert failed_responses == [f"400 {base}/economy/{e}/shareholders/"]
    stakes = sorted(shop.enterprise.shareholders.values_list("stake_bp", flat=True))
    assert stakes == [1500, 1500, 1500, 1500, 4000]

    # Corrected to 100 % with a new partner of 5 % in the blank row at the bottom: saved.
    assert page.get_by_label("第 2 行持股比例（%）").input_value() == "10"
    page.get_by_label("第 6 行股东名称").fill("丰登物业服务有限公司")
    page.get_by_label("第 6 行股东类型").select_option(label="合作单位")
    page.get_by_label("第 6 行持股比例（%）").fill("5")
    with page.expect_navigation():
        page.get_by_role("button", name="保存股东名册").click()
    assert page.url == f"{base}/economy/{e}/", page.locator("#shareholders-form").inner_text()
    assert "丰登物业服务有限公司" in page.locator("#shareholders").inner_text()
    assert page.locator("#stake-total").inner_text() == "100%"
    assert len(failed_responses) == 1
