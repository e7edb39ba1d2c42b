"""Busiest pages at scale: ``linli bench pages`` (issue 9).

For each scale (default 0.1×, 1× and 3×; 1× = 30,000 residents, 1,000,000 device events,
100,000 cases — see ``benchmarks/pages_data.py``) a THROWAWAY database is created as
Django's test runner does it (``test_<name>`` on PostgreSQL when ``DATABASE_URL`` points
there, else a temporary SQLite file; as ``benchmarks/gate.py``), filled by
:func:`pages_data.generate`, and the pages in :data:`PAGES` are measured as the street's
administrator (``street_admin`` of the demo, who sees the whole street):

1. **Queries per request**, in this process with Django's test ``Client`` and
   ``CaptureQueriesContext``: one warm-up request, then the queries of the second one
   (so per-process caches are warm as in a running server). A page whose count differs
   between scales is listed in ``query_growth`` — a page whose query count grows with the
   data is a bug (issue 9).
2. **Latency over HTTP** against gunicorn started as ``linli up`` does (``collectstatic``,
   2 workers × 4 threads, via :func:`gate.start_server`), logged in with a session cookie:
   :data:`WARMUP` requests, then ``requests`` (default :data:`REQUESTS`) per page on one
   keep-alive connection, pages interleaved round by round with the baseline
   ``GET /api/parking/ping`` so a noisy machine shows in the ratio.
3. **Cockpit first paint**: ``GET /cockpit/?area=<street>`` and then, as the page's script
   does at load, every map layer and the KPI panel column fetched at once (six
   connections, as a browser per host); first paint = HTML time + the slowest of those.
   Measured :data:`FIRST_PAINTS` times; target under 1 s (issue 9).

A cockpit URL that does not answer 200 is recorded as ``"missing"`` (or ``"http <code>"``)
instead of failing the run; other pages that fail are recorded the same way.

At 3× the run first checks free disk and memory and the time the 1× generation took;
when it will not fit or would take longer than :data:`GENERATION_BUDGET_S`, the scale is
skipped with the reason in the figures (``s3_skipped``).

Options: ``--scenario FILE.json`` with ``{"scales": [0.1, 1], "requests": 30}`` (or the
environment ``LINLI_BENCH_PAGES_SCALES=0.1,1`` and ``LINLI_BENCH_PAGES_REQUESTS=30``);
``--seed N``.

Figures (flat, for ``var/bench/pages.json``): per scale tag ``sT`` (``s0_1``, ``s1``,
``s3``): ``sT_<page>_p50_ms``, ``sT_<page>_p95_ms``, ``sT_<page>_queries``,
``sT_ping_p50_ms``/``_p95_ms``, ``sT_first_paint_p50_ms``/``_p95_ms``,
``sT_generate_s``, row totals (``sT_residents`` …); then ``query_growth`` (comma-separated
page names, or ``"none"``), ``database``, ``target_first_paint_ms``. Full detail (every
page's status, URL, first paint's parts, generation steps) goes to
``var/bench/pages-detail.json`` and ``var/bench/pages-detail-<database>.json``.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db import connection

SCALES = (0.1, 1.0, 3.0)
REQUESTS = 30
WARMUP = 3
FIRST_PAINTS = 10
TARGET_FIRST_PAINT_MS = 1000.0
#: Generation longer than this at a scale (estimated from the last scale) is skipped.
GENERATION_BUDGET_S = 15 * 60
#: Disk per 1× on the database's file system (measured: SQLite ≈ 0.5 GB, PostgreSQL ≈ 0.6 GB),
#: with a safety factor of 2, and memory the generator needs per 1× (rows held in lists).
DISK_PER_SCALE_BYTES = 1_300_000_000
MEMORY_PER_SCALE_BYTES = 700_000_000
#: Cockpit map layers fetched at first paint when ``linli.cockpit.layers`` cannot say.
COCKPIT_LAYERS = ("areas", "facilities", "orders", "alerts", "cases")
PANELS_URL = "/cockpit/kpis/panels/"
PING = "/api/parking/ping"
USERNAME = "street_admin"


@dataclass(frozen=True)
class Page:
    """A measured page: ``name`` (figure keys), why it is busy, and its URL's template.

    ``path`` may hold ``{street}`` (the street's area code), ``{resident}`` (an elder with
    devices) and ``{case}`` (an open case's number); ``cockpit`` pages may be missing.
    """

    name: str
    path: str
    why: str
    cockpit: bool = False


#: The busiest pages of an operations centre day, in the order the figures list them.
PAGES: tuple[Page, ...] = (
    Page("cockpit", "/cockpit/?area={street}", "运营中心大屏，整天开着并轮询", True),
    Page("layer_cases", "/cockpit/layers/cases.geojson?area={street}", "地图事件图层", True),
    Page(
        "layer_orders", "/cockpit/layers/orders.geojson?area={street}", "订单与服务人员图层", True
    ),
    Page("layer_alerts", "/cockpit/layers/alerts.geojson?area={street}", "告警图层", True),
    Page("kpi_panels", PANELS_URL + "?area={street}", "指标面板列（htmx）", True),
    Page("home", "/", "登录后首页：辖区树与人数"),
    Page("cases_board", "/cases/board/?status=open", "指挥中心事件看板（全部未结）"),
    Page("case_detail", "/cases/{case}/", "事件详情与时间线"),
    Page("cases_api", "/api/cases/", "事件接口（App 与对接系统）"),
    Page("open311_requests", "/open311/v2/requests.json", "Open311 公开请求列表"),
    Page("orders_list", "/orders/", "服务订单列表"),
    Page("care_alerts", "/care/alerts/", "关怀告警列表"),
    Page("people_list", "/people/", "实有人口列表"),
    Page("care_resident", "/care/residents/{resident}/", "独居老人详情（读设备事件）"),
)


def _gate() -> Any:
    """``benchmarks/gate.py`` (server start/stop, percentile), loaded by path."""
    name = "linli_bench_gate_for_pages"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(settings.BASE_DIR) / "benchmarks" / "gate.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _data() -> Any:
    """``benchmarks/pages_data.py``, loaded by path (``benchmarks`` is not a package on
    the path when run by ``linli bench``)."""
    name = "linli_bench_pages_data"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(settings.BASE_DIR) / "benchmarks" / "pages_data.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` 0.95 → p95)."""
    return float(_gate().percentile(values, share))


def scale_tag(scale: float) -> str:
    """``0.1`` → ``"s0_1"``, ``1.0`` → ``"s1"``, ``3`` → ``"s3"`` (figure key prefixes)."""
    text = f"{scale:g}".replace(".", "_").replace("-", "m")
    return f"s{text}"


# --- the scene: who logs in and which objects the URLs name ---------------------------


@dataclass
class Scene:
    """The user the pages are measured as, and the values the page URLs name."""

    user: Any
    values: dict[str, str]

    def url(self, page: Page) -> str:
        return page.path.format(**self.values)


def scene() -> Scene:
    """The street administrator, the street's code, an equipped elder and a dispatched case.

    Raises ``LookupError`` when the database holds no demo street (generate first).
    """
    from django.contrib.auth.models import User

    from linli.cases.models import OPEN_STATUSES, Case, CaseStatus
    from linli.devices.models import Device
    from linli.places.models import Area, AreaKind

    street = Area.objects.filter(kind=AreaKind.STREET).order_by("pk").first()
    user = User.objects.filter(username=USERNAME).first()
    if street is None or user is None:
        raise LookupError("数据库中没有演示街道或街道管理员账号，请先生成数据")
    device = (
        Device.objects.filter(resident__isnull=False).order_by("pk").values("resident_id").first()
    )
    # The same kind of case at every scale (a page's queries may depend on the status).
    dispatched = Case.objects.filter(status=CaseStatus.DISPATCHED, building__isnull=False)
    case = (
        dispatched.order_by("pk").values("number").first()
        or Case.objects.filter(status__in=OPEN_STATUSES).order_by("pk").values("number").first()
    )
    values = {
        "street": street.code,
        "resident": str(device["resident_id"]) if device else "0",
        "case": case["number"] if case else "none",
    }
    return Scene(user=user, values=values)


# --- queries per request (in process) --------------------------------------------------


def count_queries(scene: Scene, pages: tuple[Page, ...] = PAGES) -> dict[str, dict[str, Any]]:
    """Per page: ``{"status": int, "queries": int}`` of the second of two requests made
    with Django's test ``Client`` logged in as the scene's user (the first warms caches)."""
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # A host of ALLOWED_HOSTS outside the test runner; a failing page is a status, not a crash.
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    client.force_login(scene.user)
    out: dict[str, dict[str, Any]] = {}
    for page in pages:
        url = scene.url(page)
        client.get(url)
        with CaptureQueriesContext(connections["default"]) as captured:
            response = client.get(url)
        out[page.name] = {"status": response.status_code, "queries": len(captured)}
    return out


# --- latency over HTTP -----------------------------------------------------------------


class Browser:
    """One keep-alive connection with a session cookie (as one logged-in browser tab)."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, *, htmx: bool = False) -> tuple[int, str, float]:
        """(status, body, milliseconds); status 0 when the request fails twice.

        Gunicorn closes a keep-alive connection idle for more than 2 s (its default), as
        a first-paint part's connection is while a slower part is still loading: then the
        request is sent again on a new connection and only that attempt is timed.
        """
        headers = {"Cookie": self.cookie, "Accept-Encoding": "identity"}
        if htmx:
            headers["HX-Request"] = "true"
        problem = ""
        for _ in range(2):
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=headers)
                response = self.conn.getresponse()
                body = response.read().decode(errors="replace")
            except (OSError, http.client.HTTPException) as err:
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                problem = str(err)
                continue
            return response.status, body, (time.perf_counter() - started) * 1000
        return 0, problem, 0.0

    def close(self) -> None:
        self.conn.close()


def session_cookie(user: Any) -> str:
    """A ``Cookie`` header with a fresh logged-in session for ``user``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@dataclass
class Timing:
    """One page's latencies and answers over HTTP."""

    url: str
    statuses: dict[int, int] = field(default_factory=dict)
    ms: list[float] = field(default_factory=list)

    def add(self, status: int, ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.ms.append(ms)


def time_pages(
    get: Callable[[str], tuple[int, float]],
    urls: dict[str, str],
    *,
    requests: int,
    warmup: int = WARMUP,
) -> dict[str, Timing]:
    """``warmup`` then ``requests`` rounds; each round requests every URL once, the ping
    (key ``"ping"``, :data:`PING`) among them. ``get(url) -> (status, ms)``. Pages whose
    warm-up answers are not 200 are tried once per round only during the warm-up."""
    everything = {"ping": PING, **urls}
    timings = {name: Timing(url) for name, url in everything.items()}
    alive = dict(everything)
    for _ in range(warmup):
        for name, url in everything.items():
            status, _ = get(url)
            if status != 200:
                alive.pop(name, None)
                timings[name].statuses[status] = timings[name].statuses.get(status, 0) + 1
    for _ in range(requests):
        for name, url in alive.items():
            status, ms = get(url)
            timings[name].add(status, ms)
    return timings


def first_paint(
    port: int, cookie: str, street: str, *, times: int = FIRST_PAINTS
) -> dict[str, Any]:
    """The cockpit's first paint ``times`` times (see the module docstring): figures
    ``p50_ms``, ``p95_ms``, ``html_p50_ms``, ``slowest_part`` or ``{"status": "missing"}``."""
    try:
        from linli.cockpit.layers import LAYERS

        names = tuple(LAYERS)
    except ImportError:
        names = COCKPIT_LAYERS
    area = urllib.parse.quote(street)
    parts = [f"/cockpit/layers/{name}.geojson?area={area}" for name in names]
    parts.append(f"{PANELS_URL}?area={area}")
    page = Browser(port, cookie)
    browsers = [Browser(port, cookie) for _ in parts]  # one connection per part
    status, _, _ = page.get(f"/cockpit/?area={area}")
    if status != 200:
        page.close()
        return {"status": "missing" if status == 404 else f"http {status}"}
    totals: list[float] = []
    html: list[float] = []
    part_ms: dict[str, list[float]] = {p: [] for p in parts}
    part_status: dict[str, int] = {}
    lock = threading.Lock()

    def fetch(index: int, path: str) -> float:
        browser = browsers[index]
        status, _, ms = browser.get(path, htmx=path.startswith(PANELS_URL))
        with lock:
            part_status[path] = status
            part_ms[path].append(ms)
        return ms

    with ThreadPoolExecutor(max_workers=min(6, len(parts))) as pool:
        for n in range(times + 1):  # the first one warms up
            started = time.perf_counter()
            status, _, ms = page.get(f"/cockpit/?area={area}")
            list(pool.map(fetch, range(len(parts)), parts))
            total = (time.perf_counter() - started) * 1000
            if n:
                totals.append(total)
                html.append(ms)
    page.close()
    for browser in browsers:
        browser.close()
    slowest = max(parts, key=lambda p: percentile(part_ms[p], 0.5))
    missing = [p for p, s in part_status.items() if s != 200]
    return {
        "status": "ok",
        "p50_ms": round(percentile(totals, 0.5), 1),
        "p95_ms": round(percentile(totals, 0.95), 1),
        "html_p50_ms": round(percentile(html, 0.5), 1),
        "slowest_part": slowest,
        "slowest_part_p50_ms": round(percentile(part_ms[slowest], 0.5), 1),
        "parts_not_200": missing,
        "parts": {p: round(percentile(v, 0.5), 1) for p, v in part_ms.items()},
    }


# --- one scale ---------------------------------------------------------------------------


def page_figures(
    tag: str, queries: dict[str, dict[str, Any]], timings: dict[str, Timing]
) -> dict[str, Any]:
    """Flat figures of one scale: ``<tag>_<page>_p50_ms`` / ``_p95_ms`` / ``_queries``,
    ``"missing"`` (404) or ``"http <code>"`` for a page that did not answer 200."""
    out: dict[str, Any] = {}
    ping = timings.get("ping")
    if ping is not None and ping.ms:
        out[f"{tag}_ping_p50_ms"] = round(percentile(ping.ms, 0.5), 1)
        out[f"{tag}_ping_p95_ms"] = round(percentile(ping.ms, 0.95), 1)
    for page in PAGES:
        timing = timings.get(page.name)
        counted = queries.get(page.name, {})
        if timing is None and not counted:
            continue
        if timing is not None and timing.ms:
            out[f"{tag}_{page.name}_p50_ms"] = round(percentile(timing.ms, 0.5), 1)
            out[f"{tag}_{page.name}_p95_ms"] = round(percentile(timing.ms, 0.95), 1)
        else:
            statuses = timing.statuses if timing is not None else {counted.get("status", 0): 1}
            code = max(statuses, key=lambda s: statuses[s]) if statuses else 0
            shown = "missing" if code == 404 else f"http {code}"
            out[f"{tag}_{page.name}_p50_ms"] = out[f"{tag}_{page.name}_p95_ms"] = shown
        if counted.get("status") == 200:
            out[f"{tag}_{page.name}_queries"] = counted["queries"]
        elif counted:
            code = counted.get("status", 0)
            out[f"{tag}_{page.name}_queries"] = "missing" if code == 404 else f"http {code}"
    return out


def query_growth(by_scale: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Pages (answering 200 at two scales or more) whose query count differs between scales,
    as ``"name (tag n, tag m)"`` strings."""
    grown = []
    for page in PAGES:
        counts = {
            tag: q[page.name]["queries"]
            for tag, q in by_scale.items()
            if q.get(page.name, {}).get("status") == 200
        }
        if len(counts) >= 2 and len(set(counts.values())) > 1:
            grown.append(f"{page.name} ({', '.join(f'{t} {n}' for t, n in counts.items())})")
    return grown


def fits(scale: float, last: tuple[float, float] | None) -> str:
    """Why ``scale`` cannot be run here ("" when it can): free disk where the database lives,
    available memory, and the generation time estimated from ``last`` = (scale, seconds)."""
    if connection.vendor == "postgresql":
        where = "/var/lib/postgresql" if Path("/var/lib/postgresql").exists() else "/"
    else:
        where = tempfile.gettempdir()
    free = shutil.disk_usage(where).free
    need = DISK_PER_SCALE_BYTES * scale
    if free < need:
        return f"磁盘不足：{where} 可用 {free / 1e9:.1f} GB，需要约 {need / 1e9:.1f} GB"
    available = _mem_available()
    if available is not None and available < MEMORY_PER_SCALE_BYTES * scale:
        return f"内存不足：可用 {available / 1e9:.1f} GB，需要约 {MEMORY_PER_SCALE_BYTES * scale / 1e9:.1f} GB"  # noqa: E501
    if last is not None:
        estimate = last[1] * scale / last[0]
        if estimate > GENERATION_BUDGET_S:
            return (
                f"预计生成用时 {estimate / 60:.0f} 分钟，超过 {GENERATION_BUDGET_S // 60} 分钟预算"
            )
    return ""


def _mem_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def measure_scale(
    scale: float, *, seed: int, requests: int, stdout: OutputWrapper, tmp: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """In a clone of the migrated throwaway database: generate, count queries, serve, time;
    returns (flat figures, detail). Always stops the server and drops the clone."""
    gate, data = _gate(), _data()
    tag = scale_tag(scale)
    base = connection.settings_dict
    connection.close()
    connection.creation.clone_test_db(suffix=tag, verbosity=0)
    connection.settings_dict = connection.creation.get_test_db_clone_settings(tag)
    server = None
    try:
        volume = data.generate(scale, seed=seed, log=stdout.write)
        stdout.write(
            f"{tag}：数据生成 {volume.seconds['total']:.0f} 秒；"
            f"事件 {volume.counts['total_cases']:,}、设备记录 "
            f"{volume.counts['total_device_events']:,}"
        )
        here = scene()
        queries = count_queries(here)
        cookie = session_cookie(here.user)
        connection.close()
        server, port = gate.start_server(tmp / f"gunicorn-{tag}.log")
        browser = Browser(port, cookie)

        def get(url: str) -> tuple[int, float]:
            status, _, ms = browser.get(url, htmx=url.startswith(PANELS_URL))
            return status, ms

        urls = {p.name: here.url(p) for p in PAGES}
        timings = time_pages(get, urls, requests=requests)
        browser.close()
        paint = first_paint(port, cookie, here.values["street"])
    finally:
        if server is not None:
            gate.stop_server(server)
        clone = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict = base
        connection.creation._destroy_test_db(clone, verbosity=0)  # type: ignore[attr-defined]
    flat = page_figures(tag, queries, timings)
    if paint.get("status") == "ok":
        flat[f"{tag}_first_paint_p50_ms"] = paint["p50_ms"]
        flat[f"{tag}_first_paint_p95_ms"] = paint["p95_ms"]
        flat[f"{tag}_first_paint_html_p50_ms"] = paint["html_p50_ms"]
    else:
        flat[f"{tag}_first_paint_p50_ms"] = paint["status"]
    flat[f"{tag}_generate_s"] = round(volume.seconds["total"], 1)
    for key in ("residents", "cases", "device_events", "orders", "alerts"):
        flat[f"{tag}_{key}"] = volume.counts[f"total_{key}"]
    detail = {
        "scale": scale,
        "urls": {p.name: here.url(p) for p in PAGES},
        "queries": queries,
        "statuses": {name: t.statuses for name, t in timings.items()},
        "first_paint": paint,
        "generation_seconds": {k: round(v, 1) for k, v in volume.seconds.items()},
        "counts": volume.counts,
    }
    return flat, detail


def _options(scenario: str | None) -> tuple[list[float], int]:
    scales = [float(s) for s in os.environ.get("LINLI_BENCH_PAGES_SCALES", "").split(",") if s]
    requests = int(os.environ.get("LINLI_BENCH_PAGES_REQUESTS", "0") or 0)
    if scenario:
        try:
            loaded = json.loads(Path(scenario).read_text())
        except (OSError, ValueError) as exc:
            raise SystemExit(f"错误：无法读取场景文件 {scenario}：{exc}") from None
        if not isinstance(loaded, dict):
            raise SystemExit('错误：场景文件应为 JSON 对象，如 {"scales": [0.1, 1]}')
        scales = [float(s) for s in loaded.get("scales", scales)]
        requests = int(loaded.get("requests", requests))
    bad = [s for s in scales if not 0 < s <= 10]
    if bad:
        raise SystemExit(f"错误：规模应在 0 到 10 之间：{bad}")
    return scales or list(SCALES), requests or REQUESTS


def run(
    *, stdout: OutputWrapper, scenario: str | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Every scale in turn (see the module docstring); writes ``pages-detail.json``.

    The throwaway database is migrated once; each scale runs in a clone of it (a file copy
    on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) that is dropped afterwards.
    """
    data = _data()
    scales, requests = _options(scenario)
    seed = data.SEED if seed is None else seed
    # The pages use {% static %}: collect as `linli up` does (WhiteNoise manifest).
    call_command("collectstatic", interactive=False, verbosity=0)
    figures: dict[str, Any] = {}
    details: dict[str, Any] = {}
    by_scale: dict[str, dict[str, dict[str, Any]]] = {}
    last: tuple[float, float] | None = None
    with tempfile.TemporaryDirectory(prefix="linli-bench-pages-") as name:
        tmp = Path(name)
        if connection.vendor == "sqlite":
            # A file, not the test runner's in-memory default: the server is another process.
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(tmp / "bench.sqlite3")
        started = time.perf_counter()
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        figures["migrate_s"] = round(time.perf_counter() - started, 1)
        try:
            for scale in sorted(scales):
                tag = scale_tag(scale)
                reason = fits(scale, last) if scale > 1 else ""
                if reason:
                    figures[f"{tag}_skipped"] = reason
                    stdout.write(f"{tag}：跳过（{reason}）")
                    continue
                stdout.write(f"{tag}：生成规模 {scale:g} 的数据……")
                flat, detail = measure_scale(
                    scale, seed=seed, requests=requests, stdout=stdout, tmp=tmp
                )
                figures.update(flat)
                details[tag] = detail
                by_scale[tag] = detail["queries"]
                last = (scale, detail["generation_seconds"]["total"])
        finally:
            connection.close()
            connection.creation.destroy_test_db(old_name, verbosity=0)
    grown = query_growth(by_scale)
    figures["query_growth"] = "; ".join(grown) or "none"
    figures["requests_per_page"] = requests
    figures["database"] = connection.vendor
    figures["target_first_paint_ms"] = TARGET_FIRST_PAINT_MS
    out = Path(settings.VAR_DIR) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {
            "database": connection.vendor,
            "pages": {p.name: {"path": p.path, "why": p.why} for p in PAGES},
            **details,
        },
        ensure_ascii=False,
        indent=2,
        default=str,
    )
    for name in ("pages-detail.json", f"pages-detail-{connection.vendor}.json"):
        (out / name).write_text(text + "\n")
    return figures
