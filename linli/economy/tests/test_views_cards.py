"""Card pages: search, issue, top up (bad amounts), refund and stop, print, scope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from linli.economy.cards import issue_card, top_up
from linli.economy.models import CardMove, DinerCard
from linli.economy.tests.conftest import Shop
from linli.people.models import Role
from linli.testing.factories import ResidentFactory, area_chain, staff_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_search_by_name_and_phone_shows_masked_id_and_issue(shop: Shop) -> None:
    resident = shop.resident(name="马秀兰", phone="13912340000")
    other = area_chain("640106002", "别处")
    ResidentFactory(area=other["micro_grid"], name="马秀英")
    client = client_for(shop.cashier)
    url = reverse("canteen:cards", args=[shop.canteen.pk])
    page = client.get(url, {"q": "马秀"}).content.decode()
    assert "马秀兰" in page and resident.id_number_masked in page and "马秀英" not in page
    assert "马秀兰" in client.get(url, {"q": "139 1234 0000"}).content.decode()
    empty = client.get(url, {"q": ""})
    assert empty.status_code == 200
    response = client.post(
        reverse("canteen:card_issue", args=[shop.canteen.pk]), {"resident": resident.pk}
    )
    card = DinerCard.objects.get(resident=resident)
    assert response["Location"] == reverse("canteen:card", args=[shop.canteen.pk, card.pk])


def test_issue_to_outsider_or_nobody_is_refused(shop: Shop) -> None:
    other = area_chain("640106002", "别处")
    outsider = ResidentFactory(area=other["micro_grid"])
    client = client_for(shop.cashier)
    url = reverse("canteen:card_issue", args=[shop.canteen.pk])
    response = client.post(url, {"resident": outsider.pk})
    assert response.status_code == 400 and "不能办卡" in response.content.decode()
    assert client.post(url, {"resident": "x"}).status_code == 400
    assert not DinerCard.objects.exists()


@pytest.mark.parametrize(
    "amount",
    ["0", "-5", "12.345", "2000.01", "abc", ""],
    ids=["zero", "neg", "3dec", "over", "text", "empty"],
)
def test_top_up_bad_amounts(shop: Shop, amount: str) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    url = reverse("canteen:card_top_up", args=[shop.canteen.pk, card.pk])
    response = client_for(shop.cashier).post(url, {"amount": amount, "method": "cash"})
    assert response.status_code == 400
    assert "⚠" in response.content.decode()
    card.refresh_from_db()
    assert card.balance_fen == 0 and not CardMove.objects.exists()


def test_top_up_qr_needs_reference_then_succeeds(shop: Shop) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    url = reverse("canteen:card_top_up", args=[shop.canteen.pk, card.pk])
    client = client_for(shop.cashier)
    missing = client.post(url, {"amount": "50", "method": "qr"})
    assert missing.status_code == 400 and "流水号" in missing.content.decode()
    assert (
        client.post(url, {"amount": "50.5", "method": "qr", "reference": "WX123456"}).status_code
        == 302
    )
    card.refresh_from_db()
    assert card.balance_fen == 5050
    page = client.get(reverse("canteen:card", args=[shop.canteen.pk, card.pk])).content.decode()
    assert "50.50 元" in page and "WX123456" in page


def test_stop_with_balance_is_refused_then_refund_and_stop(shop: Shop) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    top_up(card, 800, by=shop.cashier, method="cash")
    client = client_for(shop.cashier)
    stop = reverse("canteen:card_stop", args=[shop.canteen.pk, card.pk])
    response = client.post(stop)
    assert response.status_code == 400 and "请先退还余额" in response.content.decode()
    assert (
        client.post(reverse("canteen:card_refund", args=[shop.canteen.pk, card.pk])).status_code
        == 302
    )
    assert client.post(stop).status_code == 302
    card.refresh_from_db()
    assert (card.active, card.balance_fen) == (False, 0)
    assert client.post(stop).status_code == 409


def test_print_page_has_qr_name_and_enterprise(shop: Shop) -> None:
    resident = shop.resident(name="赵淑珍")
    card = issue_card(shop.enterprise, resident, by=shop.cashier)
    page = client_for(shop.cashier).get(
        reverse("canteen:card_print", args=[shop.canteen.pk, card.pk])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in text and "赵淑珍" in text and resident.id_number_masked in text
    assert shop.enterprise.organization.name in text and "cards-print.css" in text


def test_outsider_and_anonymous(shop: Shop) -> None:
    card = issue_card(shop.enterprise, shop.resident(), by=shop.cashier)
    other = area_chain("640106002", "别处")
    outsider = client_for(staff_user(other["community"], role=Role.COMMUNITY_ADMIN))
    assert outsider.get(reverse("canteen:cards", args=[shop.canteen.pk])).status_code == 404
    assert outsider.get(reverse("canteen:card", args=[shop.canteen.pk, card.pk])).status_code == 404
    top = reverse("canteen:card_top_up", args=[shop.canteen.pk, card.pk])
    assert outsider.post(top, {"amount": "10", "method": "cash"}).status_code == 404
    assert Client().get(reverse("canteen:cards", args=[shop.canteen.pk])).status_code == 302
    card.refresh_from_db()
    assert card.balance_fen == 0
