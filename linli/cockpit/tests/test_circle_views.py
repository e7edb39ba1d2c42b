"""``/cockpit/circle/`` and the walking network: scoping, bad input, what-if, export,
query counts, ``linli walk_network``, on a purpose-built street with known geometry.

Community A (the user's) has 1号楼 300 m north of a canteen that belongs to the
neighbouring community B, 2号楼 1 km north (1,300 s: a gap), 3号楼 without coordinates,
and an empty office far away (not a dwelling). Walking: great circle × 1.3 at 1.0 m/s.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.cockpit import circle
from linli.cockpit.models import WalkNetwork
from linli.common.geo import LatLng, wgs84_to_gcj02
from linli.people.models import Role
from linli.places.models import Area, AreaKind, BuildingKind, Facility, FacilityKind
from linli.testing.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    area_chain,
    staff_user,
)

pytestmark = pytest.mark.django_db

ORIGIN = LatLng(38.47, 106.23)
M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180
URL = "/cockpit/circle/"


def north(metres: float) -> LatLng:
    return LatLng(ORIGIN.lat + metres / M_PER_DEG_LAT, ORIGIN.lng)


def child(parent: Area, suffix: str, kind: str, name: str) -> Area:
    code = parent.code + suffix
    return Area.objects.create(
        code=code, kind=kind, name=name, parent=parent, path=f"{parent.path}{code}/"
    )


def building(
    micro: Area, name: str, point: LatLng | None, households: int, elders: int = 0, **kw: Any
) -> Any:
    lat, lng = point.as_decimals() if point else (None, None)
    b = BuildingFactory(micro_grid=micro, name=name, lat=lat, lng=lng, **kw)
    for n in range(households):
        household = HouseholdFactory(building=b, room=f"{n + 1}01")
        if n < elders:
            ResidentFactory(household=household, birth_date=dt.date(1950, 3, 1))
        else:
            ResidentFactory(household=household, birth_date=dt.date(1990, 3, 1))
    return b


@pytest.fixture
def street() -> dict[str, Any]:
    chain = area_chain()
    community_b = child(chain["street"], "002", AreaKind.COMMUNITY, "乙社区")
    grid_b = child(community_b, "001", AreaKind.GRID, "乙第一网格")
    micro_b = child(grid_b, "01", AreaKind.MICRO_GRID, "乙微网格1")
    micro = chain["micro_grid"]
    b1 = building(micro, "1号楼", north(300), households=3, elders=2)
    b2 = building(micro, "2号楼", north(1000), households=2, elders=1)
    b3 = building(micro, "3号楼", None, households=1)
    building(micro, "写字楼", north(5000), households=0, kind=BuildingKind.OFFICE)
    lat, lng = ORIGIN.as_decimals()
    Facility.objects.create(
        area=micro_b, kind=FacilityKind.CANTEEN, name="乙社区食堂", lat=lat, lng=lng
    )
    p_lat, p_lng = north(1000).as_decimals()
    Facility.objects.create(
        area=micro, kind=FacilityKind.PARKING_LOT, name="停车场", lat=p_lat, lng=p_lng
    )
    admin = staff_user(chain["community"], role=Role.COMMUNITY_ADMIN)
    return {**chain, "community_b": community_b, "b1": b1, "b2": b2, "b3": b3, "admin": admin}


def get(client: Any, user: Any, **params: str) -> Any:
    client.force_login(user)
    return client.get(URL, params)


# --------------------------------------------------------------------------- the page


def test_the_page_lists_the_gap_and_the_building_without_coordinates(client, street) -> None:
    response = get(client, street["admin"], area=street["community"].code, kind="canteen")
    assert response.status_code == 200
    chosen = response.context["chosen"]
    assert [g.place.name for g in chosen.gaps] == ["2号楼"]
    assert chosen.gaps[0].nearest.site.name == "乙社区食堂"  # the neighbour's canteen serves A
    assert chosen.gaps[0].nearest.seconds == pytest.approx(1300, abs=1)
    assert (chosen.households_within, chosen.households) == (3, 5)
    assert (chosen.elders_within, chosen.elders) == (2, 3)
    assert response.context["coverage"].not_dwellings == 1
    html = response.content.decode()
    assert "60.0%（3/5 户）" in html and "66.7%（2/3 人）" in html
    assert "无坐标，未计入" in html and "3号楼" in html
    assert "停车场" not in html  # parking lots are not a service
    data = response.context["map_data"]
    assert {b["name"]: b["covered"] for b in data["buildings"]} == {
        "测试社区·1号楼": True,
        "测试社区·2号楼": False,
    }


def test_the_default_area_is_the_users_top_area(client, street) -> None:
    response = get(client, street["admin"])
    assert response.status_code == 200 and response.context["area"] == street["community"]


def test_anonymous_is_sent_to_log_in_and_non_registry_roles_get_403(client, street) -> None:
    assert client.get(URL).status_code == 302
    caregiver = staff_user(street["community"], role=Role.PROVIDER_STAFF)
    assert get(client, caregiver).status_code == 403


def test_another_communitys_area_is_a_404_in_chinese(client, street) -> None:
    response = get(client, street["admin"], area=street["community_b"].code)
    assert response.status_code == 404
    assert "不在您的辖区内" in response.content.decode()
    assert get(client, street["admin"], area="abc").status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "school"}, "未知的设施类型"),
        ({"kind": "parking_lot"}, "未知的设施类型"),
        ({"minutes": "0"}, "1–60 分钟"),
        ({"minutes": "abc"}, "不是整数分钟"),
        ({"lat": "95", "lng": "106.2"}, "坐标超出范围"),
        ({"lat": "38.4"}, "同时填写纬度和经度"),
        ({"lat": "北纬", "lng": "106.2"}, "坐标不是数字"),
        ({"lat": "38.4", "lng": "106.2", "crs": "bd09"}, "不支持的坐标系"),
        # GCJ-02 outside China: was ValueError (math domain) → 500, and NaN coordinates.
        ({"lat": "90", "lng": "180", "crs": "gcj02"}, "只适用于中国境内"),
        ({"lat": "89.9999", "lng": "10", "crs": "gcj02"}, "只适用于中国境内"),
        ({"lat": "90", "lng": "180", "crs": "gcj02", "format": "xlsx"}, "只适用于中国境内"),
        # A typo such as 0,0 lands in the ocean, 12,000 km away: refused, not a silent zero.
        ({"kind": "canteen", "lat": "0", "lng": "0"}, "请在辖区内或附近（3 公里内）选点"),
    ],
)
def test_bad_parameters_are_a_400_with_a_chinese_message(client, street, params, message) -> None:
    response = get(client, street["admin"], **params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_what_if_shows_the_gain_and_the_newly_covered_building(client, street) -> None:
    point = north(1000)
    response = get(
        client, street["admin"], kind="canteen", lat=f"{point.lat:.6f}", lng=f"{point.lng:.6f}"
    )
    scenario = response.context["scenario"]
    assert [p.name for p in scenario.newly_covered] == ["2号楼"]
    assert (scenario.households_gained, scenario.elders_gained) == (2, 1)
    assert "新覆盖的楼栋" in response.content.decode()
    assert not WalkNetwork.objects.exists() and Facility.objects.count() == 2  # nothing saved


def test_what_if_accepts_gcj02(client, street) -> None:
    gcj = wgs84_to_gcj02(north(1000))
    response = get(client, street["admin"], lat=f"{gcj.lat:.6f}", lng=f"{gcj.lng:.6f}", crs="gcj02")
    scenario = response.context["scenario"]
    assert scenario.site.point.lat == pytest.approx(north(1000).lat, abs=1e-5)
    assert [p.name for p in scenario.newly_covered] == ["2号楼"]


def test_export_lists_the_gaps_and_the_unlocated(client, street) -> None:
    response = get(client, street["admin"], kind="canteen", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "社区")
    body = rows[header + 1 :]
    assert [(r[3], r[9]) for r in body] == [("2号楼", "超出15分钟"), ("3号楼", "无坐标，未计入")]
    assert body[0][6] == "乙社区食堂" and body[0][7] == pytest.approx(21.7, abs=0.05)


def test_the_page_runs_a_fixed_number_of_queries(
    client, street, django_assert_max_num_queries
) -> None:
    client.force_login(street["admin"])
    point = north(1000)
    params = {"kind": "canteen", "lat": f"{point.lat}", "lng": f"{point.lng}"}
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL, params).status_code == 200
    for n in range(15):
        building(street["micro_grid"], f"新{n}号楼", north(100 * n), households=2, elders=1)
        lat, lng = north(90 * n).as_decimals()
        Facility.objects.create(
            area=street["micro_grid"], kind=FacilityKind.CLINIC, name=f"站{n}", lat=lat, lng=lng
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL, params)
    assert response.context["coverage"].kinds["canteen"].buildings == 17
    assert len(small.captured_queries) <= 12


# --------------------------------------------------------------------------- networks


def network_file(tmp_path: Path, data: object) -> str:
    path = tmp_path / "net.geojson"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def straight_path() -> dict[str, object]:
    """A footpath from the canteen 2 km north, bent 200 m east half way (longer than straight)."""
    bend = LatLng(
        north(500).lat, ORIGIN.lng + 200 / (M_PER_DEG_LAT * math.cos(math.radians(38.47)))
    )
    coords = [[p.lng, p.lat] for p in (ORIGIN, bend, north(1000))]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        ],
    }


def test_a_network_of_the_street_is_used_for_its_communities(street, tmp_path) -> None:
    out = io.StringIO()
    call_command(
        "walk_network",
        "load",
        network_file(tmp_path, straight_path()),
        "--area",
        street["street"].code,
        stdout=out,
    )
    assert "3 个节点，2 条路段" in out.getvalue()
    network = circle.network_for(street["community"])
    assert network is not None and network.area == street["street"]
    coverage, _ = circle.coverage_for(street["community"], kinds=["canteen"])
    assert coverage.network == network.name and "步行路网" in coverage.method
    reach = coverage.nearest[street["b2"].pk]["canteen"]
    assert reach is not None and reach.along_network
    expected = 2 * math.hypot(500, 200)  # two legs of the bend
    assert reach.metres == pytest.approx(expected, rel=0.002)
    assert reach.metres < 1000 * 1.3  # shorter than the detour-factor estimate here


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "不是有效的 JSON"),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.2, 38.4]}}
                ],
            },
            "没有线段",
        ),
        ({"type": "LineString", "coordinates": [[106.2, 38.4], [106.2, 91]]}, "超出范围"),
        (["a"], "不是 GeoJSON"),
    ],
)
def test_bad_network_files_write_nothing(street, tmp_path, content, message) -> None:
    with pytest.raises(CommandError, match=message):
        call_command(
            "walk_network", "load", network_file(tmp_path, content), "--area", street["street"].code
        )
    assert not WalkNetwork.objects.exists()


def test_missing_file_and_unknown_area_are_refused(street, tmp_path) -> None:
    with pytest.raises(CommandError, match="找不到文件"):
        call_command(
            "walk_network", "load", str(tmp_path / "none.geojson"), "--area", street["street"].code
        )
    with pytest.raises(CommandError, match="没有代码为"):
        call_command(
            "walk_network", "load", network_file(tmp_path, straight_path()), "--area", "999999999"
        )
    assert not WalkNetwork.objects.exists()


def test_load_replaces_and_clear_removes(street, tmp_path) -> None:
    code = street["street"].code
    path = network_file(tmp_path, straight_path())
    call_command(
        "walk_network", "load", path, "--area", code, "--name", "旧路网", stdout=io.StringIO()
    )
    call_command(
        "walk_network", "load", path, "--area", code, "--name", "新路网", stdout=io.StringIO()
    )
    assert list(WalkNetwork.objects.values_list("name", flat=True)) == ["新路网"]
    out = io.StringIO()
    call_command("walk_network", "show", stdout=out)
    assert "新路网" in out.getvalue()
    call_command("walk_network", "clear", "--area", code, stdout=out)
    assert not WalkNetwork.objects.exists() and "已清除" in out.getvalue()


def test_facilities_without_coordinates_are_named_not_silently_dropped(client, street) -> None:
    Facility.objects.create(area=street["micro_grid"], kind=FacilityKind.CLINIC, name="甲卫生站")
    response = get(client, street["admin"], kind="clinic")
    assert response.context["coverage"].kinds["clinic"].facilities == 0
    assert "1 处设施无坐标，未计入：甲卫生站（卫生服务站）" in response.content.decode()


def test_a_facility_of_another_street_counts_when_within_reach(street) -> None:
    other = area_chain(prefix="640106002", name="邻街")
    near_lat, near_lng = north(1100).as_decimals()  # 100 m beyond 2号楼
    far_lat, far_lng = north(9000).as_decimals()
    Facility.objects.create(
        area=other["micro_grid"],
        kind=FacilityKind.PHARMACY,
        name="邻街药店",
        lat=near_lat,
        lng=near_lng,
    )
    Facility.objects.create(
        area=other["micro_grid"],
        kind=FacilityKind.PHARMACY,
        name="远处药店",
        lat=far_lat,
        lng=far_lng,
    )
    coverage, _ = circle.coverage_for(street["community"], kinds=["pharmacy"])
    assert [s.name for s in coverage.sites if s.kind == "pharmacy"] == ["邻街药店"]
    assert coverage.kinds["pharmacy"].within_pks == {street["b2"].pk}  # 1号楼: 1,040 s


def test_gap_minutes_round_up_so_just_outside_never_reads_fifteen() -> None:
    from linli.cockpit.views_circle import _minutes_text

    assert _minutes_text(circle.Reach(None, 900.0, 900.0, False)) == "15.0"  # type: ignore[arg-type]
    assert _minutes_text(circle.Reach(None, 902.0, 902.0, False)) == "15.1"  # type: ignore[arg-type]
