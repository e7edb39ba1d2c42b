"""service_quote: canteen tiers through meal_assist, fixed list prices, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from linli.orders.models import ServiceType
from linli.orders.services import service_quote
from linli.testing.factories import ResidentFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 29)


def test_resident_turning_60_today_gets_meal_assist_for_8_yuan_with_subsidy():
    resident = ResidentFactory(birth_date=dt.date(1966, 11, 29))
    result = service_quote(
        service_type=ServiceType.objects.get(code="meal_assist"), resident=resident, on=TODAY
    )
    assert result.price_fen == 800
    assert result.subsidy_fen == 400
    assert result.scheme_code == "canteen_meal"
    assert result.tier == "优惠价"
    assert "60" in result.reason
    assert result.rules[0].passed


def test_resident_aged_59_pays_12_yuan_for_meal_assist_and_is_told_why():
    resident = ResidentFactory(birth_date=dt.date(1966, 11, 30))
    result = service_quote(
        service_type=ServiceType.objects.get(code="meal_assist"), resident=resident, on=TODAY
    )
    assert result.price_fen == 1200
    assert result.subsidies == ()
    assert [r.passed for r in result.rules] == [False, True]
    assert result.tier == "标准价"


def test_fixed_price_service_quotes_its_list_price_as_standard_price():
    resident = ResidentFactory(birth_date=dt.date(1940, 1, 1))
    haircut = ServiceType.objects.get(code="haircut")
    result = service_quote(service_type=haircut, resident=resident, on=TODAY)
    assert (result.price_fen, result.reason, result.rules) == (haircut.list_price_fen, "标准价", ())


def test_inactive_service_cannot_be_quoted():
    haircut = ServiceType.objects.get(code="haircut")
    haircut.active = False
    with pytest.raises(ValidationError, match="已停用"):
        service_quote(service_type=haircut, resident=None, on=TODAY)


def test_walk_in_without_registry_record_pays_the_canteen_list_price():
    result = service_quote(
        service_type=ServiceType.objects.get(code="meal_assist"), resident=None, on=TODAY
    )
    assert (result.price_fen, result.tier, result.rules) == (1200, None, ())
    assert "散客" in result.reason


def test_disabled_resident_under_60_gets_8_yuan_paid_by_the_disability_fund():
    resident = ResidentFactory(birth_date=dt.date(1990, 1, 1), disabled=True)
    result = service_quote(
        service_type=ServiceType.objects.get(code="meal_assist"), resident=resident, on=TODAY
    )
    assert result.price_fen == 800
    assert [line.source for line in result.subsidies] == ["残联助残补贴"]
