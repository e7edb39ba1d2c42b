"""Faults (issue #10): a database outage answers 503 and retries succeed, PostgreSQL restarted
under load loses or doubles nothing, a task worker killed mid-task has its task run again,
once. The broker restart is linli/devices/tests/test_mqtt.py
(``test_broker_restarts_during_a_stream_lose_nothing``).

Every fault is done to a throwaway server started here (linli/testing/throwaway.py), never
to the machine's shared PostgreSQL or Redis. The end-to-end tests run in the PostgreSQL pass
of the suite: the throwaway database gets its schema from pytest's migrated test database.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import path

from linli.common.faults import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_MESSAGE,
    DatabaseUnavailableMiddleware,
    LeasedRedis,
)
from linli.testing.fault_tasks import enqueue_on
from linli.testing.throwaway import (
    ThrowawayPostgres,
    ThrowawayRedis,
    free_port,
    start_cluster,
    start_web,
    stop_group,
    throwaway_linli,
)

on_postgres = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="end-to-end fault tests run in the PostgreSQL pass (schema cloned from its test DB)",
    ),
    pytest.mark.postgres,
    # Only so that pytest-django creates the test database, whose schema is cloned.
    pytest.mark.django_db,
]


def end_to_end(test: Callable[..., None]) -> Callable[..., None]:
    """Marks of the end-to-end fault tests (PostgreSQL pass only)."""
    for mark in reversed(on_postgres):
        test = mark(test)
    return test


# --------------------------------------------------------------------------- 503 mapping


def _broken_view(request: HttpRequest) -> HttpResponse:
    raise OperationalError("server closed the connection unexpectedly")


def _fine_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("api/broken/", _broken_view),
    path("page/broken/", _broken_view),
    path("page/fine/", _fine_view),
]


class InnerOutageMiddleware:
    """Stands for a middleware that queries the database (session, axes, audit) while the
    server is down: raises before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.endswith("/fine/") and "outage" in request.GET:
            raise InterfaceError("connection already closed")
        return self.get_response(request)


@pytest.fixture
def broken_site(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.InnerOutageMiddleware"]


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    assert UNAVAILABLE_MESSAGE in response.content.decode()


def test_a_view_losing_the_database_answers_503_in_json_for_the_api(
    client: Any, broken_site: None
) -> None:
    response = client.get("/api/broken/")
    _assert_unavailable(response)
    assert response.json() == {"detail": UNAVAILABLE_MESSAGE, "code": "service_unavailable"}


def test_a_page_losing_the_database_answers_a_chinese_503_page(
    client: Any, broken_site: None
) -> None:
    response = client.get("/page/broken/")
    _assert_unavailable(response)
    assert response["Content-Type"].startswith("text/html")
    assert "<h1>服务暂时不可用，请稍后重试</h1>" in response.content.decode()


def test_an_outage_inside_a_middleware_is_503_and_other_errors_stay_500(
    broken_site: None,
) -> None:
    from django.test import Client

    client = Client(raise_request_exception=False)
    _assert_unavailable(client.get("/page/fine/?outage=1"))
    assert client.get("/page/fine/").status_code == 200
    # Not a database outage: the middleware leaves Django's 500 alone.
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse(status=500))
    assert middleware(RequestFactory().get("/")).status_code == 500
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None


def test_a_database_url_connection_is_health_checked_before_reuse(settings: Any) -> None:
    """CONN_MAX_AGE keeps connections between requests; the health check replaces one that a
    server restart cut (else the first request after the restart would fail)."""
    if os.environ.get("DATABASE_URL"):
        assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60


# --------------------------------------------------------------------------- leased broker


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


def test_leased_redis_hands_an_unacknowledged_task_out_again_after_the_lease(
    redis_server: ThrowawayRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "REDIS", redis_server.url)
    monkeypatch.setattr(Conf, "RETRY", 1)
    monkeypatch.setattr(Conf, "POLL", 0.01)
    broker = LeasedRedis(list_key="faults-unit")
    broker.enqueue("a")
    broker.enqueue("b")
    (ack_a, task_a), (ack_b, task_b) = broker.dequeue()[0], broker.dequeue()[0]  # type: ignore[index]
    assert (task_a, task_b) == (b"a", b"b")
    assert broker.dequeue() is None
    assert (broker.queue_size(), broker.lock_size()) == (0, 2)
    broker.acknowledge(ack_b)  # b finished; a's worker "died"
    time.sleep(1.1)
    again = pickle.loads(pickle.dumps(broker))  # as the cluster hands it to its processes
    redelivered = again.dequeue()
    assert redelivered is not None and redelivered[0][1] == b"a" and redelivered[0][0] != ack_a
    again.acknowledge(redelivered[0][0])
    time.sleep(1.1)
    assert again.dequeue() is None
    assert (again.queue_size(), again.lock_size()) == (0, 0)


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def throwaway_db(django_db_setup: None) -> Iterator[dict[str, Any]]:
    """A throwaway PostgreSQL with Linli's schema and a reporter: ``{"pg", "url", "seed"}``."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL pass only")
    with throwaway_linli(connection.settings_dict) as stack:
        yield stack


class Load:
    """Threads that write (POST /api/cases/) and read (GET /api/cases/) until stopped; a
    request answered 503 is retried after 0.1 s (an impatient client: Retry-After is 5 s)."""

    def __init__(self, base: str, seed: dict[str, Any]) -> None:
        self.base = base
        self.seed = seed
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: list[str] = []  # markers of writes answered 201
        self.retried: set[str] = set()  # markers of writes answered 503 at least once
        self.statuses: list[tuple[float, str, int]] = []  # (time, kind, status)
        self.bad: list[str] = []  # anything not 2xx/503: the test fails on it
        self.threads = [threading.Thread(target=self._writer) for _ in range(2)] + [
            threading.Thread(target=self._reader) for _ in range(2)
        ]

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.seed['token']}"
        return session

    def _note(self, kind: str, response: requests.Response) -> None:
        with self.lock:
            self.statuses.append((time.monotonic(), kind, response.status_code))
            if response.status_code == 503:
                if (
                    response.headers.get("Retry-After") != str(RETRY_AFTER_SECONDS)
                    or response.json().get("detail") != UNAVAILABLE_MESSAGE
                ):
                    self.bad.append(f"{kind} 503 without Retry-After/message: {response.text}")
            elif response.status_code >= 300:
                self.bad.append(f"{kind} {response.status_code}: {response.text[:300]}")

    def _writer(self) -> None:
        session = self._session()
        while not self.stop.is_set():
            marker = uuid.uuid4().hex
            body = {
                "category": self.seed["category"],
                "description": f"故障测试 {marker}",
                "building": self.seed["building"],
            }
            for _ in range(200):  # retried until acknowledged, even after stop is set
                try:
                    response = session.post(f"{self.base}/api/cases/", json=body, timeout=20)
                except requests.RequestException as exc:
                    with self.lock:
                        self.bad.append(f"write: {exc}")
                    return
                self._note("write", response)
                if response.status_code == 201:
                    with self.lock:
                        self.acknowledged.append(marker)
                    break
                if response.status_code != 503:
                    return
                with self.lock:
                    self.retried.add(marker)
                time.sleep(0.1)

    def _reader(self) -> None:
        session = self._session()
        while not self.stop.is_set():
            try:
                response = session.get(f"{self.base}/api/cases/?limit=5", timeout=20)
            except requests.RequestException as exc:
                with self.lock:
                    self.bad.append(f"read: {exc}")
                return
            self._note("read", response)
            time.sleep(0.02 if response.ok else 0.1)

    def wait_for(self, writes: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < writes and time.monotonic() < deadline and not self.bad:
            time.sleep(0.05)
        assert not self.bad, self.bad[:5]
        assert len(self.acknowledged) >= writes, f"only {len(self.acknowledged)} writes"


@end_to_end
def test_postgres_restarted_under_load_answers_503_then_recovers_without_corruption(
    throwaway_db: dict[str, Any],
) -> None:
    """Given gunicorn (2 workers) on a throwaway PostgreSQL under continuous reads and writes,
    when PostgreSQL is stopped for a second and started again, then requests during the
    outage get 503 + Retry-After, retries succeed after it, and every acknowledged write
    exists exactly once with its report event (nothing half-written, nothing doubled)."""
    pg: ThrowawayPostgres = throwaway_db["pg"]
    port = free_port()
    web = start_web({**os.environ, "DATABASE_URL": throwaway_db["url"]}, port, workers=2)
    load = Load(f"http://127.0.0.1:{port}", throwaway_db["seed"])
    try:
        for thread in load.threads:
            thread.start()
        load.wait_for(20)
        before = len(load.acknowledged)
        down_at = time.monotonic()
        pg.stop("fast")  # cuts every connection; transactions in flight roll back
        time.sleep(1.0)
        pg.start()
        up_at = time.monotonic()
        load.wait_for(before + 20)
    finally:
        load.stop.set()
        for thread in load.threads:
            thread.join(60)
        stop_group(web)
    assert not load.bad, load.bad[:5]
    unavailable = [t for t, _, status in load.statuses if status == 503]
    assert unavailable, "no request met the outage"
    assert {kind for _, kind, status in load.statuses if status == 503} == {"read", "write"}
    recovered = [t for t, _, status in load.statuses if t > up_at and status < 300]
    recovery_s = min(recovered) - up_at
    print(
        f"\n[faults] PG down {up_at - down_at:.2f} s; {len(unavailable)} answers 503 over "
        f"{max(unavailable) - min(unavailable):.2f} s; first success {recovery_s:.2f} s after "
        f"the server was up; {len(load.acknowledged)} writes, "
        f"{sum(1 for _, k, s in load.statuses if k == 'read' and s == 200)} reads"
    )
    assert recovery_s < 5
    rows = pg.psql(
        "SELECT substr(c.description, 6), count(*) OVER (PARTITION BY c.description),"
        " (SELECT count(*) FROM cases_caseevent e WHERE e.case_id = c.id"
        "  AND e.action = 'report') FROM cases_case c WHERE c.description LIKE '故障测试 %'",
        "linli",
    ).split()
    found = [row.split("|") for row in rows]
    copies = {marker: int(n) for marker, n, _ in found}
    # Every acknowledged write is there, and nothing else (no row of a write never answered
    # 2xx), and every case is whole: exactly one "report" event (no half-written case).
    assert set(copies) == set(load.acknowledged)
    assert all(events == "1" for _, _, events in found)
    # A 503 can also follow a commit (the connection died while the view read the new case
    # back to answer): the client's retry then files the report a second time. Only writes
    # that were answered 503 may be doubled, and never more than twice.
    doubled = {marker for marker, n in copies.items() if n > 1}
    assert doubled <= load.retried and all(n <= 2 for n in copies.values()), copies
    print(f"[faults] {len(load.retried)} writes retried after 503, {len(doubled)} doubled")


def _tail(process: Any) -> str:
    """The end of a server's log (in an assertion message)."""
    with open(process.log_path, encoding="utf-8", errors="replace") as log:
        return log.read()[-3000:]


@end_to_end
def test_a_worker_killed_mid_task_runs_the_task_again_once(
    throwaway_db: dict[str, Any], redis_server: ThrowawayRedis
) -> None:
    """Given a task cluster on a throwaway Redis running a 2-second task, when its whole
    process group is SIGKILLed mid-task and a new cluster starts, then the task runs again
    after the lease (LINLI_Q_RETRY=5 s here) and completes exactly once."""
    import redis

    key = uuid.uuid4().hex
    env = {
        **os.environ,
        "DATABASE_URL": throwaway_db["url"],
        "LINLI_REDIS_URL": redis_server.url,
        "LINLI_FAULT_REDIS_URL": redis_server.url,
        "LINLI_Q_NAME": f"faults{redis_server.port}",
        "LINLI_Q_TIMEOUT": "4",
        "LINLI_Q_RETRY": "5",
        "LINLI_WORKERS": "1",
    }
    counters = redis.from_url(redis_server.url)

    def count(name: str) -> int:
        return int(counters.get(f"faults:{name}:{key}") or 0)

    def wait(condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return False

    enqueue_on(redis_server.url, env["LINLI_Q_NAME"], "write_marker", [key], 2.0)
    first = start_cluster(env)
    second = None
    try:
        assert wait(lambda: count("starts") == 1, 30), _tail(first)
        killed_at = time.monotonic()
        stop_group(first, signal.SIGKILL)
        assert count("done") == 0
        second = start_cluster(env)
        assert wait(lambda: count("done") == 1, 30), _tail(second)
        rerun_s = time.monotonic() - killed_at
        # The saved result and the acknowledgement follow the marker by a moment.
        assert wait(
            lambda: (
                throwaway_db["pg"]
                .psql("SELECT count(*) FROM django_q_task WHERE name IS NOT NULL", "linli")
                .strip()
                == "1"
            ),
            10,
        )
        time.sleep(0.5)
    finally:
        stop_group(first, signal.SIGKILL)
        if second is not None:
            stop_group(second)
    print(f"\n[faults] killed task done again {rerun_s:.1f} s after the kill (lease 5 s)")
    assert (count("starts"), count("done")) == (2, 1)
    pg: ThrowawayPostgres = throwaway_db["pg"]
    note = f"fault-test:{key}"
    assert (
        pg.psql(
            f"SELECT count(*) FROM common_calendaroverride WHERE note = '{note}'", "linli"
        ).strip()
        == "1"
    )
    tasks = pg.psql("SELECT success FROM django_q_task", "linli").split()
    assert tasks == ["t"], tasks
    assert counters.llen(f"django_q:{env['LINLI_Q_NAME']}:q") == 0
    assert counters.zcard(f"django_q:{env['LINLI_Q_NAME']}:q:leases") == 0
