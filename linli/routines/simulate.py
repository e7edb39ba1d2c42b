"""Synthetic lives of older people living alone, as device traces (:mod:`linli.routines.traces`).

Each resident gets a household door sensor, a water meter and a power meter, and a profile:
a chronotype (early riser ~5:30, ordinary ~6:45, night owl ~8:45 — wake and bed times vary
day to day), meals, toilet visits every 2–3.5 hours awake (gamma-distributed gaps), odd uses
of water, night toilet visits, a nap, morning and afternoon
outings, evening lights and television, sometimes a lie-in or a day unwell indoors, whole days
out (leave in the morning, back in the evening), a regular visitor on one weekday, sometimes a
trip away of several days (half announced by the family as away mode, half not) and sometimes a
hospital stay (likewise). Meters report as smart meters do: the water meter at the end of each
15-minute interval in which water was used (cumulative litres), the power meter every hour
(cumulative watt-hours; a fridge and standby load never stop).

Incidents (ground truth): on a share of at-home resident-days (default 0.3 %) a fall at a
uniformly random moment; from then the resident produces no events at all — nor do the
household's meters (the trace-format rule) — until found, 24–72 hours later or when the
regular visitor next calls; a hospital stay of 3–14 days follows, entered in ``away.jsonl`` as
unannounced. Deterministic for a given seed: resident *i* draws from ``default_rng([seed, i])``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from linli.routines.traces import (
    CHINA,
    DOOR_CLOSE,
    DOOR_OPEN,
    POWER,
    WATER,
    Away,
    Device,
    Events,
    Incident,
    Resident,
    Traces,
)

MIN = 60
HOUR = 3600
DAY = 86400
#: Default first day (a Monday), midnight Beijing time.
DEFAULT_START = dt.date(2026, 3, 2)


@dataclass(frozen=True)
class Profile:
    """One person's habits; hours are local clock hours, rates per day unless named."""

    wake_h: float
    bed_h: float
    wake_sd_h: float
    water_per_awake_h: float  # odd uses: washing, a kettle, a mop
    toilet_every_h: float
    p_morning_out: float
    p_afternoon_out: float
    p_nap: float
    night_toilet_mean: float
    p_tv: float
    p_day_out: float
    visitor_weekday: int | None  # 0 = Monday
    baseline_w: float
    meal_shift_h: float


def _profile(rng: np.random.Generator) -> Profile:
    chrono = rng.choice(3, p=[0.3, 0.5, 0.2])
    wake = (5.5, 6.75, 8.75)[chrono] + rng.normal(0, 0.3)
    bed = (21.0, 22.0, 23.75)[chrono] + rng.normal(0, 0.3)
    return Profile(
        wake_h=wake,
        bed_h=bed,
        wake_sd_h=rng.uniform(0.2, 0.5),
        water_per_awake_h=rng.uniform(0.1, 0.35),
        toilet_every_h=rng.uniform(2.0, 3.5),
        p_morning_out=rng.uniform(0.3, 0.85),
        p_afternoon_out=rng.uniform(0.15, 0.6),
        p_nap=rng.uniform(0.2, 0.8),
        night_toilet_mean=rng.uniform(0.2, 1.5),
        p_tv=rng.uniform(0.5, 0.95),
        p_day_out=rng.uniform(0.01, 0.08),
        visitor_weekday=int(rng.integers(7)) if rng.random() < 0.4 else None,
        baseline_w=rng.uniform(25, 60),
        meal_shift_h=1.0 if chrono == 2 else 0.0,
    )


@dataclass
class _Life:
    """Accumulated activity of one resident, in seconds from the start of the trace."""

    doors: list[float]
    water: list[tuple[float, float]]  # (time, litres)
    power: list[tuple[float, float, float]]  # (start, seconds, watts)
    out: list[tuple[float, float]]  # intervals with nobody home (outings, days out)
    visits: list[float]  # visitor arrivals


def _day(rng: np.random.Generator, p: Profile, day: int, weekday: int, life: _Life) -> None:
    base = day * DAY
    sick = rng.random() < 0.02
    wake = base + HOUR * (p.wake_h + rng.normal(0, p.wake_sd_h))
    if weekday >= 5:
        wake += rng.uniform(0, 30) * MIN
    if sick:
        wake += rng.uniform(60, 180) * MIN
    elif rng.random() < 0.07:
        wake += rng.uniform(60, 150) * MIN
    bed = base + HOUR * (p.bed_h + rng.normal(0, 0.4))
    shift = p.meal_shift_h * HOUR
    water, power, doors = life.water, life.power, life.doors
    water += [(wake + rng.uniform(0, 10) * MIN, 6.0), (wake + rng.uniform(5, 20) * MIN, 4.0)]
    power.append((wake + rng.uniform(5, 30) * MIN, 180.0, 1500.0))
    breakfast = wake + rng.uniform(20, 60) * MIN
    water.append((breakfast, 3.0))
    power.append((breakfast, 600.0, 800.0))
    lunch = base + HOUR * (11.75 + rng.normal(0, 0.4)) + shift
    water += [(lunch, 3.0), (lunch + rng.uniform(20, 50) * MIN, 3.0)]
    power.append((lunch, 1200.0, 1000.0))
    dinner = base + HOUR * (18.0 + rng.normal(0, 0.5)) + shift
    water += [(dinner, 4.0), (dinner + rng.uniform(25, 60) * MIN, 4.0)]
    power.append((dinner, 1500.0, 1200.0))
    awake_h = max(0.0, (bed - wake) / HOUR)
    for t in rng.uniform(
        wake, bed, rng.poisson(p.water_per_awake_h * awake_h * (0.5 if sick else 1))
    ):
        water.append((float(t), float(rng.choice([2.0, 4.0, 8.0]))))
    # Toilet visits while awake come every few hours, more regularly than at random
    # (daytime voiding 4–7 times a day): a renewal process with gamma(3) gaps.
    t = wake + rng.gamma(3, p.toilet_every_h * HOUR / 3)
    while t < bed:
        water.append((t, 6.0))
        t += rng.gamma(3, p.toilet_every_h * HOUR / 3)
    dusk = base + 18.5 * HOUR
    if bed > dusk:
        power.append((dusk, bed - dusk, 40.0))
    if rng.random() < p.p_tv and bed - dinner > HOUR:
        power.append((dinner + 30 * MIN, bed - dinner - 60 * MIN, 90.0))
    water += [(bed - rng.uniform(0, 20) * MIN, 4.0), (bed - rng.uniform(0, 5) * MIN, 6.0)]
    night_end = base + DAY + HOUR * (p.wake_h - 0.5)
    if night_end > bed + 30 * MIN:
        for t in rng.uniform(bed + 30 * MIN, night_end, rng.poisson(p.night_toilet_mean)):
            water.append((float(t), 6.0))
    if rng.random() < p.p_nap:
        nap = base + HOUR * rng.uniform(12.75, 13.5) + shift
        life.out.append((nap, nap + rng.uniform(45, 120) * MIN))  # asleep: no odd uses
    if p.visitor_weekday == weekday and rng.random() < 0.8:
        arrive = base + HOUR * rng.uniform(9.5, 11)
        leave = base + HOUR * rng.uniform(14, 16)
        doors += [arrive, leave]
        water += [(arrive + HOUR, 5.0), (leave - HOUR, 5.0)]
        life.visits.append(arrive)
        return
    if sick:
        return
    if rng.random() < p.p_day_out:
        _outing(life, base + HOUR * rng.uniform(8, 10), base + HOUR * rng.uniform(16.5, 20.5))
        return
    if rng.random() < p.p_morning_out:
        leave = wake + rng.uniform(60, 150) * MIN
        _outing(life, leave, leave + rng.uniform(30, 150) * MIN)
    if rng.random() < p.p_afternoon_out:
        leave = base + HOUR * rng.uniform(14, 16)
        _outing(life, leave, leave + rng.uniform(30, 180) * MIN)


def _outing(life: _Life, leave: float, back: float) -> None:
    life.doors += [leave, back]
    life.out.append((leave, back))


def _inside(times: np.ndarray, intervals: list[tuple[float, float]]) -> np.ndarray:
    """Boolean mask of ``times`` falling in any of ``intervals`` (start inclusive)."""
    mask = np.zeros(times.shape, dtype=bool)
    for start, end in intervals:
        mask |= (times >= start) & (times < end)
    return mask


@dataclass
class _Resident:
    resident: Resident
    ts: np.ndarray
    kind: np.ndarray
    value: np.ndarray
    device: np.ndarray
    away: list[Away]
    incident: Incident | None


def simulate(
    *,
    residents: int = 1000,
    days: int = 30,
    seed: int = 1,
    incident_rate: float = 0.003,
    start: dt.date = DEFAULT_START,
) -> Traces:
    """Simulate ``residents`` people living alone for ``days`` days from ``start`` (+08:00).

    ``incident_rate`` is the share of resident-days with a fall: round(rate × residents × days)
    incidents, on distinct residents, on days they are at home. Returns :class:`Traces` with
    ground truth in ``incidents`` and unannounced ``away`` entries. Raises ``ValueError`` for
    non-positive sizes or a rate outside [0, 1].
    """
    if residents <= 0 or days <= 0:
        raise ValueError("居民数和天数必须为正数")
    if not 0 <= incident_rate <= 1:
        raise ValueError("事件比例必须在 0 到 1 之间")
    origin = int(dt.datetime.combine(start, dt.time(), CHINA).timestamp())
    picker = np.random.default_rng([seed, residents, days])
    count = min(residents, round(incident_rate * residents * days))
    struck = set(picker.choice(residents, size=count, replace=False).tolist())
    people = [
        _one(i, np.random.default_rng([seed, i]), days, origin, start, i in struck)
        for i in range(residents)
    ]
    offsets = np.cumsum([0] + [len(p.resident.devices) for p in people])
    events = Events(
        np.concatenate([p.device + offsets[k] for k, p in enumerate(people)]).astype(np.int32),
        np.concatenate([p.ts for p in people]).astype(np.int64),
        np.concatenate([p.kind for p in people]).astype(np.int8),
        np.concatenate([p.value for p in people]),
    )
    return Traces(
        residents=[p.resident for p in people],
        events=events,
        away=[a for p in people for a in p.away],
        incidents=[p.incident for p in people if p.incident is not None],
    )


def _one(
    index: int, rng: np.random.Generator, days: int, origin: int, start: dt.date, struck: bool
) -> _Resident:
    rid = f"r{index:05d}"
    resident = Resident(
        rid,
        int(rng.integers(65, 95)),
        True,
        (
            Device(f"{rid}-door", "door_sensor"),
            Device(f"{rid}-water", "water_meter"),
            Device(f"{rid}-power", "power_meter"),
        ),
    )
    p = _profile(rng)
    life = _Life([], [], [], [], [])
    first_weekday = start.weekday()
    for day in range(days):
        _day(rng, p, day, (first_weekday + day) % 7, life)
    span = days * DAY
    absences: list[tuple[float, float, bool]] = []  # (leave, back, announced)
    if rng.random() < 0.25:  # a trip to relatives
        length = rng.uniform(2, 7) * DAY
        leave = rng.uniform(DAY, span - DAY) // DAY * DAY + HOUR * rng.uniform(8.5, 11)
        absences.append((leave, leave + length, bool(rng.random() < 0.5)))
    if rng.random() < 0.04:  # a planned hospital stay
        leave = rng.uniform(DAY, span - DAY) // DAY * DAY + HOUR * rng.uniform(8, 10)
        absences.append((leave, leave + rng.uniform(3, 10) * DAY, bool(rng.random() < 0.5)))
    incident = None
    silent: tuple[float, float] | None = None
    if struck:
        home_days = [
            d for d in range(days) if not any(a - DAY < d * DAY < b for a, b, _ in absences)
        ]
        if home_days:
            t0 = float(rng.choice(home_days)) * DAY + rng.uniform(0, DAY)
            found = t0 + rng.uniform(24, 72) * HOUR
            later = [v for v in life.visits if v > t0]
            if later:
                found = min(found, later[0])
            silent = (t0, found)
            back = found + rng.uniform(3, 14) * DAY
            absences = [a for a in absences if a[1] < t0]
            absences.append((found, back, False))
            incident = Incident(rid, origin + int(t0))
    away_spans = [(a, b) for a, b, _ in absences]
    doors = np.asarray(life.doors + [t for a, b, _ in absences for t in (a, b)])
    keep = ~_inside(doors, away_spans)
    keep |= np.isin(doors, np.asarray([t for a, b, _ in absences for t in (a, b)]))
    doors = np.sort(doors[keep & (doors >= 0) & (doors < span)])
    water = np.asarray(life.water, dtype=float).reshape(-1, 2)
    water = water[~_inside(water[:, 0], life.out + away_spans) & (water[:, 0] >= 0)]
    water = water[water[:, 0] < span]
    minutes = days * 1440
    per_minute = np.full(minutes, p.baseline_w / 60.0)  # Wh per minute
    per_minute *= rng.uniform(0.8, 1.2, minutes)  # the fridge cycles
    home = np.ones(minutes, dtype=bool)
    for a, b in life.out + away_spans:
        home[int(max(a, 0) // MIN) : int(min(b, span) // MIN)] = False
    for begin, seconds, watts in life.power:
        lo, hi = int(begin // MIN), int((begin + seconds) // MIN) + 1
        lo, hi = max(lo, 0), min(hi, minutes)
        if lo < hi:
            per_minute[lo:hi] += home[lo:hi] * watts / 60.0
    hourly_wh = per_minute.reshape(days * 24, 60).sum(axis=1)
    power_ts = np.arange(1, days * 24 + 1) * HOUR
    power_val = rng.uniform(1e5, 9e5) + np.cumsum(hourly_wh)
    slots = (water[:, 0] // (15 * MIN)).astype(np.int64)
    litres = np.bincount(slots, weights=water[:, 1], minlength=days * 96)
    used = np.nonzero(litres > 0)[0]
    water_ts = (used + 1) * 15 * MIN
    water_val = rng.uniform(1e4, 9e4) + np.cumsum(litres)[used]
    closes = doors + rng.uniform(5, 60, doors.shape)
    ts = np.concatenate([doors, closes, water_ts, power_ts]).astype(np.int64)
    kind = np.concatenate(
        [
            np.full(doors.shape, DOOR_OPEN),
            np.full(doors.shape, DOOR_CLOSE),
            np.full(water_ts.shape, WATER),
            np.full(power_ts.shape, POWER),
        ]
    )
    value = np.concatenate(
        [np.full(2 * len(doors), np.nan), np.round(water_val, 1), np.round(power_val, 1)]
    )
    device = np.concatenate(
        [np.zeros(2 * len(doors)), np.ones(water_ts.shape), np.full(power_ts.shape, 2)]
    ).astype(np.int32)
    keep = ts < span
    if silent is not None:
        keep &= ~((ts >= silent[0]) & (ts < silent[1]))
    away = [Away(rid, origin + int(a), origin + int(b), ann) for a, b, ann in absences]
    away = [
        Away(a.resident, a.start, _end_of_day(a.end, origin) if a.announced else a.end, a.announced)
        for a in away
    ]
    return _Resident(
        resident, ts[keep] + origin, kind[keep], value[keep], device[keep], away, incident
    )


def _end_of_day(moment: int, origin: int) -> int:
    """Families announce "until <day>": the end of the (local) day of the actual return."""
    return origin + ((moment - origin) // DAY + 1) * DAY
