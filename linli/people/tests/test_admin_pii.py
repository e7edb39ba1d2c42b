"""Resident back office: identity numbers and phones masked, logged reveal, editing them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.common.models import PiiAccessLog
from linli.common.pii import decrypt
from linli.people.models import EmergencyContact, Resident, Role
from linli.people.tests.admin_support import (
    CHANGELIST,
    change_url,
    resident_form,
    with_check_digit,
)
from linli.testing.factories import (
    HouseholdFactory,
    ResidentFactory,
    make_id_number,
    staff_user,
)

pytestmark = pytest.mark.django_db


# --- PII masking ----------------------------------------------------------------------------


def test_list_and_detail_show_only_masks_to_worker(client, areas, assigned) -> None:
    number = make_id_number(dt.date(1950, 3, 8))
    resident = ResidentFactory(id_number=number, phone="13912345678")
    EmergencyContact.objects.create(
        resident=resident, name="李女士", relation="女儿", phone="13800001111"
    )
    client.force_login(assigned)
    for url in (reverse(CHANGELIST), change_url(resident)):
        html = client.get(url).content.decode()
        assert resident.id_number_masked in html or url != reverse(CHANGELIST)
        assert "139****5678" in html
        assert number not in html
        assert "13912345678" not in html
        assert "13800001111" not in html


def test_admin_with_pii_right_still_sees_masks_until_reveal(client, areas, community_admin) -> None:
    number = make_id_number(dt.date(1950, 3, 8))
    resident = ResidentFactory(id_number=number, phone="13912345678")
    client.force_login(community_admin)
    for url in (reverse(CHANGELIST), change_url(resident)):
        html = client.get(url).content.decode()
        assert number not in html
        assert "13912345678" not in html
    assert "查看完整信息" in client.get(change_url(resident)).content.decode()


def test_history_masks_phones_and_never_shows_identity(
    client, areas, community_admin, assigned
) -> None:
    number = make_id_number(dt.date(1950, 3, 8))
    resident = ResidentFactory(id_number=number, phone="13912345678")
    client.force_login(community_admin)
    response = client.post(change_url(resident), resident_form(resident, phone="13598765432"))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "13598765432"

    client.force_login(assigned)
    history = client.get(reverse("admin:people_resident_history", args=[resident.pk]))
    html = history.content.decode()
    assert history.status_code == 200
    assert "135****5432" in html
    for secret in ("13598765432", "13912345678", number, resident.id_number_encrypted):
        assert secret not in html
    version = resident.history.order_by("-history_date").first()
    assert version is not None
    page = client.get(
        reverse("admin:people_resident_simple_history", args=[resident.pk, version.history_id])
    ).content.decode()
    assert "13598765432" not in page
    assert number not in page


def test_reveal_logs_access_and_shows_full_number(client, areas, community_admin) -> None:
    number = make_id_number(dt.date(1950, 3, 8))
    resident = ResidentFactory(id_number=number, phone="13912345678")
    url = reverse("admin:people_resident_pii_reveal", args=[resident.pk])
    client.force_login(community_admin)

    asked = client.get(url)
    assert asked.status_code == 200
    assert number not in asked.content.decode()
    assert not PiiAccessLog.objects.exists()

    shown = client.post(url, {"purpose": "办理高龄津贴"})
    html = shown.content.decode()
    assert number in html
    assert "13912345678" in html
    log = PiiAccessLog.objects.get()
    assert log.user == community_admin
    assert log.subject_id == resident.pk
    assert "高龄津贴" in log.purpose


def test_reveal_without_purpose_shows_nothing_and_logs_nothing(
    client, areas, community_admin
) -> None:
    number = make_id_number(dt.date(1950, 3, 8))
    resident = ResidentFactory(id_number=number)
    client.force_login(community_admin)
    response = client.post(reverse("admin:people_resident_pii_reveal", args=[resident.pk]), {})
    assert "请填写查看用途" in response.content.decode()
    assert number not in response.content.decode()
    assert not PiiAccessLog.objects.exists()


def test_reveal_is_forbidden_for_micro_grid_worker(client, areas, assigned) -> None:
    resident = ResidentFactory()
    client.force_login(assigned)
    response = client.post(
        reverse("admin:people_resident_pii_reveal", args=[resident.pk]), {"purpose": "核对"}
    )
    assert response.status_code == 403
    assert "您没有查看完整个人信息的权限" in response.content.decode()
    assert not PiiAccessLog.objects.exists()
    assert "查看完整信息" not in client.get(change_url(resident)).content.decode()


def test_reveal_outside_scope_is_404(client, areas, other_areas) -> None:
    resident = ResidentFactory()
    admin_elsewhere = staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)
    client.force_login(admin_elsewhere)
    response = client.post(
        reverse("admin:people_resident_pii_reveal", args=[resident.pk]), {"purpose": "核对"}
    )
    assert response.status_code == 404
    assert not PiiAccessLog.objects.exists()


# --- editing identity and phone ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda n: n[:17] + ("0" if n[17] != "0" else "1"), "身份证号校验位错误"),
        (lambda n: n[:17], "身份证号应为 18 位"),
        (lambda n: with_check_digit("64010619800231001"), "出生日期不存在"),
    ],
)
def test_adding_resident_with_bad_id_number_shows_chinese_error(
    client, areas, community_admin, make_bad, message
) -> None:
    household = HouseholdFactory()
    client.force_login(community_admin)
    bad = make_bad(make_id_number(dt.date(1980, 1, 1)))
    response = client.post(
        reverse("admin:people_resident_add"), resident_form(household=household.pk, id_number=bad)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Resident.objects.exists()


def test_adding_resident_without_id_number_is_refused(client, areas, community_admin) -> None:
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:people_resident_add"),
        resident_form(household=HouseholdFactory().pk, id_number=""),
    )
    assert "请填写身份证号" in response.content.decode()
    assert not Resident.objects.exists()


def test_adding_resident_derives_identity_fields_and_area(client, areas, community_admin) -> None:
    household = HouseholdFactory()
    number = make_id_number(dt.date(1948, 10, 1), seq=11)
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:people_resident_add"),
        resident_form(household=household.pk, id_number=number, phone="139 1234 5678"),
    )
    assert response.status_code == 302
    resident = Resident.objects.get()
    assert decrypt(resident.id_number_encrypted) == number
    assert resident.birth_date == dt.date(1948, 10, 1)
    assert resident.sex == "M"
    assert resident.id_number_masked == number[:6] + "********" + number[-4:]
    assert resident.area == areas["micro_grid"]
    assert resident.phone == "13912345678"


def test_duplicate_id_number_is_refused(client, areas, community_admin) -> None:
    number = make_id_number(dt.date(1948, 10, 1))
    ResidentFactory(id_number=number)
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:people_resident_add"),
        resident_form(household=HouseholdFactory().pk, id_number=number),
    )
    assert "该身份证号已登记" in response.content.decode()
    assert Resident.objects.count() == 1


def test_replacing_id_number_updates_derived_fields(client, areas, assigned) -> None:
    resident = ResidentFactory(id_number=make_id_number(dt.date(1980, 5, 17), seq=1))
    new_number = make_id_number(dt.date(1952, 2, 2), seq=2)
    client.force_login(assigned)
    response = client.post(change_url(resident), resident_form(resident, id_number=new_number))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert decrypt(resident.id_number_encrypted) == new_number
    assert resident.birth_date == dt.date(1952, 2, 2)
    assert resident.sex == "F"


def test_untouched_phone_mask_keeps_number_and_bad_phone_is_refused(
    client, areas, assigned
) -> None:
    resident = ResidentFactory(phone="13912345678")
    client.force_login(assigned)
    kept = client.post(change_url(resident), resident_form(resident, name="新名字"))
    assert kept.status_code == 302
    resident.refresh_from_db()
    assert (resident.name, resident.phone) == ("新名字", "13912345678")

    bad = client.post(change_url(resident), resident_form(resident, phone="12345"))
    assert "电话号码" in bad.content.decode()
    forged = client.post(change_url(resident), resident_form(resident, phone="139****0000"))
    assert "保持原掩码不变" in forged.content.decode()
    resident.refresh_from_db()
    assert resident.phone == "13912345678"


def test_emergency_contact_phone_is_masked_and_validated(client, areas, assigned) -> None:
    resident = ResidentFactory()
    contact = EmergencyContact.objects.create(
        resident=resident, name="李女士", relation="女儿", phone="13800001111"
    )
    client.force_login(assigned)
    data = resident_form(
        resident,
        **{
            "emergency_contacts-TOTAL_FORMS": "2",
            "emergency_contacts-INITIAL_FORMS": "1",
            "emergency_contacts-0-id": contact.pk,
            "emergency_contacts-0-resident": resident.pk,
            "emergency_contacts-0-name": "李女士",
            "emergency_contacts-0-relation": "女儿",
            "emergency_contacts-0-phone": "138****1111",
            "emergency_contacts-1-resident": resident.pk,
            "emergency_contacts-1-name": "王先生",
            "emergency_contacts-1-relation": "儿子",
            "emergency_contacts-1-phone": "不是电话",
        },
    )
    refused = client.post(change_url(resident), data)
    assert refused.status_code == 200
    assert "电话号码" in refused.content.decode()
    assert "13800001111" not in refused.content.decode()
    data["emergency_contacts-1-phone"] = "13700002222"
    assert client.post(change_url(resident), data).status_code == 302
    phones = sorted(EmergencyContact.objects.values_list("phone", flat=True))
    assert phones == ["13700002222", "13800001111"]
