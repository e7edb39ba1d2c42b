"""Travel times: great-circle × detour ÷ speed, a road network via networkx, caching."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.dispatch.travel import GreatCircleTravel, Point, RoadNetworkTravel, haversine_m

A = Point(38.4620, 106.2120)
B = Point(38.4728, 106.2292)  # about 1.5 km east and 1.2 km north of A

coords = st.builds(
    Point,
    lat=st.floats(min_value=38.40, max_value=38.55),
    lng=st.floats(min_value=106.10, max_value=106.35),
)


def test_haversine_matches_a_known_distance():
    # One degree of latitude on the mean sphere: 6,371,008.8 m × π / 180 ≈ 111,195 m.
    assert haversine_m(Point(38.0, 106.0), Point(39.0, 106.0)) == pytest.approx(111_195, abs=1)


def test_great_circle_time_is_distance_times_detour_over_speed():
    travel = GreatCircleTravel()
    metres = haversine_m(A, B)
    assert 1_800 < metres < 2_000
    assert travel.seconds(A, B, "walk") == pytest.approx(metres * 1.3 / (4.5 / 3.6))
    assert travel.seconds(A, B, "ebike") == pytest.approx(metres * 1.3 / (15 / 3.6))


def test_great_circle_takes_detour_and_speeds():
    travel = GreatCircleTravel(detour=1.0, speeds_kmh={"walk": 3.6})
    assert travel.seconds(A, B, "walk") == pytest.approx(haversine_m(A, B))
    assert travel.seconds(A, B, "ebike") == pytest.approx(haversine_m(A, B) / (15 / 3.6))


def test_bad_detour_speed_or_mode_is_refused_in_chinese():
    with pytest.raises(ValueError, match="绕行系数"):
        GreatCircleTravel(detour=0.9)
    with pytest.raises(ValueError, match="速度必须为正数"):
        GreatCircleTravel(speeds_kmh={"walk": 0})
    with pytest.raises(ValueError, match="未知的出行方式"):
        GreatCircleTravel().seconds(A, B, "car")


def test_answers_are_cached():
    travel = GreatCircleTravel()
    first = travel.seconds(A, B, "walk")
    assert travel.seconds(A, B, "walk") == first
    info = travel.cache_info()
    assert (info.hits, info.misses) == (1, 1)


@given(coords, coords)
def test_great_circle_is_symmetric_non_negative_and_zero_on_the_spot(a, b):
    travel = GreatCircleTravel()
    assert travel.seconds(a, b, "walk") == pytest.approx(travel.seconds(b, a, "walk"))
    assert travel.seconds(a, b, "walk") >= 0
    assert travel.seconds(a, a, "ebike") == 0
    # the e-bike is 15 / 4.5 times as fast as walking
    assert travel.seconds(a, b, "walk") == pytest.approx(travel.seconds(a, b, "ebike") * 15 / 4.5)


def _line(*points: tuple[float, float]) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "LineString", "coordinates": [list(p) for p in points]},
    }


# An L-shaped road: west → east along 38.460, then north along 106.230. Going from the
# west end to the north end must follow the L, longer than the straight line.
WEST, CORNER, NORTH = (106.210, 38.460), (106.230, 38.460), (106.230, 38.475)
ROADS = {"type": "FeatureCollection", "features": [_line(WEST, CORNER), _line(CORNER, NORTH)]}


def _p(lng_lat: tuple[float, float]) -> Point:
    return Point(lng_lat[1], lng_lat[0])


def test_road_network_follows_the_shortest_path(tmp_path):
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(ROADS))
    travel = RoadNetworkTravel.from_geojson(path)
    along = haversine_m(_p(WEST), _p(CORNER)) + haversine_m(_p(CORNER), _p(NORTH))
    assert travel.seconds(_p(WEST), _p(NORTH), "walk") == pytest.approx(along / (4.5 / 3.6))
    assert along > haversine_m(_p(WEST), _p(NORTH)) * 1.3  # the L is longer than the detour model


def test_road_network_snaps_nearby_points_and_falls_back_far_away():
    fallback = GreatCircleTravel(detour=1.3)
    travel = RoadNetworkTravel.from_geojson(ROADS, fallback=fallback, snap_limit_m=150)
    near_west = Point(38.4605, 106.210)  # ~56 m north of the west end
    snap = haversine_m(near_west, _p(WEST))
    along = haversine_m(_p(WEST), _p(CORNER))
    assert travel.seconds(near_west, _p(CORNER), "ebike") == pytest.approx(
        (snap + along) / (15 / 3.6)
    )
    far = Point(38.500, 106.300)  # kilometres from any road
    assert travel.seconds(far, _p(WEST), "walk") == fallback.seconds(far, _p(WEST), "walk")


def test_road_network_caches_and_answers_zero_for_the_same_point():
    travel = RoadNetworkTravel.from_geojson(ROADS)
    assert travel.seconds(_p(WEST), _p(WEST), "walk") == 0
    travel.seconds(_p(WEST), _p(NORTH), "walk")
    travel.seconds(_p(WEST), _p(NORTH), "walk")
    assert travel.cache_info().hits == 1


def test_road_network_without_a_path_falls_back():
    island = _line((106.300, 38.500), (106.301, 38.500))
    roads = {"type": "FeatureCollection", "features": [*ROADS["features"], island]}
    fallback = GreatCircleTravel()
    travel = RoadNetworkTravel.from_geojson(roads, fallback=fallback)
    target = Point(38.500, 106.300)
    assert travel.seconds(_p(WEST), target, "walk") == fallback.seconds(_p(WEST), target, "walk")


def test_road_network_refuses_files_without_lines():
    with pytest.raises(ValueError, match="FeatureCollection"):
        RoadNetworkTravel.from_geojson({"type": "Feature"})
    with pytest.raises(ValueError, match="没有任何线段"):
        RoadNetworkTravel.from_geojson({"type": "FeatureCollection", "features": []})
