"""Issue 8, done when: a day at the canteen, its subsidy claim, and the year-end close.

One lunch and dinner at the shared canteen on a day of last year (so that its month can
be claimed and its year closed): 150 registered diners across the tiers — aged 60 and
over, disabled, on dibao, everyone else — including a woman turning 60 that very day
(8 yuan) and a man turning 60 the next day (12 yuan), plus walk-ins at the list price,
paid by cash, QR code and card. Then: the day's figures, the monthly claim to each
funding source (per person, per day, with totals, as .xlsx and PDF), the year's accounts
with the costs, and the close with its 20 % allocation into the welfare fund — once.
"""

from __future__ import annotations

import datetime as dt
import io
import math

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from linli.common.documents import pdf_bytes, xlsx_bytes
from linli.economy.accounts import close_year, record_entry, year_figures
from linli.economy.cards import issue_card, top_up
from linli.economy.claims import claim_document, claim_preview, make_claim
from linli.economy.counter import sell
from linli.economy.daily import daily_figures
from linli.economy.errors import Conflict
from linli.economy.models import (
    BusinessLine,
    EntryCategory,
    EntryKind,
    FundMove,
    IdentifiedBy,
    LineKind,
    Meal,
    MealLine,
    PaymentMethod,
    WelfareFund,
)
from linli.economy.tests.conftest import Shop, at_local, menu_for, years_ago

pytestmark = pytest.mark.django_db

ELDER, DISABLED, DIBAO = "民政部门老年助餐补贴", "残联助残补贴", "民政社会救助（低保）"


def test_a_canteen_day_its_subsidy_claim_and_the_year_close(shop: Shop) -> None:
    year = timezone.localdate().year - 1
    day = dt.date(year, 11, 16)
    lunch = menu_for(shop.canteen, day, Meal.LUNCH)
    dinner = menu_for(shop.canteen, day, Meal.DINNER)

    # --- 150 registered diners across the tiers ---------------------------------------
    turning_60 = shop.resident(name="马秀兰", birth_date=years_ago(60, day))
    turning_60_tomorrow = shop.resident(
        name="杨建华", birth_date=years_ago(60, day) + dt.timedelta(days=1)
    )
    elders = [shop.resident(birth_date=years_ago(61 + n % 30, day)) for n in range(68)]
    disabled = [
        shop.resident(birth_date=years_ago(35, day), disabled=True, disability_level=2)
        for _ in range(10)
    ]
    dibao = [shop.resident(birth_date=years_ago(45, day), dibao=True) for _ in range(10)]
    others = [shop.resident(birth_date=years_ago(20 + n % 39, day)) for n in range(60)]
    diners = [turning_60, turning_60_tomorrow, *elders, *disabled, *dibao, *others]
    assert len(diners) == 150
    card = issue_card(shop.enterprise, elders[0], by=shop.admin)
    top_up(card, 10_000, by=shop.admin, method="cash")

    for n, diner in enumerate(diners):
        menu, hour = (dinner, 17) if n % 5 == 4 else (lunch, 11)
        at = at_local(day, hour, n % 60)
        if diner is elders[0]:
            payment, how, ref, used = PaymentMethod.CARD, IdentifiedBy.CARD, "", card
        elif n % 3 == 0:
            payment, how, ref, used = PaymentMethod.QR, IdentifiedBy.PHONE, f"WX{n:010d}", None
        else:
            payment, how, ref, used = PaymentMethod.CASH, IdentifiedBy.NAME, "", None
        sell(
            shop.canteen,
            menu,
            diners=[diner],
            identified_by=how,
            payment=payment,
            payment_ref=ref,
            card=used,
            cashier=shop.cashier,
            at=at,
        )
    walk_ins = sell(
        shop.canteen,
        lunch,
        walk_ins=2,
        identified_by=IdentifiedBy.WALK_IN,
        payment=PaymentMethod.CASH,
        cashier=shop.cashier,
        at=at_local(day, 12, 30),
    )
    assert walk_ins.total_fen == 2 * 1200
    with pytest.raises(Conflict):  # nobody eats the same meal twice
        sell(
            shop.canteen,
            lunch,
            diners=[turning_60],
            identified_by=IdentifiedBy.NAME,
            payment=PaymentMethod.CASH,
            cashier=shop.cashier,
            at=at_local(day, 12, 45),
        )

    line_of = {line.diner_id: line for line in MealLine.objects.filter(diner__isnull=False)}
    assert line_of[turning_60.pk].price_fen == 800
    assert "年满 60 周岁（60 岁）" in line_of[turning_60.pk].reason
    assert line_of[turning_60_tomorrow.pk].price_fen == 1200
    card.refresh_from_db()
    assert card.balance_fen == 10_000 - 800

    # --- the day's figures --------------------------------------------------------------
    discounted = 1 + len(elders) + len(disabled) + len(dibao)  # 89
    standard = 1 + len(others)  # 61
    figures = daily_figures(shop.canteen, day)
    assert figures.diners == 150 + 2
    assert figures.meals_by_tier == {"优惠价": discounted, "标准价": standard, "散客（标价）": 2}
    assert figures.walk_in_meals == 2
    revenue = discounted * 800 + standard * 1200 + 2 * 1200
    assert figures.revenue_fen == revenue
    owed = {ELDER: (1 + len(elders)) * 400, DISABLED: 10 * 400, DIBAO: 10 * 400}
    assert figures.subsidy_by_source == owed

    # --- the monthly claim to the civil-affairs elderly meal subsidy ------------------
    month = day.replace(day=1)
    preview = claim_preview(shop.canteen, ELDER, month)
    assert (preview.people, preview.meals, preview.total_fen) == (69, 69, owed[ELDER])
    claim = make_claim(shop.canteen, ELDER, month, by=shop.admin)
    assert claim.total_fen == owed[ELDER] and claim.people == 69
    with pytest.raises(Conflict):
        make_claim(shop.canteen, ELDER, month, by=shop.admin)
    document = claim_document(claim)
    book = load_workbook(io.BytesIO(xlsx_bytes(document)))
    cells = [c for sheet in book for row in sheet.values for c in row if c is not None]
    assert "马秀兰" in cells and 276 in cells  # 69 × 4 yuan, a number in the sheet
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes(document))).pages)
    assert ELDER in text and "276.00" in text and "马秀兰" in text
    assert claim_preview(shop.canteen, DIBAO, month).total_fen == owed[DIBAO]

    # --- the year: costs, profit, the 20 % allocation, once ----------------------------
    line = BusinessLine.objects.get(enterprise=shop.enterprise, kind=LineKind.CANTEEN)
    for category, amount, text_ in [
        (EntryCategory.INGREDIENTS, 95_000, "食材采购"),
        (EntryCategory.WAGES, 60_000, "厨师与帮厨工资"),
    ]:
        record_entry(
            shop.enterprise,
            line=line,
            date=day,
            kind=EntryKind.COST,
            category=category,
            amount_fen=amount,
            description=text_,
            by=shop.admin,
        )
    income = revenue + sum(owed.values())
    profit = income - 155_000
    figures_year = year_figures(shop.enterprise, year)
    assert figures_year.profit_fen == profit
    closed = close_year(shop.enterprise, year, by=shop.admin)
    assert closed.profit_fen == profit
    assert closed.allocation_fen == math.ceil(profit * 20 / 100)
    fund = WelfareFund.objects.get(enterprise=shop.enterprise)
    assert fund.balance_fen == closed.allocation_fen
    with pytest.raises(Conflict):
        close_year(shop.enterprise, year, by=shop.admin)
    assert FundMove.objects.filter(fund=fund).count() == 1
    fund.refresh_from_db()
    assert fund.balance_fen == closed.allocation_fen
