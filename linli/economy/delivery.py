"""Delivery meals: the canteen's sales for resident-service meal orders (助餐送餐).

Residents (or family, or staff for them) order the service ``meal_assist`` through the
service catalogue (issue 4); the order is priced there by the canteen's scheme and the
price is frozen on it (``price_fen``, ``subsidy_fen``, ``quote``). Here the canteen turns
the orders of one menu into receipts — one :class:`~linli.economy.models.Sale` per
order (``channel`` delivery, ``payment`` order) — so the meals, subsidies and the
monthly claim count them like counter meals.

Which orders belong to a menu: the service ``meal_assist`` other than the dine-in variant
(堂食预约: the resident eats at the counter, which sells the meal), not cancelled and not
unfulfilled, for a resident of the canteen's community, whose slot starts in the canteen's
lunch or dinner window on the menu's date; an order without a slot counts by when it was
placed: before the end of lunch → lunch, before the end of dinner → dinner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from linli.common.windows import local
from linli.economy.counter import live_meal, sell
from linli.economy.errors import EconomyError
from linli.economy.models import (
    Canteen,
    IdentifiedBy,
    Meal,
    Menu,
    PaymentMethod,
    Sale,
    SaleChannel,
)
from linli.eligibility.engine import Quote, SubsidyLine
from linli.orders.models import Order, OrderStatus

#: The service type of meal orders (seeded by ``orders`` migration 0002).
MEAL_SERVICE = "meal_assist"
#: The variant that is eaten at the canteen, not delivered.
DINE_IN = "dine_in"
#: Orders in these states are not delivered.
NOT_DELIVERED = (OrderStatus.CANCELLED, OrderStatus.UNFULFILLED)


@dataclasses.dataclass(frozen=True)
class Skipped:
    """An order of the menu that was not recorded, and why (Chinese)."""

    order: Order
    reason: str


@dataclasses.dataclass
class DeliveryResult:
    """What :func:`record_delivery_meals` did: ``sales`` made now, ``skipped`` orders."""

    sales: list[Sale] = dataclasses.field(default_factory=list)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)


def _time(value: dt.time | str) -> dt.time:
    # A canteen created in this process keeps the field default ("11:00") as text.
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def meal_of(canteen: Canteen, order: Order) -> tuple[dt.date, str] | None:
    """The (local date, meal) an order is for, or ``None`` when its slot is outside both
    meal windows (or it was placed after dinner)."""
    lunch = (_time(canteen.lunch_start), _time(canteen.lunch_end))
    dinner = (_time(canteen.dinner_start), _time(canteen.dinner_end))
    if order.slot_start is not None:
        moment = local(order.slot_start)
        at = moment.time()
        if lunch[0] <= at < lunch[1]:
            return moment.date(), Meal.LUNCH
        if dinner[0] <= at < dinner[1]:
            return moment.date(), Meal.DINNER
        return None
    moment = local(order.placed_at)
    if moment.time() < lunch[1]:
        return moment.date(), Meal.LUNCH
    if moment.time() < dinner[1]:
        return moment.date(), Meal.DINNER
    return None


def _day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return start, start + dt.timedelta(days=1)


def orders_of_day(canteen: Canteen, day: dt.date) -> list[Order]:
    """Meal orders (not dine-in, not cancelled or unfulfilled) of the canteen's community
    residents whose slot — or, without a slot, placing — is on ``day``, not recorded yet."""
    start, end = _day_range(day)
    when = Q(slot_start__gte=start, slot_start__lt=end) | Q(
        slot_start__isnull=True, placed_at__gte=start, placed_at__lt=end
    )
    path = canteen.enterprise.community.path
    return list(
        Order.objects.filter(when, service_type__code=MEAL_SERVICE, canteen_sale__isnull=True)
        .filter(resident__area__path__startswith=path)
        .exclude(status__in=NOT_DELIVERED)
        .exclude(variant=DINE_IN)
        .select_related("resident")
        .order_by("slot_start", "placed_at", "pk")
    )


def frozen_quote(canteen: Canteen, menu: Menu, order: Order) -> Quote | None:
    """The order's price as it was confirmed, as an engine :class:`Quote`, when the order
    was priced by the canteen's scheme; else ``None`` (the counter prices it afresh)."""
    data = order.quote or {}
    if data.get("scheme") != canteen.scheme_code:
        return None
    subsidies = tuple(
        SubsidyLine(s["source"], int(s["amount_fen"]), s.get("reason", ""))
        for s in data.get("subsidies", [])
    )
    if sum(s.amount_fen for s in subsidies) != order.subsidy_fen:
        return None
    return Quote(
        scheme_code=canteen.scheme_code,
        scheme_name="",
        on=menu.date,
        tier=data.get("tier"),
        tier_id=None,
        price_fen=order.price_fen,
        subsidies=subsidies,
        rules=(),
        reason=str(data.get("reason") or "助餐订单报价")[:200],
    )


def record_delivery_meals(
    canteen: Canteen, menu: Menu, *, by: Any, at: dt.datetime | None = None
) -> DeliveryResult:
    """Record one delivery sale per meal order of ``menu`` not recorded yet (see the
    module), at the order's confirmed price (else the scheme's price on the menu's date),
    paid with the order, cashier ``by``, at ``at`` (default now). Idempotent: a recorded
    order is never recorded again (``Sale.order`` is one-to-one).

    Skipped with a reason: a diner who already has this meal (bought at the counter), an
    order of the day whose time is outside both meal windows, and any order the counter
    refuses (its message).

    Raises:
        EconomyError: a menu of another canteen.
    """
    if menu.canteen_id != canteen.pk:
        raise EconomyError("菜单不属于这个食堂", field="menu")
    at = at or timezone.now()
    result = DeliveryResult()
    for order in orders_of_day(canteen, menu.date):
        slot = meal_of(canteen, order)
        if slot is None:
            result.skipped.append(Skipped(order, "预约时间不在午餐或晚餐时段，请人工核对"))
            continue
        if slot != (menu.date, menu.meal):
            continue
        earlier = live_meal(menu, order.resident)
        if earlier is not None:
            result.skipped.append(
                Skipped(
                    order, f"{order.resident.name} 已在窗口购买本餐（小票 {earlier.sale.number}）"
                )
            )
            continue
        frozen = frozen_quote(canteen, menu, order)
        try:
            sale = sell(
                canteen,
                menu,
                diners=[order.resident],
                identified_by=IdentifiedBy.ORDER,
                payment=PaymentMethod.ORDER,
                cashier=by,
                at=at,
                channel=SaleChannel.DELIVERY,
                order=order,
                prices={order.resident.pk: frozen} if frozen else None,
            )
        except EconomyError as err:
            result.skipped.append(Skipped(order, str(err)))
            continue
        result.sales.append(sale)
    return result
