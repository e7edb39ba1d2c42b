"""``/metrics``: who may read it, what it counts, bounded labels, multiprocess sums."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from linli.cases.models import Case, CaseCategory, CaseChannel, CaseStatus
from linli.common import metrics
from linli.devices.ingest import ingest
from linli.testing.factories import ResidentFactory, area_chain, care_alert

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "scrape-token-0123456789"


def _scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --------------------------------------------------------------------------- access


@pytest.mark.django_db
def test_metrics_are_served_to_the_local_scraper() -> None:
    assert "linli_http_requests_total" in Client().get("/metrics").content.decode()


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_other_addresses_get_404_unless_they_bring_the_token() -> None:
    remote = Client(REMOTE_ADDR="203.0.113.7")
    assert remote.get("/metrics").status_code == 404
    assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token-000000").status_code == 404
    assert remote.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize("header", ["HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"])
def test_a_request_through_a_proxy_needs_the_token_even_from_loopback(header: str) -> None:
    proxied = Client(**{header: "203.0.113.7"})
    assert proxied.get("/metrics").status_code == 404
    assert proxied.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="")
def test_without_a_token_configured_no_bearer_opens_it() -> None:
    remote = Client(REMOTE_ADDR="203.0.113.7")
    assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
def test_allowed_networks_are_cidr_ranges() -> None:
    import ipaddress

    with override_settings(METRICS_ALLOW=[ipaddress.ip_network("10.8.0.0/16")]):
        assert Client(REMOTE_ADDR="10.8.3.4").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="10.9.3.4").get("/metrics").status_code == 404
        assert Client().get("/metrics").status_code == 404  # 127.0.0.1 no longer listed


# --------------------------------------------------------------------------- requests


@pytest.mark.django_db
def test_requests_are_counted_by_route_name_and_status_class_never_by_raw_path() -> None:
    client = Client()
    before = _value("linli_http_requests_total", method="GET", route="login", status="2xx")
    unmatched = _value("linli_http_requests_total", method="GET", route="unmatched", status="4xx")
    assert client.get("/accounts/login/").status_code == 200
    client.get("/no-such-page/640106001/secret")
    text = client.get("/metrics").content.decode()
    after = _value("linli_http_requests_total", method="GET", route="login", status="2xx")
    assert after == before + 1
    assert (
        _value("linli_http_requests_total", method="GET", route="unmatched", status="4xx")
        == unmatched + 1
    )
    assert 'linli_http_request_duration_seconds_bucket{le="0.5",method="GET",route="login"}' in text
    assert "640106001" not in text and "no-such-page" not in text


# --------------------------------------------------------------------------- database gauges


def _case(area, *, due_at: dt.datetime) -> Case:  # type: ignore[no-untyped-def]
    category = CaseCategory.objects.get_or_create(
        code="METRICS", defaults={"name": "占道经营", "kind": "event"}
    )[0]
    return Case.objects.create(
        number=f"640106-20260601-{Case.objects.count() + 1:04d}",
        category=category,
        status=CaseStatus.DISPATCHED,
        channel=CaseChannel.GRID_PATROL,
        title="占道",
        description="描述",
        area=area,
        due_at=due_at,
    )


@pytest.mark.django_db
def test_scrape_reads_queue_failures_overdue_cases_open_alerts_and_recent_events() -> None:
    from django_q.brokers import get_broker
    from django_q.models import Task

    chain = area_chain()
    now = timezone.now()
    _case(chain["micro_grid"], due_at=now - dt.timedelta(hours=1))
    _case(chain["micro_grid"], due_at=now + dt.timedelta(hours=1))  # not yet due
    resident = ResidentFactory.create(household__building__micro_grid=chain["micro_grid"])
    care_alert(resident)
    get_broker().enqueue("signed-task-payload")
    for stopped, hours in (("failed-now", 1), ("failed-long-ago", 30)):
        Task.objects.create(
            id=stopped,
            name=stopped,
            func="x",
            started=now - dt.timedelta(hours=hours),
            stopped=now - dt.timedelta(hours=hours),
            success=False,
        )

    samples = _scrape(Client())

    assert samples[("linli_cases_overdue", ())] == 1
    assert samples[("linli_care_alerts_open", ())] == 1
    assert samples[("linli_task_queue_depth", ())] == 1
    assert samples[("linli_tasks_failed_24h", ())] == 1
    assert samples[("linli_device_events_5m", ())] == 0
    timings = [v for (name, _), v in samples.items() if name == "linli_metrics_query_seconds"]
    assert len(timings) == len(metrics.GAUGES) and all(0 <= t < 5 for t in timings)


@pytest.mark.django_db
def test_ingestion_counts_received_events_by_channel_and_outcome() -> None:
    before = _value("linli_device_events_received_total", channel="http", outcome="rejected")
    result = ingest([{"device": "nope"}, "not an event"], channel="http", source="gw-test")
    assert result.rejected == 2
    after = _value("linli_device_events_received_total", channel="http", outcome="rejected")
    assert after == before + 2


# --------------------------------------------------------------------------- several processes


_WORKER = """
from linli.common import metrics
metrics.HTTP_REQUESTS.labels("GET", "home", "2xx").inc({n})
"""


def test_multiprocess_mode_sums_the_counters_of_every_worker(tmp_path: Path) -> None:
    # given two worker processes that each counted requests into the shared directory
    metrics.multiproc_dir_prepare(tmp_path)
    (tmp_path / "counter_99999.db").write_bytes(b"left by a previous run")
    metrics.multiproc_dir_prepare(tmp_path)  # cleaned at start
    env = dict(
        os.environ,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="linli.settings",
    )
    boot = "import django; django.setup()\n"
    workers = [
        subprocess.Popen([sys.executable, "-c", boot + _WORKER.format(n=n)], env=env, cwd=ROOT)
        for n in (2, 3)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    # when any worker is scraped, then it reports the sum over processes
    registry = CollectorRegistry()
    from prometheus_client import multiprocess

    multiprocess.MultiProcessCollector(registry, path=str(tmp_path))  # type: ignore[no-untyped-call]
    labels = {"method": "GET", "route": "home", "status": "2xx"}
    assert registry.get_sample_value("linli_http_requests_total", labels) == 5
    assert metrics.scrape_registry(str(tmp_path)) is not REGISTRY
