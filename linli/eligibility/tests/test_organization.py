"""Organisation facts plug into the same engine (policy matching, issue 6)."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.eligibility.engine import EligibilityError, SubsidySpec, TierSpec, decide, quote
from linli.eligibility.facts import organization_facts
from linli.eligibility.services import scheme_save
from linli.testing.factories import OrganizationFactory, ResidentFactory

ON = dt.date(2026, 11, 29)
EMPLOYS_DISABLED = {
    "fact": "disabled_employees",
    "op": ">=",
    "value": 1,
    "label": "在册残疾职工 {disabled_employees} 人",
}
TAX_RELIEF = [
    TierSpec(
        priority=1,
        name="可享受",
        condition=EMPLOYS_DISABLED,
        price_fen=0,
        reason="符合安置残疾人就业增值税优惠：{held}",
        valid_from=dt.date(2026, 1, 1),
        subsidies=(SubsidySpec("税务部门增值税即征即退", 0, {"all": []}),),
    ),
    TierSpec(2, "不符合", {"all": []}, 0, "未安置残疾人就业", dt.date(2026, 1, 1)),
]


def test_policy_over_a_facts_dict_names_the_rule():
    result = decide(
        scheme_code="tax_relief_disabled",
        scheme_name="安置残疾人就业税收优惠",
        subject_kind="organization",
        tiers=TAX_RELIEF,
        facts={"disabled_employees": 2, "industry": "餐饮"},
        on=ON,
        base_price_fen=0,
    )
    assert result.tier == "可享受"
    assert result.reason == "符合安置残疾人就业增值税优惠：在册残疾职工 2 人"


@pytest.mark.django_db
def test_organisation_facts_count_disabled_employees_from_the_registry():
    org = OrganizationFactory(industry="餐饮", employee_count=12, internship_base=True)
    ResidentFactory(employer=org, disabled=True)
    ResidentFactory(employer=org)
    scheme_save(
        code="tax_relief_disabled",
        name="安置残疾人就业税收优惠",
        subject_kind="organization",
        list_price_fen=0,
        tiers=TAX_RELIEF,
    )
    facts = organization_facts(org)
    assert facts["disabled_employees"] == 1 and facts["internship_base"] is True
    assert facts["community"] == org.area.code
    assert quote(scheme_code="tax_relief_disabled", subject=org, on=ON).tier == "可享受"
    assert quote(scheme_code="tax_relief_disabled", subject=OrganizationFactory(), on=ON).tier == (
        "不符合"
    )


@pytest.mark.django_db
def test_resident_cannot_be_quoted_on_an_organisation_scheme():
    scheme_save(code="org_only", name="仅限单位", subject_kind="organization", tiers=TAX_RELIEF)
    with pytest.raises(EligibilityError, match="只适用于单位"):
        quote(scheme_code="org_only", subject=ResidentFactory(), on=ON)
