"""The routine detector: learn each person's quiet spells and mornings, alert on an unusual silence.

Signs of life (:func:`activity`): a door opening or closing, motion, an SOS or smoke event, a
water-meter increase of at least 0.5 litre, and a power-meter reading whose mean rate since the
previous reading exceeds 1.25 × the person's base load + 15 W (the fridge and standby alone do
not count; the base load is the 20th percentile of the person's earlier rates). A meter
reading is a sign of life at the moment it arrives, never earlier (the detector is causal).

Where the person may be (:func:`door_step`): door events less than 10 minutes apart are one
passage. A passage after which the person had been seen using water or power at home since
the passage before is *leaving*; one that follows only silence is *coming home*. A quiet spell
is *from the door* when it starts at a leaving passage, or at a meter reading whose reporting
interval (water 15 min, power 1 h) reaches back to one (the use may predate leaving); every
other spell — including one that starts on coming home — is *at home*.

The rule an alert follows (:func:`thresholds`, learnt for each day *d* only from signs of life
**before** *d*, at most ``history_days`` back), in words:

* **By day**, a silence that began at home is alerted once it is longer than almost any silence
  this person has had starting at that time of day: the quiet spells that started within
  ±1 hour of it (±3 h when fewer than ``min_spells``) give a survival curve whose tail is fitted
  as exponential from the ``tail_k`` longest (Hill-type estimate),
  S(t) ≈ (k/n)·exp(−(t − L₍ₖ₎)/θ), and the tolerated silence is the *t* where S(t) falls to
  ``alpha`` — kept between ``floor_s`` (5 h: a few quiet hours by day are ordinary for anyone)
  and ``cap_s``. A quiet morning is thus alerted sooner than a quiet afternoon for someone
  whose mornings are always busy.
* **By night**, a silence that began at home after about her bedtime (from an hour before the
  earliest of her recent bedtimes until 06:00) is alerted when her morning is late: at her
  usual first sign of life after 06:00 (median of the earlier mornings) + ``night_slack_s``
  (2.5 h, the longest lie-in that is still ordinary) + her own day-to-day spread. So a fall at
  2 a.m. is alerted at the same morning deadline as one at 11 p.m., not a night's length later.
* A silence **from the door** is tolerated up to ``cap_s``: with door, water and power meters
  alone a day out and a fall just after leaving look the same, and days out are far commoner.
* ``cap_s`` (12 h) is the fixed city rule kept as an outer limit: no silence on every sensor
  outlasts the "no water in 12 h" window without an alert, which also keeps the "no door in
  24 h" rule.

Alerts (:func:`detect`): ``silence`` when a spell outlasts its tolerance (one per spell);
``sos`` and ``smoke`` at once; ``water_running`` when a water meter shows use in every report
for ``water_running_s`` (3 h) with reports at most ``water_gap_s`` apart (a tap left open, a
leak). Away mode: an announced away entry holds silence alerts from its ``from`` until its
``to``, or until a detected return — the first sign of life after a quiet spell of at least
``return_gap_s`` that began no earlier than an hour before ``from``. A silence still running
when away mode ends raises its alert then. Ground truth is never an input.

Live use: :func:`tolerance_table` gives the (2 × 48) routine of one day from the events before
it, :func:`door_step` keeps the door state sign by sign, and :func:`live_due` turns the last
sign of life into the moment its silence becomes an alert — the same alerts as :func:`detect`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linli.routines.traces import (
    DOOR_CLOSE,
    DOOR_OPEN,
    MOTION,
    POWER,
    SMOKE,
    SOS,
    WATER,
    ResidentEvents,
)

HOUR = 3600
DAY = 86400
BIN_S = 1800
BINS = DAY // BIN_S

SILENCE = "silence"
ALERT_SOS = "sos"
ALERT_SMOKE = "smoke"
WATER_RUNNING = "water_running"


@dataclass(frozen=True)
class DetectorConfig:
    """Tuning of the detector; times in seconds. Defaults are those measured in
    ``docs/performance.md`` (care alerts — detection)."""

    learn_days: int = 7
    history_days: int = 28
    window_bins: int = 2
    min_spells: int = 4
    tail_k: int = 5
    alpha: float = 0.005
    door_to_cap: bool = True
    theta_min_s: float = 900.0
    margin_s: float = 0.0
    floor_s: float = 5 * HOUR
    cap_s: float = 12 * HOUR
    water_min_l: float = 0.5
    power_factor: float = 1.25
    power_extra_w: float = 15.0
    water_running_s: float = 3 * HOUR
    water_gap_s: float = 1200.0
    return_gap_s: float = 6 * HOUR
    utc_offset_s: int = 8 * HOUR
    door_recent_s: float = HOUR  # the longest a meter reading may reach back
    # reporting intervals: water at the end of each 15-minute interval with use, power hourly
    water_interval_s: float = 900.0
    power_interval_s: float = HOUR
    passage_s: float = 600.0  # door events closer than this are one passage
    # night rule (see _night): morning from 06:00, bedtime = first ≥ 3 h spell after 18:00
    night_end_s: float = 6 * HOUR
    evening_s: float = 18 * HOUR
    sleep_min_s: float = 3 * HOUR
    asleep_q: float = 5.0
    night_floor_s: float = HOUR
    night_slack_s: float = 2.5 * HOUR
    night_z: float = 1.0
    asleep_margin_s: float = HOUR


@dataclass(frozen=True)
class Alert:
    resident: str
    ts: int  # seconds since the epoch
    kind: str


def day_index(ts: np.ndarray | int, origin: int, cfg: DetectorConfig) -> np.ndarray:
    """Local day number of each time, day 0 starting at ``origin`` (a local midnight, UTC s)."""
    return np.floor_divide(np.asarray(ts) - origin, DAY)


def power_baselines(ev: ResidentEvents, origin: int, days: int, cfg: DetectorConfig) -> np.ndarray:
    """Base load (W) for each day: 20th percentile of the hourly rates seen before that day
    (day 0 uses its own readings, it is never scored). NaN when there were no readings."""
    rows = (ev.kind == POWER) & (ev.elapsed > 0) & (ev.delta >= 0)
    rates = ev.delta[rows] / ev.elapsed[rows] * HOUR
    when = day_index(ev.ts[rows], origin, cfg)
    out = np.full(days, np.nan)
    for d in range(days):
        lo = max(0, d - cfg.history_days)
        seen = rates[(when >= lo) & (when < max(d, 1))]
        if seen.size:
            out[d] = np.percentile(seen, 20)
    return out


@dataclass(frozen=True)
class DoorState:
    """What the door says about where the person is, updated sign by sign
    (:func:`door_step`): ``last_door`` the last door event (s, or None), ``leaving`` whether
    that door passage was a *leaving* one (the person had been seen at home since the passage
    before it), ``home_since`` whether a use at home has been seen since that passage."""

    last_door: int | None = None
    leaving: bool = True
    home_since: bool = True


def _cover_s(kind: int, cfg: DetectorConfig) -> float:
    """How far back a reading of this kind may report use: the meter's reporting interval
    (water every 15 min with use, power every hour), at most ``door_recent_s``; 0 for door,
    motion, SOS and smoke events, which happen when they are reported."""
    if kind == WATER:
        return min(cfg.water_interval_s, cfg.door_recent_s)
    if kind == POWER:
        return min(cfg.power_interval_s, cfg.door_recent_s)
    return 0.0


def door_step(state: DoorState, ts: int, kind: int, cfg: DetectorConfig) -> tuple[DoorState, bool]:
    """Take one sign of life (time s, event kind code) → (new state, *from_door*).

    A spell is *from the door* when the person may have gone out: its sign is a door event of
    a leaving passage, or a meter reading whose reporting interval reaches back to such a door
    event (the use may have come just before leaving). Door events less than ``passage_s``
    apart are one passage; a passage is *leaving* when a use at home (a reading that covers
    only time after the previous passage) came since the previous passage, else it is the
    person *coming home* — and a spell after coming home is judged as one at home.
    """
    if kind in (DOOR_OPEN, DOOR_CLOSE):
        if state.last_door is not None and ts - state.last_door <= cfg.passage_s:
            state = DoorState(ts, state.leaving, False)
        else:
            state = DoorState(ts, state.home_since, False)
        return state, state.leaving
    if state.last_door is None:
        return state, False
    if ts - _cover_s(kind, cfg) >= state.last_door:
        if not state.home_since:
            state = DoorState(state.last_door, state.leaving, True)
        return state, False
    return state, state.leaving


def activity(
    ev: ResidentEvents, origin: int, days: int, cfg: DetectorConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Signs of life: (times in s sorted, True where the spell after it starts *from the door*,
    i.e. the person may have gone out — see :func:`door_step`)."""
    alive = alive_mask(ev, origin, days, cfg)
    times = ev.ts[alive]
    flags = np.zeros(times.size, dtype=bool)
    state = DoorState()
    for i, (ts, kind) in enumerate(zip(times.tolist(), ev.kind[alive].tolist(), strict=True)):
        state, flags[i] = door_step(state, ts, kind, cfg)
    return times, flags


def alive_mask(ev: ResidentEvents, origin: int, days: int, cfg: DetectorConfig) -> np.ndarray:
    """Which of the resident's events are signs of life (see the module docstring)."""
    kind = ev.kind
    door = (kind == DOOR_OPEN) | (kind == DOOR_CLOSE)
    alive = door | (kind == MOTION) | (kind == SOS) | (kind == SMOKE)
    alive |= (kind == WATER) & (ev.delta >= cfg.water_min_l)
    power = (kind == POWER) & (ev.elapsed > 0)
    if power.any():
        base = power_baselines(ev, origin, days, cfg)
        d = np.clip(day_index(ev.ts[power], origin, cfg), 0, days - 1)
        rate = ev.delta[power] / ev.elapsed[power] * HOUR
        limit = base[d] * cfg.power_factor + cfg.power_extra_w
        idx = np.nonzero(power)[0]
        alive[idx[rate > limit]] = True
    return alive


def away_windows(
    times: np.ndarray, away: list[tuple[int, int]], cfg: DetectorConfig
) -> list[tuple[int, int]]:
    """Announced away entries (from, to) → windows [from, end) in which silence alerts wait;
    ``end`` is ``to`` or the detected return, whichever comes first."""
    windows = []
    for start, end in away:
        stop = end
        inside = np.nonzero((times >= start) & (times < end))[0]
        for i in inside:
            prev = times[i - 1] if i > 0 else None
            if prev is not None and prev >= start - HOUR and times[i] - prev >= cfg.return_gap_s:
                stop = int(times[i])
                break
        windows.append((start, stop))
    return windows


def _spell_ok(starts: np.ndarray, ends: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    ok = np.ones(starts.shape, dtype=bool)
    for lo, hi in windows:
        ok &= ~((starts < hi) & (ends > lo))
    return ok


def thresholds(
    times: np.ndarray,
    from_door: np.ndarray,
    origin: int,
    days: int,
    windows: list[tuple[int, int]],
    cfg: DetectorConfig,
) -> np.ndarray:
    """Tolerated silence in s, shape (days, 2, BINS): [day, from the door?, half hour].

    ``from_door`` is the class of each sign as :func:`activity` gives it. Row *d* uses only
    quiet spells that ended before day *d* began (and not during away mode). By day, from the
    *n* at-home spells filed near a half hour, the *k* = ``tail_k`` longest give an
    exponential tail (Hill-type: θ = mean excess of the longer ones over the *k*-th,
    L₍ₖ₎): S(t) ≈ (k / n) · exp(−(t − L₍ₖ₎) / θ), and the tolerance is the *t* where S(t)
    falls to ``alpha``, within [``floor_s``, ``cap_s``]. At night (:func:`_night`) an at-home
    spell is tolerated until the usual morning deadline. Spells from the door, and half hours
    with too few spells known, get ``cap_s``.
    """
    out = np.full((days, 2, BINS), cfg.cap_s)
    if times.size < 2:
        return out
    starts, ends = times[:-1], times[1:]
    ok = _spell_ok(starts, ends, windows)
    length = (ends - starts)[ok].astype(float)
    kind = from_door[:-1][ok].astype(np.int64)
    sbin = ((starts[ok] + cfg.utc_offset_s) % DAY) // BIN_S
    eday = np.clip(day_index(ends[ok], origin, cfg), 0, days - 1)
    k = cfg.tail_k
    group = (eday * 2 + kind) * BINS + sbin
    order = np.lexsort((-length, group))
    g_sorted, l_sorted = group[order], length[order]
    rank = np.arange(order.size) - np.searchsorted(g_sorted, g_sorted, side="left")
    flat = np.full((days * 2 * BINS, k), -np.inf)
    kept = rank < k
    flat[g_sorted[kept], rank[kept]] = l_sorted[kept]
    top = flat.reshape(days, 2, BINS, k)
    count = np.bincount(group, minlength=days * 2 * BINS).reshape(days, 2, BINS)
    for d in range(1, days):
        lo = max(0, d - cfg.history_days)
        pool = np.moveaxis(top[lo:d], 0, 2).reshape(2, BINS, -1)
        c = count[lo:d].sum(axis=0)
        narrow = _tail(pool, c, cfg.window_bins, cfg)
        wide = _tail(pool, c, 6, cfg)
        n = _circular(c, cfg.window_bins, np.add)
        n_wide = _circular(c, 6, np.add)
        fallback = np.where(n_wide >= cfg.min_spells, wide, np.inf)
        tol = np.where(n >= cfg.min_spells, narrow, fallback)
        out[d] = np.clip(tol, cfg.floor_s, cfg.cap_s)
    if cfg.door_to_cap:
        out[:, 1, :] = cfg.cap_s
    _night(out, starts, ends, ok & ~from_door[:-1], origin, cfg)
    return out


def _night(
    out: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    home: np.ndarray,
    origin: int,
    cfg: DetectorConfig,
) -> None:
    """Overwrite the at-home tolerances of the night bins with "until the morning deadline".

    For each earlier morning *j*: ``wake[j]`` = the first sign of life at or after
    ``night_end_s`` (06:00) that day, when the spell it ends began at home; ``sleep[j]`` = the
    start of the first at-home spell of at least ``sleep_min_s`` that began after
    ``evening_s`` (18:00) the evening before (falling asleep). For day *d*, from the mornings
    before *d*: deadline = median(wake) + ``night_slack_s`` + ``night_z`` × spread (the
    interquartile range / 1.349, a robust standard deviation); night bins = from the
    ``asleep_q``-th percentile of ``sleep`` less ``asleep_margin_s`` until 06:00. A spell
    starting at home in a night bin is tolerated until the deadline (counted from the bin's
    middle), at least ``night_floor_s``, at most ``cap_s``. Fewer than ``min_spells`` mornings
    known: the spell-length tolerances stay. Only spells that ended before day *d* are used.
    """
    days = out.shape[0]
    wake = np.full(days, np.nan)
    sleep = np.full(days, np.nan)
    long_home = home & (ends - starts >= cfg.sleep_min_s)
    for j in range(1, days):
        midnight = origin + j * DAY
        k = int(np.searchsorted(ends, midnight + cfg.night_end_s, side="left"))
        if k < ends.size and ends[k] < midnight + DAY and home[k]:
            wake[j] = ends[k] - midnight
        a = int(np.searchsorted(starts, midnight - DAY + cfg.evening_s, side="left"))
        b = int(np.searchsorted(starts, midnight + cfg.night_end_s, side="left"))
        first = a + np.flatnonzero(long_home[a:b] & (ends[a:b] < midnight + DAY))[:1]
        if first.size:
            sleep[j] = starts[first[0]] - (midnight - DAY)
    middle = np.arange(BINS) * BIN_S + BIN_S / 2
    clock = np.where(middle >= 12 * HOUR, middle, middle + DAY)  # s since the evening's midnight
    for d in range(1, days):
        lo = max(1, d - cfg.history_days)
        seen = wake[lo:d][np.isfinite(wake[lo:d])]
        if seen.size < cfg.min_spells:
            continue
        q1, q2, q3 = np.percentile(seen, [25, 50, 75])
        deadline = DAY + q2 + cfg.night_slack_s + cfg.night_z * (q3 - q1) / 1.349
        asleep = sleep[lo:d][np.isfinite(sleep[lo:d])]
        if asleep.size == 0:
            continue
        night = (clock >= np.percentile(asleep, cfg.asleep_q) - cfg.asleep_margin_s) & (
            clock < DAY + cfg.night_end_s
        )
        out[d, 0, night] = np.clip(deadline - clock[night], cfg.night_floor_s, cfg.cap_s)


def _tail(pool: np.ndarray, count: np.ndarray, w: int, cfg: DetectorConfig) -> np.ndarray:
    """Silence at which the fitted survival of the spells within ±w bins reaches ``alpha``."""
    pool = -np.sort(-pool, axis=2)[:, :, : cfg.tail_k]
    near = np.concatenate([np.roll(pool, s, axis=1) for s in range(-w, w + 1)], axis=2)
    n = _circular(count, w, np.add).astype(float)
    k = cfg.tail_k
    longest = -np.sort(-near, axis=2)[:, :, :k]
    k_eff = np.minimum(n, k)
    idx = np.clip(k_eff.astype(np.int64) - 1, 0, k - 1)
    kth = np.take_along_axis(longest, idx[..., None], axis=2)[..., 0]
    above = np.where(np.isfinite(longest), longest, 0.0)
    sum_above = above.sum(axis=2) - kth
    theta = np.where(k_eff > 1, sum_above / np.maximum(k_eff - 1, 1) - kth, 0.0)
    theta = np.maximum(theta, cfg.theta_min_s)
    with np.errstate(divide="ignore", invalid="ignore"):
        extra = theta * np.log(k_eff / (np.maximum(n, 1) * cfg.alpha))
    return np.where(n > 0, kth + np.maximum(extra, 0.0) + cfg.margin_s, np.inf)


def _circular(a: np.ndarray, k: int, op: np.ufunc) -> np.ndarray:
    out = a.copy()
    for shift in range(1, k + 1):
        out = op(out, np.roll(a, shift, axis=-1))
        out = op(out, np.roll(a, -shift, axis=-1))
    return out


def tolerance_table(
    ev: ResidentEvents,
    *,
    origin: int,
    day: int,
    away: list[tuple[int, int]] | None = None,
    cfg: DetectorConfig | None = None,
) -> np.ndarray:
    """The routine for day ``day`` after ``origin`` (a local midnight, UTC s), learnt from the
    events before that day only: shape (2, BINS), tolerated silence in seconds after a sign
    of life, [from the door?, half hour of the sign]. Equal to ``thresholds(...)[day]`` of the
    whole trace, whatever comes later (the live evaluator computes it each night).
    ``away`` are the announced away entries (from, to) in seconds. Raises ``ValueError`` for
    a negative ``day``.
    """
    if day < 0:
        raise ValueError("day 不能为负数")
    cfg = cfg or DetectorConfig()
    before = ev.ts < origin + day * DAY
    past = ResidentEvents(
        ev.ts[before], ev.kind[before], ev.value[before], ev.delta[before], ev.elapsed[before]
    )
    times, from_door = activity(past, origin, day + 1, cfg)
    windows = away_windows(times, away or [], cfg)
    return thresholds(times, from_door, origin, day + 1, windows, cfg)[day]


def live_due(
    last_sign_ts: int,
    from_door: bool,
    table: np.ndarray,
    cfg: DetectorConfig,
    *,
    away: list[tuple[int, int]] | None = None,
) -> int:
    """When the silence after the last sign of life becomes an alert (UTC s).

    ``last_sign_ts`` the last sign of life, ``from_door`` its class as :func:`door_step`
    gives it (feed every sign of life to ``door_step`` in time order and keep the state),
    ``table`` the (2, BINS) routine of the day that sign fell on (:func:`tolerance_table`;
    for a sign during the first ``learn_days`` days, the table of day ``learn_days``),
    ``away`` the away windows [from, end) still open. Due = last sign + the tolerated silence
    for its class and half hour, moved to the end of an away window it falls in. The next
    sign of life before that moment re-arms (one alert per spell); :func:`detect` raises
    exactly these alerts.
    """
    half_hour = int((last_sign_ts + cfg.utc_offset_s) % DAY // BIN_S)
    due = int(last_sign_ts) + int(table[int(bool(from_door)), half_hour])
    for lo, hi in sorted(away or []):
        if lo <= due < hi:
            due = hi
    return due


def silence_alerts(
    times: np.ndarray,
    from_door: np.ndarray,
    tolerance: np.ndarray,
    origin: int,
    end: int,
    windows: list[tuple[int, int]],
    cfg: DetectorConfig,
) -> np.ndarray:
    """Alert times (s) of the quiet spells that outlast their tolerance, before ``end``.

    A spell is judged with the routine of the day it started (or of day ``learn_days`` if it
    started during learning), so with data from before the alert's day only.
    """
    if times.size == 0:
        return np.zeros(0, np.int64)
    days = tolerance.shape[0]
    model = np.clip(day_index(times, origin, cfg), cfg.learn_days, days - 1)
    sbin = ((times + cfg.utc_offset_s) % DAY) // BIN_S
    due = times + tolerance[model, from_door.astype(np.int64), sbin].astype(np.int64)
    nxt = np.append(times[1:], np.iinfo(np.int64).max)
    for lo, hi in sorted(windows):
        held = (due >= lo) & (due < hi)
        due[held] = hi
    fire = (due < nxt) & (due < end)
    return np.unique(due[fire])


def water_running(ev: ResidentEvents, cfg: DetectorConfig) -> np.ndarray:
    """Times (s) at which a water meter has shown use in every report for ``water_running_s``."""
    rows = np.nonzero(ev.kind == WATER)[0]
    alerts = []
    began: float | None = None
    fired = False
    for i in rows.tolist():
        delta, gap, ts = ev.delta[i], ev.elapsed[i], int(ev.ts[i])
        if delta > 0 and gap <= cfg.water_gap_s:
            if began is None:
                began, fired = ts - gap, False
            if not fired and ts - began >= cfg.water_running_s:
                alerts.append(ts)
                fired = True
        else:
            began = None
    return np.asarray(alerts, dtype=np.int64)


SENSORS = ("door", "water", "power")


def routine_profile(
    ev: ResidentEvents, *, origin: int, before_day: int, cfg: DetectorConfig | None = None
) -> np.ndarray:
    """How this person usually lives, by hour of the week: shape (3, 168), the share of earlier
    weeks in which the door, the water and the power showed a sign of life in that hour
    (hour 0 = Monday 00:00–01:00 local). Uses days ``before_day - history_days`` …
    ``before_day - 1`` only; NaN for hours of the week that history does not cover.

    This is the routine shown to the micro-grid worker ("usually out 9–11, water by 7");
    the alert decision itself uses the quiet-spell tolerances of :func:`thresholds`.
    """
    cfg = cfg or DetectorConfig()
    first = max(0, before_day - cfg.history_days)
    alive = alive_mask(ev, origin, max(before_day, 1), cfg)
    door = (ev.kind == DOOR_OPEN) | (ev.kind == DOOR_CLOSE)
    water = alive & (ev.kind == WATER)
    power = alive & (ev.kind == POWER)
    local = origin + cfg.utc_offset_s  # a local midnight, as seconds in "local epoch"
    weekday0 = int(((local // DAY) + 3) % 7)  # 1970-01-01 was a Thursday
    covered = np.zeros(168)
    for d in range(first, before_day):
        start = (weekday0 + d) % 7 * 24
        covered[start : start + 24] += 1
    out = np.full((3, 168), np.nan)
    for row, mask in enumerate((door, water, power)):
        ts = ev.ts[mask]
        day = (ts - origin) // DAY
        ts = ts[(day >= first) & (day < before_day)]
        hours = (ts - origin) // 3600  # hours since day 0 began
        seen = np.zeros(168)
        unique_hours = np.unique(hours)
        np.add.at(seen, (unique_hours + weekday0 * 24) % 168, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[row] = np.where(covered > 0, seen / covered, np.nan)
    return out


def detect(
    resident: str,
    ev: ResidentEvents,
    *,
    origin: int,
    days: int,
    away: list[tuple[int, int]] | None = None,
    cfg: DetectorConfig | None = None,
) -> list[Alert]:
    """All alerts for one resident on days ``learn_days`` … ``days - 1`` after ``origin``.

    ``ev`` are the resident's events (from :func:`linli.routines.traces.split_by_resident`),
    ``origin`` the local midnight starting day 0 (UTC seconds), ``away`` the announced away
    entries as (from, to) seconds. Returns alerts sorted by time.
    """
    cfg = cfg or DetectorConfig()
    start = origin + cfg.learn_days * DAY
    end = origin + days * DAY
    times, from_door = activity(ev, origin, days, cfg)
    windows = away_windows(times, away or [], cfg)
    tolerance = thresholds(times, from_door, origin, days, windows, cfg)
    found: list[Alert] = []
    spells = silence_alerts(times, from_door, tolerance, origin, end, windows, cfg)
    for ts in spells.tolist():
        found.append(Alert(resident, int(ts), SILENCE))
    for code, name in ((SOS, ALERT_SOS), (SMOKE, ALERT_SMOKE)):
        for ts in ev.ts[ev.kind == code].tolist():
            found.append(Alert(resident, int(ts), name))
    for ts in water_running(ev, cfg).tolist():
        found.append(Alert(resident, int(ts), WATER_RUNNING))
    return sorted((a for a in found if start <= a.ts < end), key=lambda a: (a.ts, a.kind))
