"""Claim pages: who sees what, making a claim, downloads, recording the payment."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.economy.claims import make_claim
from linli.economy.models import ClaimStatus, MealSubsidy, SubsidyClaim
from linli.economy.tests.conftest import Shop, years_ago
from linli.economy.tests.test_claims import SOURCE, last_month, sell_on
from linli.people.models import Role
from linli.testing.factories import area_chain, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def october(shop: Shop) -> dict:  # type: ignore[type-arg]
    first = last_month()
    day = first.replace(day=5)
    wang = shop.resident(name="王桂英", birth_date=years_ago(72, day))
    li = shop.resident(name="李建国", birth_date=years_ago(66, day))
    sell_on(shop, day, [wang, li])
    sell_on(shop, first.replace(day=6), [wang])
    return {"first": first, "month": f"{first:%Y-%m}"}


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_home_lists_month_and_source_for_the_cashier(shop: Shop, october: dict) -> None:  # type: ignore[type-arg]
    response = client_for(shop.cashier).get(reverse("canteen:claims", args=[shop.canteen.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert SOURCE in text and "12.00 元" in text


def test_outsider_gets_404(shop: Shop, october: dict) -> None:  # type: ignore[type-arg]
    other = area_chain("640106002", "别处")
    outsider = staff_user(other["community"], role=Role.COMMUNITY_ADMIN)
    client = client_for(outsider)
    assert client.get(reverse("canteen:claims", args=[shop.canteen.pk])).status_code == 404
    url = reverse("canteen:claim_month", args=[shop.canteen.pk, october["month"]])
    assert client.post(url, {"source": SOURCE}).status_code == 404
    assert not SubsidyClaim.objects.exists()


def test_anonymous_is_sent_to_log_in(shop: Shop) -> None:
    response = Client().get(reverse("canteen:claims", args=[shop.canteen.pk]))
    assert response.status_code == 302


def test_preview_shows_tables_and_cashier_cannot_make_the_claim(
    shop: Shop,
    october: dict,  # type: ignore[type-arg]
) -> None:
    url = reverse("canteen:claim_month", args=[shop.canteen.pk, october["month"]])
    client = client_for(shop.cashier)
    page = client.get(url, {"source": SOURCE})
    text = page.content.decode()
    assert page.status_code == 200
    assert "王桂英" in text and "12.00 元" in text and "生成申报单" not in text
    response = client.post(url, {"source": SOURCE})
    assert response.status_code == 403
    assert "只有社区或街道管理员" in response.content.decode()
    assert not SubsidyClaim.objects.exists()


def test_admin_makes_the_claim_then_a_second_time_is_409(
    shop: Shop,
    october: dict,  # type: ignore[type-arg]
) -> None:
    url = reverse("canteen:claim_month", args=[shop.canteen.pk, october["month"]])
    client = client_for(shop.admin)
    assert "生成申报单" in client.get(url, {"source": SOURCE}).content.decode()
    response = client.post(url, {"source": SOURCE})
    claim = SubsidyClaim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("canteen:claim", args=[shop.canteen.pk, claim.pk])
    assert claim.total_fen == 1200
    assert MealSubsidy.objects.filter(claim=claim).count() == 3
    again = client.post(url, {"source": SOURCE})
    assert again.status_code == 409
    assert "已经申报过了" in again.content.decode()


def test_current_month_and_bad_month(shop: Shop) -> None:
    client = client_for(shop.admin)
    this_month = f"{timezone.localdate():%Y-%m}"
    url = reverse("canteen:claim_month", args=[shop.canteen.pk, this_month])
    response = client.post(url, {"source": SOURCE})
    assert response.status_code == 400
    assert "还没有结束" in response.content.decode()
    bad = reverse("canteen:claim_month", args=[shop.canteen.pk, "2026-13"])
    assert client.get(bad).status_code == 404
    assert (
        client.get(reverse("canteen:claim_month", args=[shop.canteen.pk, "abc"])).status_code == 404
    )


def test_downloads_and_payment(shop: Shop, october: dict) -> None:  # type: ignore[type-arg]
    claim = make_claim(shop.canteen, SOURCE, october["first"], by=shop.admin)
    cashier = client_for(shop.cashier)
    xlsx = cashier.get(reverse("canteen:claim_xlsx", args=[shop.canteen.pk, claim.pk]))
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["明细（按人按日）", "按人汇总", "按日汇总"]
    pdf = cashier.get(reverse("canteen:claim_pdf", args=[shop.canteen.pk, claim.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    paid_url = reverse("canteen:claim_paid", args=[shop.canteen.pk, claim.pk])
    today = f"{timezone.localdate():%Y-%m-%d}"
    refused = cashier.post(paid_url, {"paid": "12.00", "paid_on": today})
    assert refused.status_code == 403
    admin = client_for(shop.admin)
    for bad, status in [
        ({"paid": "12.001", "paid_on": today}, 400),
        ({"paid": "-1", "paid_on": today}, 400),
        ({"paid": "abc", "paid_on": today}, 400),
        ({"paid": "12.00", "paid_on": "昨天"}, 400),
        ({"paid": "12.01", "paid_on": today}, 400),
    ]:
        response = admin.post(paid_url, bad)
        assert response.status_code == status, bad
        assert "⚠" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert admin.post(paid_url, {"paid": "12", "paid_on": today}).status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.paid_fen) == (ClaimStatus.PAID, 1200)
    page = admin.get(reverse("canteen:claim", args=[shop.canteen.pk, claim.pk]))
    assert "已拨付" in page.content.decode()
    assert admin.post(paid_url, {"paid": "12", "paid_on": today}).status_code == 409


def test_claim_of_another_canteen_is_404(shop: Shop, october: dict) -> None:  # type: ignore[type-arg]
    from linli.economy.models import Canteen

    claim = make_claim(shop.canteen, SOURCE, october["first"], by=shop.admin)
    other = Canteen.objects.create(
        enterprise=shop.enterprise, line=shop.canteen.line, name="另一食堂"
    )
    url = reverse("canteen:claim", args=[other.pk, claim.pk])
    assert client_for(shop.admin).get(url).status_code == 404
