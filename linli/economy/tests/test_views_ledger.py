"""Ledger pages: the month statement, recording entries, exports, the year close with its
confirmation, the fund; who may do what."""

from __future__ import annotations

import calendar
import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from linli.economy.accounts import add_project
from linli.economy.models import (
    BusinessLine,
    EntryCategory,
    EntryKind,
    FundMove,
    LedgerEntry,
    LineKind,
    WelfareFund,
    YearClose,
)
from linli.economy.tests.conftest import Shop
from linli.economy.tests.test_accounts import busy_month, entry, last_year
from linli.economy.tests.test_views_company import client_for
from linli.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def sheet_values(book, name: str) -> list[object]:  # type: ignore[no-untyped-def]
    """A sheet's cells; amounts (numbers, or text such as ``"1,000.01"``) as ``"1000.01"``."""
    values: list[object] = []
    for row in book[name].iter_rows(values_only=True):
        for cell in row:
            if isinstance(cell, (int, float)) and not isinstance(cell, bool):
                values.append(f"{cell:.2f}")
            elif (
                isinstance(cell, str)
                and cell.replace(",", "").replace(".", "").lstrip("-").isdigit()
            ):
                values.append(cell.replace(",", ""))
            else:
                values.append(cell)
    return values


def test_outsider_gets_404_on_every_ledger_page(shop: Shop) -> None:
    client = client_for(UserFactory())
    pk = shop.enterprise.pk
    month = f"{timezone.localdate():%Y-%m}"
    for url in [
        f"/economy/ledger/{pk}/",
        f"/economy/ledger/{pk}/{month}.xlsx",
        f"/economy/ledger/{pk}/year/{last_year()}/",
        f"/economy/ledger/{pk}/fund/",
    ]:
        assert client.get(url).status_code == 404, url


def test_month_page_shows_the_statement(shop: Shop) -> None:
    busy_month(shop)
    response = client_for(shop.cashier).get(f"/economy/ledger/{shop.enterprise.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "助餐补贴收入" in html and "4.00 元" in html
    assert "生产者分成" in html and "23.33 元" in html
    assert '<strong id="month-profit">-366.00 元</strong>' in html


def entry_form(shop: Shop, **changes: str) -> dict[str, str]:
    line = BusinessLine.objects.get(enterprise=shop.enterprise, kind=LineKind.CANTEEN)
    data = {
        "line": str(line.pk),
        "date": f"{timezone.localdate():%Y-%m-%d}",
        "kind": EntryKind.COST,
        "category": EntryCategory.INGREDIENTS,
        "amount": "１２.5",
        "description": "蔬菜",
        "voucher": "PZ-1",
    }
    return data | changes


def test_operator_records_an_entry_in_yuan(shop: Shop) -> None:
    response = client_for(shop.cashier).post(
        f"/economy/ledger/{shop.enterprise.pk}/entries/", entry_form(shop)
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get().amount_fen == 1250


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "-3"}, "金额不能为负数"),
        ({"amount": "1.234"}, "最多两位小数"),
        ({"amount": "0"}, "金额须大于 0"),
        ({"description": ""}, "请填写摘要"),
    ],
)
def test_bad_entry_is_shown_and_nothing_written(shop: Shop, changes: dict, message: str) -> None:  # type: ignore[type-arg]
    response = client_for(shop.cashier).post(
        f"/economy/ledger/{shop.enterprise.pk}/entries/", entry_form(shop, **changes)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_entry_in_a_closed_year_is_409(shop: Shop) -> None:
    YearClose.objects.create(
        enterprise=shop.enterprise, year=last_year(), revenue_fen=0, cost_fen=0, profit_fen=0,
        rate_bp=2000, allocation_fen=0, closed_at=timezone.now(), closed_by=shop.admin,
    )  # fmt: skip
    response = client_for(shop.cashier).post(
        f"/economy/ledger/{shop.enterprise.pk}/entries/",
        entry_form(shop, date=f"{last_year()}-12-31"),
    )
    assert response.status_code == 409
    assert "该年度已结账" in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_month_exports(shop: Shop) -> None:
    busy_month(shop)
    client = client_for(shop.cashier)
    base = f"/economy/ledger/{shop.enterprise.pk}/{timezone.localdate():%Y-%m}"
    sheet = client.get(f"{base}.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.getvalue()))
    assert "-366.00" in sheet_values(book, "汇总")
    pdf = client.get(f"{base}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.getvalue())).pages[0].extract_text()
    assert "银川测试社区服务有限公司" in text and "-366.00" in text


def profitable_last_year(shop: Shop) -> None:
    entry(shop, dt.date(last_year(), 7, 1), EntryKind.REVENUE, EntryCategory.SERVICE, 50_005)


def test_operator_sees_the_year_but_may_not_close_it(shop: Shop) -> None:
    profitable_last_year(shop)
    client = client_for(shop.cashier)
    url = f"/economy/ledger/{shop.enterprise.pk}/year/{last_year()}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "确认结账" not in page.content.decode()
    response = client.post(f"{url}close/", {"allocation_fen": "10001"})
    assert response.status_code == 403
    assert not YearClose.objects.exists()


def test_manager_closes_after_seeing_the_allocation(shop: Shop) -> None:
    profitable_last_year(shop)
    client = client_for(shop.admin)
    url = f"/economy/ledger/{shop.enterprise.pk}/year/{last_year()}/"
    page = client.get(url).content.decode()
    assert '<strong id="allocation">100.01 元</strong>' in page  # 500.05 × 20 % rounded up
    assert client.post(f"{url}close/", {"allocation_fen": "10001"}).status_code == 302
    assert YearClose.objects.get().allocation_fen == 10_001
    again = client.post(f"{url}close/", {"allocation_fen": "10001"})
    assert again.status_code == 409
    assert "不能重复结账" in again.content.decode()
    assert FundMove.objects.count() == 1
    sheet = client.get(f"/economy/ledger/{shop.enterprise.pk}/year/{last_year()}.xlsx")
    book = load_workbook(io.BytesIO(sheet.getvalue()))
    assert "100.01" in sheet_values(book, "公益金提取")
    pdf = client.get(f"/economy/ledger/{shop.enterprise.pk}/year/{last_year()}.pdf")
    assert "500.05" in PdfReader(io.BytesIO(pdf.getvalue())).pages[0].extract_text()


def test_close_with_a_stale_allocation_asks_again(shop: Shop) -> None:
    profitable_last_year(shop)
    url = f"/economy/ledger/{shop.enterprise.pk}/year/{last_year()}/close/"
    response = client_for(shop.admin).post(url, {"allocation_fen": "5"})
    assert response.status_code == 409
    assert not YearClose.objects.exists()


def test_fund_page_project_and_spending(shop: Shop) -> None:
    profitable_last_year(shop)
    client = client_for(shop.admin)
    pk = shop.enterprise.pk
    client.post(f"/economy/ledger/{pk}/year/{last_year()}/close/", {"allocation_fen": "10001"})
    assert client.post(
        f"/economy/ledger/{pk}/fund/projects/",
        {"name": "助老餐补", "budget": "80", "decided_by": "议事会决议"},
    ).status_code == 302  # fmt: skip
    project = WelfareFund.objects.get(enterprise=shop.enterprise).projects.get()
    spend = {"project": project.pk, "date": "2026-11-01", "description": "餐补", "voucher": "V1"}
    over = client.post(f"/economy/ledger/{pk}/fund/spend/", spend | {"amount": "100.02"})
    assert over.status_code == 400
    assert "当前余额 100.01 元" in over.content.decode()
    ok = client.post(f"/economy/ledger/{pk}/fund/spend/", spend | {"amount": "30"})
    assert ok.status_code == 302
    page = client.get(f"/economy/ledger/{pk}/fund/").content.decode()
    assert '<strong id="balance">70.01 元</strong>' in page


def test_operator_may_not_spend_or_add_projects(shop: Shop) -> None:
    fund = WelfareFund.objects.get(enterprise=shop.enterprise)
    project = add_project(fund, "儿童之家", "", 0, "")
    client = client_for(shop.cashier)
    pk = shop.enterprise.pk
    assert client.post(f"/economy/ledger/{pk}/fund/projects/", {"name": "x"}).status_code == 403
    response = client.post(
        f"/economy/ledger/{pk}/fund/spend/",
        {"project": project.pk, "amount": "1", "date": "2026-11-01", "description": "x"},
    )
    assert response.status_code == 403
    page = client.get(f"/economy/ledger/{pk}/fund/").content.decode()
    assert 'id="spend-form"' not in page


@pytest.mark.parametrize(
    ("path", "name", "content_type"),
    [
        ("2026-11.xlsx", "收支月报-2026-11.xlsx", "spreadsheetml"),
        ("2026-11.pdf", "收支月报-2026-11.pdf", "application/pdf"),
        ("year/2025.xlsx", "年度报告-2025.xlsx", "spreadsheetml"),
        ("year/2025.pdf", "年度报告-2025.pdf", "application/pdf"),
    ],
)
def test_exports_are_downloads_with_the_chinese_name(
    shop: Shop, path: str, name: str, content_type: str
) -> None:
    response = client_for(shop.cashier).get(f"/economy/ledger/{shop.enterprise.pk}/{path}")
    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")  # a PDF no longer opens inline
    assert "filename*=utf-8''" in header and "=?utf-8?" not in header
    assert quote(name) in header


def test_month_page_and_export_show_thousands_and_the_last_day(shop: Shop) -> None:
    year = last_year()
    entry(shop, dt.date(year, 2, 3), EntryKind.REVENUE, EntryCategory.SERVICE, 97_300_000)
    client = client_for(shop.cashier)
    page = client.get(f"/economy/ledger/{shop.enterprise.pk}/?month={year}-02").content.decode()
    assert "973,000.00 元" in page
    assert "973000.00" not in page
    pdf = client.get(f"/economy/ledger/{shop.enterprise.pk}/{year}-02.pdf")
    text = PdfReader(io.BytesIO(pdf.getvalue())).pages[0].extract_text()
    last_day = calendar.monthrange(year, 2)[1]
    assert f"{year}-02-01 至 {year}-02-{last_day}" in text
    assert "当月末" not in text
    assert "973,000.00" in text


def test_year_before_founding_cannot_be_closed(shop: Shop) -> None:
    shop.enterprise.founded_on = dt.date(last_year(), 3, 1)
    shop.enterprise.save(update_fields=["founded_on"])
    year = last_year() - 1
    client = client_for(shop.admin)
    url = f"/economy/ledger/{shop.enterprise.pk}/year/{year}/"
    page = client.get(url).content.decode()
    assert "确认结账" not in page
    assert f"企业 {last_year()} 年成立，不能结 {year} 年度" in page
    response = client.post(f"{url}close/", {"allocation_fen": "0"})
    assert response.status_code == 400
    assert f"企业 {last_year()} 年成立" in response.content.decode()
    assert not YearClose.objects.exists()
    founding_year = client.get(f"/economy/ledger/{shop.enterprise.pk}/year/{last_year()}/")
    assert "确认结账" in founding_year.content.decode()


def test_earlier_year_cannot_be_closed_after_a_later_one(shop: Shop) -> None:
    client = client_for(shop.admin)
    pk = shop.enterprise.pk
    later, earlier = last_year(), last_year() - 1
    closed = client.post(f"/economy/ledger/{pk}/year/{later}/close/", {"allocation_fen": "0"})
    assert closed.status_code == 302
    url = f"/economy/ledger/{pk}/year/{earlier}/"
    page = client.get(url).content.decode()
    assert "确认结账" not in page
    assert f"{later} 年度已结账，不能再结更早的年度" in page
    response = client.post(f"{url}close/", {"allocation_fen": "0"})
    assert response.status_code == 409
    assert "不能再结更早的年度" in response.content.decode()
    assert list(YearClose.objects.values_list("year", flat=True)) == [later]
    assert FundMove.objects.count() == 1
