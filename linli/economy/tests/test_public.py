"""The public welfare page /gongyi/<code>/: no log-in, shareholders, closed years, fund
and spending; no personal data; unknown codes 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from linli.economy import accounts
from linli.economy.models import EntryCategory, EntryKind, WelfareFund
from linli.economy.tests.conftest import Shop
from linli.economy.tests.test_accounts import entry, last_year

pytestmark = pytest.mark.django_db


def test_unknown_code_is_404(db: None) -> None:
    assert Client().get("/gongyi/999999999999/").status_code == 404


def test_public_page_shows_shares_years_fund_and_spending(shop: Shop) -> None:
    entry(shop, dt.date(last_year(), 4, 1), EntryKind.REVENUE, EntryCategory.SERVICE, 100_000)
    accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    fund = WelfareFund.objects.get(enterprise=shop.enterprise)
    project = accounts.add_project(fund, "助老餐补", "高龄老人餐补", 15_000, "议事会决议")
    accounts.spend(
        fund, project=project, amount_fen=5_000, date=timezone.localdate(),
        description="十一月餐补", voucher="GY-2026-01", by=shop.admin,
    )  # fmt: skip

    response = Client().get(f"/gongyi/{shop.community.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "测试社区股份经济合作社" in html and "40%" in html
    assert str(last_year()) in html and "1000.00 元" in html and "200.00 元" in html
    assert "150.00 元" in html  # balance 200 − 50
    assert "十一月餐补" in html and "GY-2026-01" in html and "50.00 元" in html
    assert shop.admin.username not in html
    assert shop.cashier.username not in html


def test_resident_account_may_see_it(shop: Shop) -> None:
    from linli.testing.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    assert client.get(f"/gongyi/{shop.community.code}/").status_code == 200
