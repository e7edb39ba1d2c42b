"""Travel times between WGS-84 points for a walking or e-bike worker, in seconds.

Two models share the :class:`Travel` protocol:

- :class:`GreatCircleTravel` — haversine distance × a detour factor ÷ speed (the default; the
  issue's model: detour 1.3, walking 4.5 km/h, e-bike 15 km/h);
- :class:`RoadNetworkTravel` — shortest path over a GeoJSON LineString network (networkx),
  falling back to another model for points far from the network.

Both cache their answers: the dispatcher asks for the same pairs many times a second.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: Mean Earth radius (IUGG), metres — the haversine formula's sphere.
EARTH_RADIUS_M = 6_371_008.8
#: Speeds of the issue's scenario, km/h.
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {"walk": 4.5, "ebike": 15.0}
#: Street distance ÷ straight distance in a residential estate (the issue's 1.3).
DEFAULT_DETOUR = 1.3
CACHE_SIZE = 1 << 18


@dataclass(frozen=True)
class Point:
    """A position in WGS-84 degrees."""

    lat: float
    lng: float


class Travel(Protocol):
    """Travel time in seconds from ``a`` to ``b`` for ``mode`` (``"walk"`` or ``"ebike"``)."""

    def seconds(self, a: Point, b: Point, mode: str) -> float: ...


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two WGS-84 points (spherical Earth)."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lng - a.lng)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _speeds_ms(speeds_kmh: Mapping[str, float] | None) -> dict[str, float]:
    speeds = dict(DEFAULT_SPEEDS_KMH)
    speeds.update(speeds_kmh or {})
    for mode, kmh in speeds.items():
        if not kmh > 0:
            raise ValueError(f"出行方式 {mode} 的速度必须为正数（km/h），实际为 {kmh}")
    return {mode: kmh / 3.6 for mode, kmh in speeds.items()}


def _speed(speeds: Mapping[str, float], mode: str) -> float:
    try:
        return speeds[mode]
    except KeyError:
        raise ValueError(f"未知的出行方式：{mode}（可用：{'、'.join(speeds)}）") from None


class GreatCircleTravel:
    """Haversine metres × ``detour`` ÷ speed; answers cached per (a, b, mode).

    Args:
        detour: street distance over straight distance, ≥ 1 (default 1.3).
        speeds_kmh: speed per mode in km/h, merged over ``{"walk": 4.5, "ebike": 15}``.

    Raises:
        ValueError: a detour below 1 or a speed that is not positive (message in Chinese);
            :meth:`seconds` with an unknown mode.
    """

    def __init__(
        self, *, detour: float = DEFAULT_DETOUR, speeds_kmh: Mapping[str, float] | None = None
    ) -> None:
        if not detour >= 1:
            raise ValueError(f"绕行系数不能小于 1，实际为 {detour}")
        self.detour = detour
        self.speeds = _speeds_ms(speeds_kmh)
        self._cached = functools.lru_cache(maxsize=CACHE_SIZE)(self._compute)

    def _compute(self, a: Point, b: Point, mode: str) -> float:
        return haversine_m(a, b) * self.detour / _speed(self.speeds, mode)

    def seconds(self, a: Point, b: Point, mode: str) -> float:
        """Seconds from ``a`` to ``b``; 0 for the same point."""
        return self._cached(a, b, mode)

    def cache_info(self) -> functools._CacheInfo:
        return self._cached.cache_info()


class RoadNetworkTravel:
    """Shortest-path travel over a road network built from GeoJSON LineStrings (networkx).

    Every LineString vertex is a node (rounded to 1e-7°, about 1 cm, so lines that share a
    vertex connect); every segment an undirected edge weighted by its haversine length in
    metres. A point is snapped to its nearest node; the answer is (snap distance at each end
    + shortest path length) ÷ speed. A point farther than ``snap_limit_m`` from every node is
    off the network, and the pair is answered by ``fallback`` (great-circle by default), as
    is a pair with no path between their nodes. Answers are cached per (a, b, mode).
    """

    def __init__(
        self,
        graph: Any,
        *,
        speeds_kmh: Mapping[str, float] | None = None,
        fallback: Travel | None = None,
        snap_limit_m: float = 150.0,
    ) -> None:
        self.graph = graph
        self.speeds = _speeds_ms(speeds_kmh)
        self.fallback: Travel = fallback or GreatCircleTravel(speeds_kmh=speeds_kmh)
        self.snap_limit_m = snap_limit_m
        self._nodes: list[Point] = [Point(lat, lng) for lng, lat in graph.nodes]
        self._snap = functools.lru_cache(maxsize=CACHE_SIZE)(self._nearest)
        self._metres = functools.lru_cache(maxsize=CACHE_SIZE)(self._path_m)
        self._cached = functools.lru_cache(maxsize=CACHE_SIZE)(self._compute)

    @classmethod
    def from_geojson(
        cls,
        path_or_dict: str | Path | Mapping[str, Any],
        *,
        speeds_kmh: Mapping[str, float] | None = None,
        fallback: Travel | None = None,
        snap_limit_m: float = 150.0,
    ) -> RoadNetworkTravel:
        """Build from a FeatureCollection (a file path or the parsed dict).

        LineString and MultiLineString geometries are used; other features are ignored.

        Raises:
            ValueError: not a FeatureCollection, or no line in it (message in Chinese).
        """
        import networkx as nx

        data = path_or_dict
        if isinstance(data, str | Path):
            data = json.loads(Path(data).read_text(encoding="utf-8"))
        if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
            raise ValueError("路网文件必须是 GeoJSON FeatureCollection")
        graph = nx.Graph()
        for feature in data.get("features") or []:
            for line in _lines((feature or {}).get("geometry") or {}):
                nodes = [(round(float(p[0]), 7), round(float(p[1]), 7)) for p in line]
                for u, v in itertools.pairwise(nodes):
                    if u != v:
                        metres = haversine_m(Point(u[1], u[0]), Point(v[1], v[0]))
                        graph.add_edge(u, v, metres=metres)
        if graph.number_of_edges() == 0:
            raise ValueError("路网文件中没有任何线段（LineString）")
        return cls(graph, speeds_kmh=speeds_kmh, fallback=fallback, snap_limit_m=snap_limit_m)

    def _nearest(self, p: Point) -> tuple[int, float]:
        best, best_m = -1, math.inf
        for i, node in enumerate(self._nodes):
            m = haversine_m(p, node)
            if m < best_m:
                best, best_m = i, m
        return best, best_m

    def _path_m(self, i: int, j: int) -> float:
        import networkx as nx

        a = (self._nodes[i].lng, self._nodes[i].lat)
        b = (self._nodes[j].lng, self._nodes[j].lat)
        try:
            return float(nx.dijkstra_path_length(self.graph, a, b, weight="metres"))
        except nx.NetworkXNoPath:
            return math.inf

    def _compute(self, a: Point, b: Point, mode: str) -> float:
        speed = _speed(self.speeds, mode)
        (i, da), (j, db) = self._snap(a), self._snap(b)
        if da > self.snap_limit_m or db > self.snap_limit_m:
            return self.fallback.seconds(a, b, mode)
        metres = self._metres(i, j)
        if math.isinf(metres):
            return self.fallback.seconds(a, b, mode)
        return (da + metres + db) / speed

    def seconds(self, a: Point, b: Point, mode: str) -> float:
        """Seconds from ``a`` to ``b`` over the network (or by the fallback, see class)."""
        if a == b:
            return 0.0
        return self._cached(a, b, mode)

    def cache_info(self) -> functools._CacheInfo:
        return self._cached.cache_info()


def _lines(geometry: Mapping[str, Any]) -> list[list[Any]]:
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "LineString":
        return [coords]
    if kind == "MultiLineString":
        return list(coords)
    return []


__all__ = [
    "GreatCircleTravel",
    "Point",
    "RoadNetworkTravel",
    "Travel",
    "haversine_m",
]
