"""The fixed inactivity rules cities use today, as baselines for the learned detector.

Source: the rules quoted in issue 5 from city programmes for older people living alone —
"no water used (under 0.01 m³) for 12 hours" and "a door not opened for 24 hours" (some cities
use 24 or 48 h). Each rule alone, evaluated on the same events and the same announced away
mode as the detector:

- :func:`water_12h` — an alert at the first moment the water used over the trailing 12 hours
  falls below 10 litres; it re-arms once 10 litres have been used within 12 hours again.
  Use is counted at the time of the meter report that shows it.
- :func:`door_24h` — an alert 24 hours after the last door opening or closing, if no other
  door event came; the next door event re-arms it.

Both return alert times in seconds since the epoch; alerts falling in away mode are held to
its end, as the detector's are.
"""

from __future__ import annotations

import numpy as np

from linli.routines.traces import DOOR_CLOSE, DOOR_OPEN, WATER, ResidentEvents

HOUR = 3600
WATER_WINDOW_S = 12 * HOUR
WATER_MIN_L = 10.0  # 0.01 m³
DOOR_WINDOW_S = 24 * HOUR

WATER_12H = "water_12h"
DOOR_24H = "door_24h"


def water_12h(
    ev: ResidentEvents, *, start: int, end: int, windows: list[tuple[int, int]] | None = None
) -> np.ndarray:
    """Alert times of "under 10 L of water in 12 h" in [start, end), away mode held."""
    rows = (ev.kind == WATER) & (ev.delta > 0)
    when = ev.ts[rows]
    cum = np.concatenate([[0.0], np.cumsum(ev.delta[rows])])

    def used(t: np.ndarray) -> np.ndarray:
        hi = np.searchsorted(when, t, side="right")
        lo = np.searchsorted(when, t - WATER_WINDOW_S, side="right")
        return np.asarray(cum[hi] - cum[lo])

    # The trailing sum only changes at a use (up) or 12 h after one (down): walk those moments.
    # Walking from a day before ``start`` knows whether the rule had already fired then.
    first = start - 2 * WATER_WINDOW_S
    moments = np.unique(np.concatenate([when, when + WATER_WINDOW_S, [first]]))
    moments = moments[(moments >= first) & (moments < end)]
    low = used(moments) < WATER_MIN_L
    fired = []
    armed = True
    for t, is_low in zip(moments.tolist(), low.tolist(), strict=True):
        if is_low and armed:
            fired.append(t)
        armed = not is_low
    due = np.asarray(fired, dtype=np.int64)
    for lo, hi in windows or []:
        held = (due >= lo) & (due < hi)
        due[held] = hi
    due = due[(due >= start) & (due < end)]
    due = due[used(due) < WATER_MIN_L] if due.size else due
    return np.unique(due)


def door_24h(
    ev: ResidentEvents, *, start: int, end: int, windows: list[tuple[int, int]] | None = None
) -> np.ndarray:
    """Alert times of "no door event for 24 h" in [start, end), away mode held."""
    when = ev.ts[(ev.kind == DOOR_OPEN) | (ev.kind == DOOR_CLOSE)]
    if when.size == 0:
        return np.zeros(0, np.int64)
    due = when + DOOR_WINDOW_S
    nxt = np.append(when[1:], np.iinfo(np.int64).max)
    for lo, hi in windows or []:
        held = (due >= lo) & (due < hi)
        due[held] = hi
    due = due[due < nxt]
    return due[(due >= start) & (due < end)]
