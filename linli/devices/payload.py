"""The vendor-neutral event payload (docs/devices.md): parsing and strict validation.

A message is one event object or a JSON array of them::

    {"event": "e-1", "device": "WM-0001", "ts": "2026-11-29T07:12:03+08:00",
     "kind": "water", "value": 1234.5, "vendor": "acme"}

Every problem is a :class:`PayloadError` with a machine ``code`` and a Chinese ``reason``;
the ingestor turns it into a dead letter. Checks that need the device registry (unknown
device, wrong kind for the device, time outside the accepted window) live in
:mod:`linli.devices.ingest`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

from linli.devices.models import METER_EVENT_KINDS, EventKind

REQUIRED = ("event", "device", "ts", "kind")
ALLOWED = frozenset({*REQUIRED, "value", "vendor"})
MAX_ID_CHARS = 64
MAX_VENDOR_CHARS = 50
#: Largest meter reading accepted: 1e12 litres or watt-hours is far beyond any household.
MAX_VALUE = 1e12
EVENT_KINDS = frozenset(EventKind.values)


class PayloadError(ValueError):
    """A message or event that cannot be accepted; ``code`` for machines, ``reason`` for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class EventIn:
    """One validated event: ``ts`` aware (its own offset kept), ``value`` litres or Wh or None."""

    event_id: str
    device: str
    ts: dt.datetime
    kind: str
    value: float | None
    vendor: str | None


def parse_message(raw: bytes | str) -> list[Any]:
    """The items of a message: a one-element list for an object, the list for an array.

    Raises:
        PayloadError: ``not_utf8``, ``not_json``, ``not_event`` (neither an object nor an
            array), ``empty_batch``.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise PayloadError("not_utf8", "消息不是 UTF-8 编码的文本") from None
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise PayloadError("not_json", f"消息不是合法的 JSON：{str(exc)[:100]}") from None
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        if not data:
            raise PayloadError("empty_batch", "批量消息是空数组")
        return data
    raise PayloadError("not_event", "消息应为一个事件对象或事件数组")


def _reject_constant(name: str) -> None:
    raise ValueError(f"不支持 {name}")


def validate_event(item: Any) -> EventIn:
    """Check one event object strictly and return it typed.

    Rules: an object with exactly the keys ``event``, ``device``, ``ts``, ``kind`` and
    optionally ``value`` and ``vendor``; ids are 1–64 printable characters; ``ts`` is ISO 8601
    with a UTC offset; ``kind`` one of :class:`EventKind`; ``value`` a finite number
    0 ≤ v ≤ 1e12 for ``water``/``power`` (cumulative litres, watt-hours) and absent or null
    for the other kinds.

    Raises:
        PayloadError: with codes ``not_object``, ``missing_field``, ``unknown_field``,
            ``bad_id``, ``bad_ts``, ``bad_kind``, ``bad_value``, ``bad_vendor``.
    """
    if not isinstance(item, dict):
        raise PayloadError("not_object", "事件应为 JSON 对象")
    missing = [key for key in REQUIRED if key not in item]
    if missing:
        raise PayloadError("missing_field", f"缺少字段：{'、'.join(missing)}")
    unknown = sorted(str(key) for key in item if key not in ALLOWED)
    if unknown:
        raise PayloadError("unknown_field", f"不认识的字段：{'、'.join(unknown)[:100]}")
    event_id = _identifier(item["event"], "event", "事件编号")
    device = _identifier(item["device"], "device", "设备编号")
    kind = item["kind"]
    if not isinstance(kind, str) or kind not in EVENT_KINDS:
        raise PayloadError("bad_kind", f"事件类型不合法：{str(kind)[:30]}")
    return EventIn(
        event_id=event_id,
        device=device,
        ts=parse_ts(item["ts"]),
        kind=kind,
        value=_value(item.get("value"), kind),
        vendor=_vendor(item.get("vendor")),
    )


def parse_ts(value: Any) -> dt.datetime:
    """An ISO 8601 date-time with a UTC offset (``Z`` or ``±hh:mm``) as an aware datetime.

    Raises:
        PayloadError: ``bad_ts`` for anything else, including times without an offset.
    """
    if not isinstance(value, str) or not 16 <= len(value) <= 40 or "T" not in value.upper():
        raise PayloadError("bad_ts", "时间应为带时区的 ISO 8601 格式，如 2026-11-29T07:12:03+08:00")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError("bad_ts", f"时间无法解析：{value[:40]}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PayloadError("bad_ts", f"时间缺少时区（如 +08:00）：{value[:40]}")
    return moment


def _identifier(value: Any, field: str, label: str) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_ID_CHARS
        or not value.isprintable()
        or value != value.strip()
    ):
        raise PayloadError("bad_id", f"{label}（{field}）应为 1–{MAX_ID_CHARS} 个可见字符")
    return value


def _value(value: Any, kind: str) -> float | None:
    if kind not in METER_EVENT_KINDS:
        if value is not None:
            raise PayloadError("bad_value", f"{kind} 事件不带读数（value 应为空）")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError("bad_value", "表计事件的读数（value）应为数字")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or not 0 <= number <= MAX_VALUE:
        raise PayloadError("bad_value", f"读数超出范围（0–{MAX_VALUE:.0e}）：{value}")
    return number


def _vendor(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_VENDOR_CHARS:
        raise PayloadError("bad_vendor", f"厂商（vendor）应为 1–{MAX_VENDOR_CHARS} 个字符")
    return value
