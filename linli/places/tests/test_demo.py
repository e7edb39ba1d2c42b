"""``linli demo``: four communities, valid numbers, a coherent map, logins, determinism."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.common import pii
from linli.common.identity import age_on, parse_id_number, parse_phone, parse_uscc
from linli.orgs.models import Organization, OrgKind
from linli.people.models import Assignment, EmergencyContact, FamilyLink, Relation, Resident, Role
from linli.places.demo import reference_date
from linli.places.demo.geo import polygon_contains
from linli.places.models import (
    AREA_RULES,
    Area,
    AreaKind,
    Building,
    Facility,
    FacilityKind,
    Household,
)
from linli.testing.factories import ResidentFactory, area_chain

pytestmark = pytest.mark.django_db

SMALL = 0.01


def demo(**options: object) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def built() -> str:
    return demo(scale=SMALL, seed=7)


def test_four_communities_under_one_street_of_jinfeng(built) -> None:
    street = Area.objects.get(kind=AreaKind.STREET)
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY)
    assert street.code.startswith("640106") and street.parent.name == "金凤区"
    assert street.parent.parent.code == "640100"
    assert communities.count() == 4
    assert all(c.parent_id == street.pk for c in communities)
    super_community = communities.get(name="金凤苑社区")
    assert super_community.children.count() >= 6
    assert (
        Area.objects.filter(path__startswith=super_community.path, kind="micro_grid").count() >= 60
    )


def test_scale_sets_households_and_enterprises_but_keeps_the_map() -> None:
    demo(scale=0.02, seed=5)
    super_community = Area.objects.get(name="金凤苑社区")
    in_super = Household.objects.filter(building__micro_grid__path__startswith=super_community.path)
    assert in_super.count() == 200  # 10,000 × 0.02
    enterprises = Organization.objects.filter(kind=OrgKind.ENTERPRISE)
    assert enterprises.filter(area__path__contains="/640106009002/").count() == 9  # 465 × 0.02
    factories = enterprises.filter(area__path__contains="/640106009004/")
    assert [f.name for f in factories] == ["银川凤城混凝土有限公司"]  # at least the concrete plant
    assert Building.objects.count() == 194  # the map does not shrink
    assert Resident.objects.count() > 2 * in_super.count()


def test_area_codes_and_paths_follow_the_rules(built) -> None:
    for area in Area.objects.select_related("parent"):
        assert len(area.code) == AREA_RULES[area.kind][1]
        assert area.path == area.build_path()
        area.full_clean()


def test_identity_numbers_are_valid_and_match_birth_date_and_sex(built) -> None:
    residents = list(Resident.objects.all())
    assert len(residents) > 100
    for r in residents:
        number = pii.decrypt(r.id_number_encrypted)
        parsed = parse_id_number(number)
        assert (parsed.birth_date, parsed.sex) == (r.birth_date, r.sex)
        assert r.id_number_hash == pii.lookup_hash(number)
        assert r.id_number_masked == pii.mask_id_number(number)


def test_phones_are_valid_unique_mobiles(built) -> None:
    phones = [r.phone for r in Resident.objects.exclude(phone="")]
    assert len(phones) == len(set(phones))
    for phone in phones:
        assert parse_phone(phone) == phone and phone[:2] in {"13", "15", "18", "19"}


def test_every_credit_code_is_valid_and_registered_in_jinfeng(built) -> None:
    orgs = list(Organization.objects.all())
    assert all(o.uscc for o in orgs)
    for org in orgs:
        assert parse_uscc(org.uscc) == org.uscc
        assert org.uscc[2:8] == "640106"
    for org in Organization.objects.filter(kind=OrgKind.ENTERPRISE):
        assert org.uscc[0] == "9" and org.uscc[1] in "123"


def test_the_report_organisations_exist(built) -> None:
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert {OrgKind.ENTERPRISE, OrgKind.SOCIAL_ENTERPRISE, OrgKind.PROPERTY_COMPANY} <= kinds
    assert Organization.objects.filter(name__contains="混凝土").exists()
    assert Organization.objects.filter(name__contains="体检中心").exists()
    assert Organization.objects.filter(kind=OrgKind.PARTNER).count() == 3
    office = Area.objects.get(name="阅海楼宇社区")
    enterprises = Organization.objects.filter(
        kind=OrgKind.ENTERPRISE, area__path__startswith=office.path
    )
    assert enterprises.count() == max(1, round(465 * SMALL))
    assert all(e.building_id and e.room and e.industry and e.contact_name for e in enterprises)


def test_buildings_and_facilities_lie_inside_their_micro_grid(built) -> None:
    buildings = list(Building.objects.select_related("micro_grid"))
    assert len(buildings) >= 100
    for b in buildings:
        assert polygon_contains(b.micro_grid.boundary, float(b.lng), float(b.lat)), b.name
    for f in Facility.objects.select_related("area"):
        assert polygon_contains(f.area.boundary, float(f.lng), float(f.lat)), f.name
    super_community = Area.objects.get(name="金凤苑社区")
    facilities = Facility.objects.filter(area__path__startswith=super_community.path)
    assert facilities.filter(kind=FacilityKind.CANTEEN).count() == 2
    assert facilities.filter(kind=FacilityKind.PHARMACY).exists()


def _bbox(area: Area) -> tuple[float, float, float, float]:
    ring = area.boundary["coordinates"][0]
    lngs, lats = [p[0] for p in ring], [p[1] for p in ring]
    return min(lngs), min(lats), max(lngs), max(lats)


def test_communities_sit_side_by_side_near_jinfeng_centre(built) -> None:
    boxes = [_bbox(c) for c in Area.objects.filter(kind=AreaKind.COMMUNITY)]
    for i, a in enumerate(boxes):
        assert 38.40 < a[1] < a[3] < 38.55 and 106.15 < a[0] < a[2] < 106.30
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_population_shares_are_realistic() -> None:
    demo(scale=0.05, seed=3)
    today = reference_date()
    people = list(Resident.objects.select_related("area"))
    ages = [age_on(r.birth_date, today) for r in people]
    n = len(people)
    assert 0.13 < sum(a >= 60 for a in ages) / n < 0.24
    assert 0.01 < sum(a >= 80 for a in ages) / n < 0.06
    assert 0.08 < sum(a < 14 for a in ages) / n < 0.20
    assert 0.02 < sum(r.living_alone for r in people) / n < 0.06
    assert 0.01 < sum(r.disabled for r in people) / n < 0.04
    assert all(1 <= r.disability_level <= 4 for r in people if r.disabled)
    assert 0.005 < sum(r.dibao for r in people) / n < 0.03
    assert any(r.left_behind_child for r in people)

    def floating_share(code_suffix: str) -> float:
        group = [r for r in people if r.area.code[9:12] == code_suffix]
        return sum(r.residence_type == "floating" for r in group) / len(group)

    assert floating_share("004") > 2 * floating_share("001")


def test_households_have_one_head_and_plausible_generations(built) -> None:
    members: dict[int, list[Resident]] = {}
    for r in Resident.objects.exclude(household=None):
        members.setdefault(r.household_id, []).append(r)
    for people in members.values():
        heads = [r for r in people if r.relation_to_head == Relation.HEAD]
        assert len(heads) == 1
        head = heads[0]
        assert head.household.head_id == head.pk
        for r in people:
            years_younger = (r.birth_date - head.birth_date).days / 365.25
            if r.relation_to_head == Relation.CHILD:
                assert years_younger > 15
            elif r.relation_to_head == Relation.PARENT:
                assert years_younger < -15
            elif r.relation_to_head == Relation.GRANDCHILD:
                assert years_younger > 35


def test_people_living_alone_have_emergency_contacts_and_links_have_consent(built) -> None:
    alone = Resident.objects.filter(living_alone=True)
    assert alone.exists()
    assert not alone.filter(emergency_contacts=None).exists()
    assert EmergencyContact.objects.count() >= alone.count()
    links = FamilyLink.objects.select_related("resident", "relative")
    assert links.exists()
    for link in links:
        assert link.may_act and link.consent_at is not None
        gap = link.relative.birth_date - link.resident.birth_date
        assert dt.timedelta(days=365 * 16) < gap < dt.timedelta(days=365 * 46)


def test_every_role_has_a_staff_user_sharing_the_demo_password(built) -> None:
    for role in Role.values:
        assert Assignment.objects.filter(role=role).exists(), role
    users = User.objects.filter(resident_account__isnull=True)  # residents log in at /me/
    assert all(u.is_staff and u.first_name for u in users)
    assert len({u.password for u in users}) == 1  # hashed once
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(settings.DEMO_PASSWORD)
    property_staff = Assignment.objects.get(user__username="sq1_property")
    assert property_staff.organization.kind == OrgKind.PROPERTY_COMPANY
    contact = Assignment.objects.get(user__username="sq2_enterprise")
    assert contact.organization.kind == OrgKind.ENTERPRISE
    street = Area.objects.get(kind=AreaKind.STREET)
    assert Assignment.objects.get(user__username="street_admin").area == street
    leaders = Assignment.objects.filter(role=Role.GRID_LEADER)
    assert (
        leaders.count()
        == Area.objects.filter(kind=AreaKind.GRID, parent__name="金凤苑社区").count()
    )


def test_output_ends_with_the_login_table(built) -> None:
    assert "金凤苑社区（超大社区）" in built
    assert "sq1_grid01_leader" in built and "网格长" in built


def _fingerprint() -> list[tuple[str, str, str]]:
    rows = Resident.objects.order_by("id").values_list("name", "id_number_masked", "phone")
    return list(rows[:30])


def test_same_seed_gives_same_data_and_another_seed_does_not() -> None:
    demo(scale=SMALL, seed=11)
    first = _fingerprint()
    codes = set(Organization.objects.values_list("uscc", flat=True))
    demo(scale=SMALL, seed=11, reset=True)
    assert _fingerprint() == first
    assert set(Organization.objects.values_list("uscc", flat=True)) == codes
    demo(scale=SMALL, seed=12, reset=True)
    assert _fingerprint() != first


def test_refuses_a_database_that_already_holds_areas() -> None:
    area_chain()
    ResidentFactory()
    with pytest.raises(CommandError, match="--reset") as err:
        demo(scale=SMALL)
    assert err.value.returncode == 2
    assert Area.objects.count() == 6 and Resident.objects.count() == 1


def test_reset_replaces_existing_registry_and_demo_users(built) -> None:
    area_chain()  # someone else's street, removed by --reset as well
    users_before = User.objects.count()
    demo(scale=SMALL, seed=7, reset=True)
    assert not Area.objects.filter(code="640106001").exists()
    assert Area.objects.filter(kind=AreaKind.COMMUNITY).count() == 4
    assert User.objects.count() == users_before


def test_bad_scale_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(CommandError, match="规模") as err:
        demo(scale=0)
    assert err.value.returncode == 2
    assert not Area.objects.exists() and not User.objects.exists()


def test_logins_only_prints_the_table_from_the_database(built) -> None:
    out = demo(logins_only=True)
    assert out.splitlines()[1].split() == ["用户名", "姓名", "角色", "区域"]
    assert "sq1_admin" in out and "社区管理员" in out and "超级管理员" in out
    assert "累计" not in out and "演示数据已生成" not in out  # no build, no progress lines
    assert Area.objects.filter(kind=AreaKind.COMMUNITY).count() == 4


def test_logins_only_on_an_empty_database_says_so() -> None:
    assert "还没有工作人员账号" in demo(logins_only=True)
