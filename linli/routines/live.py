"""Synthetic lives on real homes: the pure half of ``linli simulate`` (no Django, no MQTT).

:func:`street_traces` runs the life model of :mod:`linli.routines.simulate` for a list of
:class:`Home` s (real residents with registered devices) and maps synthetic resident *i*
(``r0000i``, with devices ``r0000i-door``, ``-water``, ``-power``) onto home *i*: its resident
id, age and the external ids of its door sensor, water meter and power meter. The timeline
is a :class:`Window`: a history that is published as fast as possible, then a streamed part
that ends at ``end`` (normally "now"). :func:`inject_incident` adds a fall at a chosen
moment (from then on the home is silent until the end of the window, as in the life model),
and :func:`gateway_batches` cuts a time range of events into gateway messages of at most
:data:`BATCH_EVENTS` events in the payload of docs/devices.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from linli.routines.simulate import DAY, simulate
from linli.routines.traces import (
    CHINA,
    EVENT_KINDS,
    METER_KINDS,
    Away,
    Device,
    Events,
    Incident,
    Resident,
    Traces,
    format_time,
)

#: Events per gateway message (a typical gateway's batch size; docs/devices.md allows 1,000).
BATCH_EVENTS = 50
#: Synthetic device suffix (device order of :func:`linli.routines.simulate.simulate`) → kind.
SYNTHETIC_KINDS = ("door_sensor", "water_meter", "power_meter")
#: Longest event id the payload accepts (docs/devices.md).
MAX_EVENT_ID = 64


@dataclass(frozen=True)
class Home:
    """A real resident and their devices: ``devices`` as (external id, kind) pairs.

    ``gateway`` is the key id of the community's gateway and ``community`` its 12-digit code
    (together they make the MQTT topic). Needs one device of each :data:`SYNTHETIC_KINDS`;
    other devices (SOS button, smoke detector) are listed in traces but send nothing.
    """

    resident: str
    age: int
    community: str
    gateway: str
    devices: tuple[Device, ...]

    def device_of(self, kind: str) -> str:
        """The external id of this home's ``kind`` device. Raises ``KeyError`` if none."""
        for device in self.devices:
            if device.kind == kind:
                return device.device
        raise KeyError(kind)


@dataclass(frozen=True)
class Window:
    """``[start, split)`` is the history, ``[split, end)`` the streamed part (epoch seconds)."""

    start: int
    split: int
    end: int

    @classmethod
    def ending(cls, end: dt.datetime, *, days: int, stream_hours: float) -> Window:
        """``days`` of history ending ``stream_hours`` before ``end`` (aware), then the stream.

        Raises ``ValueError`` for a naive ``end``, ``days`` < 1 or ``stream_hours`` < 0.
        """
        if end.utcoffset() is None:
            raise ValueError("end must be timezone-aware")
        if days < 1 or stream_hours < 0:
            raise ValueError("days must be ≥ 1 and stream_hours ≥ 0")
        stop = math.floor(end.timestamp())
        split = stop - round(stream_hours * 3600)
        return cls(split - days * DAY, split, stop)


def street_traces(
    homes: list[Home], window: Window, *, seed: int, incident_rate: float = 0.003
) -> Traces:
    """The life model's traces for ``homes`` over ``window`` with the homes' ids and ages.

    Simulates whole local days from the day of ``window.start`` to the day of ``window.end``
    and keeps the events in ``[start, end)``; incidents starting outside the window are
    dropped, away entries are clipped to it. Event ids are :func:`event_id` (the same seed
    and window give the same ids, so publishing twice stores nothing twice). Raises
    ``ValueError`` without homes, ``KeyError`` for a home lacking one of
    :data:`SYNTHETIC_KINDS`, and as :func:`~linli.routines.simulate.simulate` does.
    """
    if not homes:
        raise ValueError("no homes to simulate")
    first = dt.datetime.fromtimestamp(window.start, CHINA).date()
    last = dt.datetime.fromtimestamp(window.end, CHINA).date()
    synthetic = simulate(
        residents=len(homes),
        days=(last - first).days + 1,
        seed=seed,
        incident_rate=incident_rate,
        start=first,
    )
    traces = _relabel(synthetic, homes)
    ev = traces.events
    keep = (ev.ts >= window.start) & (ev.ts < window.end)
    events = Events(ev.device[keep], ev.ts[keep], ev.kind[keep], ev.value[keep])
    names = traces.devices
    events.ids = [
        event_id(names[d], int(k), int(t))
        for d, k, t in zip(
            events.device.tolist(), events.kind.tolist(), events.ts.tolist(), strict=True
        )
    ]
    traces.events = events
    traces.incidents = [i for i in traces.incidents if window.start <= i.start < window.end]
    traces.away = [
        replace(a, start=max(a.start, window.start), end=min(a.end, window.end))
        for a in traces.away
        if a.end > window.start and a.start < window.end
    ]
    return traces


def event_id(device: str, kind: int, ts: int) -> str:
    """``sim-<device>-<kind>-<epoch s>``: unique in a trace folder (whose ids are global) and,
    as a payload id, at most 64 characters (a long device id is replaced by its hash)."""
    text = f"sim-{device}-{EVENT_KINDS[kind]}-{ts}"
    if len(text) > MAX_EVENT_ID:
        digest = hashlib.sha1(device.encode(), usedforsecurity=False).hexdigest()[:16]
        text = f"sim-{digest}-{EVENT_KINDS[kind]}-{ts}"
    return text


def _relabel(synthetic: Traces, homes: list[Home]) -> Traces:
    residents = [Resident(h.resident, h.age, True, h.devices) for h in homes]
    devices = [d.device for r in residents for d in r.devices]
    position = {name: i for i, name in enumerate(devices)}
    mapping = np.asarray(
        [position[h.device_of(kind)] for h in homes for kind in SYNTHETIC_KINDS], dtype=np.int32
    )
    by_id = {f"r{i:05d}": h.resident for i, h in enumerate(homes)}
    ev = synthetic.events
    return Traces(
        residents=residents,
        events=Events(mapping[ev.device], ev.ts, ev.kind, ev.value),
        away=[replace(a, resident=by_id[a.resident]) for a in synthetic.away],
        incidents=[replace(i, resident=by_id[i.resident]) for i in synthetic.incidents],
        devices=devices,
    )


def inject_incident(traces: Traces, resident: str, at: int) -> None:
    """A fall of ``resident`` at ``at`` (epoch s): their devices are silent from then on.

    Like the life model's incidents: no event of the resident's household devices from
    ``at`` to the end of the traces (the person is found after the window), an incident in
    ``traces.incidents``, and away entries beginning later removed (those running at ``at``
    end there — the person came home and fell). Modifies ``traces`` in place. Raises
    ``KeyError`` for an unknown resident.
    """
    index = next(i for i, r in enumerate(traces.residents) if r.resident == resident)
    owner = traces.device_owner()
    ev = traces.events
    keep = ~((owner[ev.device] == index) & (ev.ts >= at))
    ids = None if ev.ids is None else [i for i, k in zip(ev.ids, keep, strict=True) if k]
    traces.events = Events(ev.device[keep], ev.ts[keep], ev.kind[keep], ev.value[keep], ids)
    traces.away = [
        replace(a, end=min(a.end, at)) if a.resident == resident else a
        for a in traces.away
        if not (a.resident == resident and a.start >= at)
    ]
    traces.incidents = [i for i in traces.incidents if i.resident != resident or i.start < at]
    traces.incidents.append(Incident(resident, at))


def struck_before(traces: Traces, resident: str, at: int) -> bool:
    """Whether ``resident`` already had an incident before ``at`` (and so is silent then)."""
    return any(i.resident == resident and i.start <= at for i in traces.incidents)


def away_at(traces: Traces, resident: str, at: int) -> Away | None:
    """The away entry of ``resident`` covering ``at``, if any."""
    return next((a for a in traces.away if a.resident == resident and a.start <= at < a.end), None)


def pick_incidents(
    traces: Traces, window: Window, count: int, rng: np.random.Generator
) -> list[tuple[str, int]]:
    """``count`` (resident, moment) falls in the first half of the streamed part.

    The first half so that the platform has time to notice within the stream; residents who
    are away or already silent then are skipped. Fewer than ``count`` if too few qualify.
    """
    if window.end <= window.split:
        return []
    chosen: list[tuple[str, int]] = []
    for index in rng.permutation(len(traces.residents)).tolist():
        if len(chosen) == count:
            break
        resident = traces.residents[index].resident
        at = int(
            rng.integers(window.split, window.split + max(1, (window.end - window.split) // 2))
        )
        if away_at(traces, resident, at) is None and not struck_before(traces, resident, at):
            chosen.append((resident, at))
    return chosen


def gateway_batches(
    traces: Traces, homes: list[Home], lo: int, hi: int
) -> Iterator[tuple[Home, list[dict[str, Any]]]]:
    """Events with ``lo`` ≤ ts < ``hi`` as (a home of the gateway, payload items) messages.

    Grouped by gateway, in time order, at most :data:`BATCH_EVENTS` items per message; items
    are the event objects of docs/devices.md (``value`` only for meters, ``ts`` +08:00).
    """
    ev = traces.events
    owner = traces.device_owner()
    rows = np.nonzero((ev.ts >= lo) & (ev.ts < hi))[0]
    if not len(rows):
        return
    gateway_of = {h.gateway: h for h in homes}
    home_gateway = np.asarray([h.gateway for h in homes])
    gateways = home_gateway[owner[ev.device[rows]]]
    for key in sorted(set(gateways.tolist())):
        mine = rows[gateways == key]
        mine = mine[np.argsort(ev.ts[mine], kind="stable")]
        for chunk in range(0, len(mine), BATCH_EVENTS):
            yield (
                gateway_of[key],
                [_item(traces, int(r)) for r in mine[chunk : chunk + BATCH_EVENTS]],
            )


def _item(traces: Traces, row: int) -> dict[str, Any]:
    ev = traces.events
    code, ts = int(ev.kind[row]), int(ev.ts[row])
    kind, device = EVENT_KINDS[code], traces.devices[int(ev.device[row])]
    item: dict[str, Any] = {
        "event": ev.ids[row] if ev.ids is not None else event_id(device, code, ts),
        "device": device,
        "ts": format_time(ts),
        "kind": kind,
    }
    if kind in METER_KINDS:
        item["value"] = float(ev.value[row])
    return item
