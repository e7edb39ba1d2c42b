"""Duplicate suggestions before filing, and reads that follow merged duplicates.

A candidate is an open case (``OPEN_STATUSES``) of the same category, reported within
``window`` before (or after) ``at`` and within ``radius_m`` metres great-circle of
``point``. Defaults: settings ``LINLI_CASE_DUPLICATE_RADIUS_M`` (200 m) and
``LINLI_CASE_DUPLICATE_WINDOW_HOURS`` (72 h). A latitude/longitude bounding box filters
in SQL first (indexable, works on SQLite and PostgreSQL); the exact distance is then
computed in Python for the few rows left.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from linli.cases.models import OPEN_STATUSES, Case, CaseCategory, CasePhoto
from linli.common.geo import LatLng, great_circle_m

#: Metres per degree of latitude (mean Earth radius 6,371,008.8 m).
METRES_PER_DEGREE = 2 * math.pi * 6_371_008.8 / 360


def default_radius_m() -> float:
    return float(getattr(settings, "LINLI_CASE_DUPLICATE_RADIUS_M", 200))


def default_window() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "LINLI_CASE_DUPLICATE_WINDOW_HOURS", 72)))


def _box(point: LatLng, radius_m: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(south, north, west, east) degrees enclosing the circle, slightly generous."""
    dlat = radius_m / METRES_PER_DEGREE * 1.01
    cos = max(math.cos(math.radians(point.lat)), 0.01)
    dlng = dlat / cos
    q = Decimal("0.000001")

    def d(x: float) -> Decimal:
        return Decimal(str(x)).quantize(q)

    return d(point.lat - dlat), d(point.lat + dlat), d(point.lng - dlng), d(point.lng + dlng)


def duplicate_candidates(
    *,
    category: CaseCategory,
    point: LatLng,
    at: dt.datetime,
    radius_m: float | None = None,
    window: dt.timedelta | None = None,
    exclude: Case | None = None,
) -> list[tuple[Case, float]]:
    """Open cases that may be the same problem, nearest first, as ``(case, metres)``.

    Args:
        point: WGS-84 position of the new report.
        at: when the new report is (being) made; cases created within ``window`` of it count.
        exclude: the new case itself, when asking after it was filed.
    """
    radius = default_radius_m() if radius_m is None else radius_m
    span = default_window() if window is None else window
    south, north, west, east = _box(point, radius)
    rows = Case.objects.filter(
        category=category,
        status__in=OPEN_STATUSES,
        created_at__gte=at - span,
        created_at__lte=at + span,
        lat__gte=south,
        lat__lte=north,
        lng__gte=west,
        lng__lte=east,
    ).select_related("category", "area")
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    found = []
    for case in rows:
        metres = great_circle_m(point, LatLng(float(case.lat or 0), float(case.lng or 0)))
        if metres <= radius:
            found.append((case, metres))
    return sorted(found, key=lambda pair: pair[1])


def merged_family(case: Case) -> list[int]:
    """Primary keys of ``case`` and every case merged into it (directly or in a chain)."""
    ids, frontier = [case.pk], [case.pk]
    while frontier:
        frontier = list(
            Case.objects.filter(merged_into__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids += frontier
    return ids


def photos_with_merged(case: Case) -> QuerySet[CasePhoto]:
    """The case's photos and those of the duplicates merged into it, oldest first."""
    return CasePhoto.objects.filter(case__in=merged_family(case)).select_related("case")
