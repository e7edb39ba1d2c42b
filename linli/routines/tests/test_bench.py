"""The detection half of ``linli bench alerts`` on a small simulated town."""

from __future__ import annotations

import json

import pytest

from linli.routines.bench import detection
from linli.routines.simulate import simulate
from linli.routines.traces import TraceError, write_traces

KEYS = {
    "median_delay_h",
    "p90_delay_h",
    "false_alarms_per_100_per_day",
    "absence_alerts_per_100_per_day",
}


def test_returns_the_issue_shape_and_writes_every_alert_raised(tmp_path):
    figures = detection(residents=40, days=10, seed=1, out_dir=tmp_path)
    assert set(figures) == {"residents", "days", "linli", "water_12h", "door_24h"}
    assert (figures["residents"], figures["days"]) == (40, 10)
    for name in ("linli", "water_12h", "door_24h"):
        assert set(figures[name]) == KEYS
    lines = (tmp_path / "alerts_raised.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert records, "forty lives over ten days raise some alert"
    assert all(set(r) == {"resident", "ts", "kind"} for r in records)
    assert all(r["ts"].endswith("+08:00") for r in records)


def test_a_trace_folder_scores_the_same_as_the_same_lives_in_memory(tmp_path):
    write_traces(tmp_path / "traces", simulate(residents=30, days=9, seed=4))
    from_folder = detection(traces_dir=tmp_path / "traces", out_dir=tmp_path / "a")
    in_memory = detection(residents=30, days=9, seed=4, out_dir=tmp_path / "b")
    assert from_folder == in_memory
    assert (tmp_path / "a" / "alerts_raised.jsonl").read_text() == (
        tmp_path / "b" / "alerts_raised.jsonl"
    ).read_text()


def test_too_short_a_trace_is_refused(tmp_path):
    with pytest.raises(ValueError, match="学习期"):
        detection(residents=5, days=5, out_dir=tmp_path)


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(TraceError):
        detection(traces_dir=tmp_path / "none", out_dir=tmp_path)
