"""Resident back office: scoping, role permissions, PII masking and reveal, sensitive data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from linli.people.admin import born_on_or_before
from linli.people.models import Assignment, EmergencyContact, Resident, Role
from linli.people.tests.admin_support import (
    CHANGELIST,
    change_url,
    resident_form,
)
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    make_id_number,
    staff_user,
)

pytestmark = pytest.mark.django_db


# --- scoping: the three actors ----------------------------------------------------------------


def test_assigned_worker_lists_own_residents_only(client, areas, other_areas, assigned) -> None:
    mine = ResidentFactory(name="本区居民")
    ResidentFactory(
        name="外区居民",
        household=HouseholdFactory(building=BuildingFactory(micro_grid=other_areas["micro_grid"])),
    )
    client.force_login(assigned)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert mine.name in html
    assert "外区居民" not in html


def test_user_elsewhere_sees_none_and_gets_404_on_object(client, areas, elsewhere) -> None:
    resident = ResidentFactory(name="本区居民")
    client.force_login(elsewhere)
    assert "本区居民" not in client.get(reverse(CHANGELIST)).content.decode()
    assert client.get(change_url(resident)).status_code == 404
    history = reverse("admin:people_resident_history", args=[resident.pk])
    assert client.get(history).status_code == 404
    assert client.post(change_url(resident), resident_form(resident)).status_code == 404


def test_anonymous_is_sent_to_admin_login(client, areas) -> None:
    resident = ResidentFactory()
    for url in (reverse(CHANGELIST), change_url(resident)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_autocomplete_offers_only_residents_in_scope(client, areas, other_areas, assigned) -> None:
    ResidentFactory(name="本区张三")
    ResidentFactory(
        name="外区张三",
        household=HouseholdFactory(building=BuildingFactory(micro_grid=other_areas["micro_grid"])),
    )
    client.force_login(assigned)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "张三",
            "app_label": "places",
            "model_name": "household",
            "field_name": "head",
        },
    )
    names = [row["text"] for row in response.json()["results"]]
    assert names == ["本区张三"]


# --- search and filters ---------------------------------------------------------------------


def test_search_by_full_id_number_finds_the_person(client, areas, assigned) -> None:
    number = make_id_number(dt.date(1946, 6, 6), seq=21)
    ResidentFactory(id_number=number, name="要找的人")
    ResidentFactory(name="旁人")
    client.force_login(assigned)
    html = client.get(reverse(CHANGELIST), {"q": number}).content.decode()
    assert "要找的人" in html
    assert "旁人" not in html


def test_search_by_id_of_someone_elsewhere_finds_nobody(
    client, areas, other_areas, assigned
) -> None:
    number = make_id_number(dt.date(1946, 6, 6), seq=23)
    ResidentFactory(
        id_number=number,
        name="外区的人",
        household=HouseholdFactory(building=BuildingFactory(micro_grid=other_areas["micro_grid"])),
    )
    client.force_login(assigned)
    assert "外区的人" not in client.get(reverse(CHANGELIST), {"q": number}).content.decode()


def test_age_band_filter_uses_age_today(client, areas, community_admin) -> None:
    today = timezone.localdate()
    ResidentFactory(name="八十岁老人", birth_date=born_on_or_before(80, today))
    ResidentFactory(name="七十九岁老人", birth_date=born_on_or_before(80, today) + dt.timedelta(1))
    client.force_login(community_admin)
    html = client.get(reverse(CHANGELIST), {"age": "80+"}).content.decode()
    assert "八十岁老人" in html
    assert "七十九岁老人" not in html
    html = client.get(reverse(CHANGELIST), {"age": "70-79"}).content.decode()
    assert "七十九岁老人" in html
    assert "八十岁老人" not in html


def test_care_tag_and_community_filters(client, areas, other_areas, community_admin) -> None:
    ResidentFactory(name="独居老人", living_alone=True)
    ResidentFactory(name="普通居民")
    client.force_login(community_admin)
    html = client.get(reverse(CHANGELIST), {"tag": "living_alone"}).content.decode()
    assert "独居老人" in html
    assert "普通居民" not in html
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert areas["community"].name in page
    assert other_areas["community"].name not in page


def test_born_on_or_before_handles_leap_day() -> None:
    assert born_on_or_before(80, dt.date(2024, 2, 29)) == dt.date(1944, 2, 29)
    assert born_on_or_before(1, dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)


# --- sensitive data -------------------------------------------------------------------------


def test_sensitive_fields_and_minors_hidden_from_police(client, areas) -> None:
    police = staff_user(areas["community"], Role.POLICE)
    adult = ResidentFactory(name="低保户", dibao=True, disabled=True, disability_level=2)
    today = timezone.localdate()
    ResidentFactory(name="小朋友", birth_date=born_on_or_before(8, today))
    client.force_login(police)
    listing = client.get(reverse(CHANGELIST)).content.decode()
    assert "低保户" in listing
    assert "小朋友" not in listing
    for hidden in ("低保", "残疾", "特困", "留守儿童", "0–13 岁"):
        assert hidden not in listing.replace("低保户", "")
    detail = client.get(change_url(adult)).content.decode()
    assert 'name="dibao"' not in detail
    assert "残疾等级" not in detail
    assert "特困" not in detail


def test_sensitive_fields_shown_to_worker(client, areas, assigned) -> None:
    resident = ResidentFactory(dibao=True)
    client.force_login(assigned)
    detail = client.get(change_url(resident)).content.decode()
    assert 'name="dibao"' in detail
    assert "低保" in client.get(reverse(CHANGELIST)).content.decode()


def test_police_view_only_sees_masked_phone(client, areas) -> None:
    police = staff_user(areas["community"], Role.POLICE)
    resident = ResidentFactory(phone="13912345678")
    EmergencyContact.objects.create(
        resident=resident, name="李女士", relation="女儿", phone="13800001111"
    )
    client.force_login(police)
    response = client.get(change_url(resident))
    html = response.content.decode()
    assert response.status_code == 200
    assert "139****5678" in html
    assert "13912345678" not in html
    assert "13800001111" not in html
    assert client.post(change_url(resident), resident_form(resident)).status_code == 403


# --- permissions from roles ------------------------------------------------------------------


def test_only_admins_delete_residents(client, areas, assigned, community_admin) -> None:
    resident = ResidentFactory()
    delete = reverse("admin:people_resident_delete", args=[resident.pk])
    client.force_login(assigned)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Resident.objects.filter(pk=resident.pk).exists()
    client.force_login(community_admin)
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Resident.objects.filter(pk=resident.pk).exists()


def test_volunteer_has_no_registry_access(client, areas) -> None:
    volunteer = staff_user(areas["community"], Role.VOLUNTEER)
    ResidentFactory()
    client.force_login(volunteer)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert "居民" not in client.get(reverse("admin:index")).content.decode()


def test_assignment_admin_is_for_street_and_community_admins(
    client, areas, assigned, community_admin
) -> None:
    url = reverse("admin:people_assignment_changelist")
    client.force_login(assigned)
    assert client.get(url).status_code == 403
    client.force_login(community_admin)
    assert client.get(url).status_code == 200


def test_community_admin_cannot_grant_street_admin(client, areas, community_admin) -> None:
    newcomer = staff_user(areas["micro_grid"])
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:people_assignment_add"),
        {"user": newcomer.pk, "area": areas["community"].pk, "role": Role.STREET_ADMIN},
    )
    assert "只有街道管理员可以分配街道管理员岗位" in response.content.decode()
    assert not Assignment.objects.filter(role=Role.STREET_ADMIN).exists()
    ok = client.post(
        reverse("admin:people_assignment_add"),
        {"user": newcomer.pk, "area": areas["grid"].pk, "role": Role.GRID_WORKER},
    )
    assert ok.status_code == 302


def test_community_admin_cannot_assign_outside_own_area(
    client, areas, other_areas, community_admin
) -> None:
    newcomer = staff_user(areas["micro_grid"])
    client.force_login(community_admin)
    response = client.post(
        reverse("admin:people_assignment_add"),
        {"user": newcomer.pk, "area": other_areas["grid"].pk, "role": Role.GRID_WORKER},
    )
    assert response.status_code == 200
    assert not Assignment.objects.filter(area=other_areas["grid"]).exists()


# --- query count ----------------------------------------------------------------------------


def test_changelist_of_50_residents_has_no_n_plus_one(
    client, areas, community_admin, django_assert_max_num_queries
) -> None:
    for _ in range(10):
        household = HouseholdFactory()
        ResidentFactory.create_batch(5, household=household, dibao=True)
    client.force_login(community_admin)
    client.get(reverse(CHANGELIST))  # warm caches (content types, session)
    with django_assert_max_num_queries(16):
        response = client.get(reverse(CHANGELIST))
    assert response.content.decode().count('class="action-select"') == 50


def test_every_registry_page_renders_for_admin_and_superuser(
    client, areas, community_admin
) -> None:
    resident = ResidentFactory()
    pages = [
        reverse("admin:index"),
        *(
            reverse(f"admin:{app}_{model}_{view}")
            for app, model in [
                ("places", "area"),
                ("places", "building"),
                ("places", "household"),
                ("places", "facility"),
                ("people", "resident"),
                ("people", "assignment"),
                ("orgs", "organization"),
                ("common", "piiaccesslog"),
            ]
            for view in ("changelist", "add")
        ),
        reverse("admin:places_household_change", args=[resident.household_id]),
        reverse("admin:places_building_change", args=[resident.household.building_id]),
        reverse("admin:places_area_change", args=[areas["grid"].pk]),
        reverse("admin:people_resident_history", args=[resident.pk]),
    ]
    root = User.objects.create_superuser("root", password="pw-linli-test")
    for user in (community_admin, root):
        client.force_login(user)
        for url in pages:
            status = client.get(url).status_code
            expected = (403,) if url.endswith("piiaccesslog/add/") else (200,)
            assert status in expected, (user, url, status)


def test_family_link_records_who_took_consent_and_stays_in_scope(
    client, areas, other_areas, assigned
) -> None:
    mother = ResidentFactory(name="母亲")
    daughter = ResidentFactory(name="女儿")
    outsider = ResidentFactory(
        household=HouseholdFactory(building=BuildingFactory(micro_grid=other_areas["micro_grid"]))
    )
    client.force_login(assigned)

    def link_to(relative: Resident) -> dict[str, Any]:
        return resident_form(
            mother,
            **{
                "family_links-TOTAL_FORMS": "1",
                "family_links-0-resident": mother.pk,
                "family_links-0-relative": relative.pk,
                "family_links-0-relation": "女儿",
                "family_links-0-may_act": "on",
                "family_links-0-consent_at_0": "2026-11-01",
                "family_links-0-consent_at_1": "10:00:00",
            },
        )

    refused = client.post(change_url(mother), link_to(outsider))
    assert refused.status_code == 200
    assert not mother.family_links.exists()
    assert client.post(change_url(mother), link_to(daughter)).status_code == 302
    link = mother.family_links.get()
    assert link.relative == daughter
    assert link.consent_recorded_by == assigned
    assert link.consent_active
