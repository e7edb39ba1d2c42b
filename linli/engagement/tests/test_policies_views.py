"""Policy pages: staff library, editor with preview, detail with actions and export; the
enterprise contact's pages. Three actors each: assigned, elsewhere, anonymous."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from linli.engagement import policies
from linli.engagement.models import GrantMode, MatchStatus, Policy, PolicyMatch, PolicyNote
from linli.engagement.tests.test_policy_support import *  # noqa: F403
from linli.engagement.tests.test_policy_support import IT, contact_for, policy_fields
from linli.engagement.views_policies import condition_from_structured, structured_from_condition
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(areas, orgs, policy_admin):  # type: ignore[no-untyped-def]
    return policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))


def form_data(areas, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "title": "人才共有产权住房",
        "issuer": "银川市住房和城乡建设局",
        "area": str(areas["community"].pk),
        "subject_kind": "organization",
        "benefit": "引进人才可申请共有产权住房",
        "benefit_yuan": "",
        "grant_mode": "apply",
        "valid_from": "2026-01-01",
        "mode": "structured",
        "kinds": ["enterprise"],
        "industries": f"{IT}\n科学研究和技术服务业",
        "employees_min": "10",
    }
    return data | overrides


# --- who may see the staff pages ----------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client, policy):
    for url in ("/engagement/policies/", f"/engagement/policies/{policy.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_without_a_policy_role_is_refused(client, areas, policy):
    client.force_login(staff_user(areas["micro_grid"], Role.MICRO_GRID_WORKER))
    response = client.get("/engagement/policies/")
    assert response.status_code == 403


def test_assigned_staff_see_the_policy_and_its_matches(client, policy, policy_admin):
    client.force_login(policy_admin)
    listing = client.get("/engagement/policies/").content.decode()
    assert "人才共有产权住房" in listing and "符合 1 个" in listing
    page = client.get(f"/engagement/policies/{policy.pk}/").content.decode()
    assert "云帆软件" in page and "从业人数 ≥ 10（现 35 人）" in page
    assert "小小科技" not in page


def test_staff_elsewhere_get_404_and_an_empty_library(client, policy, stranger_admin):
    client.force_login(stranger_admin)
    assert "人才共有产权住房" not in client.get("/engagement/policies/").content.decode()
    assert client.get(f"/engagement/policies/{policy.pk}/").status_code == 404
    assert client.get(f"/engagement/policies/{policy.pk}/matches.xlsx").status_code == 404


def test_grid_leader_sees_matches_of_their_grid_only(client, areas, orgs, policy):
    condition = {"fact": "employee_count", "op": ">=", "value": 1}
    policies.policy_save(actor=None, policy=policy, condition=condition)
    client.force_login(staff_user(areas["grid"], Role.GRID_LEADER))
    page = client.get(f"/engagement/policies/{policy.pk}/").content.decode()
    assert "回味餐饮" in page  # in the grid's micro-grid
    assert "云帆软件" not in page  # registered on the community itself
    assert client.get("/engagement/policies/new/").status_code == 403


def test_validity_filter(client, areas, orgs, policy_admin, policy):
    old = policies.policy_save(
        actor=policy_admin,
        **policy_fields(
            areas["community"],
            title="旧政策",
            valid_from=policy.valid_from.replace(year=2020),
            valid_to=policy.valid_from.replace(year=2021),
        ),
    )
    client.force_login(policy_admin)
    current = client.get("/engagement/policies/").content.decode()
    expired = client.get("/engagement/policies/?v=expired").content.decode()
    assert "旧政策" not in current and "旧政策" in expired
    assert f'data-policy="{old.pk}"' in expired and f'data-policy="{policy.pk}"' not in expired


# --- the editor ---------------------------------------------------------------------------


def test_preview_lists_who_would_match_without_saving(client, areas, orgs, policy_admin):
    client.force_login(policy_admin)
    response = client.post("/engagement/policies/new/", form_data(areas, preview="1"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="preview-count">1<' in page and "云帆软件" in page and "现 35 人" in page
    assert not Policy.objects.exists()


def test_save_from_the_structured_form_matches(client, areas, orgs, policy_admin):
    client.force_login(policy_admin)
    response = client.post(
        "/engagement/policies/new/", form_data(areas, save="1", benefit_yuan="1950")
    )
    policy = Policy.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/engagement/policies/{policy.pk}/"
    )
    assert policy.benefit_fen == 195_000 and policy.created_by == policy_admin
    assert [m.organization.name for m in policy.matches.all()] == ["云帆软件"]


def test_structured_reasons_name_each_subjects_own_kind_and_size(areas, orgs):
    condition = condition_from_structured({"kinds": ["enterprise", "clinic"]}, {})
    clinic = policies.policy_save(
        actor=staff_user(areas["community"], Role.COMMUNITY_ADMIN),
        **policy_fields(areas["community"], condition=condition),
    )
    reasons = {m.organization.name: m.reasons for m in clinic.matches.all()}
    assert reasons["康宁体检"] == "单位类型：医疗机构" and reasons["云帆软件"] == "单位类型：企业"
    sized = condition_from_structured({"sizes": ["micro", "small"]}, {})
    policy = policies.policy_save(
        actor=staff_user(areas["community"], Role.COMMUNITY_ADMIN),
        **policy_fields(areas["community"], title="小微企业服务券", condition=sized),
    )
    assert policy.matches.get().reasons == "企业规模：小型"


def test_contradictory_structured_form_is_refused(client, areas, orgs, policy_admin):
    client.force_login(policy_admin)
    response = client.post(
        "/engagement/policies/new/",
        form_data(areas, save="1", employees_min="50", employees_max="20"),
    )
    assert response.status_code == 400
    assert "从业人数上限不能小于下限" in response.content.decode()
    assert not Policy.objects.exists()


def test_contradictory_json_is_refused_with_the_reason(client, areas, orgs, policy_admin):
    condition = {
        "all": [
            {"fact": "industry", "op": "==", "value": "餐饮"},
            {"fact": "industry", "op": "==", "value": "零售"},
        ]
    }
    client.force_login(policy_admin)
    response = client.post(
        "/engagement/policies/new/",
        form_data(
            areas,
            save="1",
            mode="advanced",
            condition_json=json.dumps(condition, ensure_ascii=False),
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "资格条件自相矛盾" in page and "“行业 为 餐饮”与“行业 为 零售”不可能同时成立" in page
    assert not Policy.objects.exists()


def test_broken_json_is_refused(client, areas, policy_admin):
    client.force_login(policy_admin)
    response = client.post(
        "/engagement/policies/new/",
        form_data(areas, save="1", mode="advanced", condition_json="{all: ["),
    )
    assert (
        response.status_code == 400
        and "JSON 格式有误：第 1 行第 2 列附近" in response.content.decode()
    )


def test_edit_page_reopens_the_structured_answers(client, policy, policy_admin):
    structured = {"kinds": ["enterprise"], "industries": IT, "employees_min": 10}
    condition = condition_from_structured(structured, {})
    policies.policy_save(actor=policy_admin, policy=policy, condition=condition)
    client.force_login(policy_admin)
    page = client.get(f"/engagement/policies/{policy.pk}/edit/").content.decode()
    assert 'name="employees_min" value="10"' in page
    assert structured_from_condition(condition) == structured


def test_hand_written_condition_opens_in_advanced_mode():
    assert (
        structured_from_condition({"any": [{"fact": "size", "op": "==", "value": "small"}]}) is None
    )


def test_staff_elsewhere_cannot_edit(client, policy, stranger_admin):
    client.force_login(stranger_admin)
    assert client.get(f"/engagement/policies/{policy.pk}/edit/").status_code == 404


# --- detail: notes, actions, export --------------------------------------------------------


def test_note_upload_from_the_page(client, policy, policy_admin):
    client.force_login(policy_admin)
    upload = SimpleUploadedFile("指南.pdf", b"%PDF-1.4 test")
    response = client.post(
        f"/engagement/policies/{policy.pk}/notes/", {"text": "三月申报", "attachment": upload}
    )
    note = PolicyNote.objects.get()
    assert response.status_code == 302
    download = client.get(f"/engagement/policies/notes/{note.pk}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_bad_note_upload_says_why(client, policy, policy_admin):
    client.force_login(policy_admin)
    upload = SimpleUploadedFile("病毒.exe", b"MZ")
    response = client.post(
        f"/engagement/policies/{policy.pk}/notes/", {"text": "x", "attachment": upload}
    )
    assert response.status_code == 400 and "附件只能是" in response.content.decode()
    assert not PolicyNote.objects.exists()


def test_match_actions_and_a_conflict(client, policy, policy_admin):
    match = policy.matches.get()
    client.force_login(policy_admin)
    assert client.post(f"/engagement/policies/matches/{match.pk}/phone/").status_code == 302
    again = client.post(f"/engagement/policies/matches/{match.pk}/notify/")
    assert again.status_code == 409 and "不再重复通知" in again.content.decode()
    client.post(f"/engagement/policies/matches/{match.pk}/applied/")
    bad = client.post(f"/engagement/policies/matches/{match.pk}/granted/", {"amount": "abc"})
    assert bad.status_code == 400 and "兑现金额应为" in bad.content.decode()
    client.post(f"/engagement/policies/matches/{match.pk}/granted/", {"amount": "1,950.50"})
    match.refresh_from_db()
    assert match.status == MatchStatus.GRANTED and match.granted_fen == 195_050


def test_staff_elsewhere_cannot_act_on_a_match(client, policy, stranger_admin):
    client.force_login(stranger_admin)
    match = policy.matches.get()
    assert client.post(f"/engagement/policies/matches/{match.pk}/phone/").status_code == 404


def test_export_lists_the_matches(client, policy, policy_admin):
    client.force_login(policy_admin)
    response = client.get(f"/engagement/policies/{policy.pk}/matches.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "对象" and rows[1][0] == "云帆软件" and rows[1][3] == "符合条件"


# --- enterprise pages ---------------------------------------------------------------------


def test_contact_sees_own_matches_with_reasons(client, policy, software_contact):
    client.force_login(software_contact)
    page = client.get("/biz/policies/").content.decode()
    assert "人才共有产权住房" in page and "现 35 人" in page and "符合条件，可以申报" in page


def test_contact_applies(client, policy, software_contact):
    match = policy.matches.get()
    client.force_login(software_contact)
    assert 'id="apply"' in client.get(f"/biz/policies/{match.pk}/").content.decode()
    response = client.post(f"/biz/policies/{match.pk}/apply/")
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == MatchStatus.APPLIED
    again = client.post(f"/biz/policies/{match.pk}/apply/")
    assert again.status_code == 409 and "已经申报过了" in again.content.decode()


def test_automatic_policy_reads_granted_without_apply_button(
    client, areas, orgs, policy_admin, software_contact
):
    policy = policies.policy_save(
        actor=policy_admin,
        **policy_fields(
            areas["community"],
            grant_mode=GrantMode.AUTOMATIC,
            benefit_fen=100_000,
            benefit_unit="人",
        ),
    )
    match = policy.matches.get()
    client.force_login(software_contact)
    page = client.get(f"/biz/policies/{match.pk}/").content.decode()
    assert "已自动兑现" in page and 'id="apply"' not in page


def test_another_organisations_contact_gets_404(client, orgs, policy):
    client.force_login(contact_for(orgs["restaurant"]))
    match = policy.matches.get()
    assert "人才共有产权住房" not in client.get("/biz/policies/").content.decode()
    assert client.get(f"/biz/policies/{match.pk}/").status_code == 404
    assert client.post(f"/biz/policies/{match.pk}/apply/").status_code == 404
    assert PolicyMatch.objects.get().status == MatchStatus.MATCHED


def test_staff_and_anonymous_are_kept_out_of_biz_pages(client, policy, policy_admin):
    assert "/accounts/login/" in client.get("/biz/policies/")["Location"]
    client.force_login(policy_admin)
    assert client.get("/biz/policies/").status_code == 403


def test_contact_downloads_a_note_of_their_policy_only(
    client, areas, orgs, policy, policy_admin, software_contact
):
    note = policies.policy_note_add(
        policy=policy,
        actor=policy_admin,
        text="解读",
        attachment=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\nxx"),
    )
    client.force_login(software_contact)
    assert client.get(f"/biz/policies/notes/{note.pk}/file/").status_code == 200
    client.force_login(contact_for(orgs["restaurant"]))
    assert client.get(f"/biz/policies/notes/{note.pk}/file/").status_code == 404


# --- money reads once as 元 -----------------------------------------------------------------


def test_amounts_read_yuan_once_on_every_page_and_in_the_notification(
    client, areas, orgs, policy_admin, software_contact
):
    policy = policies.policy_save(
        actor=policy_admin,
        **policy_fields(
            areas["community"],
            grant_mode=GrantMode.AUTOMATIC,
            benefit_fen=200_000,
            benefit_unit="家",
        ),
    )
    match = policy.matches.get()
    client.force_login(software_contact)
    pages = [client.get("/biz/policies/"), client.get(f"/biz/policies/{match.pk}/")]
    client.force_login(policy_admin)
    pages.append(client.get(f"/engagement/policies/{policy.pk}/"))
    note = software_contact.notifications.get()
    for text in [p.content.decode() for p in pages] + [note.body]:
        assert "2000.00 元" in text and "元 元" not in text


def test_export_gives_the_granted_amount_as_a_number_of_yuan(client, areas, orgs, policy_admin):
    policy = policies.policy_save(
        actor=policy_admin,
        **policy_fields(areas["community"], grant_mode=GrantMode.AUTOMATIC, benefit_fen=195_050),
    )
    client.force_login(policy_admin)
    response = client.get(f"/engagement/policies/{policy.pk}/matches.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][9] == "兑现金额（元）" and rows[1][9] == 1950.5


# --- the advanced (JSON) editor speaks to staff --------------------------------------------


def test_json_syntax_error_says_where_and_what_in_chinese(client, areas, policy_admin):
    raw = '{\n  "all": [\n    {"fact": "kind" "op": "==", "value": "enterprise"}\n  ]\n}'
    client.force_login(policy_admin)
    response = client.post(
        "/engagement/policies/new/",
        form_data(areas, save="1", mode="advanced", condition_json=raw),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "JSON 格式有误：第 3 行第 21 列附近缺少逗号" in page and "delimiter" not in page
    assert not Policy.objects.exists()


def test_comparison_without_fact_op_value_is_explained_for_staff(client, areas, policy_admin):
    client.force_login(policy_admin)
    response = client.post(
        "/engagement/policies/new/",
        form_data(areas, save="1", mode="advanced", condition_json='{"all": [{"kind": "企业"}]}'),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "条件写法不对：每一项要写 fact（事实）、op（比较）和 value（值）" in page


def test_advanced_json_starts_from_the_structured_answers(client, areas, orgs, policy_admin):
    client.force_login(policy_admin)
    blank = client.get("/engagement/policies/new/").content.decode()
    assert "&quot;fact&quot;: &quot;kind&quot;" in blank
    previewed = client.post("/engagement/policies/new/", form_data(areas, preview="1"))
    textarea = (
        previewed.content.decode().split('name="condition_json"', 1)[1].split("</textarea>")[0]
    )
    assert "&quot;employee_count&quot;" in textarea and "&quot;industry&quot;" in textarea
