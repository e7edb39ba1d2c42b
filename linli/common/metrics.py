"""Prometheus metrics (docs/deploy.md "Monitoring"): ``/metrics`` and the request middleware.

Counted as they happen (per process; summed over processes in multiprocess mode):

``linli_http_requests_total{method,route,status}``   status class ``2xx``…``5xx``
``linli_http_request_duration_seconds{method,route}`` histogram, seconds to the response
``linli_device_events_received_total{channel,outcome}`` outcome stored/duplicate/rejected

``route`` is the URL pattern's name (``cases:detail``), never the raw path, so the number of
series is bounded by the URL map; requests that match no pattern count as ``unmatched``,
static files as ``static``.

Read from the database at each scrape (:class:`DatabaseCollector`, each a COUNT over an
index): task queue depth, failed tasks in the last 24 h, device events in the last 5 min,
overdue cases, open care alerts, and how long each of these queries took.

Several processes (gunicorn workers): when ``PROMETHEUS_MULTIPROC_DIR`` is set before the
process starts, prometheus_client keeps the counters in files in that directory and a scrape
of any worker sums all of them (``linli up`` sets it to ``var/prometheus`` and empties it at
start). Without it each process reports its own counters only — wrong behind a balancer.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

HTTP_REQUESTS = Counter(
    "linli_http_requests_total",
    "HTTP requests answered, by method, URL pattern name and status class.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "linli_http_request_duration_seconds",
    "Seconds from the request reaching Django to the response, by method and URL pattern name.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DEVICE_EVENTS = Counter(
    "linli_device_events_received_total",
    "Device events received by the ingestion core, by channel (mqtt/http) and outcome.",
    ["channel", "outcome"],
)


def device_events_count(channel: str, *, stored: int, duplicates: int, rejected: int) -> None:
    """Add one batch's outcome counts to ``linli_device_events_received_total``."""
    for outcome, n in (("stored", stored), ("duplicate", duplicates), ("rejected", rejected)):
        if n:
            DEVICE_EVENTS.labels(channel, outcome).inc(n)


def route_label(request: HttpRequest) -> str:
    """The bounded ``route`` label: URL name (with namespace), else the pattern, else
    ``static`` / ``unmatched`` — never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name or match.route or "unnamed")
    if request.path.startswith("/" + str(settings.STATIC_URL).lstrip("/")):
        return "static"
    return "unmatched"


class MetricsMiddleware:
    """Counts every response and its latency (place it near the top of MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - start
        method = request.method if request.method in _METHODS else "other"
        route = route_label(request)
        HTTP_REQUESTS.labels(method, route, f"{response.status_code // 100}xx").inc()
        HTTP_LATENCY.labels(method, route).observe(elapsed)
        return response


# --------------------------------------------------------------------------- scrape-time gauges


def _queue_depth() -> float:
    from django_q.brokers import get_broker

    return float(get_broker().queue_size() or 0)


def _failed_tasks() -> float:
    import datetime as dt

    from django.utils import timezone
    from django_q.models import Failure

    return float(Failure.objects.filter(stopped__gte=timezone.now() - dt.timedelta(days=1)).count())


def _device_events_5m() -> float:
    import datetime as dt

    from django.utils import timezone

    from linli.devices.models import DeviceEvent

    # By device time: on PostgreSQL only the current month's partition is read.
    since = timezone.now() - dt.timedelta(minutes=5)
    return float(DeviceEvent.objects.filter(ts__gte=since).count())


def _overdue_cases() -> float:
    from django.utils import timezone

    from linli.cases.models import Case
    from linli.cockpit.kpis import overdue_q

    return float(Case.objects.filter(overdue_q(timezone.now())).count())


def _open_alerts() -> float:
    from linli.care.models import OPEN_STATUSES, CareAlert

    return float(CareAlert.objects.filter(status__in=OPEN_STATUSES).count())


#: name → (help, query) of the gauges read at scrape time.
GAUGES: dict[str, tuple[str, Callable[[], float]]] = {
    "linli_task_queue_depth": ("Tasks waiting in the django-q2 queue.", _queue_depth),
    "linli_tasks_failed_24h": ("django-q2 tasks that failed in the last 24 hours.", _failed_tasks),
    "linli_device_events_5m": (
        "Device events stored with a device time in the last 5 minutes.",
        _device_events_5m,
    ),
    "linli_cases_overdue": (
        "Open cases whose running stage clock is past its deadline.",
        _overdue_cases,
    ),
    "linli_care_alerts_open": (
        "Care alerts open, acknowledged or escalated.",
        _open_alerts,
    ),
}


class DatabaseCollector(Collector):
    """The :data:`GAUGES`, computed at each scrape, plus
    ``linli_metrics_query_seconds{gauge}`` (time of each query). A query that fails (the
    database is down) leaves its gauge out of that scrape and is logged."""

    def describe(self) -> list[GaugeMetricFamily]:
        families = [GaugeMetricFamily(name, text) for name, (text, _) in GAUGES.items()]
        families.append(self._timing_family())
        return families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        timing = self._timing_family()
        for name, (text, query) in GAUGES.items():
            start = time.perf_counter()
            try:
                value = query()
            except Exception:
                log.warning("metrics: %s could not be read", name, exc_info=True)
                continue
            timing.add_metric([name], time.perf_counter() - start)
            yield GaugeMetricFamily(name, text, value=value)
        yield timing

    @staticmethod
    def _timing_family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "linli_metrics_query_seconds",
            "Seconds the last scrape spent on each database gauge.",
            labels=["gauge"],
        )


_DATABASE = DatabaseCollector()
if not os.environ.get(MULTIPROC_ENV):
    REGISTRY.register(_DATABASE)


def scrape_registry(multiproc_dir: str | None = None) -> CollectorRegistry:
    """The registry to expose: in multiprocess mode a fresh one summing every process's files
    in ``multiproc_dir`` (default ``$PROMETHEUS_MULTIPROC_DIR``) plus the database gauges;
    otherwise the process's default registry."""
    path = multiproc_dir or os.environ.get(MULTIPROC_ENV)
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    registry.register(_DATABASE)
    return registry


def multiproc_dir_prepare(path: Path) -> Path:
    """Create ``path`` and delete the counter files a previous run left there (counters of
    dead processes would otherwise be summed forever). Call before starting the workers."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    return path


# --------------------------------------------------------------------------- the endpoint


_FORWARDING_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")


def metrics_allowed(request: HttpRequest) -> bool:
    """True for a bearer token equal to ``METRICS_TOKEN`` (when set) or a client address in
    ``METRICS_ALLOW`` (``REMOTE_ADDR``: behind a proxy that is the proxy's address — see
    docs/deploy.md). A request that carries a proxy's forwarding header (``Forwarded``,
    ``X-Forwarded-For``, ``X-Real-IP``) came through a proxy, so its address proves nothing
    and only the token opens it."""
    token = str(getattr(settings, "METRICS_TOKEN", "") or "")
    header = request.headers.get("Authorization", "")
    given = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else ""
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    if any(h in request.META for h in _FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(str(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return False
    networks: list[Any] = getattr(settings, "METRICS_ALLOW", [])
    return any(address in network for network in networks)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: the Prometheus text exposition; 404 unless :func:`metrics_allowed`."""
    if not metrics_allowed(request) or request.method not in ("GET", "HEAD"):
        raise Http404
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
