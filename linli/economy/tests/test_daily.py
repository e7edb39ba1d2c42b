"""Daily figures against hand-computed numbers; a fixed number of queries; the document."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from linli.common.documents import pdf_bytes, xlsx_bytes
from linli.economy.counter import refund, sell
from linli.economy.daily import WALK_IN, daily_document, daily_figures
from linli.economy.delivery import record_delivery_meals
from linli.economy.models import IdentifiedBy, PaymentMethod, Sale
from linli.economy.samples import take_sample
from linli.economy.tests.conftest import Shop, at_local, menu_for, noon, years_ago
from linli.economy.tests.test_delivery import meal_order

pytestmark = pytest.mark.django_db

CIVIL = "民政部门老年助餐补贴"


def _sell(shop: Shop, menu: Any, *diners: Any, walk_ins: int = 0, **kw: Any) -> Sale:
    return sell(
        shop.canteen,
        menu,
        diners=list(diners),
        walk_ins=walk_ins,
        identified_by=IdentifiedBy.NAME if diners else IdentifiedBy.WALK_IN,
        payment=kw.pop("payment", PaymentMethod.CASH),
        cashier=shop.cashier,
        at=kw.pop("at", noon()),
        **kw,
    )


def _scene(shop: Shop) -> None:
    """Lunch: A (70, 8 yuan cash), B (30, 12 yuan QR, refunded), 2 walk-ins (24 yuan cash),
    E (80) delivered (8 yuan with the order). Dinner: A (QR), D (65, cash), 8 yuan each.
    Yesterday: one walk-in (not today's figures). One lunch dish sampled."""
    day = shop.lunch.date
    a = shop.resident(birth_date=years_ago(70))
    b = shop.resident(birth_date=years_ago(30))
    d = shop.resident(birth_date=years_ago(65))
    e = shop.resident(birth_date=years_ago(80))
    _sell(shop, shop.lunch, a)
    sale_b = _sell(shop, shop.lunch, b, payment=PaymentMethod.QR, payment_ref="WX0001")
    refund(sale_b, reason="未取餐", lines=list(sale_b.meals.all()), by=shop.cashier, at=noon())
    _sell(shop, shop.lunch, walk_ins=2)
    meal_order(e, slot=at_local(day, 11, 30))
    assert (
        len(record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon()).sales) == 1
    )
    evening = at_local(day, 18)
    _sell(shop, shop.dinner, a, payment=PaymentMethod.QR, payment_ref="WX0002", at=evening)
    _sell(shop, shop.dinner, d, at=evening)
    yesterday = day - dt.timedelta(days=1)
    _sell(shop, menu_for(shop.canteen, yesterday), walk_ins=1, at=at_local(yesterday, 12))
    take_sample(shop.lunch.dishes.first(), weight_g=150, taken_by="王师傅", at=noon())


def test_daily_figures_match_the_hand_count(shop: Shop) -> None:
    _scene(shop)
    f = daily_figures(shop.canteen, shop.lunch.date)
    lunch, dinner = f.by_meal["lunch"], f.by_meal["dinner"]
    # Lunch: A and E registered (B refunded), 2 walk-ins.
    assert (lunch.diners, lunch.meals, lunch.walk_in_meals, lunch.delivery_meals) == (4, 4, 2, 1)
    assert lunch.meals_by_tier == {"优惠价": 2, WALK_IN: 2}
    assert lunch.subsidy_by_source == {CIVIL: 800}
    assert (lunch.receipts_fen, lunch.refunds_fen, lunch.revenue_fen) == (5200, 1200, 4000)
    assert lunch.payments == {"现金": 3200, "随订单结算": 800}
    assert (lunch.samples_taken, lunch.samples_missing) == (1, 3)
    assert (dinner.diners, dinner.meals_by_tier, dinner.revenue_fen) == (2, {"优惠价": 2}, 1600)
    assert dinner.payments == {"现金": 800, "扫码支付": 800}
    # The day: A counted once among registered diners (A, D, E) plus 2 walk-ins.
    assert (f.diners, f.registered_diners, f.walk_in_meals, f.meals) == (5, 3, 2, 6)
    assert f.meals_by_tier == {"优惠价": 4, WALK_IN: 2}
    assert f.subsidy_by_source == {CIVIL: 1600}
    assert (f.receipts_fen, f.refunds_fen, f.revenue_fen) == (6800, 1200, 5600)
    assert f.payments == {"现金": 4000, "扫码支付": 800, "随订单结算": 800}
    assert (f.samples_taken, f.samples_missing, f.delivery_meals) == (1, 7, 1)


def test_day_without_sales_is_all_zero(shop: Shop) -> None:
    f = daily_figures(shop.canteen, shop.lunch.date + dt.timedelta(days=3))
    assert (f.diners, f.revenue_fen, f.meals_by_tier, f.subsidy_by_source) == (0, 0, {}, {})


def test_daily_figures_take_a_fixed_number_of_queries(
    shop: Shop, django_assert_max_num_queries: Any
) -> None:
    _scene(shop)
    with django_assert_max_num_queries(6):
        daily_figures(shop.canteen, shop.lunch.date)
    for age in (61, 62, 63, 64, 35):
        _sell(shop, shop.dinner, shop.resident(birth_date=years_ago(age)))
    with django_assert_max_num_queries(6):
        figures = daily_figures(shop.canteen, shop.lunch.date)
    assert figures.meals == 11


def test_daily_document_renders_as_xlsx_and_pdf(shop: Shop) -> None:
    _scene(shop)
    document = daily_document(shop.canteen, shop.lunch.date)
    overview = document.sections[0]
    assert list(overview.header) == ["项目", "午餐", "晚餐", "全天"]
    revenue = next(r for r in overview.rows if str(r[0]).startswith("净收入"))
    assert list(revenue[1:]) == ["40.00", "16.00", "56.00"]
    labels = [str(r[0]) for r in overview.rows]
    assert "收款（元，退款前）" in labels and "净收入（元，收款 − 退款）" in labels
    assert not any(label.startswith(("实收", "营业收入")) for label in labels)
    payments = document.sections[-1]
    assert payments.title == "付款方式（已扣退款）"
    assert payments.footer is not None and payments.footer[0] == "合计（= 净收入）"
    assert xlsx_bytes(document)[:2] == b"PK"
    assert pdf_bytes(document)[:4] == b"%PDF"
