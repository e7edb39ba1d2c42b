"""Accounts: the month statement from sales and entries, the year close and its
allocation (20 % rounded up), entries in closed years, the welfare fund, exports."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from linli.common.documents import pdf_bytes, xlsx_bytes
from linli.economy import accounts
from linli.economy.counter import refund, sell
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import (
    BusinessLine,
    EntryCategory,
    EntryKind,
    FundMove,
    IdentifiedBy,
    LedgerEntry,
    LineKind,
    PaymentMethod,
    Producer,
    ProducerKind,
    Product,
    ProductCategory,
    ProductSale,
    ProductSaleLine,
    SocialEnterprise,
    WelfareFund,
    YearClose,
)
from linli.economy.reports_accounts import statement_document, year_document
from linli.economy.tests.conftest import Shop, at_local, noon, years_ago

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


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


def line_of(enterprise: SocialEnterprise, kind: str) -> BusinessLine:
    return BusinessLine.objects.get(enterprise=enterprise, kind=kind)


def entry(
    shop: Shop, day: dt.date, kind: str, category: str, fen: int, line: str = LineKind.CANTEEN
):  # type: ignore[no-untyped-def]
    return accounts.record_entry(
        shop.enterprise,
        line=line_of(shop.enterprise, line),
        date=day,
        kind=kind,
        category=category,
        amount_fen=fen,
        description="测试记账",
        by=shop.admin,
    )


def market_sale(
    shop: Shop, at: dt.datetime, items: list[tuple[int, int, int, int]], refunded: int = 0
) -> ProductSale:
    """A market receipt made with the ORM; items are (unit fen, quantity, returned, share bp)."""
    producer, _ = Producer.objects.get_or_create(
        enterprise=shop.enterprise,
        name="马大姐",
        defaults={"kind": ProducerKind.RESIDENT, "share_bp": 7000},
    )
    sale = ProductSale.objects.create(
        enterprise=shop.enterprise,
        number=f"JS-{next(_numbers):06d}",
        channel="counter",
        payment="cash",
        total_fen=sum(unit * quantity for unit, quantity, _, _ in items),
        refunded_fen=refunded,
        sold_at=at,
        by=shop.cashier,
    )
    for unit, quantity, returned, share in items:
        product = Product.objects.create(
            enterprise=shop.enterprise,
            line=line_of(shop.enterprise, LineKind.MARKET),
            producer=producer,
            code=f"P{next(_numbers)}",
            name="八宝茶",
            category=ProductCategory.TEA,
            price_fen=unit,
            stock=0,
        )
        ProductSaleLine.objects.create(
            sale=sale,
            product=product,
            producer=producer,
            quantity=quantity,
            returned=returned,
            unit_price_fen=unit,
            share_bp=share,
        )
    return sale


def sell_lunch(shop: Shop, *diners, walk_ins: int = 0):  # type: ignore[no-untyped-def]
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


def busy_month(shop: Shop) -> None:
    """This month: an elder's meal (8 yuan paid, 4 yuan subsidy), two walk-ins (24 yuan)
    of which 12 refunded, a market sale, ingredients 500 yuan, service revenue 100 yuan;
    and entries last month that must not count."""
    today = timezone.localdate()
    sell_lunch(shop, shop.resident(birth_date=years_ago(60)))
    walk_ins = sell_lunch(shop, walk_ins=2)
    refund(walk_ins, reason="一份未取", amount_fen=1200, by=shop.cashier)
    # 15.00 × 3 (1 returned) at 70 % → 21.00; 3.33 × 1 at 70 % → 2.331 → 2.33 (floor)
    market_sale(shop, noon(), [(1500, 3, 1, 7000), (333, 1, 0, 7000)], refunded=1500)
    entry(shop, today, EntryKind.COST, EntryCategory.INGREDIENTS, 50_000)
    entry(shop, today, EntryKind.REVENUE, EntryCategory.SERVICE, 10_000, LineKind.SERVICES)
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    entry(shop, last_month, EntryKind.COST, EntryCategory.WAGES, 99_999)


def test_month_statement_equals_hand_computed_totals(shop: Shop) -> None:
    busy_month(shop)
    statement = accounts.month_statement(shop.enterprise, timezone.localdate())
    by_kind = {s.line.kind: s for s in statement.lines}
    canteen = by_kind[LineKind.CANTEEN]
    assert canteen.revenue == [("食堂营业收入", 800 + 2400 - 1200), ("助餐补贴收入", 400)]
    assert canteen.costs == [("食材采购", 50_000)]
    market = by_kind[LineKind.MARKET]
    assert market.revenue == [("商品销售收入", 4833 - 1500)]
    assert market.costs == [("生产者分成", 2100 + 233)]
    assert by_kind[LineKind.SERVICES].revenue == [("服务收入", 10_000)]
    assert statement.revenue_fen == 2000 + 400 + 3333 + 10_000
    assert statement.cost_fen == 50_000 + 2333
    assert statement.profit_fen == 15_733 - 52_333


def test_producer_share_equals_the_model_property(shop: Shop) -> None:
    market_sale(shop, noon(), [(999, 7, 2, 6666), (1, 1, 0, 9999), (12345, 2, 0, 3333)])
    expected = sum(line.producer_share_fen for line in ProductSaleLine.objects.all())
    statement = accounts.month_statement(shop.enterprise, timezone.localdate())
    market = next(s for s in statement.lines if s.line.kind == LineKind.MARKET)
    assert market.costs == [("生产者分成", expected)]


def test_month_is_the_local_calendar_month(shop: Shop) -> None:
    first = timezone.localdate().replace(day=1)
    market_sale(shop, at_local(first, 0, 30), [(1000, 1, 0, 0)])
    market_sale(shop, at_local(first - dt.timedelta(days=1), 23, 30), [(7000, 1, 0, 0)])
    statement = accounts.month_statement(shop.enterprise, first)
    assert statement.revenue_fen == 1000


def test_month_statement_uses_few_queries(shop: Shop, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    busy_month(shop)
    with django_assert_max_num_queries(6):
        accounts.month_statement(shop.enterprise, timezone.localdate())


@given(profit=st.integers(min_value=1, max_value=10**13), rate=st.integers(2000, 10_000))
@settings(deadline=None)
def test_allocation_is_the_rate_of_profit_rounded_up_to_the_fen(profit: int, rate: int) -> None:
    allocation = accounts.allocation_for(profit, rate)
    assert allocation * 10_000 >= profit * rate
    assert (allocation - 1) * 10_000 < profit * rate


@pytest.mark.parametrize("profit", [0, -1, -500_000])
def test_no_allocation_without_profit(profit: int) -> None:
    assert accounts.allocation_for(profit, 2000) == 0


def last_year() -> int:
    return timezone.localdate().year - 1


def test_close_year_allocates_20_percent_rounded_up_once(shop: Shop) -> None:
    day = dt.date(last_year(), 6, 15)
    entry(shop, day, EntryKind.REVENUE, EntryCategory.SERVICE, 100_001, LineKind.SERVICES)
    close = accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    assert (close.profit_fen, close.rate_bp, close.allocation_fen) == (100_001, 2000, 20_001)
    fund = WelfareFund.objects.get(enterprise=shop.enterprise)
    assert fund.balance_fen == 20_001
    move = FundMove.objects.get()
    assert (move.kind, move.amount_fen, move.year_close) == ("allocation", 20_001, close)

    with pytest.raises(Conflict, match=f"{last_year()} 年度已于 .* 结账，不能重复结账"):
        accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    assert FundMove.objects.count() == 1
    assert YearClose.objects.count() == 1
    fund.refresh_from_db()
    assert fund.balance_fen == 20_001


def test_close_year_uses_the_configured_rate(shop: Shop) -> None:
    shop.enterprise.welfare_rate_bp = 3500
    shop.enterprise.save()
    entry(shop, dt.date(last_year(), 3, 1), EntryKind.REVENUE, EntryCategory.GRANT, 333)
    close = accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    assert close.allocation_fen == 117  # 333 × 35 % = 116.55 → 117


def test_loss_year_allocates_nothing(shop: Shop) -> None:
    entry(shop, dt.date(last_year(), 2, 1), EntryKind.COST, EntryCategory.RENT, 80_000)
    close = accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    assert (close.profit_fen, close.allocation_fen) == (-80_000, 0)
    assert WelfareFund.objects.get(enterprise=shop.enterprise).balance_fen == 0


def test_a_year_not_over_cannot_be_closed(shop: Shop) -> None:
    this_year = timezone.localdate().year
    with pytest.raises(EconomyError, match="尚未结束"):
        accounts.close_year(shop.enterprise, this_year, by=shop.admin)
    assert not YearClose.objects.exists()


def test_entry_in_a_closed_year_is_refused(shop: Shop) -> None:
    accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    with pytest.raises(Conflict, match="该年度已结账"):
        entry(shop, dt.date(last_year(), 12, 31), EntryKind.COST, EntryCategory.OTHER, 100)
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("fen", [0, -5, 1.5, True])
def test_entry_amount_must_be_positive_integer_fen(shop: Shop, fen: object) -> None:
    with pytest.raises(EconomyError, match="大于 0 的整数"):
        entry(shop, timezone.localdate(), EntryKind.COST, EntryCategory.OTHER, fen)  # type: ignore[arg-type]
    assert not LedgerEntry.objects.exists()


def test_entry_needs_a_line_of_the_enterprise_and_a_description(shop: Shop) -> None:
    other = SocialEnterprise.objects.exclude(pk=shop.enterprise.pk).first()
    assert other is None
    foreign = BusinessLine(pk=10**6, enterprise_id=10**6, kind=LineKind.OTHER, name="外")
    with pytest.raises(EconomyError, match="不属于本企业"):
        accounts.record_entry(
            shop.enterprise, line=foreign, date=timezone.localdate(), kind=EntryKind.COST,
            category=EntryCategory.OTHER, amount_fen=100, description="x", by=shop.admin,
        )  # fmt: skip
    with pytest.raises(EconomyError, match="请填写摘要"):
        accounts.record_entry(
            shop.enterprise, line=line_of(shop.enterprise, LineKind.CANTEEN),
            date=timezone.localdate(), kind=EntryKind.COST, category=EntryCategory.OTHER,
            amount_fen=100, description="  ", by=shop.admin,
        )  # fmt: skip
    assert not LedgerEntry.objects.exists()


def funded(shop: Shop, fen: int) -> WelfareFund:
    entry(shop, dt.date(last_year(), 5, 5), EntryKind.REVENUE, EntryCategory.GRANT, fen * 5)
    accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    return WelfareFund.objects.get(enterprise=shop.enterprise)


def test_spending_lowers_the_balance_and_is_reported(shop: Shop) -> None:
    fund = funded(shop, 10_000)
    project = accounts.add_project(fund, "助老餐补", "80 岁以上老人餐补", 8_000, "居民议事会决议")
    move = accounts.spend(
        fund, project=project, amount_fen=2_500, date=timezone.localdate(),
        description="11 月餐补", voucher="GY-001", by=shop.admin,
    )  # fmt: skip
    assert (move.amount_fen, move.balance_after_fen) == (-2_500, 7_500)
    report = accounts.fund_report(shop.enterprise)
    assert report.balance_fen == 7_500
    assert [(p.project.name, p.spent_fen, p.left_fen) for p in report.projects] == [
        ("助老餐补", 2_500, 5_500)
    ]
    assert [m.voucher for m in report.spending] == ["GY-001"]


def test_spending_over_the_balance_is_refused_naming_it(shop: Shop) -> None:
    fund = funded(shop, 10_000)
    project = accounts.add_project(fund, "儿童之家", "", 0, "")
    with pytest.raises(EconomyError, match=r"当前余额 100\.00 元"):
        accounts.spend(
            fund, project=project, amount_fen=10_001, date=timezone.localdate(),
            description="图书", voucher="", by=shop.admin,
        )  # fmt: skip
    fund.refresh_from_db()
    assert fund.balance_fen == 10_000
    assert FundMove.objects.filter(kind="spending").count() == 0


def test_project_names_are_unique_per_fund(shop: Shop) -> None:
    fund = WelfareFund.objects.get(enterprise=shop.enterprise)
    accounts.add_project(fund, "环境整治", "", 100, "")
    with pytest.raises(Conflict, match="已有名为“环境整治”"):
        accounts.add_project(fund, "环境整治", "", 100, "")


def test_month_export_xlsx_and_pdf_have_the_totals(shop: Shop) -> None:
    busy_month(shop)
    statement = accounts.month_statement(shop.enterprise, timezone.localdate())
    document = statement_document(statement)
    book = load_workbook(io.BytesIO(xlsx_bytes(document)))
    values = sheet_values(book, "汇总")
    assert "合计" in values
    assert "-366.00" in values  # profit 15 733 − 52 333 fen
    text = PdfReader(io.BytesIO(pdf_bytes(document))).pages[0].extract_text()
    assert "银川测试社区服务有限公司" in text
    assert "-366.00" in text


def test_year_export_shows_the_allocation(shop: Shop) -> None:
    entry(shop, dt.date(last_year(), 6, 1), EntryKind.REVENUE, EntryCategory.SERVICE, 100_001)
    accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    document = year_document(shop.enterprise, last_year())
    book = load_workbook(io.BytesIO(xlsx_bytes(document)))
    values = sheet_values(book, "公益金提取")
    assert "200.01" in values
    text = PdfReader(io.BytesIO(pdf_bytes(document))).pages[0].extract_text()
    assert "银川测试社区服务有限公司" in text
    assert "1,000.01" in text  # thousands separator


_past_years = itertools.count(2000)


@given(profit=st.integers(min_value=1, max_value=10**11))
@settings(
    deadline=None, max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_close_year_allocation_is_20_percent_rounded_up(shop: Shop, profit: int) -> None:
    year = next(_past_years)
    assert year < timezone.localdate().year
    entry(shop, dt.date(year, 8, 8), EntryKind.REVENUE, EntryCategory.SERVICE, profit)
    close = accounts.close_year(shop.enterprise, year, by=shop.admin)
    assert close.profit_fen == profit
    assert close.allocation_fen * 10_000 >= profit * 2000
    assert (close.allocation_fen - 1) * 10_000 < profit * 2000
    assert close.fund_move.amount_fen == close.allocation_fen


def test_close_year_refuses_years_out_of_order_or_before_founding(shop: Shop) -> None:
    year = last_year()
    shop.enterprise.founded_on = dt.date(year - 1, 5, 1)
    shop.enterprise.save(update_fields=["founded_on"])
    with pytest.raises(EconomyError, match=f"企业 {year - 1} 年成立，不能结 {year - 2} 年度"):
        accounts.close_year(shop.enterprise, year - 2, by=shop.admin)
    accounts.close_year(shop.enterprise, year, by=shop.admin)
    with pytest.raises(Conflict, match=f"{year} 年度已结账，不能再结更早的年度"):
        accounts.close_year(shop.enterprise, year - 1, by=shop.admin)
    assert list(YearClose.objects.values_list("year", flat=True)) == [year]
    assert accounts.close_refusal(shop.enterprise, year + 1) is None


def test_allocation_move_names_a_large_profit_with_thousands_separators(shop: Shop) -> None:
    entry(shop, dt.date(last_year(), 6, 1), EntryKind.REVENUE, EntryCategory.SERVICE, 97_300_000)
    close = accounts.close_year(shop.enterprise, last_year(), by=shop.admin)
    assert "利润 973,000.00 元 × 20%" in close.fund_move.description
