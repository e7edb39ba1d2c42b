"""The cockpit page, its access rules and the map's GeoJSON layers (issue #9 "The cockpit").

A street (640106001) with one community → grid → micro-grid (all with boundaries), a
building with a household, open and closed cases (one overdue, one paused), an open and a
resolved care alert, an order in progress held by a worker who pinged a minute ago and a
completed order, and a facility; a second street (640106002) with a case that no layer of
the first street may show.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.care.models import AlertStatus, CareAlert
from linli.cases.models import Case, CaseCategory, CaseChannel, CaseStatus
from linli.cockpit import layers
from linli.cockpit.access import area_for, areas_for
from linli.common.geo import LatLng, wgs84_to_gcj02
from linli.orders.models import (
    Offer,
    OfferStatus,
    Order,
    OrderChannel,
    OrderStatus,
    ServiceType,
    WorkerStatus,
)
from linli.orders.services import worker_create
from linli.orders.tests.factories import provider
from linli.people.models import Role
from linli.places.models import Area, Building, Facility, FacilityKind, Household
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    UserFactory,
    area_chain,
    staff_user,
)

pytestmark = pytest.mark.django_db

LAT, LNG = 38.48, 106.22


def square(lat: float, lng: float, half: float) -> dict[str, Any]:
    """A GeoJSON Polygon (``[lng, lat]`` positions) centred on ``lat``/``lng``."""
    ring = [
        [lng - half, lat - half],
        [lng + half, lat - half],
        [lng + half, lat + half],
        [lng - half, lat + half],
        [lng - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclasses.dataclass
class World:
    areas: dict[str, Area]
    other: dict[str, Area]
    building: Building
    household: Household
    overdue: Case
    on_time: Case
    paused: Case
    closed: Case
    foreign: Case
    alert: CareAlert
    order: Order
    done: Order
    facility: Facility
    now: dt.datetime


_numbers = iter(range(1, 10_000))


def make_case(area: Area, building: Building | None, **kwargs: Any) -> Case:
    category = CaseCategory.objects.get_or_create(
        code="MAPTEST", defaults={"name": "占道经营", "kind": "event"}
    )[0]
    values: dict[str, Any] = {
        "number": f"640106-20260601-{next(_numbers):04d}",
        "category": category,
        "status": CaseStatus.DISPATCHED,
        "channel": CaseChannel.GRID_PATROL,
        "title": "王某某家门口占道",
        "description": "描述",
        "area": area,
        "building": building,
        "reporter_name": "张三",
        "reporter_phone": "13900000000",
    }
    values.update(kwargs)
    return Case.objects.create(**values)


def make_order(world_area: Area, building: Building, household: Household, **kwargs: Any) -> Order:
    from linli.testing.factories import ResidentFactory

    resident = ResidentFactory(household=household, name="李秀英")
    values: dict[str, Any] = {
        "number": f"SO-{next(_numbers):06d}",
        "service_type": ServiceType.objects.get(code="bath_assist"),
        "resident": resident,
        "household": household,
        "building": building,
        "area": world_area,
        "address": "金凤苑 3 号楼 1 单元 101",
        "lat": LAT + 0.001,
        "lng": LNG + 0.001,
        "channel": OrderChannel.STAFF,
        "duration_s": 3600,
        "price_fen": 3000,
        "placed_at": timezone.now(),
        "status": OrderStatus.EN_ROUTE,
    }
    values.update(kwargs)
    return Order.objects.create(**values)


@pytest.fixture
def world() -> World:
    now = timezone.now()
    areas = area_chain("640106001", "金凤")
    other = area_chain("640106002", "良田")
    areas["street"].boundary = square(LAT, LNG, 0.04)
    areas["community"].boundary = square(LAT, LNG, 0.02)
    areas["grid"].boundary = square(LAT, LNG, 0.01)
    areas["micro_grid"].boundary = square(LAT, LNG, 0.005)
    for area in areas.values():
        area.save()
    building = BuildingFactory(
        micro_grid=areas["micro_grid"], lat=Decimal("38.480000"), lng=Decimal("106.220000")
    )
    household = HouseholdFactory(building=building)
    micro = areas["micro_grid"]
    overdue = make_case(micro, building, due_at=now - dt.timedelta(hours=1))
    on_time = make_case(
        micro,
        None,
        lat=Decimal("38.481000"),
        lng=Decimal("106.221000"),
        due_at=now + dt.timedelta(hours=5),
    )
    paused = make_case(micro, building, due_at=now - dt.timedelta(hours=1), paused_at=now)
    closed = make_case(micro, building, status=CaseStatus.CLOSED)
    other_building = BuildingFactory(
        micro_grid=other["micro_grid"], lat=Decimal("38.5"), lng=Decimal("106.3")
    )
    foreign = make_case(other["micro_grid"], other_building)
    alert = CareAlert.objects.create(
        household=household, area=micro, kind="sos", status=AlertStatus.OPEN, raised_at=now
    )
    CareAlert.objects.create(
        household=household, area=micro, kind="smoke", status=AlertStatus.RESOLVED, raised_at=now
    )
    order = make_order(micro, building, household)
    done = make_order(micro, building, household, status=OrderStatus.COMPLETED)
    profile = provider(areas["community"])
    carer = worker_create(provider=profile, name="张护工", phone="13912345678")
    type(carer).objects.filter(pk=carer.pk).update(
        status=WorkerStatus.BUSY, last_lat=LAT + 0.002, last_lng=LNG, last_ping_at=now
    )
    Offer.objects.create(order=order, worker=carer, status=OfferStatus.ACCEPTED, offered_at=now)
    facility = Facility.objects.create(
        area=micro,
        kind=FacilityKind.CANTEEN,
        name="金凤苑社区食堂",
        lat=Decimal("38.479000"),
        lng=Decimal("106.219000"),
        phone="0951-1234567",
    )
    return World(
        areas=areas,
        other=other,
        building=building,
        household=household,
        overdue=overdue,
        on_time=on_time,
        paused=paused,
        closed=closed,
        foreign=foreign,
        alert=alert,
        order=order,
        done=done,
        facility=facility,
        now=now,
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def street_admin(world: World) -> User:
    return staff_user(world.areas["street"], Role.STREET_ADMIN)


def geojson(client: Client, name: str, area: str) -> dict[str, Any]:
    response = client.get(f"/cockpit/layers/{name}.geojson?area={area}")
    assert response.status_code == 200, response.content.decode()
    assert response["Content-Type"].startswith("application/geo+json")
    data: dict[str, Any] = json.loads(response.content)
    return data


# --------------------------------------------------------------------------- access


def test_areas_for_lists_the_levels_under_the_users_assignments(world: World) -> None:
    admin = street_admin(world)
    assert [a.kind for a in areas_for(admin)] == ["street", "community", "grid", "micro_grid"]
    worker = staff_user(world.areas["micro_grid"], Role.MICRO_GRID_WORKER)
    assert list(areas_for(worker)) == [world.areas["micro_grid"]]
    caregiver = staff_user(world.areas["street"], Role.PROVIDER_STAFF)
    assert list(areas_for(caregiver)) == []
    root = UserFactory(is_superuser=True)
    assert {a.code for a in areas_for(root)} >= {"640106001", "640106002"}


def test_area_for_defaults_to_the_top_area_and_hides_other_areas(world: World) -> None:
    from django.http import Http404

    admin = street_admin(world)
    assert area_for(admin, None) == world.areas["street"]
    assert area_for(admin, world.areas["grid"].code) == world.areas["grid"]
    for bad in (world.other["community"].code, "640106", "abc", "9" * 17, "1" * 30):
        with pytest.raises(Http404):
            area_for(admin, bad)
    nobody = staff_user(world.areas["street"], Role.VOLUNTEER)
    with pytest.raises(Http404, match="没有可查看的辖区"):
        area_for(nobody, "")


def test_cockpit_page_needs_login_and_a_registry_role(client: Client, world: World) -> None:
    response = client.get("/cockpit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    caregiver = staff_user(world.areas["street"], Role.PROVIDER_STAFF)
    assert client_for(caregiver).get("/cockpit/").status_code == 403
    assert client_for(caregiver).get("/cockpit/layers/cases.geojson").status_code == 403
    anonymous = Client().get("/cockpit/layers/cases.geojson")
    assert anonymous.status_code == 302


def test_cockpit_page_renders_picker_map_and_panel_column(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = client_for(street_admin(world))
    with django_assert_max_num_queries(10):
        response = client.get("/cockpit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "金凤街道" in html and "金凤社区" in html  # the area and its child in the picker
    assert 'id="cockpit-map"' in html and "vendor/leaflet/leaflet.js" in html
    assert 'hx-get="/cockpit/kpis/panels/?area=640106001"' in html
    assert 'hx-trigger="load, every 30s"' in html
    for label in layers.LAYER_LABELS.values():
        assert label in html
    assert "超期事件" in html  # the legend names the overdue shape in words
    config = json.loads(html.split('id="cockpit-config" type="application/json">')[1].split("<")[0])
    assert config["area"] == "640106001" and config["tiles"] == {
        "url": "",
        "attribution": "",
        "crs": "wgs84",
    }
    # No layer is computed into the page: no case number, no facility name.
    assert world.overdue.number not in html and "金凤苑社区食堂" not in html


def test_cockpit_page_with_a_grid_shows_the_trail(world: World) -> None:
    client = client_for(street_admin(world))
    html = client.get(f"/cockpit/?area={world.areas['grid'].code}").content.decode()
    assert 'href="/cockpit/?area=640106001"' in html  # back up to the street
    assert 'href="/cockpit/?area=640106001001"' in html  # and the community
    picker = client.get(f"/cockpit/picker/?area={world.areas['grid'].code}")
    assert picker.status_code == 200 and "金凤微网格1" in picker.content.decode()
    assert client.get("/cockpit/picker/?area=640106002").status_code == 404


@pytest.mark.parametrize("code", ["640106002", "64010600100", "xyz", "640106"])
def test_cockpit_page_bad_or_foreign_area_is_404_in_chinese(world: World, code: str) -> None:
    client = client_for(street_admin(world))
    response = client.get(f"/cockpit/?area={code}")
    assert response.status_code == 404
    html = response.content.decode()
    assert "区域" in html and ("无效" in html or "不在您的辖区内" in html)


# --------------------------------------------------------------------------- layers


def test_cases_layer_shows_open_cases_with_the_overdue_flag_and_no_personal_data(
    world: World,
) -> None:
    client = client_for(street_admin(world))
    data = geojson(client, "cases", "640106001")
    by_number = {f["properties"]["number"]: f for f in data["features"]}
    assert set(by_number) == {world.overdue.number, world.on_time.number, world.paused.number}
    assert by_number[world.overdue.number]["properties"]["overdue"] is True
    assert by_number[world.on_time.number]["properties"]["overdue"] is False
    assert by_number[world.paused.number]["properties"]["overdue"] is False  # clock paused
    assert data["properties"]["overdue"] == 1 and data["properties"]["count"] == 3
    # The case's own point wins; else its building's. GeoJSON is [lng, lat].
    assert by_number[world.on_time.number]["geometry"]["coordinates"] == [106.221, 38.481]
    assert by_number[world.overdue.number]["geometry"]["coordinates"] == [106.22, 38.48]
    props = by_number[world.overdue.number]["properties"]
    assert props["url"] == f"/cases/{world.overdue.number}/"
    assert props["category"] == "占道经营"
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("王某某", "张三", "13900000000"):
        assert secret not in text


def test_layers_are_scoped_to_the_area(world: World) -> None:
    worker = staff_user(world.areas["micro_grid"], Role.MICRO_GRID_WORKER)
    client = client_for(worker)
    data = geojson(client, "cases", world.areas["micro_grid"].code)
    assert world.foreign.number not in json.dumps(data)
    assert data["properties"]["count"] == 3
    # A micro-grid worker may not look at the street, nor at another street.
    for code in ("640106001", "640106002001001"):
        response = client.get(f"/cockpit/layers/cases.geojson?area={code}")
        assert response.status_code == 404
        assert "不在您的辖区内" in response.json()["detail"]
    # Without ?area= the user's top area is used.
    assert geojson(client, "cases", "")["properties"]["area"] == world.areas["micro_grid"].code
    root = client_for(UserFactory(is_superuser=True))
    assert geojson(root, "cases", "640106002")["properties"]["count"] == 1


def test_bad_area_code_and_unknown_layer_are_404_in_chinese(world: World) -> None:
    client = client_for(street_admin(world))
    response = client.get("/cockpit/layers/cases.geojson?area=abc")
    assert response.status_code == 404 and "无效" in response.json()["detail"]
    response = client.get("/cockpit/layers/people.geojson?area=640106001")
    assert response.status_code == 404 and "没有名为「people」的图层" in response.json()["detail"]
    response = client.get("/cockpit/layers/version?area=999999999")
    assert response.status_code == 404 and "没有找到区域" in response.json()["detail"]


def test_alerts_layer_shows_open_alerts_at_the_building(world: World) -> None:
    data = geojson(client_for(street_admin(world)), "alerts", "640106001")
    assert [f["properties"]["id"] for f in data["features"]] == [world.alert.pk]
    feature = data["features"][0]
    assert feature["geometry"]["coordinates"] == [106.22, 38.48]
    assert feature["properties"]["kind_label"] == "紧急呼叫"
    assert feature["properties"]["url"] == f"/care/alerts/{world.alert.pk}/"


def test_orders_layer_shows_live_orders_and_their_workers_without_names(world: World) -> None:
    data = geojson(client_for(street_admin(world)), "orders", "640106001")
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert sorted(kinds) == ["order", "worker"]
    order = next(f for f in data["features"] if f["properties"]["kind"] == "order")
    assert order["properties"]["number"] == world.order.number
    assert order["properties"]["url"] == f"/orders/{world.order.pk}/"
    worker = next(f for f in data["features"] if f["properties"]["kind"] == "worker")
    assert worker["properties"]["orders"] == [world.order.number]
    assert worker["geometry"]["coordinates"] == [106.22, 38.482]
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("张护工", "13912345678", "李秀英", "101"):
        assert secret not in text
    assert data["properties"]["workers"] == 1


def test_orders_layer_leaves_out_stale_worker_positions(world: World) -> None:
    from linli.orders.models import Worker

    Worker.objects.update(last_ping_at=world.now - dt.timedelta(hours=3))
    data = geojson(client_for(street_admin(world)), "orders", "640106001")
    assert [f["properties"]["kind"] for f in data["features"]] == ["order"]


def test_facilities_layer_has_kind_and_name_but_not_the_phone(world: World) -> None:
    data = geojson(client_for(street_admin(world)), "facilities", "640106001")
    (feature,) = data["features"]
    assert feature["properties"]["kind_label"] == "社区食堂"
    assert feature["properties"]["name"] == "金凤苑社区食堂"
    assert "0951" not in json.dumps(data)


def test_areas_layer_has_self_children_inner_with_counts(world: World) -> None:
    data = geojson(client_for(street_admin(world)), "areas", "640106001")
    roles = {f["properties"]["code"]: f["properties"]["role"] for f in data["features"]}
    assert roles == {"640106001": "self", "640106001001": "child", "640106001001001": "inner"}
    community = next(f for f in data["features"] if f["properties"]["role"] == "child")
    props = community["properties"]
    assert (props["cases"], props["overdue"], props["alerts"], props["orders"]) == (3, 1, 1, 1)
    assert props["name"] == "金凤社区" and props["kind_label"] == "社区"
    first = community["geometry"]["coordinates"][0][0]
    assert first == [106.2, 38.46]


def test_areas_layer_skips_malformed_boundaries(world: World) -> None:
    Area.objects.filter(pk=world.areas["community"].pk).update(
        boundary={"type": "Polygon", "coordinates": "nonsense"}
    )
    data = geojson(client_for(street_admin(world)), "areas", "640106001")
    assert "640106001001" not in {f["properties"]["code"] for f in data["features"]}


def test_gcj02_tiles_convert_every_geometry(world: World, settings: Any) -> None:
    settings.COCKPIT_MAP_TILES_CRS = "gcj02"
    settings.COCKPIT_MAP_TILES_URL = "https://tiles.example/{z}/{x}/{y}.png"
    client = client_for(street_admin(world))
    expected = wgs84_to_gcj02(LatLng(38.48, 106.22))
    cases = geojson(client, "cases", "640106001")
    assert cases["properties"]["crs"] == "gcj02"
    point = next(
        f["geometry"]["coordinates"]
        for f in cases["features"]
        if f["properties"]["number"] == world.overdue.number
    )
    assert point == [round(expected.lng, 6), round(expected.lat, 6)]
    # GCJ-02 is a few hundred metres off WGS-84 in Yinchuan: the conversion really happened.
    assert abs(point[0] - 106.22) > 0.003
    for name in ("alerts", "facilities", "orders"):
        for feature in geojson(client, name, "640106001")["features"]:
            lng, lat = feature["geometry"]["coordinates"]
            assert abs(lng - 106.22) > 0.003 or abs(lat - 38.48) > 0.001
    areas = geojson(client, "areas", "640106001")
    corner = wgs84_to_gcj02(LatLng(38.44, 106.18))
    street = next(f for f in areas["features"] if f["properties"]["role"] == "self")
    assert street["geometry"]["coordinates"][0][0] == [
        round(corner.lng, 6),
        round(corner.lat, 6),
    ]
    html = client.get("/cockpit/").content.decode()
    assert "https://tiles.example/{z}/{x}/{y}.png" in html


def test_a_bad_tile_crs_is_a_configuration_error(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.COCKPIT_MAP_TILES_CRS = "bd09"
    with pytest.raises(ImproperlyConfigured, match="LINLI_MAP_TILES_CRS"):
        layers.tiles_crs()
    settings.COCKPIT_MAP_TILES_CRS = "CGCS2000"
    assert layers.tiles_crs() == "cgcs2000"


@pytest.mark.parametrize(
    ("name", "most"),
    [("areas", 4), ("cases", 1), ("alerts", 1), ("orders", 2), ("facilities", 1)],
)
def test_each_layer_runs_a_fixed_number_of_queries(
    world: World, name: str, most: int, django_assert_num_queries: Any
) -> None:
    area = world.areas["street"]
    with django_assert_num_queries(most):
        small = layers.build_layer(name, area)
    # Ten times the data: the same number of queries.
    for _ in range(10):
        make_case(world.areas["micro_grid"], world.building, due_at=world.now)
        CareAlert.objects.create(
            household=world.household,
            area=world.areas["micro_grid"],
            kind="silence",
            raised_at=world.now,
        )
        make_order(world.areas["micro_grid"], world.building, world.household)
        Facility.objects.create(
            area=world.areas["micro_grid"],
            kind=FacilityKind.CLINIC,
            name="卫生站",
            building=world.building,
        )
    with django_assert_num_queries(most):
        big = layers.build_layer(name, area)
    if name != "areas":
        assert big["properties"]["count"] > small["properties"]["count"]


def test_layer_endpoint_query_budget(world: World, django_assert_max_num_queries: Any) -> None:
    client = client_for(street_admin(world))
    client.get("/cockpit/")  # warm the session
    # session + user + assignments + area + 5 version aggregates + the layer's own (≤ 4)
    with django_assert_max_num_queries(13):
        client.get("/cockpit/layers/areas.geojson?area=640106001")
    with django_assert_max_num_queries(9):
        client.get("/cockpit/layers/version?area=640106001")


def test_etag_and_versions_change_only_with_the_data(world: World) -> None:
    client = client_for(street_admin(world))
    first = client.get("/cockpit/layers/cases.geojson?area=640106001")
    etag = first["ETag"]
    again = client.get("/cockpit/layers/cases.geojson?area=640106001", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    versions = client.get("/cockpit/layers/version?area=640106001").json()["versions"]
    assert set(versions) == set(layers.LAYERS)
    assert versions["cases"] == etag.strip('"')
    # A new case changes cases (and areas, whose counts include it) but not facilities.
    make_case(world.areas["micro_grid"], world.building)
    later = client.get("/cockpit/layers/version?area=640106001").json()["versions"]
    assert later["cases"] != versions["cases"] and later["areas"] != versions["areas"]
    assert later["facilities"] == versions["facilities"]
    fresh = client.get("/cockpit/layers/cases.geojson?area=640106001", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    # A case falling overdue with time alone changes the version too.
    Case.objects.filter(pk=world.on_time.pk).update(due_at=world.now - dt.timedelta(minutes=1))
    assert layers.versions(world.areas["street"])["cases"] != later["cases"]


def test_superuser_picks_any_street_and_a_single_area_user_gets_no_switcher(world: World) -> None:
    root = client_for(UserFactory(is_superuser=True))
    html = root.get("/cockpit/?area=640106002").content.decode()
    assert 'id="cockpit-pick-top"' in html
    assert '<option value="640106002" selected>良田街道（街道）</option>' in html
    assert '<option value="640106001">金凤街道（街道）</option>' in html
    worker = staff_user(world.areas["micro_grid"], Role.MICRO_GRID_WORKER)
    html = client_for(worker).get("/cockpit/").content.decode()
    assert 'id="cockpit-pick-top"' not in html and 'id="cockpit-pick-child"' not in html
    assert 'id="cockpit-area-name" data-area="64010600100100101">金凤微网格1<' in html
