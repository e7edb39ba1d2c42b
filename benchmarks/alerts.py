"""Proactive-care benchmark: (a) device-event ingestion through MQTT, (b) detection quality.

Run as ``linli bench alerts``. Writes ``var/bench/alerts.json`` as
``{"ingest": {...}, "detection": {...}}`` (issue 5).

(a) Ingestion — :func:`measure_ingest`. Works in a THROWAWAY database created the way
Django's test runner does it (as ``benchmarks/import.py``) and a throwaway Mosquitto
(:class:`linli.devices.brokers.ThrowawayBroker`, the configuration docs/devices.md
recommends) unless ``LINLI_BENCH_MQTT_URL`` names a broker. 1,000 households with a door
sensor, a water meter and a power meter (3,000 devices). A publisher in its own process (as
a gateway would be) sends ``BATCHED_EVENTS`` events in messages of 50 to gateway topics, then
``SINGLE_EVENTS`` events one per message to device topics, at QoS 1 as fast as the broker
takes them; the ingestor (:class:`linli.devices.mqtt.Ingestor`, the code behind
``linli ingest``) runs in this process. Time runs from the first publish until the last
event is committed and its alert evaluation has finished. Baseline in the same run:
``bulk_create`` of the same rows into the emptied table. Figures: ``events_per_s``
(batched), ``single_events_per_s``,
``backlog_single_events_per_s`` (one event per message again, but published while the
ingestor is away and then drained: the ingestor's own rate, not the test publisher's),
``raw_insert_events_per_s``, ``ratio = events_per_s / raw_insert_events_per_s``, the
target (10,000 events/s batched) and whether it was met. Alert evaluation is part of the
measured path (``alert_evaluation: true``): each household has a resident living alone under
watch, and the care hook (:func:`linli.care.live.evaluate`) runs in the ingestor after each
commit — meter readings become use, signs of life move the silence clocks (the raw-insert
baseline does none of this).

(b) Detection — added by the routines work (``linli/routines``); see the marked place in
:func:`run`.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import OutputWrapper
from django.db import connection

HOUSEHOLDS = 1_000
BATCH_SIZE = 50
BATCHED_EVENTS = 100_000
SINGLE_EVENTS = 20_000
TARGET_EVENTS_PER_S = 10_000
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _registry() -> tuple[Any, Any, list[Any]]:
    """A community with HOUSEHOLDS households, each with three devices; one gateway."""
    from linli.devices.models import Device, DeviceKind
    from linli.devices.services import gateway_create
    from linli.places.models import Building, Household
    from linli.testing.factories import area_chain

    chain = area_chain("640106097", name="基准")
    buildings = Building.objects.bulk_create(
        Building(micro_grid=chain["micro_grid"], name=f"{b + 1}号楼", kind="residential")
        for b in range(HOUSEHOLDS // 50)
    )
    households = Household.objects.bulk_create(
        Household(building=buildings[h // 50], unit="1单元", room=f"{h % 50 + 101}")
        for h in range(HOUSEHOLDS)
    )
    gateway, _ = gateway_create(area=chain["community"], name="基准网关", key_id="bench-gw")
    kinds = [DeviceKind.DOOR_SENSOR, DeviceKind.WATER_METER, DeviceKind.POWER_METER]
    devices = Device.objects.bulk_create(
        Device(
            kind=kind,
            household=household,
            building=household.building,
            vendor="bench",
            external_id=f"{kind[:2].upper()}-{h:05d}",
            gateway=gateway,
        )
        for h, household in enumerate(households)
        for kind in kinds
    )
    from linli.care.services import watches_sync
    from linli.testing.factories import ResidentFactory

    for h, household in enumerate(households):
        resident = ResidentFactory(
            household=household,
            area=chain["micro_grid"],
            name=f"基准居民{h}",
            birth_date=dt.date(1945, 1, 1) + dt.timedelta(days=h),
            living_alone=True,
        )
        Device.objects.filter(household=household).update(resident=resident)
    watches_sync()
    return chain["community"], gateway, devices


def _events(devices: list[Any], count: int, prefix: str) -> list[dict[str, Any]]:
    """``count`` events spread over the devices, one minute apart per device, meters rising."""
    kinds = {"door_sensor": "door_open", "water_meter": "water", "power_meter": "power"}
    items = []
    for n in range(count):
        device = devices[n % len(devices)]
        kind = kinds[device.kind]
        ts = START + dt.timedelta(minutes=n // len(devices), seconds=n % 60)
        item: dict[str, Any] = {
            "event": f"{prefix}{n}",
            "device": device.external_id,
            "ts": ts.isoformat(),
            "kind": kind,
        }
        if kind != "door_open":
            item["value"] = float(n)
        items.append(item)
    return items


def _publish(url: str, messages: list[tuple[str, bytes]], ready: Any) -> None:
    """In a child process: publish every message at QoS 1 and wait for the broker's acks."""
    import paho.mqtt.client as paho

    from linli.devices.mqtt import parse_mqtt_url

    target = parse_mqtt_url(url)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(target.host, target.port, keepalive=60)
    client.loop_start()
    ready.wait()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def _evaluated(ingestor: Any) -> None:
    """Wait until the alert evaluation of everything committed has finished too."""
    while not ingestor.evaluated():
        time.sleep(0.002)


def _stream(url: str, ingestor: Any, messages: list[tuple[str, bytes]], events: int) -> float:
    """Seconds from the first publish until ``events`` more events are committed."""
    target = ingestor.totals.stored + events
    done = threading.Event()
    ingestor.on_written = lambda _results: done.set() if ingestor.totals.stored >= target else None
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    publisher = context.Process(target=_publish, args=(url, messages, ready))
    publisher.start()
    time.sleep(0.5)  # the publisher is connected
    started = time.perf_counter()
    ready.set()
    if not done.wait(600):
        raise RuntimeError(f"only {ingestor.totals.stored} of {target} events stored in 600 s")
    _evaluated(ingestor)
    elapsed = time.perf_counter() - started
    publisher.join(60)
    return elapsed


def _backlog(url: str, ingestor: Any, messages: list[tuple[str, bytes]], events: int) -> float:
    """Publish while ``ingestor`` is not running (its persistent session queues the messages at
    the broker), then seconds from its start until ``events`` are committed: the ingestor's
    own rate for one event per message, with no live publisher to wait for."""
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    ready.set()
    publisher = context.Process(target=_publish, args=(url, messages, ready))
    publisher.start()
    publisher.join(600)
    done = threading.Event()
    ingestor.on_written = lambda _results: done.set() if ingestor.totals.stored >= events else None
    started = time.perf_counter()
    ingestor.start()
    if not done.wait(600):
        raise RuntimeError(f"only {ingestor.totals.stored} of {events} queued events stored")
    _evaluated(ingestor)
    return time.perf_counter() - started


def _raw_insert_seconds(rows: list[tuple[int, str, dt.datetime, str, float | None]]) -> float:
    """Seconds to ``bulk_create`` the same rows (1,000 a statement) into the emptied table."""
    from linli.devices.models import DeviceEvent

    DeviceEvent.objects.all().delete()
    now = dt.datetime.now(dt.UTC)
    objects = [
        DeviceEvent(device_id=d, event_id=e, ts=ts, kind=k, value=v, received_at=now)
        for d, e, ts, k, v in rows
    ]
    started = time.perf_counter()
    DeviceEvent.objects.bulk_create(objects, batch_size=1000)
    return time.perf_counter() - started


def measure_ingest(stdout: OutputWrapper) -> dict[str, Any]:
    """The ingestion half of the benchmark (see the module docstring); needs a database."""
    from linli.care.live import cache_clear as care_cache_clear
    from linli.devices.brokers import ThrowawayBroker
    from linli.devices.ingest import device_cache
    from linli.devices.models import DeviceEvent
    from linli.devices.mqtt import Ingestor
    from linli.devices.partitions import partitions_ensure

    community, gateway, devices = _registry()
    partitions_ensure([START.date()])
    by_external = {d.external_id: d for d in devices}
    batched = _events(devices, BATCHED_EVENTS, "b")
    single = _events(devices, SINGLE_EVENTS, "s")
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    gateway_topic = f"{prefix}/{community.code}/gateway/{gateway.key_id}"
    batched_messages = [
        (gateway_topic, json.dumps(batched[i : i + BATCH_SIZE]).encode())
        for i in range(0, len(batched), BATCH_SIZE)
    ]
    single_messages = [
        (f"{prefix}/{community.code}/{item['device']}/events", json.dumps(item).encode())
        for item in single
    ]
    backlog_messages = [
        (f"{prefix}/{community.code}/{item['device']}/events", json.dumps(item).encode())
        for item in _events(devices, SINGLE_EVENTS, "q")
    ]
    broker = None
    url = os.environ.get("LINLI_BENCH_MQTT_URL", "")
    if not url:
        broker = ThrowawayBroker()
        broker.start()
        url = broker.url
    device_cache.clear()
    care_cache_clear()
    ingestor = Ingestor(url, client_id=f"bench-ingest-{uuid.uuid4().hex[:6]}", prefix=prefix)
    ingestor.start()
    try:
        if not ingestor.subscribed.wait(10):
            raise RuntimeError(f"the ingestor did not subscribe at {url}")
        stdout.write(f"批量：{len(batched_messages)} 条消息 × {BATCH_SIZE} 个事件 …")
        batched_s = _stream(url, ingestor, batched_messages, BATCHED_EVENTS)
        batched_writes, batched_write_s = ingestor.writes, ingestor.write_seconds
        stdout.write(f"逐条：{len(single_messages)} 条消息 × 1 个事件 …")
        single_s = _stream(url, ingestor, single_messages, SINGLE_EVENTS)
        backlog_s = None
        if broker is not None:  # needs max_queued_messages 0 (a shared broker may drop some)
            stdout.write(f"积压：接收程序离线时发布 {len(backlog_messages)} 条，再计时消化 …")
            ingestor.stop()
            ingestor = Ingestor(url, client_id=ingestor.client_id, prefix=prefix)
            backlog_s = _backlog(url, ingestor, backlog_messages, SINGLE_EVENTS)
    finally:
        ingestor.stop()
        if broker is not None:
            broker.close()
    stored = DeviceEvent.objects.count()
    rows = [
        (
            by_external[i["device"]].pk,
            i["event"],
            dt.datetime.fromisoformat(i["ts"]),
            i["kind"],
            i.get("value"),
        )
        for i in batched
    ]
    raw_s = _raw_insert_seconds(rows)
    events_per_s = BATCHED_EVENTS / batched_s
    raw_per_s = BATCHED_EVENTS / raw_s
    return {
        "events_per_s": round(events_per_s),
        "single_events_per_s": round(SINGLE_EVENTS / single_s),
        "raw_insert_events_per_s": round(raw_per_s),
        "ratio": round(events_per_s / raw_per_s, 3),
        "batch_size": BATCH_SIZE,
        "batched_writes": batched_writes,
        "batched_write_busy": round(batched_write_s / batched_s, 3),
        "events": BATCHED_EVENTS,
        "single_events": SINGLE_EVENTS,
        "backlog_single_events_per_s": round(SINGLE_EVENTS / backlog_s) if backlog_s else None,
        "stored_exactly": stored == BATCHED_EVENTS + SINGLE_EVENTS * (2 if backlog_s else 1),
        "database": connection.vendor,
        "broker": "LINLI_BENCH_MQTT_URL" if broker is None else "throwaway mosquitto",
        "alert_evaluation": True,
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "within_target": events_per_s >= TARGET_EVENTS_PER_S,
    }


def run(
    *, stdout: OutputWrapper, traces: str | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Both halves in a throwaway database; returns ``{"ingest": …, "detection": …}``.

    ``traces`` (``--traces DIR``, or ``LINLI_BENCH_TRACES``) scores a trace folder instead of
    simulated lives; ``seed`` (``--seed N``) seeds the simulation (default 1)."""
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        if connection.vendor == "sqlite":
            # A file, not the test runner's in-memory default, so the timing is realistic.
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
                Path(tmp) / "bench.sqlite3"
            )
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        try:
            figures: dict[str, Any] = {"ingest": measure_ingest(stdout)}
            # --- detection ------------------------------------------------------------------
            # Linli's routine detector and the fixed rules on the same traces (docs/routines.md):
            # LINLI_BENCH_TRACES=DIR scores a trace folder, else 1,000 simulated lives × 30 days.
            from linli.routines.bench import detection

            figures["detection"] = detection(
                traces_dir=traces or os.environ.get("LINLI_BENCH_TRACES") or None,
                seed=seed or 1,
                stdout=stdout,
            )
            # --- end of detection -----------------------------------------------------------
            return figures
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
