"""Area tree counts and the drill-down list: scoped, rolled up, consistent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from linli.people.models import Role
from linli.people.selectors import (
    area_tree_counts,
    birth_cutoff,
    resident_filters_from_query,
    residents_for,
)
from linli.places.models import Area, AreaKind
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    OrganizationFactory,
    ResidentFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 29)


def _resident_in(micro_grid: Area, **fields: object):  # type: ignore[no-untyped-def]
    household = HouseholdFactory(building=BuildingFactory(micro_grid=micro_grid))
    return ResidentFactory(household=household, **fields)


def _second_micro_grid(areas: dict[str, Area]) -> Area:
    grid = areas["grid"]
    return Area.objects.create(
        code=grid.code + "02",
        kind=AreaKind.MICRO_GRID,
        name="测试微网格2",
        parent=grid,
        path=f"{grid.path}{grid.code}02/",
    )


def _node(nodes, code):  # type: ignore[no-untyped-def]
    return next(node for node in nodes if node.code == code)


def test_counts_roll_up_from_micro_grids_to_community(areas, community_admin) -> None:
    second = _second_micro_grid(areas)
    _resident_in(areas["micro_grid"], living_alone=True)
    _resident_in(areas["micro_grid"], dibao=True)
    _resident_in(second, disabled=True)
    OrganizationFactory(area=areas["community"])

    nodes = area_tree_counts(community_admin, today=TODAY)

    community = _node(nodes, areas["community"].code)
    assert community.counts == {
        "residents": 3,
        "households": 3,
        "aged60": 0,
        "living_alone": 1,
        "disabled": 1,
        "dibao": 1,
        "enterprises": 1,
    }
    assert _node(nodes, second.code).counts["residents"] == 1
    assert _node(nodes, areas["grid"].code).counts["residents"] == 3


def test_ancestors_are_shown_without_counts(areas, assigned) -> None:
    _resident_in(areas["micro_grid"])
    nodes = area_tree_counts(assigned, today=TODAY)
    assert [node.kind for node in nodes] == [
        "city",
        "district",
        "street",
        "community",
        "grid",
        "micro_grid",
    ]
    assert [node.counts is None for node in nodes] == [True] * 5 + [False]
    assert nodes[0].depth == 0 and nodes[-1].depth == 5
    assert nodes[0].children == [nodes[1]]


def test_micro_grid_worker_does_not_see_sibling_micro_grid(areas, assigned) -> None:
    second = _second_micro_grid(areas)
    _resident_in(second)
    codes = {node.code for node in area_tree_counts(assigned, today=TODAY)}
    assert second.code not in codes


def test_other_street_sees_nothing_of_this_area(areas, elsewhere) -> None:
    _resident_in(areas["micro_grid"])
    nodes = area_tree_counts(elsewhere, today=TODAY)
    assert areas["micro_grid"].code not in {node.code for node in nodes}
    assert sum(node.counts["residents"] for node in nodes if node.counts) == 0


def test_anonymous_and_unassigned_get_empty_tree(areas) -> None:
    from linli.testing.factories import UserFactory

    _resident_in(areas["micro_grid"])
    assert area_tree_counts(AnonymousUser()) == []
    assert area_tree_counts(UserFactory()) == []


def test_resident_turning_60_today_counts_as_aged60(areas, assigned) -> None:
    _resident_in(areas["micro_grid"], birth_date=dt.date(1966, 11, 29))  # 60 today
    _resident_in(areas["micro_grid"], birth_date=dt.date(1966, 11, 30))  # 60 tomorrow
    node = _node(area_tree_counts(assigned, today=TODAY), areas["micro_grid"].code)
    assert node.counts["aged60"] == 1
    assert residents_for(assigned, tag="aged60", today=TODAY).count() == 1


def test_birth_cutoff_on_29_february() -> None:
    assert birth_cutoff(60, dt.date(2024, 2, 29)) == dt.date(1964, 2, 29)
    assert birth_cutoff(61, dt.date(2024, 2, 29)) == dt.date(1963, 2, 28)


def test_sensitive_counts_hidden_without_permission(areas) -> None:
    user = staff_user(areas["micro_grid"], Role.POLICE)
    _resident_in(areas["micro_grid"], dibao=True)
    counts = _node(area_tree_counts(user), areas["micro_grid"].code).counts
    assert "dibao" not in counts and "disabled" not in counts
    assert counts["residents"] == 1
    with pytest.raises(PermissionDenied):
        residents_for(user, tag="dibao")


def test_drill_down_matches_tree_count_for_each_tag(areas, community_admin) -> None:
    second = _second_micro_grid(areas)
    _resident_in(areas["micro_grid"], living_alone=True, birth_date=dt.date(1950, 1, 1))
    _resident_in(second, dibao=True, disabled=True, birth_date=dt.date(1940, 3, 3))
    _resident_in(second)
    nodes = area_tree_counts(community_admin, today=TODAY)
    for node in (n for n in nodes if n.counts):
        assert (
            residents_for(community_admin, area_code=node.code).count()
            == (node.counts["residents"])
        )
        for tag in ("aged60", "living_alone", "disabled", "dibao"):
            found = residents_for(community_admin, area_code=node.code, tag=tag, today=TODAY)
            assert found.count() == node.counts[tag], (node.code, tag)


def test_residents_for_is_scoped_even_with_foreign_area_code(areas, other_areas, assigned) -> None:
    _resident_in(other_areas["micro_grid"])
    assert residents_for(assigned, area_code=other_areas["micro_grid"].code).count() == 0


def test_age_band_and_name_search(areas, assigned) -> None:
    _resident_in(areas["micro_grid"], name="王秀英", birth_date=dt.date(1956, 1, 1))  # 70
    _resident_in(areas["micro_grid"], name="李强", birth_date=dt.date(1996, 1, 1))  # 30
    names = lambda **kw: [r.name for r in residents_for(assigned, today=TODAY, **kw)]  # noqa: E731
    assert names(age_min=65) == ["王秀英"]
    assert names(age_max=30) == ["李强"]
    assert names(age_min=31, age_max=69) == []
    assert names(q="秀") == ["王秀英"]


def test_unknown_area_code_is_a_chinese_error(assigned) -> None:
    with pytest.raises(ValidationError, match="不存在"):
        residents_for(assigned, area_code="999999")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"age_min": "abc"}, "age_min"),
        ({"age_max": "-3"}, "age_max"),
        ({"age_min": "500"}, "age_min"),
        ({"tag": "vip"}, "tag"),
        ({"age_min": "70", "age_max": "60"}, "age_max"),
    ],
)
def test_bad_filter_input_is_rejected_in_chinese(params, field) -> None:
    with pytest.raises(ValidationError) as caught:
        resident_filters_from_query(params)
    assert field in caught.value.message_dict
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message_dict[field][0])


def test_filters_parse_blank_as_absent() -> None:
    assert resident_filters_from_query({"area": " ", "age_min": "", "tag": "dibao"}) == {
        "tag": "dibao"
    }


def test_tree_uses_constant_number_of_queries(
    areas, community_admin, django_assert_max_num_queries
) -> None:
    second = _second_micro_grid(areas)
    for micro in (areas["micro_grid"], second) * 3:
        _resident_in(micro)
    with django_assert_max_num_queries(7):  # assignments, 2 permission, 4 data
        area_tree_counts(community_admin)
