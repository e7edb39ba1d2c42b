"""The simulator: the same seed gives the same lives; incidents silence the resident."""

from __future__ import annotations

import numpy as np
import pytest

from linli.routines.score import incident_windows
from linli.routines.simulate import simulate
from linli.routines.traces import DOOR_OPEN, POWER, WATER, split_by_resident

HOUR = 3600


def test_the_same_seed_gives_the_same_traces_and_another_seed_does_not():
    a = simulate(residents=20, days=5, seed=3)
    b = simulate(residents=20, days=5, seed=3)
    c = simulate(residents=20, days=5, seed=4)
    for column in ("device", "ts", "kind", "value"):
        assert np.array_equal(getattr(a.events, column), getattr(b.events, column), equal_nan=True)
    assert a.away == b.away and a.incidents == b.incidents
    assert not np.array_equal(a.events.ts, c.events.ts)


def test_incidents_fall_on_the_asked_share_of_resident_days():
    traces = simulate(residents=200, days=10, seed=1, incident_rate=0.003)
    assert len(traces.incidents) == round(0.003 * 200 * 10)
    assert len({i.resident for i in traces.incidents}) == len(traces.incidents)


def test_from_an_incident_the_resident_produces_no_event_until_found():
    traces = simulate(residents=100, days=10, seed=2, incident_rate=0.02)
    assert traces.incidents
    owner = traces.device_owner()[traces.events.device]
    index = {r.resident: i for i, r in enumerate(traces.residents)}
    for window in incident_windows(traces):
        mine = traces.events.ts[owner == index[window.resident]]
        silent = (mine >= window.start) & (mine < window.end)
        assert not silent.any()
        # found 24–72 hours later (or at a visit, or past the end of the trace)
        assert window.end - window.start <= 72 * HOUR or window.end > mine.max()


def test_meters_report_cumulative_readings_that_never_fall():
    traces = simulate(residents=10, days=4, seed=9)
    for ev in split_by_resident(traces):
        for kind in (WATER, POWER):
            values = ev.value[ev.kind == kind]
            assert values.size and np.all(np.diff(values) >= 0)
        assert (ev.kind == DOOR_OPEN).any()


def test_trips_away_are_sometimes_announced_and_sometimes_not():
    traces = simulate(residents=300, days=30, seed=1)
    flags = {a.announced for a in traces.away}
    assert flags == {True, False}
    assert all(a.end > a.start for a in traces.away)


@pytest.mark.parametrize("kwargs", [{"residents": 0}, {"days": 0}, {"incident_rate": 2.0}])
def test_nonsense_sizes_are_refused(kwargs):
    with pytest.raises(ValueError):
        simulate(**{"residents": 2, "days": 2, **kwargs})
