"""The 15-minute service circle's arithmetic (no database): distances, the network,
the threshold edge, what-if and its properties, and network validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.cockpit import circle
from linli.common.geo import DETOUR_FACTOR, LatLng, great_circle_m
from linli.places.models import Area, BuildingKind

ORIGIN = LatLng(38.47, 106.23)
#: Metres per degree of latitude on the haversine sphere (R = 6,371,008.8 m).
M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180


def north(metres: float, of: LatLng = ORIGIN) -> LatLng:
    """A point ``metres`` due north of ``of`` (a meridian arc: exact great-circle metres)."""
    return LatLng(of.lat + metres / M_PER_DEG_LAT, of.lng)


def east(metres: float, of: LatLng = ORIGIN) -> LatLng:
    """About ``metres`` due east (along the parallel; the great circle is a hair shorter)."""
    return LatLng(of.lat, of.lng + metres / (M_PER_DEG_LAT * math.cos(math.radians(of.lat))))


def place(pk: int, point: LatLng | None, households: int = 1, elders: int = 0) -> circle.Place:
    return circle.Place(
        pk=pk,
        name=f"{pk}号楼",
        community="测试社区",
        grid="第一网格",
        micro_grid="微网格1",
        households=households,
        elders=elders,
        point=point,
    )


def site(pk: int, point: LatLng, kind: str = "canteen") -> circle.Site:
    return circle.Site(pk=pk, kind=kind, name=f"食堂{pk}", point=point)


AREA = Area(code="640106001", name="测试街道", kind="street", path="/640100/640106/640106001/")


def line(*points: LatLng) -> dict[str, object]:
    return {"type": "LineString", "coordinates": [[p.lng, p.lat] for p in points]}


def collection(*geometries: dict[str, object]) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries],
    }


# --------------------------------------------------------------------------- distances


def test_known_distance_pairs() -> None:
    # One degree of latitude on the mean sphere; 0.01° of longitude on the equator.
    assert great_circle_m(LatLng(0, 0), LatLng(1, 0)) == pytest.approx(111_195.08, abs=0.01)
    assert great_circle_m(LatLng(0, 0), LatLng(0, 0.01)) == pytest.approx(1_111.95, abs=0.01)
    # Beijing Tiananmen → Shanghai People's Square ≈ 1,067 km.
    beijing, shanghai = LatLng(39.9087, 116.3975), LatLng(31.2304, 121.4737)
    assert great_circle_m(beijing, shanghai) == pytest.approx(1_067_000, rel=0.005)
    assert great_circle_m(ORIGIN, north(500)) == pytest.approx(500, abs=1e-6)


def test_walking_without_a_network_is_great_circle_times_the_detour_factor() -> None:
    metres, on_network = circle.Walker().metres(ORIGIN, north(500))
    assert (metres, on_network) == (pytest.approx(500 * DETOUR_FACTOR), False)
    reach = circle.nearest_reach(
        ORIGIN, [site(1, north(500)), site(2, north(300))], circle.Walker(), 1.0
    )
    assert reach is not None and reach.site.pk == 2
    assert reach.seconds == pytest.approx(300 * 1.3)  # 1.0 m/s: seconds = metres


def test_default_speed_is_one_metre_a_second_and_a_setting_changes_it(settings) -> None:
    assert circle.walk_speed_m_s() == circle.DEFAULT_WALK_SPEED_M_S == 1.0
    settings.LINLI_CIRCLE_WALK_SPEED_M_S = 1.2
    assert circle.walk_speed_m_s() == 1.2
    settings.LINLI_CIRCLE_WALK_SPEED_M_S = 0
    with pytest.raises(circle.CircleError, match="步行速度必须为正数"):
        circle.walk_speed_m_s()


# --------------------------------------------------------------------------- network

CORNER = east(1000)
FAR_CORNER = north(1000, CORNER)


def l_shaped_walker() -> circle.Walker:
    """O → 1 km east → 1 km north: the only way from O to the far corner is 2 km."""
    graph, count = circle.graph_from_geojson(collection(line(ORIGIN, CORNER, FAR_CORNER)))
    assert count == 1 and graph.number_of_nodes() == 3 and graph.number_of_edges() == 2
    return circle.Walker(graph)


def test_network_shortest_path_is_longer_than_great_circle_times_detour_here() -> None:
    walker = l_shaped_walker()
    metres, on_network = walker.metres(FAR_CORNER, ORIGIN)
    straight = great_circle_m(ORIGIN, FAR_CORNER)
    assert on_network
    assert straight == pytest.approx(1414, abs=3)
    assert metres == pytest.approx(2000, abs=2)  # along the L
    assert metres > straight * DETOUR_FACTOR  # 1,838 m: the network knows there is no diagonal


def test_network_adds_the_straight_legs_to_the_nearest_nodes() -> None:
    walker = l_shaped_walker()
    building = north(40, FAR_CORNER)  # 40 m beyond the far corner
    facility = LatLng(ORIGIN.lat - 30 / M_PER_DEG_LAT, ORIGIN.lng)  # 30 m south of O
    metres, on_network = walker.metres(building, facility)
    assert on_network and metres == pytest.approx(2000 + 40 + 30, abs=2)


def test_a_shortcut_in_the_network_is_taken() -> None:
    graph, _ = circle.graph_from_geojson(
        collection(line(ORIGIN, CORNER, FAR_CORNER), line(ORIGIN, FAR_CORNER))
    )
    metres, _ = circle.Walker(graph).metres(FAR_CORNER, ORIGIN)
    assert metres == pytest.approx(great_circle_m(ORIGIN, FAR_CORNER), abs=1)


def test_off_the_network_or_unreachable_falls_back_to_great_circle() -> None:
    walker = l_shaped_walker()
    off = north(400, ORIGIN)  # 400 m from every node: beyond the 150 m snap limit
    metres, on_network = walker.metres(off, ORIGIN)
    assert not on_network and metres == pytest.approx(400 * DETOUR_FACTOR)
    islands, _ = circle.graph_from_geojson(
        collection(line(ORIGIN, north(100)), line(FAR_CORNER, north(100, FAR_CORNER)))
    )
    metres, on_network = circle.Walker(islands).metres(FAR_CORNER, ORIGIN)
    assert not on_network
    assert metres == pytest.approx(great_circle_m(ORIGIN, FAR_CORNER) * DETOUR_FACTOR)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "不是 GeoJSON"),
        ({"type": "FeatureCollection"}, "缺少 features"),
        (collection({"type": "Point", "coordinates": [106.2, 38.4]}), "没有线段"),
        ({"type": "FeatureCollection", "features": []}, "没有线段"),
        (collection({"type": "LineString", "coordinates": [[106.2, 38.4]]}), "少于两个点"),
        (
            collection({"type": "LineString", "coordinates": [[106.2, 95], [106.3, 38.4]]}),
            "超出范围",
        ),
        (collection({"type": "LineString", "coordinates": [[200, 38], [106.3, 38.4]]}), "超出范围"),
        (collection({"type": "LineString", "coordinates": [["a", 38], [106.3, 38.4]]}), "数值对"),
        (
            collection({"type": "LineString", "coordinates": [[106.2, 38.4], [106.2, 38.4]]}),
            "长度大于零",
        ),
    ],
)
def test_bad_networks_are_refused_in_chinese(data: object, message: str) -> None:
    with pytest.raises(circle.CircleError, match=message):
        circle.graph_from_geojson(data)


def test_multilinestrings_and_bare_geometries_are_read() -> None:
    graph, count = circle.graph_from_geojson(
        {
            "type": "MultiLineString",
            "coordinates": [[[106.2, 38.4], [106.21, 38.4]], [[106.21, 38.4], [106.21, 38.41]]],
        }
    )
    assert count == 2 and graph.number_of_nodes() == 3


# --------------------------------------------------------------------------- coverage


class FixedWalker(circle.Walker):
    """Every pair is exactly ``metres`` apart."""

    def __init__(self, metres: float) -> None:
        super().__init__()
        self.fixed = metres

    def metres(self, a: LatLng, b: LatLng) -> tuple[float, bool]:
        return self.fixed, False


@pytest.mark.parametrize(("metres", "within"), [(900.0, True), (900.001, False), (899.999, True)])
def test_exactly_the_threshold_counts_as_within(metres: float, within: bool) -> None:
    """900 s at 1.0 m/s is 900 m: a time equal to the threshold is within (≤)."""
    coverage = circle.compute(
        AREA, [place(1, ORIGIN)], [site(1, ORIGIN)], walker=FixedWalker(metres), kinds=["canteen"]
    )
    assert coverage.kinds["canteen"].buildings_within == (1 if within else 0)


def test_coverage_counts_households_and_elders_and_lists_gaps_farthest_first() -> None:
    places = [
        place(1, north(500), households=10, elders=4),  # 650 s
        place(2, north(800), households=5, elders=3),  # 1,040 s
        place(3, north(2000), households=2, elders=2),  # 2,600 s
        place(4, None, households=7, elders=1),  # no coordinates
    ]
    coverage = circle.compute(AREA, places, [site(9, ORIGIN)], kinds=["canteen", "clinic"])
    canteen = coverage.kinds["canteen"]
    assert (canteen.households, canteen.households_within) == (17, 10)
    assert (canteen.elders, canteen.elders_within) == (9, 4)
    assert canteen.household_pct == "58.8%"
    assert [g.place.pk for g in canteen.gaps] == [3, 2]
    assert canteen.gaps[1].nearest is not None
    assert canteen.gaps[1].nearest.seconds == pytest.approx(1040)
    assert [p.pk for p in coverage.unlocated] == [4]
    clinic = coverage.kinds["clinic"]  # no clinic at all: every located building is a gap
    assert clinic.facilities == 0 and clinic.households_within == 0
    assert all(g.nearest is None for g in clinic.gaps)


def test_workplaces_without_households_are_left_out() -> None:
    office = circle.Place(
        1, "写字楼", "社区", "网格", "微网格", 0, 0, north(5000), BuildingKind.OFFICE
    )
    flat = circle.Place(2, "公寓", "社区", "网格", "微网格", 1, 0, north(5000), BuildingKind.OFFICE)
    coverage = circle.compute(AREA, [office, flat], [site(1, ORIGIN)], kinds=["canteen"])
    assert coverage.not_dwellings == 1
    assert [g.place.pk for g in coverage.kinds["canteen"].gaps] == [2]


def test_what_if_lists_the_newly_covered_buildings_and_the_gain() -> None:
    places = [
        place(1, north(500), households=10, elders=4),
        place(2, north(2000), households=5, elders=3),
        place(3, north(2300), households=2, elders=2),
    ]
    coverage = circle.compute(AREA, places, [site(9, ORIGIN)], kinds=["canteen"])
    scenario = circle.what_if(coverage, "canteen", north(2100), name="北区食堂")
    assert [p.pk for p in scenario.newly_covered] == [2, 3]
    assert (scenario.households_gained, scenario.elders_gained) == (7, 5)
    assert scenario.after.households_within == 17 and scenario.site.name == "北区食堂"
    assert scenario.after.gaps == ()


def test_what_if_refuses_an_unknown_kind_and_the_parking_lot() -> None:
    coverage = circle.compute(AREA, [place(1, ORIGIN)], [], kinds=["canteen"])
    for kind in ("school", "parking_lot"):
        with pytest.raises(circle.CircleError, match="未知的设施类型"):
            circle.what_if(coverage, kind, ORIGIN)


offsets = st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000))


def _at(offset: tuple[float, float]) -> LatLng:
    return east(offset[1], north(offset[0]))


@settings(max_examples=60, deadline=None)
@given(
    buildings=st.lists(st.tuples(offsets, st.integers(0, 30), st.integers(0, 10)), max_size=12),
    facilities=st.lists(offsets, max_size=4),
    new=offsets,
)
def test_adding_a_facility_never_lowers_coverage_and_the_gain_is_after_minus_before(
    buildings: list[tuple[tuple[float, float], int, int]],
    facilities: list[tuple[float, float]],
    new: tuple[float, float],
) -> None:
    places = [place(i, _at(o), households=h + 1, elders=e) for i, (o, h, e) in enumerate(buildings)]
    sites = [site(i, _at(o)) for i, o in enumerate(facilities)]
    coverage = circle.compute(AREA, places, sites, kinds=["canteen"])
    scenario = circle.what_if(coverage, "canteen", _at(new))
    before, after = scenario.before, scenario.after
    assert before == coverage.kinds["canteen"]
    assert after.households_within >= before.households_within
    assert after.elders_within >= before.elders_within
    assert before.within_pks <= after.within_pks
    assert scenario.households_gained == after.households_within - before.households_within
    assert scenario.elders_gained == after.elders_within - before.elders_within
    gained = sum(p.households for p in scenario.newly_covered)
    assert gained == scenario.households_gained
    # The what-if equals recomputing with the new site among the real ones.
    added = circle.Site(pk=None, kind="canteen", name="拟建", point=_at(new))
    again = circle.compute(AREA, places, [*sites, added], kinds=["canteen"]).kinds["canteen"]
    assert again.within_pks == after.within_pks


def test_threshold_and_speed_must_be_positive() -> None:
    with pytest.raises(circle.CircleError, match="时间阈值"):
        circle.compute(AREA, [], [], threshold_s=0)
    with pytest.raises(circle.CircleError, match="步行速度"):
        circle.compute(AREA, [], [], speed_m_s=-1)
