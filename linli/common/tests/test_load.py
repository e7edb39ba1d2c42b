"""``benchmarks/load.py`` and its locust scenario kept working: a tiny demo street, the
scenario's five kinds of user for a few seconds against the live server, zero errors.

``linli bench load`` runs the same scenario at the full demo size with 50 and 200 users on
PostgreSQL; this test only proves the locustfile, the targets and every answer it expects.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from linli.cases.tests.lifecycle import fast_passwords, report  # noqa: F401

#: The tiny street: about 120 residents, every kind of place, account and device.
SCALE = 0.003
USERS = 5
SECONDS = 10


def _bench() -> Any:
    name = "linli_bench_load_for_tests"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(settings.BASE_DIR) / "benchmarks" / "load.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_scenario_options_are_checked(tmp_path: Path) -> None:
    bench = _bench()
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"users": 7, "duration_s": 5, "demo_scale": 0.01}))
    opts = bench.options(str(path))
    assert opts.users == (7,) and opts.duration_s == 5 and opts.demo_scale == 0.01
    for bad, message in (
        ({"users": [0]}, "users"),
        ({"duration_s": "60"}, "duration_s"),
        ({"demo_scale": 5}, "demo_scale"),
        ({"usres": [5]}, "未知字段"),
    ):
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=message):
            bench.options(str(path))


@pytest.mark.usefixtures("fast_passwords")
@pytest.mark.django_db(transaction=True)
def test_locust_scenario_runs_every_user_kind_without_errors(
    live_server: Any, tmp_path: Path
) -> None:
    from linli.cases.models import Case
    from linli.devices.models import DeviceEvent
    from linli.places.demo import build_demo
    from linli.places.demo.care import build_care
    from linli.places.models import Building

    bench = _bench()
    with transaction.atomic():
        build_demo(scale=SCALE, seed=bench.SEED, log=lambda _: None)
    build_care(log=lambda _: None)
    building = Building.objects.filter(micro_grid__isnull=False).order_by("pk").first()
    assert building is not None and building.micro_grid is not None
    report(building.micro_grid, building=building)  # a public case for the Open311 reader
    targets = bench.prepare(staff_sessions=2)
    assert all(targets[key] for key in targets)
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(targets, ensure_ascii=False))
    events_before = DeviceEvent.objects.count()

    level = bench.run_locust(
        host=live_server.url,
        targets=path,
        users=USERS,
        spawn_rate=USERS,
        duration_s=SECONDS,
        out=tmp_path,
    )

    assert level.failures == 0, level.failure_messages
    assert level.requests >= 10 and level.p95_ms > 0
    names = " ".join(level.rows)
    for kind in ("staff", "worker", "resident", "open311", "gateway"):
        assert kind in names, (kind, sorted(level.rows))
    assert DeviceEvent.objects.count() > events_before
    assert Case.objects.count() >= 1
