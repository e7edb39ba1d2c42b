"""Daily menus of the canteen: lunch and dinner, their dishes and the standard combination.

A published menu must offer the standard combination (一荤一素: at least one meat and one
vegetable dish) — that is what the ``canteen_meal`` scheme prices (社区报告: 8 yuan for
residents 60+, disabled or on dibao, 12 yuan for others). Once meals were sold on a menu
its dishes may still be corrected, but it may no longer be deleted or unpublished: the
receipts and the subsidy claim refer to it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from linli.economy.counter import price
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import Canteen, Dish, DishKind, Meal, Menu, Sale
from linli.eligibility.conditions import describe
from linli.eligibility.engine import tier_specs
from linli.eligibility.money import yuan

#: Longest dish name and portion (the model's field lengths).
NAME_MAX = 50
PORTION_MAX = 30
NOTE_MAX = 200
#: A menu has at most this many dishes (a canteen board, not a restaurant card).
DISHES_MAX = 30
#: Lunch before dinner wherever menus are listed.
MEAL_ORDER = {Meal.LUNCH.value: 0, Meal.DINNER.value: 1}


@dataclasses.dataclass(frozen=True)
class DishSpec:
    """One dish as entered: ``kind`` a :class:`DishKind` value, ``portion`` in words
    (``150 克``, ``1 碗``)."""

    kind: str
    name: str
    portion: str = ""


def _clean_dishes(dishes: list[DishSpec]) -> list[DishSpec]:
    if len(dishes) > DISHES_MAX:
        raise EconomyError(f"一份菜单最多 {DISHES_MAX} 道菜", field="dishes")
    cleaned = []
    for number, spec in enumerate(dishes, start=1):
        name = (spec.name or "").strip()
        portion = (spec.portion or "").strip()
        if spec.kind not in DishKind.values:
            raise EconomyError(
                f"第 {number} 道菜的类别无效，请选择荤菜、素菜、主食或汤", field="dishes"
            )
        if not name:
            raise EconomyError(f"第 {number} 道菜请填写菜名", field="dishes")
        if len(name) > NAME_MAX:
            raise EconomyError(f"菜名“{name[:10]}…”超过 {NAME_MAX} 个字", field="dishes")
        if len(portion) > PORTION_MAX:
            raise EconomyError(f"“{name}”的份量超过 {PORTION_MAX} 个字", field="dishes")
        cleaned.append(DishSpec(spec.kind, name, portion))
    return cleaned


def _check_combo(dishes: list[DishSpec]) -> None:
    kinds = {d.kind for d in dishes}
    if DishKind.MEAT not in kinds or DishKind.VEGETABLE not in kinds:
        raise EconomyError(
            "公布的菜单须至少有一道荤菜和一道素菜（一荤一素标准餐）；"
            "还没定好可先不勾选“公布”保存为草稿",
            field="dishes",
        )


def has_sales(menu: Menu) -> bool:
    """Whether any receipt was made on ``menu`` (even one refunded later)."""
    return menu.pk is not None and Sale.objects.filter(menu=menu).exists()


def set_menu(
    canteen: Canteen,
    day: dt.date,
    meal: str,
    *,
    dishes: list[DishSpec],
    note: str = "",
    published: bool = True,
) -> Menu:
    """Create the menu of ``day``'s ``meal`` or replace its dishes, note and publication.

    Dishes are kept in the given order; an existing dish with the same kind and name keeps
    its row (and its food sample); other old dishes are removed.

    Raises:
        EconomyError: a bad meal, kind, empty or too long dish name, too many dishes, or a
            published menu without one meat and one vegetable dish (一荤一素).
        Conflict: unpublishing a menu with sales, or removing a dish already sampled (留样).
    """
    if meal not in Meal.values:
        raise EconomyError("餐次须为午餐或晚餐", field="meal")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise EconomyError(f"备注最多 {NOTE_MAX} 个字", field="note")
    specs = _clean_dishes(list(dishes))
    if published:
        _check_combo(specs)
    with transaction.atomic():
        menu, _ = Menu.objects.select_for_update().get_or_create(
            canteen=canteen, date=day, meal=meal, defaults={"published": published, "note": note}
        )
        if not published and menu.published and has_sales(menu):
            raise Conflict("这份菜单已经售出餐品，不能取消公布", field="published")
        _replace_dishes(menu, specs)
        menu.published, menu.note = published, note
        menu.save(update_fields=["published", "note", "updated_at"])
    return menu


def _replace_dishes(menu: Menu, specs: list[DishSpec]) -> None:
    old = {(d.kind, d.name): d for d in menu.dishes.all()}
    kept: set[int] = set()
    for order, spec in enumerate(specs):
        dish = old.pop((spec.kind, spec.name), None)
        if dish is None:
            dish = Dish.objects.create(
                menu=menu, kind=spec.kind, name=spec.name, portion=spec.portion, order=order
            )
        elif (dish.portion, dish.order) != (spec.portion, order):
            dish.portion, dish.order = spec.portion, order
            dish.save(update_fields=["portion", "order"])
        kept.add(dish.pk)
    gone = [d for d in old.values() if d.pk not in kept]
    sampled = [d.name for d in gone if d.samples.exists()]
    if sampled:
        raise Conflict(f"“{'、'.join(sampled)}”已留样，不能从菜单中删除", field="dishes")
    Dish.objects.filter(pk__in=[d.pk for d in gone]).delete()


def delete_menu(menu: Menu) -> None:
    """Delete a menu that nothing was sold on.

    Raises:
        Conflict: meals were sold on it, or one of its dishes was sampled.
    """
    with transaction.atomic():
        locked = Menu.objects.select_for_update().get(pk=menu.pk)
        if has_sales(locked):
            raise Conflict("这份菜单已经售出餐品，不能删除")
        if Dish.objects.filter(menu=locked, samples__isnull=False).exists():
            raise Conflict("这份菜单的菜品已留样，不能删除")
        locked.dishes.all().delete()
        locked.delete()


def copy_menu(source_menu: Menu, day: dt.date, meal: str) -> Menu:
    """Copy ``source_menu``'s dishes, note and publication to ``day``'s ``meal`` of the same
    canteen ("same as last Monday"), replacing what that menu had.

    Raises:
        EconomyError: copying a menu onto itself, or what :func:`set_menu` raises.
    """
    if (source_menu.date, source_menu.meal) == (day, meal):
        raise EconomyError("不能把菜单复制到它自己", field="source")
    specs = [DishSpec(d.kind, d.name, d.portion) for d in source_menu.dishes.all()]
    published = source_menu.published and bool(specs)
    return set_menu(
        source_menu.canteen, day, meal, dishes=specs, note=source_menu.note, published=published
    )


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def week_menus(canteen: Canteen, monday: dt.date) -> dict[tuple[dt.date, str], Menu | None]:
    """The menus of the week starting at ``monday`` (another day is moved back to its
    Monday): keys ``(date, meal)`` Monday lunch first to Sunday dinner, ``None`` where no
    menu is set; dishes prefetched; two queries."""
    start = week_of(monday)
    days = [start + dt.timedelta(days=n) for n in range(7)]
    found = {
        (m.date, m.meal): m
        for m in canteen.menus.filter(date__range=(days[0], days[-1])).prefetch_related("dishes")
    }
    return {(d, meal): found.get((d, meal)) for d in days for meal in (Meal.LUNCH, Meal.DINNER)}


def standard_combo(menu: Menu) -> tuple[list[str], list[str]]:
    """The names of the meat dishes and of the vegetable dishes (一荤一素 chosen from them);
    uses prefetched dishes when there are."""
    dishes = list(menu.dishes.all())
    meat = [d.name for d in dishes if d.kind == DishKind.MEAT]
    vegetables = [d.name for d in dishes if d.kind == DishKind.VEGETABLE]
    return meat, vegetables


def combo_words(meat: list[str], vegetables: list[str]) -> str:
    """The standard combination in words for the board: ``荤菜：黄焖鸡；素菜：家常豆腐`` when
    each kind has one dish, ``荤菜任选其一：A、B`` for a kind with several; ``""`` when a
    kind has none (no standard combination)."""
    if not meat or not vegetables:
        return ""

    def part(kind: str, names: list[str]) -> str:
        if len(names) == 1:
            return f"{kind}：{names[0]}"
        return f"{kind}任选其一：{'、'.join(names)}"

    return f"{part('荤菜', meat)}；{part('素菜', vegetables)}"


#: A label's parenthesised part that shows a fact (``（{age} 岁）``): left out of a price list.
_FACT_IN_LABEL = re.compile(r"[（(][^（()）]*\{[^}]*\}[^（()）]*[)）]")


def who_words(condition: Mapping[str, Any], subject_kind: str) -> str:
    """Who a tier's condition admits, in words for a price board: the labels of an
    "any of" list joined by ``、`` (``年满 60 周岁、残疾人、低保对象``), else the engine's
    description (:func:`~linli.eligibility.conditions.describe`); ``""`` for no condition."""
    if condition.get("any"):
        return "、".join(who_words(child, subject_kind) for child in condition["any"])
    label = _FACT_IN_LABEL.sub("", str(condition.get("label") or "")).strip()
    if label and "{" not in label:
        return label
    words = describe(condition, subject_kind)
    return "" if words in ("无条件", "永不") else words.removeprefix("（").removesuffix("）")


def menu_prices(canteen: Canteen, menu: Menu) -> list[str]:
    """The standard combination's prices in words for the board, one per tier of the
    canteen's scheme valid on the menu's date (e.g. ``优惠价 8.00 元（年满 60 周岁、残疾人、
    低保对象）``, ``标准价 12.00 元``), then the walk-in list price when it differs from
    every tier.

    Raises:
        EconomyError: the canteen's scheme is missing or inactive.
    """
    from linli.eligibility.models import Scheme

    walk_in = price(canteen, menu, None)
    scheme = Scheme.objects.get(code=walk_in.scheme_code)
    words = []
    prices = set()
    for tier in tier_specs(scheme):
        if not tier.valid_on(menu.date) or tier.price_fen is None:
            continue
        prices.add(tier.price_fen)
        shown = who_words(tier.condition, scheme.subject_kind)
        who = f"（{shown}）" if shown else ""
        words.append(f"{tier.name} {yuan(tier.price_fen)}{who}")
    if walk_in.price_fen not in prices:
        words.append(f"散客 {yuan(walk_in.price_fen)}")
    return words
