"""Gate-check benchmark: ``GET /api/parking/gate/check`` over HTTP against the real server.

Run as ``linli bench gate``. Works in a THROWAWAY database created the way Django's test
runner does it (as ``benchmarks/import.py``: ``test_<name>`` on PostgreSQL when
``DATABASE_URL`` points there, else a temporary SQLite file), so developer data is never
touched. Seeded with ``bulk_create`` (not the services; fast): one lot of 120 shared spaces,
each with an owner and the owner's car, windows weekdays 08–18 and weekends 09–21, 240
neighbours' cars, and a month of bookings (20 days back, 10 ahead; three a space a day):
past ones mostly completed (some no-shows and cancellations), the one in progress parked,
future ones booked (some cancelled).

Then the web server is started as ``linli up`` starts it (gunicorn, ``linli.wsgi``, 2
workers × 4 threads, access log on) on a free port of 127.0.0.1, pointed at the throwaway
database with the same secret and PII keys, and ``CLIENTS`` threads, each with one
keep-alive ``http.client`` connection, send ``REQUESTS`` gate checks with an explicit ``at``
in a realistic mix: booked plates inside their booking, both edges of the grace period,
a cancelled booking, a booking just over, owners, strangers. Every answer is compared with
the answer known by construction (``wrong_answers`` must be 0). Baseline in the same run:
as many ``GET /api/parking/ping`` requests on the same server and connections.

Figures: requests, p50_ms, p99_ms (gate), ping_p50_ms, ping_p99_ms, p99_ratio (gate ÷ ping),
max_ms, requests_per_s, spaces, bookings, clients, errors (non-200 answers, must be 0),
wrong_answers, database, target_p99_ms (20, issue 7), within_target. The server is stopped
and the database dropped at the end, also on error.
"""

from __future__ import annotations

import datetime as dt
import http.client
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import OutputWrapper
from django.db import connection
from django.utils import timezone

SPACES = 120
NEIGHBOURS = 2 * SPACES  # two cars a space a day: slots 0 and 2 share one, slot 1 another
DAYS_BACK = 20
DAYS_AHEAD = 10
REQUESTS = 5_000
CLIENTS = 2  # a lot's two cameras (entrance and exit) asking at the same time
WARMUP = 200
TARGET_P99_MS = 20.0
SEED = 20261129
GRACE_MINUTES = 15
#: Local (start, end) minutes of the day's three bookings of a space; 30-minute gaps, so a
#: start moved by up to 15 minutes never overlaps the next one, and all fit the windows.
WEEKDAY_SLOTS = [(8 * 60, 10 * 60 + 30), (11 * 60, 14 * 60), (14 * 60 + 30, 17 * 60 + 30)]
WEEKEND_SLOTS = [(9 * 60 + 30, 12 * 60), (12 * 60 + 30, 16 * 60), (17 * 60, 20 * 60 + 30)]
#: The request mix (kind, share): see :func:`requests_mix`.
MIX = [
    ("inside", 35),
    ("grace_edge_in", 10),
    ("grace_edge_out", 10),
    ("cancelled", 5),
    ("just_over", 10),
    ("owner", 15),
    ("stranger", 15),
]


@dataclass(frozen=True)
class Probe:
    """One request: query parameters and the answer known by construction."""

    kind: str
    params: dict[str, str]
    allow: bool
    reason_code: str


@dataclass
class Scene:
    """What was seeded: the lot's code and key, plates, and the bookings to probe."""

    code: str
    key: str
    owner_plates: list[str]
    stranger_plates: list[str]
    #: Future bookings as (plate, starts_at, ends_at, status, slot).
    future: list[tuple[str, dt.datetime, dt.datetime, str, int]] = field(default_factory=list)
    bookings: int = 0


def _local(day: dt.date, minutes: int) -> dt.datetime:
    naive = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
    return timezone.make_aware(naive)


def _people(micro_grid: Any, count: int, prefix: str) -> list[Any]:
    """``count`` residents, each in a household of their own."""
    from linli.places.models import Building, Household
    from linli.testing.factories import ResidentFactory

    building = Building.objects.create(
        micro_grid=micro_grid, name=f"{prefix}楼", kind="residential"
    )
    households = Household.objects.bulk_create(
        Household(building=building, unit="1单元", room=f"{n + 101}") for n in range(count)
    )
    return [
        ResidentFactory(household=h, area=micro_grid, name=f"{prefix}{n}", phone="")
        for n, h in enumerate(households)
    ]


def _status(start: dt.datetime, end: dt.datetime, now: dt.datetime, rng: random.Random) -> str:
    if end <= now:
        roll = rng.random()
        return "completed" if roll < 0.88 else "no_show" if roll < 0.94 else "cancelled"
    if start <= now:
        return "parked"
    return "booked" if rng.random() < 0.9 else "cancelled"


def seed(
    *, spaces: int = SPACES, days_back: int = DAYS_BACK, days_ahead: int = DAYS_AHEAD
) -> Scene:
    """Seed the lot, its owners and neighbours and a month of bookings (see the module
    docstring); returns the :class:`Scene` the probes are drawn from."""
    from django.contrib.auth.models import User

    from linli.sharing.gate import gate_key_issue
    from linli.sharing.models import Booking, ParkingLot, ParkingSpace, SpaceWindow, Vehicle
    from linli.sharing.services import price_fen
    from linli.testing.factories import area_chain

    rng = random.Random(SEED)
    chain = area_chain("640106098", name="道闸基准")
    lot = ParkingLot.objects.create(
        area=chain["community"], code="bench", name="基准停车场", grace_minutes=GRACE_MINUTES
    )
    admin = User.objects.create_superuser("gate-bench", password=None)
    key = gate_key_issue(actor=admin, lot=lot)
    owners = _people(chain["micro_grid"], spaces, "业主")
    neighbours = _people(chain["micro_grid"], 2 * spaces, "邻居")
    owner_cars = Vehicle.objects.bulk_create(
        Vehicle(owner=o, plate=f"宁A1{n:04d}") for n, o in enumerate(owners)
    )
    cars = Vehicle.objects.bulk_create(
        Vehicle(owner=r, plate=f"宁B{n:05d}") for n, r in enumerate(neighbours)
    )
    rows = ParkingSpace.objects.bulk_create(
        ParkingSpace(lot=lot, number=f"B-{n + 1:03d}", owner=o, kind="smart")
        for n, o in enumerate(owners)
    )
    SpaceWindow.objects.bulk_create(
        SpaceWindow(
            space=s,
            weekday=d,
            start=dt.time(8 if d < 5 else 9),
            end=dt.time(18 if d < 5 else 21),
        )
        for s in rows
        for d in range(7)
    )
    now = timezone.now()
    today = timezone.localdate()
    scene = Scene(
        code=lot.code,
        key=key,
        owner_plates=[c.plate for c in owner_cars],
        stranger_plates=[f"宁C{n:05d}" for n in range(500)],
    )
    bookings = []
    for offset in range(-days_back, days_ahead):
        day = today + dt.timedelta(days=offset)
        slots = WEEKDAY_SLOTS if day.weekday() < 5 else WEEKEND_SLOTS
        for s, space in enumerate(rows):
            for slot, (start_min, end_min) in enumerate(slots):
                shift = rng.choice([0, 15])
                start, end = _local(day, start_min + shift), _local(day, end_min + shift)
                car = cars[(s + offset) % spaces + spaces * (slot % 2)]
                status = _status(start, end, now, rng)
                arrived = start + dt.timedelta(minutes=rng.randrange(16))
                bookings.append(
                    Booking(
                        space=space,
                        vehicle=car,
                        plate=car.plate,
                        booker_id=car.owner_id,
                        starts_at=start,
                        ends_at=end,
                        status=status,
                        price_fen=price_fen(lot, start, end),
                        arrived_at=arrived if status in ("parked", "completed") else None,
                        left_at=end - dt.timedelta(minutes=rng.randrange(30))
                        if status == "completed"
                        else None,
                    )
                )
                if offset >= 1:
                    scene.future.append((car.plate, start, end, status, slot))
    Booking.objects.bulk_create(bookings, batch_size=2000)
    scene.bookings = len(bookings)
    return scene


def requests_mix(scene: Scene, count: int, rng: random.Random) -> list[Probe]:
    """``count`` probes drawn by :data:`MIX` with the answer each must get.

    Only future bookings are probed (their status does not depend on the time the
    benchmark runs). ``cancelled`` and ``just_over`` use slot 1, whose car has no other
    booking that day (otherwise a later booking would make the answer ``too_early``).
    """
    grace = dt.timedelta(minutes=GRACE_MINUTES)
    minute = dt.timedelta(minutes=1)
    booked = [b for b in scene.future if b[3] == "booked"]
    middle_booked = [b for b in booked if b[4] == 1]
    middle_cancelled = [b for b in scene.future if b[3] == "cancelled" and b[4] == 1]
    pools = {"cancelled": middle_cancelled, "just_over": middle_booked}
    kinds = [kind for kind, share in MIX for _ in range(share) if pools.get(kind, booked)]
    probes = []
    for _ in range(count):
        kind = rng.choice(kinds)
        if kind == "owner":
            plate, at, allow, code = rng.choice(scene.owner_plates), None, True, "owner"
        elif kind == "stranger":
            plate, at, allow, code = rng.choice(scene.stranger_plates), None, False, "no_booking"
        elif kind == "cancelled":
            plate, start, end, _, _ = rng.choice(middle_cancelled)
            at, allow, code = start + (end - start) / 2, False, "no_booking"
        elif kind == "just_over":
            plate, start, end, _, _ = rng.choice(middle_booked)
            at, allow, code = end + minute, False, "expired"
        else:
            plate, start, end, _, _ = rng.choice(booked)
            if kind == "inside":
                minutes = int((end - start + grace) / minute)
                at, allow, code = start - grace + rng.randrange(minutes) * minute, True, "booking"
            elif kind == "grace_edge_in":
                at, allow, code = start - grace, True, "booking"
            else:
                at, allow, code = start - grace - minute, False, "too_early"
        if at is None:
            # Any time in the month; the owner and the stranger are answered the same.
            at = booked[rng.randrange(len(booked))][1]
        params = {"lot": scene.code, "plate": plate, "at": timezone.localtime(at).isoformat()}
        probes.append(Probe(kind, params, allow, code))
    return probes


# --- the server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _database_url() -> str:
    """The throwaway database as a URL for the server process; on SQLite with the settings'
    IMMEDIATE transactions and busy timeout (a bare URL drops them, and a benchmark that
    writes from two clients at once would meet "database is locked")."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}?transaction_mode=IMMEDIATE&timeout=20"
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def start_server(log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Gunicorn as ``linli up`` runs it (2 workers × 4 threads), on the throwaway database;
    returns once ``/api/parking/ping`` answers (or raises with the server's log)."""
    port = _free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="linli.settings",
        DATABASE_URL=_database_url(),
        LINLI_SECRET_KEY=settings.SECRET_KEY,
        LINLI_PII_KEY=settings.PII_KEY,
        LINLI_VAR_DIR=str(settings.VAR_DIR),
    )
    command = [
        sys.executable, "-m", "gunicorn", "linli.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
        "--access-logfile", "-", "--graceful-timeout", "5", "--no-control-socket",
        "--chdir", str(settings.BASE_DIR),
    ]  # fmt: skip
    with log.open("wb") as err:
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/parking/ping")
            if conn.getresponse().status == 200:
                conn.close()
                return server, port
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(
        f"gunicorn did not answer in 60 s: {log.read_text(errors='replace')[-2000:]}"
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (the master and its workers), then SIGKILL."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# --- the load ---------------------------------------------------------------------------


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wrong: list[str] = field(default_factory=list)
    seconds: float = 0.0


def send(port: int, key: str, paths: list[tuple[str, Probe | None]], clients: int) -> Result:
    """Send ``paths`` from ``clients`` threads, one keep-alive connection each; time every
    request and check each gate answer against its probe."""
    import json

    result = Result()
    lock = threading.Lock()
    headers = {"X-Gate-Key": key}

    def client(share: list[tuple[str, Probe | None]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies, errors, wrong = [], 0, []
        for path, probe in share:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors += 1
                continue
            if probe is not None:
                answer = json.loads(body)
                if (answer["allow"], answer["reason_code"]) != (probe.allow, probe.reason_code):
                    wrong.append(f"{probe.kind} {probe.params} → {answer}")
        conn.close()
        with lock:
            result.latencies_ms += latencies
            result.errors += errors
            result.wrong += wrong

    threads = [threading.Thread(target=client, args=(paths[n::clients],)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.99 → p99)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(
    port: int, scene: Scene, *, requests: int, clients: int, stdout: OutputWrapper
) -> dict[str, Any]:
    """Warm up, then gate checks and pings in two interleaved halves; the figures."""
    probes = requests_mix(scene, requests, random.Random(SEED))
    gate_paths = [
        (f"/api/parking/gate/check?{urllib.parse.urlencode(p.params)}", p) for p in probes
    ]
    ping_paths: list[tuple[str, Probe | None]] = [("/api/parking/ping", None)] * requests
    send(port, scene.key, [*gate_paths[:WARMUP], *ping_paths[:WARMUP]], clients)
    half = requests // 2
    gate, ping = Result(), Result()
    for part in (slice(0, half), slice(half, requests)):
        for into, paths in ((ping, ping_paths[part]), (gate, gate_paths[part])):
            done = send(port, scene.key, list(paths), clients)
            into.latencies_ms += done.latencies_ms
            into.errors += done.errors
            into.wrong += done.wrong
            into.seconds += done.seconds
    for line in gate.wrong[:5]:
        stdout.write(f"错误答案：{line}")
    p99, ping_p99 = percentile(gate.latencies_ms, 0.99), percentile(ping.latencies_ms, 0.99)
    return {
        "requests": len(gate.latencies_ms),
        "p50_ms": round(percentile(gate.latencies_ms, 0.5), 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(max(gate.latencies_ms), 2),
        "ping_p50_ms": round(percentile(ping.latencies_ms, 0.5), 2),
        "ping_p99_ms": round(ping_p99, 2),
        "p99_ratio": round(p99 / ping_p99, 2),
        "requests_per_s": round(len(gate.latencies_ms) / gate.seconds, 1),
        "clients": clients,
        "errors": gate.errors + ping.errors,
        "wrong_answers": len(gate.wrong),
    }


def run(*, stdout: OutputWrapper) -> dict[str, Any]:
    """Seed a throwaway database, serve it with gunicorn, measure; always clean up."""
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        if connection.vendor == "sqlite":
            # A file, not the test runner's in-memory default: the server is another process.
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
                Path(tmp) / "bench.sqlite3"
            )
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        server = None
        try:
            started = time.perf_counter()
            scene = seed()
            stdout.write(
                f"已生成 {SPACES} 个共享车位、{scene.bookings} 条预约，"
                f"用时 {time.perf_counter() - started:.1f} 秒"
            )
            connection.close()  # the server has the database to itself
            server, port = start_server(Path(tmp) / "gunicorn.log")
            stdout.write(f"gunicorn 已在 127.0.0.1:{port} 启动；发送 {REQUESTS} 次道闸查询……")
            figures = measure(port, scene, requests=REQUESTS, clients=CLIENTS, stdout=stdout)
        finally:
            if server is not None:
                stop_server(server)
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return {
        **figures,
        "spaces": SPACES,
        "bookings": scene.bookings,
        "database": connection.vendor,
        "target_p99_ms": TARGET_P99_MS,
        "within_target": figures["p99_ms"] < TARGET_P99_MS
        and figures["errors"] == 0
        and figures["wrong_answers"] == 0,
    }
