"""The counter service: pricing by tier, one meal per diner per menu, payments, refunds."""

from __future__ import annotations

import pytest

from linli.economy.counter import find_diners, refund, sell
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import IdentifiedBy, MealLine, MealSubsidy, PaymentMethod, Sale
from linli.economy.tests.conftest import Shop, noon, years_ago
from linli.testing.concurrency import race

pytestmark = pytest.mark.django_db


def cash(shop: Shop, *diners, walk_ins: int = 0) -> Sale:  # type: ignore[no-untyped-def]
    return sell(
        shop.canteen,
        shop.lunch,
        diners=list(diners),
        walk_ins=walk_ins,
        identified_by=IdentifiedBy.NAME if diners else IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=noon(),
    )


def test_turning_60_today_pays_8_and_civil_affairs_owes_4(shop: Shop) -> None:
    diner = shop.resident(birth_date=years_ago(60))
    sale = cash(shop, diner)
    line = sale.meals.get()
    assert (sale.total_fen, line.price_fen, line.list_price_fen) == (800, 800, 1200)
    assert "年满 60 周岁（60 岁）" in line.reason
    assert list(MealSubsidy.objects.values_list("source", "amount_fen")) == [
        ("民政部门老年助餐补贴", 400)
    ]


def test_walk_ins_pay_the_list_price_and_owe_no_subsidy(shop: Shop) -> None:
    sale = cash(shop, walk_ins=2)
    assert sale.total_fen == 2400
    assert not MealSubsidy.objects.exists()


def test_same_diner_twice_on_one_receipt_is_refused_and_nothing_written(shop: Shop) -> None:
    diner = shop.resident()
    with pytest.raises(Conflict, match="已在这张小票上"):
        cash(shop, diner, diner)
    assert not Sale.objects.exists()


def test_second_receipt_for_the_same_meal_names_the_first(shop: Shop) -> None:
    diner = shop.resident()
    first = cash(shop, diner)
    with pytest.raises(Conflict, match=first.number):
        cash(shop, diner)
    assert Sale.objects.count() == 1


def test_refund_larger_than_the_sale_is_refused(shop: Shop) -> None:
    sale = cash(shop, shop.resident())
    with pytest.raises(EconomyError, match=r"超过这张小票可退的 12\.00 元"):
        refund(sale, reason="多收", amount_fen=1201, by=shop.cashier)
    sale.refresh_from_db()
    assert sale.refunded_fen == 0


def test_refunded_meal_can_be_bought_again(shop: Shop) -> None:
    diner = shop.resident(birth_date=years_ago(70))
    sale = cash(shop, diner)
    refund(sale, reason="未取餐", lines=list(sale.meals.all()), by=shop.cashier)
    assert MealLine.objects.get().voided
    cash(shop, diner)
    assert MealLine.objects.filter(voided=False).count() == 1


def test_find_by_phone_and_name(shop: Shop) -> None:
    diner = shop.resident(name="马秀兰", phone="13912340000")
    assert [m.resident for m in find_diners(shop.canteen, "139 1234 0000", on=noon().date())] == [
        diner
    ]
    assert [m.resident for m in find_diners(shop.canteen, "秀兰", on=noon().date())] == [diner]
    with pytest.raises(EconomyError, match="不是有效的手机号"):
        find_diners(shop.canteen, "12345", on=noon().date())


def test_the_same_receipt_token_sells_once(shop: Shop) -> None:
    first = sell(
        shop.canteen,
        shop.lunch,
        walk_ins=2,
        identified_by=IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=noon(),
        receipt_token="tok-1",
    )
    again = sell(
        shop.canteen,
        shop.lunch,
        walk_ins=2,
        identified_by=IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=noon(),
        receipt_token="tok-1",
    )
    assert again.pk == first.pk and Sale.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_receipt_submitted_twice_at_once_is_sold_once(shop: Shop) -> None:
    """Two web processes get the same walk-in receipt at the same moment (a double tap on
    a slow network): the token's unique index lets one sale through; both see that sale."""
    seen: list[int] = []

    def submit() -> None:
        sale = sell(
            shop.canteen,
            shop.lunch,
            walk_ins=1,
            identified_by=IdentifiedBy.WALK_IN,
            payment=PaymentMethod.CASH,
            cashier=shop.cashier,
            at=noon(),
            receipt_token="tok-race",
        )
        seen.append(sale.pk)

    assert race(submit, submit) == ["ok", "ok"]
    assert Sale.objects.count() == 1 and len(set(seen)) == 1


def test_find_by_the_phone_the_resident_logs_in_with(shop: Shop) -> None:
    """The registry has no phone for her; her log-in number finds her at the till."""
    from linli.accounts.services import resident_account_create

    regular = shop.resident(name="张琼", phone="")
    resident_account_create(resident=regular, phone="13800000004", actor=None)
    found = find_diners(shop.canteen, "+86 138-0000-0004", on=noon().date())
    assert [m.resident for m in found] == [regular]


def test_walk_ins_refunded_one_by_one_never_more_than_sold(shop: Shop) -> None:
    sale = cash(shop, walk_ins=3)
    refund(sale, reason="两位散客没吃", walk_ins=2, by=shop.cashier)
    with pytest.raises(EconomyError, match="最多还能退 1 份"):
        refund(sale, reason="又多退", walk_ins=2, by=shop.cashier)
    line = MealLine.objects.get()
    assert (line.refunded_quantity, line.voided) == (2, False)
    refund(sale, reason="第三位也没吃", walk_ins=1, by=shop.cashier)
    line.refresh_from_db()
    sale.refresh_from_db()
    assert (line.refunded_quantity, line.voided, sale.refunded_fen) == (3, True, 3600)


def test_a_receipt_of_a_closed_year_is_not_refunded(shop: Shop) -> None:
    from linli.economy.accounts import close_year
    from linli.economy.tests.conftest import at_local, menu_for

    last_year = noon().year - 1
    day = noon().date().replace(year=last_year, month=6, day=1)
    menu = menu_for(shop.canteen, day)
    sale = sell(
        shop.canteen,
        menu,
        walk_ins=1,
        identified_by=IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=at_local(day, 12),
    )
    close_year(shop.enterprise, last_year, by=shop.admin)
    with pytest.raises(Conflict, match="年度已结账"):
        refund(sale, reason="补退", amount_fen=100, by=shop.cashier)
