"""Standby posts: where an idle worker waits for the next job.

A worker who has nothing to do stays useful by waiting where the next job is likely to be
near. For ``k`` workers of the same kind the posts are the centres of a weighted k-means
clustering of the places their jobs start at (homes weighted by dwellings for services;
pickups weighted by expected deliveries for couriers), each centre snapped to the nearest
such place so that posts are real addresses (and travel-time cache keys are shared).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from linli.dispatch.travel import Point


def _xy(p: Point, lat0: float) -> tuple[float, float]:
    # Local equirectangular metres: errors far below a metre over a community's 1–2 km.
    return p.lng * 111_320.0 * math.cos(math.radians(lat0)), p.lat * 111_320.0


def kmeans_posts(
    places: Sequence[tuple[Point, float]], k: int, *, seed: int = 1, rounds: int = 30
) -> list[Point]:
    """``k`` posts among ``places`` (point, weight > 0) by weighted k-means, snapped to places.

    Deterministic for a given ``seed`` (k-means++ seeding). Fewer distinct places than ``k``
    gives each place once, repeated in turn up to ``k`` posts. Raises ``ValueError`` for
    ``k < 1`` or no place with a positive weight.
    """
    pts = [(p, w) for p, w in places if w > 0]
    if k < 1 or not pts:
        raise ValueError("需要至少一个待命点和一个权重为正的地点")
    distinct = list(dict.fromkeys(p for p, _ in pts))
    if len(distinct) <= k:
        return [distinct[i % len(distinct)] for i in range(k)]
    lat0 = pts[0][0].lat
    xy = [_xy(p, lat0) for p, _ in pts]
    weights = [w for _, w in pts]
    rng = random.Random(seed)
    centres = [xy[rng.choices(range(len(xy)), weights=weights)[0]]]
    while len(centres) < k:
        d2 = [
            w * min((x - cx) ** 2 + (y - cy) ** 2 for cx, cy in centres)
            for (x, y), w in zip(xy, weights, strict=True)
        ]
        centres.append(xy[rng.choices(range(len(xy)), weights=d2)[0]] if sum(d2) > 0 else xy[0])
    for _ in range(rounds):
        sums = [[0.0, 0.0, 0.0] for _ in centres]
        for (x, y), w in zip(xy, weights, strict=True):
            c = min(range(k), key=lambda i: (x - centres[i][0]) ** 2 + (y - centres[i][1]) ** 2)
            sums[c][0] += w * x
            sums[c][1] += w * y
            sums[c][2] += w
        moved = [(sx / sw, sy / sw) if sw else centres[i] for i, (sx, sy, sw) in enumerate(sums)]
        if moved == centres:
            break
        centres = moved
    posts = []
    for cx, cy in centres:
        i = min(range(len(xy)), key=lambda i: (xy[i][0] - cx) ** 2 + (xy[i][1] - cy) ** 2)
        posts.append(pts[i][0])
    return posts


def nearest_free_post(position: Point, posts: Sequence[Point], taken: set[int]) -> int | None:
    """Index of the post nearest to ``position`` not in ``taken`` (``None`` if all are)."""
    lat0 = position.lat
    x0, y0 = _xy(position, lat0)
    best, best_d = None, math.inf
    for i, post in enumerate(posts):
        if i in taken:
            continue
        x, y = _xy(post, lat0)
        d = (x - x0) ** 2 + (y - y0) ** 2
        if d < best_d:
            best, best_d = i, d
    return best
