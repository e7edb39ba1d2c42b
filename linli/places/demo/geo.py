"""A coherent demo map: rectangles in metres around Jinfeng District, turned into WGS-84.

The four communities sit side by side east of a common origin near the centre of Jinfeng
District, Yinchuan (38.47° N, 106.23° E). Each community's rectangle is tiled by its grids,
each grid's by its micro-grids, and buildings are placed strictly inside their micro-grid.
Metres are converted with a local equirectangular approximation (error far below a metre
over a few kilometres), which is all a demo map needs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from decimal import Decimal

#: Origin (south-west corner of the demo street), WGS-84 degrees.
ORIGIN_LAT = 38.462
ORIGIN_LNG = 106.212
METRES_PER_DEG_LAT = 111_320.0
METRES_PER_DEG_LNG = METRES_PER_DEG_LAT * math.cos(math.radians(ORIGIN_LAT))


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in metres east (x) and north (y) of the origin."""

    x0: float
    y0: float
    x1: float
    y1: float

    def tile(self, cols: int, rows: int) -> list[Rect]:
        """``cols × rows`` equal tiles, row by row from the north-west corner."""
        width = (self.x1 - self.x0) / cols
        height = (self.y1 - self.y0) / rows
        tiles = []
        for r in range(rows):
            top = self.y1 - r * height
            for c in range(cols):
                left = self.x0 + c * width
                tiles.append(Rect(left, top - height, left + width, top))
        return tiles

    def slots(self, count: int, margin: float = 0.15) -> list[tuple[float, float]]:
        """``count`` points spread over the rectangle, kept ``margin`` (share) from its edges."""
        cols = math.ceil(math.sqrt(count))
        rows = math.ceil(count / cols)
        inner = Rect(
            self.x0 + (self.x1 - self.x0) * margin,
            self.y0 + (self.y1 - self.y0) * margin,
            self.x1 - (self.x1 - self.x0) * margin,
            self.y1 - (self.y1 - self.y0) * margin,
        )
        points = []
        for i in range(count):
            r, c = divmod(i, cols)
            x = inner.x0 + (inner.x1 - inner.x0) * (c + 0.5) / cols
            y = inner.y1 - (inner.y1 - inner.y0) * (r + 0.5) / rows
            points.append((x, y))
        return points

    def polygon(self) -> dict[str, object]:
        """A GeoJSON Polygon (``[lng, lat]`` pairs, closed ring, counter-clockwise)."""
        corners = [(self.x0, self.y0), (self.x1, self.y0), (self.x1, self.y1), (self.x0, self.y1)]
        ring = [list(to_lng_lat(x, y)) for x, y in corners]
        ring.append(ring[0])
        return {"type": "Polygon", "coordinates": [ring]}


def to_lng_lat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the origin → (lng, lat) degrees rounded to 7 places (~1 cm)."""
    return (
        round(ORIGIN_LNG + x / METRES_PER_DEG_LNG, 7),
        round(ORIGIN_LAT + y / METRES_PER_DEG_LAT, 7),
    )


def to_decimal_lat_lng(x: float, y: float) -> tuple[Decimal, Decimal]:
    """(lat, lng) as ``Decimal`` with 6 places, the precision of the model fields."""
    lng, lat = to_lng_lat(x, y)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def polygon_contains(polygon: dict[str, object], lng: float, lat: float) -> bool:
    """Whether (lng, lat) lies inside a GeoJSON Polygon's outer ring (ray casting)."""
    coordinates = polygon["coordinates"]
    assert isinstance(coordinates, list)
    ring = coordinates[0]
    inside = False
    for (ax, ay), (bx, by) in itertools.pairwise(ring):
        if (ay > lat) != (by > lat):
            cross = ax + (lat - ay) * (bx - ax) / (by - ay)
            if lng < cross:
                inside = not inside
    return inside
