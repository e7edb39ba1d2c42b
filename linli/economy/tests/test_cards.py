"""Resident cards: issue, reissue with balance carried, top-up limits, card payments, QR."""

from __future__ import annotations

import pytest

from linli.economy.cards import (
    CODE_ALPHABET,
    card_qr_svg,
    deactivate,
    issue_card,
    refund_balance,
    top_up,
)
from linli.economy.counter import CARD_PREFIX, find_diners, refund, sell
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import (
    CardMove,
    CardMoveKind,
    DinerCard,
    IdentifiedBy,
    PaymentMethod,
    Sale,
)
from linli.economy.tests.conftest import Shop, noon, years_ago
from linli.testing.factories import ResidentFactory, area_chain

pytestmark = pytest.mark.django_db


def test_issue_gives_an_unambiguous_code(shop: Shop) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    assert card.code.startswith("LL") and len(card.code) == 14
    assert set(card.code[2:]) <= set(CODE_ALPHABET)
    assert card.active and card.balance_fen == 0


def test_outsider_cannot_get_a_card(shop: Shop) -> None:
    other = area_chain("640106002", "别处")
    outsider = ResidentFactory(area=other["micro_grid"])
    assert not outsider.area.path.startswith(shop.community.path)
    with pytest.raises(EconomyError, match="不能办卡"):
        issue_card(shop.enterprise, outsider, by=shop.cashier)
    assert not DinerCard.objects.exists()


def test_reissue_moves_the_balance_and_stops_the_old_card(shop: Shop) -> None:
    resident = shop.resident()
    old = issue_card(shop.enterprise, resident, by=shop.cashier)
    top_up(old, 5000, by=shop.cashier, method="cash")
    new = issue_card(shop.enterprise, resident, by=shop.cashier)
    old.refresh_from_db()
    assert (old.active, old.balance_fen) == (False, 0)
    assert (new.active, new.balance_fen) == (True, 5000)
    assert list(old.moves.values_list("kind", "amount_fen", "balance_after_fen")) == [
        (CardMoveKind.TRANSFER_OUT, -5000, 0),
        (CardMoveKind.TOP_UP, 5000, 5000),
    ]
    assert list(new.moves.values_list("kind", "amount_fen")) == [(CardMoveKind.TRANSFER_IN, 5000)]
    with pytest.raises(EconomyError, match="已停用"):
        find_diners(shop.canteen, CARD_PREFIX + old.code, on=noon().date())
    assert find_diners(shop.canteen, CARD_PREFIX + new.code, on=noon().date())[0].card == new


@pytest.mark.parametrize("amount", [0, -100, 200_001])
def test_top_up_bad_amounts_are_refused(shop: Shop, amount: int) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    with pytest.raises(EconomyError):
        top_up(card, amount, by=shop.cashier, method="cash")
    card.refresh_from_db()
    assert card.balance_fen == 0
    assert not CardMove.objects.exists()


def test_top_up_needs_a_reference_for_qr_and_a_live_card(shop: Shop) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    with pytest.raises(EconomyError, match="流水号"):
        top_up(card, 1000, by=shop.cashier, method="qr")
    with pytest.raises(EconomyError, match="充值方式"):
        top_up(card, 1000, by=shop.cashier, method="cheque")
    move = top_up(card, 200_000, by=shop.cashier, method="qr", reference="WX20261101001")
    assert (move.amount_fen, move.balance_after_fen, move.reference) == (
        200_000,
        200_000,
        "WX20261101001",
    )
    refund_balance(card, by=shop.cashier)
    deactivate(card, by=shop.cashier)
    with pytest.raises(EconomyError, match="已停用"):
        top_up(card, 100, by=shop.cashier, method="cash")


def test_deactivate_refuses_a_positive_balance(shop: Shop) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    top_up(card, 1234, by=shop.cashier, method="cash")
    with pytest.raises(EconomyError, match=r"还有 12\.34 元 余额"):
        deactivate(card, by=shop.cashier)
    card.refresh_from_db()
    assert card.active
    move = refund_balance(card, by=shop.cashier)
    assert (move.kind, move.amount_fen, move.balance_after_fen) == (CardMoveKind.CASH_OUT, -1234, 0)
    deactivate(card, by=shop.cashier)
    card.refresh_from_db()
    assert not card.active
    with pytest.raises(Conflict):
        deactivate(card, by=shop.cashier)


def pay_by_card(shop: Shop, diner, card: DinerCard) -> Sale:  # type: ignore[no-untyped-def]
    return sell(
        shop.canteen,
        shop.lunch,
        diners=[diner],
        identified_by=IdentifiedBy.CARD,
        payment=PaymentMethod.CARD,
        card=card,
        cashier=shop.cashier,
        at=noon(),
    )


def test_pay_by_card_with_too_low_balance_writes_nothing(shop: Shop) -> None:
    diner = shop.resident(birth_date=years_ago(30))
    card = issue_card(shop.enterprise, diner, by=shop.cashier)
    top_up(card, 1199, by=shop.cashier, method="cash")
    with pytest.raises(EconomyError, match="余额"):
        pay_by_card(shop, diner, card)
    card.refresh_from_db()
    assert card.balance_fen == 1199
    assert not Sale.objects.exists()
    assert card.moves.count() == 1


def test_pay_by_card_then_refund_goes_back_to_the_card(shop: Shop) -> None:
    diner = shop.resident(birth_date=years_ago(70))
    card = issue_card(shop.enterprise, diner, by=shop.cashier)
    top_up(card, 1000, by=shop.cashier, method="cash")
    sale = pay_by_card(shop, diner, card)
    card.refresh_from_db()
    assert card.balance_fen == 200
    refund(sale, reason="未取餐", lines=list(sale.meals.all()), by=shop.cashier)
    card.refresh_from_db()
    assert card.balance_fen == 1000


def test_qr_svg_holds_the_card_code(shop: Shop) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    svg = card_qr_svg(card)
    assert svg.startswith("<svg") and 'class="qr"' in svg and card.code in svg
