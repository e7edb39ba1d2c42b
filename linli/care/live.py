"""Live alert evaluation: the device-ingestion hook, today's routine, the silence clock.

:func:`evaluate` is registered with :func:`linli.devices.ingest.on_stored` and runs after
each commit that stored new events, with the new rows ``(device id, event id, ts, kind,
value)``. It:

* opens an SOS or smoke alert at once for each such event (:func:`immediate_alerts`;
  keyed by device and event id, so a resent event alerts once);
* for devices of watched residents, turns meter readings into use with the meter's previous
  reading (:class:`~linli.care.models.MeterState`) and decides which events are signs of
  life with the same rules as the detector (:mod:`linli.routines.detector`: a door or motion
  event, ≥ 0.5 l of water, power above 1.25 × the learnt base load + 15 W);
* moves each watch's silence clock: ``due_at`` = last sign of life + the tolerated silence
  learnt for that half hour and for the class of the spell — "from the door" when the
  person may have gone out, as :func:`linli.routines.detector.door_step` tells it from the
  door state kept on the watch — held until the end of away mode
  (:func:`linli.routines.detector.live_due`);
* notes activity on an open silence alert (escalation then stops), ends away mode on a
  detected return (first sign of life after ≥ 6 quiet hours that began at most an hour
  before the announced start), and opens a ``water_running`` alert when a water meter has
  shown use in every report (at most 20 minutes apart) for 3 hours.

A meter reading older than the last one kept for that meter (a late event) is stored by the
ingestor but does not move live state. The batch's work is a handful of queries whatever
its size. :func:`routine_learn` is the nightly part: it fits the tolerances from the last
four weeks of events (``DetectorConfig.history_days``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from linli.care.models import (
    OPEN_STATUSES,
    AlertKind,
    AlertStep,
    AwayEnd,
    AwayPeriod,
    CareAlert,
    MeterState,
    StepAction,
    Watch,
)
from linli.devices.ingest import Row, on_stored
from linli.devices.models import Device, DeviceEvent, DeviceKind, EventKind
from linli.routines import detector
from linli.routines.traces import KIND_CODE, ResidentEvents

log = logging.getLogger("linli.care")

CFG = detector.DetectorConfig()
CACHE_SECONDS = 30.0
DOOR_KINDS = {EventKind.DOOR_OPEN, EventKind.DOOR_CLOSE}
ALWAYS_ALIVE = DOOR_KINDS | {EventKind.MOTION, EventKind.SOS, EventKind.SMOKE}
URGENT_KINDS: dict[str, str] = {EventKind.SOS: AlertKind.SOS, EventKind.SMOKE: AlertKind.SMOKE}

_cache: dict[str, object] = {"at": 0.0, "map": {}}


def cache_clear() -> None:
    """Forget the watched-device map (after a watch or device changes in this process)."""
    _cache["at"] = 0.0


def watched_devices_q() -> Q:
    """Devices that speak for a watched resident: bound to the resident, or to their
    household without a resident (building door readers, shared by all, never count)."""
    return (
        Q(active=True)
        & ~Q(kind=DeviceKind.DOOR_ACCESS)
        & (
            Q(resident__watch__active=True)
            | Q(resident__isnull=True, household__members__watch__active=True)
        )
    )


def _watched_devices() -> dict[int, int]:
    """device id → watched resident id, cached for :data:`CACHE_SECONDS`."""
    if time.monotonic() - float(_cache["at"]) > CACHE_SECONDS:  # type: ignore[arg-type]
        rows = Device.objects.filter(watched_devices_q()).values_list(
            "pk", "resident_id", "household__members__id", "household__members__watch__active"
        )
        mapping: dict[int, int] = {}
        for pk, resident_id, member_id, member_watched in rows:
            if resident_id is not None:
                mapping[pk] = resident_id
            elif member_watched:
                mapping[pk] = member_id
        _cache["map"], _cache["at"] = mapping, time.monotonic()
    return _cache["map"]  # type: ignore[return-value]


# --------------------------------------------------------------------------- the hook


@on_stored
def evaluate(rows: list[Row]) -> None:
    """The ``on_stored`` hook (see the module docstring)."""
    urgent = [r for r in rows if r[3] in URGENT_KINDS]
    if urgent:
        immediate_alerts(urgent)
    devmap = _watched_devices()
    mine = [r for r in rows if r[0] in devmap]
    if mine:
        signs_apply(mine, devmap)


def immediate_alerts(rows: Iterable[Row]) -> list[CareAlert]:
    """An SOS or smoke alert for each row (none twice for the same device and event id)."""
    from linli.care.services import alert_open

    rows = list(rows)
    devices = Device.objects.select_related("household__building", "resident__area").in_bulk(
        {r[0] for r in rows}
    )
    keys = {f"{r[0]}:{r[1]}" for r in rows}
    seen = set(CareAlert.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
    out = []
    for device_id, event_id, ts, kind, _value in rows:
        key = f"{device_id}:{event_id}"
        device = devices.get(device_id)
        if key in seen or device is None or kind not in URGENT_KINDS:
            continue
        seen.add(key)
        with transaction.atomic():
            alert = alert_open(
                kind=URGENT_KINDS[kind],
                household=device.household,
                resident=device.resident,
                raised_at=ts,
                source_key=key,
                detail=f"{device.get_kind_display()}（{device.external_id}）"
                f"{timezone.localtime(ts):%m-%d %H:%M:%S} 报警",
            )
        if alert is not None:
            out.append(alert)
    return out


@transaction.atomic
def signs_apply(rows: list[Row], devmap: dict[int, int]) -> None:
    """Move the live state of the watched residents these rows belong to."""
    from linli.care.services import alert_open

    residents = {devmap[r[0]] for r in rows}
    watches = {
        w.resident_id: w
        for w in Watch.objects.select_for_update()
        .filter(resident_id__in=residents, active=True)
        .only(*CLOCK_FIELDS, "resident_id", "active", "base_load_w", "tolerance")
    }
    meter_ids = {r[0] for r in rows if r[3] in (EventKind.WATER, EventKind.POWER)}
    states = {s.device_id: s for s in MeterState.objects.filter(device_id__in=meter_ids)}
    touched: set[int] = set()
    signs: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    running: list[tuple[int, int, dt.datetime]] = []
    for device_id, _eid, ts, kind, value in sorted(rows, key=lambda r: r[2]):
        rid = devmap[device_id]
        watch = watches.get(rid)
        if watch is None:
            continue
        alive = kind in ALWAYS_ALIVE
        if kind in (EventKind.WATER, EventKind.POWER) and value is not None:
            state = states.get(device_id)
            if state is None:
                states[device_id] = MeterState(device_id=device_id, ts=ts, value=value)
                touched.add(device_id)
                continue
            if ts <= state.ts:
                continue
            delta, elapsed = value - state.value, (ts - state.ts).total_seconds()
            state.ts, state.value = ts, value
            touched.add(device_id)
            if kind == EventKind.WATER:
                alive = delta >= CFG.water_min_l
                if delta > 0 and elapsed <= CFG.water_gap_s:
                    since = state.running_since or ts - dt.timedelta(seconds=elapsed)
                    state.running_since = since
                    long_enough = (ts - since).total_seconds() >= CFG.water_running_s
                    if long_enough and not state.running_alerted:
                        state.running_alerted = True
                        running.append((rid, device_id, ts))
                else:
                    state.running_since, state.running_alerted = None, False
            else:
                base = watch.base_load_w
                rate = delta / elapsed * 3600 if elapsed > 0 else 0.0
                alive = base is not None and rate > base * CFG.power_factor + CFG.power_extra_w
        if alive:
            signs[rid].append((ts, kind))
    if touched:
        meters_save([states[d] for d in touched])
    changed = _move_clocks(watches, signs)
    if changed:
        clocks_save(changed)
    for rid, device_id, ts in running:
        watch = watches[rid]
        alert_open(
            kind=AlertKind.WATER_RUNNING,
            resident=watch.resident,
            household=watch.resident.household,  # type: ignore[arg-type]
            raised_at=ts,
            source_key=f"water:{device_id}:{int(ts.timestamp())}",
            detail="水表连续 3 小时以上每次上报都有用水，可能是水龙头未关或漏水",
        )


CLOCK_FIELDS = (
    "last_sign_at",
    "last_sign_kind",
    "last_door_at",
    "due_at",
    "last_sign_from_door",
    "door_leaving",
    "door_home_since",
)


def clocks_save(watches: list[Watch]) -> None:
    """Write the live clock fields of many watches in one statement (PostgreSQL: an
    ``UPDATE … FROM unnest(…)``; SQLite: ``executemany``). Django's ``bulk_update`` builds
    a ``CASE`` per field and row and cost more than the events' insert itself."""
    table = Watch._meta.db_table
    values = [[getattr(w, f) for f in CLOCK_FIELDS] + [w.pk] for w in watches]
    types = (
        "timestamptz[]",
        "text[]",
        "timestamptz[]",
        "timestamptz[]",
        "boolean[]",
        "boolean[]",
        "boolean[]",
        "bigint[]",
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [*CLOCK_FIELDS, "id"]
            unnest = ", ".join(f"%s::{t}" for t in types)
            sets = ", ".join(f"{f} = v.{f}" for f in CLOCK_FIELDS)
            cursor.execute(
                f"UPDATE {table} AS w SET {sets} FROM unnest({unnest}) "
                f"AS v({', '.join(names)}) WHERE w.id = v.id",
                [list(c) for c in zip(*values, strict=True)],
            )
        else:
            when = connection.ops.adapt_datetimefield_value
            sets = ", ".join(f"{f} = %s" for f in CLOCK_FIELDS)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",
                [[when(v) if isinstance(v, dt.datetime) else v for v in row] for row in values],
            )


def meters_save(states: list[MeterState]) -> None:
    """Insert or update many meter states in one statement (PostgreSQL: ``INSERT … SELECT
    unnest(…) ON CONFLICT DO UPDATE``; elsewhere Django's ``bulk_create`` upsert)."""
    if connection.vendor != "postgresql":
        MeterState.objects.bulk_create(
            states,
            update_conflicts=True,
            unique_fields=["device"],
            update_fields=["ts", "value", "running_since", "running_alerted"],
        )
        return
    rows = [(s.device_id, s.ts, s.value, s.running_since, s.running_alerted) for s in states]
    table = MeterState._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (device_id, ts, value, running_since, running_alerted) "
            "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::float8[], "
            "%s::timestamptz[], %s::boolean[]) "
            "ON CONFLICT (device_id) DO UPDATE SET ts = EXCLUDED.ts, value = EXCLUDED.value, "
            "running_since = EXCLUDED.running_since, running_alerted = EXCLUDED.running_alerted",
            [list(c) for c in zip(*rows, strict=True)],
        )


def _move_clocks(
    watches: dict[int, Watch], signs: dict[int, list[tuple[dt.datetime, str]]]
) -> list[Watch]:
    if not signs:
        return []
    aways: dict[int, list[AwayPeriod]] = defaultdict(list)
    for away in AwayPeriod.objects.filter(resident_id__in=list(signs), ended_at__isnull=True):
        aways[away.resident_id].append(away)
    open_silence = {
        a.resident_id: a
        for a in CareAlert.objects.filter(
            resident_id__in=list(signs),
            kind=AlertKind.SILENCE,
            status__in=OPEN_STATUSES,
            activity_at__isnull=True,
        )
    }
    changed = []
    for rid, found in signs.items():
        watch = watches[rid]
        state = detector.DoorState(
            _seconds(watch.last_door_at), watch.door_leaving, watch.door_home_since
        )
        for ts, kind in found:
            previous = watch.last_sign_at
            if previous is not None and ts <= previous:
                continue
            for away in aways[rid]:
                if _is_return(away, previous, ts):
                    away.ended_at, away.end_reason = ts, AwayEnd.RETURNED
                    away.save(update_fields=["ended_at", "end_reason", "updated_at"])
            alert = open_silence.get(rid)
            if alert is not None and alert.silent_since is not None and ts > alert.silent_since:
                alert.activity_at = ts
                alert.save(update_fields=["activity_at", "updated_at"])
                AlertStep.objects.create(
                    alert=alert,
                    action=StepAction.ACTIVITY,
                    at=ts,
                    note=f"{EventKind(kind).label}（{timezone.localtime(ts):%m-%d %H:%M}）",
                )
                del open_silence[rid]
            state, from_door = detector.door_step(state, int(ts.timestamp()), KIND_CODE[kind], CFG)
            watch.last_sign_at, watch.last_sign_kind = ts, kind
            watch.last_sign_from_door = bool(from_door)
        if state.last_door is not None:
            watch.last_door_at = dt.datetime.fromtimestamp(state.last_door, tz=dt.UTC)
        watch.door_leaving, watch.door_home_since = state.leaving, state.home_since
        watch.due_at = due_at(watch, [a for a in aways[rid] if a.ended_at is None])
        changed.append(watch)
    return changed


def _seconds(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _is_return(away: AwayPeriod, previous: dt.datetime | None, ts: dt.datetime) -> bool:
    if away.ended_at is not None or previous is None or not away.starts_at <= ts < away.ends_at:
        return False
    quiet = (ts - previous).total_seconds()
    return previous >= away.starts_at - dt.timedelta(hours=1) and quiet >= CFG.return_gap_s


# --------------------------------------------------------------------------- the clock


def tolerance_array(watch: Watch) -> np.ndarray | None:
    """The learnt routine as a (2, BINS) array of seconds, or None before it is learnt."""
    if not watch.tolerance:
        return None
    rows = [[CFG.cap_s if v is None else v for v in row] for row in watch.tolerance]
    return np.asarray(rows, dtype=float)


def due_at(watch: Watch, aways: Iterable[AwayPeriod]) -> dt.datetime | None:
    """When the current silence becomes an alert (:func:`linli.routines.detector.live_due`):
    last sign + the tolerated silence for its class and half hour (12 h before a routine is
    learnt), held to the end of any away period not yet ended that covers that moment.
    None before any sign of life."""
    if watch.last_sign_at is None or not watch.active:
        return None
    windows = [
        (int(a.starts_at.timestamp()), int((a.ended_at or a.ends_at).timestamp())) for a in aways
    ]
    table = tolerance_array(watch)
    if table is None:
        table = np.full((2, detector.BINS), CFG.cap_s)
    due = detector.live_due(
        int(watch.last_sign_at.timestamp()), watch.last_sign_from_door, table, CFG, away=windows
    )
    return dt.datetime.fromtimestamp(due, tz=dt.UTC)


def watch_refresh_due(*, resident_id: int) -> None:
    """Recompute one resident's ``due_at`` (after away mode or the routine changed)."""
    watch = Watch.objects.select_for_update().filter(resident_id=resident_id).first()
    if watch is None:
        return
    watch.due_at = _due_unless_alerted(watch)
    watch.save(update_fields=["due_at"])


def _due_unless_alerted(watch: Watch) -> dt.datetime | None:
    """:func:`due_at`, or None when the current silence already had its alert (one per
    spell, whatever became of it)."""
    alerted = CareAlert.objects.filter(
        resident_id=watch.resident_id, kind=AlertKind.SILENCE, silent_since=watch.last_sign_at
    ).exists()
    if alerted:
        return None
    return due_at(
        watch, AwayPeriod.objects.filter(resident_id=watch.resident_id, ended_at__isnull=True)
    )


# --------------------------------------------------------------------------- learning


def resident_events(rows: Iterable[tuple[int, dt.datetime, str, float | None]]) -> ResidentEvents:
    """Build the detector's input from DB rows ``(device id, ts, kind, value)`` ordered by
    device then time: per-meter increments and elapsed seconds (NaN for a first reading)."""
    dev, ts, kind, value = [], [], [], []
    for d, t, k, v in rows:
        dev.append(d)
        ts.append(int(t.timestamp()))
        kind.append(KIND_CODE[k])
        value.append(math.nan if v is None else v)
    d_a, t_a = np.asarray(dev, np.int64), np.asarray(ts, np.int64)
    v_a = np.asarray(value, float)
    same = np.zeros(len(ts), bool)
    same[1:] = d_a[1:] == d_a[:-1]
    delta = np.full(len(ts), np.nan)
    elapsed = np.full(len(ts), np.nan)
    delta[1:] = v_a[1:] - v_a[:-1]
    elapsed[1:] = (t_a[1:] - t_a[:-1]).astype(float)
    delta[~same], elapsed[~same] = np.nan, np.nan
    order = np.argsort(t_a, kind="stable")
    return ResidentEvents(
        t_a[order], np.asarray(kind, np.int8)[order], v_a[order], delta[order], elapsed[order]
    )


def _plain(values: np.ndarray) -> list:
    """NumPy → JSON-safe lists (NaN and infinities become None)."""
    return [
        _plain(v)
        if isinstance(v, np.ndarray)
        else (None if not math.isfinite(v) else round(float(v), 3))
        for v in values
    ]


@transaction.atomic
def routine_learn(watch: Watch, *, now: dt.datetime) -> Watch:
    """Fit ``watch``'s routine for today from its events of the last ``history_days`` days
    before today (local dates): tolerance table (2 × 48 s), weekly profile (3 × 168), base
    load (W). With fewer than ``learn_days`` days of events the table stays empty (the
    12-hour outer limit applies). A quiet spell already running keeps the due time its own
    day's routine gave it, as in the detector — except when this is the first routine."""
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=CFG.history_days)
    origin_dt = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    origin = int(origin_dt.timestamp())
    days = CFG.history_days + 1
    devices = list(
        Device.objects.filter(watched_devices_q())
        .filter(
            Q(resident=watch.resident) | Q(resident__isnull=True, household__members=watch.resident)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    rows = (
        DeviceEvent.objects.filter(device_id__in=devices, ts__gte=origin_dt, ts__lt=now)
        .order_by("device_id", "ts")
        .values_list("device_id", "ts", "kind", "value")
    )
    ev = resident_events(rows)
    if ev.ts.size:  # day 0 is the first day with events, as for the detector on a trace
        start = timezone.localdate(dt.datetime.fromtimestamp(int(ev.ts.min()), tz=dt.UTC))
        if start > first:
            origin = int(timezone.make_aware(dt.datetime.combine(start, dt.time())).timestamp())
            days = (today - start).days + 1
    day_of = (ev.ts - origin) // detector.DAY
    seen_days = int(np.unique(day_of[day_of < days - 1]).size)
    away = [
        (int(a.starts_at.timestamp()), int((a.ended_at or a.ends_at).timestamp()))
        for a in AwayPeriod.objects.filter(resident=watch.resident, ends_at__gte=origin_dt)
    ]
    table = detector.tolerance_table(ev, origin=origin, day=days - 1, away=away, cfg=CFG)
    first_routine = not watch.tolerance
    watch.tolerance = _plain(table) if seen_days >= CFG.learn_days else []
    watch.profile = _plain(
        detector.routine_profile(ev, origin=origin, before_day=days - 1, cfg=CFG)
    )
    base = detector.power_baselines(ev, origin, days, CFG)[days - 1] if ev.ts.size else math.nan
    watch.base_load_w = None if not math.isfinite(base) else float(base)
    watch.routine_days = seen_days
    watch.routine_learnt_at = now
    if first_routine:  # a spell is judged by the routine of its day (or the first one)
        watch.due_at = _due_unless_alerted(watch)
    watch.save()
    return watch
