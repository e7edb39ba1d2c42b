"""The demo super community's geometry without a database, for the dispatch simulation.

Reproduces exactly where ``linli demo`` (:mod:`linli.places.demo.builder`) puts the buildings
and facilities of :data:`linli.places.demo.plan.SUPER` (金凤苑社区, 1.5 km × 1.2 km): the same
grid and micro-grid tiling, the same ``Rect.slots`` per micro-grid, and the same random draws
of the ``"{seed}:facilities"`` stream for facilities not in a building (the super community is
the first one the builder places, so its draws come first). Coordinates are rounded to six
decimals as the model fields store them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from linli.dispatch.travel import Point
from linli.places.demo import DEFAULT_SEED
from linli.places.demo import plan as layout
from linli.places.demo.geo import Rect, to_decimal_lat_lng
from linli.places.models import FacilityKind


@dataclass(frozen=True)
class Place:
    """A named point; ``dwellings`` is a residential building's number of homes (else 0)."""

    name: str
    point: Point
    dwellings: int = 0


@dataclass(frozen=True)
class DemoMap:
    """Residential buildings and the facilities the simulation uses, by kind."""

    buildings: tuple[Place, ...]
    facilities: dict[str, tuple[Place, ...]]

    def first(self, kind: str) -> Place:
        """The first facility of ``kind`` (e.g. the one service station)."""
        return self.facilities[kind][0]


def _point(x: float, y: float) -> Point:
    lat, lng = to_decimal_lat_lng(x, y)
    return Point(float(lat), float(lng))


def micro_grid_rects(plan: layout.CommunityPlan) -> list[Rect]:
    """The community's micro-grid rectangles in the builder's order (grid by grid)."""
    rects: list[Rect] = []
    for grid in plan.rect.tile(plan.grid_cols, plan.grid_rows):
        rects.extend(grid.tile(plan.mg_cols, plan.mg_rows))
    return rects


def super_community(seed: int = DEFAULT_SEED) -> DemoMap:
    """The super community's residential buildings and facilities as ``linli demo`` places them.

    ``seed`` is the demo's seed (``linli demo --seed``); it only moves facilities that have no
    building (the service station 党群服务中心 among them).
    """
    plan = layout.SUPER
    rects = micro_grid_rects(plan)
    by_mg: dict[int, list[layout.BuildingPlan]] = {}
    for bp in plan.buildings:
        by_mg.setdefault(bp.mg, []).append(bp)
    points: dict[str, Point] = {}
    buildings: list[Place] = []
    for mg, plans in sorted(by_mg.items()):
        for bp, (x, y) in zip(plans, rects[mg].slots(len(plans)), strict=True):
            points[bp.name] = _point(x, y)
            if bp.capacity:
                buildings.append(Place(bp.name, points[bp.name], bp.capacity))
    rng = random.Random(f"{seed}:facilities")
    facilities: dict[str, list[Place]] = {}
    for fp in plan.facilities:
        if fp.building and fp.building in points:
            point = points[fp.building]
        else:
            rect = rects[fp.mg]
            x = rect.x0 + (rect.x1 - rect.x0) * rng.uniform(0.1, 0.9)
            y = rect.y0 + (rect.y1 - rect.y0) * rng.uniform(0.05, 0.12)
            point = _point(x, y)
        if fp.kind != FacilityKind.PARCEL_LOCKER:
            rng.randrange(5000000, 9000000)  # the builder's phone number draw
        facilities.setdefault(str(fp.kind), []).append(Place(fp.name, point))
    return DemoMap(tuple(buildings), {k: tuple(v) for k, v in facilities.items()})
