"""The ingest half of ``linli bench alerts`` on a small scale: every event stored exactly once."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import OutputWrapper

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "alerts.py"


def load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("linli_bench_alerts_test", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_measure_ingest_stores_every_event_once_and_reports_the_issue_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = load_bench()
    monkeypatch.setattr(bench, "HOUSEHOLDS", 50)
    monkeypatch.setattr(bench, "BATCHED_EVENTS", 2_000)
    monkeypatch.setattr(bench, "SINGLE_EVENTS", 300)
    figures = bench.measure_ingest(OutputWrapper(io.StringIO()))
    assert {"events_per_s", "raw_insert_events_per_s", "ratio"} <= set(figures)
    assert figures["stored_exactly"] is True
    assert figures["events_per_s"] > 0 and figures["backlog_single_events_per_s"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["events_per_s"] / figures["raw_insert_events_per_s"], rel=0.01
    )
