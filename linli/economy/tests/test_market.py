"""The market services: stock, sales, returns, refunds, payouts, figures (issue #8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.economy import market
from linli.economy.accounts import close_year
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import (
    EventKind,
    MarketChannel,
    MarketEvent,
    Producer,
    ProducerKind,
    ProducerPayout,
    Product,
    ProductCategory,
    ProductRefund,
    ProductSale,
    ProductSaleLine,
    StockMove,
    StockMoveKind,
)
from linli.economy.tests.conftest import Shop, at_local, noon
from linli.testing.concurrency import race


@dataclass
class Stall:
    shop: Shop
    team: Producer
    farmer: Producer
    tea: Product
    dates: Product

    @property
    def by(self):
        return self.shop.cashier


def make_stall(shop: Shop) -> Stall:
    enterprise = shop.enterprise
    team = market.add_producer(
        enterprise, kind=ProducerKind.LIVESTREAM_TEAM, name="阳光直播团队", share_bp=7000
    )
    farmer = market.add_producer(enterprise, kind=ProducerKind.FARMER, name="马大叔", share_bp=8000)
    tea = market.add_product(
        enterprise,
        producer=team,
        code="BBC-01",
        name="八宝茶礼盒",
        category=ProductCategory.TEA,
        unit="盒",
        price_fen=3800,
    )
    dates = market.add_product(
        enterprise,
        producer=farmer,
        code="HZ-02",
        name="灵武长枣",
        category=ProductCategory.PRODUCE,
        unit="斤",
        price_fen=1250,
    )
    market.receive(tea, 3, by=shop.cashier, reference="首批")
    market.receive(dates, 40, by=shop.cashier)
    return Stall(shop, team, farmer, tea, dates)


@pytest.fixture
def stall(shop: Shop) -> Stall:
    return make_stall(shop)


def counter_sale(stall: Stall, items, **kwargs):
    options = {"channel": MarketChannel.COUNTER, "payment": "cash", "by": stall.by, "at": noon()}
    options.update(kwargs)
    return market.sell_products(stall.shop.enterprise, items, **options)


def test_sale_takes_stock_and_copies_the_share(stall: Stall) -> None:
    sale = counter_sale(stall, [(stall.tea, 2), (stall.dates, 3)])
    assert sale.number == f"SC-{timezone.localdate():%Y%m%d}-0001"
    assert sale.total_fen == 2 * 3800 + 3 * 1250
    stall.tea.refresh_from_db()
    assert stall.tea.stock == 1
    line = sale.lines.get(product=stall.tea)
    assert (line.share_bp, line.producer_share_fen) == (7000, 5320)
    assert StockMove.objects.filter(kind=StockMoveKind.SALE, reference=sale.number).count() == 2


def test_oversell_is_refused_and_nothing_is_written(stall: Stall) -> None:
    moves = StockMove.objects.count()
    with pytest.raises(EconomyError, match="“八宝茶礼盒”库存只有 3 盒，不能卖 5 盒"):
        counter_sale(stall, [(stall.dates, 2), (stall.tea, 5)])
    stall.tea.refresh_from_db()
    stall.dates.refresh_from_db()
    assert (stall.tea.stock, stall.dates.stock) == (3, 40)
    assert not ProductSale.objects.exists()
    assert StockMove.objects.count() == moves


def test_the_same_product_twice_is_one_line_and_counted_together(stall: Stall) -> None:
    with pytest.raises(EconomyError, match="不能卖 4 盒"):
        counter_sale(stall, [(stall.tea, 2), (stall.tea, 2)])
    sale = counter_sale(stall, [(stall.tea, 1), (stall.tea, 2)])
    assert list(sale.lines.values_list("quantity", flat=True)) == [3]


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_must_be_positive(stall: Stall, quantity: int) -> None:
    with pytest.raises(EconomyError, match="正整数"):
        counter_sale(stall, [(stall.tea, quantity)])


def test_qr_needs_a_reference_and_platform_only_for_livestream(stall: Stall) -> None:
    with pytest.raises(EconomyError, match="支付流水号"):
        counter_sale(stall, [(stall.tea, 1)], payment="qr")
    with pytest.raises(EconomyError, match="平台结算"):
        counter_sale(stall, [(stall.tea, 1)], payment="platform")
    with pytest.raises(EconomyError, match="付款方式"):
        counter_sale(stall, [(stall.tea, 1)], payment="bitcoin")
    assert not ProductSale.objects.exists()


def test_doorstep_sale_needs_the_running_market(stall: Stall) -> None:
    day = timezone.localdate()
    fair = MarketEvent.objects.create(
        enterprise=stall.shop.enterprise,
        kind=EventKind.DOORSTEP,
        title="周末家门口集市",
        place="3号楼前",
        starts_at=at_local(day, 9),
        ends_at=at_local(day, 11),
    )
    with pytest.raises(EconomyError, match="家门口集市场次"):
        counter_sale(stall, [(stall.tea, 1)], channel=MarketChannel.DOORSTEP)
    with pytest.raises(EconomyError, match="不在这个时间内"):
        counter_sale(stall, [(stall.tea, 1)], channel=MarketChannel.DOORSTEP, event=fair)
    sale = counter_sale(
        stall, [(stall.tea, 1)], channel=MarketChannel.DOORSTEP, event=fair, at=at_local(day, 10)
    )
    assert sale.event == fair


@pytest.mark.django_db(transaction=True)
def test_two_tills_selling_the_last_units_one_wins_and_stock_never_negative(shop: Shop) -> None:
    stall = make_stall(shop)
    tea = stall.tea

    def sell() -> object:
        product = Product.objects.get(pk=tea.pk)
        return counter_sale(stall, [(product, 2)])

    outcomes = race(sell, sell, expected=(EconomyError,))
    assert outcomes == ["EconomyError", "ok"], (connection.vendor, outcomes)
    tea.refresh_from_db()
    assert tea.stock == 1
    assert ProductSale.objects.count() == 1
    assert StockMove.objects.filter(product=tea, kind=StockMoveKind.SALE).count() == 1


def test_return_puts_stock_back_and_refunds_the_price(stall: Stall) -> None:
    sale = counter_sale(stall, [(stall.tea, 3)])
    line = sale.lines.get()
    refund = market.return_products(sale, [(line, 2)], reason="包装破损", by=stall.by)
    assert refund == 7600
    sale.refresh_from_db()
    line.refresh_from_db()
    stall.tea.refresh_from_db()
    assert (sale.refunded_fen, line.returned, stall.tea.stock) == (7600, 2, 2)
    move = StockMove.objects.get(kind=StockMoveKind.REFUND)
    assert (move.delta, move.reference) == (2, f"{sale.number} 退货：包装破损")


def test_return_more_than_sold_is_refused(stall: Stall) -> None:
    sale = counter_sale(stall, [(stall.tea, 2)])
    line = sale.lines.get()
    market.return_products(sale, [(line, 1)], reason="不要了", by=stall.by)
    with pytest.raises(EconomyError, match="最多还能退 1 盒"):
        market.return_products(sale, [(line, 2)], reason="不要了", by=stall.by)
    line.refresh_from_db()
    stall.tea.refresh_from_db()
    assert (line.returned, stall.tea.stock) == (1, 2)


def test_refund_larger_than_left_is_refused(stall: Stall) -> None:
    sale = counter_sale(stall, [(stall.dates, 2)])
    market.refund_amount(sale, 1000, reason="品相差，让利", by=stall.by)
    with pytest.raises(EconomyError, match=r"退款 15\.01 元超过可退的 15\.00 元"):
        market.refund_amount(sale, 1501, reason="再退", by=stall.by)
    sale.refresh_from_db()
    assert sale.refunded_fen == 1000
    line = sale.lines.get()
    with pytest.raises(EconomyError, match=r"退款 25\.00 元超过可退的 15\.00 元"):
        market.return_products(sale, [(line, 2)], reason="退货", by=stall.by)
    line.refresh_from_db()
    assert line.returned == 0


def test_stock_take_and_receive_bad_input(stall: Stall) -> None:
    with pytest.raises(EconomyError):
        market.receive(stall.tea, 0, by=stall.by)
    with pytest.raises(EconomyError, match="负数"):
        market.adjust(stall.tea, -1, by=stall.by, reason="盘点")
    move = market.adjust(stall.tea, 1, by=stall.by, reason="月底盘点")
    assert move is not None and (move.delta, move.stock_after) == (-2, 1)
    assert market.adjust(stall.tea, 1, by=stall.by, reason="再盘") is None


def test_product_code_unique_and_price_positive(stall: Stall) -> None:
    with pytest.raises(EconomyError, match="货号“bbc-01”已被使用"):
        market.add_product(
            stall.shop.enterprise,
            producer=stall.team,
            code="bbc-01",
            name="另一盒",
            category=ProductCategory.TEA,
            unit="盒",
            price_fen=100,
        )
    with pytest.raises(EconomyError, match="大于 0"):
        market.set_price(stall.tea, 0)


def test_payout_settles_the_lines_and_a_second_finds_nothing(stall: Stall) -> None:
    counter_sale(stall, [(stall.tea, 3)])
    today = timezone.localdate()
    assert market.owed(stall.team, today).total_fen == 3 * 3800 * 7000 // 10000
    payout = market.pay_producer(stall.team, today, method="现金", by=stall.shop.admin)
    assert payout.number == f"FC-{today:%Y%m}-0001"
    assert payout.amount_fen == 7980
    assert market.owed(stall.team, today).total_fen == 0
    with pytest.raises(EconomyError, match="没有待结算的分成"):
        market.pay_producer(stall.team, today, method="现金", by=stall.shop.admin)
    assert ProducerPayout.objects.count() == 1


def test_paid_line_cannot_be_returned_but_money_can_be_refunded(stall: Stall) -> None:
    sale = counter_sale(stall, [(stall.tea, 2)])
    payout = market.pay_producer(
        stall.team, timezone.localdate(), method="微信转账", reference="WX20261129", by=stall.by
    )
    line = sale.lines.get()
    with pytest.raises(Conflict, match="分成已结算，不能退货"):
        market.return_products(sale, [(line, 1)], reason="退", by=stall.by)
    market.refund_amount(sale, 500, reason="让利", by=stall.by)
    payout.refresh_from_db()
    assert payout.amount_fen == 2 * 3800 * 7000 // 10000


def test_payout_up_to_a_date_leaves_later_sales(stall: Stall) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    counter_sale(stall, [(stall.dates, 1)], at=at_local(yesterday, 10))
    counter_sale(stall, [(stall.dates, 2)])
    owed = market.owed(stall.farmer, yesterday)
    assert [line.quantity for line in owed.lines] == [1]
    with pytest.raises(EconomyError, match="流水号"):
        market.pay_producer(stall.farmer, yesterday, method="银行转账", by=stall.by)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 99_999), st.integers(1, 20), st.integers(0, 5)),
        min_size=1,
        max_size=4,
    ),
    share_bp=st.integers(0, 10_000),
)
def test_payout_equals_hand_computed_floor_shares(
    shop: Shop, rows: list[tuple[int, int, int]], share_bp: int
) -> None:
    producer = Producer.objects.create(
        enterprise=shop.enterprise,
        kind=ProducerKind.RESIDENT,
        name=f"居民{Producer.objects.count()}",
        share_bp=share_bp,
    )
    expected = 0
    for price, quantity, back in rows:
        product = market.add_product(
            shop.enterprise,
            producer=producer,
            code=f"P{Product.objects.count()}",
            name="手工鞋垫",
            category=ProductCategory.HANDICRAFT,
            unit="双",
            price_fen=price,
        )
        market.receive(product, quantity, by=shop.cashier)
        sale = market.sell_products(
            shop.enterprise,
            [(product, quantity)],
            channel=MarketChannel.COUNTER,
            payment="cash",
            by=shop.cashier,
            at=noon(),
        )
        returned = min(back, quantity)
        if returned:
            market.return_products(
                sale, [(sale.lines.get(), returned)], reason="退", by=shop.cashier
            )
        expected += price * (quantity - returned) * share_bp // 10_000
    today = timezone.localdate()
    assert market.owed(producer, today).total_fen == expected
    if expected == 0:
        with pytest.raises(EconomyError):
            market.pay_producer(producer, today, method="现金", by=shop.cashier)
    else:
        payout = market.pay_producer(producer, today, method="现金", by=shop.cashier)
        assert payout.amount_fen == expected
        assert not ProductSaleLine.objects.filter(producer=producer, payout__isnull=True).exists()
    assert market.owed(producer, today).total_fen == 0 or expected == 0


def test_figures_by_channel_product_and_producer(stall: Stall) -> None:
    sale = counter_sale(stall, [(stall.tea, 2), (stall.dates, 4)])
    market.return_products(
        sale, [(sale.lines.get(product=stall.dates), 1)], reason="坏", by=stall.by
    )
    today = timezone.localdate()
    figures = market.market_figures(stall.shop.enterprise, today, today)
    (counter,) = figures.by_channel
    assert (counter.label, counter.count, counter.sales_fen, counter.refunded_fen) == (
        "门店柜台",
        1,
        12600,
        1250,
    )
    assert figures.total.net_fen == 11350
    by_producer = {r.label: (r.count, r.sales_fen, r.share_fen) for r in figures.by_producer}
    assert by_producer == {"阳光直播团队": (2, 7600, 5320), "马大叔": (3, 3750, 3000)}
    assert (
        market.market_figures(
            stall.shop.enterprise, today + dt.timedelta(1), today + dt.timedelta(2)
        ).total.count
        == 0
    )


@pytest.mark.django_db(transaction=True)
def test_two_payouts_at_once_pay_the_share_once(shop: Shop) -> None:
    stall = make_stall(shop)
    counter_sale(stall, [(stall.dates, 10)])
    today = timezone.localdate()

    def pay() -> object:
        return market.pay_producer(stall.farmer, today, method="现金", by=shop.admin)

    outcomes = race(pay, pay, expected=(EconomyError,))
    assert outcomes == ["EconomyError", "ok"], (connection.vendor, outcomes)
    assert list(ProducerPayout.objects.values_list("amount_fen", flat=True)) == [
        10 * 1250 * 8 // 10
    ]


def test_every_refund_is_recorded_with_its_reason_and_who(stall: Stall) -> None:
    """Returns and money-only refunds leave a ProductRefund row each."""
    sale = counter_sale(stall, [(stall.tea, 3)])
    line = sale.lines.get()
    market.return_products(sale, [(line, 1)], reason="包装破损", by=stall.by)
    market.refund_amount(sale, 100, reason="少找零", by=stall.by)
    rows = list(
        ProductRefund.objects.order_by("pk").values_list("with_goods", "amount_fen", "reason")
    )
    assert rows == [(True, 3800, "包装破损"), (False, 100, "少找零")]


def test_a_closed_year_takes_no_refund_and_no_back_dated_sale(stall: Stall) -> None:
    """Once a year is closed its figures are frozen: its sales cannot be refunded and no
    sale can be recorded in it."""
    last_year = timezone.localdate().year - 1
    at = at_local(dt.date(last_year, 6, 1), 12)
    sale = counter_sale(stall, [(stall.dates, 2)], at=at)
    close_year(stall.shop.enterprise, last_year, by=stall.shop.admin)
    with pytest.raises(Conflict, match="年度已结账"):
        market.refund_amount(sale, 100, reason="少找零", by=stall.by)
    with pytest.raises(Conflict, match="年度已结账"):
        counter_sale(stall, [(stall.dates, 1)], at=at)
    sale.refresh_from_db()
    assert sale.refunded_fen == 0 and ProductSale.objects.count() == 1
