"""Scheme writes (overlap rejected, nothing half-written) and the scoped quote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from linli.eligibility.engine import EligibilityError, SubsidySpec, TierSpec, quote
from linli.eligibility.models import Scheme, Subsidy, Tier
from linli.eligibility.services import quote_for_resident, scheme_save
from linli.people.models import Role
from linli.testing.factories import ResidentFactory, staff_user

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 29)
AGE_60 = {"fact": "age", "op": ">=", "value": 60}
JAN = dt.date(2026, 1, 1)


def tier(priority: int, name: str, price: int | None, start=JAN, end=None, condition=None):  # type: ignore[no-untyped-def]
    return TierSpec(priority, name, condition or {"all": []}, price, "", start, end)


def test_overlapping_tiers_at_same_priority_are_rejected_and_nothing_saved():
    scheme_save(code="bath", name="助浴", list_price_fen=5000, tiers=[tier(1, "旧价", 4000)])
    with pytest.raises(ValidationError) as error:
        scheme_save(
            code="bath",
            name="助浴（改）",
            list_price_fen=5000,
            tiers=[
                tier(1, "优惠", 3000, condition=AGE_60),
                tier(1, "标准", 5000, start=dt.date(2026, 6, 1)),
                tier(2, "兜底", 5000),
            ],
        )
    assert "优先级同为 1 且有效期重叠" in " ".join(error.value.messages)
    scheme = Scheme.objects.get(code="bath")
    assert scheme.name == "助浴"
    assert list(Tier.objects.filter(scheme=scheme).values_list("name", flat=True)) == ["旧价"]


def test_same_priority_in_successive_periods_is_a_price_change_not_an_overlap():
    scheme_save(
        code="haircut",
        name="理发",
        list_price_fen=1500,
        tiers=[
            tier(1, "2026 上半年", 1000, end=dt.date(2026, 6, 30)),
            tier(1, "2026 下半年", 1200, start=dt.date(2026, 7, 1)),
        ],
    )
    who = ResidentFactory()
    assert quote(scheme_code="haircut", subject=who, on=dt.date(2026, 6, 30)).price_fen == 1000
    assert quote(scheme_code="haircut", subject=who, on=dt.date(2026, 7, 1)).price_fen == 1200
    assert quote(scheme_code="haircut", subject=who, on=dt.date(2025, 12, 31)).price_fen == 1500


def test_bad_condition_json_is_rejected_in_chinese_with_nothing_saved():
    with pytest.raises(ValidationError) as error:
        scheme_save(
            code="meal_x",
            name="测试",
            tiers=[tier(1, "优惠", 800, condition={"fact": "agee", "op": ">=", "value": 60})],
        )
    assert "第 1 档“优惠”：条件.fact：未知的事实“agee”" in error.value.messages[0]
    assert not Scheme.objects.filter(code="meal_x").exists()


def test_bad_subsidy_and_dates_are_each_reported():
    bad = TierSpec(
        1,
        "优惠",
        {"all": []},
        800,
        "{nope}",
        JAN,
        dt.date(2025, 1, 1),
        (SubsidySpec("", -1, {"any": 1}),),
    )
    with pytest.raises(ValidationError) as error:
        scheme_save(code="meal_y", name="测试", tiers=[bad])
    text = " ".join(error.value.messages)
    for part in ["失效日期早于生效日期", "“{nope}”不是已知事实", "第 1 项补贴", "不为负的金额"]:
        assert part in text
    assert not Scheme.objects.filter(code="meal_y").exists()


def test_tier_without_price_is_base_price_minus_subsidies():
    spec = TierSpec(
        1,
        "高龄补贴",
        AGE_60,
        None,
        "",
        JAN,
        subsidies=(SubsidySpec("街道养老服务补贴", 2000, AGE_60),),
    )
    scheme_save(code="housekeeping", name="家政", tiers=[spec])
    elder = ResidentFactory(birth_date=dt.date(1950, 1, 1))
    result = quote(scheme_code="housekeeping", subject=elder, on=ON, base_price_fen=6000)
    assert (result.price_fen, result.subsidy_fen) == (4000, 2000)
    assert Subsidy.objects.get(tier__scheme__code="housekeeping").source == "街道养老服务补贴"
    with pytest.raises(EligibilityError, match="没有标价"):
        quote(scheme_code="housekeeping", subject=elder, on=ON)


def test_unknown_or_inactive_scheme_is_an_error():
    with pytest.raises(EligibilityError, match="没有启用的资格方案“nope”"):
        quote(scheme_code="nope", subject=None, on=ON)
    Scheme.objects.filter(code="canteen_meal").update(active=False)
    with pytest.raises(EligibilityError):
        quote(scheme_code="canteen_meal", subject=None, on=ON)


# --- scoping of quote_for_resident --------------------------------------------------------


def test_assigned_worker_gets_the_quote_with_reasons(assigned, areas):
    resident = ResidentFactory(birth_date=dt.date(1990, 1, 1), dibao=True)
    result = quote_for_resident(
        actor=assigned, resident=resident, scheme_code="canteen_meal", on=ON
    )
    assert result.price_fen == 800
    assert "低保对象" in result.reason


def test_worker_elsewhere_is_refused(elsewhere, areas):
    resident = ResidentFactory()
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        quote_for_resident(actor=elsewhere, resident=resident, scheme_code="canteen_meal", on=ON)


def test_anonymous_is_refused(areas):
    resident = ResidentFactory()
    with pytest.raises(PermissionDenied):
        quote_for_resident(
            actor=AnonymousUser(), resident=resident, scheme_code="canteen_meal", on=ON
        )


def test_staff_without_sensitive_access_get_price_but_no_dibao_reason(areas):
    volunteer = staff_user(areas["micro_grid"], Role.VOLUNTEER)
    resident = ResidentFactory(birth_date=dt.date(1990, 1, 1), dibao=True)
    result = quote_for_resident(
        actor=volunteer, resident=resident, scheme_code="canteen_meal", on=ON
    )
    assert result.price_fen == 800
    shown = result.reason + " ".join(r.explanation for r in result.rules)
    shown += " ".join(s.reason for s in result.subsidies)
    assert "低保" not in shown


def test_seeded_canteen_tiers_pass_the_save_checks():
    from linli.eligibility.engine import tier_specs
    from linli.eligibility.services import tiers_check

    tiers_check(subject_kind="resident", tiers=tier_specs(Scheme.objects.get(code="canteen_meal")))


def test_condition_broken_behind_the_back_office_fails_loudly():
    Tier.objects.filter(scheme__code="canteen_meal", priority=1).update(condition={"fact": "x"})
    with pytest.raises(EligibilityError, match="档位“优惠价”的条件无效"):
        quote(scheme_code="canteen_meal", subject=ResidentFactory(), on=ON)
