"""Cockpit access rules (review findings on issue #9): the map's guarded layers and the
cockpit scope of users holding several roles.

* Care alerts and service orders follow their own apps' rights
  (:func:`linli.care.views.may_use_care`, :func:`linli.orders.views_staff.may_handle_orders`):
  a police officer gets neither layer (empty collection, no toggle, no version, no counts on
  the area shapes); the emergency team gets alerts only.
* The scope is built from registry-role assignments only: police in one community who is
  also a volunteer or provider staff over the street covers the community, not the street.

The panels and drills of the same rules are tested in ``test_kpis.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.http import Http404
from django.test import Client

from linli.cases.selectors import cases_visible_to
from linli.cockpit import kpis, layers
from linli.cockpit.access import (
    area_for,
    areas_for,
    care_paths,
    order_paths,
    registry_paths,
    sight_for,
)
from linli.cockpit.tests.test_map import World, client_for, make_case, street_admin
from linli.cockpit.tests.test_map import world as world  # the fixture
from linli.people.models import Assignment, Resident, Role
from linli.testing.factories import ResidentFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db

STREET = "640106001"


def get_json(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()
    data: dict[str, Any] = json.loads(response.content)
    return data


def police(world: World) -> Any:
    return staff_user(world.areas["street"], Role.POLICE)


# --------------------------------------------------------------------------- finding 1: layers


@pytest.mark.parametrize("name", ["alerts", "orders"])
def test_police_get_empty_alert_and_order_layers(world: World, name: str) -> None:
    client = client_for(police(world))
    response = client.get(f"/cockpit/layers/{name}.geojson?area={STREET}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert not response.has_header("ETag")
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert data["features"] == [] and data["properties"]["count"] == 0
    # The same layer for a street admin has the open alert / live order.
    admin = get_json(
        client_for(street_admin(world)), f"/cockpit/layers/{name}.geojson?area={STREET}"
    )
    assert admin["properties"]["count"] >= 1


def test_police_see_cases_facilities_and_areas_without_alert_or_order_counts(
    world: World,
) -> None:
    client = client_for(police(world))
    cases = get_json(client, f"/cockpit/layers/cases.geojson?area={STREET}")
    assert {f["properties"]["number"] for f in cases["features"]} >= {world.overdue.number}
    assert get_json(client, f"/cockpit/layers/facilities.geojson?area={STREET}")["features"]
    shapes = get_json(client, f"/cockpit/layers/areas.geojson?area={STREET}")["features"]
    assert shapes
    for feature in shapes:
        assert "alerts" not in feature["properties"]
        assert "orders" not in feature["properties"]
        assert "cases" in feature["properties"]
    admin_shapes = get_json(
        client_for(street_admin(world)), f"/cockpit/layers/areas.geojson?area={STREET}"
    )["features"]
    assert any(f["properties"]["alerts"] and f["properties"]["orders"] for f in admin_shapes)


def test_versions_and_page_offer_only_the_layers_the_user_may_see(world: World) -> None:
    cop = client_for(police(world))
    versions = get_json(cop, f"/cockpit/layers/version?area={STREET}")["versions"]
    assert set(versions) == {"areas", "cases", "facilities"}
    html = cop.get(f"/cockpit/?area={STREET}").content.decode()
    assert 'data-layer="cases"' in html
    assert 'data-layer="alerts"' not in html and 'data-layer="orders"' not in html
    assert "关怀告警（方形）" not in html and "服务人员最近位置" not in html
    config = html.split('id="cockpit-config"')[1].split(">", 1)[1].split("</script>")[0]
    assert json.loads(config)["layers"] == ["areas", "facilities", "cases"]

    team = client_for(staff_user(world.areas["street"], Role.EMERGENCY_TEAM))
    versions = get_json(team, f"/cockpit/layers/version?area={STREET}")["versions"]
    assert set(versions) == {"areas", "cases", "facilities", "alerts"}
    html = team.get(f"/cockpit/?area={STREET}").content.decode()
    assert 'data-layer="alerts"' in html and 'data-layer="orders"' not in html
    alerts = get_json(team, f"/cockpit/layers/alerts.geojson?area={STREET}")
    assert [f["properties"]["id"] for f in alerts["features"]] == [world.alert.pk]
    assert get_json(team, f"/cockpit/layers/orders.geojson?area={STREET}")["features"] == []

    admin = client_for(street_admin(world))
    versions = get_json(admin, f"/cockpit/layers/version?area={STREET}")["versions"]
    assert set(versions) == set(layers.LAYERS)
    html = admin.get(f"/cockpit/?area={STREET}").content.decode()
    assert 'data-layer="alerts"' in html and 'data-layer="orders"' in html


def test_an_unknown_layer_is_still_404_for_police(world: World) -> None:
    response = client_for(police(world)).get(f"/cockpit/layers/people.geojson?area={STREET}")
    assert response.status_code == 404
    assert "没有名为" in response.json()["detail"]


def test_police_layer_endpoints_stay_within_the_query_budget(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = client_for(police(world))
    client.get("/cockpit/")
    with django_assert_max_num_queries(11):
        client.get(f"/cockpit/layers/areas.geojson?area={STREET}")
    with django_assert_max_num_queries(7):
        client.get(f"/cockpit/layers/version?area={STREET}")


# --------------------------------------------------------------------------- finding 3: scope


def test_mixed_roles_scope_comes_from_registry_roles_only(world: World) -> None:
    """Police in the community, volunteer and provider staff over the whole street: the
    cockpit covers the community only."""
    community = world.areas["community"]
    user = staff_user(community, Role.POLICE)
    Assignment.objects.create(user=user, area=world.areas["street"], role=Role.VOLUNTEER)
    Assignment.objects.create(user=user, area=world.areas["street"], role=Role.PROVIDER_STAFF)
    Assignment.objects.create(user=user, area=world.other["street"], role=Role.VOLUNTEER)
    assert registry_paths(user) == [community.path]
    assert [a.code for a in areas_for(user)] == [
        community.code,
        world.areas["grid"].code,
        world.areas["micro_grid"].code,
    ]
    assert area_for(user, None) == community
    for code in (world.areas["street"].code, world.other["street"].code):
        with pytest.raises(Http404):
            area_for(user, code)
    client = client_for(user)
    assert client.get(f"/cockpit/?area={STREET}").status_code == 404
    assert client.get(f"/cockpit/layers/cases.geojson?area={STREET}").status_code == 404
    assert client.get(f"/cockpit/kpis/panels.json?area={STREET}").status_code == 404
    assert client.get(f"/cockpit/?area={community.code}").status_code == 200


def test_mixed_roles_cases_are_the_case_apps_visible_cases_in_the_area(world: World) -> None:
    """For an area the user covers, ``kpis.cases_in`` = ``cases_visible_to`` ∩ the area —
    including for a user who is also involved-only elsewhere."""
    community = world.areas["community"]
    user = staff_user(community, Role.POLICE)
    Assignment.objects.create(user=user, area=world.other["street"], role=Role.PROVIDER_STAFF)
    make_case(world.other["micro_grid"], None)
    mine = set(kpis.cases_in(user, community).values_list("pk", flat=True))
    visible = set(
        cases_visible_to(user)
        .filter(area__path__startswith=community.path)
        .values_list("pk", flat=True)
    )
    assert mine == visible and world.overdue.pk in mine
    assert world.foreign.pk not in mine


def test_mixed_roles_registry_panel_counts_only_the_registry_area(world: World) -> None:
    """A street-wide volunteer assignment does not widen what a community officer counts:
    residents registered outside the officer's micro-grid stay out even under a street-level
    call."""
    user = staff_user(world.areas["micro_grid"], Role.POLICE)
    Assignment.objects.create(user=user, area=world.areas["street"], role=Role.VOLUNTEER)
    ResidentFactory(area=world.areas["micro_grid"])
    ResidentFactory(area=world.areas["community"])
    panel = kpis.registry_panel(user, world.areas["street"], today=dt.date.today())
    mine = Resident.objects.filter(area__path__startswith=world.areas["micro_grid"].path)
    street = Resident.objects.filter(area__path__startswith=world.areas["street"].path)
    assert street.count() == mine.count() + 1
    assert {f.label: f.value for f in panel.figures}["登记居民"] == mine.count()


def test_mixed_roles_care_and_order_rows_need_a_role_of_that_app_there(world: World) -> None:
    """Police over the community and a grid worker in the other street: the care right
    exists, but only where the grid-worker role is — not in the police community."""
    community = world.areas["community"]
    user = staff_user(community, Role.POLICE)
    Assignment.objects.create(user=user, area=world.other["micro_grid"], role=Role.GRID_WORKER)
    assert care_paths(user) == [world.other["micro_grid"].path]
    assert order_paths(user) == [world.other["micro_grid"].path]
    assert not kpis.alerts_in(user, community).exists()
    assert not kpis.orders_in(user, community).exists()
    sight = sight_for(user)
    data = layers.build_layer("alerts", community, sight=sight)
    assert data["features"] == []
    assert layers.build_layer("orders", community, sight=sight)["features"] == []
    # A superuser's sight is everything.
    root = UserFactory(is_superuser=True)
    assert sight_for(root) == layers.EVERYTHING and registry_paths(root) is None
