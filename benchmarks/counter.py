"""Canteen counter benchmark: whole counter transactions over HTTP against the real server.

Run as ``linli bench counter``. Works in a THROWAWAY database created as Django's test
runner does it (as ``benchmarks/gate.py``, whose server helpers it reuses: ``test_<name>``
on PostgreSQL when ``DATABASE_URL`` points there, else a temporary SQLite file), so
developer data is never touched. Seeded with ``bulk_create``: one community with
:data:`RESIDENTS` residents (valid, encrypted identity numbers; ages 28–86; three to a
household, 30 buildings), its social enterprise and canteen, today's lunch and dinner, a
diner card with 1,000 元 for :data:`CARDS` of them, and a cashier.

The web server is started as ``linli up`` starts it (``collectstatic``, then gunicorn,
2 workers × 4 threads, via
:func:`gate.start_server`); :data:`CLIENTS` tills, each logged in with its own session
cookie and CSRF token and one keep-alive ``http.client`` connection, run
:data:`TRANSACTIONS` counter transactions between them. A transaction is what a cashier
does for one diner: **search** (``GET find/?q=`` — a card code for card holders, else a
phone number), **add** the diner (``POST add/``), **pay** cash (``POST pay/`` with the
receipt's one-time token → 302) and show the **receipt** (``GET`` of the redirect).
Every diner is sold once (one meal per diner per menu), and the answers are checked:
the search shows the diner, the add puts them on the receipt, the pay redirects to a
receipt that shows its number. Baseline in the same run: ``GET /api/parking/ping`` as
many times on the same connections.

Figures: transactions, clients, residents, cards, ``<step>_p50_ms`` / ``<step>_p99_ms``
for search, add, pay, receipt and the whole transaction, ping_p50_ms, ping_p99_ms,
p99_ratio (transaction ÷ ping), transactions_per_s, errors (unexpected answers, must be
0), sales_written (must equal transactions), database. Queries per step are asserted in
``linli/economy/tests/test_views_counter.py`` (search ≤ 8, add ≤ 16), not measured here.
"""

from __future__ import annotations

import datetime as dt
import http.client
import importlib.util
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db import connection
from django.utils import timezone

RESIDENTS = 3_000
CARDS = 500
TRANSACTIONS = int(os.environ.get("LINLI_BENCH_COUNTER_TRANSACTIONS", "300"))
CLIENTS = 2  # two tills at the same counter
SEED = 20261130
STEPS = ("search", "add", "pay", "receipt")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀兰建国桂英志强玉梅德明淑珍文华丽娟海军春花永红国庆凤英宝山金凤"
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def _gate() -> Any:
    """``benchmarks/gate.py`` (server start/stop, percentile), loaded by path."""
    name = "linli_bench_gate_for_counter"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(settings.BASE_DIR) / "benchmarks" / "gate.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Diner:
    """One diner to serve: what the till types (card code or phone) and their pk."""

    pk: int
    query: str
    how: str


@dataclass
class Scene:
    canteen: int
    cashier: Any
    diners: list[Diner] = field(default_factory=list)


def seed(*, residents: int = RESIDENTS, cards: int = CARDS) -> Scene:
    """Seed the community, enterprise, canteen, menus, residents, cards and cashier (see
    the module docstring); the diners come back shuffled, card holders among them."""
    from django.contrib.auth.models import User

    from linli.common import pii
    from linli.economy.company import register
    from linli.economy.models import BusinessLine, Canteen, DinerCard, Dish, LineKind, Menu
    from linli.orgs.models import Organization, OrgKind
    from linli.people.models import Assignment, Resident, Role
    from linli.places.models import Building, Household
    from linli.testing.factories import area_chain, make_id_number

    rng = random.Random(SEED)
    chain = area_chain("640106097", name="食堂基准")
    community, micro = chain["community"], chain["micro_grid"]
    org = Organization.objects.create(
        name="食堂基准社区服务有限公司", kind=OrgKind.SOCIAL_ENTERPRISE, area=community
    )
    enterprise = register(org, community=community)
    line = BusinessLine.objects.get(enterprise=enterprise, kind=LineKind.CANTEEN)
    canteen = Canteen.objects.create(enterprise=enterprise, line=line, name="基准共享食堂")
    today = timezone.localdate()
    for meal in ("lunch", "dinner"):
        menu = Menu.objects.create(canteen=canteen, date=today, meal=meal)
        Dish.objects.bulk_create(
            Dish(menu=menu, kind=kind, name=name, order=n)
            for n, (kind, name) in enumerate(
                [("meat", "红烧肉"), ("vegetable", "清炒白菜"), ("staple", "米饭")]
            )
        )
    cashier = User.objects.create_user("counter-bench", first_name="基准收银员", is_staff=True)
    Assignment.objects.create(
        user=cashier, area=community, role=Role.SOCIAL_ENTERPRISE_STAFF, organization=org
    )
    buildings = Building.objects.bulk_create(
        Building(micro_grid=micro, name=f"{n + 1}号楼", kind="residential") for n in range(30)
    )
    households = Household.objects.bulk_create(
        Household(building=buildings[n % 30], unit="1单元", room=f"{n // 30 + 101}")
        for n in range((residents + 2) // 3)
    )
    rows = []
    for n in range(residents):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=7 * n % 21_000)
        number = make_id_number(birth, n % 1000, region="640106")
        rows.append(
            Resident(
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                id_number_encrypted=pii.encrypt(number),
                id_number_hash=pii.lookup_hash(number),
                id_number_masked=pii.mask_id_number(number),
                sex="M" if int(number[16]) % 2 else "F",
                birth_date=birth,
                phone=f"139{n:08d}",
                area=micro,
                household=households[n // 3],
            )
        )
    people = Resident.objects.bulk_create(rows, batch_size=1000)
    holders = set(rng.sample(range(residents), min(cards, residents)))
    DinerCard.objects.bulk_create(
        DinerCard(
            enterprise=enterprise, resident=people[n], code=f"BENCH{n:05d}", balance_fen=100_000
        )
        for n in sorted(holders)
    )
    diners = [
        Diner(p.pk, f"LINLI-CARD:BENCH{n:05d}", "card")
        if n in holders
        else Diner(p.pk, p.phone, "phone")
        for n, p in enumerate(people)
    ]
    rng.shuffle(diners)
    return Scene(canteen=canteen.pk, cashier=cashier, diners=diners)


def session_cookie(user: Any) -> str:
    """A ``Cookie`` header for ``user``: a fresh logged-in session and a CSRF secret (each
    till its own session, as each tablet logs in)."""
    from django.test import Client
    from django.utils.crypto import get_random_string

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = get_random_string(32)  # a CSRF secret; the header repeats it
    return f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"


@dataclass
class Result:
    steps: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    whole: list[float] = field(default_factory=list)
    ping: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Till:
    """One till: a keep-alive connection with its session cookie and CSRF header."""

    def __init__(self, port: int, canteen: int, cookie: str) -> None:
        self.port, self.base, self.cookie = port, f"/economy/counter/{canteen}/", cookie
        self.csrf = cookie.rsplit("=", 1)[1]
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        """(status, headers, body text, milliseconds); reconnects after a broken link."""
        headers = {"Cookie": self.cookie, "HX-Request": "true", "X-CSRFToken": self.csrf}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException) as err:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, {}, str(err), (time.perf_counter() - started) * 1000
        return response.status, response, text, (time.perf_counter() - started) * 1000

    def transaction(self, diner: Diner) -> tuple[dict[str, float], str]:
        """Search → add → pay cash → receipt; the step times and the first problem."""
        times: dict[str, float] = {}
        query = urllib.parse.urlencode({"q": diner.query})
        status, _, text, times["search"] = self.call("GET", f"{self.base}find/?{query}")
        if status != 200 or f'value="{diner.pk}"' not in text:
            return times, f"search {status} {diner.query}"
        form = {"resident": str(diner.pk), "how": diner.how}
        status, _, text, times["add"] = self.call("POST", f"{self.base}add/", form)
        token = TOKEN.search(text)
        if status != 200 or token is None:
            return times, f"add {status} {text[:200]}"
        form = {"token": token.group(1), "payment": "cash"}
        status, response, text, times["pay"] = self.call("POST", f"{self.base}pay/", form)
        location = response.getheader("Location", "") if status == 302 else ""
        if not location:
            return times, f"pay {status} {text[:200]}"
        status, _, text, times["receipt"] = self.call("GET", location)
        if status != 200 or "ST" not in text:
            return times, f"receipt {status}"
        return times, ""

    def ping(self) -> float:
        status, _, _, ms = self.call("GET", "/api/parking/ping")
        return ms if status == 200 else -1.0


def send(port: int, scene: Scene, cookies: list[str], count: int) -> Result:
    """``count`` transactions shared by one till per cookie, each followed by a ping."""
    result = Result()
    lock = threading.Lock()
    clients = len(cookies)

    def work(n: int) -> None:
        till = Till(port, scene.canteen, cookies[n])
        local = Result()
        for diner in scene.diners[n:count:clients]:
            started = time.perf_counter()
            times, problem = till.transaction(diner)
            if problem:
                local.errors.append(problem)
            else:
                local.whole.append((time.perf_counter() - started) * 1000)
                for step, ms in times.items():
                    local.steps[step].append(ms)
            ms = till.ping()
            if ms < 0:
                local.errors.append("ping")
            else:
                local.ping.append(ms)
        till.conn.close()
        with lock:
            for step in STEPS:
                result.steps[step] += local.steps[step]
            result.whole += local.whole
            result.ping += local.ping
            result.errors += local.errors

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def figures(result: Result, *, clients: int, stdout: OutputWrapper | None = None) -> dict[str, Any]:
    """The flat figures of a run (milliseconds rounded to 0.01)."""
    percentile = _gate().percentile
    out: dict[str, Any] = {"transactions": len(result.whole), "clients": clients}
    for name, values in [*result.steps.items(), ("transaction", result.whole)]:
        out[f"{name}_p50_ms"] = round(percentile(values, 0.5), 2) if values else None
        out[f"{name}_p99_ms"] = round(percentile(values, 0.99), 2) if values else None
    out["ping_p50_ms"] = round(percentile(result.ping, 0.5), 2) if result.ping else None
    out["ping_p99_ms"] = round(percentile(result.ping, 0.99), 2) if result.ping else None
    if out["transaction_p99_ms"] and out["ping_p99_ms"]:
        out["p99_ratio"] = round(out["transaction_p99_ms"] / out["ping_p99_ms"], 2)
    out["transactions_per_s"] = round(len(result.whole) / result.seconds, 1)
    out["errors"] = len(result.errors)
    for problem in result.errors[:5]:
        if stdout is not None:
            stdout.write(f"错误：{problem}")
    return out


def run(*, stdout: OutputWrapper) -> dict[str, Any]:
    """Seed a throwaway database, serve it with gunicorn, measure; always clean up."""
    gate = _gate()
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        if connection.vendor == "sqlite":
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
            cookies = [session_cookie(scene.cashier) for _ in range(CLIENTS)]
            stdout.write(
                f"已生成 {RESIDENTS} 位居民、{CARDS} 张居民卡，"
                f"用时 {time.perf_counter() - started:.1f} 秒"
            )
            connection.close()
            # The pages use {% static %}: collect as `linli up` does (WhiteNoise manifest).
            call_command("collectstatic", interactive=False, verbosity=0)
            server, port = gate.start_server(Path(tmp) / "gunicorn.log")
            stdout.write(f"gunicorn 已在 127.0.0.1:{port} 启动；{TRANSACTIONS} 笔窗口交易……")
            for cookie in cookies:  # warm-up: each till opens the counter page once
                Till(port, scene.canteen, cookie).call("GET", f"/economy/counter/{scene.canteen}/")
            result = send(port, scene, cookies, TRANSACTIONS)
            out = figures(result, clients=CLIENTS, stdout=stdout)
            gate.stop_server(server)
            server = None
            if out["errors"]:
                log = (Path(tmp) / "gunicorn.log").read_text(errors="replace")
                problems = [line for line in log.splitlines() if "Error" in line]
                for line in problems[-5:]:
                    stdout.write(f"服务器日志：{line[:300]}")
            from linli.economy.models import Sale

            out["sales_written"] = Sale.objects.count()
            connection.close()
        finally:
            if server is not None:
                gate.stop_server(server)
            connection.creation.destroy_test_db(old_name, verbosity=0)
    return {**out, "residents": RESIDENTS, "cards": CARDS, "database": connection.vendor}
