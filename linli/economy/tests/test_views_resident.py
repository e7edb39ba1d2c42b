"""Residents' canteen page: my price and why, my card as a QR code, family by consent."""

from __future__ import annotations

import pytest
from django.utils import timezone

from linli.accounts.services import resident_account_create
from linli.economy.counter import sell
from linli.economy.models import DinerCard, IdentifiedBy, PaymentMethod
from linli.economy.tests.conftest import Shop, at_local, years_ago
from linli.people.models import FamilyLink

pytestmark = pytest.mark.django_db
URL = "/me/canteen/"


def log_in_as(client, shop: Shop, **kwargs):  # type: ignore[no-untyped-def]
    resident = shop.resident(**kwargs)
    account = resident_account_create(resident=resident, phone="13600000001", actor=None)
    client.force_login(account.user)
    return resident


def test_resident_sees_today_price_with_the_reason_and_no_card_yet(client, shop: Shop) -> None:
    log_in_as(client, shop, birth_date=years_ago(72))
    page = client.get(URL).content.decode()
    assert "土豆烧牛肉" in page and "8.00 元" in page and "年满 60 周岁（72 岁）" in page
    assert 'id="no-card"' in page


def test_card_holder_sees_the_qr_code_balance_and_meals(client, shop: Shop) -> None:
    me = log_in_as(client, shop, birth_date=years_ago(40))
    card = DinerCard.objects.create(
        enterprise=shop.enterprise, resident=me, code="LLTESTCODE42", balance_fen=5000
    )
    sell(
        shop.canteen,
        shop.lunch,
        diners=[me],
        identified_by=IdentifiedBy.CARD,
        payment=PaymentMethod.CARD,
        card=card,
        cashier=shop.cashier,
        at=at_local(timezone.localdate(), 12),
    )
    page = client.get(URL).content.decode()
    assert "<svg" in page and "38.00" in page and "12.00 元" in page
    assert "卡号尾号" in page and "DE42" in page


def test_family_member_by_consent_and_a_stranger_is_404(client, shop: Shop) -> None:
    me = log_in_as(client, shop, birth_date=years_ago(40))
    mother = shop.resident(name="赵芝兰", birth_date=years_ago(88))
    stranger = shop.resident()
    FamilyLink.objects.create(
        resident=mother, relative=me, relation="女儿", may_act=True, consent_at=timezone.now()
    )
    page = client.get(URL, {"for": mother.pk}).content.decode()
    assert "赵芝兰的价格" in page and "8.00 元" in page
    assert client.get(URL, {"for": stranger.pk}).status_code == 404


def test_staff_go_to_their_pages_and_anonymous_to_log_in(client, shop: Shop) -> None:
    assert client.get(URL).status_code == 302
    assert "/me/login/" in client.get(URL)["Location"]
    client.force_login(shop.cashier)
    assert client.get(URL)["Location"] == "/economy/"
