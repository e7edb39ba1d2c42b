"""Back office: tier sets checked as a whole, Chinese JSON errors, the 试算 page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from linli.eligibility.models import Scheme, Tier
from linli.people.models import Role
from linli.testing.factories import ResidentFactory, make_id_number, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def street_admin(areas):  # type: ignore[no-untyped-def]
    return staff_user(areas["street"], Role.STREET_ADMIN)


def scheme_post(scheme: Scheme, tiers: list[dict[str, str]]) -> dict[str, str]:
    data = {
        "code": scheme.code,
        "name": scheme.name,
        "subject_kind": scheme.subject_kind,
        "unit": scheme.unit,
        "list_price_fen": str(scheme.list_price_fen or ""),
        "description": scheme.description,
        "active": "on",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": str(sum(1 for t in tiers if t.get("id"))),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, tier in enumerate(tiers):
        for key, value in tier.items():
            data[f"tiers-{i}-{key}"] = value
        data[f"tiers-{i}-scheme"] = str(scheme.pk)
    return data


def existing(scheme: Scheme) -> list[dict[str, str]]:
    return [
        {
            "id": str(t.pk),
            "priority": str(t.priority),
            "name": t.name,
            "condition": json.dumps(t.condition, ensure_ascii=False),
            "price_fen": str(t.price_fen),
            "reason": t.reason,
            "valid_from": t.valid_from.isoformat(),
            "valid_to": "",
        }
        for t in scheme.tiers.order_by("priority")
    ]


def test_overlapping_tier_added_in_admin_is_rejected_and_nothing_saved(client, street_admin):
    scheme = Scheme.objects.get(code="canteen_meal")
    client.force_login(street_admin)
    tiers = existing(scheme)
    tiers[0]["price_fen"] = "700"  # an edit in the same submission must not be saved either
    tiers.append({**tiers[1], "id": "", "name": "新标准价", "valid_from": "2027-01-01"})
    response = client.post(
        reverse("admin:eligibility_scheme_change", args=[scheme.pk]), scheme_post(scheme, tiers)
    )
    assert response.status_code == 200
    assert "优先级同为 2 且有效期重叠" in response.content.decode()
    assert Tier.objects.filter(scheme=scheme).count() == 2
    assert Tier.objects.get(scheme=scheme, priority=1).price_fen == 800


def test_ending_the_old_tier_makes_a_valid_price_change(client, street_admin):
    scheme = Scheme.objects.get(code="canteen_meal")
    client.force_login(street_admin)
    tiers = existing(scheme)
    tiers[1]["valid_to"] = "2026-12-31"
    tiers.append(
        {
            **tiers[1],
            "id": "",
            "name": "新标准价",
            "price_fen": "1300",
            "valid_from": "2027-01-01",
            "valid_to": "",
        }
    )
    response = client.post(
        reverse("admin:eligibility_scheme_change", args=[scheme.pk]), scheme_post(scheme, tiers)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Tier.objects.filter(scheme=scheme).count() == 3


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ('{"fact": "age", "op": ">=", "value": 60', "条件不是合法的 JSON（第 1 行"),
        ('{"fact": "agee", "op": ">=", "value": 60}', "未知的事实“agee”"),
        ('{"fact": "tags", "op": "contains", "value": "rich"}', "没有取值“rich”"),
    ],
)
def test_bad_condition_json_gets_a_chinese_error(client, street_admin, condition, message):
    scheme = Scheme.objects.get(code="canteen_meal")
    client.force_login(street_admin)
    tiers = existing(scheme)
    tiers[0]["condition"] = condition
    response = client.post(
        reverse("admin:eligibility_scheme_change", args=[scheme.pk]), scheme_post(scheme, tiers)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Tier.objects.get(scheme=scheme, priority=1).condition["any"]


def test_single_tier_page_checks_overlap_with_siblings(client, street_admin):
    scheme = Scheme.objects.get(code="canteen_meal")
    client.force_login(street_admin)
    data = {
        "scheme": str(scheme.pk),
        "priority": "1",
        "name": "第二个优惠价",
        "condition": '{"all": []}',
        "price_fen": "500",
        "reason": "",
        "valid_from": "2026-06-01",
        "valid_to": "",
        "subsidies-TOTAL_FORMS": "0",
        "subsidies-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:eligibility_tier_add"), data)
    assert "优先级同为 1 且有效期重叠" in response.content.decode()
    assert Tier.objects.filter(scheme=scheme).count() == 2


def test_community_admin_may_read_but_not_change(client, community_admin):
    scheme = Scheme.objects.get(code="canteen_meal")
    client.force_login(community_admin)
    assert client.get(reverse("admin:eligibility_scheme_changelist")).status_code == 200
    response = client.post(
        reverse("admin:eligibility_scheme_change", args=[scheme.pk]),
        scheme_post(scheme, existing(scheme)),
    )
    assert response.status_code == 403


def test_volunteer_sees_no_price_lists(client, areas):
    client.force_login(staff_user(areas["micro_grid"], Role.VOLUNTEER))
    assert client.get(reverse("admin:eligibility_scheme_changelist")).status_code == 403


# --- 试算 -----------------------------------------------------------------------------------


def trial(client, resident_text: str, on: str = "2026-11-29"):  # type: ignore[no-untyped-def]
    scheme = Scheme.objects.get(code="canteen_meal")
    url = reverse("admin:eligibility_scheme_trial", args=[scheme.pk])
    return client.post(url, {"resident": resident_text, "on": on}).content.decode()


def test_trial_quote_shows_price_tier_and_reasons(client, assigned):
    number = make_id_number(dt.date(1966, 11, 29))
    ResidentFactory(id_number=number, birth_date=dt.date(1966, 11, 29))
    client.force_login(assigned)
    html = trial(client, number)
    assert "8.00 元（优惠价）" in html
    assert "年满 60 周岁（60 岁）" in html
    assert "民政部门老年助餐补贴" in html
    assert "不适用" not in html  # the first rule applied, nothing failed before it
    assert "12.00 元（标准价）" in trial(client, number, "2026-11-28")


def test_trial_quote_by_registry_number_for_a_younger_resident(client, assigned):
    resident = ResidentFactory(birth_date=dt.date(1990, 3, 3))
    client.force_login(assigned)
    html = trial(client, str(resident.pk))
    assert "12.00 元（标准价）" in html and "不适用" in html


def test_trial_quote_outside_own_area_is_refused(client, elsewhere, areas):
    resident = ResidentFactory()
    client.force_login(elsewhere)
    html = trial(client, str(resident.pk))
    assert "不在您的管辖范围内" in html
    assert "元（" not in html


def test_trial_quote_for_unknown_resident_says_so(client, assigned):
    client.force_login(assigned)
    assert "没有找到这位居民" in trial(client, "110101199001011234")


def test_back_office_pages_render_for_a_street_admin(client, street_admin):
    scheme = Scheme.objects.get(code="canteen_meal")
    tier = scheme.tiers.get(priority=1)
    client.force_login(street_admin)
    listing = client.get(reverse("admin:eligibility_scheme_changelist")).content.decode()
    assert "社区食堂助餐价格" in listing and "12.00 元" in listing and "试算" in listing
    change = client.get(
        reverse("admin:eligibility_scheme_change", args=[scheme.pk])
    ).content.decode()
    assert "年满 60 周岁（{age} 岁）" in change  # the condition JSON is shown readable
    tier_page = client.get(
        reverse("admin:eligibility_tier_change", args=[tier.pk])
    ).content.decode()
    assert "民政部门老年助餐补贴" in tier_page
    tiers = client.get(reverse("admin:eligibility_tier_changelist")).content.decode()
    assert "（年龄（周岁） ≥ 60 或 关爱标签 包含 残疾 或 关爱标签 包含 低保）" in tiers
    trial_page = client.get(reverse("admin:eligibility_scheme_trial", args=[scheme.pk]))
    assert trial_page.status_code == 200


def test_new_scheme_with_tiers_is_added_in_one_submission(client, street_admin):
    client.force_login(street_admin)
    data = {
        "code": "haircut",
        "name": "理发价格",
        "subject_kind": "resident",
        "unit": "次",
        "list_price_fen": "1500",
        "description": "",
        "active": "on",
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
        "tiers-0-priority": "1",
        "tiers-0-name": "高龄价",
        "tiers-0-condition": '{"fact": "age", "op": ">=", "value": 80}',
        "tiers-0-price_fen": "500",
        "tiers-0-reason": "高龄价：{held}",
        "tiers-0-valid_from": "2026-01-01",
        "tiers-0-valid_to": "",
    }
    response = client.post(reverse("admin:eligibility_scheme_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Scheme.objects.get(code="haircut").tiers.get().price_fen == 500


def test_organisation_scheme_rejects_resident_facts_in_admin(client, street_admin):
    client.force_login(street_admin)
    data = {
        "code": "policy_x",
        "name": "某政策",
        "subject_kind": "organization",
        "unit": "",
        "list_price_fen": "0",
        "description": "",
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
        "tiers-0-priority": "1",
        "tiers-0-name": "符合",
        "tiers-0-condition": '{"fact": "age", "op": ">=", "value": 60}',
        "tiers-0-price_fen": "0",
        "tiers-0-valid_from": "2026-01-01",
    }
    response = client.post(reverse("admin:eligibility_scheme_add"), data)
    assert "未知的事实“age”" in response.content.decode()
    assert not Scheme.objects.filter(code="policy_x").exists()
