"""The MQTT ingestor behind ``linli ingest`` (paho-mqtt 2.x, MQTT 3.1.1, QoS 1).

Topics (``prefix`` is ``DEVICES_MQTT_TOPIC_PREFIX``, ``linli`` by default)::

    linli/<community code>/<device external id>/events   one device's events
    linli/<community code>/gateway/<gateway key id>       a gateway's batches

Delivery guarantee — at least once, end to end:

* a persistent session (``clean_session=False`` and a fixed client id): while the ingestor
  is away the broker keeps its subscriptions and queues the messages;
* manual acknowledgement (paho ``manual_ack=True``): a PUBACK is sent only after the
  message's events and dead letters are committed. A crash between the commit and the
  PUBACK means a redelivery, which the idempotency key turns into a duplicate, not a loss;
* while the database is down, received messages wait in memory, unacknowledged, and the
  write is retried with backoff (1 s doubling to 30 s). The buffer is bounded twice: by
  ``DEVICES_BUFFER_MESSAGES`` and, in practice, by the broker, which sends no more than its
  in-flight window (Mosquitto ``max_inflight_messages``, 20 by default) of unacknowledged
  QoS 1 messages; the rest stays queued at the broker;
* paho reconnects by itself with backoff (1 s doubling to 30 s); messages received on an
  earlier connection are stored but not acknowledged on the new one (their packet ids
  belong to the old connection); the broker redelivers them and they count as duplicates.

Malformed messages and events become dead letters; nothing a device sends stops the loop.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from django.db import connection as db_connection

from linli.devices.ingest import (
    Batch,
    IngestResult,
    Row,
    hooks_hand_to,
    ingest_batches,
    notify_stored,
)
from linli.devices.models import Channel, Gateway
from linli.devices.payload import PayloadError, parse_message
from linli.places.models import Area, AreaKind

log = logging.getLogger(__name__)

#: Messages written in one transaction at most (fewer when fewer are waiting); 200 gateway
#: messages of 50 events make a 10,000-event transaction (under a second on this machine).
MAX_MESSAGES_PER_WRITE = 200
#: Committed writes whose alert evaluation may wait before the writer waits for it.
HOOK_BACKLOG = 4
#: Tries of one evaluation while the database is away (backoff up to RETRY_MAX_S: ~15 min).
EVALUATE_ATTEMPTS = 40
RETRY_FIRST_S, RETRY_MAX_S = 1.0, 30.0
SCOPE_CACHE_SECONDS = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class MqttUrl:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def parse_mqtt_url(url: str) -> MqttUrl:
    """``mqtt://[user[:password]@]host[:port]`` (1883) or ``mqtts://…`` (TLS, 8883).

    Raises:
        ValueError: for another scheme or a missing host.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
        raise ValueError(f"MQTT 地址应形如 mqtt://host:1883，而不是 {url!r}")
    tls = parts.scheme == "mqtts"
    return MqttUrl(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        tls=tls,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int


class TopicScopes:
    """Topic → the area path (and device) its events may come from; cached for a minute."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._communities: dict[str, str | None] = {}
        self._gateways: dict[str, tuple[str, bool] | None] = {}
        self._loaded_at = time.monotonic()

    def batch(self, topic: str, payload: bytes) -> Batch:
        """The :class:`Batch` for one message: items and scope, or the reason it is refused."""
        source = topic[:200]
        try:
            area_path, only_device = self._scope(topic)
            if len(payload) > settings.DEVICES_HTTP_MAX_BYTES:
                raise PayloadError("too_large", f"消息超过 {settings.DEVICES_HTTP_MAX_BYTES} 字节")
            items = parse_message(payload)
        except PayloadError as exc:
            raw = payload[: settings.DEVICES_DEAD_LETTER_MAX_CHARS * 4].decode("utf-8", "replace")
            return Batch([], Channel.MQTT, source, error=(exc.code, exc.reason), raw=raw)
        return Batch(items, Channel.MQTT, source, area_path=area_path, only_device=only_device)

    def _scope(self, topic: str) -> tuple[str, str | None]:
        if time.monotonic() - self._loaded_at > SCOPE_CACHE_SECONDS:
            self._communities.clear()
            self._gateways.clear()
            self._loaded_at = time.monotonic()
        parts = topic.split("/")
        if len(parts) != 4 or parts[0] != self.prefix:
            raise PayloadError("bad_topic", f"主题格式不对：{topic[:100]}")
        _, community, middle, last = parts
        path = self._community_path(community)
        if middle == "gateway":
            gateway = self._gateway(last)
            if gateway is None or not gateway[0].startswith(path):
                raise PayloadError("unknown_gateway", f"网关未登记或不属于社区 {community}：{last}")
            if not gateway[1]:
                raise PayloadError("inactive_gateway", f"网关已停用：{last}")
            return gateway[0], None
        if last != "events":
            raise PayloadError("bad_topic", f"主题格式不对：{topic[:100]}")
        return path, middle

    def _community_path(self, code: str) -> str:
        if code not in self._communities:
            self._communities[code] = (
                Area.objects.filter(code=code, kind=AreaKind.COMMUNITY)
                .values_list("path", flat=True)
                .first()
            )
        path = self._communities[code]
        if path is None:
            raise PayloadError("unknown_community", f"社区代码未登记：{code[:20]}")
        return path

    def _gateway(self, key_id: str) -> tuple[str, bool] | None:
        if key_id not in self._gateways:
            row = Gateway.objects.filter(key_id=key_id).values_list("area__path", "active").first()
            self._gateways[key_id] = (row[0], row[1]) if row else None
        return self._gateways[key_id]


class Ingestor:
    """Subscribe, buffer, write in bulk, acknowledge after commit (see the module docstring).

    ``start()`` runs paho's network loop and a writer thread; ``stop()`` finishes the
    write in progress and disconnects. ``on_written`` (tests, benchmark) is called after
    every committed write with the results of its messages.
    """

    def __init__(
        self,
        url: str,
        *,
        client_id: str | None = None,
        prefix: str | None = None,
        buffer_messages: int | None = None,
        on_written: Callable[[list[IngestResult]], None] | None = None,
        write: Callable[[list[Batch]], list[IngestResult]] = ingest_batches,
    ) -> None:
        self.url = parse_mqtt_url(url)
        self.client_id = client_id or settings.DEVICES_MQTT_CLIENT_ID
        self.prefix = prefix or settings.DEVICES_MQTT_TOPIC_PREFIX
        self.scopes = TopicScopes(self.prefix)
        self.buffer: queue.Queue[Received] = queue.Queue(
            buffer_messages or settings.DEVICES_BUFFER_MESSAGES
        )
        self.on_written = on_written
        self.write = write
        self.generation = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.stopping = threading.Event()
        self.totals = IngestResult()
        self.db_failures = 0
        self.writes = 0  # committed writes (transactions)
        self.write_seconds = 0.0  # time spent in them, validation included
        self._writer: threading.Thread | None = None
        self._evaluator: threading.Thread | None = None
        #: New rows waiting for the ``on_stored`` callbacks (alert evaluation), run by the
        #: evaluator thread so the next write need not wait; bounded for back-pressure.
        self.stored_rows: queue.Queue[list[Row] | None] = queue.Queue(HOOK_BACKLOG)
        self.client = self._client()

    def _client(self) -> paho.Client:
        client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=paho.MQTTv311,
            manual_ack=True,
        )
        if self.url.username:
            client.username_pw_set(self.url.username, self.url.password)
        if self.url.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=int(RETRY_MAX_S))
        # Never drop a message paho holds for us, whatever the broker's window.
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = lambda *_: self.subscribed.set()
        return client

    # --- paho callbacks (network thread) --------------------------------------------------

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        if rc.is_failure:
            log.warning("MQTT connection refused: %s", rc)
            return
        self.generation += 1
        client.subscribe([(f"{self.prefix}/+/+/events", 1), (f"{self.prefix}/+/gateway/+", 1)])
        self.connected.set()
        log.info(
            "MQTT connected to %s:%s (session present: %s)",
            self.url.host,
            self.url.port,
            flags.session_present,
        )

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("MQTT disconnected (%s); paho reconnects with backoff", rc)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        received = Received(
            message.topic, bytes(message.payload), message.mid, message.qos, self.generation
        )
        # Blocking here when the buffer is full stops reading from the socket: the broker
        # keeps the rest (back-pressure, not loss).
        while not self.stopping.is_set():
            try:
                self.buffer.put(received, timeout=0.5)
                return
            except queue.Full:
                continue

    # --- writer thread ----------------------------------------------------------------------

    def start(self) -> None:
        """Connect (retrying in the background if the broker is down) and start writing."""
        self.client.connect_async(self.url.host, self.url.port, keepalive=30)
        self.client.loop_start()
        self._writer = threading.Thread(
            target=self._write_loop, name="linli-ingest-writer", daemon=True
        )
        self._evaluator = threading.Thread(
            target=self._evaluate_loop, name="linli-ingest-evaluator", daemon=True
        )
        self._evaluator.start()
        self._writer.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the write in progress, acknowledge it, let the alert evaluation of what
        was written finish, and disconnect."""
        self.stopping.set()
        if self._writer is not None:
            self._writer.join(timeout)
        if self._evaluator is not None:
            self.stored_rows.put(None)
            self._evaluator.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def evaluated(self) -> bool:
        """True when every committed write has been through the ``on_stored`` callbacks."""
        return self.stored_rows.unfinished_tasks == 0

    def _evaluate_loop(self) -> None:
        try:
            while True:
                rows = self.stored_rows.get()
                try:
                    if rows is None:
                        return
                    self._evaluate(rows)
                except Exception:  # never die: the writer would wait on a full queue
                    log.exception("alert evaluation of %d rows failed", len(rows or []))
                finally:
                    self.stored_rows.task_done()
        finally:
            db_connection.close()

    def _evaluate(self, rows: list[Row]) -> None:
        """Run the callbacks; while the database is unavailable (or, on SQLite, locked by the
        writer) retry with backoff, so signs of life are not lost to an outage."""
        delay = RETRY_FIRST_S / 20
        for attempt in range(EVALUATE_ATTEMPTS):
            try:
                close_old_connections()
                notify_stored(rows, reraise=(OperationalError, InterfaceError))
                return
            except (OperationalError, InterfaceError) as exc:
                db_connection.close()
                log.warning(
                    "alert evaluation waits for the database (%s), try %d", exc, attempt + 1
                )
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        log.error(
            "alert evaluation of %d rows given up after %d tries", len(rows), EVALUATE_ATTEMPTS
        )

    def _write_loop(self) -> None:
        hooks_hand_to(self.stored_rows.put)
        try:
            while not self.stopping.is_set():
                messages = self._drain()
                if not messages:
                    continue
                try:
                    self._write_and_ack(messages)
                except Exception:
                    # Never die: unacknowledged messages come back after the next reconnect.
                    log.exception(
                        "ingest writer failed; %d messages left unacknowledged", len(messages)
                    )
                    self.stopping.wait(RETRY_FIRST_S)
        finally:
            db_connection.close()

    def _drain(self) -> list[Received]:
        try:
            first = self.buffer.get(timeout=0.2)
        except queue.Empty:
            return []
        messages = [first]
        while len(messages) < MAX_MESSAGES_PER_WRITE:
            try:
                messages.append(self.buffer.get_nowait())
            except queue.Empty:
                break
        return messages

    def _write_and_ack(self, messages: list[Received]) -> None:
        delay = RETRY_FIRST_S
        while True:
            try:
                close_old_connections()
                started = time.perf_counter()
                batches = [self.scopes.batch(m.topic, m.payload) for m in messages]
                results = self.write(batches)
                self.writes += 1
                self.write_seconds += time.perf_counter() - started
                break
            except (OperationalError, InterfaceError) as exc:
                # The database is down or restarting: keep the messages, unacknowledged.
                self.db_failures += 1
                log.warning("database unavailable (%s); retrying in %.0f s", exc, delay)
                db_connection.close()
                if self.stopping.wait(delay):
                    return  # not acknowledged: the broker redelivers them next time
                delay = min(delay * 2, RETRY_MAX_S)
            except Exception:
                # Not an outage but a batch that fails (a row the database refuses, a bug):
                # write message by message so one poison message cannot block the others.
                log.exception("batch failed; writing message by message")
                db_connection.close()
                try:
                    results = [self._write_one(m) for m in messages]
                    break
                except (OperationalError, InterfaceError):
                    continue
        for message in messages:
            # A packet id belongs to its connection: after a reconnect the broker redelivers.
            if (
                message.qos > 0
                and message.generation == self.generation
                and self.connected.is_set()
            ):
                self.client.ack(message.mid, message.qos)
        for result in results:
            self.totals.merge(result)
        if self.on_written is not None:
            self.on_written(results)

    def _write_one(self, message: Received) -> IngestResult:
        """One message on its own; if it still fails, its raw text becomes a dead letter."""
        batch = self.scopes.batch(message.topic, message.payload)
        try:
            return self.write([batch])[0]
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:
            log.exception("message on %s refused; kept as a dead letter", message.topic)
            db_connection.close()
            error = ("write_failed", f"无法写入：{str(exc)[:200]}")
            raw = message.payload.decode("utf-8", "replace")
            letter = Batch([], Channel.MQTT, batch.source, error=error, raw=raw)
            try:
                return ingest_batches([letter])[0]
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                # Even the dead letter failed: the log is the last place the message is kept.
                log.exception("dropping message on %s: %r", message.topic, message.payload[:2000])
                return IngestResult(rejected=1)
