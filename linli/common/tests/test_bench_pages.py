"""``benchmarks/pages.py`` kept runnable: the generator at a tiny scale and the measuring
loop (queries and latency, in process) over two pages, with the flat figures' keys."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from linli.cases.models import Case, CaseEvent
from linli.devices.models import DeviceEvent
from linli.people.models import Resident

pytestmark = pytest.mark.django_db


def _load(name: str) -> Any:
    path = Path(settings.BASE_DIR) / "benchmarks" / f"{name}.py"
    module_name = f"linli_bench_{name}_test"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def test_generator_and_measuring_loop_at_a_tiny_scale() -> None:
    bench = _load("pages")
    data = bench._data()
    volume = data.generate(0.002, log=lambda message: None, extras=False)
    assert volume.counts["bench_cases"] == 200 == Case.objects.count()
    assert CaseEvent.objects.filter(action="report").count() >= 200
    assert volume.counts["bench_device_events"] == 2000 == DeviceEvent.objects.count()
    assert volume.counts["total_residents"] == Resident.objects.count() > 0
    assert volume.counts["bench_orders"] == 40 and volume.counts["bench_alerts"] == 6
    assert all(isinstance(v, float) for v in volume.seconds.values())
    # Inserted rows read back through the ORM with their times and coordinates.
    case = Case.objects.select_related("area").order_by("pk").last()
    assert case is not None and case.created_at.tzinfo is not None and case.lat is not None

    scene = bench.scene()
    pages = tuple(p for p in bench.PAGES if p.name in ("home", "cases_board"))
    queries = bench.count_queries(scene, pages)
    assert {name: q["status"] for name, q in queries.items()} == {"home": 200, "cases_board": 200}
    assert all(isinstance(q["queries"], int) and q["queries"] > 0 for q in queries.values())

    client = Client()
    client.force_login(scene.user)

    def get(url: str) -> tuple[int, float]:
        started = time.perf_counter()
        status = client.get(url).status_code
        return status, (time.perf_counter() - started) * 1000

    urls = {p.name: scene.url(p) for p in pages}
    urls["nowhere"] = "/cockpit/no-such-page/"
    timings = bench.time_pages(get, urls, requests=3, warmup=1)
    assert len(timings["home"].ms) == 3 and timings["nowhere"].ms == []
    figures = bench.page_figures("s0_002", queries, timings)
    for name in ("home", "cases_board"):
        assert isinstance(figures[f"s0_002_{name}_p50_ms"], float)
        assert figures[f"s0_002_{name}_p95_ms"] >= figures[f"s0_002_{name}_p50_ms"]
        assert figures[f"s0_002_{name}_queries"] == queries[name]["queries"]
    assert isinstance(figures["s0_002_ping_p50_ms"], float)
    json.dumps(figures)  # flat numbers and strings only
    assert all(isinstance(v, int | float | str) for v in figures.values())


def test_query_growth_names_the_pages_whose_count_differs() -> None:
    bench = _load("pages")
    by_scale = {
        "s0_1": {
            "home": {"status": 200, "queries": 5},
            "cases_board": {"status": 200, "queries": 9},
        },
        "s1": {
            "home": {"status": 200, "queries": 5},
            "cases_board": {"status": 200, "queries": 12},
        },
        "s3": {"home": {"status": 200, "queries": 5}, "cockpit": {"status": 404, "queries": 3}},
    }
    assert bench.query_growth(by_scale) == ["cases_board (s0_1 9, s1 12)"]
    assert bench.scale_tag(0.1) == "s0_1" and bench.scale_tag(1.0) == "s1"
    assert bench.scale_tag(3) == "s3"


def test_missing_cockpit_pages_are_recorded_not_fatal() -> None:
    bench = _load("pages")
    timing = bench.Timing("/cockpit/")
    timing.statuses[404] = 3
    figures = bench.page_figures(
        "s1", {"cockpit": {"status": 404, "queries": 2}}, {"cockpit": timing}
    )
    assert figures == {
        "s1_cockpit_p50_ms": "missing",
        "s1_cockpit_p95_ms": "missing",
        "s1_cockpit_queries": "missing",
    }


def test_bad_input_is_refused_in_chinese(tmp_path: Path) -> None:
    bench = _load("pages")
    with pytest.raises(ValueError, match="规模"):
        bench._data().generate(0, log=lambda message: None)
    bad = tmp_path / "scenario.json"
    bad.write_text("[1, 2]")
    with pytest.raises(SystemExit, match="JSON 对象"):
        bench._options(str(bad))
    bad.write_text('{"scales": [20]}')
    with pytest.raises(SystemExit, match="规模"):
        bench._options(str(bad))
    with pytest.raises(SystemExit, match="无法读取"):
        bench._options(str(tmp_path / "none.json"))
    assert bench.fits(0.1, (1.0, 60.0)) == ""
    assert "预算" in bench.fits(3.0, (1.0, 10_000.0))
