"""Policy services: saving with checks, matching with reasons, 免申即享, re-matching on
registry changes, notifications once, the steps of a match and the relay's notes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from linli.eligibility.facts import organization_facts
from linli.engagement import policies
from linli.engagement.errors import EngagementError, IllegalTransition, NotAllowed
from linli.engagement.models import GrantMode, MatchStatus, Policy, PolicyMatch, PolicyNote
from linli.engagement.policy_selectors import organization_subjects
from linli.engagement.tests.test_policy_support import *  # noqa: F403
from linli.engagement.tests.test_policy_support import (
    INTERNSHIP,
    TALENT,
    contact_for,
    policy_fields,
)
from linli.notify.models import Notification
from linli.orgs.models import Organization
from linli.testing.factories import OrganizationFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def matches(policy: Policy) -> dict[str, PolicyMatch]:
    return {m.organization.name: m for m in policy.matches.select_related("organization")}


# --- saving -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "请填写政策名称"),
        ({"issuer": ""}, "issuer", "请填写发布机关"),
        ({"valid_to": dt.date(2025, 12, 31)}, "valid_to", "失效日期不能早于生效日期"),
        ({"benefit_fen": -1}, "benefit_fen", "不小于 0"),
        ({"condition": {"fact": "agee", "op": ">=", "value": 1}}, "condition", "未知的事实“agee”"),
        (
            {
                "condition": {
                    "all": [
                        {"fact": "employee_count", "op": ">=", "value": 50},
                        {"fact": "employee_count", "op": "<", "value": 20},
                    ]
                }
            },
            "condition",
            "资格条件自相矛盾，任何对象都不可能符合："
            "“从业人数 ≥ 50”与“从业人数 < 20”不可能同时成立",
        ),
        ({"grant_mode": "maybe"}, "grant_mode", "兑现方式"),
        ({"source_url": "not a url"}, "source_url", "URL"),
    ],
)
def test_bad_policy_is_refused_with_the_reason_and_nothing_written(
    areas, orgs, policy_admin, overrides, field, message
):
    with pytest.raises(policies.PolicyInvalid) as caught:
        policies.policy_save(actor=policy_admin, **policy_fields(areas["community"], **overrides))
    assert message in caught.value.errors[field]
    assert not Policy.objects.exists() and not PolicyMatch.objects.exists()


def test_policy_for_a_grid_is_refused(areas, policy_admin):
    with pytest.raises(policies.PolicyInvalid, match="区、街道或社区"):
        policies.policy_save(actor=policy_admin, **policy_fields(areas["grid"]))


def test_staff_of_another_street_cannot_add_a_policy_here(areas, stranger_admin):
    with pytest.raises(NotAllowed):
        policies.policy_save(actor=stranger_admin, **policy_fields(areas["community"]))
    assert not Policy.objects.exists()


def test_bad_edit_keeps_the_old_policy(areas, orgs, policy_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    with pytest.raises(policies.PolicyInvalid):
        policies.policy_save(actor=policy_admin, policy=policy, condition={"any": []})
    policy.refresh_from_db()
    assert policy.condition == TALENT
    assert set(matches(policy)) == {"云帆软件"}


# --- matching -----------------------------------------------------------------------------


def test_matching_lists_the_qualifying_organisations_with_reasons(areas, orgs, policy_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))

    found = matches(policy)
    assert set(found) == {"云帆软件"}
    assert found["云帆软件"].reasons == (
        "从业人数 ≥ 10（现 35 人）；行业：信息传输、软件和信息技术服务业"
    )
    assert found["云帆软件"].status == MatchStatus.MATCHED


def test_organisations_outside_the_policy_area_are_not_matched(
    areas, other_areas, orgs, policy_admin
):
    OrganizationFactory(
        name="别处软件",
        area=other_areas["community"],
        industry=orgs["software"].industry,
        employee_count=80,
    )
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    assert "别处软件" not in matches(policy)


def test_disabled_employees_are_counted_from_the_registry(areas, orgs, policy_admin):
    condition = {
        "fact": "disabled_employees",
        "op": ">=",
        "value": 1,
        "label": "在册残疾职工 {disabled_employees} 人",
    }
    policy = policies.policy_save(
        actor=policy_admin,
        **policy_fields(areas["community"], title="安置残疾人就业税收优惠", condition=condition),
    )
    assert {name: m.reasons for name, m in matches(policy).items()} == {
        "回味餐饮": "在册残疾职工 1 人"
    }


def test_bulk_facts_equal_the_engine_facts(orgs):
    bulk = {s.id: dict(s.facts) for s in organization_subjects(Organization.objects.all())}
    for org in Organization.objects.all():
        assert bulk[org.pk] == organization_facts(org)


def test_matching_needs_few_queries_however_many_organisations(
    areas, policy_admin, django_assert_max_num_queries
):
    for i in range(40):
        org = OrganizationFactory(area=areas["community"], internship_base=True, employee_count=i)
        ResidentFactory(employer=org, disabled=i % 2 == 0)
    policy = policies.policy_save(
        actor=policy_admin, **policy_fields(areas["community"], title="见习", condition=INTERNSHIP)
    )
    assert policy.matches.count() == 40
    with django_assert_max_num_queries(12):
        report = policies.policy_match(policy=policy)
    assert report.considered == 40 and report.qualifying == 40 and report.created == 0


def test_automatic_policy_is_granted_at_once(areas, orgs, policy_admin, software_contact):
    policy = policies.policy_save(
        actor=policy_admin,
        **policy_fields(
            areas["community"],
            grant_mode=GrantMode.AUTOMATIC,
            benefit_fen=195_000,
            benefit_unit="人",
        ),
    )
    match = matches(policy)["云帆软件"]
    assert match.status == MatchStatus.GRANTED
    assert match.granted_fen == 195_000 and match.outcome_at is not None
    note = Notification.objects.get(user=software_contact)
    assert note.title == "您单位符合《人才共有产权住房》，已自动兑现"
    assert "免申即享" in note.body and "1950.00 元" in note.body


def test_contacts_are_told_once(areas, orgs, policy_admin, software_contact):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    policies.policy_match(policy=policy)
    policies.policy_save(actor=policy_admin, policy=policy, summary="补充说明")

    note = Notification.objects.get(user=software_contact)
    assert note.title == "您单位符合《人才共有产权住房》"
    assert note.body.startswith(
        "您单位符合《人才共有产权住房》，可享受引进人才可申请共有产权住房。"
    )
    assert note.link == f"/biz/policies/{matches(policy)['云帆软件'].pk}/"
    match = matches(policy)["云帆软件"]
    assert match.status == MatchStatus.NOTIFIED and match.notified_at is not None
    with pytest.raises(IllegalTransition, match="不再重复通知"):
        policies.policy_match_notify(match=match, actor=policy_admin)


def test_organisation_without_contact_is_told_by_phone(areas, orgs, policy_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    match = matches(policy)["云帆软件"]
    assert match.notified_at is None
    with pytest.raises(EngagementError, match="电话告知"):
        policies.policy_match_notify(match=match, actor=policy_admin)
    told = policies.policy_match_notify(match=match, actor=policy_admin, by_phone=True)
    assert told.status == MatchStatus.NOTIFIED and told.notified_at is not None
    assert not Notification.objects.exists()


def test_a_contact_added_later_is_told_by_staff(areas, orgs, policy_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    contact = contact_for(orgs["software"])
    policies.policy_match_notify(match=matches(policy)["云帆软件"], actor=policy_admin)
    assert Notification.objects.filter(user=contact).count() == 1


# --- re-matching on registry changes ------------------------------------------------------


def test_fact_change_adds_then_lapses_a_match(
    areas, orgs, policy_admin, django_capture_on_commit_callbacks
):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    small = orgs["small_it"]

    small.employee_count = 12
    with django_capture_on_commit_callbacks(execute=True):
        small.save()
    assert matches(policy)["小小科技"].status == MatchStatus.MATCHED
    assert "现 12 人" in matches(policy)["小小科技"].reasons

    small.employee_count = 8
    with django_capture_on_commit_callbacks(execute=True):
        small.save()
    assert matches(policy)["小小科技"].status == MatchStatus.LAPSED

    small.employee_count = 20
    with django_capture_on_commit_callbacks(execute=True):
        small.save()
    assert matches(policy)["小小科技"].status == MatchStatus.MATCHED
    assert "现 20 人" in matches(policy)["小小科技"].reasons


def test_hiring_a_disabled_person_adds_the_employer(
    areas, orgs, policy_admin, django_capture_on_commit_callbacks
):
    condition = {"fact": "disabled_employees", "op": ">=", "value": 1}
    policy = policies.policy_save(
        actor=policy_admin,
        **policy_fields(areas["community"], title="税收优惠", condition=condition),
    )
    person = ResidentFactory(disabled=True)
    person.employer = orgs["software"]
    with django_capture_on_commit_callbacks(execute=True):
        person.save()
    assert matches(policy)["云帆软件"].status == MatchStatus.MATCHED

    # Moving to another employer: the old one no longer qualifies, the new one does.
    person.employer = orgs["small_it"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        person.save()
    assert len(callbacks) == 2
    found = matches(policy)
    assert found["云帆软件"].status == MatchStatus.LAPSED
    assert found["小小科技"].status == MatchStatus.MATCHED


def test_unrelated_resident_edit_does_not_rematch(orgs, django_capture_on_commit_callbacks):
    person = ResidentFactory(employer=orgs["software"])
    person.note = "新电话"
    with django_capture_on_commit_callbacks() as callbacks:
        person.save()
    assert callbacks == []


def test_an_application_is_not_withdrawn_by_a_registry_change(
    areas, orgs, policy_admin, software_contact
):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    policies.policy_match_applied(match=matches(policy)["云帆软件"], actor=software_contact)
    Organization.objects.filter(pk=orgs["software"].pk).update(employee_count=3)
    policies.organization_changed(orgs["software"])
    assert matches(policy)["云帆软件"].status == MatchStatus.APPLIED


def test_expired_policy_is_not_matched(areas, orgs, policy_admin):
    policy = policies.policy_save(
        actor=policy_admin, **policy_fields(areas["community"], valid_to=dt.date(2026, 1, 31))
    )
    later = timezone.now() + dt.timedelta(days=3650)
    report = policies.policy_match(policy=policy, now=later)
    assert report.skipped.startswith("政策已于 2026-01-31 失效")


# --- steps of a match ---------------------------------------------------------------------


def test_apply_then_grant_with_the_default_amount(areas, orgs, policy_admin, software_contact):
    policy = policies.policy_save(
        actor=policy_admin,
        **policy_fields(areas["community"], benefit_fen=500_000, benefit_unit="户"),
    )
    match = matches(policy)["云帆软件"]
    applied = policies.policy_match_applied(match=match, actor=software_contact)
    assert applied.status == MatchStatus.APPLIED and applied.applied_at is not None
    with pytest.raises(IllegalTransition, match="已经申报过了"):
        policies.policy_match_applied(match=match, actor=software_contact)
    granted = policies.policy_match_outcome(match=match, actor=policy_admin, outcome="granted")
    assert granted.status == MatchStatus.GRANTED and granted.granted_fen == 500_000
    with pytest.raises(IllegalTransition, match="不能再登记结果"):
        policies.policy_match_outcome(match=match, actor=policy_admin, outcome="rejected", note="x")


def test_rejection_needs_a_reason(areas, orgs, policy_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    match = matches(policy)["云帆软件"]
    with pytest.raises(EngagementError, match="请填写未通过的原因"):
        policies.policy_match_outcome(match=match, actor=policy_admin, outcome="rejected")
    with pytest.raises(EngagementError, match="兑现金额不能为负"):
        policies.policy_match_outcome(
            match=match, actor=policy_admin, outcome="granted", amount_fen=-5
        )
    match.refresh_from_db()
    assert match.status == MatchStatus.MATCHED


def test_nothing_to_apply_for_under_mian_shen_ji_xiang(areas, orgs, policy_admin, software_contact):
    policy = policies.policy_save(
        actor=policy_admin, **policy_fields(areas["community"], grant_mode=GrantMode.AUTOMATIC)
    )
    with pytest.raises(IllegalTransition, match="免申即享"):
        policies.policy_match_applied(match=matches(policy)["云帆软件"], actor=software_contact)


def test_another_organisations_contact_cannot_apply(areas, orgs, policy_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    intruder = contact_for(orgs["restaurant"])
    with pytest.raises(NotAllowed):
        policies.policy_match_applied(match=matches(policy)["云帆软件"], actor=intruder)


def test_staff_elsewhere_cannot_record_outcomes(areas, orgs, policy_admin, stranger_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    with pytest.raises(NotAllowed):
        policies.policy_match_outcome(
            match=matches(policy)["云帆软件"], actor=stranger_admin, outcome="granted"
        )


# --- notes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("解读.exe", b"MZ\x90\x00", "附件只能是"),
        ("解读.pdf", b"PK\x03\x04 not a pdf", "内容与扩展名“.pdf”不符"),
        ("解读.pdf", b"", "空文件"),
        ("解读.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024), "不能超过 10 MB"),
    ],
)
def test_bad_attachment_is_refused(areas, orgs, policy_admin, name, content, message):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(EngagementError, match=message):
        policies.policy_note_add(policy=policy, actor=policy_admin, text="解读", attachment=upload)
    assert not PolicyNote.objects.exists()


def test_note_with_a_pdf_is_kept(areas, orgs, policy_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    upload = SimpleUploadedFile("申报指南.pdf", b"%PDF-1.4 ...")
    note = policies.policy_note_add(
        policy=policy, actor=policy_admin, text="  每年 3 月申报。 ", attachment=upload
    )
    assert note.text == "每年 3 月申报。" and note.author == policy_admin
    assert note.attachment.name.endswith(".pdf")


def test_note_needs_text_and_a_policy_in_ones_areas(areas, orgs, policy_admin, stranger_admin):
    policy = policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    with pytest.raises(EngagementError, match="请填写政策解读"):
        policies.policy_note_add(policy=policy, actor=policy_admin, text="  ")
    with pytest.raises(NotAllowed):
        policies.policy_note_add(policy=policy, actor=stranger_admin, text="解读")


# --- demo ---------------------------------------------------------------------------------


def test_demo_policies_match_the_demo_kind_of_enterprises(areas, orgs):
    made = policies.demo_policies(areas["community"])
    by_title = {p.title: set(matches(p)) for p in made}
    assert by_title == {
        "青年就业见习补贴": {"小小科技"},
        "安置残疾人就业税收优惠": {"回味餐饮"},
        "人才共有产权住房": {"云帆软件"},
    }
    again = policies.demo_policies(areas["community"])
    assert [p.pk for p in again] == [p.pk for p in made]
