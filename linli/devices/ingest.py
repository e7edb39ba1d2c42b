"""The ingestion core shared by MQTT and HTTP: validate, resolve devices, store in bulk.

:func:`ingest` takes the decoded items of one message (or HTTP batch), stores the good
events with one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` per 2,000 rows and writes a
dead letter for each bad one, all in one transaction: if the database fails, nothing of
the batch is written and the caller may simply retry (the idempotency key makes the retry
harmless). Events may arrive late and in any order; only times beyond the future tolerance
or before the retention cut-off are refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from linli.common.metrics import device_events_count
from linli.devices import partitions
from linli.devices.models import EVENT_KINDS_BY_DEVICE, DeadLetter, Device, DeviceEvent
from linli.devices.payload import EventIn, PayloadError, validate_event

INSERT_CHUNK = 2000
log = logging.getLogger(__name__)
#: Registry changes (a new or deactivated device) reach a running ingestor within this time.
DEVICE_CACHE_SECONDS = 60.0


class Outcome:
    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclasses.dataclass(frozen=True, slots=True)
class EventOutcome:
    """What happened to the ``index``-th item of a batch (``code``/``reason`` when rejected)."""

    index: int
    event: str | None
    status: str
    code: str = ""
    reason: str = ""


@dataclasses.dataclass(slots=True)
class IngestResult:
    """Counts of one batch and the outcome of each item, in the order received."""

    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    outcomes: list[EventOutcome] = dataclasses.field(default_factory=list)

    def merge(self, other: IngestResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected += other.rejected


@dataclasses.dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: int
    kind: str
    vendor: str
    path: str  # the micro-grid's area path, e.g. /640100/640106/640106001/…/
    active: bool


class DeviceCache:
    """External id → registered devices, refreshed every ``DEVICE_CACHE_SECONDS``.

    One query per batch for the ids not yet cached; unknown ids are cached too (as empty)
    so a misconfigured device flooding the broker costs no query per message.
    """

    def __init__(self, ttl: float = DEVICE_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._by_external: dict[str, list[DeviceInfo]] = {}
        self._loaded_at = time.monotonic()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._by_external = {}
            self._loaded_at = time.monotonic()

    def lookup(self, external_ids: set[str]) -> dict[str, list[DeviceInfo]]:
        if time.monotonic() - self._loaded_at > self.ttl:
            self.clear()
        missing = external_ids - self._by_external.keys()
        if missing:
            found: dict[str, list[DeviceInfo]] = {key: [] for key in missing}
            rows = Device.objects.filter(external_id__in=missing).values_list(
                "id",
                "kind",
                "vendor",
                "external_id",
                "active",
                "household__building__micro_grid__path",
            )
            for pk, kind, vendor, external_id, active, path in rows:
                found[external_id].append(DeviceInfo(pk, kind, vendor, path, active))
            with self._lock:
                self._by_external.update(found)
        return {key: self._by_external.get(key, []) for key in external_ids}


device_cache = DeviceCache()


@dataclasses.dataclass(slots=True)
class Batch:
    """The decoded items of one message with the scope its topic or gateway allows.

    ``area_path``: devices must lie under this area path (the topic's community or the
    gateway's area); ``None`` accepts any registered device. ``only_device``: the external id
    named by a per-device topic. ``error``: (code, reason) when the whole message is refused
    (not JSON, unknown topic …) — then ``raw`` becomes one dead letter and ``items`` is empty.
    """

    items: Sequence[Any]
    channel: str
    source: str
    area_path: str | None = None
    only_device: str | None = None
    error: tuple[str, str] | None = None
    raw: str = ""


def ingest(
    events: Sequence[Any],
    *,
    channel: str,
    source: str,
    area_path: str | None = None,
    only_device: str | None = None,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Store the valid events of one batch; dead-letter each invalid one with its reason.

    Args:
        events: decoded JSON items (see :func:`linli.devices.payload.validate_event`).
        channel: ``"mqtt"`` or ``"http"``; ``source`` the topic or gateway key id (dead letters).
        area_path, only_device: the scope of the batch, see :class:`Batch`.
        now: the server time (tests); default ``timezone.now()``.

    Returns:
        counts and per-item outcomes; duplicates are events already stored (same device,
        ``event`` and ``ts``) or repeated in the batch.

    Raises:
        django.db.DatabaseError: when the database cannot be written; nothing was written.
    """
    batch = Batch(events, channel, source, area_path=area_path, only_device=only_device)
    return ingest_batches([batch], now=now)[0]


def ingest_batches(
    batches: Sequence[Batch], *, now: dt.datetime | None = None
) -> list[IngestResult]:
    """:func:`ingest` for several messages in ONE transaction (the MQTT consumer's unit of work).

    Returns one :class:`IngestResult` per batch, in order. A batch with ``error`` counts as
    one rejected item. Raises :class:`django.db.DatabaseError` with nothing written.
    """
    now = now or timezone.now()
    checked = [
        _check(b.items, area_path=b.area_path, only_device=b.only_device, now=now) for b in batches
    ]
    rows = [_rows(accepted) for accepted, _ in checked]
    all_rows = [row for batch_rows in rows for row in batch_rows]
    if all_rows:
        partitions.partitions_ensure({row[2] for row in all_rows})
    letters = []
    for batch, (_, rejected) in zip(batches, checked, strict=True):
        if batch.error:
            code, reason = batch.error
            letters.append(
                dead_letter_build(
                    channel=batch.channel,
                    source=batch.source,
                    payload=batch.raw,
                    code=code,
                    reason=reason,
                    now=now,
                )
            )
        letters += [
            _dead_letter(batch.channel, batch.source, batch.items[i], code, reason, now)
            for i, (code, reason) in rejected.items()
        ]
    with transaction.atomic():
        inserted = write_rows(all_rows, received_at=now)
        if letters:
            DeadLetter.objects.bulk_create(letters)
        if inserted and _on_stored:
            new = [row for row in all_rows if (row[0], row[1], row[2]) in inserted]
            transaction.on_commit(lambda: _hand_over(new))
    seen: set[tuple[int, str, dt.datetime]] = set()
    results = [
        _outcomes(batch, accepted, batch_rows, rejected, inserted, seen)
        for batch, (accepted, rejected), batch_rows in zip(batches, checked, rows, strict=True)
    ]
    for batch, result in zip(batches, results, strict=True):  # Prometheus (docs/deploy.md)
        device_events_count(
            batch.channel,
            stored=result.stored,
            duplicates=result.duplicates,
            rejected=result.rejected,
        )
    return results


#: Called after commit with the rows that were new (not duplicates), in arrival order.
_on_stored: list[Callable[[list[Row]], None]] = []


def on_stored(callback: Callable[[list[Row]], None]) -> Callable[[list[Row]], None]:
    """Register ``callback(rows)`` to run after each commit that stored new events.

    ``rows`` are ``(device id, event id, ts in UTC, kind, value)`` tuples. This is how alert
    evaluation (SOS, smoke, water running) hears of events without the ingestor importing
    it. A callback that raises is logged and does not undo or retry the write, so anything
    that must not be missed also needs its own periodic check. Usable as a decorator.
    """
    if callback not in _on_stored:
        _on_stored.append(callback)
    return callback


_sink = threading.local()


def hooks_hand_to(sink: Callable[[list[Row]], None] | None) -> None:
    """In the calling thread, hand each commit's new rows to ``sink`` instead of running the
    ``on_stored`` callbacks in place (None: run them in place again). The MQTT ingestor uses
    it to evaluate alerts in a thread of its own while the next write goes on."""
    _sink.fn = sink


def _hand_over(rows: list[Row]) -> None:
    sink = getattr(_sink, "fn", None)
    if sink is not None:
        sink(rows)
    else:
        notify_stored(rows)


def notify_stored(rows: list[Row], *, reraise: tuple[type[Exception], ...] = ()) -> None:
    """Run the ``on_stored`` callbacks on ``rows``; each failure is logged, not raised,
    except those of the ``reraise`` types (the caller retries: database unavailable)."""
    for callback in list(_on_stored):
        try:
            callback(rows)
        except reraise:
            raise
        except Exception:
            log.exception("on_stored callback %r failed", callback)


def _outcomes(
    batch: Batch,
    accepted: dict[int, tuple[EventIn, DeviceInfo]],
    rows: list[Row],
    rejected: dict[int, tuple[str, str]],
    inserted: set[tuple[Any, ...]],
    seen: set[tuple[int, str, dt.datetime]],
) -> IngestResult:
    result = IngestResult()
    if batch.error:
        code, reason = batch.error
        result.outcomes.append(EventOutcome(0, None, Outcome.REJECTED, code, reason))
        result.rejected = 1
        return result
    keys = {index: (row[0], row[1], row[2]) for index, row in zip(accepted, rows, strict=True)}
    for index, item in enumerate(batch.items):
        if index in rejected:
            code, reason = rejected[index]
            event_id = item.get("event") if isinstance(item, dict) else None
            result.outcomes.append(
                EventOutcome(index, _text(event_id), Outcome.REJECTED, code, reason)
            )
            result.rejected += 1
            continue
        key = keys[index]
        if key in inserted and key not in seen:
            seen.add(key)
            result.outcomes.append(EventOutcome(index, key[1], Outcome.STORED))
            result.stored += 1
        else:
            result.outcomes.append(EventOutcome(index, key[1], Outcome.DUPLICATE))
            result.duplicates += 1
    return result


Row = tuple[int, str, dt.datetime, str, float | None]


def _check(
    events: Sequence[Any], *, area_path: str | None, only_device: str | None, now: dt.datetime
) -> tuple[dict[int, tuple[EventIn, DeviceInfo]], dict[int, tuple[str, str]]]:
    """Split a batch into accepted (index → event, device) and rejected (index → code, reason)."""
    valid: dict[int, EventIn] = {}
    rejected: dict[int, tuple[str, str]] = {}
    for index, item in enumerate(events):
        try:
            valid[index] = validate_event(item)
        except PayloadError as exc:
            rejected[index] = (exc.code, exc.reason)
    devices = device_cache.lookup({event.device for event in valid.values()})
    earliest = partitions.retention_cutoff(now)
    latest = now + dt.timedelta(seconds=settings.DEVICES_FUTURE_TOLERANCE_S)
    accepted: dict[int, tuple[EventIn, DeviceInfo]] = {}
    for index, event in valid.items():
        try:
            device = _device(event, devices[event.device], area_path, only_device)
            _check_event(event, device, earliest, latest)
        except PayloadError as exc:
            rejected[index] = (exc.code, exc.reason)
            continue
        accepted[index] = (event, device)
    return accepted, rejected


def _device(
    event: EventIn, candidates: list[DeviceInfo], area_path: str | None, only_device: str | None
) -> DeviceInfo:
    if only_device is not None and event.device != only_device:
        raise PayloadError("topic_mismatch", f"设备编号 {event.device} 与主题中的设备不一致")
    if event.vendor is not None:
        candidates = [d for d in candidates if d.vendor == event.vendor]
    if not candidates:
        raise PayloadError("unknown_device", f"设备未登记：{event.device}")
    if len(candidates) > 1:
        raise PayloadError(
            "ambiguous_device", f"多个厂商有设备 {event.device}，请在消息中注明 vendor"
        )
    device = candidates[0]
    if not device.active:
        raise PayloadError("inactive_device", f"设备已停用：{event.device}")
    if area_path is not None and not device.path.startswith(area_path):
        raise PayloadError("wrong_area", f"设备 {event.device} 不属于该社区或网关")
    return device


def _check_event(
    event: EventIn, device: DeviceInfo, earliest: dt.datetime, latest: dt.datetime
) -> None:
    if event.kind not in EVENT_KINDS_BY_DEVICE[device.kind]:
        raise PayloadError("kind_mismatch", f"设备类型 {device.kind} 不会发出 {event.kind} 事件")
    if event.ts > latest:
        raise PayloadError("future_ts", f"事件时间晚于当前时间过多：{event.ts.isoformat()}")
    if event.ts < earliest:
        raise PayloadError("too_old", f"事件时间早于保存期限：{event.ts.isoformat()}")


def _rows(parsed: dict[int, tuple[EventIn, DeviceInfo]]) -> list[Row]:
    return [
        (device.id, event.event_id, event.ts.astimezone(dt.UTC), event.kind, event.value)
        for event, device in parsed.values()
    ]


def write_rows(rows: list[Row], *, received_at: dt.datetime | None = None) -> set[tuple]:
    """Insert ``rows`` (device id, event id, ts in UTC, kind, value), skipping conflicts.

    Returns the ``(device id, event id, ts)`` keys that were new. PostgreSQL gets one
    ``INSERT … SELECT FROM json_array_elements(%s)`` per ``INSERT_CHUNK`` rows (two
    parameters instead of six per row: planning and adapting a 12,000-parameter VALUES list
    costs more than the insert);
    SQLite a multi-row ``VALUES``. The caller holds the transaction.
    """
    received = received_at or timezone.now()
    table = connection.ops.quote_name(DeviceEvent._meta.db_table)
    columns = "device_id, event_id, ts, kind, value, received_at"
    tail = "ON CONFLICT DO NOTHING RETURNING device_id, event_id, ts"
    inserted: set[tuple] = set()
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        if connection.vendor == "postgresql":
            # The rows travel as one JSON text (json.dumps is C code) instead of per-value
            # parameters, which psycopg would adapt one by one in Python.
            data = json.dumps([(d, e, ts.isoformat(), k, v) for d, e, ts, k, v in chunk])
            sql = (
                f"INSERT INTO {table} ({columns}) "
                "SELECT (r->>0)::bigint, r->>1, (r->>2)::timestamptz, r->>3, (r->>4)::float8, %s "
                f"FROM json_array_elements(%s::json) AS r {tail}"
            )
            params: list[Any] = [received, data]
        else:
            adapt = connection.ops.adapt_datetimefield_value
            received_db = adapt(received)
            params = []
            for device_id, event_id, ts, kind, value in chunk:
                params += [device_id, event_id, adapt(ts), kind, value, received_db]
            values_sql = ",".join(["(%s,%s,%s,%s,%s,%s)"] * len(chunk))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values_sql} {tail}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for device_id, event_id, ts_db in cursor.fetchall():
                inserted.add((device_id, event_id, _utc(ts_db)))
    return inserted


def _utc(value: Any) -> dt.datetime:
    """A timestamp read back from the database as an aware UTC datetime.

    SQLite hands back naive UTC datetimes (or text), PostgreSQL aware ones.
    """
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _dead_letter(
    channel: str, source: str, item: Any, code: str, reason: str, now: dt.datetime
) -> DeadLetter:
    try:
        text = json.dumps(item, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(item)
    return dead_letter_build(
        channel=channel, source=source, payload=text, code=code, reason=reason, now=now
    )


def dead_letter_build(
    *, channel: str, source: str, payload: str, code: str, reason: str, now: dt.datetime
) -> DeadLetter:
    """An unsaved :class:`DeadLetter`, ``payload`` cut to ``DEVICES_DEAD_LETTER_MAX_CHARS``."""
    return DeadLetter(
        received_at=now,
        channel=channel,
        source=_printable(source[:200]),
        payload=_printable(payload[: settings.DEVICES_DEAD_LETTER_MAX_CHARS]),
        code=code[:40],
        reason=_printable(reason[:300]),
    )


def _printable(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a device may well send one.
    return text.replace("\x00", "\ufffd")


def dead_letter_record(
    *, channel: str, source: str, payload: bytes | str, code: str, reason: str
) -> DeadLetter:
    """Store a whole message that could not be read (not JSON, unknown topic, bad signature…)."""
    if isinstance(payload, bytes):
        payload = payload[: settings.DEVICES_DEAD_LETTER_MAX_CHARS * 4].decode("utf-8", "replace")
    letter = dead_letter_build(
        channel=channel,
        source=source,
        payload=payload,
        code=code,
        reason=reason,
        now=timezone.now(),
    )
    letter.save()
    return letter


def _text(value: Any) -> str | None:
    return value[:64] if isinstance(value, str) else None
