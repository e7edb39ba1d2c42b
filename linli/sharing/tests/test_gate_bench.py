"""``benchmarks/gate.py`` kept runnable: a small seed, probes answered over HTTP as expected."""

from __future__ import annotations

import importlib.util
import random
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings


def _bench() -> Any:
    path = Path(settings.BASE_DIR) / "benchmarks" / "gate.py"
    spec = importlib.util.spec_from_file_location("linli_bench_gate_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_every_probe_of_the_benchmark_is_answered_as_expected_over_http(live_server: Any) -> None:
    bench = _bench()
    scene = bench.seed(spaces=10, days_back=2, days_ahead=3)
    assert scene.bookings == 10 * 5 * 3
    probes = bench.requests_mix(scene, 80, random.Random(7))
    assert {p.kind for p in probes} == {kind for kind, _ in bench.MIX}
    paths = [(f"/api/parking/gate/check?{urllib.parse.urlencode(p.params)}", p) for p in probes]
    port = urllib.parse.urlsplit(live_server.url).port
    result = bench.send(port, scene.key, paths, clients=2)
    assert (result.errors, result.wrong) == (0, [])
    assert len(result.latencies_ms) == 80


def test_percentile_is_the_nearest_rank() -> None:
    bench = _bench()
    values = [float(n) for n in range(1, 101)]
    assert (bench.percentile(values, 0.5), bench.percentile(values, 0.99)) == (50.0, 99.0)
