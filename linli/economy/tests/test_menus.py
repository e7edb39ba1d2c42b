"""Menus: the standard combination on published menus, sold menus stay, copying, prices."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.economy.counter import sell
from linli.economy.errors import Conflict, EconomyError
from linli.economy.menus import (
    DishSpec,
    combo_words,
    copy_menu,
    delete_menu,
    menu_prices,
    set_menu,
    standard_combo,
    week_menus,
    who_words,
)
from linli.economy.models import DishKind, FoodSample, IdentifiedBy, Meal, Menu, PaymentMethod
from linli.economy.tests.conftest import Shop, noon

pytestmark = pytest.mark.django_db

MEAT = DishSpec(DishKind.MEAT, "红烧肉", "150 克")
VEG = DishSpec(DishKind.VEGETABLE, "清炒白菜", "150 克")
RICE = DishSpec(DishKind.STAPLE, "米饭", "1 碗")
MONDAY = dt.date(2030, 1, 7)


def test_published_menu_without_a_meat_dish_is_refused_and_nothing_written(shop: Shop) -> None:
    with pytest.raises(EconomyError, match="一荤一素"):
        set_menu(shop.canteen, MONDAY, Meal.LUNCH, dishes=[VEG, RICE])
    assert not Menu.objects.filter(date=MONDAY).exists()


def test_a_draft_may_lack_the_combination(shop: Shop) -> None:
    menu = set_menu(shop.canteen, MONDAY, Meal.LUNCH, dishes=[RICE], published=False)
    assert not menu.published
    assert [d.name for d in menu.dishes.all()] == ["米饭"]


def test_empty_dish_name_is_refused(shop: Shop) -> None:
    with pytest.raises(EconomyError, match="第 2 道菜请填写菜名"):
        set_menu(shop.canteen, MONDAY, Meal.LUNCH, dishes=[MEAT, DishSpec(DishKind.VEGETABLE, " ")])


def test_dish_name_over_50_characters_is_refused(shop: Shop) -> None:
    with pytest.raises(EconomyError, match="超过 50 个字"):
        set_menu(
            shop.canteen, MONDAY, Meal.LUNCH, dishes=[MEAT, DishSpec(DishKind.VEGETABLE, "菜" * 51)]
        )


def test_set_menu_replaces_dishes_in_the_given_order(shop: Shop) -> None:
    set_menu(shop.canteen, MONDAY, Meal.LUNCH, dishes=[MEAT, VEG, RICE])
    menu = set_menu(
        shop.canteen,
        MONDAY,
        Meal.LUNCH,
        dishes=[VEG, DishSpec(DishKind.MEAT, "宫保鸡丁", "120 克")],
    )
    assert [(d.kind, d.name) for d in menu.dishes.all()] == [
        (DishKind.VEGETABLE, "清炒白菜"),
        (DishKind.MEAT, "宫保鸡丁"),
    ]
    assert Menu.objects.filter(date=MONDAY).count() == 1


def _sell_lunch(shop: Shop) -> None:
    sell(
        shop.canteen,
        shop.lunch,
        walk_ins=1,
        identified_by=IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=noon(),
    )


def test_sold_menu_can_be_edited_but_not_unpublished_or_deleted(shop: Shop) -> None:
    _sell_lunch(shop)
    today = shop.lunch.date
    set_menu(shop.canteen, today, Meal.LUNCH, dishes=[MEAT, VEG])  # a correction is fine
    with pytest.raises(Conflict, match="不能取消公布"):
        set_menu(shop.canteen, today, Meal.LUNCH, dishes=[MEAT, VEG], published=False)
    with pytest.raises(Conflict, match="不能删除"):
        delete_menu(shop.lunch)
    shop.lunch.refresh_from_db()
    assert shop.lunch.published


def test_sampled_dish_cannot_be_removed(shop: Shop) -> None:
    dish = shop.lunch.dishes.get(name="土豆烧牛肉")
    FoodSample.objects.create(
        dish=dish, weight_g=150, taken_at=noon(), taken_by="王师傅", keep_until=noon()
    )
    with pytest.raises(Conflict, match="已留样"):
        set_menu(shop.canteen, shop.lunch.date, Meal.LUNCH, dishes=[MEAT, VEG])
    assert shop.lunch.dishes.filter(name="土豆烧牛肉").exists()


def test_unsold_menu_can_be_deleted(shop: Shop) -> None:
    delete_menu(shop.dinner)
    assert not Menu.objects.filter(pk=shop.dinner.pk).exists()


def test_copy_menu_takes_the_dishes_of_last_monday(shop: Shop) -> None:
    source = set_menu(shop.canteen, MONDAY, Meal.LUNCH, dishes=[MEAT, VEG, RICE], note="少盐")
    copy = copy_menu(source, MONDAY + dt.timedelta(days=7), Meal.DINNER)
    assert [d.name for d in copy.dishes.all()] == ["红烧肉", "清炒白菜", "米饭"]
    assert (copy.note, copy.published) == ("少盐", True)
    with pytest.raises(EconomyError, match="复制到它自己"):
        copy_menu(source, MONDAY, Meal.LUNCH)


def test_week_menus_has_fourteen_slots_from_monday(shop: Shop) -> None:
    set_menu(shop.canteen, MONDAY + dt.timedelta(days=2), Meal.DINNER, dishes=[MEAT, VEG])
    week = week_menus(shop.canteen, MONDAY + dt.timedelta(days=3))
    keys = list(week)
    assert len(keys) == 14
    assert keys[0] == (MONDAY, Meal.LUNCH)
    assert keys[-1] == (MONDAY + dt.timedelta(days=6), Meal.DINNER)
    assert week[(MONDAY + dt.timedelta(days=2), Meal.DINNER)] is not None
    assert week[(MONDAY, Meal.LUNCH)] is None


def test_standard_combo_names_meat_and_vegetables(shop: Shop) -> None:
    assert standard_combo(shop.lunch) == (["土豆烧牛肉"], ["清炒油麦菜"])


def test_combo_words_say_choose_only_when_there_is_a_choice() -> None:
    assert combo_words(["黄焖鸡"], ["家常豆腐"]) == "荤菜：黄焖鸡；素菜：家常豆腐"
    assert combo_words(["黄焖鸡", "红烧肉"], ["家常豆腐"]) == (
        "荤菜任选其一：黄焖鸡、红烧肉；素菜：家常豆腐"
    )
    assert combo_words(["黄焖鸡"], ["白菜", "豆腐"]) == "荤菜：黄焖鸡；素菜任选其一：白菜、豆腐"
    assert combo_words([], ["豆腐"]) == ""


def test_who_words_fall_back_to_the_engine_description() -> None:
    condition = {"fact": "age", "op": ">=", "value": 70}
    assert who_words(condition, "resident") == "年龄（周岁） ≥ 70"
    assert who_words({"all": []}, "resident") == ""


def test_menu_prices_show_the_two_tiers_with_their_conditions(shop: Shop) -> None:
    words = menu_prices(shop.canteen, shop.lunch)
    assert words[0] == "优惠价 8.00 元（年满 60 周岁、残疾人、低保对象）"
    assert words[1] == "标准价 12.00 元"
    assert len(words) == 2
