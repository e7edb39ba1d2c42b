"""Hand-made traces for the routine tests: one resident, a regular day, and edits to it."""

from __future__ import annotations

import datetime as dt

import numpy as np

from linli.routines.traces import (
    CHINA,
    KIND_CODE,
    Device,
    Events,
    Resident,
    ResidentEvents,
    Traces,
    split_by_resident,
)

ORIGIN = int(dt.datetime(2026, 3, 2, tzinfo=CHINA).timestamp())  # a Monday, 00:00 +08:00
HOUR = 3600
DAY = 86400
DEVICES = {
    "door_open": 0,
    "door_close": 0,
    "water": 1,
    "power": 2,
    "sos": 3,
    "smoke": 4,
    "motion": 5,
}
RESIDENT = Resident(
    "张奶奶",
    82,
    True,
    (
        Device("door-1", "door_sensor"),
        Device("water-1", "water_meter"),
        Device("power-1", "power_meter"),
        Device("sos-1", "sos_button"),
        Device("smoke-1", "smoke_detector"),
        Device("motion-1", "motion"),
    ),
)


def at(day: int, hour: float) -> int:
    """Seconds since the epoch of ``hour`` o'clock (Beijing) on trace day ``day``."""
    return ORIGIN + day * DAY + int(hour * HOUR)


def regular_day(day: int) -> list[tuple[int, str]]:
    """Water at 7:00 and every two hours to 21:00 and at 22:00; out from 9:30 to 10:30;
    meals cooked at 7–8, 11–12 and 17–18 (power)."""
    moments = [(at(day, h), "water") for h in (7, 9, 11, 13, 15, 17, 19, 21, 22)]
    moments += [(at(day, 9.5), "door_open"), (at(day, 9.5) + 20, "door_close")]
    moments += [(at(day, 10.5), "door_open"), (at(day, 10.5) + 20, "door_close")]
    return moments


def build(
    moments: list[tuple[int, str]],
    *,
    days: int,
    cooking: tuple[int, ...] = (8, 12, 18),
    cooks_until: int | None = None,
    away: tuple[int, int] | None = None,
) -> Traces:
    """Events from (time, kind) pairs; water adds 6 L per use; the power meter reads every
    hour with 40 Wh of base load plus 500 Wh in the hours ending at ``cooking`` o'clock —
    until ``cooks_until`` (default: the last of ``moments``) and not while ``away``; the base
    load never stops."""
    if cooks_until is None:
        cooks_until = max(ts for ts, _ in moments)
    rows: list[tuple[int, int, int, float]] = []
    litres = 1000.0
    for ts, kind in sorted(moments):
        value = np.nan
        if kind == "water":
            litres += 6
            value = litres
        rows.append((DEVICES[kind], ts, KIND_CODE[kind], value))
    energy = 5000.0
    for hour in range(1, days * 24 + 1):
        ts = ORIGIN + hour * HOUR
        cooks = hour % 24 in cooking and ts <= cooks_until
        if away is not None and away[0] <= ts < away[1]:
            cooks = False
        energy += 40 + (500 if cooks else 0)
        rows.append((2, ts, KIND_CODE["power"], energy))
    arr = np.asarray(rows, dtype=float).reshape(-1, 4)
    events = Events(
        arr[:, 0].astype(np.int32),
        arr[:, 1].astype(np.int64),
        arr[:, 2].astype(np.int8),
        arr[:, 3],
    )
    return Traces([RESIDENT], events)


def series(traces: Traces) -> ResidentEvents:
    return split_by_resident(traces)[0]
