"""The trace format: a round trip keeps every record; each kind of bad file is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from linli.routines.simulate import simulate
from linli.routines.traces import TraceError, read_traces, write_traces


def write(folder, name, records):
    (folder / name).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


def event(**changes):
    """A valid door event of device d1, with ``changes`` applied."""
    return {
        "event": "e9",
        "device": "d1",
        "ts": "2026-03-02T07:00:00+08:00",
        "kind": "door_open",
        "value": None,
        **changes,
    }


def away(start, end, resident="r1"):
    return {"resident": resident, "from": start, "to": end, "announced": True}


RESIDENTS = [
    {
        "resident": "r1",
        "age": 80,
        "living_alone": True,
        "devices": [
            {"device": "d1", "kind": "door_sensor"},
            {"device": "w1", "kind": "water_meter"},
        ],
    }
]


@pytest.fixture
def folder(tmp_path):
    write(tmp_path, "residents.jsonl", RESIDENTS)
    write(
        tmp_path,
        "events.jsonl",
        [
            event(event="e1"),
            event(event="e2", device="w1", ts="2026-03-01T23:15:00Z", kind="water", value=12.5),
        ],
    )
    return tmp_path


def test_round_trip_keeps_residents_events_away_and_incidents(tmp_path):
    traces = simulate(residents=3, days=3, seed=5, incident_rate=0.2)
    write_traces(tmp_path, traces)
    back = read_traces(tmp_path)
    assert back.residents == traces.residents
    assert back.away == traces.away
    assert back.incidents == traces.incidents and traces.incidents
    order_a = np.lexsort((traces.events.kind, traces.events.device, traces.events.ts))
    order_b = np.lexsort((back.events.kind, back.events.device, back.events.ts))
    for column in ("device", "ts", "kind"):
        assert np.array_equal(
            getattr(traces.events, column)[order_a], getattr(back.events, column)[order_b]
        )
    assert np.allclose(traces.events.value[order_a], back.events.value[order_b], equal_nan=True)


def test_times_with_any_offset_are_read_as_the_same_instant(folder):
    traces = read_traces(folder)
    # 07:00 Beijing and 23:15 UTC the evening before (= 07:15 Beijing)
    assert sorted(traces.events.ts.tolist()) == [1772406000, 1772406000 + 15 * 60]


def test_without_ground_truth_the_detector_view_has_no_incidents(folder):
    write(folder, "incidents.jsonl", [{"resident": "r1", "start": "2026-03-02T08:00:00+08:00"}])
    assert read_traces(folder).incidents
    assert read_traces(folder, incidents=False).incidents == []


def test_an_exact_resend_is_stored_once(folder):
    lines = (folder / "events.jsonl").read_text().splitlines()
    (folder / "events.jsonl").write_text("\n".join([*lines, lines[0]]) + "\n")
    assert len(read_traces(folder).events) == 2


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (event(ts="2026-03-02T07:00:00"), "缺少时区偏移"),
        (event(device="x9"), "不在 residents.jsonl"),
        (event(kind="water", value=3), "不会发送 water"),
        (event(device="w1", kind="water", value=-1), "非负数"),
        (event(device="w1", kind="water", value=None), "非负数"),
        (event(kind="fire"), "未知事件类型"),
        (event(event="e1", ts="2026-03-02T09:00:00+08:00"), "重复且内容不同"),
        (event(ts="昨天"), "ISO 8601"),
    ],
)
def test_a_bad_event_names_file_line_and_problem(folder, record, message):
    with (folder / "events.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    with pytest.raises(TraceError, match=message) as caught:
        read_traces(folder)
    assert "events.jsonl 第 3 行" in str(caught.value)


def test_a_line_that_is_not_json_is_refused(folder):
    with (folder / "events.jsonl").open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(TraceError, match="第 3 行：不是合法的 JSON"):
        read_traces(folder)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{**RESIDENTS[0], "age": "八十"}], "age"),
        ([{**RESIDENTS[0], "living_alone": "是"}], "living_alone"),
        ([{**RESIDENTS[0], "devices": [{"device": "d1", "kind": "camera"}]}], "未知设备类型"),
        ([RESIDENTS[0], RESIDENTS[0]], "重复"),
        ([RESIDENTS[0], {**RESIDENTS[0], "resident": "r2"}], "已属于其他居民"),
    ],
)
def test_bad_residents_are_refused(folder, records, message):
    write(folder, "residents.jsonl", records)
    with pytest.raises(TraceError, match=message):
        read_traces(folder)


def test_away_must_end_after_it_starts_and_name_a_known_resident(folder):
    write(folder, "away.jsonl", [away("2026-03-03T00:00:00+08:00", "2026-03-02T00:00:00+08:00")])
    with pytest.raises(TraceError, match="to 必须晚于 from"):
        read_traces(folder)
    write(
        folder,
        "away.jsonl",
        [away("2026-03-02T00:00:00+08:00", "2026-03-03T00:00:00+08:00", resident="r7")],
    )
    with pytest.raises(TraceError, match="居民 r7"):
        read_traces(folder)


def test_a_missing_folder_or_events_file_is_named(tmp_path):
    with pytest.raises(TraceError, match="轨迹目录不存在"):
        read_traces(tmp_path / "nowhere")
    write(tmp_path, "residents.jsonl", RESIDENTS)
    with pytest.raises(TraceError, match="缺少轨迹文件"):
        read_traces(tmp_path)
