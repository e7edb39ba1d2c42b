"""Device traces: read, validate and write the four JSON-lines files of issue 5.

A trace folder holds (one JSON object per line, UTF-8):

- ``residents.jsonl`` — ``{"resident", "age", "living_alone", "devices": [{"device", "kind"}]}``;
  device kinds as in ``linli.devices``: door_access, door_sensor, water_meter, power_meter,
  sos_button, smoke_detector, motion; a device belongs to one resident;
- ``events.jsonl`` — ``{"event", "device", "ts", "kind", "value"}``; ``ts`` ISO 8601 with an
  offset; kinds door_open, door_close, water, power, sos, smoke, motion; ``value`` is the
  cumulative reading of a meter (litres for water, watt-hours for power), ``null`` otherwise;
  the same ``event`` id twice with the same content is stored once (gateways resend);
- ``away.jsonl`` — ``{"resident", "from", "to", "announced"}``; only announced entries reach
  the detector (as away mode); unannounced ones are ground truth for scoring;
- ``incidents.jsonl`` — ground truth ``{"resident", "start"}``: from ``start`` the resident
  produces no events until found. The detector never sees it.

Events are held column-wise in NumPy arrays (a month of a thousand homes is about a million
rows). Times are integer seconds since the Unix epoch (UTC). Errors: :class:`TraceError`
(a ``ValueError``) with a Chinese message naming the file and line.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEVICE_KINDS = (
    "door_access",
    "door_sensor",
    "water_meter",
    "power_meter",
    "sos_button",
    "smoke_detector",
    "motion",
)
EVENT_KINDS = ("door_open", "door_close", "water", "power", "sos", "smoke", "motion")
KIND_CODE = {name: code for code, name in enumerate(EVENT_KINDS)}
DOOR_OPEN, DOOR_CLOSE, WATER, POWER, SOS, SMOKE, MOTION = range(len(EVENT_KINDS))

#: Same table as ``linli.devices.models.EVENT_KINDS_BY_DEVICE`` (kept free of Django here).
EVENT_KINDS_BY_DEVICE: dict[str, frozenset[str]] = {
    "door_access": frozenset({"door_open", "door_close"}),
    "door_sensor": frozenset({"door_open", "door_close"}),
    "water_meter": frozenset({"water"}),
    "power_meter": frozenset({"power"}),
    "sos_button": frozenset({"sos"}),
    "smoke_detector": frozenset({"smoke"}),
    "motion": frozenset({"motion"}),
}
METER_KINDS = frozenset({"water", "power"})

#: Offset used when writing times (China has one time zone and no daylight saving).
CHINA = dt.timezone(dt.timedelta(hours=8))

FILES = ("residents.jsonl", "events.jsonl", "away.jsonl", "incidents.jsonl")


class TraceError(ValueError):
    """A trace file or record is malformed (message in Chinese, with file and line)."""


@dataclass(frozen=True)
class Device:
    device: str
    kind: str


@dataclass(frozen=True)
class Resident:
    resident: str
    age: int
    living_alone: bool
    devices: tuple[Device, ...]


@dataclass(frozen=True)
class Away:
    resident: str
    start: int  # seconds since the epoch ("from")
    end: int  # seconds since the epoch ("to")
    announced: bool


@dataclass(frozen=True)
class Incident:
    resident: str
    start: int  # seconds since the epoch


@dataclass
class Events:
    """Events column-wise, one row per event, in no particular order.

    ``device`` indexes :attr:`Traces.devices`; ``ts`` seconds since the epoch (int64);
    ``kind`` indexes :data:`EVENT_KINDS` (int8); ``value`` the meter reading (float64, NaN when
    the kind carries none); ``ids`` the event ids, or ``None`` for ``"<device>-<row>"``.
    """

    device: np.ndarray
    ts: np.ndarray
    kind: np.ndarray
    value: np.ndarray
    ids: list[str] | None = None

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def empty(cls) -> Events:
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0))


@dataclass
class Traces:
    """A whole trace folder in memory. ``devices`` lists every device id in residents order."""

    residents: list[Resident]
    events: Events
    away: list[Away] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.devices:
            self.devices = [d.device for r in self.residents for d in r.devices]

    def device_owner(self) -> np.ndarray:
        """Resident index (into :attr:`residents`) of each device index, as an int32 array."""
        owner = [i for i, r in enumerate(self.residents) for _ in r.devices]
        return np.asarray(owner, dtype=np.int32)


# --------------------------------------------------------------------------- reading


def parse_time(raw: Any, where: str, name: str) -> int:
    """ISO 8601 text with an offset → whole seconds since the epoch. Raises :class:`TraceError`."""
    if not isinstance(raw, str):
        raise TraceError(f"{where}：{name} 必须是带时区的 ISO 8601 时间文本")
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise TraceError(f"{where}：{name} 不是合法的 ISO 8601 时间：{raw}") from exc
    if moment.utcoffset() is None:
        raise TraceError(f"{where}：{name} 缺少时区偏移（如 +08:00）：{raw}")
    return math.floor(moment.timestamp())


def format_time(seconds: int | float, tz: dt.tzinfo = CHINA) -> str:
    """Seconds since the epoch → ISO 8601 text with the offset of ``tz`` (default +08:00)."""
    return dt.datetime.fromtimestamp(int(seconds), tz).isoformat()


def _lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if not path.is_file():
        raise TraceError(f"缺少轨迹文件：{path}")
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path.name} 第 {number} 行"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TraceError(f"{where}：不是合法的 JSON（{exc.msg}）") from exc
            if not isinstance(record, dict):
                raise TraceError(f"{where}：每行必须是一个 JSON 对象")
            yield where, record


def _text(record: dict[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise TraceError(f"{where}：缺少 {key}，或不是非空文本")
    return value


def _resident(record: dict[str, Any], where: str) -> Resident:
    rid = _text(record, "resident", where)
    age = record.get("age")
    if not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 130:
        raise TraceError(f"{where}：age 必须是 0–130 的整数")
    alone = record.get("living_alone")
    if not isinstance(alone, bool):
        raise TraceError(f"{where}：living_alone 必须是 true 或 false")
    raw = record.get("devices")
    if not isinstance(raw, list):
        raise TraceError(f"{where}：devices 必须是数组")
    devices = []
    for item in raw:
        if not isinstance(item, dict):
            raise TraceError(f"{where}：devices 的每一项必须是对象")
        kind = _text(item, "kind", where)
        if kind not in EVENT_KINDS_BY_DEVICE:
            raise TraceError(f"{where}：未知设备类型 {kind}（可用：{'、'.join(DEVICE_KINDS)}）")
        devices.append(Device(_text(item, "device", where), kind))
    return Resident(rid, age, alone, tuple(devices))


def read_residents(path: Path) -> list[Resident]:
    """Read ``residents.jsonl``. Raises :class:`TraceError` on a bad line or a repeated id."""
    residents: list[Resident] = []
    seen: set[str] = set()
    devices: set[str] = set()
    for where, record in _lines(path):
        resident = _resident(record, where)
        if resident.resident in seen:
            raise TraceError(f"{where}：居民 {resident.resident} 重复")
        seen.add(resident.resident)
        for device in resident.devices:
            if device.device in devices:
                raise TraceError(f"{where}：设备 {device.device} 已属于其他居民")
            devices.add(device.device)
        residents.append(resident)
    return residents


def read_events(path: Path, residents: list[Resident]) -> Events:
    """Read ``events.jsonl`` against the residents' devices.

    Raises :class:`TraceError` for an unknown device, a kind the device cannot send, a meter
    event without a non-negative reading, a time without an offset, or one event id used for
    two different events. An exact repeat of an event is skipped (stored once).
    """
    index: dict[str, tuple[int, str]] = {}
    for r in residents:
        for d in r.devices:
            index[d.device] = (len(index), d.kind)
    seen: dict[str, tuple[int, int, int, float | None]] = {}
    device: list[int] = []
    ts: list[int] = []
    kind: list[int] = []
    value: list[float] = []
    ids: list[str] = []
    for where, record in _lines(path):
        eid = _text(record, "event", where)
        did = _text(record, "device", where)
        if did not in index:
            raise TraceError(f"{where}：设备 {did} 不在 residents.jsonl 中")
        dindex, dkind = index[did]
        kname = _text(record, "kind", where)
        if kname not in KIND_CODE:
            raise TraceError(f"{where}：未知事件类型 {kname}（可用：{'、'.join(EVENT_KINDS)}）")
        if kname not in EVENT_KINDS_BY_DEVICE[dkind]:
            raise TraceError(f"{where}：{dkind} 类设备不会发送 {kname} 事件")
        raw = record.get("value")
        if kname in METER_KINDS:
            if not isinstance(raw, int | float) or isinstance(raw, bool) or raw < 0:
                raise TraceError(f"{where}：表计读数 value 必须是非负数（累计升或瓦时）")
            reading: float | None = float(raw)
        else:
            if raw is not None and not isinstance(raw, int | float):
                raise TraceError(f"{where}：value 必须是数字或 null")
            reading = None
        seconds = parse_time(record.get("ts"), where, "ts")
        key = (dindex, seconds, KIND_CODE[kname], reading)
        if eid in seen:
            if seen[eid] != key:
                raise TraceError(f"{where}：事件编号 {eid} 重复且内容不同")
            continue
        seen[eid] = key
        device.append(dindex)
        ts.append(seconds)
        kind.append(KIND_CODE[kname])
        value.append(math.nan if reading is None else reading)
        ids.append(eid)
    return Events(
        np.asarray(device, dtype=np.int32),
        np.asarray(ts, dtype=np.int64),
        np.asarray(kind, dtype=np.int8),
        np.asarray(value, dtype=np.float64),
        ids,
    )


def read_away(path: Path, known: set[str]) -> list[Away]:
    """Read ``away.jsonl``. Raises :class:`TraceError` (unknown resident, ``to`` ≤ ``from``)."""
    entries = []
    for where, record in _lines(path):
        rid = _text(record, "resident", where)
        if rid not in known:
            raise TraceError(f"{where}：居民 {rid} 不在 residents.jsonl 中")
        start = parse_time(record.get("from"), where, "from")
        end = parse_time(record.get("to"), where, "to")
        if end <= start:
            raise TraceError(f"{where}：to 必须晚于 from")
        announced = record.get("announced")
        if not isinstance(announced, bool):
            raise TraceError(f"{where}：announced 必须是 true 或 false")
        entries.append(Away(rid, start, end, announced))
    return entries


def read_incidents(path: Path, known: set[str]) -> list[Incident]:
    """Read ``incidents.jsonl``. Raises :class:`TraceError` on a bad line or unknown resident."""
    incidents = []
    for where, record in _lines(path):
        rid = _text(record, "resident", where)
        if rid not in known:
            raise TraceError(f"{where}：居民 {rid} 不在 residents.jsonl 中")
        incidents.append(Incident(rid, parse_time(record.get("start"), where, "start")))
    return incidents


def read_traces(folder: Path | str, *, incidents: bool = True) -> Traces:
    """Read a trace folder. ``away.jsonl`` and ``incidents.jsonl`` may be absent (no entries).

    With ``incidents=False`` the ground truth is not read at all (what a detector may see).
    Raises :class:`TraceError`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise TraceError(f"轨迹目录不存在：{folder}")
    residents = read_residents(folder / "residents.jsonl")
    known = {r.resident for r in residents}
    events = read_events(folder / "events.jsonl", residents)
    away_path = folder / "away.jsonl"
    away = read_away(away_path, known) if away_path.exists() else []
    truth_path = folder / "incidents.jsonl"
    truth = read_incidents(truth_path, known) if incidents and truth_path.exists() else []
    return Traces(residents, events, away, truth)


# --------------------------------------------------------------------------- writing


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_traces(folder: Path | str, traces: Traces, *, tz: dt.tzinfo = CHINA) -> None:
    """Write the four files into ``folder`` (created if needed), events sorted by time.

    Each file is written beside its final name and renamed into place, so a reader never sees
    half a file. Times carry the offset of ``tz`` (default +08:00).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, lines: Iterator[str]) -> None:
        partial = folder / f".{name}.partial"
        with partial.open("w", encoding="utf-8") as fh:
            fh.writelines(lines)
        partial.replace(folder / name)

    put(
        "residents.jsonl",
        (
            _dump(
                {
                    "resident": r.resident,
                    "age": r.age,
                    "living_alone": r.living_alone,
                    "devices": [{"device": d.device, "kind": d.kind} for d in r.devices],
                }
            )
            for r in traces.residents
        ),
    )
    put("events.jsonl", _event_lines(traces, tz))
    put(
        "away.jsonl",
        (
            _dump(
                {
                    "resident": a.resident,
                    "from": format_time(a.start, tz),
                    "to": format_time(a.end, tz),
                    "announced": a.announced,
                }
            )
            for a in traces.away
        ),
    )
    put(
        "incidents.jsonl",
        (
            _dump({"resident": i.resident, "start": format_time(i.start, tz)})
            for i in traces.incidents
        ),
    )


def _event_lines(traces: Traces, tz: dt.tzinfo) -> Iterator[str]:
    ev = traces.events
    order = np.lexsort((ev.device, ev.ts))
    names = traces.devices
    for row in order.tolist():
        raw = float(ev.value[row])
        value: float | int | None = None if math.isnan(raw) else raw
        if value is not None and value == int(value):
            value = int(value)
        device = names[int(ev.device[row])]
        yield _dump(
            {
                "event": ev.ids[row] if ev.ids is not None else f"{device}-{row}",
                "device": device,
                "ts": format_time(int(ev.ts[row]), tz),
                "kind": EVENT_KINDS[int(ev.kind[row])],
                "value": value,
            }
        )


# --------------------------------------------------------------------------- per resident


@dataclass
class ResidentEvents:
    """One resident's events sorted by time: ``ts`` (int64 s), ``kind`` (int8 code), ``value``
    (float64 reading or NaN) and ``delta`` (float64: the increase of the same meter since its
    previous reading — litres or watt-hours —, ``elapsed`` seconds since that reading; NaN for
    a meter's first reading and for non-meter events)."""

    ts: np.ndarray
    kind: np.ndarray
    value: np.ndarray
    delta: np.ndarray
    elapsed: np.ndarray


def split_by_resident(traces: Traces) -> list[ResidentEvents]:
    """The events of each resident (in :attr:`Traces.residents` order), with meter increments."""
    ev = traces.events
    owner = traces.device_owner()
    res = owner[ev.device] if len(ev) else np.zeros(0, np.int32)
    order = np.lexsort((ev.ts, ev.device))
    device_sorted = ev.device[order]
    ts_sorted = ev.ts[order]
    value_sorted = ev.value[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = device_sorted[1:] == device_sorted[:-1]
    delta = np.full(len(order), np.nan)
    elapsed = np.full(len(order), np.nan)
    delta[1:] = value_sorted[1:] - value_sorted[:-1]
    elapsed[1:] = ts_sorted[1:] - ts_sorted[:-1]
    delta[~same] = np.nan
    elapsed[~same] = np.nan
    full_delta = np.empty(len(order))
    full_elapsed = np.empty(len(order))
    full_delta[order] = delta
    full_elapsed[order] = elapsed
    by_res = np.lexsort((ev.ts, res))
    bounds = np.searchsorted(res[by_res], np.arange(len(traces.residents) + 1))
    out = []
    for i in range(len(traces.residents)):
        rows = by_res[bounds[i] : bounds[i + 1]]
        out.append(
            ResidentEvents(
                ev.ts[rows], ev.kind[rows], ev.value[rows], full_delta[rows], full_elapsed[rows]
            )
        )
    return out
