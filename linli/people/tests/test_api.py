"""Registry REST API: scoping for the three actors, masking, reveal, filters, schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from linli.common import pii
from linli.common.models import PiiAccessLog
from linli.orgs.models import OrgKind
from linli.people.models import Role
from linli.places.models import Facility, FacilityKind
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    OrganizationFactory,
    ResidentFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
PHONE = "13987654321"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def resident(areas):  # type: ignore[no-untyped-def]
    household = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
    return ResidentFactory(household=household, phone=PHONE, dibao=True, living_alone=True)


@pytest.fixture
def id_number(resident) -> str:  # type: ignore[no-untyped-def]
    """The full number, read back from the database (the factory picks it)."""
    number = pii.decrypt(resident.id_number_encrypted)
    assert len(number) == 18 and number != resident.id_number_masked
    return number


def _as(api: APIClient, user) -> APIClient:  # type: ignore[no-untyped-def]
    api.force_authenticate(user)
    return api


LISTS = [
    "/api/areas/",
    "/api/buildings/",
    "/api/households/",
    "/api/residents/",
    "/api/organizations/",
    "/api/facilities/",
    "/api/areas/tree/",
]


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_gets_401(api, resident, url) -> None:
    response = api.get(url)
    assert response.status_code == 401


def test_assigned_lists_own_resident(api, resident, assigned) -> None:
    data = _as(api, assigned).get("/api/residents/").json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["name"] == resident.name
    assert row["id_number_masked"] == resident.id_number_masked
    assert row["phone_masked"] == "139****4321"
    assert row["age"] == resident.age()
    assert row["tags"] == ["living_alone", "dibao"]


def test_elsewhere_sees_no_rows_and_404_on_details(api, resident, elsewhere, areas) -> None:
    facility = Facility.objects.create(
        area=areas["community"], kind=FacilityKind.CANTEEN, name="长者食堂"
    )
    org = OrganizationFactory(area=areas["community"])
    _as(api, elsewhere)
    assert api.get("/api/residents/").json()["count"] == 0
    for url in (
        f"/api/residents/{resident.pk}/",
        f"/api/households/{resident.household_id}/",
        f"/api/buildings/{resident.household.building_id}/",
        f"/api/areas/{areas['micro_grid'].code}/",
        f"/api/organizations/{org.pk}/",
        f"/api/facilities/{facility.pk}/",
    ):
        assert api.get(url).status_code == 404, url
    assert api.post(f"/api/residents/{resident.pk}/reveal/").status_code == 404


def test_full_id_number_and_phone_never_appear_in_reads(
    api, resident, id_number, community_admin
) -> None:
    OrganizationFactory(area=resident.area, contact_phone="13811112222")
    _as(api, community_admin)
    for url in [*LISTS, f"/api/residents/{resident.pk}/", "/api/schema/"]:
        body = api.get(url).content.decode()
        assert id_number not in body and PHONE not in body and "13811112222" not in body, url


def test_reveal_for_permitted_user_returns_numbers_and_logs(
    api, resident, id_number, community_admin
) -> None:
    response = _as(api, community_admin).post(
        f"/api/residents/{resident.pk}/reveal/", {"purpose": "入户走访"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"id_number": id_number, "phone": PHONE}
    log = PiiAccessLog.objects.get()
    assert (log.user, log.subject_id, log.purpose) == (community_admin, resident.pk, "入户走访")


def test_reveal_without_permission_is_403_in_chinese(api, resident, id_number, assigned) -> None:
    response = _as(api, assigned).post(f"/api/residents/{resident.pk}/reveal/")
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有查看完整个人信息的权限"
    assert id_number not in response.content.decode()
    assert not PiiAccessLog.objects.exists()


def test_sensitive_tags_omitted_without_permission(api, resident, areas) -> None:
    police = staff_user(areas["micro_grid"], Role.POLICE)
    _as(api, police)
    assert api.get("/api/residents/").json()["results"][0]["tags"] == ["living_alone"]
    tree = api.get("/api/areas/tree/").json()
    assert "dibao" not in tree[-1]["counts"]
    response = api.get("/api/residents/", {"tag": "dibao"})
    assert response.status_code == 403 and "敏感" in response.json()["detail"]


def test_token_auth_works(api, resident, assigned) -> None:
    response = api.post(
        "/api/auth/token/", {"username": assigned.username, "password": "pw-linli-test"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=assigned).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/residents/").json()["count"] == 1


def test_token_with_wrong_password_is_400(api, assigned) -> None:
    response = api.post("/api/auth/token/", {"username": assigned.username, "password": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/residents/", {"age_min": "sixty"}, "age_min"),
        ("/api/residents/", {"age_max": "1.5"}, "age_max"),
        ("/api/residents/", {"tag": "vip"}, "tag"),
        ("/api/residents/", {"area": "123"}, "area"),
        ("/api/residents/", {"building": "abc"}, "building"),
        ("/api/organizations/", {"kind": "bank"}, "kind"),
        ("/api/organizations/", {"area": "999"}, "area"),
        ("/api/areas/", {"kind": "planet"}, "kind"),
        ("/api/households/", {"building": "x"}, "building"),
    ],
)
def test_bad_filter_is_400_with_chinese_message(api, assigned, url, params, field) -> None:
    response = _as(api, assigned).get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400, response.content
    message = response.json()[field][0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_resident_filters(api, areas, community_admin) -> None:
    mine = areas["micro_grid"]
    old = ResidentFactory(
        household=HouseholdFactory(building=BuildingFactory(micro_grid=mine)),
        name="张桂兰",
        birth_date=dt.date(1945, 6, 1),
    )
    young = ResidentFactory(
        household=HouseholdFactory(building=BuildingFactory(micro_grid=mine)),
        name="刘洋",
        birth_date=dt.date(2000, 6, 1),
    )
    _as(api, community_admin)

    def names(**params: object) -> list[str]:
        return [r["name"] for r in api.get("/api/residents/", params).json()["results"]]

    assert names(tag="aged60") == [old.name]
    assert names(age_max=40) == [young.name]
    assert names(q="桂") == [old.name]
    assert names(building=young.household.building_id) == [young.name]
    assert sorted(names(area=areas["community"].code)) == sorted([old.name, young.name])


def test_area_and_org_filters(api, areas, community_admin) -> None:
    OrganizationFactory(area=areas["micro_grid"], industry="餐饮")
    OrganizationFactory(area=areas["community"], kind=OrgKind.PROPERTY_COMPANY)
    _as(api, community_admin)
    kinds = [a["kind"] for a in api.get("/api/areas/", {"kind": "grid"}).json()["results"]]
    assert kinds == ["grid"]
    children = api.get("/api/areas/", {"parent": areas["grid"].code}).json()["results"]
    assert [a["code"] for a in children] == [areas["micro_grid"].code]
    assert api.get("/api/organizations/", {"industry": "餐"}).json()["count"] == 1
    assert api.get("/api/organizations/", {"kind": "enterprise"}).json()["count"] == 1
    assert api.get("/api/organizations/", {"area": areas["micro_grid"].code}).json()["count"] == 1


def test_tree_counts_match_selector(api, resident, community_admin, areas) -> None:
    tree = _as(api, community_admin).get("/api/areas/tree/").json()
    community = next(node for node in tree if node["code"] == areas["community"].code)
    assert community["counts"]["residents"] == 1 and community["counts"]["dibao"] == 1
    assert next(node for node in tree if node["kind"] == "city")["counts"] is None


def test_resident_list_has_no_n_plus_one(
    api, areas, community_admin, django_assert_max_num_queries
) -> None:
    for _ in range(12):
        ResidentFactory(
            household=HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
        )
    _as(api, community_admin)
    with django_assert_max_num_queries(6):
        response = api.get("/api/residents/")
    assert response.json()["count"] == 12


def test_schema_generates(api, assigned) -> None:
    response = _as(api, assigned).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/residents/{id}/reveal/" in schema["paths"]
    assert "/api/areas/tree/" in schema["paths"]


def test_schema_validates_without_warnings(tmp_path) -> None:
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/residents/{id}/reveal/" in target.read_text()
