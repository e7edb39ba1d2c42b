"""``linli simulate``: traces of the demo's equipped elders, to a folder or over MQTT."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import threading
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.common.management.commands.simulate import NO_DEVICES, load_homes
from linli.devices import partitions
from linli.devices.ingest import device_cache
from linli.devices.models import DeadLetter, Device, DeviceEvent
from linli.places.demo.devices import build_devices
from linli.routines import live
from linli.routines.traces import CHINA, read_traces
from linli.routines.traces import Device as TraceDevice
from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory, area_chain

#: The machine's shared broker (tests use a topic prefix of their own on it).
SHARED_BROKER = os.environ.get("LINLI_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")

#: A fixed end of the time line: tests give the same traces every run (and stay within the
#: ingestion window: not in the future, not older than the retention).
NOW = (dt.datetime.now(CHINA) - dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


def simulate(**options: Any) -> str:
    out = StringIO()
    call_command("simulate", stdout=out, stderr=out, now=NOW.isoformat(), **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _forget_caches() -> Iterator[None]:
    """Rolled-back devices and partitions must not survive in the ingestion caches."""
    device_cache.clear()
    partitions.forget()
    yield
    device_cache.clear()
    partitions.forget()


@pytest.fixture
def demo_devices() -> list[live.Home]:
    """Five elders living alone in a community named 金凤苑社区, equipped by the demo's device
    step (the whole demo needs rows that a transactional test's flush removes); one younger
    resident living alone, who gets nothing. Returns the homes simulate uses."""
    micro_grid = area_chain(name="金凤苑")["micro_grid"]
    for n in range(6):
        household = HouseholdFactory(building=BuildingFactory(micro_grid=micro_grid))
        born = dt.date(1950 + n, 3, 1) if n < 5 else dt.date(1990, 3, 1)
        ResidentFactory(household=household, living_alone=True, birth_date=born)
    build_devices(random.Random(1))
    homes, _ = load_homes()
    assert len(homes) == 5
    return homes


@pytest.mark.django_db
def test_out_writes_a_trace_folder_with_the_demo_devices_external_ids(
    demo_devices: list[live.Home], tmp_path: Path
) -> None:
    # Given the demo, when a fall is forced on one resident an hour into the stream
    target = demo_devices[1].resident
    fall = NOW - dt.timedelta(minutes=90)
    output = simulate(
        days=3, stream_hours=2, out=str(tmp_path), incident_for=[f"{target}@{fall.isoformat()}"]
    )
    # then the folder reads back, with the registry's external ids and the residents' ids
    traces = read_traces(tmp_path)
    registered = set(Device.objects.values_list("external_id", flat=True))
    assert set(traces.devices) <= registered
    assert {r.resident for r in traces.residents} == {h.resident for h in demo_devices}
    assert len(traces.events) > 0
    # and the forced fall is in the ground truth, the resident silent from then on
    assert (target, int(fall.timestamp())) in {(i.resident, i.start) for i in traces.incidents}
    index = [r.resident for r in traces.residents].index(target)
    owner = traces.device_owner()[traces.events.device]
    assert not np.any((owner == index) & (traces.events.ts >= fall.timestamp()))
    # nothing was published
    assert DeviceEvent.objects.count() == 0
    assert "轨迹已写入" in output


@pytest.mark.django_db
def test_out_twice_with_the_same_seed_writes_the_same_events(
    demo_devices: list[live.Home], tmp_path: Path
) -> None:
    simulate(days=2, stream_hours=1, out=str(tmp_path / "a"), seed=4)
    simulate(days=2, stream_hours=1, out=str(tmp_path / "b"), seed=4)
    first = (tmp_path / "a" / "events.jsonl").read_text()
    assert first and first == (tmp_path / "b" / "events.jsonl").read_text()


@pytest.mark.django_db(transaction=True)
def test_a_streamed_run_stores_what_it_published_and_a_rerun_adds_nothing(
    demo_devices: list[live.Home], settings: Any
) -> None:
    # Given a topic prefix of our own on the shared broker (no other ingestor hears it)
    settings.DEVICES_MQTT_TOPIC_PREFIX = f"linlisim{uuid.uuid4().hex[:8]}"
    options = {
        "days": 8,
        "stream_hours": 1,
        "speed": 3600,
        "seed": 3,
        "residents": 3,
        "ingest_inline": True,
        "url": SHARED_BROKER,
        # SQLite's shared-cache test database makes the ingestor back off (1, 2, 4, 8 s …)
        # when a read locks the table: give it time rather than call it a stall.
        "ingest_timeout": 60,
    }
    # when a run publishes 8 days of history and streams one hour at 3600× through the
    # in-process ingestor
    output = simulate(**options)
    # then DeviceEvent holds exactly the events of the life model's traces, none refused
    window = live.Window.ending(NOW, days=8, stream_hours=1)
    traces = live.street_traces(demo_devices[:3], window, seed=3)
    pks = dict(Device.objects.values_list("external_id", "pk"))
    ev = traces.events
    published = {
        (pks[traces.devices[d]], int(t), e)
        for d, t, e in zip(ev.device.tolist(), ev.ts.tolist(), ev.ids or [], strict=True)
    }
    rows = DeviceEvent.objects.values_list("device_id", "ts", "event_id")
    stored = {(d, int(ts.timestamp()), e) for d, ts, e in rows}
    assert published and stored == published
    assert np.any(ev.ts >= window.split)  # the streamed hour had events too
    assert DeadLetter.objects.count() == 0
    assert f"发布事件 {len(published)} 条" in output
    # and running it again stores nothing new
    simulate(**options)
    assert DeviceEvent.objects.count() == len(published)


class _TermWhenStreaming(StringIO):
    """Output that sends this process SIGTERM once the command says the stream started."""

    def write(self, text: str) -> int:
        if "实时推送" in text:
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return super().write(text)


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_the_stream_cleanly(demo_devices: list[live.Home], settings: Any) -> None:
    # Given a stream that would take six minutes (6 hours at 60x)
    settings.DEVICES_MQTT_TOPIC_PREFIX = f"linlisim{uuid.uuid4().hex[:8]}"
    out = _TermWhenStreaming()
    before = signal.getsignal(signal.SIGTERM)
    # when SIGTERM arrives half a second into it
    call_command(
        "simulate",
        now=NOW.isoformat(),
        days=1,
        stream_hours=6,
        speed=60,
        residents=2,
        ingest_inline=True,
        url=SHARED_BROKER,
        ingest_timeout=60,
        stdout=out,
    )
    # then the command returns, says so, and the rest of the stream was never sent
    window = live.Window.ending(NOW, days=1, stream_hours=6)
    assert "已中止" in out.getvalue()
    late = DeviceEvent.objects.filter(
        ts__gte=dt.datetime.fromtimestamp(window.split + 3600, dt.UTC)
    )
    assert not late.exists()
    assert signal.getsignal(signal.SIGTERM) == before  # the previous handler is back


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"days": -1}, "--days 应为 1 到 60 之间的整数"),
        ({"days": 0}, "--days 应为 1 到 60 之间的整数"),
        ({"stream_hours": -2}, "--stream-hours 应在 0 到 24 之间"),
        ({"speed": 0}, "--speed 必须大于 0"),
        ({"incidents": -1}, "--incidents 不能为负数"),
        ({"incident_rate": 2}, "--incident-rate 应在 0 到 1 之间"),
        ({"also_stream": True}, "--also-stream 需与 --out DIR 一起使用"),
        ({"url": "http://broker"}, "MQTT 地址应形如 mqtt://host:1883"),
    ],
)
def test_bad_options_are_refused_in_chinese(options: dict[str, Any], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        simulate(**{"url": SHARED_BROKER, **options})


@pytest.mark.django_db
def test_a_time_line_the_ingestor_would_refuse_is_refused(demo_devices: list[live.Home]) -> None:
    future = (dt.datetime.now(CHINA) + dt.timedelta(hours=2)).isoformat()
    with pytest.raises(CommandError, match="--now 不能晚于当前时间"):
        call_command("simulate", now=future, url=SHARED_BROKER, stdout=StringIO())
    long_ago = (dt.datetime.now(CHINA) - dt.timedelta(days=600)).isoformat()
    with pytest.raises(CommandError, match="时间线早于设备事件保留期"):
        call_command("simulate", now=long_ago, url=SHARED_BROKER, stdout=StringIO())


@pytest.mark.django_db
def test_without_demo_devices_it_says_to_run_make_run(settings: Any) -> None:
    with pytest.raises(CommandError, match=NO_DEVICES):
        simulate(url=SHARED_BROKER)


@pytest.mark.django_db
def test_streaming_without_a_broker_address_is_refused(settings: Any, tmp_path: Path) -> None:
    settings.DEVICES_MQTT_URL = ""
    with pytest.raises(CommandError, match="未设置 MQTT 地址"):
        simulate()


@pytest.mark.django_db
def test_an_unknown_resident_or_a_fall_outside_the_stream_is_refused(
    demo_devices: list[live.Home], tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="未知居民：999999"):
        simulate(days=1, out=str(tmp_path), incident_for=["999999"])
    early = (NOW - dt.timedelta(days=2)).isoformat()
    with pytest.raises(CommandError, match="注入时间须在实时推送时段内"):
        simulate(days=3, out=str(tmp_path), incident_for=[f"{demo_devices[0].resident}@{early}"])


@pytest.mark.django_db(transaction=True)
def test_without_a_consuming_ingestor_it_says_so(
    demo_devices: list[live.Home], settings: Any
) -> None:
    # Given nobody subscribed to our prefix, when the history is published
    settings.DEVICES_MQTT_TOPIC_PREFIX = f"linlisim{uuid.uuid4().hex[:8]}"
    with pytest.raises(CommandError, match="似乎没有接收程序在消费 MQTT 消息"):
        simulate(days=1, stream_hours=0, residents=1, url=SHARED_BROKER, ingest_timeout=1)
    assert DeviceEvent.objects.count() == 0


def test_gateway_batches_hold_at_most_50_events_of_one_gateway_each_event_once() -> None:
    # Given two gateways' homes (pure: no database)
    homes = [
        live.Home(
            str(n),
            70,
            "640106009001" if n % 2 else "640106009003",
            "gw-a" if n % 2 else "gw-b",
            tuple(
                TraceDevice(f"{kind[:2].upper()}-{n}", kind)
                for kind in ("door_sensor", "water_meter", "power_meter", "sos_button")
            ),
        )
        for n in range(4)
    ]
    window = live.Window.ending(NOW, days=2, stream_hours=1)
    traces = live.street_traces(homes, window, seed=2)
    # when the whole window is cut into messages
    messages = list(live.gateway_batches(traces, homes, window.start, window.end))
    # then each message is one gateway's, at most 50 events, in time order, all events once
    device_gateway = {d.device: h.gateway for h in homes for d in h.devices}
    seen = []
    for home, items in messages:
        assert 1 <= len(items) <= live.BATCH_EVENTS
        assert {device_gateway[i["device"]] for i in items} == {home.gateway}
        assert [i["ts"] for i in items] == sorted(i["ts"] for i in items)
        assert all(("value" in i) == (i["kind"] in {"water", "power"}) for i in items)
        seen += [i["event"] for i in items]
    assert len(seen) == len(set(seen)) == len(traces.events)
