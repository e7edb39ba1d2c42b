"""The production path raises the alerts the benchmarked detector raises.

A few simulated lives (:func:`linli.routines.simulate.simulate`) go through the real
ingestion (:func:`linli.devices.ingest.ingest`, the care hook after each commit), the
nightly routine learning and the sweep — driven by the scenario's clock, the sweep run at
each moment a silence falls due — and the silence alerts opened in the database are compared
with those :func:`linli.routines.detector.detect` finds on the same traces.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.db.models import Min

from linli.care import services
from linli.care.models import AlertKind, AwayPeriod, CareAlert, Watch
from linli.devices.ingest import ingest
from linli.devices.services import device_register
from linli.routines import detector
from linli.routines.bench import _origin
from linli.routines.simulate import simulate
from linli.routines.traces import EVENT_KINDS, split_by_resident
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

DAY = detector.DAY


def _at(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


def test_live_path_raises_the_detectors_silence_alerts(
    areas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    traces = simulate(residents=12, days=14, seed=5, incident_rate=0.05)
    origin, days = _origin(traces)
    cfg = detector.DetectorConfig()
    ids: dict[str, int] = {}  # trace resident → database resident
    for person in traces.residents:
        household = HouseholdFactory(building=BuildingFactory(micro_grid=areas["micro_grid"]))
        resident = ResidentFactory(household=household, living_alone=True)
        ids[person.resident] = resident.pk
        for device in person.devices:
            device_register(
                kind=device.kind,
                household=household,
                resident=resident,
                vendor="sim",
                external_id=device.device,
            )
    services.watches_sync()
    for away in traces.away:
        if away.announced:
            AwayPeriod.objects.create(
                resident_id=ids[away.resident], starts_at=_at(away.start), ends_at=_at(away.end)
            )

    ev = traces.events
    order = np.argsort(ev.ts, kind="stable")
    items = [
        {
            "event": f"{traces.devices[int(ev.device[r])]}-{r}",
            "device": traces.devices[int(ev.device[r])],
            "ts": _at(int(ev.ts[r])).isoformat(),
            "kind": EVENT_KINDS[int(ev.kind[r])],
            **({"value": float(ev.value[r])} if not np.isnan(ev.value[r]) else {}),
        }
        for r in order.tolist()
    ]
    times = ev.ts[order]
    cursor = 0

    def ingest_upto(limit: int) -> None:
        nonlocal cursor
        stop = int(np.searchsorted(times, limit, side="right"))
        for lo in range(cursor, stop, 2000):
            chunk = items[lo : min(stop, lo + 2000)]
            with django_capture_on_commit_callbacks(execute=True):
                ingest(chunk, channel="http", source="sim", now=_at(limit + 60))
        cursor = max(cursor, stop)

    def next_due() -> int | None:
        due = Watch.objects.filter(active=True).aggregate(m=Min("due_at"))["m"]
        return None if due is None else int(due.timestamp())

    clock, learnt = origin, -1
    while clock < origin + days * DAY:
        day = (clock - origin) // DAY
        if day != learnt:
            services.routines_learn(now=_at(origin + day * DAY), force=True)
            learnt = day
        limit = min(origin + (day + 1) * DAY - 1, clock + 3600)
        due = next_due()
        if due is not None and due <= limit:
            ingest_upto(due)
            if next_due() == due:
                services.care_sweep(now=_at(due))
            clock = max(clock, due)
            continue
        ingest_upto(limit)
        clock = limit + 1

    start = origin + cfg.learn_days * DAY
    live = {
        (a.resident_id, int(a.raised_at.timestamp()))
        for a in CareAlert.objects.filter(kind=AlertKind.SILENCE, raised_at__gte=_at(start))
    }
    expected = set()
    for person, events in zip(traces.residents, split_by_resident(traces), strict=True):
        away = [
            (a.start, a.end) for a in traces.away if a.announced and a.resident == person.resident
        ]
        for alert in detector.detect(
            person.resident, events, origin=origin, days=days, away=away, cfg=cfg
        ):
            if alert.kind == detector.SILENCE:
                expected.add((ids[person.resident], alert.ts))
    assert len(expected) >= 8, "the scenario should contain silence alerts to compare"
    one_per_spell = CareAlert.objects.filter(kind=AlertKind.SILENCE).values_list(
        "resident_id", "silent_since"
    )
    assert len(set(one_per_spell)) == len(one_per_spell)
    if live != expected:
        _debug(traces, ids, live, expected, origin, days)
    assert live == expected


def _debug(traces: Any, ids: dict, live: set, expected: set, origin: int, days: int) -> None:
    """On failure: print each differing alert with the signs of life around it."""
    cfg = detector.DetectorConfig()
    back = {v: k for k, v in ids.items()}
    for person, events in zip(traces.residents, split_by_resident(traces), strict=True):
        rid = ids[person.resident]
        mine_l = sorted(t for r, t in live - expected if r == rid)
        mine_e = sorted(t for r, t in expected - live if r == rid)
        if not (mine_l or mine_e):
            continue
        times, flags = detector.activity(events, origin, days, cfg)
        for a in CareAlert.objects.filter(resident_id=rid, kind="silence"):
            print(
                "live alert",
                back[rid],
                int(a.raised_at.timestamp()),
                "since",
                int(a.silent_since.timestamp()),
            )
        for t in mine_e:
            i = int(np.searchsorted(times, t)) - 1
            print(
                "expected",
                t,
                "last sign",
                int(times[i]),
                "flag",
                bool(flags[i]),
                "kinds near",
                [
                    (int(x), int(k))
                    for x, k in zip(events.ts, events.kind, strict=True)
                    if times[i] - 3600 <= x <= times[i] + 60
                ],
            )
