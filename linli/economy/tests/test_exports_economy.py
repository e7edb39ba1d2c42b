"""「导出 Excel」 on the counter's receipts of today (the ledger, claims and market sales
have their own exports)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from linli.common.tests.test_exports import table
from linli.economy.forms_counter import SESSION_KEY
from linli.economy.models import Sale
from linli.economy.tests.conftest import Shop
from linli.people.models import Role
from linli.testing.factories import area_chain, staff_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(shop: Shop, name: str, *args: Any) -> str:
    return reverse(f"counter:{name}", args=[shop.canteen.pk, *args])


def walk_in_sale(client: Client, shop: Shop) -> None:
    client.get(url(shop, "page"))
    token = client.session[SESSION_KEY][str(shop.canteen.pk)]["token"]
    client.post(url(shop, "walk_in"), **HTMX)
    response = client.post(url(shop, "pay"), {"token": token, "payment": "cash"})
    assert response.status_code == 302


def test_export_holds_todays_receipts_with_amounts_as_numbers(client: Client, shop: Shop) -> None:
    client.force_login(shop.cashier)
    for _ in range(3):
        walk_in_sale(client, shop)
    assert "format=xlsx" in client.get(url(shop, "sales")).content.decode()

    rows = table(client.get(url(shop, "sales"), {"format": "xlsx"}), "小票号")

    assert rows[0] == [
        "小票号",
        "时间",
        "餐次",
        "就餐人",
        "收款（元，退款前）",
        "已退（元）",
        "净额（元）",
        "付款",
    ]
    assert sorted(r[0] for r in rows[1:]) == sorted(Sale.objects.values_list("number", flat=True))
    assert {(r[3], r[4], r[5], r[6], r[7]) for r in rows[1:]} == {
        ("散客 × 1", Decimal("12"), Decimal("0"), Decimal("12"), "现金")
    }


def test_outsider_gets_404_and_anonymous_goes_to_log_in(client: Client, shop: Shop) -> None:
    response = client.get(url(shop, "sales"), {"format": "xlsx"})
    assert response.status_code == 302
    outsider = staff_user(
        area_chain("640106002", name="别处")["community"], role=Role.SOCIAL_ENTERPRISE_STAFF
    )
    client.force_login(outsider)
    assert client.get(url(shop, "sales"), {"format": "xlsx"}).status_code == 404


def test_export_queries_do_not_grow_with_rows(
    client: Client, shop: Shop, django_assert_max_num_queries: Any
) -> None:
    client.force_login(shop.cashier)
    for _ in range(4):
        walk_in_sale(client, shop)
    with django_assert_max_num_queries(10):
        rows = table(client.get(url(shop, "sales"), {"format": "xlsx"}), "小票号")
    assert len(rows) == 5


# --- the market's products and stock ------------------------------------------------------


def test_product_export_lists_stock_with_prices_as_numbers(client: Client, shop: Shop) -> None:
    from linli.economy.tests.test_market import make_stall

    stall = make_stall(shop)
    products = reverse("market:products", args=[shop.enterprise.pk])
    client.force_login(shop.cashier)
    assert "format=xlsx" in client.get(products).content.decode()

    rows = table(client.get(products, {"format": "xlsx"}), "货号")

    assert rows[0] == ["货号", "品名", "类别", "生产者", "售价（元）", "单位", "库存", "状态"]
    assert rows[1:] == [
        [
            "BBC-01",
            "八宝茶礼盒",
            stall.tea.get_category_display(),
            "阳光直播团队",
            38,
            "盒",
            3,
            "库存紧张",
        ],
        [
            "HZ-02",
            "灵武长枣",
            stall.dates.get_category_display(),
            "马大叔",
            Decimal("12.5"),
            "斤",
            40,
            None,
        ],
    ]
    outsider = staff_user(shop.community, role=Role.MICRO_GRID_WORKER)
    client.force_login(outsider)
    assert client.get(products, {"format": "xlsx"}).status_code == 404
