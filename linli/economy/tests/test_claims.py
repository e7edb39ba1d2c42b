"""Monthly subsidy claims: preview totals, freezing, refusals, the funder's form."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from linli.common.documents import pdf_bytes, xlsx_bytes
from linli.economy.claims import (
    claim_document,
    claim_preview,
    claim_rows,
    make_claim,
    mark_paid,
    sources,
)
from linli.economy.counter import refund, sell
from linli.economy.errors import Conflict, EconomyError
from linli.economy.models import (
    ClaimStatus,
    IdentifiedBy,
    Meal,
    MealSubsidy,
    PaymentMethod,
    Sale,
    SubsidyClaim,
)
from linli.economy.tests.conftest import Shop, at_local, menu_for, years_ago

pytestmark = pytest.mark.django_db

SOURCE = "民政部门老年助餐补贴"


def last_month() -> dt.date:
    """The 1st of the month before the current local month."""
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def sell_on(shop: Shop, day: dt.date, diners: list, meal: str = Meal.LUNCH) -> Sale:  # type: ignore[type-arg]
    menu = shop.canteen.menus.filter(date=day, meal=meal).first() or menu_for(
        shop.canteen, day, meal
    )
    hour = 12 if meal == Meal.LUNCH else 18
    return sell(
        shop.canteen,
        menu,
        diners=diners,
        identified_by=IdentifiedBy.NAME,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=at_local(day, hour),
    )


@pytest.fixture
def month_of_meals(shop: Shop) -> dict:  # type: ignore[type-arg]
    """Last month: 王 (70) eats three meals on two days, 李 (65) two days, 张 (40) one
    meal without subsidy; one of 李's meals is refunded."""
    first = last_month()
    d3, d4, d10 = first.replace(day=3), first.replace(day=4), first.replace(day=10)
    wang = shop.resident(name="王桂英", birth_date=years_ago(70, d3))
    li = shop.resident(name="李建国", birth_date=years_ago(65, d3))
    zhang = shop.resident(name="张伟", birth_date=years_ago(40, d3))
    sell_on(shop, d3, [wang, li, zhang])
    sell_on(shop, d3, [wang], Meal.DINNER)
    sell_on(shop, d4, [wang])
    voided = sell_on(shop, d10, [li])
    refund(
        voided,
        reason="未取餐",
        lines=list(voided.meals.all()),
        by=shop.cashier,
        at=at_local(d10, 13),
    )
    sell_on(shop, d10, [li], Meal.DINNER)
    return {"first": first, "wang": wang, "li": li, "d3": d3, "d4": d4, "d10": d10}


def test_preview_totals_per_person_day_and_overall_equal_hand_sums(
    shop: Shop,
    month_of_meals: dict,  # type: ignore[type-arg]
) -> None:
    preview = claim_preview(shop.canteen, SOURCE, month_of_meals["first"])
    # 王 3 meals, 李 2 live meals (one refunded), 张 none; 4 yuan each.
    assert (preview.people, preview.meals, preview.total_fen) == (2, 5, 2000)
    assert [(p.name, p.meals, p.amount_fen) for p in preview.per_person] == [
        ("李建国", 2, 800),
        ("王桂英", 3, 1200),
    ]
    d3, d4, d10 = month_of_meals["d3"], month_of_meals["d4"], month_of_meals["d10"]
    assert [(d.date, d.people, d.meals, d.amount_fen) for d in preview.per_day] == [
        (d3, 2, 3, 1200),
        (d4, 1, 1, 400),
        (d10, 1, 1, 400),
    ]
    assert [(r.name, r.date, r.meal) for r in preview.rows] == [
        ("李建国", d3, "午餐"),
        ("李建国", d10, "晚餐"),
        ("王桂英", d3, "午餐"),
        ("王桂英", d3, "晚餐"),
        ("王桂英", d4, "午餐"),
    ]
    wang_row = preview.rows[2]
    assert wang_row.age == 70
    assert wang_row.masked_id == month_of_meals["wang"].id_number_masked
    assert "*" in wang_row.masked_id
    assert wang_row.receipt.startswith("ST")
    assert (
        sum(r.amount_fen for r in preview.rows)
        == sum(p.amount_fen for p in preview.per_person)
        == sum(d.amount_fen for d in preview.per_day)
    )


def test_voided_meal_is_excluded(shop: Shop, month_of_meals: dict) -> None:  # type: ignore[type-arg]
    preview = claim_preview(shop.canteen, SOURCE, month_of_meals["first"])
    li_days = [(r.date, r.meal) for r in preview.rows if r.name == "李建国"]
    assert (month_of_meals["d10"], "午餐") not in li_days
    assert MealSubsidy.objects.filter(line__voided=True).count() == 1


def test_make_claim_freezes_rows_and_second_claim_is_a_conflict(
    shop: Shop,
    month_of_meals: dict,  # type: ignore[type-arg]
) -> None:
    first = month_of_meals["first"]
    assert sources(shop.canteen, first) == [(SOURCE, 2000, 0)]
    claim = make_claim(shop.canteen, SOURCE, first, by=shop.admin)
    assert claim.number == f"BZ-{first:%Y%m}-0001"
    assert (claim.meals, claim.people, claim.total_fen) == (5, 2, 2000)
    assert claim.status == ClaimStatus.SUBMITTED
    assert MealSubsidy.objects.filter(claim=claim).count() == 5
    assert sources(shop.canteen, first) == [(SOURCE, 0, 2000)]
    assert claim_preview(shop.canteen, SOURCE, first).meals == 0
    assert claim_rows(claim).total_fen == 2000
    with pytest.raises(Conflict, match="已经申报过了"):
        make_claim(shop.canteen, SOURCE, first, by=shop.admin)
    assert SubsidyClaim.objects.count() == 1


def test_refund_of_a_claimed_meal_is_a_conflict(
    shop: Shop,
    month_of_meals: dict,  # type: ignore[type-arg]
) -> None:
    make_claim(shop.canteen, SOURCE, month_of_meals["first"], by=shop.admin)
    sale = Sale.objects.filter(meals__diner=month_of_meals["wang"]).order_by("sold_at").first()
    assert sale is not None
    line = sale.meals.get(diner=month_of_meals["wang"])
    with pytest.raises(Conflict, match="已申报"):
        refund(sale, reason="退餐", lines=[line], by=shop.cashier)
    line.refresh_from_db()
    assert not line.voided


def test_current_month_is_refused(shop: Shop) -> None:
    today = timezone.localdate()
    sell_on(shop, today, [shop.resident(birth_date=years_ago(75))])
    with pytest.raises(EconomyError, match="还没有结束"):
        make_claim(shop.canteen, SOURCE, today.replace(day=1), by=shop.admin)
    assert not SubsidyClaim.objects.exists()


def test_last_day_of_month_is_refused_and_next_day_allowed(
    shop: Shop,
    month_of_meals: dict,  # type: ignore[type-arg]
) -> None:
    first = month_of_meals["first"]
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    with pytest.raises(EconomyError, match="还没有结束"):
        make_claim(shop.canteen, SOURCE, first, by=shop.admin, at=at_local(last, 23, 59))
    claim = make_claim(
        shop.canteen, SOURCE, first, by=shop.admin, at=at_local(last + dt.timedelta(days=1), 0, 1)
    )
    assert claim.total_fen == 2000


def test_nothing_to_claim_is_refused(shop: Shop) -> None:
    with pytest.raises(EconomyError, match="没有可申报"):
        make_claim(shop.canteen, SOURCE, last_month(), by=shop.admin)
    assert not SubsidyClaim.objects.exists()


def test_mark_paid_limits_and_twice(shop: Shop, month_of_meals: dict) -> None:  # type: ignore[type-arg]
    claim = make_claim(shop.canteen, SOURCE, month_of_meals["first"], by=shop.admin)
    today = timezone.localdate()
    with pytest.raises(EconomyError, match="超过申报金额"):
        mark_paid(claim, paid_fen=2001, paid_on=today, by=shop.admin)
    with pytest.raises(EconomyError, match="大于 0"):
        mark_paid(claim, paid_fen=0, paid_on=today, by=shop.admin)
    with pytest.raises(EconomyError, match="不能晚于今天"):
        mark_paid(claim, paid_fen=2000, paid_on=today + dt.timedelta(days=1), by=shop.admin)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    mark_paid(claim, paid_fen=1600, paid_on=today, by=shop.admin)
    claim.refresh_from_db()
    assert (claim.status, claim.paid_fen, claim.paid_on) == (ClaimStatus.PAID, 1600, today)
    with pytest.raises(Conflict, match="已登记到账"):
        mark_paid(claim, paid_fen=2000, paid_on=today, by=shop.admin)


def test_xlsx_has_three_sheets_with_totals_and_pdf_names_source_and_total(
    shop: Shop,
    month_of_meals: dict,  # type: ignore[type-arg]
) -> None:
    claim = make_claim(shop.canteen, SOURCE, month_of_meals["first"], by=shop.admin)
    document = claim_document(claim)
    first = month_of_meals["first"]
    assert document.title == f"{first.year}年{first.month}月 {SOURCE} 助餐补贴申报表"
    assert document.landscape
    assert any(claim.number in line for line in document.lines)
    book = load_workbook(io.BytesIO(xlsx_bytes(document)))
    assert book.sheetnames == ["明细（按人按日）", "按人汇总", "按日汇总"]
    detail = [list(r) for r in book["明细（按人按日）"].iter_rows(values_only=True)]
    assert detail[-1][0] == "合计" and detail[-1][-1] == 20  # a number: the funder can SUM
    assert sum(1 for r in detail if isinstance(r[0], int)) == 5
    people = [list(r) for r in book["按人汇总"].iter_rows(values_only=True)]
    assert people[-1] == ["合计", "2 人", None, 5, 20]
    days = [list(r) for r in book["按日汇总"].iter_rows(values_only=True)]
    assert ["合计", 2, 5, 20] in days
    pdf = pdf_bytes(document)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert SOURCE in text and "20.00" in text


def test_preview_document_says_not_yet_numbered(
    shop: Shop,
    month_of_meals: dict,  # type: ignore[type-arg]
) -> None:
    document = claim_document(claim_preview(shop.canteen, SOURCE, month_of_meals["first"]))
    assert any("（未生成）" in line for line in document.lines)


def _pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_preview_and_sources_take_few_queries(
    shop: Shop,
    month_of_meals: dict,  # type: ignore[type-arg]
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    first = month_of_meals["first"]
    with django_assert_max_num_queries(2):
        preview = claim_preview(shop.canteen, SOURCE, first)
        assert preview.meals == 5
    with django_assert_max_num_queries(1):
        assert sources(shop.canteen, first)[0][1] == 2000
