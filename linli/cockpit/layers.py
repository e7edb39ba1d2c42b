"""The cockpit map's layers as GeoJSON FeatureCollections, and their cheap version hashes.

Each layer is built for one area (already checked against the user's scope by
:func:`linli.cockpit.access.area_for`) with a fixed number of queries whatever the data size:

========== ======= ==========================================================================
layer      queries features
========== ======= ==========================================================================
areas      4       the area itself (``role: "self"``), its children (``"child"``, clickable to
                   drill in) and grandchildren (``"inner"``, thin lines) that have a boundary,
                   each with open cases, open care alerts and orders in progress underneath
cases      1       open cases (:data:`linli.cases.models.OPEN_STATUSES`) with a location (the
                   case's own point, else its building's); ``overdue`` when the stage clock
                   runs (not paused) and ``due_at`` has passed
alerts     1       open care alerts (:data:`linli.care.models.OPEN_STATUSES`) at the building
                   of the alert's household
orders     2       service orders not final (:data:`linli.orders.models.FINAL_STATUSES`) at
                   their place of service, and the last known positions (``kind: "worker"``)
                   of the workers holding them (accepted offers)
facilities 1       places.Facility under the area, at its point or its building's
========== ======= ==========================================================================

Who sees what (:func:`linli.cockpit.access.sight_for` → :class:`Sight`): care alerts and
service orders keep their own apps' rights. A user without one gets the layer as an empty
collection, and it is left out of :func:`versions` (hence of the page's toggles and polls);
the ``areas`` features then carry no ``alerts`` / ``orders`` counts either. With the right,
the rows are limited to the path prefixes in :class:`Sight`.

Personal data minimum (PIPL art. 6): no names, phones, addresses or case titles — only
category, status, numbers and a link to the existing detail page, which checks permissions
itself. Coordinates are stored in WGS-84; when the configured tile layer is GCJ-02
(``LINLI_MAP_TILES_CRS=gcj02``, AMap/Tencent) every coordinate is converted on the way out
(:func:`linli.common.geo.wgs84_to_gcj02`), so markers sit on the right street. CGCS2000 is
WGS-84 to within centimetres and is passed through.

GeoJSON positions are ``[lng, lat]`` (RFC 7946), rounded to 6 decimals (~0.1 m).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse

from linli.care.models import OPEN_STATUSES as ALERT_OPEN_STATUSES
from linli.care.models import CareAlert
from linli.cases.models import OPEN_STATUSES as CASE_OPEN_STATUSES
from linli.cases.models import Case
from linli.common.geo import LatLng, wgs84_to_gcj02
from linli.orders.models import FINAL_STATUSES as ORDER_FINAL_STATUSES
from linli.orders.models import Offer, OfferStatus, Order
from linli.people.scoping import under_paths
from linli.places.models import Area, AreaKind, Facility

#: Layer names, in drawing order (areas at the bottom).
LAYERS: tuple[str, ...] = ("areas", "facilities", "orders", "alerts", "cases")

#: Chinese labels of the layers (toggles, legend).
LAYER_LABELS: dict[str, str] = {
    "areas": "辖区边界",
    "facilities": "设施",
    "orders": "服务订单与服务人员",
    "alerts": "关怀告警",
    "cases": "网格事件",
}

#: Tile coordinate systems accepted in ``LINLI_MAP_TILES_CRS``.
TILE_CRSES: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02")

#: At most this many point features per layer (the newest first); ``truncated`` says so.
MAX_FEATURES = 3000

#: A worker's position older than this is not shown (it says nothing about now).
WORKER_POSITION_MAX_AGE = dt.timedelta(hours=2)

Position = list[float]
Project = Callable[[float, float], Position]


class LayerError(ValueError):
    """An unknown layer name; ``str(err)`` is a message in Chinese."""


@dataclasses.dataclass(frozen=True)
class Sight:
    """Which rows of the guarded layers a user may see, as area path prefixes.

    ``alerts`` (care alerts) and ``orders`` (service orders, workers): ``None`` every row
    under the area, ``[]`` none — the layer is then not offered at all — otherwise the rows
    under one of the prefixes. Built by :func:`linli.cockpit.access.sight_for`.
    """

    alerts: list[str] | None = None
    orders: list[str] | None = None

    def shows(self, name: str) -> bool:
        """Whether layer ``name`` is offered to the user (unknown names: ``True``; they
        fail later with :class:`LayerError`)."""
        if name == "alerts":
            return self.alerts != []
        if name == "orders":
            return self.orders != []
        return True

    @property
    def names(self) -> tuple[str, ...]:
        """The offered layers, in :data:`LAYERS` order."""
        return tuple(name for name in LAYERS if self.shows(name))


#: Every row of every layer (a superuser; the default of the builders).
EVERYTHING = Sight()


# --------------------------------------------------------------------------- projection


def tiles_crs() -> str:
    """The tile layer's coordinate system from settings (``wgs84`` when unset).

    Raises:
        ImproperlyConfigured: ``LINLI_MAP_TILES_CRS`` is not one of :data:`TILE_CRSES`.
    """
    crs = (getattr(settings, "COCKPIT_MAP_TILES_CRS", "") or "wgs84").lower().replace("-", "")
    if crs not in TILE_CRSES:
        raise ImproperlyConfigured(
            f"LINLI_MAP_TILES_CRS 应为 wgs84、cgcs2000 或 gcj02，现为「{crs}」"
        )
    return crs


def projector(crs: str) -> Project:
    """``(lat, lng)`` WGS-84 degrees → a GeoJSON ``[lng, lat]`` position in ``crs``."""
    if crs == "gcj02":

        def to_gcj(lat: float, lng: float) -> Position:
            point = wgs84_to_gcj02(LatLng(lat, lng))
            return [round(point.lng, 6), round(point.lat, 6)]

        return to_gcj

    def identity(lat: float, lng: float) -> Position:
        return [round(lng, 6), round(lat, 6)]

    return identity


def project_geometry(geometry: dict[str, Any], project: Project) -> dict[str, Any] | None:
    """A stored GeoJSON Polygon/MultiPolygon (WGS-84) with every position projected.

    Returns ``None`` for anything else or malformed coordinates (the area is then drawn
    without a boundary rather than breaking the layer).
    """

    def ring(points: Iterable[Any]) -> list[Position]:
        return [project(float(p[1]), float(p[0])) for p in points]

    try:
        kind = geometry.get("type")
        coordinates = geometry["coordinates"]
        if kind == "Polygon":
            return {"type": kind, "coordinates": [ring(r) for r in coordinates]}
        if kind == "MultiPolygon":
            return {
                "type": kind,
                "coordinates": [[ring(r) for r in polygon] for polygon in coordinates],
            }
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return None
    return None


def _point(
    project: Project, lat: Decimal | float | None, lng: Decimal | float | None
) -> dict[str, Any] | None:
    if lat is None or lng is None:
        return None
    return {"type": "Point", "coordinates": project(float(lat), float(lng))}


def _collection(features: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    truncated = len(features) > MAX_FEATURES
    return {
        "type": "FeatureCollection",
        "features": features[:MAX_FEATURES],
        "properties": {"count": min(len(features), MAX_FEATURES), "truncated": truncated, **extra},
    }


# --------------------------------------------------------------------------- querysets


def _under(area: Area, field: str = "area") -> Q:
    return Q(**{f"{field}__path__startswith": area.path})


def open_cases(area: Area) -> QuerySet[Case]:
    """Open cases under ``area``."""
    return Case.objects.filter(_under(area), status__in=CASE_OPEN_STATUSES)


def _limited(queryset: QuerySet[Any], paths: list[str] | None) -> QuerySet[Any]:
    return queryset if paths is None else queryset.filter(under_paths(paths))


def open_alerts(area: Area, paths: list[str] | None = None) -> QuerySet[CareAlert]:
    """Open care alerts under ``area`` (and under ``paths``, see :class:`Sight`)."""
    return _limited(CareAlert.objects.filter(_under(area), status__in=ALERT_OPEN_STATUSES), paths)


def live_orders(area: Area, paths: list[str] | None = None) -> QuerySet[Order]:
    """Service orders under ``area`` (and under ``paths``, see :class:`Sight`) that are not
    over yet (placed … in service)."""
    return _limited(
        Order.objects.filter(_under(area)).exclude(status__in=ORDER_FINAL_STATUSES), paths
    )


def facilities(area: Area) -> QuerySet[Facility]:
    """Facilities under ``area``."""
    return Facility.objects.filter(_under(area))


def overdue_q(now: dt.datetime) -> Q:
    """Open cases whose running stage clock has passed ``due_at`` (paused clocks excluded)."""
    return Q(due_at__lt=now, paused_at__isnull=True)


# --------------------------------------------------------------------------- layers


def areas_layer(area: Area, *, project: Project, sight: Sight = EVERYTHING) -> dict[str, Any]:
    """``area``'s boundary, its children's and grandchildren's, with counts underneath.

    Feature properties: ``code``, ``name``, ``kind`` (and ``kind_label``), ``role``
    (``self``/``child``/``inner``), ``cases``, ``overdue``, and ``alerts`` / ``orders`` only
    when ``sight`` shows that layer. 4 queries (fewer without alerts or orders).
    """
    depth = area.path.count("/")
    nodes = [
        node
        for node in Area.objects.filter(path__startswith=area.path)
        .exclude(kind=AreaKind.CITY)
        .only("code", "name", "kind", "path", "boundary")
        .order_by("path")
        if node.path.count("/") <= depth + 2
    ]
    case_rows = (
        open_cases(area)
        .values("area__path")
        .annotate(n=Count("id"), late=Count("id", filter=overdue_q(_now())))
    )
    cases = [(r["area__path"], r["n"], r["late"]) for r in case_rows]
    alerts: list[tuple[str, int]] | None = None
    orders: list[tuple[str, int]] | None = None
    if sight.shows("alerts"):
        alert_rows = open_alerts(area, sight.alerts).values("area__path").annotate(n=Count("id"))
        alerts = [(r["area__path"], r["n"]) for r in alert_rows]
    if sight.shows("orders"):
        order_rows = live_orders(area, sight.orders).values("area__path").annotate(n=Count("id"))
        orders = [(r["area__path"], r["n"]) for r in order_rows]
    features: list[dict[str, Any]] = []
    for node in nodes:
        if not node.boundary:
            continue
        geometry = project_geometry(node.boundary, project)
        if geometry is None:
            continue
        level = node.path.count("/") - depth
        role = "self" if level == 0 else "child" if level == 1 else "inner"
        properties: dict[str, Any] = {
            "code": node.code,
            "name": node.name,
            "kind": node.kind,
            "kind_label": AreaKind(node.kind).label,
            "role": role,
            "cases": sum(n for p, n, _ in cases if p.startswith(node.path)),
            "overdue": sum(late for p, _, late in cases if p.startswith(node.path)),
        }
        if alerts is not None:
            properties["alerts"] = sum(n for p, n in alerts if p.startswith(node.path))
        if orders is not None:
            properties["orders"] = sum(n for p, n in orders if p.startswith(node.path))
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return _collection(features)


def cases_layer(area: Area, *, project: Project, now: dt.datetime) -> dict[str, Any]:
    """Open cases as points: ``number``, ``category``, ``status``/``status_label``,
    ``overdue`` (bool), ``due_at`` (ISO 8601 or ``None``), ``url``. 1 query."""
    rows = (
        open_cases(area)
        .select_related("category", "building")
        .only(
            "number",
            "status",
            "lat",
            "lng",
            "due_at",
            "paused_at",
            "category__name",
            "building__lat",
            "building__lng",
        )
        .order_by("-created_at")[: MAX_FEATURES + 1]
    )
    features: list[dict[str, Any]] = []
    late_count = 0
    for case in rows:
        lat, lng = case.lat, case.lng
        if (lat is None or lng is None) and case.building is not None:
            lat, lng = case.building.lat, case.building.lng
        geometry = _point(project, lat, lng)
        if geometry is None:
            continue
        overdue = bool(case.paused_at is None and case.due_at and case.due_at < now)
        late_count += overdue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "number": case.number,
                    "category": case.category.name,
                    "status": case.status,
                    "status_label": case.get_status_display(),
                    "overdue": overdue,
                    "due_at": case.due_at.isoformat() if case.due_at else None,
                    "url": reverse("cases:detail", args=[case.number]),
                },
            }
        )
    return _collection(features, overdue=late_count)


def alerts_layer(area: Area, *, project: Project, paths: list[str] | None = None) -> dict[str, Any]:
    """Open care alerts at their household's building: ``id``, ``kind``/``kind_label``,
    ``status``/``status_label``, ``escalation_level``, ``raised_at``, ``url``. 1 query."""
    rows = (
        open_alerts(area, paths)
        .select_related("household__building")
        .only(
            "kind",
            "status",
            "escalation_level",
            "raised_at",
            "household__building__lat",
            "household__building__lng",
        )
        .order_by("-raised_at")[: MAX_FEATURES + 1]
    )
    features: list[dict[str, Any]] = []
    for alert in rows:
        building = alert.household.building
        geometry = _point(project, building.lat, building.lng)
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "id": alert.pk,
                    "kind": alert.kind,
                    "kind_label": alert.get_kind_display(),
                    "status": alert.status,
                    "status_label": alert.get_status_display(),
                    "escalation_level": alert.escalation_level,
                    "raised_at": alert.raised_at.isoformat(),
                    "url": reverse("care:alert", args=[alert.pk]),
                },
            }
        )
    return _collection(features)


def orders_layer(
    area: Area, *, project: Project, now: dt.datetime, paths: list[str] | None = None
) -> dict[str, Any]:
    """Orders in progress and their workers' last known positions. 2 queries.

    Order features: ``kind: "order"``, ``number``, ``service``, ``status``/``status_label``,
    ``url``. Worker features: ``kind: "worker"``, ``status``/``status_label``, ``orders``
    (numbers held), ``ping_at`` (ISO 8601); positions older than
    :data:`WORKER_POSITION_MAX_AGE` are left out. No names or phones.
    """
    orders = list(
        live_orders(area, paths)
        .select_related("service_type")
        .only("number", "status", "lat", "lng", "service_type__name")
        .order_by("-placed_at")[: MAX_FEATURES + 1]
    )
    features: list[dict[str, Any]] = []
    for order in orders:
        features.append(
            {
                "type": "Feature",
                "geometry": _point(project, order.lat, order.lng),
                "properties": {
                    "kind": "order",
                    "number": order.number,
                    "service": order.service_type.name,
                    "status": order.status,
                    "status_label": order.get_status_display(),
                    "url": reverse("staff_orders:detail", args=[order.pk]),
                },
            }
        )
    offers = (
        Offer.objects.filter(
            status=OfferStatus.ACCEPTED,
            order__in=live_orders(area, paths).values("pk"),
            worker__last_lat__isnull=False,
            worker__last_lng__isnull=False,
            worker__last_ping_at__gte=now - WORKER_POSITION_MAX_AGE,
        )
        .select_related("worker", "order")
        .only(
            "order__number",
            "worker__status",
            "worker__last_lat",
            "worker__last_lng",
            "worker__last_ping_at",
        )
        .order_by("worker_id", "order__number")
    )
    workers: dict[int, dict[str, Any]] = {}
    for offer in offers:
        worker = offer.worker
        if worker.pk not in workers:
            assert worker.last_ping_at is not None  # filtered above
            workers[worker.pk] = {
                "type": "Feature",
                "geometry": _point(project, worker.last_lat, worker.last_lng),
                "properties": {
                    "kind": "worker",
                    "status": worker.status,
                    "status_label": worker.get_status_display(),
                    "orders": [],
                    "ping_at": worker.last_ping_at.isoformat(),
                },
            }
        workers[worker.pk]["properties"]["orders"].append(offer.order.number)
    return _collection(features + list(workers.values()), workers=len(workers))


def facilities_layer(area: Area, *, project: Project) -> dict[str, Any]:
    """Facilities: ``name``, ``kind``/``kind_label``, ``opening_hours``. 1 query.

    A facility's name is public (「金凤苑社区食堂」); its phone is not sent.
    """
    rows = (
        facilities(area)
        .select_related("building")
        .only("name", "kind", "lat", "lng", "opening_hours", "building__lat", "building__lng")
        .order_by("area__path", "kind", "name")[: MAX_FEATURES + 1]
    )
    features: list[dict[str, Any]] = []
    for facility in rows:
        lat, lng = facility.lat, facility.lng
        if (lat is None or lng is None) and facility.building is not None:
            lat, lng = facility.building.lat, facility.building.lng
        geometry = _point(project, lat, lng)
        if geometry is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "name": facility.name,
                    "kind": facility.kind,
                    "kind_label": facility.get_kind_display(),
                    "opening_hours": facility.opening_hours,
                },
            }
        )
    return _collection(features)


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


def build_layer(
    name: str,
    area: Area,
    *,
    crs: str | None = None,
    now: dt.datetime | None = None,
    sight: Sight = EVERYTHING,
) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of layer ``name`` for ``area`` as ``sight`` allows.

    ``properties`` of the collection: ``layer``, ``area`` (code), ``crs``, ``count``,
    ``truncated`` (more than :data:`MAX_FEATURES` points), plus per-layer extras. A layer
    ``sight`` does not show is an empty collection (no query).

    Raises:
        LayerError: ``name`` is not one of :data:`LAYERS`.
        ImproperlyConfigured: a bad ``LINLI_MAP_TILES_CRS`` (see :func:`tiles_crs`).
    """
    crs = crs or tiles_crs()
    now = now or _now()
    project = projector(crs)
    if name in LAYERS and not sight.shows(name):
        data = _collection([])
    elif name == "areas":
        data = areas_layer(area, project=project, sight=sight)
    elif name == "cases":
        data = cases_layer(area, project=project, now=now)
    elif name == "alerts":
        data = alerts_layer(area, project=project, paths=sight.alerts)
    elif name == "orders":
        data = orders_layer(area, project=project, now=now, paths=sight.orders)
    elif name == "facilities":
        data = facilities_layer(area, project=project)
    else:
        raise LayerError(f"没有名为「{name[:30]}」的图层（可用：{'、'.join(LAYERS)}）")
    data["properties"].update(layer=name, area=area.code, crs=crs)
    return data


# --------------------------------------------------------------------------- versions


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def versions(
    area: Area,
    *,
    crs: str | None = None,
    now: dt.datetime | None = None,
    sight: Sight = EVERYTHING,
) -> dict[str, str]:
    """A short hash per layer ``sight`` shows that changes when the layer's content may
    have changed (layers not shown are absent, and do not enter the ``areas`` hash).

    Built from counts and ``max(updated_at)`` of the rows behind each layer (plus the
    number of overdue cases, which grows with time alone, and the workers' newest
    position), the tile CRS and, for ``orders``, the age cut-off of worker positions at
    10-minute resolution. 5 queries (fewer without alerts or orders). The ``areas`` hash
    combines the areas' own with the others' shown (its features carry their counts).
    """
    crs = crs or tiles_crs()
    now = now or _now()
    areas = Area.objects.filter(path__startswith=area.path).aggregate(
        n=Count("id"), at=Max("updated_at")
    )
    cases = open_cases(area).aggregate(
        n=Count("id"), at=Max("updated_at"), late=Count("id", filter=overdue_q(now))
    )
    places = facilities(area).aggregate(n=Count("id"), at=Max("updated_at"))
    result = {
        "cases": _digest(crs, sorted(cases.items())),
        "facilities": _digest(crs, sorted(places.items())),
    }
    if sight.shows("alerts"):
        alerts = open_alerts(area, sight.alerts).aggregate(n=Count("id"), at=Max("updated_at"))
        result["alerts"] = _digest(crs, sorted(alerts.items()))
    if sight.shows("orders"):
        orders = live_orders(area, sight.orders).aggregate(
            n=Count("id"),
            at=Max("updated_at"),
            ping=Max("offers__worker__last_ping_at", filter=Q(offers__status=OfferStatus.ACCEPTED)),
            held=Count("offers", filter=Q(offers__status=OfferStatus.ACCEPTED)),
        )
        bucket = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
        result["orders"] = _digest(crs, sorted(orders.items()), bucket.isoformat())
    result["areas"] = _digest(
        crs,
        sorted(areas.items()),
        result["cases"],
        result.get("alerts", ""),
        result.get("orders", ""),
    )
    return result


def version_of(
    name: str, area: Area, *, crs: str | None = None, sight: Sight = EVERYTHING
) -> str | None:
    """The hash of one layer (see :func:`versions`); the ETag of its endpoint. ``None`` for
    a layer ``sight`` does not show (its empty collection has no version).

    Raises:
        LayerError: ``name`` is not one of :data:`LAYERS`.
    """
    if name not in LAYERS:
        raise LayerError(f"没有名为「{name[:30]}」的图层（可用：{'、'.join(LAYERS)}）")
    return versions(area, crs=crs, sight=sight).get(name)
