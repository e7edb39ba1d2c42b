"""Food samples (留样) of the canteen's dishes.

Rule (《餐饮服务食品安全操作规范》2018, 6.6): every dish served is sampled, at least
125 g per dish, kept refrigerated for at least 48 hours, recorded with who took it, when
and where it is kept; it is thrown away only after the 48 hours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from linli.common.windows import local
from linli.economy.errors import Conflict, EconomyError
from linli.economy.menus import MEAL_ORDER
from linli.economy.models import Canteen, Dish, FoodSample

#: The least weight of one sample (grams), 《餐饮服务食品安全操作规范》6.6.
MIN_WEIGHT_G = 125
#: The most we accept (grams): a typing slip, not a sample.
MAX_WEIGHT_G = 2000
#: How long a sample is kept at least, 《餐饮服务食品安全操作规范》6.6.
KEEP = dt.timedelta(hours=48)
NAME_MAX = 50


def _who(by: Any, field: str) -> str:
    name = by if isinstance(by, str) else (by.get_full_name() or by.get_username())
    name = name.strip()
    if not name:
        raise EconomyError("请填写经手人姓名", field=field)
    if len(name) > NAME_MAX:
        raise EconomyError(f"姓名最多 {NAME_MAX} 个字", field=field)
    return name


def take_sample(
    dish: Dish,
    *,
    weight_g: int,
    taken_by: Any,
    fridge: str = "",
    at: dt.datetime | None = None,
) -> FoodSample:
    """Record the sample of ``dish``: ``weight_g`` grams taken by ``taken_by`` (a name or a
    user) at ``at`` (default now), kept in ``fridge``; ``keep_until`` = ``at`` + 48 h.

    Raises:
        EconomyError: under 125 g (or over 2000 g), no name, a dish of a menu whose day
            has not come yet.
        Conflict: the dish already has its sample.
    """
    at = at or timezone.now()
    if weight_g is None or weight_g < MIN_WEIGHT_G:
        raise EconomyError(
            f"留样量不足 {MIN_WEIGHT_G} 克（《餐饮服务食品安全操作规范》6.6）", field="weight_g"
        )
    if weight_g > MAX_WEIGHT_G:
        raise EconomyError(f"留样量最多 {MAX_WEIGHT_G} 克，请核对", field="weight_g")
    name = _who(taken_by, "taken_by")
    fridge = (fridge or "").strip()
    if len(fridge) > NAME_MAX:
        raise EconomyError(f"冰箱名称最多 {NAME_MAX} 个字", field="fridge")
    if dish.menu.date > local(at).date():
        raise EconomyError(
            f"这道菜是 {dish.menu.date:%Y-%m-%d} 的，还没有出餐，不能留样", field="dish"
        )
    if FoodSample.objects.filter(dish=dish).exists():
        raise Conflict(f"“{dish.name}”已经留样", field="dish")
    try:
        with transaction.atomic():
            return FoodSample.objects.create(
                dish=dish,
                weight_g=weight_g,
                taken_at=at,
                taken_by=name,
                fridge=fridge,
                keep_until=at + KEEP,
            )
    except IntegrityError:
        raise Conflict(f"“{dish.name}”刚刚已由他人留样", field="dish") from None


def discard_sample(sample: FoodSample, *, by: Any, at: dt.datetime | None = None) -> FoodSample:
    """Record that ``sample`` was thrown away by ``by`` (a name or a user) at ``at``.

    Raises:
        EconomyError: before ``keep_until`` (the message names it), no name.
        Conflict: already discarded.
    """
    at = at or timezone.now()
    name = _who(by, "by")
    with transaction.atomic():
        locked = FoodSample.objects.select_for_update().get(pk=sample.pk)
        if locked.discarded_at is not None:
            raise Conflict(f"这份留样已于 {local(locked.discarded_at):%m-%d %H:%M} 销毁")
        if at < locked.keep_until:
            raise EconomyError(f"留样须保存满 48 小时（至 {local(locked.keep_until):%m-%d %H:%M}）")
        locked.discarded_at, locked.discarded_by = at, name
        locked.save(update_fields=["discarded_at", "discarded_by"])
    sample.discarded_at, sample.discarded_by = at, name
    return locked


def _dishes_of_day(canteen: Canteen, day: dt.date) -> QuerySet[Dish]:
    return Dish.objects.filter(menu__canteen=canteen, menu__date=day, menu__published=True)


def _served_order(dishes: list[Dish]) -> list[Dish]:
    return sorted(dishes, key=lambda d: (MEAL_ORDER.get(d.menu.meal, 9), d.order, d.pk))


def missing_samples(canteen: Canteen, day: dt.date) -> list[Dish]:
    """Dishes of ``day``'s published menus without a sample, lunch first, in menu order."""
    dishes = _dishes_of_day(canteen, day).filter(samples__isnull=True).select_related("menu")
    return _served_order(list(dishes))


def day_dishes(canteen: Canteen, day: dt.date) -> list[Dish]:
    """Dishes of ``day``'s published menus with their sample prefetched (``samples``),
    lunch first."""
    dishes = _dishes_of_day(canteen, day).select_related("menu").prefetch_related("samples")
    return _served_order(list(dishes))


def due_for_discard(canteen: Canteen, at: dt.datetime) -> list[FoodSample]:
    """Samples of ``canteen`` kept 48 hours by ``at`` and not yet thrown away, oldest first."""
    return list(
        FoodSample.objects.filter(
            dish__menu__canteen=canteen, keep_until__lte=at, discarded_at__isnull=True
        )
        .select_related("dish__menu")
        .order_by("keep_until", "pk")
    )
