"""Load test: ``linli bench load`` (issue 10, "Proof").

A THROWAWAY database is created as Django's test runner does it (``test_<name>`` on
PostgreSQL when ``DATABASE_URL`` points there — the intended run —, else a temporary SQLite
file), filled by ``linli demo`` at :data:`DEMO_SCALE` (1 = the full street, about 38,700
residents; about 4 minutes on PostgreSQL), served by gunicorn as ``linli up`` runs it
(``collectstatic``, 2 workers × 4 threads, via :func:`gate.start_server`), and driven by the
locust scenario ``benchmarks/locustfile.py`` — staff pages, grid-worker case list and
reports, resident orders, Open311 reads and signed device batches — run headless in a
subprocess (``locust --headless -u USERS -r SPAWN -t DURATION --csv …``) once per level of
:data:`USERS`. The load generator shares the machine's cores with the server, so p95 is
reported, not targeted (issue 10).

Before the run, :func:`prepare` writes the scenario's targets (session cookies of the
street administrator and of every demo resident account — made as the phone-code log-in
leaves them —, REST tokens of the micro-grid workers, elders under watch, service codes,
public case numbers, the demo gateways' keys and devices) to a JSON file the locust
process reads (``LINLI_LOAD_TARGETS``).

Options: ``--scenario FILE.json`` with any of ``{"users": [50, 200], "duration_s": 60,
"spawn_rate": 10, "demo_scale": 1.0}``; ``--seed N`` (the demo's seed).

Figures, per level ``uN`` (``u50``, ``u200``): ``uN_requests``, ``uN_rps``, ``uN_p50_ms``,
``uN_p95_ms``, ``uN_errors`` (failed requests: an unexpected status or no answer; must be
0), ``uN_orders_placed``, ``uN_cases_reported``, ``uN_device_events`` (rows written during
the level); then ``errors`` (the total), ``demo_scale``, ``residents``, ``duration_s``,
``database``. Per-request-name detail (count, failures, p50, p95) and failure messages go
to ``var/bench/load-detail.json``.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db import connection

USERS = (50, 200)
DURATION_S = 60
SPAWN_RATE = 10
DEMO_SCALE = 1.0
SEED = 20261130
LOCUSTFILE = Path("benchmarks") / "locustfile.py"
#: Phrase the locust scenario writes into the cases and orders it makes.
MARK = "压力测试"


@dataclass(frozen=True)
class Options:
    """The run's settings (see the module docstring)."""

    users: tuple[int, ...] = USERS
    duration_s: int = DURATION_S
    spawn_rate: int = SPAWN_RATE
    demo_scale: float = DEMO_SCALE


def options(scenario: str | None) -> Options:
    """:class:`Options` from ``--scenario`` (a JSON file); raises ``ValueError`` in Chinese."""
    if scenario is None:
        return Options()
    data = json.loads(Path(scenario).read_text(encoding="utf-8"))
    unknown = sorted(set(data) - {"users", "duration_s", "spawn_rate", "demo_scale"})
    if unknown:
        raise ValueError(f"场景文件中有未知字段：{'、'.join(unknown)}")
    users = data.get("users", list(USERS))
    users = [users] if isinstance(users, int) else users
    if not users or not all(isinstance(u, int) and u > 0 for u in users):
        raise ValueError("users 必须是正整数或正整数列表")
    duration = data.get("duration_s", DURATION_S)
    spawn = data.get("spawn_rate", SPAWN_RATE)
    scale = data.get("demo_scale", DEMO_SCALE)
    if not isinstance(duration, int) or duration < 1:
        raise ValueError("duration_s 必须是正整数（秒）")
    if not isinstance(spawn, int) or spawn < 1:
        raise ValueError("spawn_rate 必须是正整数（每秒新增用户数）")
    if not isinstance(scale, int | float) or not 0 < scale <= 3:
        raise ValueError("demo_scale 必须在 0 到 3 之间")
    return Options(tuple(users), duration, spawn, float(scale))


def _gate() -> Any:
    """``benchmarks/gate.py`` (server start/stop), loaded by path."""
    name = "linli_bench_gate_for_load"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(settings.BASE_DIR) / "benchmarks" / "gate.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --- the targets ------------------------------------------------------------------------


def session_cookie(user: Any, *, resident: bool = False) -> str:
    """A ``Cookie`` header with a fresh logged-in session of ``user`` and a CSRF secret;
    ``resident=True`` marks the session as the phone-code log-in does."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    from linli.accounts.middleware import RESIDENT_SESSION_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if resident:
        session[RESIDENT_SESSION_KEY] = True
    session.create()
    csrf = get_random_string(32)
    return (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )


def prepare(*, staff_sessions: int = 10) -> dict[str, Any]:
    """The locust targets from the demo database (see the module docstring).

    Raises ``LookupError`` in Chinese when the demo is missing a part the scenario needs.
    """
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from linli.accounts.models import ResidentAccount
    from linli.care.models import Watch
    from linli.cases.models import CaseCategory
    from linli.cases.open311.selectors import requests_queryset
    from linli.devices.models import Device, Gateway
    from linli.devices.services import gateway_secret
    from linli.orders.models import ServiceType
    from linli.people.models import Assignment, Role
    from linli.places.models import Building

    admin = User.objects.filter(username="street_admin").first()
    if admin is None:
        raise LookupError("数据库中没有演示账号 street_admin，请先运行 linli demo")
    workers = []
    for assignment in Assignment.objects.filter(role=Role.MICRO_GRID_WORKER).select_related(
        "user", "area"
    ):
        building = Building.objects.filter(micro_grid=assignment.area).order_by("pk").first()
        if building is not None and assignment.user.is_active:
            token = Token.objects.get_or_create(user=assignment.user)[0].key
            workers.append((token, building.pk))
    leaves = CaseCategory.objects.filter(active=True, children__isnull=True)
    category = (
        leaves.filter(code="SQ05").values_list("code", flat=True).first()  # 漏水
        or leaves.order_by("code").values_list("code", flat=True).first()
    )
    accounts = ResidentAccount.objects.filter(active=True, user__is_active=True).select_related(
        "user"
    )
    gateways = []
    for gateway in Gateway.objects.filter(active=True).order_by("pk"):
        devices = list(
            Device.objects.filter(gateway=gateway, active=True).values_list(
                "external_id", "kind", "vendor"
            )[:200]
        )
        if devices:
            secret = gateway_secret(gateway).decode()
            gateways.append({"key_id": gateway.key_id, "secret": secret, "devices": devices})
    found = {
        "staff_cookies": [session_cookie(admin) for _ in range(staff_sessions)],
        "people": list(Watch.objects.order_by("pk").values_list("resident_id", flat=True)[:200]),
        "worker_tokens": [token for token, _ in workers],
        "worker_cases": [{"category": category, "building": building} for _, building in workers],
        "resident_cookies": [session_cookie(a.user, resident=True) for a in accounts],
        "services": list(
            ServiceType.objects.filter(active=True).order_by("code").values_list("code", flat=True)
        ),  # on-demand ones too: "now" is refused (400 with the reason) when nobody is on shift
        "open311_numbers": list(
            requests_queryset().order_by("-pk").values_list("number", flat=True)[:200]
        ),
        "gateways": gateways,
    }
    empty = [key for key, value in found.items() if not value]
    if empty or category is None:
        raise LookupError(f"演示数据缺少压测所需内容：{'、'.join(empty) or '事件类别'}")
    return found


# --- running locust ---------------------------------------------------------------------


@dataclass
class Level:
    """One locust run's aggregate and per-name rows (from its ``_stats.csv``)."""

    users: int
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    rows: dict[str, dict[str, Any]]
    failure_messages: list[str]


def run_locust(
    *, host: str, targets: Path, users: int, spawn_rate: int, duration_s: int, out: Path
) -> Level:
    """Run the scenario headless against ``host``; raises ``RuntimeError`` when locust
    writes no statistics (its output in the message)."""
    prefix = out / f"u{users}"
    command = [
        sys.executable, "-m", "locust", "-f", str(Path(settings.BASE_DIR) / LOCUSTFILE),
        "--headless", "-u", str(users), "-r", str(spawn_rate), "-t", f"{duration_s}s",
        "--host", host, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    env = dict(os.environ, LINLI_LOAD_TARGETS=str(targets))
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration_s + 120, check=False
    )
    stats = Path(f"{prefix}_stats.csv")
    if not stats.is_file():
        raise RuntimeError(f"locust 未生成统计：{(done.stdout + done.stderr)[-2000:]}")
    rows: dict[str, dict[str, Any]] = {}
    aggregate: dict[str, Any] = {}
    with stats.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            figures = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "rps": float(row["Requests/s"] or 0),
            }
            if row["Name"] == "Aggregated":
                aggregate = figures
            else:
                rows[f"{row['Type']} {row['Name']}"] = figures
    messages = []
    failures = Path(f"{prefix}_failures.csv")
    if failures.is_file():
        with failures.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                messages.append(
                    f"{row['Method']} {row['Name']}: {row['Error']} ×{row['Occurrences']}"
                )
    return Level(
        users=users,
        requests=aggregate.get("requests", 0),
        failures=aggregate.get("failures", 0),
        rps=aggregate.get("rps", 0.0),
        p50_ms=aggregate.get("p50_ms", 0.0),
        p95_ms=aggregate.get("p95_ms", 0.0),
        rows=rows,
        failure_messages=messages,
    )


def _written() -> dict[str, int]:
    """Rows the scenario writes, counted now (the difference over a level is its output)."""
    from linli.cases.models import Case
    from linli.devices.models import DeviceEvent
    from linli.orders.models import Order

    counts = {
        "orders_placed": Order.objects.filter(note=MARK).count(),
        "cases_reported": Case.objects.filter(description__startswith=MARK).count(),
        "device_events": DeviceEvent.objects.count(),
    }
    connection.close()  # hold no connection while the server works
    return counts


def run(
    *, stdout: OutputWrapper, scenario: str | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Build the demo in a throwaway database, serve it, run each level; always clean up."""
    from linli.people.models import Resident

    opts = options(scenario)
    gate = _gate()
    call_command("collectstatic", interactive=False, verbosity=0)
    figures: dict[str, Any] = {}
    detail: dict[str, Any] = {"levels": {}}
    with tempfile.TemporaryDirectory(prefix="linli-bench-load-") as name:
        tmp = Path(name)
        if connection.vendor == "sqlite":
            # A file, not the test runner's in-memory default: the server is another process.
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(tmp / "bench.sqlite3")
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        server = None
        try:
            started = time.perf_counter()
            stdout.write(f"生成演示街道（规模 {opts.demo_scale:g}）……")
            demo_args = ["--scale", str(opts.demo_scale)]
            if seed is not None:
                demo_args += ["--seed", str(seed)]
            call_command("demo", *demo_args, stdout=io.StringIO())
            figures["demo_s"] = round(time.perf_counter() - started, 1)
            figures["residents"] = Resident.objects.count()
            targets = tmp / "targets.json"
            targets.write_text(json.dumps(prepare(), ensure_ascii=False))
            connection.close()
            server, port = gate.start_server(tmp / "gunicorn.log")
            host = f"http://127.0.0.1:{port}"
            for users in opts.users:
                stdout.write(f"{users} 个模拟用户，{opts.duration_s} 秒……")
                before = _written()
                level = run_locust(
                    host=host,
                    targets=targets,
                    users=users,
                    spawn_rate=opts.spawn_rate,
                    duration_s=opts.duration_s,
                    out=tmp,
                )
                after = _written()
                tag = f"u{users}"
                figures[f"{tag}_requests"] = level.requests
                figures[f"{tag}_rps"] = round(level.rps, 1)
                figures[f"{tag}_p50_ms"] = level.p50_ms
                figures[f"{tag}_p95_ms"] = level.p95_ms
                figures[f"{tag}_errors"] = level.failures
                for key in after:
                    figures[f"{tag}_{key}"] = after[key] - before[key]
                detail["levels"][tag] = {
                    "requests": level.rows,
                    "failures": level.failure_messages,
                }
                for message in level.failure_messages[:10]:
                    stdout.write(f"  失败：{message}")
        finally:
            if server is not None:
                gate.stop_server(server)
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)
    figures["errors"] = sum(v for k, v in figures.items() if k.endswith("_errors"))
    figures["demo_scale"] = opts.demo_scale
    figures["duration_s"] = opts.duration_s
    figures["spawn_rate"] = opts.spawn_rate
    figures["database"] = connection.vendor
    out = Path(settings.VAR_DIR) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load-detail.json").write_text(
        json.dumps({"figures": figures, **detail}, ensure_ascii=False, indent=2) + "\n"
    )
    return figures
