"""Coordinate input: WGS-84 as given, GCJ-02 converted, bad input refused in Chinese."""

from __future__ import annotations

import math

import prcoords
import pytest

from linli.common.geo import GeoError, LatLng, parse_lat_lng, wgs84_to_gcj02


def test_wgs84_is_taken_as_it_is_and_gcj02_in_china_is_converted() -> None:
    assert parse_lat_lng("38.48", " 106.23 ") == LatLng(38.48, 106.23)
    wgs = LatLng(38.48, 106.23)
    gcj = wgs84_to_gcj02(wgs)
    back = parse_lat_lng(gcj.lat, gcj.lng, crs="GCJ-02")
    assert math.isclose(back.lat, wgs.lat, abs_tol=1e-6)
    assert math.isclose(back.lng, wgs.lng, abs_tol=1e-6)


@pytest.mark.parametrize(
    ("lat", "lng", "message"),
    [
        ("x", "1", "坐标不是数字"),
        ("nan", "1", "有限数值"),
        ("91", "1", "坐标超出范围"),
        ("90", "180", "只适用于中国境内"),  # was ValueError (math domain) → 500
        ("89.9999", "10", "只适用于中国境内"),  # was NaN coordinates
        ("-33.9", "151.2", "只适用于中国境内"),  # Sydney
        ("40.7", "-74.0", "只适用于中国境内"),  # New York
        ("0.79", "100", "只适用于中国境内"),
        ("30", "137.81", "只适用于中国境内"),
    ],
)
def test_bad_or_foreign_gcj02_input_is_refused_in_chinese(lat: str, lng: str, message: str) -> None:
    with pytest.raises(GeoError, match=message):
        parse_lat_lng(lat, lng, crs="gcj02")


def test_the_corners_of_chinas_box_convert_to_finite_points() -> None:
    for lat in (0.8, 55.8):
        for lng in (72.0, 137.8):
            point = parse_lat_lng(lat, lng, crs="gcj02")
            assert math.isfinite(point.lat) and math.isfinite(point.lng)


def test_a_conversion_without_a_finite_result_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prcoords, "gcj_wgs_bored", lambda c: prcoords.Coords(math.nan, 1.0))
    with pytest.raises(GeoError, match="无法将 GCJ-02 坐标转换"):
        parse_lat_lng(38.48, 106.23, crs="gcj02")

    def broken(coords: object) -> object:
        raise ValueError("math domain error")

    monkeypatch.setattr(prcoords, "gcj_wgs_bored", broken)
    with pytest.raises(GeoError, match="无法将 GCJ-02 坐标转换"):
        parse_lat_lng(38.48, 106.23, crs="gcj02")


def test_an_unknown_crs_is_refused() -> None:
    with pytest.raises(GeoError, match="不支持的坐标系"):
        parse_lat_lng(38.48, 106.23, crs="bd09")
