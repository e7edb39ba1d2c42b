"""Organisation back office: scoping, masked contact phones, history, credit-code checks."""

from __future__ import annotations

import pytest
from django.urls import reverse
from stdnum.cn import uscc

from linli.orgs.models import Organization, OrgKind
from linli.people.models import Role
from linli.testing.factories import OrganizationFactory, staff_user

pytestmark = pytest.mark.django_db


def org_form(org: Organization | None = None, **overrides: str) -> dict[str, str]:
    data = {
        "name": org.name if org else "新企业有限公司",
        "kind": OrgKind.ENTERPRISE,
        "uscc": "",
        "area": "",
        "building": "",
        "room": "",
        "industry": "餐饮",
        "employee_count": "",
        "contact_name": "赵经理",
        "contact_phone": "",
    }
    data.update(overrides)
    return data


def test_scoped_list_and_404_elsewhere(client, areas, other_areas, assigned, elsewhere) -> None:
    mine = OrganizationFactory(name="本区企业")
    OrganizationFactory(name="外区企业", area=other_areas["community"])
    worker = staff_user(areas["community"], Role.GRID_WORKER)
    client.force_login(worker)
    html = client.get(reverse("admin:orgs_organization_changelist")).content.decode()
    assert "本区企业" in html
    assert "外区企业" not in html
    client.force_login(elsewhere)
    url = reverse("admin:orgs_organization_change", args=[mine.pk])
    assert client.get(url).status_code == 404


def test_contact_phone_masked_for_users_without_pii(client, areas) -> None:
    org = OrganizationFactory(contact_phone="13912345678")
    police = staff_user(areas["community"], Role.POLICE)
    client.force_login(police)
    for url in (
        reverse("admin:orgs_organization_changelist"),
        reverse("admin:orgs_organization_change", args=[org.pk]),
    ):
        html = client.get(url).content.decode()
        assert "139****5678" in html
        assert "13912345678" not in html


def test_history_masks_contact_phone(client, areas, community_admin) -> None:
    org = OrganizationFactory(contact_phone="13912345678")
    client.force_login(community_admin)
    url = reverse("admin:orgs_organization_change", args=[org.pk])
    data = org_form(org, area=str(org.area_id), contact_phone="13598765432")
    assert client.post(url, data).status_code == 302
    org.refresh_from_db()
    assert org.contact_phone == "13598765432"
    police = staff_user(areas["community"], Role.POLICE)
    client.force_login(police)
    html = client.get(reverse("admin:orgs_organization_history", args=[org.pk])).content.decode()
    assert "135****5432" in html
    assert "13598765432" not in html
    assert "13912345678" not in html


def test_bad_credit_code_and_phone_give_chinese_errors(client, areas, community_admin) -> None:
    client.force_login(community_admin)
    body = "91" + "640100" + "MA7654321"
    good = body + uscc.calc_check_digit(body)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post(
        reverse("admin:orgs_organization_add"),
        org_form(area=str(areas["community"].pk), uscc=bad, contact_phone="12345"),
    )
    html = response.content.decode()
    assert "统一社会信用代码校验位错误" in html
    assert "电话号码" in html
    assert not Organization.objects.exists()
    ok = client.post(
        reverse("admin:orgs_organization_add"),
        org_form(area=str(areas["community"].pk), uscc=good.lower(), contact_phone="13912345678"),
    )
    assert ok.status_code == 302
    assert Organization.objects.get().uscc == good


def test_enterprise_contact_views_but_cannot_change(client, areas) -> None:
    org = OrganizationFactory()
    contact = staff_user(areas["community"], Role.ENTERPRISE_CONTACT)
    client.force_login(contact)
    url = reverse("admin:orgs_organization_change", args=[org.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, org_form(org, area=str(org.area_id))).status_code == 403
