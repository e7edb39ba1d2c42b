"""The seeded canteen rule at its edges (社区食堂一荤一素：60+、残疾、低保 8 元，其他 12 元)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.eligibility.engine import decide, quote, tier_specs
from linli.eligibility.facts import resident_facts
from linli.eligibility.models import Scheme
from linli.testing.factories import ResidentFactory

TODAY = dt.date(2026, 11, 29)

pytestmark = pytest.mark.django_db


def years_ago(years: int, day: dt.date = TODAY) -> dt.date:
    return day.replace(year=day.year - years)


def canteen(resident: object, on: dt.date = TODAY):  # type: ignore[no-untyped-def]
    return quote(scheme_code="canteen_meal", subject=resident, on=on)


def test_resident_turning_60_today_pays_8_yuan():
    resident = ResidentFactory(birth_date=years_ago(60))
    result = canteen(resident)
    assert result.price_fen == 800
    assert result.tier == "优惠价"
    assert "年满 60 周岁（60 岁）" in result.reason


def test_resident_turning_60_tomorrow_pays_12_yuan():
    resident = ResidentFactory(birth_date=years_ago(60) + dt.timedelta(days=1))
    result = canteen(resident)
    assert result.price_fen == 1200
    assert result.tier == "标准价"
    assert result.subsidies == ()


def test_born_29_february_gets_8_yuan_from_the_60th_birthday():
    # Leap year + 60 is a leap year again (before 2100), so the 60th birthday exists.
    resident = ResidentFactory(birth_date=dt.date(1964, 2, 29))
    assert canteen(resident, dt.date(2024, 2, 28)).price_fen == 1200
    assert canteen(resident, dt.date(2024, 2, 29)).price_fen == 800
    assert "年满 60 周岁（60 岁）" in canteen(resident, dt.date(2024, 2, 29)).reason


def test_born_29_february_ages_on_1_march_in_a_common_year():
    resident = ResidentFactory(birth_date=dt.date(1964, 2, 29))
    assert "（60 岁）" in canteen(resident, dt.date(2025, 2, 28)).reason
    assert "（61 岁）" in canteen(resident, dt.date(2025, 3, 1)).reason


def test_disabled_30_year_old_pays_8_yuan_and_disability_fund_owes_4():
    resident = ResidentFactory(birth_date=years_ago(30), disabled=True, disability_level=2)
    result = canteen(resident)
    assert result.price_fen == 800
    assert "残疾人" in result.reason
    assert [(s.source, s.amount_fen) for s in result.subsidies] == [("残联助残补贴", 400)]


def test_dibao_resident_pays_8_yuan_with_social_assistance_subsidy():
    resident = ResidentFactory(birth_date=years_ago(45), dibao=True)
    result = canteen(resident)
    assert result.price_fen == 800
    assert "低保对象" in result.reason
    assert [(s.source, s.amount_fen) for s in result.subsidies] == [("民政社会救助（低保）", 400)]


def test_elder_subsidy_is_owed_by_civil_affairs_even_when_also_dibao():
    resident = ResidentFactory(birth_date=years_ago(67), dibao=True)
    result = canteen(resident)
    assert result.price_fen == 800
    assert result.reason == "优惠价 8 元：年满 60 周岁（67 岁）、低保对象"
    assert [(s.source, s.amount_fen) for s in result.subsidies] == [("民政部门老年助餐补贴", 400)]


def test_tekun_alone_pays_12_yuan_as_in_the_report():
    resident = ResidentFactory(birth_date=years_ago(50), tekun=True, living_alone=True)
    assert canteen(resident).price_fen == 1200


def test_walk_in_pays_list_price_12_yuan():
    result = canteen(None)
    assert result.price_fen == 1200
    assert result.tier is None
    assert "散客" in result.reason


def test_quote_lists_rules_evaluated_with_pass_fail_and_reasons():
    resident = ResidentFactory(birth_date=years_ago(40))
    result = canteen(resident)
    assert [(r.name, r.passed) for r in result.rules] == [("优惠价", False), ("标准价", True)]
    assert "年龄（周岁） ≥ 60" in result.rules[0].explanation
    assert "低保" in result.rules[0].explanation
    data = result.as_dict()
    assert data["price_fen"] == 1200 and data["on"] == "2026-11-29"


def test_seed_is_idempotent_and_keeps_staff_edits():
    import importlib

    from django.apps import apps as django_apps

    seed = importlib.import_module("linli.eligibility.migrations.0002_seed_canteen_meal").seed
    Scheme.objects.filter(code="canteen_meal").update(name="改过的名字")
    seed(django_apps, None)
    assert Scheme.objects.filter(code="canteen_meal").count() == 1
    assert Scheme.objects.get(code="canteen_meal").name == "改过的名字"


TAGS = ["living_alone", "empty_nest", "disabled", "dibao", "tekun", "left_behind_child", "key_care"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    birth=st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31)),
    on=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2035, 12, 31)),
    tags=st.sets(st.sampled_from(TAGS)),
)
def test_price_is_8_yuan_iff_60_plus_or_disabled_or_dibao(birth, on, tags):
    scheme = Scheme.objects.get(code="canteen_meal")
    tiers = tier_specs(scheme)

    class Person:
        birth_date = birth
        sex = "F"
        disability_level = None
        residence_type = "registered"
        area = None

    person = Person()
    for tag in TAGS:
        setattr(person, tag, tag in tags)
    facts = resident_facts(person, on)
    result = decide(
        scheme_code=scheme.code,
        scheme_name=scheme.name,
        subject_kind="resident",
        tiers=tiers,
        facts=facts,
        on=on,
        base_price_fen=scheme.list_price_fen,
    )
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    eligible = age >= 60 or "disabled" in tags or "dibao" in tags
    assert result.price_fen == (800 if eligible else 1200)
    assert result.subsidy_fen == (400 if eligible else 0)
    assert len(result.subsidies) == (1 if eligible else 0)
