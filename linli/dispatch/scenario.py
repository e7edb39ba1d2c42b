"""The simulated day of ``linli bench dispatch``: scenario fields, file overrides, order stream.

A scenario is a JSON object; :data:`DEFAULT` is the issue's day in the demo super community.
A scenario file replaces fields of the default *field by field*: objects are merged key by
key at every depth, anything else (numbers, strings, lists) replaces the default's value. So
``{"demand": {"repair": {"count": 80}}}`` changes only the number of repairs. The format is
documented in ``docs/dispatch.md`` and ``docs/performance.md``. Times of day are ``"HH:MM"``;
the simulation clock counts seconds from the day's midnight.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linli.dispatch.demo_map import DemoMap, Place
from linli.dispatch.policy import Job
from linli.dispatch.travel import haversine_m

DELIVERY = "delivery"

#: The issue's default day (issue 4, "Benchmarks").
DEFAULT: dict[str, Any] = {
    "on_time_min": 30,
    "detour": 1.3,
    "speeds_kmh": {"walk": 4.5, "ebike": 15},
    "accept_delay_s": [10, 60],
    "decline_share": 0.05,
    "handover_min": 2,
    "demand": {
        "meal_assist": {
            "count": 300,
            "windows": [
                {"share": 0.55, "ranges": [["11:00", "12:30"]]},
                {"share": 0.35, "ranges": [["17:00", "18:30"]]},
                {"share": 0.10, "ranges": [["10:00", "14:00"], ["16:00", "19:00"]]},
            ],
            "pickup": "canteen",
            "ready_min": 5,
            "skills": [DELIVERY],
        },
        "medicine_delivery": {
            "count": 60,
            "windows": [{"share": 1, "ranges": [["08:00", "20:00"]]}],
            "pickup": "pharmacy",
            "ready_min": 10,
            "skills": [DELIVERY],
        },
        "consultation": {
            "count": 30,
            "windows": [{"share": 1, "ranges": [["08:00", "18:00"]]}],
            "service_min": 20,
            "skills": ["medical"],
        },
        "bath_assist": {
            "count": 15,
            "windows": [{"share": 1, "ranges": [["09:00", "17:00"]]}],
            "service_min": 45,
            "skills": ["bath_certified"],
            "crew_of_two_share": 0.2,
        },
        "housekeeping": {
            "count": 40,
            "windows": [{"share": 1, "ranges": [["08:00", "18:00"]]}],
            "service_min": 60,
            "skills": ["housekeeping"],
        },
        "repair": {
            "count": 50,
            "windows": [{"share": 1, "ranges": [["08:00", "20:00"]]}],
            "service_min": 30,
            "skills": ["repair"],
        },
    },
    "workers": {
        "courier": {
            "count": 16,
            "mode": "ebike",
            "capacity": 4,
            "skills": [DELIVERY],
            "shifts": [["10:00", "14:00"], ["16:00", "19:30"]],
            "start": "canteen",
        },
        "caregiver": {
            "count": 8,
            "mode": "walk",
            "skills": ["housekeeping", DELIVERY],
            "shifts": [["08:00", "18:00"]],
            "start": "service_station",
        },
        "certified_caregiver": {
            "count": 6,
            "mode": "walk",
            "skills": ["housekeeping", "bath_certified", DELIVERY],
            "shifts": [["08:00", "18:00"]],
            "start": "service_station",
        },
        "doctor_nurse": {
            "count": 3,
            "mode": "walk",
            "skills": ["medical"],
            "shifts": [["08:00", "18:00"]],
            "start": "service_station",
        },
        "repair_worker": {
            "count": 5,
            "mode": "walk",
            "skills": ["repair"],
            "shifts": [["08:00", "20:00"]],
            "start": "service_station",
        },
    },
    "peak": {
        "windows": [["11:00", "12:30"], ["17:00", "18:30"]],
        "factor": 2,
        "services": ["meal_assist", "repair"],
    },
}


class ScenarioError(ValueError):
    """A scenario file or field is unusable; ``str(err)`` is a message in Chinese."""


@dataclass(frozen=True)
class Demand:
    kind: str
    count: int
    windows: tuple[tuple[float, tuple[tuple[float, float], ...]], ...]  # (share, ranges in s)
    service_s: float
    skills: frozenset[str]
    pickup: str | None
    ready_s: float
    crew_of_two_share: float


@dataclass(frozen=True)
class WorkerGroup:
    name: str
    count: int
    mode: str
    capacity: int
    skills: frozenset[str]
    shifts: tuple[tuple[float, float], ...]  # seconds from midnight
    start: str


@dataclass(frozen=True)
class Scenario:
    """A validated scenario; times in seconds from midnight, durations in seconds."""

    on_time_s: float
    detour: float
    speeds_kmh: dict[str, float]
    accept_delay_s: tuple[float, float]
    decline_share: float
    handover_s: float
    demand: tuple[Demand, ...]
    workers: tuple[WorkerGroup, ...]
    peak_windows: tuple[tuple[float, float], ...]
    peak_factor: int
    peak_services: frozenset[str]


@dataclass(frozen=True)
class Order:
    """One order of the stream: its job as the dispatcher sees it, and its service kind."""

    kind: str
    job: Job
    peak_extra: bool = False

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def placed_at(self) -> float:
        assert self.job.placed_at is not None
        return self.job.placed_at


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` applied field by field (objects merged, the rest replaced)."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load(path: str | Path | None) -> Scenario:
    """The default scenario, with the JSON file at ``path`` applied over it if given.

    Raises:
        ScenarioError: the file is missing, not JSON, not an object, or a field is invalid.
    """
    if path is None:
        return parse(DEFAULT)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"无法读取场景文件 {path}：{exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"场景文件 {path} 不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）"
        ) from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"场景文件 {path} 的顶层必须是 JSON 对象")
    return parse(merge(DEFAULT, data))


def _fail(where: str, message: str) -> ScenarioError:
    return ScenarioError(f"场景字段 {where}：{message}")


def _number(data: Mapping[str, Any], key: str, where: str, *, low: float = 0.0) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise _fail(f"{where}.{key}", f"必须是不小于 {low:g} 的数，实际为 {value!r}")
    return float(value)


def _count(data: Mapping[str, Any], key: str, where: str, *, low: int = 0) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(f"{where}.{key}", f"必须是不小于 {low} 的整数，实际为 {value!r}")
    return value


def clock(value: Any, where: str) -> float:
    """``"HH:MM"`` → seconds from midnight (``"24:00"`` allowed)."""
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        hh, mm = value[:2], value[3:]
        if hh.isdigit() and mm.isdigit() and int(mm) < 60 and int(hh) * 60 + int(mm) <= 1440:
            return int(hh) * 3600.0 + int(mm) * 60.0
    raise _fail(where, f'时间必须写成 "HH:MM"（如 "08:30"），实际为 {value!r}')


def _ranges(value: Any, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or not value:
        raise _fail(where, '必须是非空的时段列表，如 [["08:00", "12:00"]]')
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, list) or len(item) != 2:
            raise _fail(f"{where}[{i}]", f"时段必须是 [开始, 结束] 两个时间，实际为 {item!r}")
        start, end = clock(item[0], f"{where}[{i}][0]"), clock(item[1], f"{where}[{i}][1]")
        if end <= start:
            raise _fail(f"{where}[{i}]", f"结束时间必须晚于开始时间：{item[0]}–{item[1]}")
        out.append((start, end))
    return tuple(out)


def _skills(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
        raise _fail(where, f"必须是非空的技能代码列表，实际为 {value!r}")
    return frozenset(value)


def _demand(kind: str, data: Any, handover_s: float) -> Demand:
    where = f"demand.{kind}"
    if not isinstance(data, Mapping):
        raise _fail(where, "必须是 JSON 对象")
    windows = []
    raw_windows = data.get("windows")
    if not isinstance(raw_windows, list) or not raw_windows:
        raise _fail(f"{where}.windows", '必须是非空列表，每项形如 {"share": 0.5, "ranges": [...]}')
    for i, w in enumerate(raw_windows):
        if not isinstance(w, Mapping):
            raise _fail(f"{where}.windows[{i}]", "必须是 JSON 对象")
        share = _number(w, "share", f"{where}.windows[{i}]")
        windows.append((share, _ranges(w.get("ranges"), f"{where}.windows[{i}].ranges")))
    total = sum(s for s, _ in windows)
    if abs(total - 1) > 1e-6:
        raise _fail(f"{where}.windows", f"各时段的 share 之和必须为 1，实际为 {total:g}")
    pickup = data.get("pickup")
    if pickup is not None and pickup not in ("canteen", "pharmacy"):
        raise _fail(f"{where}.pickup", f'只能是 "canteen" 或 "pharmacy"，实际为 {pickup!r}')
    service_s = _number(data, "service_min", where, low=0) * 60 if pickup is None else handover_s
    crew2 = _number(data, "crew_of_two_share", where) if "crew_of_two_share" in data else 0.0
    if crew2 > 1:
        raise _fail(f"{where}.crew_of_two_share", f"必须在 0 到 1 之间，实际为 {crew2:g}")
    return Demand(
        kind=kind,
        count=_count(data, "count", where),
        windows=tuple(windows),
        service_s=service_s,
        skills=_skills(data.get("skills"), f"{where}.skills"),
        pickup=pickup,
        ready_s=_number(data, "ready_min", where) * 60 if pickup else 0.0,
        crew_of_two_share=crew2,
    )


def _group(name: str, data: Any, modes: Mapping[str, float]) -> WorkerGroup:
    where = f"workers.{name}"
    if not isinstance(data, Mapping):
        raise _fail(where, "必须是 JSON 对象")
    mode = data.get("mode")
    if mode not in modes:
        raise _fail(f"{where}.mode", f"必须是 {'、'.join(modes)} 之一，实际为 {mode!r}")
    start = data.get("start")
    if start not in ("canteen", "pharmacy", "service_station"):
        raise _fail(
            f"{where}.start",
            f'只能是 "canteen"、"pharmacy" 或 "service_station"，实际为 {start!r}',
        )
    shifts = _ranges(data.get("shifts"), f"{where}.shifts")
    if any(b[0] < a[1] for a, b in itertools.pairwise(shifts)):
        raise _fail(f"{where}.shifts", "班次必须按时间先后排列且互不重叠")
    return WorkerGroup(
        name=name,
        count=_count(data, "count", where),
        mode=str(mode),
        capacity=_count(data, "capacity", where, low=1) if "capacity" in data else 1,
        skills=_skills(data.get("skills"), f"{where}.skills"),
        shifts=shifts,
        start=start,
    )


def parse(data: Mapping[str, Any]) -> Scenario:
    """Validate a full scenario object (the default merged with a file).

    Raises:
        ScenarioError: the first invalid field, named by its path (e.g. ``demand.repair.count``).
    """
    speeds = data.get("speeds_kmh")
    if not isinstance(speeds, Mapping) or not speeds:
        raise _fail("speeds_kmh", "必须是出行方式到速度（km/h）的对象")
    modes = {str(m): _number(speeds, m, "speeds_kmh", low=0.1) for m in speeds}
    delay = data.get("accept_delay_s")
    if (
        not isinstance(delay, list)
        or len(delay) != 2
        or not all(isinstance(d, int | float) and not isinstance(d, bool) for d in delay)
        or not 0 <= delay[0] <= delay[1]
    ):
        raise _fail(
            "accept_delay_s", f"必须是 [最短, 最长] 秒数且 0 ≤ 最短 ≤ 最长，实际为 {delay!r}"
        )
    decline = _number(data, "decline_share", "scenario")
    if decline >= 1:
        raise _fail("decline_share", f"必须小于 1（否则无人接单），实际为 {decline:g}")
    detour = _number(data, "detour", "scenario", low=1.0)
    handover_s = _number(data, "handover_min", "scenario") * 60
    demand_raw, workers_raw, peak = data.get("demand"), data.get("workers"), data.get("peak")
    if not isinstance(demand_raw, Mapping) or not isinstance(workers_raw, Mapping):
        raise _fail("demand/workers", "必须是 JSON 对象")
    if not isinstance(peak, Mapping):
        raise _fail("peak", "必须是 JSON 对象")
    demand = tuple(_demand(k, v, handover_s) for k, v in demand_raw.items())
    workers = tuple(_group(k, v, modes) for k, v in workers_raw.items())
    services = peak.get("services")
    if not isinstance(services, list) or not all(s in demand_raw for s in services):
        raise _fail("peak.services", f"必须是 demand 中已有服务的列表，实际为 {services!r}")
    return Scenario(
        on_time_s=_number(data, "on_time_min", "scenario", low=1) * 60,
        detour=detour,
        speeds_kmh=modes,
        accept_delay_s=(float(delay[0]), float(delay[1])),
        decline_share=decline,
        handover_s=handover_s,
        demand=demand,
        workers=workers,
        peak_windows=_ranges(peak.get("windows"), "peak.windows"),
        peak_factor=_count(peak, "factor", "peak", low=1),
        peak_services=frozenset(services),
    )


def _apportion(count: int, shares: list[float]) -> list[int]:
    """Largest-remainder split of ``count`` by ``shares`` (which sum to 1)."""
    exact = [count * s for s in shares]
    counts = [int(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: count - sum(counts)]:
        counts[i] += 1
    return counts


def _uniform_in(ranges: tuple[tuple[float, float], ...], rng: random.Random) -> float:
    total = sum(b - a for a, b in ranges)
    x = rng.uniform(0, total)
    for a, b in ranges:
        if x <= b - a:
            return a + x
        x -= b - a
    return ranges[-1][1]


def _nearest(places: tuple[Place, ...], target: Place) -> Place:
    return min(places, key=lambda p: (haversine_m(p.point, target.point), p.name))


def orders(scn: Scenario, demo: DemoMap, *, seed: int, peak: bool) -> list[Order]:
    """The day's order stream, sorted by time placed; the same ``seed`` gives the same stream.

    Addresses are residential buildings drawn in proportion to their dwellings; a delivery's
    pickup is the nearest canteen (or pharmacy) to the address, ready ``ready_min`` after the
    order. With ``peak``, every order of a peak service placed inside a peak window gets
    ``factor - 1`` extra orders of the same service at uniform times in that window — the
    normal stream plus extras, so the two scenarios share their normal orders.

    Raises:
        ScenarioError: a delivery names a pickup kind the map has none of.
    """
    rng = random.Random(f"{seed}:orders")
    weights = [b.dwellings for b in demo.buildings]
    drafts: list[tuple[float, Demand, Place, bool, bool]] = []  # time, demand, home, crew2, extra
    for d in scn.demand:
        counts = _apportion(d.count, [s for s, _ in d.windows])
        times = [
            _uniform_in(ranges, rng)
            for n, (_, ranges) in zip(counts, d.windows, strict=True)
            for _ in range(n)
        ]
        homes = rng.choices(demo.buildings, weights=weights, k=len(times))
        pairs = set(rng.sample(range(len(times)), round(len(times) * d.crew_of_two_share)))
        for i, (t, home) in enumerate(zip(times, homes, strict=True)):
            drafts.append((t, d, home, i in pairs, False))
    if peak:
        extra_rng = random.Random(f"{seed}:peak")
        for t, d, _, crew2, _ in list(drafts):
            if d.kind not in scn.peak_services:
                continue
            for a, b in scn.peak_windows:
                if a <= t < b:
                    for _ in range(scn.peak_factor - 1):
                        home = extra_rng.choices(demo.buildings, weights=weights)[0]
                        drafts.append((extra_rng.uniform(a, b), d, home, crew2, True))
    drafts.sort(key=lambda item: (item[0], item[1].kind, item[2].name))
    stream = []
    for n, (t, d, home, crew2, extra) in enumerate(drafts, 1):
        pickup = None
        if d.pickup:
            places = demo.facilities.get(d.pickup)
            if not places:
                raise ScenarioError(f"演示社区中没有 {d.pickup} 类设施，无法生成 {d.kind} 订单")
            pickup = _nearest(places, home).point
        job = Job(
            id=f"o{n:04d}",
            dropoff=home.point,
            service_s=d.service_s,
            skills=d.skills,
            ready_at=t + d.ready_s,
            pickup=pickup,
            crew=2 if crew2 else 1,
            placed_at=t,
        )
        stream.append(Order(d.kind, job, extra))
    return stream
