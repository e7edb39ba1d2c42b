"""Food samples (留样): 125 g at least, one per dish, kept 48 hours before discarding."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import FoodSample
from linli.economy.samples import discard_sample, due_for_discard, missing_samples, take_sample
from linli.economy.tests.conftest import Shop, menu_for, noon

pytestmark = pytest.mark.django_db


def test_sample_of_100_grams_is_refused(shop: Shop) -> None:
    dish = shop.lunch.dishes.first()
    with pytest.raises(EconomyError, match="留样量不足 125 克"):
        take_sample(dish, weight_g=100, taken_by="王师傅", at=noon())
    assert not FoodSample.objects.exists()


def test_sample_is_kept_until_48_hours_later(shop: Shop) -> None:
    dish = shop.lunch.dishes.first()
    sample = take_sample(dish, weight_g=125, taken_by="王师傅", fridge="留样冰箱 1", at=noon())
    assert sample.keep_until == noon() + dt.timedelta(hours=48)
    assert (sample.taken_by, sample.fridge) == ("王师傅", "留样冰箱 1")


def test_second_sample_of_a_dish_is_a_conflict(shop: Shop) -> None:
    dish = shop.lunch.dishes.first()
    take_sample(dish, weight_g=150, taken_by="王师傅", at=noon())
    with pytest.raises(Conflict, match="已经留样"):
        take_sample(dish, weight_g=150, taken_by="李师傅", at=noon())


def test_sample_of_a_dish_not_yet_served_is_refused(shop: Shop) -> None:
    tomorrow = menu_for(shop.canteen, shop.lunch.date + dt.timedelta(days=1))
    with pytest.raises(EconomyError, match="还没有出餐"):
        take_sample(tomorrow.dishes.first(), weight_g=150, taken_by="王师傅", at=noon())


def test_sample_needs_who_took_it(shop: Shop) -> None:
    with pytest.raises(EconomyError, match="经手人"):
        take_sample(shop.lunch.dishes.first(), weight_g=150, taken_by="  ", at=noon())


def test_discard_before_48_hours_is_refused_with_the_time(shop: Shop) -> None:
    sample = take_sample(shop.lunch.dishes.first(), weight_g=150, taken_by="王师傅", at=noon())
    with pytest.raises(EconomyError, match="留样须保存满 48 小时（至 "):
        discard_sample(sample, by="王师傅", at=noon() + dt.timedelta(hours=47))
    sample.refresh_from_db()
    assert sample.discarded_at is None


def test_discard_after_48_hours_then_twice_is_a_conflict(shop: Shop) -> None:
    sample = take_sample(shop.lunch.dishes.first(), weight_g=150, taken_by="王师傅", at=noon())
    later = noon() + dt.timedelta(hours=48)
    discard_sample(sample, by=shop.cashier, at=later)
    sample.refresh_from_db()
    assert sample.discarded_at == later
    assert sample.discarded_by == "收银员"
    with pytest.raises(Conflict, match="已于"):
        discard_sample(sample, by="王师傅", at=later)


def test_missing_samples_lists_unsampled_dishes_lunch_first(shop: Shop) -> None:
    lunch_dishes = list(shop.lunch.dishes.all())
    for dish in lunch_dishes[1:]:
        take_sample(dish, weight_g=150, taken_by="王师傅", at=noon())
    missing = missing_samples(shop.canteen, shop.lunch.date)
    assert missing[0] == lunch_dishes[0]
    assert [d.menu for d in missing[1:]] == [shop.dinner] * 4


def test_due_for_discard_after_48_hours_only(shop: Shop) -> None:
    sample = take_sample(shop.lunch.dishes.first(), weight_g=150, taken_by="王师傅", at=noon())
    assert due_for_discard(shop.canteen, noon() + dt.timedelta(hours=47)) == []
    assert due_for_discard(shop.canteen, noon() + dt.timedelta(hours=48)) == [sample]
