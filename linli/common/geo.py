"""Geography: WGS-84 storage, GCJ-02 input, distances, and which area holds a point.

Chinese map pickers (AMap, Tencent) report GCJ-02 ("Mars") coordinates; Linli stores
WGS-84. The conversion is prcoords' iterative inverse (error well under 1 m). Distances are
great-circle (haversine, mean Earth radius 6,371,008.8 m) times a detour factor when a walking
or driving estimate is wanted and no road network is loaded (DESIGN.md "Geography").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import prcoords
from shapely.geometry import Point, shape

EARTH_RADIUS_M = 6_371_008.8
#: Great-circle distance × this ≈ street distance in Chinese residential districts.
DETOUR_FACTOR = 1.3


#: GCJ-02 is only defined over China: input outside this box (latitude, longitude in
#: degrees, prcoords' own bounds rounded outwards) is refused rather than converted.
GCJ02_LAT_RANGE = (0.8, 55.8)
GCJ02_LNG_RANGE = (72.0, 137.8)


class GeoError(ValueError):
    """Coordinates that cannot be right; ``str(err)`` is a message in Chinese."""


@dataclass(frozen=True)
class LatLng:
    """WGS-84 latitude and longitude in degrees."""

    lat: float
    lng: float

    def as_decimals(self) -> tuple[Decimal, Decimal]:
        """Rounded to 6 decimals (~0.1 m), as stored in ``DecimalField(9, 6)``."""
        return Decimal(f"{self.lat:.6f}"), Decimal(f"{self.lng:.6f}")


def parse_lat_lng(lat: object, lng: object, *, crs: str = "wgs84") -> LatLng:
    """Check and convert a coordinate pair to WGS-84.

    Args:
        lat, lng: degrees, as numbers or strings.
        crs: ``"wgs84"`` (also CGCS2000, the same to within centimetres) or ``"gcj02"``.

    Raises:
        GeoError: not numbers, out of range, an unknown ``crs``, GCJ-02 input outside
            China's bounding box (:data:`GCJ02_LAT_RANGE`, :data:`GCJ02_LNG_RANGE`), or a
            conversion that gives no finite point.
    """
    try:
        lat_f, lng_f = float(str(lat).strip()), float(str(lng).strip())
    except ValueError:
        raise GeoError(f"坐标不是数字：{lat}, {lng}") from None
    if not (math.isfinite(lat_f) and math.isfinite(lng_f)):
        raise GeoError("坐标不是有限数值")
    if not -90 <= lat_f <= 90 or not -180 <= lng_f <= 180:
        raise GeoError(f"坐标超出范围：纬度 {lat_f}，经度 {lng_f}")
    crs = crs.lower().replace("-", "")
    if crs in ("wgs84", "cgcs2000"):
        return LatLng(lat_f, lng_f)
    if crs == "gcj02":
        (lat_lo, lat_hi), (lng_lo, lng_hi) = GCJ02_LAT_RANGE, GCJ02_LNG_RANGE
        if not (lat_lo <= lat_f <= lat_hi and lng_lo <= lng_f <= lng_hi):
            raise GeoError(
                f"GCJ-02（高德、腾讯）坐标只适用于中国境内（纬度 {lat_lo}–{lat_hi}，"
                f"经度 {lng_lo}–{lng_hi}），实际为纬度 {lat_f}，经度 {lng_f}"
            )
        try:
            with warnings.catch_warnings():  # prcoords warns at the box's very edge
                warnings.simplefilter("ignore", UserWarning)
                converted = prcoords.gcj_wgs_bored(prcoords.Coords(lat_f, lng_f))
        except (ValueError, ArithmeticError):
            raise GeoError(f"无法将 GCJ-02 坐标转换为 WGS-84：纬度 {lat_f}，经度 {lng_f}") from None
        if not (math.isfinite(converted.lat) and math.isfinite(converted.lon)):
            raise GeoError(f"无法将 GCJ-02 坐标转换为 WGS-84：纬度 {lat_f}，经度 {lng_f}")
        return LatLng(converted.lat, converted.lon)
    raise GeoError(f"不支持的坐标系：{crs}（可用 wgs84、gcj02）")


def wgs84_to_gcj02(point: LatLng) -> LatLng:
    """For tile layers in GCJ-02 (AMap, Tencent)."""
    converted = prcoords.wgs_gcj(prcoords.Coords(point.lat, point.lng))
    return LatLng(converted.lat, converted.lon)


def great_circle_m(a: LatLng, b: LatLng) -> float:
    """Haversine distance in metres."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lng - a.lng)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def street_distance_m(a: LatLng, b: LatLng) -> float:
    """Estimated distance along streets in metres (great circle × ``DETOUR_FACTOR``)."""
    return great_circle_m(a, b) * DETOUR_FACTOR


def containing(
    point: LatLng, boundaries: Iterable[tuple[object, dict[str, object]]]
) -> object | None:
    """The key of the first GeoJSON geometry (WGS-84) that contains ``point``, else None.

    Args:
        boundaries: ``(key, geojson_geometry)`` pairs; a Feature's ``geometry`` is accepted.
    """
    target = Point(point.lng, point.lat)  # GeoJSON order: x = longitude
    for key, geometry in boundaries:
        geom = geometry.get("geometry", geometry) if geometry.get("type") == "Feature" else geometry
        if shape(geom).covers(target):
            return key
    return None
