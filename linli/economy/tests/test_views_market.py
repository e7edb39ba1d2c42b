"""The market pages: permissions, forms with bad input, the batch upload, the export."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.economy import market
from linli.economy.forms_market import payout_method_for
from linli.economy.models import (
    EventKind,
    MarketEvent,
    ProducerPayout,
    Product,
    ProductSale,
    StockMove,
)
from linli.economy.tests.conftest import Shop, at_local
from linli.economy.tests.test_market import Stall, make_stall
from linli.people.models import Role
from linli.testing.factories import staff_user


@pytest.fixture
def stall(shop: Shop) -> Stall:
    return make_stall(shop)


@pytest.fixture
def client_in(stall: Stall, client: Client) -> Client:
    client.force_login(stall.shop.cashier)
    return client


def url(name: str, stall: Stall, *args: int) -> str:
    return reverse(f"market:{name}", args=[stall.shop.enterprise.pk, *args])


def sell(stall: Stall, quantity: int = 2) -> ProductSale:
    return market.sell_products(
        stall.shop.enterprise,
        [(stall.tea, quantity)],
        channel="counter",
        payment="cash",
        by=stall.by,
    )


def test_anonymous_goes_to_log_in(stall: Stall, client: Client) -> None:
    response = client.get(url("products", stall))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", ["products", "producers", "sell", "events", "sales"])
def test_outsiders_get_404(stall: Stall, client: Client, name: str) -> None:
    # a grid worker of the same community is not the enterprise's staff
    outsider = staff_user(stall.shop.community, role=Role.MICRO_GRID_WORKER)
    client.force_login(outsider)
    assert client.get(url(name, stall)).status_code == 404


def test_products_page_marks_low_stock_in_text(stall: Stall, client_in: Client) -> None:
    response = client_in.get(url("products", stall))
    text = response.content.decode()
    assert response.status_code == 200
    assert "八宝茶礼盒" in text and "38.00 元/盒" in text
    assert "⚠ 库存紧张" in text  # 3 boxes < 5


def test_add_product_with_bad_price_writes_nothing(stall: Stall, client_in: Client) -> None:
    data = {
        "code": "XJ-9",
        "name": "香囊",
        "category": "handicraft",
        "unit": "个",
        "price": "12.345",
        "producer": stall.team.pk,
    }
    response = client_in.post(url("product_new", stall), data)
    assert response.status_code == 400
    assert "金额最多两位小数" in response.content.decode()
    assert not Product.objects.filter(code="XJ-9").exists()
    data["price"] = "12.5"
    assert client_in.post(url("product_new", stall), data).status_code == 302
    assert Product.objects.get(code="XJ-9").price_fen == 1250


def test_receive_and_count_forms(stall: Stall, client_in: Client) -> None:
    bad = client_in.post(url("receive", stall), {"product": stall.tea.pk, "quantity": "0"})
    assert bad.status_code == 400 and "入库数量不能小于 1" in bad.content.decode()
    client_in.post(url("receive", stall), {"product": stall.tea.pk, "quantity": "7"})
    stall.tea.refresh_from_db()
    assert stall.tea.stock == 10
    bad = client_in.post(url("count", stall), {"product": stall.tea.pk, "counted": "-1"})
    assert bad.status_code == 400
    client_in.post(url("count", stall), {"product": stall.tea.pk, "counted": "8", "reason": "盘点"})
    stall.tea.refresh_from_db()
    assert stall.tea.stock == 8


def test_sell_form_oversell_is_shown_and_nothing_written(stall: Stall, client_in: Client) -> None:
    data = {"channel": "counter", "payment": "cash", "product_0": stall.tea.pk, "quantity_0": "5"}
    response = client_in.post(url("sell", stall), data)
    assert response.status_code == 400
    assert "“八宝茶礼盒”库存只有 3 盒，不能卖 5 盒" in response.content.decode()
    assert not ProductSale.objects.exists()
    stall.tea.refresh_from_db()
    assert stall.tea.stock == 3


def test_sell_form_bad_rows_and_payment(stall: Stall, client_in: Client) -> None:
    response = client_in.post(
        url("sell", stall), {"channel": "counter", "payment": "cash", "product_0": stall.tea.pk}
    )
    assert response.status_code == 400 and "请填写数量" in response.content.decode()
    response = client_in.post(
        url("sell", stall),
        {"channel": "counter", "payment": "qr", "product_0": stall.tea.pk, "quantity_0": "1"},
    )
    assert response.status_code == 400 and "支付流水号" in response.content.decode()
    response = client_in.post(url("sell", stall), {"channel": "counter", "payment": "cash"})
    assert response.status_code == 400 and "请至少选择一件商品" in response.content.decode()
    assert not ProductSale.objects.exists()


def test_sell_form_good_sale_goes_to_the_receipt(stall: Stall, client_in: Client) -> None:
    data = {
        "channel": "counter",
        "payment": "cash",
        "product_0": stall.tea.pk,
        "quantity_0": "1",
        "product_1": stall.dates.pk,
        "quantity_1": "2",
    }
    response = client_in.post(url("sell", stall), data, follow=True)
    sale = ProductSale.objects.get()
    assert sale.total_fen == 3800 + 2500
    assert sale.number in response.content.decode()


def test_return_and_refund_forms_refuse_too_much(stall: Stall, client_in: Client) -> None:
    sale = sell(stall)
    line = sale.lines.get()
    response = client_in.post(
        url("sale_return", stall, sale.pk), {f"line_{line.pk}": "3", "reason": "不要了"}
    )
    assert response.status_code == 400 and "最多还能退 2 盒" in response.content.decode()
    response = client_in.post(
        url("sale_refund", stall, sale.pk), {"amount": "76.01", "reason": "让利"}
    )
    assert response.status_code == 400
    assert "退款 76.01 元超过可退的 76.00 元" in response.content.decode()
    response = client_in.post(url("sale_refund", stall, sale.pk), {"amount": "abc", "reason": "x"})
    assert response.status_code == 400
    sale.refresh_from_db()
    assert sale.refunded_fen == 0
    client_in.post(url("sale_return", stall, sale.pk), {f"line_{line.pk}": "1", "reason": "破损"})
    sale.refresh_from_db()
    assert sale.refunded_fen == 3800
    page = client_in.get(url("sale", stall, sale.pk)).content.decode()
    assert f"{sale.number} 退货：破损" in page


def test_pay_form_and_second_payout(stall: Stall, client_in: Client) -> None:
    sell(stall, 3)
    data = {"up_to": f"{timezone.localdate():%Y-%m-%d}", "method": "银行转账", "reference": ""}
    response = client_in.post(url("pay", stall, stall.team.pk), data)
    assert response.status_code == 400 and "转账流水号" in response.content.decode()
    data["reference"] = "BANK0001"
    assert client_in.post(url("pay", stall, stall.team.pk), data).status_code == 302
    assert ProducerPayout.objects.get().amount_fen == 7980
    response = client_in.post(url("pay", stall, stall.team.pk), data)
    assert response.status_code == 400 and "没有待结算的分成" in response.content.decode()
    page = client_in.get(url("producers", stall)).content.decode()
    assert "79.80 元" in page


def test_event_form_end_before_start(stall: Stall, client_in: Client) -> None:
    data = {
        "kind": "doorstep",
        "title": "集市",
        "place": "广场",
        "starts_at": "2026-11-29T10:00",
        "ends_at": "2026-11-29T09:00",
    }
    response = client_in.post(url("events", stall), data)
    assert response.status_code == 400 and "结束时间必须晚于开始时间" in response.content.decode()
    assert not MarketEvent.objects.exists()


def test_batch_upload_lists_bad_rows_and_writes_nothing(stall: Stall, client_in: Client) -> None:
    day = timezone.localdate()
    stream = MarketEvent.objects.create(
        enterprise=stall.shop.enterprise,
        kind=EventKind.LIVESTREAM,
        title="助农直播",
        place="抖音",
        starts_at=at_local(day, 19),
        ends_at=at_local(day, 21),
    )
    moves = StockMove.objects.count()
    bad = "平台订单号,货号,数量,单价（元）\r\nA1,BBC-01,1,38\r\nA2,XX,1,38\r\n".encode()
    upload = SimpleUploadedFile("orders.csv", bad, content_type="text/csv")
    response = client_in.post(url("event_import", stall, stream.pk), {"file": upload})
    text = response.content.decode()
    assert response.status_code == 400
    assert "第 3 行：货号“XX”不是本企业的商品" in text
    assert not ProductSale.objects.exists() and StockMove.objects.count() == moves
    good = SimpleUploadedFile("orders.csv", bad.replace(b"XX", b"HZ-02"))
    response = client_in.post(url("event_import", stall, stream.pk), {"file": good}, follow=True)
    assert "已导入 2 个订单" in response.content.decode()
    assert ProductSale.objects.filter(event=stream).count() == 2
    response = client_in.post(url("event_import", stall, stream.pk), {})
    assert response.status_code == 400 and "请选择文件" in response.content.decode()


def test_sales_export_opens_with_the_sale(stall: Stall, client_in: Client) -> None:
    sale = sell(stall)
    day = f"{timezone.localdate():%Y-%m-%d}"
    response = client_in.get(url("sales_export", stall), {"start": day, "end": day})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for row in book["销售明细"].iter_rows(values_only=True) for c in row]
    assert sale.number in cells and "76.00 元" in cells
    page = client_in.get(url("sales", stall), {"start": day, "end": "2000-01-01"})
    assert page.status_code == 400 and "结束日期不能早于开始日期" in page.content.decode()


def event(stall: Stall, kind: str, title: str, start_h: float, end_h: float) -> MarketEvent:
    """An event from ``start_h`` to ``end_h`` hours from now."""
    now = timezone.now()
    return MarketEvent.objects.create(
        enterprise=stall.shop.enterprise,
        kind=kind,
        title=title,
        place="3号楼前",
        starts_at=now + dt.timedelta(hours=start_h),
        ends_at=now + dt.timedelta(hours=end_h),
    )


def options(html: str, name: str) -> list[str]:
    """The option texts of the select ``name`` in ``html``."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_sell_form_offers_running_markets_and_livestreams_only(
    stall: Stall, client_in: Client
) -> None:
    event(stall, EventKind.DOORSTEP, "昨天的集市", -26, -22)
    event(stall, EventKind.DOORSTEP, "明天的集市", 22, 26)
    stream = event(stall, EventKind.LIVESTREAM, "上月直播", -24 * 40, -24 * 40 + 2)
    html = client_in.get(url("sell", stall)).content.decode()
    assert options(html, "event") == [
        "请选择（门店柜台不选）",
        f"直播带货 · 上月直播 · {timezone.localtime(stream.starts_at):%Y-%m-%d %H:%M}–"
        f"{timezone.localtime(stream.ends_at):%H:%M}",
    ]
    assert 'id="no-market"' in html and "现在没有正在进行的家门口集市" in html
    fair = event(stall, EventKind.DOORSTEP, "今天的集市", -1, 2)
    html = client_in.get(url("sell", stall) + f"?channel=doorstep&event={fair.pk}").content.decode()
    choices = options(html, "event")
    assert len(choices) == 3 and choices[1].startswith("家门口集市 · 今天的集市 · ")
    assert f'<option value="{fair.pk}" selected>' in html
    assert 'id="no-market"' not in html


def test_sell_form_refuses_a_market_that_has_ended(stall: Stall, client_in: Client) -> None:
    past = event(stall, EventKind.DOORSTEP, "昨天的集市", -26, -22)
    data = {
        "channel": "doorstep",
        "event": past.pk,
        "payment": "cash",
        "product_0": stall.tea.pk,
        "quantity_0": "1",
    }
    response = client_in.post(url("sell", stall), data)
    assert response.status_code == 400
    assert "这个场次已结束或不属于本企业" in response.content.decode()
    assert not ProductSale.objects.exists()
    page = client_in.get(url("event", stall, past.pk)).content.decode()
    assert "在本集市收款" not in page and "本集市现在不在进行中" in page


def test_market_selects_say_please_choose(stall: Stall, client_in: Client) -> None:
    for name in ("products", "sell"):
        html = client_in.get(url(name, stall)).content.decode()
        assert "---------" not in html, name
        assert ">请选择</option>" in html, name
    products = client_in.get(url("products", stall)).content.decode()
    assert options(products, "producer")[0] == "请选择"
    assert options(products, "product")[0] == "请选择"


@pytest.mark.parametrize(
    "payee, method",
    [
        ("微信转账", "微信转账"),
        ("微信 13800000000", "微信转账"),
        ("支付宝 ma@example.cn", "支付宝转账"),
        ("银行卡 工行 6222…", "银行转账"),
        ("现金，月底来取", "现金"),
        ("微信或支付宝", "微信转账"),
        ("", None),
        ("找马大叔本人", None),
    ],
)
def test_payout_method_for_payee_text(payee: str, method: str | None) -> None:
    assert payout_method_for(payee) == method


def test_pay_form_starts_at_the_producers_payee_method(stall: Stall, client_in: Client) -> None:
    stall.team.payee = "微信转账"
    stall.team.save()
    sell(stall)
    market.sell_products(
        stall.shop.enterprise, [(stall.dates, 2)], channel="counter", payment="cash", by=stall.by
    )
    html = client_in.get(url("producers", stall)).content.decode()
    team = html.split(f'id="producer-{stall.team.pk}"')[1].split("</section>")[0]
    farmer = html.split(f'id="producer-{stall.farmer.pk}"')[1].split("</section>")[0]
    assert '<option value="微信转账" selected>' in team
    assert '<option value="现金" selected>' in farmer  # no payee: cash as before


def test_producers_page_owed_in_a_fixed_number_of_queries(stall: Stall, client_in: Client) -> None:
    sell(stall)
    with CaptureQueriesContext(connection) as few:
        html = client_in.get(url("producers", stall)).content.decode()
    assert f"{market.owed(stall.team, timezone.localdate()).total_fen / 100:.2f} 元" in html
    assert "53.20 元" in html  # 2 × 38.00 × 70 %
    for n in range(5):
        market.add_producer(stall.shop.enterprise, kind="farmer", name=f"农户{n}", share_bp=5000)
    with CaptureQueriesContext(connection) as many:
        assert client_in.get(url("producers", stall)).status_code == 200
    assert len(many) == len(few)


def test_pages_render_for_staff(stall: Stall, client_in: Client) -> None:
    sale = sell(stall)
    fair = event(stall, EventKind.DOORSTEP, "周末集市", -1, 1)
    pages = {
        url("sell", stall) + f"?channel=doorstep&event={fair.pk}": "特产收款",
        url("sales", stall): sale.number,
        url("sale", stall, sale.pk): "部分退款（不退货）",
        url("event", stall, fair.pk): "在本集市收款",
        url("events", stall): "周末集市",
        url("producers", stall): "阳光直播团队",
        reverse("market:home"): "商品与库存",
    }
    for address, expected in pages.items():
        response = client_in.get(address, follow=True)
        assert response.status_code == 200, address
        assert expected in response.content.decode(), address


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_market_pages_pass_axe_in_a_browser(
    shop: Shop, live_server: Any, page: Any, login: Any, axe_check: Any
) -> None:
    stall = make_stall(shop)
    sale = sell(stall)
    login(page, live_server.url, shop.cashier)
    problems = {}
    for name in ("products", "sell", "producers", "sales", "events"):
        page.goto(live_server.url + url(name, stall))
        problems[name] = axe_check(page)
    page.goto(live_server.url + url("sale", stall, sale.pk))
    problems["sale"] = axe_check(page)
    assert page.locator("#total").inner_text() == "76.00 元"
    assert all(found == [] for found in problems.values()), problems
