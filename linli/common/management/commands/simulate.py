"""``linli simulate``: synthetic lives on the demo's devices, over MQTT into the platform.

The life model (:mod:`linli.routines.simulate`) runs for every resident with a door sensor,
water meter and power meter on a gateway (:mod:`linli.places.demo.devices` gives them to
the demo's elders living alone); :mod:`linli.routines.live` maps it onto their devices.
Time line: ``--days`` of history ending ``--stream-hours`` before now are published at
once as gateway batches; after the ingestor has stored them, the nightly routine learning
runs (``linli.care.services.routines_learn(now=…)``, if that exists); then the last
``--stream-hours`` are streamed on a clock running ``--speed`` times real time, with the
care sweep (``linli.care.services.care_sweep(now=…)``) every simulated 5 minutes, after the
events up to that moment are stored. ``--out DIR`` writes the same traces (with the devices'
external ids and the ground truth) for ``linli bench alerts --traces DIR``. docs/devices.md,
section "Simulating a street".
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import itertools
import json
import signal
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as paho
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, close_old_connections
from django.utils import timezone

from linli.common.identity import age_on
from linli.devices import partitions
from linli.devices.models import Device, DeviceEvent
from linli.devices.mqtt import Ingestor, parse_mqtt_url
from linli.routines import live
from linli.routines.traces import CHINA, Traces, write_traces
from linli.routines.traces import Device as TraceDevice

#: Simulated seconds between two care sweeps (production runs the sweep every 5 minutes).
SWEEP_EVERY_S = 300
#: Real seconds between two steps of the streaming clock.
TICK_S = 0.2
#: Real seconds between two looks at DeviceEvent while waiting for the ingestor.
POLL_S = 0.5
#: Unacknowledged QoS 1 messages the publisher keeps in flight.
IN_FLIGHT = 500
MAX_DAYS = 60
#: Above this many events a wait polls a count and compares the keys only at the end.
EXACT_CHECK_ROWS = 20_000
#: Events per slice of the history (about 300 gateway messages of 50; see _backfill).
SLICE_EVENTS = 15_000
NO_DEVICES = "没有可模拟的设备：请先运行 make run 生成演示数据"


class Command(BaseCommand):
    help = (
        "为装有智能设备的演示居民生成模拟生活轨迹：先一次性发布 --days 天的历史，"
        "再按加速时钟经 MQTT 实时推送最后 --stream-hours 小时，并按模拟时钟每 5 分钟巡检一次；"
        "--out DIR 写出轨迹文件（可用 linli bench alerts --traces DIR 评分）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add = parser.add_argument
        add("--days", type=int, default=14, help="历史天数（默认 14）")
        add("--stream-hours", type=float, default=6.0, help="实时推送的小时数（默认 6）")
        add(
            "--speed",
            type=float,
            default=120.0,
            help="模拟秒数/真实秒（默认 120：6 小时约 3 分钟）",
        )
        add("--seed", type=int, default=1, help="随机种子（相同种子、相同 --now 结果相同）")
        add("--incident-rate", type=float, default=0.003, help="生活模型的跌倒比例（按人·天）")
        add("--incidents", type=int, default=0, help="在实时推送时段的前半段另外注入 N 次跌倒")
        add(
            "--incident-for",
            action="append",
            default=[],
            metavar="RESIDENT[@TIME]",
            help="为指定居民（居民编号）注入一次跌倒；TIME 为 ISO 时间，"
            "须在实时推送时段内，默认随机",
        )
        add("--residents", type=int, default=0, help="最多模拟多少人（默认全部装设备的居民）")
        add("--now", default="", help="时间线的终点（ISO 时间，默认当前时间）")
        add("--out", default="", help="把轨迹写入此目录（不推送，除非加 --also-stream）")
        add("--also-stream", action="store_true", help="与 --out 同用：写文件并推送")
        add(
            "--ingest-inline",
            action="store_true",
            help="在本进程内运行一个接收程序（单独运行时用）",
        )
        add("--url", default="", help="MQTT 地址（默认 LINLI_MQTT_URL）")
        add(
            "--ingest-timeout",
            type=float,
            default=15.0,
            help="等待入库的秒数，超时即报错（默认 15）",
        )
        add("--dry-run", action="store_true", help="只生成并汇总轨迹，不推送、不写文件")

    def handle(self, *args: Any, **options: Any) -> None:
        self._validate(options)
        homes, device_pks = load_homes(options["residents"])
        if not homes:
            raise CommandError(NO_DEVICES)
        end = _parse_time(options["now"], "--now") if options["now"] else timezone.now()
        window = live.Window.ending(end, days=options["days"], stream_hours=options["stream_hours"])
        if _streams(options):
            _check_ingestible(window)
        started = time.monotonic()
        traces = live.street_traces(
            homes, window, seed=options["seed"], incident_rate=options["incident_rate"]
        )
        self._inject(traces, window, homes, options)
        self._summary(traces, window, time.monotonic() - started)
        if options["dry_run"]:
            self.stdout.write("--dry-run：未推送、未写文件。")
            return
        if options["out"]:
            write_traces(options["out"], traces)
            self.stdout.write(f"轨迹已写入 {options['out']}")
            if not options["also_stream"]:
                return
        url = options["url"] or settings.DEVICES_MQTT_URL
        stream = Stream(self, url, traces, homes, device_pks, window, options)
        stream.run()

    # --- options -----------------------------------------------------------------------------

    def _validate(self, options: dict[str, Any]) -> None:
        if not 1 <= options["days"] <= MAX_DAYS:
            raise CommandError(f"--days 应为 1 到 {MAX_DAYS} 之间的整数，实际为 {options['days']}")
        if not 0 <= options["stream_hours"] <= 24:
            raise CommandError(
                f"--stream-hours 应在 0 到 24 之间，实际为 {options['stream_hours']}"
            )
        if not options["speed"] > 0:
            raise CommandError(f"--speed 必须大于 0，实际为 {options['speed']}")
        if not 0 <= options["incident_rate"] <= 1:
            raise CommandError(
                f"--incident-rate 应在 0 到 1 之间，实际为 {options['incident_rate']}"
            )
        for name in ("incidents", "residents"):
            if options[name] < 0:
                raise CommandError(f"--{name} 不能为负数，实际为 {options[name]}")
        if options["ingest_timeout"] <= 0:
            raise CommandError("--ingest-timeout 必须大于 0")
        if options["also_stream"] and not options["out"]:
            raise CommandError("--also-stream 需与 --out DIR 一起使用")
        if options["out"] and Path(options["out"]).exists() and not Path(options["out"]).is_dir():
            raise CommandError(f"--out 不是目录：{options['out']}")
        if _streams(options):
            url = options["url"] or settings.DEVICES_MQTT_URL
            if not url:
                raise CommandError(
                    "未设置 MQTT 地址：请设置 LINLI_MQTT_URL 或使用 --url；"
                    "只写轨迹文件请用 --out DIR"
                )
            try:
                parse_mqtt_url(url)
            except ValueError as exc:
                raise CommandError(str(exc)) from None

    def _inject(
        self, traces: Traces, window: live.Window, homes: list[live.Home], options: dict[str, Any]
    ) -> None:
        rng = np.random.default_rng([options["seed"], 5])
        known = {h.resident for h in homes}
        for raw in options["incident_for"]:
            resident, _, when = raw.partition("@")
            if resident not in known:
                raise CommandError(f"未知居民：{resident}（不在装有设备、参与模拟的居民之中）")
            if window.end <= window.split:
                raise CommandError("--stream-hours 为 0 时没有实时推送时段，无法注入跌倒")
            if when:
                at = int(_parse_time(when, "--incident-for").timestamp())
                if not window.split <= at < window.end:
                    raise CommandError(
                        "注入时间须在实时推送时段内"
                        f"（{_local(window.split)} 至 {_local(window.end)}）"
                    )
            else:
                half = max(1, (window.end - window.split) // 2)
                at = int(rng.integers(window.split, window.split + half))
            if live.away_at(traces, resident, at) is not None:
                self.stdout.write(f"注意：居民 {resident} 在 {_local(at)} 原本外出，改为到家后跌倒")
            live.inject_incident(traces, resident, at)
        for resident, at in live.pick_incidents(traces, window, options["incidents"], rng):
            live.inject_incident(traces, resident, at)

    def _summary(self, traces: Traces, window: live.Window, seconds: float) -> None:
        history = int(np.count_nonzero(traces.events.ts < window.split))
        self.stdout.write(
            f"模拟 {len(traces.residents)} 人："
            f"历史 {_local(window.start)} 至 {_local(window.split)}"
            f"（{history} 条事件），实时 {_local(window.split)} 至 {_local(window.end)}"
            f"（{len(traces.events) - history} 条），用时 {seconds:.1f} 秒"
        )
        announced = sum(a.announced for a in traces.away)
        self.stdout.write(
            f"外出 {len(traces.away)} 次（其中家属报备 {announced} 次）；"
            f"跌倒（真实情况，平台看不到）{len(traces.incidents)} 次："
        )
        for incident in sorted(traces.incidents, key=lambda i: i.start):
            part = "实时" if incident.start >= window.split else "历史"
            self.stdout.write(f"  居民 {incident.resident} {_local(incident.start)}（{part}）")


def _streams(options: dict[str, Any]) -> bool:
    """Whether this run publishes over MQTT (not a dry run, not ``--out`` alone)."""
    return not options["dry_run"] and (not options["out"] or options["also_stream"])


def _check_ingestible(window: live.Window) -> None:
    """Refuse a time line the ingestor would refuse: in the future, or past the retention."""
    now = timezone.now()
    if window.end > now.timestamp() + settings.DEVICES_FUTURE_TOLERANCE_S:
        raise CommandError("--now 不能晚于当前时间：平台拒收未来时间的事件")
    cutoff = partitions.retention_cutoff(now)
    if window.start < cutoff.timestamp():
        raise CommandError(
            f"时间线早于设备事件保留期（{timezone.localtime(cutoff):%Y-%m-%d} 之前的事件"
            "会被拒收）：请调整 --now 或 --days"
        )


def load_homes(limit: int = 0) -> tuple[list[live.Home], dict[str, int]]:
    """Residents with an active door sensor, water meter and power meter on an active gateway.

    Returns the homes in resident primary-key order (at most ``limit`` when > 0) and the
    primary key of every device by external id. The resident id is the primary key as text;
    the age is on today's date (Asia/Shanghai).
    """
    rows = (
        Device.objects.filter(
            active=True, resident__isnull=False, gateway__isnull=False, gateway__active=True
        )
        .order_by("resident_id", "pk")
        .values_list(
            "pk",
            "kind",
            "external_id",
            "resident_id",
            "resident__birth_date",
            "gateway__key_id",
            "gateway__area__code",
        )
    )
    today = timezone.localdate()
    found: dict[int, tuple[dt.date, str, str, list[TraceDevice]]] = {}
    pks: dict[str, int] = {}
    for pk, kind, external, resident, birth, gateway, community in rows:
        entry = found.setdefault(resident, (birth, gateway, community, []))
        if entry[1] == gateway:  # a home's devices all go through one gateway
            entry[3].append(TraceDevice(external, kind))
            pks[external] = pk
    homes = []
    for resident, (birth, gateway, community, devices) in found.items():
        kinds = [d.kind for d in devices]
        if all(kinds.count(kind) == 1 for kind in live.SYNTHETIC_KINDS):
            age = age_on(birth, today)
            homes.append(live.Home(str(resident), age, community, gateway, tuple(devices)))
    return (homes[:limit] if limit else homes), pks


def _parse_time(raw: str, option: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(
            f"{option} 的时间无法解析：{raw}（应形如 2026-11-29T10:30+08:00）"
        ) from None
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment


def _local(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, CHINA).strftime("%m-%d %H:%M")


def care_hook(name: str) -> Callable[..., Any] | None:
    """``linli.care.services.<name>`` if the care app provides it, else ``None``."""
    try:
        module = importlib.import_module("linli.care.services")
    except ImportError:
        return None
    hook = getattr(module, name, None)
    return hook if callable(hook) else None


class Stream:
    """Publish the traces over MQTT and wait for them in ``DeviceEvent`` (see the module doc)."""

    def __init__(
        self,
        command: Command,
        url: str,
        traces: Traces,
        homes: list[live.Home],
        device_pks: dict[str, int],
        window: live.Window,
        options: dict[str, Any],
    ) -> None:
        self.out = command.stdout
        self.err = command.stderr
        self.url = url
        self.traces = traces
        self.homes = homes
        self.device_pks = device_pks
        self.window = window
        self.speed = float(options["speed"])
        self.timeout = float(options["ingest_timeout"])
        self.inline = bool(options["ingest_inline"])
        self.prefix = settings.DEVICES_MQTT_TOPIC_PREFIX
        self.stop = threading.Event()
        self.in_flight: deque[paho.MQTTMessageInfo] = deque()
        self.published = 0
        self.alerts = 0
        self.ingestor: Ingestor | None = None

    def run(self) -> None:
        """Backfill, learn, stream; stops early and cleanly on SIGINT or SIGTERM."""
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        if threading.current_thread() is threading.main_thread():
            for sig in previous:
                signal.signal(sig, lambda *_: self.stop.set())
        ingestor = self.ingestor = self._start_ingestor() if self.inline else None
        client = self._connect()
        try:
            # Watches first: the care app's ingestion hook keeps live state (last sign of
            # life) only for watched residents, and the history must reach it.
            self._call("watches_sync", None, "关注名单同步")
            self._backfill(client)
            if not self.stop.is_set():
                self._call("routines_learn", self.window.split, "夜间作息学习")
                self._announce_away()
                self._stream(client)
        finally:
            client.disconnect()
            client.loop_stop()
            if ingestor is not None:
                ingestor.stop()
                _forget_session(self.url, ingestor.client_id)
            if threading.current_thread() is threading.main_thread():
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        state = "已中止" if self.stop.is_set() else "完成"
        self.out.write(f"{state}：发布事件 {self.published} 条，巡检报告告警 {self.alerts} 条。")

    # --- MQTT --------------------------------------------------------------------------------

    def _start_ingestor(self) -> Ingestor:
        ingestor = Ingestor(self.url, client_id=f"linli-simulate-{uuid.uuid4().hex[:8]}")
        ingestor.start()
        if not ingestor.subscribed.wait(10):
            ingestor.stop()
            raise CommandError(f"进程内接收程序无法连接 MQTT 代理：{self.url.split('@')[-1]}")
        self.out.write(f"进程内接收程序已启动（客户端 {ingestor.client_id}）")
        return ingestor

    def _connect(self) -> paho.Client:
        target = parse_mqtt_url(self.url)
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2, client_id=f"linli-simulate-pub-{uuid.uuid4().hex[:8]}"
        )
        if target.username:
            client.username_pw_set(target.username, target.password)
        if target.tls:
            client.tls_set()
        client.max_inflight_messages_set(IN_FLIGHT)
        try:
            client.connect(target.host, target.port, keepalive=30)
        except OSError as exc:
            raise CommandError(f"无法连接 MQTT 代理 {target.host}:{target.port}：{exc}") from None
        client.loop_start()
        return client

    def _publish(self, client: paho.Client, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """Publish the events with ``lo`` ≤ ts < ``hi``; returns their keys (device, ts, id)."""
        keys = []
        for home, items in live.gateway_batches(self.traces, self.homes, lo, hi):
            topic = f"{self.prefix}/{home.community}/gateway/{home.gateway}"
            payload = json.dumps(items, ensure_ascii=False).encode()
            self.in_flight.append(client.publish(topic, payload, qos=1))
            while len(self.in_flight) > IN_FLIGHT:
                self._acked(self.in_flight.popleft())
            for item in items:
                moment = int(dt.datetime.fromisoformat(item["ts"]).timestamp())
                keys.append((self.device_pks[item["device"]], moment, item["event"]))
        self.published += len(keys)
        return keys

    def _flush(self) -> None:
        while self.in_flight:
            self._acked(self.in_flight.popleft())

    def _acked(self, info: paho.MQTTMessageInfo) -> None:
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as exc:
            raise CommandError(f"MQTT 发布失败：{exc}") from None
        if not info.is_published():
            raise CommandError(f"MQTT 代理 {self.timeout:.0f} 秒内没有确认消息（QoS 1）")

    # --- waiting for the ingestor ---------------------------------------------------------------

    def _wait_stored(self, keys: list[tuple[int, int, str]], what: str) -> None:
        """Block until every key is in ``DeviceEvent``; no progress for the timeout → error."""
        if not keys:
            return
        wanted = set(keys)
        lo = min(k[1] for k in keys)
        hi = max(k[1] for k in keys) + 1
        devices = {k[0] for k in keys}
        last_missing, last_change, shown = len(wanted), time.monotonic(), time.monotonic()
        while True:
            missing = self._missing(wanted, devices, lo, hi)
            now = time.monotonic()
            if missing == 0:
                self._wait_evaluated()
                return
            if missing < last_missing:
                last_missing, last_change = missing, now
            if now - shown > 5:
                self.out.write(f"  {what}：已入库 {len(wanted) - missing}/{len(wanted)}")
                shown = now
            if now - last_change > self.timeout or self.stop.is_set():
                if self.stop.is_set():
                    return
                raise CommandError(
                    f"{what}：已发布的事件 {self.timeout:.0f} 秒内没有入库（还差 {missing} 条）。"
                    "似乎没有接收程序在消费 MQTT 消息：请设置 LINLI_MQTT_URL 后运行 linli up"
                    "（或 linli ingest），或加 --ingest-inline 在本进程内接收；"
                    "也请查看后台“无法入库的消息”。"
                )
            time.sleep(POLL_S)

    def _wait_evaluated(self) -> None:
        """With the in-process ingestor, also wait until its alert evaluation (the care
        app's ``on_stored`` hook, run in its own thread) has seen every stored event, so a
        sweep never judges a home silent on events it has not yet heard of. An external
        ingestor's evaluation cannot be watched from here (a sweep may run slightly ahead
        of it)."""
        evaluated = getattr(self.ingestor, "evaluated", None)
        deadline = time.monotonic() + self.timeout
        while evaluated is not None and not evaluated() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _missing(
        self, wanted: set[tuple[int, int, str]], devices: set[int], lo: int, hi: int
    ) -> int:
        try:
            close_old_connections()
            rows = DeviceEvent.objects.filter(
                device_id__in=devices,
                ts__gte=dt.datetime.fromtimestamp(lo, dt.UTC),
                ts__lt=dt.datetime.fromtimestamp(hi, dt.UTC),
                event_id__startswith="sim-",
            )
            if len(wanted) > EXACT_CHECK_ROWS:
                # Counting is cheap; the exact comparison only once the count is there.
                count = rows.count()
                if count < len(wanted):
                    return len(wanted) - count
            keys = rows.values_list("device_id", "ts", "event_id").iterator(chunk_size=5000)
            stored = {(d, int(ts.timestamp()), e) for d, ts, e in keys}
        except OperationalError:
            return len(wanted)  # SQLite busy while the ingestor writes: not yet
        return len(wanted - stored)

    # --- the time line ----------------------------------------------------------------------------

    def _backfill(self, client: paho.Client) -> None:
        """Publish the history in slices of about :data:`SLICE_EVENTS` events, each slice
        while waiting for the previous one to be stored. Mosquitto drops QoS 1 messages
        queued for a subscriber beyond ``max_queued_messages`` (1,000 by default), so the
        publisher must not run more than that far ahead of the ingestor; the first slice
        doubles as the check that an ingestor consumes at all."""
        started = time.monotonic()
        window = self.window
        ts = np.sort(self.traces.events.ts[self.traces.events.ts < window.split])
        if not len(ts):
            return
        cuts = sorted({int(t) for t in ts[::SLICE_EVENTS].tolist()} | {window.split})
        if cuts[0] > window.start:
            cuts[0] = window.start
        previous: list[tuple[int, int, str]] = []
        total, shown = 0, time.monotonic()
        for lo, hi in itertools.pairwise(cuts):
            keys = self._publish(client, lo, hi)
            self._flush()
            self._wait_stored(previous, f"历史数据（{_local(lo)} 前）")
            if self.stop.is_set():
                return
            total += len(previous)
            if time.monotonic() - shown > 5:
                self.out.write(f"  历史数据：已入库 {total}/{len(ts)}")
                shown = time.monotonic()
            previous = keys
        self._wait_stored(previous, "历史数据")
        total += len(previous)
        self.out.write(f"历史数据已入库 {total} 条，用时 {time.monotonic() - started:.1f} 秒")

    def _stream(self, client: paho.Client) -> None:
        window = self.window
        if window.end <= window.split:
            return
        self.out.write(
            f"实时推送 {_local(window.split)} 至 {_local(window.end)}，"
            f"时钟 {self.speed:g} 倍速（约 {(window.end - window.split) / self.speed:.0f} 秒）"
        )
        sweep = care_hook("care_sweep")
        if sweep is None:
            self.out.write("提示：linli.care.services.care_sweep 尚不存在，跳过巡检。")
        clock, sent = float(window.split), window.split
        next_sweep = (window.split // SWEEP_EVERY_S + 1) * SWEEP_EVERY_S
        pending: list[tuple[int, int, str]] = []
        tick = time.monotonic()
        while sent < window.end and not self.stop.is_set():
            self.stop.wait(TICK_S)
            now = time.monotonic()
            clock = min(float(window.end), clock + self.speed * (now - tick))
            tick = now
            upto = min(int(clock), next_sweep)
            pending += self._publish(client, sent, upto)
            sent = upto
            if sent == next_sweep and next_sweep < window.end:
                self._flush()
                self._wait_stored(pending, f"{_local(next_sweep)} 前的事件")
                pending = []
                if sweep is not None:
                    self._sweep(sweep, next_sweep)
                next_sweep += SWEEP_EVERY_S
                tick = time.monotonic()  # time spent waiting does not advance the clock
        if not self.stop.is_set():  # stopped early: what is left of the stream stays unsent
            pending += self._publish(client, sent, window.end)
        self._flush()
        self._wait_stored(pending, "实时数据")
        if sweep is not None and not self.stop.is_set():
            self._sweep(sweep, window.end)

    def _announce_away(self) -> None:
        """Announced trips still running or ahead at the split become away mode (as a family
        would announce them), through ``linli.care.services.away_announce`` if it exists."""
        announce = care_hook("away_announce")
        if announce is None:
            return
        from django.core.exceptions import ValidationError

        from linli.people.models import Resident

        split = dt.datetime.fromtimestamp(self.window.split, dt.UTC)
        earliest = split - dt.timedelta(hours=23)  # the service refuses starts over a day back
        made = refused = 0
        for away in self.traces.away:
            ends = dt.datetime.fromtimestamp(away.end, dt.UTC)
            if not away.announced or ends <= split:
                continue
            starts = max(dt.datetime.fromtimestamp(away.start, dt.UTC), earliest)
            resident = retrying(Resident.objects.get, pk=int(away.resident))
            try:
                retrying(
                    announce,
                    resident=resident,
                    starts_at=starts,
                    ends_at=ends,
                    note="模拟：家属报备外出",
                    by=None,
                    now=split,
                )
                made += 1
            except ValidationError:
                refused += 1  # already announced by an earlier run, or overlapping
        self.out.write(f"家属报备外出登记 {made} 条（已有或重叠 {refused} 条）")

    def _sweep(self, sweep: Callable[..., Any], at: int) -> None:
        moment = dt.datetime.fromtimestamp(at, dt.UTC)
        try:
            close_old_connections()
            result = retrying(sweep, now=moment)
        except Exception:
            self.err.write(f"[{_local(at)}] 巡检出错：\n{traceback.format_exc(limit=5)}")
            return
        if isinstance(result, Iterable) and not isinstance(result, str | bytes):
            for alert in result:
                self.alerts += 1
                self.out.write(f"[{_local(at)}] 告警：{alert}")

    def _call(self, name: str, at: int | None, label: str) -> None:
        hook = care_hook(name)
        if hook is None:
            self.out.write(f"提示：linli.care.services.{name} 尚不存在，跳过{label}。")
            return
        started = time.monotonic()
        close_old_connections()
        kwargs: dict[str, Any] = {}
        if at is not None:
            kwargs["now"] = dt.datetime.fromtimestamp(at, dt.UTC)
        if "force" in inspect.signature(hook).parameters:
            kwargs["force"] = True  # the history was just (re)published: learn it again
        result = retrying(hook, **kwargs)
        if isinstance(result, tuple) and len(result) == 2:  # watches_sync: (added, stopped)
            shown = f"：新增 {result[0]} 人，停止 {result[1]} 人"
        elif isinstance(result, int):
            shown = f"：{result} 人"
        else:
            shown = ""
        self.out.write(f"{label}完成（{time.monotonic() - started:.1f} 秒）{shown}")


def retrying(call: Callable[..., Any], /, **kwargs: Any) -> Any:
    """``call(**kwargs)``, again after 0.2, 0.4 … 3.2 s while the database says it is locked.

    The in-process ingestor (and the care app's hook in its thread) writes at the same
    time; SQLite answers "database is locked" past its busy timeout, and at once in the
    shared-cache database of the tests. The care functions called here are safe to repeat.
    """
    delay = 0.2
    while True:
        try:
            close_old_connections()
            return call(**kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc) or delay > 3.2:
                raise
            time.sleep(delay)
            delay *= 2


def _forget_session(url: str, client_id: str) -> None:
    """Drop the in-process ingestor's persistent session so the broker keeps nothing for it."""
    target = parse_mqtt_url(url)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    if target.username:
        client.username_pw_set(target.username, target.password)
    if target.tls:
        client.tls_set()
    try:
        client.connect(target.host, target.port)
    except OSError:
        return
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()
