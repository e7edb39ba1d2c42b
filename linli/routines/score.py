"""Scoring alerts against ground truth (issue 5, "Simulation and benchmarks").

- An incident is *under way* from its ``start`` until the resident's next event (found), or to
  the end of the trace; incidents starting in the scored period count.
- Its *delay* is from ``start`` to the first alert for that resident at or after ``start`` while
  it is under way; an incident with no such alert is *missed* (an infinite delay: it sits in
  the percentiles above every detected one).
- A *false alarm* is an alert in the scored period with no incident of that resident under way
  and not inside one of the resident's unannounced absences; an alert inside an unannounced
  absence (and no incident) is an *absence alert*, counted apart. Rates are per 100 residents
  per scored day.

The scored period is every day after the first ``learn_days`` (learning days).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from linli.routines.traces import Away, Incident, Traces

HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class Window:
    resident: str
    start: int
    end: int  # exclusive; a very large number when never found within the trace


@dataclass(frozen=True)
class Scores:
    """Figures for one detector. Delays in hours (``None`` when nothing was detected or the
    percentile falls on a missed incident); rates per 100 residents per day."""

    median_delay_h: float | None
    p90_delay_h: float | None
    false_alarms_per_100_per_day: float
    absence_alerts_per_100_per_day: float
    incidents: int
    missed: int
    false_alarms: int
    absence_alerts: int

    def headline(self) -> dict[str, float | None]:
        """The four figures of ``alerts.json`` (issue 5)."""
        full = asdict(self)
        keys = (
            "median_delay_h",
            "p90_delay_h",
            "false_alarms_per_100_per_day",
            "absence_alerts_per_100_per_day",
        )
        return {k: full[k] for k in keys}


def incident_windows(traces: Traces) -> list[Window]:
    """When each incident was under way: from its start to the resident's next event."""
    owner = traces.device_owner()
    ev = traces.events
    res = owner[ev.device] if len(ev) else np.zeros(0, np.int32)
    index = {r.resident: i for i, r in enumerate(traces.residents)}
    order = np.lexsort((ev.ts, res))
    res_sorted, ts_sorted = res[order], ev.ts[order]
    out = []
    for incident in traces.incidents:
        i = index[incident.resident]
        lo, hi = np.searchsorted(res_sorted, [i, i + 1])
        times = ts_sorted[lo:hi]
        k = np.searchsorted(times, incident.start, side="left")
        end = int(times[k]) if k < times.size else np.iinfo(np.int64).max
        out.append(Window(incident.resident, incident.start, end))
    return out


def windows_from(incidents: Iterable[Incident], ends: dict[str, int]) -> list[Window]:
    """Incident windows from explicit end times (for hand-made cases)."""
    return [Window(i.resident, i.start, ends[i.resident]) for i in incidents]


def _percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (NumPy's default) that lets missed incidents (inf) sit
    above every finite delay; ``None`` when it lands on or beside a missed one."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q / 100 * (len(ordered) - 1)
    lo = math.floor(pos)
    frac = pos - lo
    low = ordered[lo]
    if math.isinf(low) or (frac > 0 and math.isinf(ordered[lo + 1])):
        return None
    result = low if frac == 0 else low + (ordered[lo + 1] - low) * frac
    return round(result, 3)


def score(
    alerts: Iterable[tuple[str, int]],
    *,
    windows: list[Window],
    away: list[Away],
    residents: int,
    score_from: int,
    score_to: int,
) -> Scores:
    """Score ``alerts`` (resident, time s) over [score_from, score_to) for ``residents`` people.

    Raises ``ValueError`` when the scored period is empty or there are no residents.
    """
    if score_to <= score_from or residents <= 0:
        raise ValueError("评分区间为空，或居民数为 0")
    by_res: dict[str, list[int]] = defaultdict(list)
    for resident, ts in alerts:
        by_res[resident].append(int(ts))
    for times in by_res.values():
        times.sort()
    delays: list[float] = []
    missed = 0
    for w in windows:
        if not score_from <= w.start < score_to:
            continue
        times = by_res.get(w.resident, [])
        k = int(np.searchsorted(times, w.start, side="left"))
        if k < len(times) and times[k] < w.end:
            delays.append((times[k] - w.start) / HOUR)
        else:
            delays.append(math.inf)
            missed += 1
    under_way: dict[str, list[Window]] = defaultdict(list)
    for w in windows:
        under_way[w.resident].append(w)
    absent: dict[str, list[Away]] = defaultdict(list)
    for a in away:
        if not a.announced:
            absent[a.resident].append(a)
    false_alarms = absence = 0
    for resident, times in by_res.items():
        for ts in times:
            if not score_from <= ts < score_to:
                continue
            if any(w.start <= ts < w.end for w in under_way.get(resident, ())):
                continue
            if any(a.start <= ts < a.end for a in absent.get(resident, ())):
                absence += 1
            else:
                false_alarms += 1
    resident_days = residents * (score_to - score_from) / DAY
    return Scores(
        median_delay_h=_percentile(delays, 50),
        p90_delay_h=_percentile(delays, 90),
        false_alarms_per_100_per_day=round(100 * false_alarms / resident_days, 4),
        absence_alerts_per_100_per_day=round(100 * absence / resident_days, 4),
        incidents=len(delays),
        missed=missed,
        false_alarms=false_alarms,
        absence_alerts=absence,
    )
