"""The live rule replayed sign by sign gives the alerts of :func:`detect` (issue 5).

The live evaluator (``linli/care``) learns each night the routine of the coming day with
:func:`tolerance_table`, follows the door with :func:`door_step` and, after every sign of life,
sets the silence clock with :func:`live_due`. Replayed on a simulated month, those three must
raise exactly the silence alerts that :func:`detect` raises on the whole trace.
"""

from __future__ import annotations

import numpy as np
import pytest

from linli.routines.bench import _origin
from linli.routines.detector import (
    DAY,
    SILENCE,
    DetectorConfig,
    DoorState,
    activity,
    alive_mask,
    away_windows,
    detect,
    door_step,
    live_due,
    thresholds,
    tolerance_table,
)
from linli.routines.simulate import simulate
from linli.routines.traces import split_by_resident

CFG = DetectorConfig()


@pytest.fixture(scope="module")
def month():
    traces = simulate(residents=50, days=30, seed=7, incident_rate=0.01)
    origin, days = _origin(traces)
    announced: dict[str, list[tuple[int, int]]] = {}
    for a in traces.away:
        if a.announced:
            announced.setdefault(a.resident, []).append((a.start, a.end))
    people = [
        (r.resident, ev, announced.get(r.resident, []))
        for r, ev in zip(traces.residents, split_by_resident(traces), strict=True)
    ]
    return people, origin, days


def replay(ev, origin: int, days: int, away: list[tuple[int, int]]) -> list[int]:
    """Silence alerts as the live evaluator raises them, one sign of life at a time."""
    tables = {
        d: tolerance_table(ev, origin=origin, day=d, away=away, cfg=CFG)
        for d in range(CFG.learn_days, days)
    }
    alive = alive_mask(ev, origin, days, CFG)
    times, kinds = ev.ts[alive].tolist(), ev.kind[alive].tolist()
    windows = away_windows(ev.ts[alive], away, CFG)
    start, end = origin + CFG.learn_days * DAY, origin + days * DAY
    state, due, alerts = DoorState(), None, []
    for ts, kind in zip(times, kinds, strict=True):
        if due is not None and due < ts and start <= due < end:
            alerts.append(due)
        state, from_door = door_step(state, ts, kind, CFG)
        day = min(max((ts - origin) // DAY, CFG.learn_days), days - 1)
        due = live_due(ts, from_door, tables[day], CFG, away=windows)
    if due is not None and start <= due < end:
        alerts.append(due)
    return alerts


def test_the_live_rule_raises_the_same_silence_alerts_as_detect_on_a_month(month):
    people, origin, days = month
    raised = 0
    for resident, ev, away in people:
        found = detect(resident, ev, origin=origin, days=days, away=away, cfg=CFG)
        expected = [a.ts for a in found if a.kind == SILENCE]
        assert replay(ev, origin, days, away) == expected, resident
        raised += len(expected)
    # the month has silences to alert on (incidents on 1 % of days), so the test compares alerts
    assert raised > 5


def test_tonights_table_is_the_detectors_row_for_that_day_learnt_from_the_past_only(month):
    people, origin, days = month
    for _resident, ev, away in people[:10]:
        times, from_door = activity(ev, origin, days, CFG)
        full = thresholds(times, from_door, origin, days, away_windows(times, away, CFG), CFG)
        for day in (CFG.learn_days, 15, days - 1):
            table = tolerance_table(ev, origin=origin, day=day, away=away, cfg=CFG)
            assert np.array_equal(table, full[day])


def test_the_door_class_of_each_sign_is_known_when_it_arrives(month):
    # given the whole month, and then only what had arrived by the end of each day
    people, origin, days = month
    for _resident, ev, _away in people[:10]:
        times, flags = activity(ev, origin, days, CFG)
        for day in (3, 12, 20):
            cut = ev.ts < origin + (day + 1) * DAY
            past = type(ev)(ev.ts[cut], ev.kind[cut], ev.value[cut], ev.delta[cut], ev.elapsed[cut])
            t_past, f_past = activity(past, origin, day + 1, CFG)
            # then the flags of the signs so far do not change with the future
            assert np.array_equal(t_past, times[: t_past.size])
            assert np.array_equal(f_past, flags[: t_past.size])
