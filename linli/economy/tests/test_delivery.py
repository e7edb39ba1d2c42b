"""Delivery meals from resident-service meal orders (meal_assist): which orders, idempotence."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from linli.economy.counter import sell
from linli.economy.delivery import record_delivery_meals
from linli.economy.errors import EconomyError
from linli.economy.models import IdentifiedBy, MealSubsidy, PaymentMethod, Sale, SaleChannel
from linli.economy.tests.conftest import Shop, at_local, menu_for, noon, years_ago
from linli.orders.models import Order, OrderChannel, OrderStatus, ServiceType
from linli.people.models import Resident
from linli.testing.factories import ResidentFactory, area_chain

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)

FROZEN_8 = {
    "scheme": "canteen_meal",
    "tier": "优惠价",
    "reason": "优惠价 8 元：年满 60 周岁",
    "subsidies": [{"source": "民政部门老年助餐补贴", "amount_fen": 400, "reason": "年满 60 周岁"}],
}


def meal_order(
    resident: Resident,
    *,
    slot: dt.datetime | None = None,
    placed: dt.datetime | None = None,
    status: str = OrderStatus.ACCEPTED,
    variant: str = "delivery",
    price_fen: int = 800,
    quote: dict[str, Any] | None = None,
) -> Order:
    """A ``meal_assist`` order as the catalogue makes it (price frozen), built with the ORM."""
    household = resident.household
    assert household is not None
    data = FROZEN_8 if quote is None else quote
    return Order.objects.create(
        number=f"FW-TEST-{next(_numbers):04d}",
        service_type=ServiceType.objects.get(code="meal_assist"),
        variant=variant,
        resident=resident,
        household=household,
        building=household.building,
        area=resident.area,
        address="测试小区 1 号楼",
        lat=38.48,
        lng=106.23,
        channel=OrderChannel.SELF,
        slot_start=slot,
        slot_end=slot + dt.timedelta(minutes=30) if slot else None,
        duration_s=900,
        status=status,
        price_fen=price_fen,
        subsidy_fen=sum(s["amount_fen"] for s in data.get("subsidies", [])),
        quote=data,
        placed_at=placed or at_local(noon().date(), 8),
    )


def test_orders_become_one_delivery_sale_each_at_the_frozen_price(shop: Shop) -> None:
    elder = shop.resident(birth_date=years_ago(75))
    order = meal_order(elder, slot=at_local(shop.lunch.date, 11, 30), price_fen=700)
    result = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon())
    assert [s.order_id for s in result.sales] == [order.pk]
    sale = result.sales[0]
    assert (sale.channel, sale.payment, sale.identified_by) == (
        SaleChannel.DELIVERY,
        PaymentMethod.ORDER,
        IdentifiedBy.ORDER,
    )
    assert sale.total_fen == 700
    line = sale.meals.get()
    assert (line.diner, line.tier) == (elder, "优惠价")
    assert list(MealSubsidy.objects.values_list("source", "amount_fen")) == [
        ("民政部门老年助餐补贴", 400)
    ]


def test_running_twice_records_nothing_new(shop: Shop) -> None:
    meal_order(shop.resident(birth_date=years_ago(70)), slot=at_local(shop.lunch.date, 12))
    first = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon())
    second = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon())
    assert (len(first.sales), len(second.sales), second.skipped) == (1, 0, [])
    assert Sale.objects.count() == 1


def test_only_orders_of_this_meal_and_day_are_taken(shop: Shop) -> None:
    day = shop.lunch.date
    lunch = meal_order(shop.resident(), slot=at_local(day, 11, 15))
    dinner = meal_order(shop.resident(), slot=at_local(day, 17, 30))
    meal_order(shop.resident(), slot=at_local(day + dt.timedelta(days=1), 11, 15))
    no_slot_morning = meal_order(shop.resident(), placed=at_local(day, 9))
    no_slot_afternoon = meal_order(shop.resident(), placed=at_local(day, 15))
    got = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon())
    assert {s.order_id for s in got.sales} == {lunch.pk, no_slot_morning.pk}
    got = record_delivery_meals(shop.canteen, shop.dinner, by=shop.cashier, at=noon())
    assert {s.order_id for s in got.sales} == {dinner.pk, no_slot_afternoon.pk}


def test_cancelled_dine_in_and_other_community_orders_are_left_out(shop: Shop) -> None:
    slot = at_local(shop.lunch.date, 11, 30)
    meal_order(shop.resident(), slot=slot, status=OrderStatus.CANCELLED)
    meal_order(shop.resident(), slot=slot, status=OrderStatus.UNFULFILLED)
    meal_order(shop.resident(), slot=slot, variant="dine_in")
    elsewhere = area_chain("640106002", "别处")["micro_grid"]
    meal_order(ResidentFactory(area=elsewhere), slot=slot)
    result = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon())
    assert (result.sales, result.skipped) == ([], [])


def test_diner_who_ate_at_the_counter_is_skipped_with_the_receipt(shop: Shop) -> None:
    diner = shop.resident(name="马秀兰")
    counter = sell(
        shop.canteen,
        shop.lunch,
        diners=[diner],
        identified_by=IdentifiedBy.NAME,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=noon(),
    )
    order = meal_order(diner, slot=at_local(shop.lunch.date, 11, 30))
    result = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon())
    assert result.sales == []
    assert [s.order for s in result.skipped] == [order]
    assert counter.number in result.skipped[0].reason
    assert "马秀兰 已在窗口购买本餐" in result.skipped[0].reason


def test_slot_outside_both_windows_is_reported(shop: Shop) -> None:
    order = meal_order(shop.resident(), slot=at_local(shop.lunch.date, 15))
    result = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon())
    assert [(s.order, s.reason) for s in result.skipped] == [
        (order, "预约时间不在午餐或晚餐时段，请人工核对")
    ]


def test_order_without_canteen_quote_is_priced_by_the_engine(shop: Shop) -> None:
    meal_order(
        shop.resident(birth_date=years_ago(30)), slot=at_local(shop.lunch.date, 12), quote={}
    )
    sale = record_delivery_meals(shop.canteen, shop.lunch, by=shop.cashier, at=noon()).sales[0]
    assert sale.total_fen == 1200


def test_delivery_for_a_menu_of_a_later_day(shop: Shop) -> None:
    tomorrow = menu_for(shop.canteen, shop.lunch.date + dt.timedelta(days=1))
    order = meal_order(shop.resident(), slot=at_local(tomorrow.date, 11, 30))
    result = record_delivery_meals(shop.canteen, tomorrow, by=shop.cashier, at=noon())
    assert [s.order_id for s in result.sales] == [order.pk]


def test_menu_of_another_canteen_is_refused(shop: Shop) -> None:
    from linli.economy.models import Canteen

    other = Canteen.objects.create(
        enterprise=shop.enterprise, line=shop.canteen.line, name="二食堂"
    )
    with pytest.raises(EconomyError, match="不属于这个食堂"):
        record_delivery_meals(other, shop.lunch, by=shop.cashier)
