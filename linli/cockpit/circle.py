"""The 15-minute service circle (15分钟便民服务圈): walking time from every building to the
nearest facility of each kind, coverage per area, and "what if" placement of a new facility.

Rules and sources (docs/service-circle.md):

* **Threshold.** GB 50180-2018 《城市居住区规划设计标准》 defines the 15-minute life circle
  (十五分钟生活圈居住区) by a walking distance of about 800–1,000 m to its daily services.
  A building is *within* the circle of a kind when its walking time to the nearest facility of
  that kind is **at most** the threshold (default 900 s; exactly 900 s counts as within).
* **Walking speed.** 1.0 m/s by default (900 m in 15 minutes, the middle of the standard's
  range). That is the speed the US Highway Capacity Manual (HCM 2010) uses for pedestrians
  where older people are more than a fifth of walkers (3.3 ft/s against 4.0 ft/s); the circle's
  users are above all older residents. A deployment changes it with the setting
  ``LINLI_CIRCLE_WALK_SPEED_M_S``; every function takes ``speed_m_s`` too.
* **Distance.** Without a network: great-circle (haversine) distance × ``geo.DETOUR_FACTOR``
  (1.3). With a :class:`~linli.cockpit.models.WalkNetwork` loaded for the area or an area
  above it: the shortest path along the network (Dijkstra over the networkx graph), with a
  straight great-circle leg from the building to its nearest network node and from the facility's
  nearest node to the facility. A point farther than :data:`SNAP_LIMIT_M` from every node, or
  a pair with no path between them, falls back to the great-circle estimate (as
  :mod:`linli.dispatch.travel` does).
* **Households.** All households of a building share its walking time. Residents 60+ are
  the residents registered in a household of the building aged 60 or more today
  (Asia/Shanghai). Buildings without coordinates are listed apart (「无坐标，未计入」) and left
  out of every share. Offices, commercial complexes and factories count only when someone
  lives there (a household registered): a workplace needs no canteen within 15 minutes.
* **Facilities.** Every service kind of :class:`~linli.places.models.FacilityKind` except the
  parking lot. A facility of a neighbouring community serves you as well as your own: the
  facilities considered are those of the whole street the area lies in (the area itself when
  it is a district or city) plus any other facility within walking reach of the area's
  buildings. Facilities without coordinates cannot be placed and are left out.

Cost: one query for the buildings with their household and 60+ counts, one for the
facilities, one for the network; the rest is Python (hundreds of buildings × tens of
facilities).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from linli.common.geo import DETOUR_FACTOR, LatLng, great_circle_m
from linli.people.selectors import birth_cutoff
from linli.places.models import Area, AreaKind, Building, BuildingKind, Facility, FacilityKind

#: GB 50180-2018's 15 minutes, in seconds.
DEFAULT_THRESHOLD_S = 900
#: Walking speed of older residents, m/s (900 m in 15 minutes; see the module docstring).
DEFAULT_WALK_SPEED_M_S = 1.0
#: A point farther than this from every network node is off the network (great-circle then).
SNAP_LIMIT_M = 150.0
#: Age from which a resident counts among the 60+ (老年人权益保障法 art. 2).
ELDER_AGE = 60
#: The kinds of the circle, in display order (parking lots are not a service).
SERVICE_KINDS: tuple[str, ...] = tuple(
    kind.value for kind in FacilityKind if kind != FacilityKind.PARKING_LOT
)
KIND_LABELS: dict[str, str] = {kind.value: str(kind.label) for kind in FacilityKind}
#: Buildings people live in; offices, complexes and factories count only with households.
DWELLING_KINDS = frozenset(
    {BuildingKind.RESIDENTIAL, BuildingKind.APARTMENT, BuildingKind.MIXED, BuildingKind.BUNGALOW}
)


class CircleError(ValueError):
    """Input the circle cannot use; ``str(err)`` is a message in Chinese."""


def walk_speed_m_s() -> float:
    """The configured walking speed (setting ``LINLI_CIRCLE_WALK_SPEED_M_S``, default 1.0)."""
    speed = float(getattr(settings, "LINLI_CIRCLE_WALK_SPEED_M_S", DEFAULT_WALK_SPEED_M_S))
    if not speed > 0:
        raise CircleError(f"步行速度必须为正数（米/秒），实际为 {speed}")
    return speed


def check_kind(kind: str) -> str:
    """``kind`` if it is a service kind of the circle.

    Raises:
        CircleError: unknown kind, or the parking lot (not a service).
    """
    if kind not in SERVICE_KINDS:
        names = "、".join(f"{k}（{KIND_LABELS[k]}）" for k in SERVICE_KINDS)
        raise CircleError(f"未知的设施类型：{kind}（可用：{names}）")
    return kind


# --------------------------------------------------------------------------- data


@dataclasses.dataclass(frozen=True)
class Place:
    """A building as the circle sees it.

    Attributes:
        point: WGS-84, or ``None`` when the building has no coordinates.
        households: households registered in the building.
        elders: residents 60+ registered in those households.
    """

    pk: int
    name: str
    community: str
    grid: str
    micro_grid: str
    households: int
    elders: int
    point: LatLng | None
    kind: str = BuildingKind.RESIDENTIAL

    @property
    def dwelling(self) -> bool:
        """Counted by the circle: a dwelling kind, or any building where someone lives."""
        return self.kind in DWELLING_KINDS or self.households > 0


@dataclasses.dataclass(frozen=True)
class Site:
    """A facility (or a hypothetical one, ``pk`` ``None``) with WGS-84 coordinates."""

    pk: int | None
    kind: str
    name: str
    point: LatLng
    area: str = ""


@dataclasses.dataclass(frozen=True)
class Reach:
    """The nearest facility of a kind from a building: walking metres and seconds."""

    site: Site
    metres: float
    seconds: float
    along_network: bool


@dataclasses.dataclass(frozen=True)
class Gap:
    """A building outside the circle of a kind; ``nearest`` ``None`` when there is no
    facility of that kind at all."""

    place: Place
    nearest: Reach | None


@dataclasses.dataclass(frozen=True)
class KindCoverage:
    """Coverage of one kind over the located buildings of an area.

    Shares are in [0, 1] (``None`` when the area has no located household / 60+ resident).
    ``gaps`` are ordered farthest first (no facility at all before any time).
    """

    kind: str
    facilities: int
    buildings: int
    buildings_within: int
    households: int
    households_within: int
    elders: int
    elders_within: int
    gaps: tuple[Gap, ...]
    within_pks: frozenset[int]

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def household_share(self) -> float | None:
        return self.households_within / self.households if self.households else None

    @property
    def elder_share(self) -> float | None:
        return self.elders_within / self.elders if self.elders else None

    @property
    def household_pct(self) -> str:
        """The household share as text with one decimal (「93.8%」), 「—」 when no household."""
        return _pct(self.household_share)

    @property
    def elder_pct(self) -> str:
        """The 60+ share as text with one decimal, 「—」 when no resident 60+."""
        return _pct(self.elder_share)


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


@dataclasses.dataclass(frozen=True)
class Coverage:
    """The circle of an area: coverage per kind, buildings without coordinates, the method.

    ``places`` are the buildings counted (dwellings: see :attr:`Place.dwelling`), located or
    not; ``unlocated`` those of them without coordinates; ``not_dwellings`` how many offices,
    complexes and factories without households were left out. ``nearest`` maps a located
    building's pk to its :class:`Reach` per kind (``None``: no facility of that kind).
    ``unplaced_sites`` names the facilities without coordinates (left out).
    """

    area: Area
    threshold_s: float
    speed_m_s: float
    network: str | None
    kinds: dict[str, KindCoverage]
    unlocated: tuple[Place, ...]
    places: tuple[Place, ...]
    not_dwellings: int
    sites: tuple[Site, ...]
    nearest: dict[int, dict[str, Reach | None]]
    unplaced_sites: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        """How distance was measured, in Chinese, for the page and the export."""
        if self.network:
            return (
                f"沿步行路网「{self.network}」的最短路径"
                f"（离路网超过 {SNAP_LIMIT_M:.0f} 米按直线×绕行系数）"
            )
        return f"直线距离 × 绕行系数 {DETOUR_FACTOR}"


@dataclasses.dataclass(frozen=True)
class WhatIf:
    """Coverage of one kind before and after adding ``site``; nothing is saved."""

    site: Site
    before: KindCoverage
    after: KindCoverage
    newly_covered: tuple[Place, ...]

    @property
    def households_gained(self) -> int:
        return self.after.households_within - self.before.households_within

    @property
    def elders_gained(self) -> int:
        return self.after.elders_within - self.before.elders_within


# --------------------------------------------------------------------------- walking


class Walker:
    """Walking metres from buildings to facilities: great-circle × detour, or a network.

    Args:
        graph: a networkx ``Graph`` whose nodes are ``(lng, lat)`` tuples and whose edges
            carry ``metres``; ``None`` for great-circle × :data:`geo.DETOUR_FACTOR`.
        snap_limit_m: farther than this from every node, a point is off the network.
    """

    def __init__(self, graph: Any = None, *, snap_limit_m: float = SNAP_LIMIT_M) -> None:
        self.graph = graph
        self.snap_limit_m = snap_limit_m
        self._nodes: list[tuple[float, float]] = list(graph.nodes) if graph is not None else []
        self._snaps: dict[LatLng, tuple[tuple[float, float] | None, float]] = {}
        self._from: dict[tuple[float, float], dict[Any, float]] = {}
        self._adjacency: dict[Any, list[tuple[Any, float]]] | None = None

    def snap(self, point: LatLng) -> tuple[tuple[float, float] | None, float]:
        """The nearest network node of ``point`` and the straight metres to it.

        The node is chosen on the local equirectangular projection (the same order as the
        great circle at a street's scale, and cheap); the metres are haversine.
        """
        if point not in self._snaps:
            if not self._nodes:
                self._snaps[point] = (None, math.inf)
            else:
                lat, lng = point.lat, point.lng
                squeeze = math.cos(math.radians(lat)) ** 2
                best = min(
                    self._nodes, key=lambda n: (n[1] - lat) ** 2 + (n[0] - lng) ** 2 * squeeze
                )
                self._snaps[point] = (best, great_circle_m(point, LatLng(best[1], best[0])))
        return self._snaps[point]

    def metres(self, a: LatLng, b: LatLng) -> tuple[float, bool]:
        """Walking metres from ``a`` to ``b`` and whether they were measured on the network."""
        if self.graph is not None:
            node_a, leg_a = self.snap(a)
            node_b, leg_b = self.snap(b)
            if node_a is not None and node_b is not None and max(leg_a, leg_b) <= self.snap_limit_m:
                along = self._distances(node_b).get(node_a)
                if along is not None:
                    return leg_a + along + leg_b, True
        return great_circle_m(a, b) * DETOUR_FACTOR, False

    def _distances(self, source: tuple[float, float]) -> dict[Any, float]:
        """Metres along the network from ``source`` to every node it reaches (Dijkstra with
        a binary heap over plain adjacency lists: a few times faster than networkx's
        generic one, which matters with one run per facility). Cached per source."""
        if source not in self._from:
            if self._adjacency is None:
                self._adjacency = {
                    node: [(other, float(edge["metres"])) for other, edge in nbrs.items()]
                    for node, nbrs in self.graph.adjacency()
                }
            adjacency = self._adjacency
            done: dict[Any, float] = {}
            heap: list[tuple[float, tuple[float, float]]] = [(0.0, source)]
            while heap:
                dist, node = heapq.heappop(heap)
                if node in done:
                    continue
                done[node] = dist
                for other, metres in adjacency[node]:
                    if other not in done:
                        heapq.heappush(heap, (dist + metres, other))
            self._from[source] = done
        return self._from[source]


def graph_from_geojson(data: Any) -> tuple[Any, int]:
    """A walking graph from GeoJSON and the number of line features used.

    Accepts a FeatureCollection, a Feature or a bare geometry; LineString and
    MultiLineString geometries (also inside a GeometryCollection) become edges, everything
    else is ignored. Vertices are rounded to 1e-7° (about 1 cm): lines connect where they
    share a vertex, as footpaths do at crossings in OSM-style data; two lines that merely
    cross do not connect. Edge weight ``metres`` is the haversine length.

    Raises:
        CircleError: not GeoJSON, no line in it, a position that is not two numbers, or
            coordinates out of range (latitude ±90°, longitude ±180°); messages in Chinese.
    """
    import networkx as nx

    lines = list(_lines_of(data))
    if not lines:
        raise CircleError("路网中没有线段：需要 LineString 或 MultiLineString 要素")
    graph = nx.Graph()
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, list) or len(line) < 2:
            raise CircleError(f"第 {number} 条线少于两个点")
        nodes = [_position(p, number) for p in line]
        for u, v in itertools.pairwise(nodes):
            if u != v:
                graph.add_edge(u, v, metres=great_circle_m(LatLng(u[1], u[0]), LatLng(v[1], v[0])))
    if graph.number_of_edges() == 0:
        raise CircleError("路网中没有长度大于零的线段")
    return graph, len(lines)


def _lines_of(data: Any) -> Iterable[Any]:
    if not isinstance(data, Mapping) or not isinstance(data.get("type"), str):
        raise CircleError("不是 GeoJSON：需要带 type 的对象（FeatureCollection、Feature 或几何）")
    kind = data["type"]
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise CircleError("FeatureCollection 缺少 features 列表")
        for feature in features:
            if isinstance(feature, Mapping) and feature.get("geometry"):
                yield from _lines_of(feature["geometry"])
    elif kind == "Feature":
        if data.get("geometry"):
            yield from _lines_of(data["geometry"])
    elif kind == "GeometryCollection":
        for geometry in data.get("geometries") or []:
            yield from _lines_of(geometry)
    elif kind == "LineString":
        yield data.get("coordinates")
    elif kind == "MultiLineString":
        coordinates = data.get("coordinates")
        if not isinstance(coordinates, list):
            raise CircleError("MultiLineString 的 coordinates 不是列表")
        yield from coordinates


def _position(position: Any, line: int) -> tuple[float, float]:
    if (
        not isinstance(position, list | tuple)
        or len(position) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in position[:2])
    ):
        raise CircleError(f"第 {line} 条线有一个点不是 [经度, 纬度] 数值对：{position!r}")
    lng, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lng) and math.isfinite(lat)) or not (
        -180 <= lng <= 180 and -90 <= lat <= 90
    ):
        raise CircleError(f"第 {line} 条线的坐标超出范围：经度 {lng}，纬度 {lat}（应为 WGS-84 度）")
    return round(lng, 7), round(lat, 7)


# --------------------------------------------------------------------------- networks


def network_for(area: Area) -> Any:
    """The :class:`WalkNetwork` of ``area`` or of the nearest area above it, else ``None``."""
    from linli.cockpit.models import WalkNetwork

    codes = [code for code in area.path.strip("/").split("/") if code]
    networks = {
        n.area.code: n
        for n in WalkNetwork.objects.filter(area__code__in=codes).select_related("area")
    }
    for code in reversed(codes):
        if code in networks:
            return networks[code]
    return None


def load_network(data: Any, *, area: Area, name: str = "", user: Any = None) -> Any:
    """Check a GeoJSON walking network and store it as ``area``'s (replacing any before).

    Returns the :class:`WalkNetwork`. Nothing is written when the data is bad.

    Raises:
        CircleError: see :func:`graph_from_geojson`; a name longer than 60 characters.
    """
    from linli.cockpit.models import WalkNetwork

    graph, _ = graph_from_geojson(data)
    name = (name or f"{area.name}步行路网").strip()
    if len(name) > 60:
        raise CircleError("路网名称不能超过 60 个字")
    with transaction.atomic():
        network, _ = WalkNetwork.objects.update_or_create(
            area=area,
            defaults={
                "name": name,
                "geojson": data,
                "nodes": graph.number_of_nodes(),
                "edges": graph.number_of_edges(),
                "loaded_by": user if getattr(user, "pk", None) else None,
            },
        )
    return network


# --------------------------------------------------------------------------- queries


def places_in(area: Area) -> list[Place]:
    """Buildings under ``area`` with household and 60+ counts (one query)."""
    cutoff = birth_cutoff(ELDER_AGE)
    rows = (
        Building.objects.filter(micro_grid__path__startswith=area.path)
        .annotate(
            n_households=Count("households", distinct=True),
            n_elders=Count(
                "households__members",
                filter=Q(households__members__birth_date__lte=cutoff),
                distinct=True,
            ),
        )
        .values(
            "pk",
            "name",
            "kind",
            "lat",
            "lng",
            "n_households",
            "n_elders",
            "micro_grid__name",
            "micro_grid__parent__name",
            "micro_grid__parent__parent__name",
        )
        .order_by("micro_grid__path", "name", "pk")
    )
    return [
        Place(
            pk=row["pk"],
            name=row["name"],
            community=row["micro_grid__parent__parent__name"] or "",
            grid=row["micro_grid__parent__name"] or "",
            micro_grid=row["micro_grid__name"],
            households=row["n_households"],
            elders=row["n_elders"],
            kind=row["kind"],
            point=_point(row["lat"], row["lng"]),
        )
        for row in rows
    ]


def _base_path(area: Area) -> str:
    """The street's path for an area at or under a street; the area's own path above."""
    codes = [code for code in area.path.strip("/").split("/") if code]
    street_depth = 3  # city / district / street
    if area.kind in (AreaKind.CITY, AreaKind.DISTRICT) or len(codes) < street_depth:
        return area.path
    return "/" + "/".join(codes[:street_depth]) + "/"


def sites_for(
    area: Area, places: Sequence[Place], *, reach_m: float
) -> tuple[list[Site], list[str]]:
    """Service facilities of ``area``'s street plus any within ``reach_m`` straight metres of
    the bounding box of ``places`` (one query).

    Returns the located facilities and the names (「名称（类型）」) of those without
    coordinates, which cannot be placed and are left out (the page says so).
    """
    condition = Q(area__path__startswith=_base_path(area))
    points = [p.point for p in places if p.point is not None]
    if points:
        south, north = min(p.lat for p in points), max(p.lat for p in points)
        west, east = min(p.lng for p in points), max(p.lng for p in points)
        dlat = reach_m / 111_320.0
        dlng = reach_m / (
            111_320.0 * max(0.01, math.cos(math.radians(max(abs(south), abs(north)))))
        )
        condition |= Q(
            lat__gte=south - dlat, lat__lte=north + dlat, lng__gte=west - dlng, lng__lte=east + dlng
        )
    rows = (
        Facility.objects.filter(condition, kind__in=SERVICE_KINDS)
        .values("pk", "kind", "name", "lat", "lng", "area__name")
        .order_by("kind", "name", "pk")
    )
    located: list[Site] = []
    unplaced: list[str] = []
    for row in rows:
        point = _point(row["lat"], row["lng"])
        if point is None:
            unplaced.append(f"{row['name']}（{KIND_LABELS[row['kind']]}）")
        else:
            located.append(
                Site(row["pk"], row["kind"], row["name"], point=point, area=row["area__name"])
            )
    return located, unplaced


def _point(lat: Decimal | None, lng: Decimal | None) -> LatLng | None:
    return None if lat is None or lng is None else LatLng(float(lat), float(lng))


# --------------------------------------------------------------------------- computing


def nearest_reach(
    point: LatLng, sites: Iterable[Site], walker: Walker, speed_m_s: float
) -> Reach | None:
    """The facility among ``sites`` with the least walking time from ``point`` (ties: first)."""
    best: Reach | None = None
    for site in sites:
        metres, on_network = walker.metres(point, site.point)
        if best is None or metres < best.metres:
            best = Reach(
                site=site, metres=metres, seconds=metres / speed_m_s, along_network=on_network
            )
    return best


def kind_coverage(
    kind: str,
    places: Sequence[Place],
    nearest: Mapping[int, Reach | None],
    *,
    threshold_s: float,
    facilities: int,
) -> KindCoverage:
    """Sum up one kind: a located building is within when its nearest time ≤ ``threshold_s``."""
    located = [p for p in places if p.point is not None]
    within = [
        p for p in located if (r := nearest.get(p.pk)) is not None and r.seconds <= threshold_s
    ]
    within_pks = frozenset(p.pk for p in within)
    gaps = [Gap(p, nearest.get(p.pk)) for p in located if p.pk not in within_pks]
    gaps.sort(key=lambda g: (-(g.nearest.seconds if g.nearest else math.inf), g.place.pk))
    return KindCoverage(
        kind=kind,
        facilities=facilities,
        buildings=len(located),
        buildings_within=len(within),
        households=sum(p.households for p in located),
        households_within=sum(p.households for p in within),
        elders=sum(p.elders for p in located),
        elders_within=sum(p.elders for p in within),
        gaps=tuple(gaps),
        within_pks=within_pks,
    )


def compute(
    area: Area,
    places: Sequence[Place],
    sites: Sequence[Site],
    *,
    walker: Walker | None = None,
    network: str | None = None,
    threshold_s: float = DEFAULT_THRESHOLD_S,
    speed_m_s: float = DEFAULT_WALK_SPEED_M_S,
    kinds: Sequence[str] = SERVICE_KINDS,
) -> Coverage:
    """Coverage of ``places`` by ``sites`` for ``kinds`` (pure: no query).

    Args:
        threshold_s: seconds; a time equal to it counts as within.
        speed_m_s: walking speed, metres per second.
    """
    if not threshold_s > 0:
        raise CircleError("时间阈值必须为正数")
    if not speed_m_s > 0:
        raise CircleError(f"步行速度必须为正数（米/秒），实际为 {speed_m_s}")
    walker = walker or Walker()
    skipped = sum(1 for p in places if not p.dwelling)
    places = [p for p in places if p.dwelling]
    by_kind: dict[str, list[Site]] = {kind: [] for kind in kinds}
    for site in sites:
        if site.kind in by_kind:
            by_kind[site.kind].append(site)
    nearest: dict[int, dict[str, Reach | None]] = {}
    for place in places:
        if place.point is None:
            continue
        nearest[place.pk] = {
            kind: nearest_reach(place.point, by_kind[kind], walker, speed_m_s) for kind in kinds
        }
    coverage = {
        kind: kind_coverage(
            kind,
            places,
            {pk: reaches[kind] for pk, reaches in nearest.items()},
            threshold_s=threshold_s,
            facilities=len(by_kind[kind]),
        )
        for kind in kinds
    }
    return Coverage(
        area=area,
        threshold_s=threshold_s,
        speed_m_s=speed_m_s,
        network=network,
        kinds=coverage,
        unlocated=tuple(p for p in places if p.point is None),
        places=tuple(places),
        not_dwellings=skipped,
        sites=tuple(sites),
        nearest=nearest,
    )


def coverage_for(
    area: Area,
    *,
    threshold_s: float = DEFAULT_THRESHOLD_S,
    speed_m_s: float | None = None,
    kinds: Sequence[str] = SERVICE_KINDS,
) -> tuple[Coverage, Walker]:
    """The circle of ``area`` from the database (three queries) and the walker used.

    The walker is returned so that :func:`what_if` measures a new site the same way.
    """
    speed = walk_speed_m_s() if speed_m_s is None else speed_m_s
    places = places_in(area)
    sites, unplaced = sites_for(area, places, reach_m=threshold_s * speed)
    network = network_for(area)
    walker = Walker()
    if network is not None:
        try:
            walker = Walker(graph_from_geojson(network.geojson)[0])
        except CircleError:  # checked on load; a hand-edited row falls back to great-circle
            network = None
    coverage = compute(
        area,
        places,
        sites,
        walker=walker,
        network=network.name if network is not None else None,
        threshold_s=threshold_s,
        speed_m_s=speed,
        kinds=kinds,
    )
    return dataclasses.replace(coverage, unplaced_sites=tuple(unplaced)), walker


def what_if(
    coverage: Coverage, kind: str, point: LatLng, *, walker: Walker | None = None, name: str = ""
) -> WhatIf:
    """Coverage of ``kind`` if a new facility stood at ``point`` (WGS-84); nothing saved.

    Raises:
        CircleError: unknown kind.
    """
    check_kind(kind)
    walker = walker or Walker()
    site = Site(pk=None, kind=kind, name=name or f"拟建{KIND_LABELS[kind]}", point=point)
    before = coverage.kinds.get(kind)
    if before is None:
        before = compute(
            coverage.area,
            coverage.places,
            coverage.sites,
            walker=walker,
            threshold_s=coverage.threshold_s,
            speed_m_s=coverage.speed_m_s,
            kinds=[kind],
        ).kinds[kind]
    nearest: dict[int, Reach | None] = {}
    for place in coverage.places:
        if place.point is None:
            continue
        old = coverage.nearest.get(place.pk, {}).get(kind)
        metres, on_network = walker.metres(place.point, point)
        new = Reach(
            site=site, metres=metres, seconds=metres / coverage.speed_m_s, along_network=on_network
        )
        nearest[place.pk] = new if old is None or new.metres < old.metres else old
    after = kind_coverage(
        kind,
        coverage.places,
        nearest,
        threshold_s=coverage.threshold_s,
        facilities=before.facilities + 1,
    )
    newly = tuple(p for p in coverage.places if p.pk in after.within_pks - before.within_pks)
    return WhatIf(site=site, before=before, after=after, newly_covered=newly)


def map_data(coverage: Coverage, kind: str, extra: WhatIf | None = None) -> dict[str, Any]:
    """What the page's Leaflet map draws (JSON-ready): buildings with covered or not for
    ``kind``, facilities of ``kind`` (others greyed), the area boundary, the hypothetical site."""
    covered = (extra.after if extra else coverage.kinds[kind]).within_pks
    was = coverage.kinds[kind].within_pks
    buildings = []
    for place in coverage.places:
        if place.point is None:
            continue
        reach = coverage.nearest.get(place.pk, {}).get(kind)
        buildings.append(
            {
                "name": f"{place.community}·{place.name}",
                "lat": place.point.lat,
                "lng": place.point.lng,
                "covered": place.pk in covered,
                "newly": place.pk in covered and place.pk not in was,
                "households": place.households,
                "elders": place.elders,
                "minutes": round(reach.seconds / 60, 1) if reach else None,
            }
        )
    facilities = [
        {
            "name": site.name,
            "kind": site.kind,
            "label": KIND_LABELS[site.kind],
            "lat": site.point.lat,
            "lng": site.point.lng,
            "chosen": site.kind == kind,
        }
        for site in coverage.sites
    ]
    return {
        "kind": kind,
        "buildings": buildings,
        "facilities": facilities,
        "boundary": coverage.area.boundary,
        "proposed": (
            {"lat": extra.site.point.lat, "lng": extra.site.point.lng, "name": extra.site.name}
            if extra
            else None
        ),
    }
